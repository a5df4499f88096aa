//! The server: key pairs (`DeriveKeyPair`) and `BlindEvaluate` / `Evaluate` for the three
//! modes ([RFC 9497 §3.2](https://www.rfc-editor.org/rfc/rfc9497#section-3.2),
//! [§3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3)).
//!
//! Every multiplication by the secret key (or the POPRF tweak `t⁻¹`) and by the proof
//! nonce is constant time. Blinded elements arrive as [`BlindedElement<S>`], whose decoder
//! already rejected the identity and off-curve points.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt;

use p256::elliptic_curve::Field;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::element::{BlindedElement, EvaluatedElement, Output, PublicKey};
#[cfg(feature = "alloc")]
use super::message::{EvaluationRequest, EvaluationResponse};
use super::proof::Proof;
use super::suite::{check_input, derive_secret, finalize_hash, hash_to_group, info_scalar};
use super::{Element, Error, Mode, proof};
use crate::suite::{Suite, decode_nonzero_scalar, random_nonzero_scalar};

/// Length of a secret key: 32 bytes in both suites.
const SCALAR_LEN: usize = 32;

/// An OPRF server key pair `(skS, pkS)`.
///
/// The secret key zeroizes on drop and never appears in `Debug`. A key is not tied to a
/// mode; RFC 9497 `DeriveKeyPair` is (its DST contains the context string), so
/// [`ServerKey::derive`] takes the mode.
pub struct ServerKey<S: Suite> {
    sk: S::Scalar,
    pk: PublicKey<S>,
}

impl<S: Suite> Clone for ServerKey<S> {
    fn clone(&self) -> Self {
        Self {
            sk: self.sk,
            pk: self.pk,
        }
    }
}

impl<S: Suite> Drop for ServerKey<S> {
    fn drop(&mut self) {
        self.sk.zeroize();
    }
}

impl<S: Suite> ZeroizeOnDrop for ServerKey<S> {}

impl<S: Suite> fmt::Debug for ServerKey<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("sk", &"<redacted>")
            .field("pk", &self.pk)
            .finish()
    }
}

/// The POPRF tweak `t = skS + HashToScalar(framedInfo)` and `tweakedKey = t·G`.
struct Tweak<S: Suite> {
    t: S::Scalar,
    t_inv: S::Scalar,
    key: Element<S>,
}

impl<S: Suite> Drop for Tweak<S> {
    fn drop(&mut self) {
        self.t.zeroize();
        self.t_inv.zeroize();
    }
}

impl<S: Suite> ServerKey<S> {
    fn from_scalar(sk: S::Scalar) -> Self {
        Self {
            sk,
            pk: PublicKey(Element::from_point(S::mul_base(&sk))),
        }
    }

    /// A fresh random key pair (`skS` uniform and non-zero).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_scalar(random_nonzero_scalar::<S, R>(rng))
    }

    /// RFC 9497 `DeriveKeyPair(seed, info)` for `mode`
    /// ([§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1)). Stateless key
    /// servers derive each user's key from a master seed and `info = user ‖ key version`.
    ///
    /// Errors: [`Error::InfoTooLong`] if `info` exceeds 65535 bytes,
    /// [`Error::DeriveKeyPair`] if 256 counters all hash to zero (negligible).
    pub fn derive(mode: Mode, seed: &[u8; 32], info: &[u8]) -> Result<Self, Error> {
        derive_secret::<S>(mode, seed, info).map(Self::from_scalar)
    }

    /// Imports a secret key: 32 bytes, canonical, non-zero.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_scalar(decode_nonzero_scalar::<S>(bytes)?))
    }

    /// Exports the secret key (32 bytes, in the suite's byte order) in a buffer that
    /// zeroizes on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(S::encode_scalar(&self.sk))
    }

    /// The public key `pkS = skS·G`.
    pub fn public_key(&self) -> &PublicKey<S> {
        &self.pk
    }

    fn tweak(&self, info: &[u8]) -> Result<Tweak<S>, Error> {
        let m = info_scalar::<S>(info)?;
        let t = self.sk + m;
        let t_inv: Option<S::Scalar> = t.invert().into();
        let t_inv = t_inv.ok_or(Error::Inverse)?;
        // t·G = pkS + m·G; m is public, so variable time is safe and cheaper.
        let key = Element::from_point(S::mul_base_vartime(&m) + self.pk.0.point);
        Ok(Tweak { t, t_inv, key })
    }

    // ---- OPRF ---------------------------------------------------------------------------

    /// RFC 9497 OPRF `BlindEvaluate(skS, blindedElement)`: `skS·C`, constant time
    /// ([§3.3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.1)).
    pub fn blind_evaluate_oprf(&self, blinded: &BlindedElement<S>) -> EvaluatedElement<S> {
        EvaluatedElement(Element::from_point(blinded.0.point * self.sk))
    }

    // ---- VOPRF --------------------------------------------------------------------------

    /// RFC 9497 VOPRF `BlindEvaluate(skS, pkS, blindedElement)`: the evaluated element and
    /// a DLEQ proof with a fresh nonce from `rng`
    /// ([§3.3.2](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2)).
    pub fn blind_evaluate_voprf<R: CryptoRng + ?Sized>(
        &self,
        blinded: &BlindedElement<S>,
        rng: &mut R,
    ) -> (EvaluatedElement<S>, Proof<S>) {
        self.voprf_single(blinded, S::random_scalar(rng))
    }

    /// **DANGER: test vectors only.** VOPRF `BlindEvaluate` with a caller-chosen proof
    /// nonce (32-byte canonical scalar). Two proofs with one nonce reveal the secret key;
    /// never call this outside of tests.
    #[cfg(feature = "danger")]
    pub fn blind_evaluate_voprf_with_nonce(
        &self,
        blinded: &BlindedElement<S>,
        nonce: &[u8],
    ) -> Result<(EvaluatedElement<S>, Proof<S>), Error> {
        Ok(self.voprf_single(blinded, S::decode_scalar(nonce)?))
    }

    fn voprf_single(
        &self,
        blinded: &BlindedElement<S>,
        r: S::Scalar,
    ) -> (EvaluatedElement<S>, Proof<S>) {
        let evaluated = self.blind_evaluate_oprf(blinded);
        let proof = proof::generate(
            Mode::Voprf,
            &self.sk,
            &self.pk.0,
            &[blinded.0],
            &[evaluated.0],
            r,
        );
        (evaluated, proof)
    }

    // ---- POPRF --------------------------------------------------------------------------

    /// RFC 9497 POPRF `BlindEvaluate(skS, blindedElement, info)`: `t⁻¹·C` with
    /// `t = skS + HashToScalar(framedInfo)`, and a DLEQ proof for `tweakedKey = t·G`
    /// ([§3.3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.3)).
    ///
    /// Errors: [`Error::InfoTooLong`], [`Error::Inverse`] if `t = 0`.
    pub fn blind_evaluate_poprf<R: CryptoRng + ?Sized>(
        &self,
        blinded: &BlindedElement<S>,
        info: &[u8],
        rng: &mut R,
    ) -> Result<(EvaluatedElement<S>, Proof<S>), Error> {
        self.poprf_single(blinded, info, S::random_scalar(rng))
    }

    /// **DANGER: test vectors only.** POPRF `BlindEvaluate` with a caller-chosen proof
    /// nonce. Two proofs with one nonce reveal the key; never call this outside of tests.
    #[cfg(feature = "danger")]
    pub fn blind_evaluate_poprf_with_nonce(
        &self,
        blinded: &BlindedElement<S>,
        info: &[u8],
        nonce: &[u8],
    ) -> Result<(EvaluatedElement<S>, Proof<S>), Error> {
        self.poprf_single(blinded, info, S::decode_scalar(nonce)?)
    }

    fn poprf_single(
        &self,
        blinded: &BlindedElement<S>,
        info: &[u8],
        r: S::Scalar,
    ) -> Result<(EvaluatedElement<S>, Proof<S>), Error> {
        let tweak = self.tweak(info)?;
        let evaluated = EvaluatedElement(Element::from_point(blinded.0.point * tweak.t_inv));
        // Roles swap in POPRF: C = evaluated elements, D = blinded elements.
        let proof = proof::generate(
            Mode::Poprf,
            &tweak.t,
            &tweak.key,
            &[evaluated.0],
            &[blinded.0],
            r,
        );
        Ok((evaluated, proof))
    }

    // ---- batches ------------------------------------------------------------------------

    /// Evaluates a whole request in mode OPRF (no proof).
    #[cfg(feature = "alloc")]
    pub fn respond_oprf(&self, request: &EvaluationRequest<S>) -> EvaluationResponse<S> {
        let evaluated = self.evaluate_batch(request.elements(), &self.sk);
        EvaluationResponse::from_parts(Mode::Oprf, evaluated, None)
    }

    /// Evaluates a whole request in mode VOPRF with **one** batched DLEQ proof
    /// (`ComputeCompositesFast`; [§3.3.2](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2)).
    #[cfg(feature = "alloc")]
    pub fn respond_voprf<R: CryptoRng + ?Sized>(
        &self,
        request: &EvaluationRequest<S>,
        rng: &mut R,
    ) -> EvaluationResponse<S> {
        self.voprf_batch(request, S::random_scalar(rng))
    }

    /// **DANGER: test vectors only.** [`ServerKey::respond_voprf`] with a caller-chosen
    /// proof nonce. Two proofs with one nonce reveal the key.
    #[cfg(all(feature = "alloc", feature = "danger"))]
    pub fn respond_voprf_with_nonce(
        &self,
        request: &EvaluationRequest<S>,
        nonce: &[u8],
    ) -> Result<EvaluationResponse<S>, Error> {
        Ok(self.voprf_batch(request, S::decode_scalar(nonce)?))
    }

    #[cfg(feature = "alloc")]
    fn voprf_batch(&self, request: &EvaluationRequest<S>, r: S::Scalar) -> EvaluationResponse<S> {
        let blinded = request.elements();
        let evaluated = self.evaluate_batch(blinded, &self.sk);
        let proof = proof::generate(Mode::Voprf, &self.sk, &self.pk.0, blinded, &evaluated, r);
        EvaluationResponse::from_parts(Mode::Voprf, evaluated, Some(proof))
    }

    /// Evaluates a whole request in mode POPRF under one `info`, with one batched proof.
    #[cfg(feature = "alloc")]
    pub fn respond_poprf<R: CryptoRng + ?Sized>(
        &self,
        request: &EvaluationRequest<S>,
        info: &[u8],
        rng: &mut R,
    ) -> Result<EvaluationResponse<S>, Error> {
        self.poprf_batch(request, info, S::random_scalar(rng))
    }

    /// **DANGER: test vectors only.** [`ServerKey::respond_poprf`] with a caller-chosen
    /// proof nonce. Two proofs with one nonce reveal the key.
    #[cfg(all(feature = "alloc", feature = "danger"))]
    pub fn respond_poprf_with_nonce(
        &self,
        request: &EvaluationRequest<S>,
        info: &[u8],
        nonce: &[u8],
    ) -> Result<EvaluationResponse<S>, Error> {
        self.poprf_batch(request, info, S::decode_scalar(nonce)?)
    }

    #[cfg(feature = "alloc")]
    fn poprf_batch(
        &self,
        request: &EvaluationRequest<S>,
        info: &[u8],
        r: S::Scalar,
    ) -> Result<EvaluationResponse<S>, Error> {
        let tweak = self.tweak(info)?;
        let blinded = request.elements();
        let evaluated = self.evaluate_batch(blinded, &tweak.t_inv);
        let proof = proof::generate(Mode::Poprf, &tweak.t, &tweak.key, &evaluated, blinded, r);
        Ok(EvaluationResponse::from_parts(
            Mode::Poprf,
            evaluated,
            Some(proof),
        ))
    }

    /// `k·Cᵢ` for every blinded element (constant time), encoded with one batched
    /// normalization.
    #[cfg(feature = "alloc")]
    fn evaluate_batch(
        &self,
        blinded: &[BlindedElement<S>],
        k: &S::Scalar,
    ) -> Vec<EvaluatedElement<S>> {
        Element::from_points(blinded.iter().map(|b| b.0.point * k).collect())
            .into_iter()
            .map(EvaluatedElement)
            .collect()
    }

    // ---- unblinded evaluation -----------------------------------------------------------

    /// RFC 9497 `Evaluate(skS, input)` for OPRF or VOPRF: the output a client would get,
    /// computed directly from the input.
    ///
    /// Mode POPRF needs `info`: use [`ServerKey::evaluate_poprf`]; here it is
    /// [`Error::ModeMismatch`].
    pub fn evaluate(&self, mode: Mode, input: &[u8]) -> Result<Output<S>, Error> {
        if mode == Mode::Poprf {
            return Err(Error::ModeMismatch {
                expected: Mode::Voprf,
                found: Mode::Poprf,
            });
        }
        check_input(input)?;
        let point = hash_to_group::<S>(mode, input)? * self.sk;
        Ok(Output::new(finalize_hash::<S>(
            input,
            None,
            &S::encode_element(&point),
        )))
    }

    /// RFC 9497 POPRF `Evaluate(skS, input, info)`.
    pub fn evaluate_poprf(&self, input: &[u8], info: &[u8]) -> Result<Output<S>, Error> {
        check_input(input)?;
        let tweak = self.tweak(info)?;
        let point = hash_to_group::<S>(Mode::Poprf, input)? * tweak.t_inv;
        Ok(Output::new(finalize_hash::<S>(
            input,
            Some(info),
            &S::encode_element(&point),
        )))
    }
}
