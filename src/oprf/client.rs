//! The client: `Blind` and `Finalize` for the three modes
//! ([RFC 9497 §3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3)).
//!
//! A client state holds the secret blind `r`; it is consumed by `finalize`, so a blind
//! cannot be used twice, and it zeroizes on drop. `finalize` takes the same `input` (and,
//! for POPRF, the same `info`) that was blinded: the input may be a secret (a password)
//! and is not kept in the state.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt;

use p256::elliptic_curve::Field;
use rand_core::CryptoRng;
use zeroize::Zeroize;

use super::element::{BlindedElement, EvaluatedElement, Output, PublicKey};
#[cfg(feature = "alloc")]
use super::message::EvaluationResponse;
use super::proof::Proof;
use super::suite::{check_info, check_input, finalize_hash, hash_to_group, info_scalar};
use super::{Element, Error, Mode, proof};
use crate::suite::{Suite, is_identity, random_nonzero_scalar};

/// The secret part of a blinded evaluation: the blind `r` and `r·HashToGroup(input)`.
struct BlindState<S: Suite> {
    blind: S::Scalar,
    blinded: Element<S>,
}

impl<S: Suite> BlindState<S> {
    /// RFC 9497 `Blind` with a given non-zero blind: `r·HashToGroup(input)`, constant time.
    fn new(mode: Mode, input: &[u8], blind: S::Scalar) -> Result<Self, Error> {
        let point = hash_to_group::<S>(mode, input)?;
        Ok(Self {
            blind,
            blinded: Element::from_point(point * blind),
        })
    }

    fn random<R: CryptoRng + ?Sized>(mode: Mode, input: &[u8], rng: &mut R) -> Result<Self, Error> {
        check_input(input)?;
        Self::new(mode, input, random_nonzero_scalar::<S, R>(rng))
    }

    /// [`BlindState::random`] for each input in order — the same checks, RNG draws and
    /// errors, in the same order — with the blinded elements encoded by one batched
    /// normalization. `before_draw` runs after an input's length check and before its
    /// blind is drawn (POPRF computes its tweak there, as its single-element `blind` does).
    #[cfg(feature = "alloc")]
    fn random_batch<I: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        mode: Mode,
        inputs: &[I],
        rng: &mut R,
        mut before_draw: impl FnMut() -> Result<(), Error>,
    ) -> Result<Vec<Self>, Error> {
        let mut blinds: zeroize::Zeroizing<Vec<S::Scalar>> =
            zeroize::Zeroizing::new(Vec::with_capacity(inputs.len()));
        let mut points = Vec::with_capacity(inputs.len());
        for input in inputs {
            let input = input.as_ref();
            check_input(input)?;
            before_draw()?;
            let blind = random_nonzero_scalar::<S, R>(rng);
            blinds.push(blind);
            points.push(hash_to_group::<S>(mode, input)? * blind);
        }
        Ok(blinds
            .iter()
            .zip(Element::from_points(points))
            .map(|(&blind, blinded)| Self { blind, blinded })
            .collect())
    }

    /// A copy of this state, for moving a batch of states into client values: copying and
    /// then dropping the originals (which zeroizes each blind where it lies) leaves no blind
    /// in the freed buffer, as moving them out of a `Vec` would.
    #[cfg(feature = "alloc")]
    fn duplicate(&self) -> Self {
        Self {
            blind: self.blind,
            blinded: self.blinded,
        }
    }

    #[cfg(feature = "danger")]
    fn fixed(mode: Mode, input: &[u8], blind: &[u8]) -> Result<Self, Error> {
        Self::new(
            mode,
            input,
            crate::suite::decode_nonzero_scalar::<S>(blind)?,
        )
    }

    /// `Hash(… ‖ SerializeElement(r⁻¹·Z) ‖ "Finalize")`; the multiplication is constant time.
    fn unblind(&self, input: &[u8], info: Option<&[u8]>, evaluated: &Element<S>) -> Output<S> {
        // r is non-zero by construction; r⁻¹ therefore exists.
        let mut inverse: S::Scalar = Option::from(self.blind.invert()).unwrap_or(S::Scalar::ZERO);
        let mut n = evaluated.point * inverse;
        inverse.zeroize();
        let mut bytes = S::encode_element(&n);
        n.zeroize();
        let output = Output::new(finalize_hash::<S>(input, info, &bytes));
        bytes.zeroize();
        output
    }
}

/// Unblinds a batch: `Hash(… ‖ SerializeElement(rᵢ⁻¹·Zᵢ) ‖ "Finalize")` for every `i`, with
/// one constant-time scalar inversion for all blinds (Montgomery's trick) and one batched,
/// constant-time normalization for all unblinded points. Same outputs as
/// [`BlindState::unblind`] element by element.
#[cfg(feature = "alloc")]
fn unblind_batch<'a, S: Suite, I: AsRef<[u8]>>(
    states: impl ExactSizeIterator<Item = &'a BlindState<S>> + Clone,
    inputs: &[I],
    info: Option<&[u8]>,
    evaluated: &[EvaluatedElement<S>],
) -> Vec<Output<S>> {
    use zeroize::Zeroizing;

    let mut prefix: Zeroizing<Vec<S::Scalar>> = Zeroizing::new(Vec::with_capacity(states.len()));
    let mut acc = S::Scalar::ONE;
    for state in states.clone() {
        prefix.push(acc);
        acc *= state.blind;
    }
    // Every blind is non-zero, so the product is too and has an inverse.
    let mut inverse: S::Scalar = Option::from(acc.invert()).unwrap_or(S::Scalar::ZERO);
    acc.zeroize();
    let mut inverses: Zeroizing<Vec<S::Scalar>> = Zeroizing::new(Vec::with_capacity(prefix.len()));
    let pairs: Vec<(&BlindState<S>, &S::Scalar)> = states.zip(prefix.iter()).collect();
    for (state, before) in pairs.iter().rev() {
        inverses.push(inverse * *before);
        inverse *= state.blind;
    }
    inverse.zeroize();
    inverses.reverse();
    let points: Zeroizing<Vec<S::Point>> = Zeroizing::new(
        evaluated
            .iter()
            .zip(inverses.iter())
            .map(|(e, i)| e.0.point * i)
            .collect(),
    );
    // The unblinded points are as secret as the outputs hashed from them.
    let encoded: Zeroizing<Vec<S::ElementBytes>> =
        Zeroizing::new(S::encode_elements(points.as_slice()));
    encoded
        .iter()
        .zip(inputs)
        .map(|(bytes, input)| Output::new(finalize_hash::<S>(input.as_ref(), info, bytes)))
        .collect()
}

impl<S: Suite> Drop for BlindState<S> {
    fn drop(&mut self) {
        self.blind.zeroize();
    }
}

macro_rules! client_common {
    ($name:ident) => {
        impl<S: Suite> $name<S> {
            /// The blinded element this state was created with (what the server receives).
            pub fn blinded_element(&self) -> BlindedElement<S> {
                BlindedElement(self.state.blinded)
            }
        }

        impl<S: Suite> fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("blind", &"<redacted>")
                    .field("blinded", &self.blinded_element())
                    .finish()
            }
        }
    };
}

/// Checks the batch shape shared by all batch finalizers.
#[cfg(feature = "alloc")]
fn check_batch<S: Suite, I: AsRef<[u8]>>(
    states: usize,
    inputs: &[I],
    response: &EvaluationResponse<S>,
    mode: Mode,
) -> Result<(), Error> {
    if response.mode() != mode {
        return Err(Error::ModeMismatch {
            expected: mode,
            found: response.mode(),
        });
    }
    if states == 0 {
        return Err(Error::EmptyBatch);
    }
    if response.len() != states {
        return Err(Error::BatchSizeMismatch {
            expected: states,
            found: response.len(),
        });
    }
    if inputs.len() != states {
        return Err(Error::BatchSizeMismatch {
            expected: states,
            found: inputs.len(),
        });
    }
    inputs.iter().try_for_each(|i| check_input(i.as_ref()))
}

// ---------------------------------------------------------------------------------------
// OPRF
// ---------------------------------------------------------------------------------------

/// Client of the base OPRF mode ([RFC 9497 §3.3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.1)):
/// no proof, so the output is only as trustworthy as the server.
pub struct OprfClient<S: Suite> {
    state: BlindState<S>,
}

client_common!(OprfClient);

impl<S: Suite> OprfClient<S> {
    /// RFC 9497 `Blind(input)`: draws a random non-zero blind `r` from `rng` and returns
    /// the single-use state and `r·HashToGroup(input)`.
    pub fn blind<R: CryptoRng + ?Sized>(
        input: &[u8],
        rng: &mut R,
    ) -> Result<(Self, BlindedElement<S>), Error> {
        let state = BlindState::random(Mode::Oprf, input, rng)?;
        let blinded = BlindedElement(state.blinded);
        Ok((Self { state }, blinded))
    }

    /// **DANGER: test vectors only.** `Blind` with a caller-chosen blind (32-byte
    /// canonical non-zero scalar). Reusing a blind across inputs links them and can leak
    /// them; never call this outside of tests.
    #[cfg(feature = "danger")]
    pub fn deterministic_blind(
        input: &[u8],
        blind: &[u8],
    ) -> Result<(Self, BlindedElement<S>), Error> {
        let state = BlindState::fixed(Mode::Oprf, input, blind)?;
        let blinded = BlindedElement(state.blinded);
        Ok((Self { state }, blinded))
    }

    /// RFC 9497 `Finalize(input, blind, evaluatedElement)`.
    pub fn finalize(
        self,
        input: &[u8],
        evaluated: &EvaluatedElement<S>,
    ) -> Result<Output<S>, Error> {
        check_input(input)?;
        Ok(self.state.unblind(input, None, &evaluated.0))
    }

    /// Finalizes a batch: `states[i]` with `inputs[i]` and the response's element `i`.
    /// The response must be in mode OPRF and have exactly `states.len()` elements.
    #[cfg(feature = "alloc")]
    pub fn finalize_batch<I: AsRef<[u8]>>(
        states: Vec<Self>,
        inputs: &[I],
        response: &EvaluationResponse<S>,
    ) -> Result<Vec<Output<S>>, Error> {
        check_batch(states.len(), inputs, response, Mode::Oprf)?;
        Ok(states
            .iter()
            .zip(inputs)
            .zip(response.elements())
            .map(|((s, i), e)| s.state.unblind(i.as_ref(), None, &e.0))
            .collect())
    }
}

// ---------------------------------------------------------------------------------------
// VOPRF
// ---------------------------------------------------------------------------------------

/// Client of the verifiable mode ([RFC 9497 §3.3.2](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2)):
/// finalize verifies the server's DLEQ proof against a pinned public key.
pub struct VoprfClient<S: Suite> {
    state: BlindState<S>,
}

client_common!(VoprfClient);

impl<S: Suite> VoprfClient<S> {
    /// RFC 9497 `Blind(input)` in mode VOPRF (random non-zero blind from `rng`).
    pub fn blind<R: CryptoRng + ?Sized>(
        input: &[u8],
        rng: &mut R,
    ) -> Result<(Self, BlindedElement<S>), Error> {
        let state = BlindState::random(Mode::Voprf, input, rng)?;
        let blinded = BlindedElement(state.blinded);
        Ok((Self { state }, blinded))
    }

    /// [`VoprfClient::blind`] for every input, in order (same RNG draws, same outputs),
    /// encoding the blinded elements with one batched normalization.
    #[cfg(feature = "alloc")]
    pub(crate) fn blind_batch<I: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        inputs: &[I],
        rng: &mut R,
    ) -> Result<(Vec<Self>, Vec<BlindedElement<S>>), Error> {
        let states = BlindState::random_batch(Mode::Voprf, inputs, rng, || Ok(()))?;
        let blinded = states.iter().map(|s| BlindedElement(s.blinded)).collect();
        let clients = states
            .iter()
            .map(|s| Self {
                state: s.duplicate(),
            })
            .collect();
        Ok((clients, blinded))
    }

    /// **DANGER: test vectors only.** `Blind` with a caller-chosen blind. Reusing a blind
    /// links and can leak inputs; never call this outside of tests.
    #[cfg(feature = "danger")]
    pub fn deterministic_blind(
        input: &[u8],
        blind: &[u8],
    ) -> Result<(Self, BlindedElement<S>), Error> {
        let state = BlindState::fixed(Mode::Voprf, input, blind)?;
        let blinded = BlindedElement(state.blinded);
        Ok((Self { state }, blinded))
    }

    /// RFC 9497 `Finalize(input, blind, evaluatedElement, blindedElement, pkS, proof)`:
    /// verifies the proof (variable time, public data) and unblinds (constant time).
    /// A bad proof is [`Error::Verify`].
    pub fn finalize(
        self,
        input: &[u8],
        evaluated: &EvaluatedElement<S>,
        proof: &Proof<S>,
        public_key: &PublicKey<S>,
    ) -> Result<Output<S>, Error> {
        check_input(input)?;
        proof::verify(
            Mode::Voprf,
            &public_key.0,
            &[self.state.blinded],
            &[evaluated.0],
            proof,
        )?;
        Ok(self.state.unblind(input, None, &evaluated.0))
    }

    /// Batch `Finalize`: one proof covers every element. `states[i]`, `inputs[i]` and
    /// the response's element `i` belong together; the order must be the request's.
    #[cfg(feature = "alloc")]
    pub fn finalize_batch<I: AsRef<[u8]>>(
        states: Vec<Self>,
        inputs: &[I],
        response: &EvaluationResponse<S>,
        public_key: &PublicKey<S>,
    ) -> Result<Vec<Output<S>>, Error> {
        check_batch(states.len(), inputs, response, Mode::Voprf)?;
        let proof = response.proof().ok_or(Error::Verify)?;
        let blinded: Vec<Element<S>> = states.iter().map(|s| s.state.blinded).collect();
        proof::verify(
            Mode::Voprf,
            &public_key.0,
            &blinded,
            response.elements(),
            proof,
        )?;
        Ok(unblind_batch(
            states.iter().map(|s| &s.state),
            inputs,
            None,
            response.elements(),
        ))
    }
}

// ---------------------------------------------------------------------------------------
// POPRF
// ---------------------------------------------------------------------------------------

/// Client of the partially oblivious mode
/// ([RFC 9497 §3.3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.3)): public
/// `info` is bound into the output; the proof is checked against the tweaked key
/// `pkS + HashToScalar(framedInfo)·G`.
pub struct PoprfClient<S: Suite> {
    state: BlindState<S>,
    info_scalar: S::Scalar,
    tweaked_key: Element<S>,
}

client_common!(PoprfClient);

impl<S: Suite> PoprfClient<S> {
    /// RFC 9497 POPRF `Blind(input, info, pkS)` (random non-zero blind from `rng`).
    pub fn blind<R: CryptoRng + ?Sized>(
        input: &[u8],
        info: &[u8],
        public_key: &PublicKey<S>,
        rng: &mut R,
    ) -> Result<(Self, BlindedElement<S>), Error> {
        check_input(input)?;
        let (info_scalar, tweaked_key) = Self::tweak(info, public_key)?;
        let state = BlindState::random(Mode::Poprf, input, rng)?;
        let blinded = BlindedElement(state.blinded);
        Ok((
            Self {
                state,
                info_scalar,
                tweaked_key,
            },
            blinded,
        ))
    }

    /// **DANGER: test vectors only.** POPRF `Blind` with a caller-chosen blind. Reusing
    /// a blind links and can leak inputs; never call this outside of tests.
    #[cfg(feature = "danger")]
    pub fn deterministic_blind(
        input: &[u8],
        info: &[u8],
        public_key: &PublicKey<S>,
        blind: &[u8],
    ) -> Result<(Self, BlindedElement<S>), Error> {
        check_input(input)?;
        let (info_scalar, tweaked_key) = Self::tweak(info, public_key)?;
        let state = BlindState::fixed(Mode::Poprf, input, blind)?;
        let blinded = BlindedElement(state.blinded);
        Ok((
            Self {
                state,
                info_scalar,
                tweaked_key,
            },
            blinded,
        ))
    }

    /// [`PoprfClient::blind`] for every input under one `info`, in order (same checks, RNG
    /// draws and outputs), computing the tweaked key once instead of once per input and
    /// encoding the blinded elements with one batched normalization.
    #[cfg(feature = "alloc")]
    pub(crate) fn blind_batch<I: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        inputs: &[I],
        info: &[u8],
        public_key: &PublicKey<S>,
        rng: &mut R,
    ) -> Result<(Vec<Self>, Vec<BlindedElement<S>>), Error> {
        let mut tweak = None;
        let states = BlindState::random_batch(Mode::Poprf, inputs, rng, || {
            if tweak.is_none() {
                tweak = Some(Self::tweak(info, public_key)?);
            }
            Ok(())
        })?;
        let Some((info_scalar, tweaked_key)) = tweak else {
            return Ok((Vec::new(), Vec::new()));
        };
        let blinded = states.iter().map(|s| BlindedElement(s.blinded)).collect();
        let clients = states
            .iter()
            .map(|s| Self {
                state: s.duplicate(),
                info_scalar,
                tweaked_key,
            })
            .collect();
        Ok((clients, blinded))
    }

    /// `m = HashToScalar(framedInfo)`, `tweakedKey = m·G + pkS` (variable time: public).
    fn tweak(info: &[u8], public_key: &PublicKey<S>) -> Result<(S::Scalar, Element<S>), Error> {
        let m = info_scalar::<S>(info)?;
        let tweaked = S::mul_base_vartime(&m) + public_key.0.point;
        if is_identity::<S>(&tweaked) {
            return Err(Error::InvalidInput);
        }
        Ok((m, Element::from_point(tweaked)))
    }

    fn check_info(&self, info: &[u8]) -> Result<(), Error> {
        check_info(info)?;
        if info_scalar::<S>(info)? != self.info_scalar {
            return Err(Error::InfoMismatch);
        }
        Ok(())
    }

    /// RFC 9497 POPRF `Finalize(input, blind, evaluatedElement, blindedElement, proof,
    /// info, tweakedKey)`. `info` must be the one given to `blind`
    /// ([`Error::InfoMismatch`] otherwise); a bad proof is [`Error::Verify`].
    pub fn finalize(
        self,
        input: &[u8],
        info: &[u8],
        evaluated: &EvaluatedElement<S>,
        proof: &Proof<S>,
    ) -> Result<Output<S>, Error> {
        check_input(input)?;
        self.check_info(info)?;
        // Roles swap in POPRF: C = evaluated elements, D = blinded elements.
        proof::verify(
            Mode::Poprf,
            &self.tweaked_key,
            &[evaluated.0],
            &[self.state.blinded],
            proof,
        )?;
        Ok(self.state.unblind(input, Some(info), &evaluated.0))
    }

    /// Batch POPRF `Finalize`: one `info`, one proof for every element. All states must
    /// have been blinded with this `info` and the same public key.
    #[cfg(feature = "alloc")]
    pub fn finalize_batch<I: AsRef<[u8]>>(
        states: Vec<Self>,
        inputs: &[I],
        info: &[u8],
        response: &EvaluationResponse<S>,
    ) -> Result<Vec<Output<S>>, Error> {
        check_batch(states.len(), inputs, response, Mode::Poprf)?;
        let first = states.first().ok_or(Error::EmptyBatch)?;
        first.check_info(info)?;
        if states.iter().any(|s| {
            s.info_scalar != first.info_scalar || s.tweaked_key.bytes != first.tweaked_key.bytes
        }) {
            return Err(Error::InfoMismatch);
        }
        let proof = response.proof().ok_or(Error::Verify)?;
        let blinded: Vec<Element<S>> = states.iter().map(|s| s.state.blinded).collect();
        proof::verify(
            Mode::Poprf,
            &first.tweaked_key,
            response.elements(),
            &blinded,
            proof,
        )?;
        Ok(unblind_batch(
            states.iter().map(|s| &s.state),
            inputs,
            Some(info),
            response.elements(),
        ))
    }
}
