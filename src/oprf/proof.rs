//! DLEQ proofs: `GenerateProof`, `VerifyProof`, `ComputeComposites` and
//! `ComputeCompositesFast`
//! ([RFC 9497 §2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2)).
//!
//! In this suite `A` is always the generator `G`. The prover's secret work (`r·G`, `r·M`,
//! and `k·M` in batches) is constant time; everything the verifier does, and the prover's
//! composite sum `M = Σ dᵢ·Cᵢ`, runs in variable time because it touches only public
//! values (the composite weights `dᵢ`, the elements, the public key and the proof).

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use p256::elliptic_curve::Group;
use p256::elliptic_curve::group::GroupEncoding;
use p256::elliptic_curve::ops::LinearCombination;
use p256::elliptic_curve::point::BatchNormalize;

use super::suite::{context_string, hash, hash_to_scalar, len2};
use super::{Element, Error, Mode};
use crate::group::{
    AffinePoint, ELEMENT_LEN, ProjectivePoint, SCALAR_LEN, Scalar, decode_scalar, encode_scalar,
    mul_base_add_vartime,
};

/// Length of an encoded proof: `c ‖ s`, 64 bytes.
pub const PROOF_LEN: usize = 2 * SCALAR_LEN;

/// A DLEQ proof `(c, s)` ([RFC 9497 §2.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1)).
///
/// Encoded as `SerializeScalar(c) ‖ SerializeScalar(s)`, 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    c: Scalar,
    s: Scalar,
}

impl Proof {
    /// Encodes the proof as `c ‖ s` (32-byte big-endian scalars).
    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        let (c, s) = out.split_at_mut(SCALAR_LEN);
        c.copy_from_slice(&encode_scalar(&self.c));
        s.copy_from_slice(&encode_scalar(&self.s));
        out
    }

    /// Decodes `c ‖ s`: exactly 64 bytes, both scalars canonical (less than the group
    /// order). Zero scalars are accepted, as RFC 9497 `DeserializeScalar` does.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != PROOF_LEN {
            return Err(Error::Encoding(crate::group::EncodingError::Length {
                expected: PROOF_LEN,
                found: bytes.len(),
            }));
        }
        let (c, s) = bytes.split_at(SCALAR_LEN);
        Ok(Self {
            c: decode_scalar(c)?,
            s: decode_scalar(s)?,
        })
    }
}

/// SEC1-compressed encoding of an affine point (33 zero bytes for the identity, which
/// no honest run produces).
pub(super) fn encode_affine(point: &AffinePoint) -> [u8; ELEMENT_LEN] {
    let mut out = [0u8; ELEMENT_LEN];
    if !bool::from(point.is_identity()) {
        let bytes = point.to_bytes();
        if bytes.len() == ELEMENT_LEN {
            out.copy_from_slice(&bytes);
        }
    }
    out
}

/// `seed` of `ComputeComposites`: `Hash(I2OSP(33, 2) ‖ Bm ‖ I2OSP(25, 2) ‖ seedDST)`.
fn composite_seed(mode: Mode, b: &[u8; ELEMENT_LEN]) -> [u8; 32] {
    let ctx = context_string(mode);
    let seed_dst_len = len2(b"Seed-".len() + ctx.len());
    hash(&[&len2(ELEMENT_LEN), b, &seed_dst_len, b"Seed-", &ctx])
}

/// Composite weight `dᵢ = HashToScalar(I2OSP(32, 2) ‖ seed ‖ I2OSP(i, 2) ‖ I2OSP(33, 2) ‖
/// Cᵢ ‖ I2OSP(33, 2) ‖ Dᵢ ‖ "Composite")`.
fn composite_weight(
    mode: Mode,
    seed: &[u8; 32],
    i: usize,
    c: &[u8; ELEMENT_LEN],
    d: &[u8; ELEMENT_LEN],
) -> Scalar {
    let el = len2(ELEMENT_LEN);
    hash_to_scalar(
        mode,
        &[
            &len2(seed.len()),
            seed,
            &len2(i),
            &el,
            c,
            &el,
            d,
            b"Composite",
        ],
    )
}

/// Variable-time `Σ wᵢ·Pᵢ` over public points and weights.
fn sum_vartime<P: AsRef<Element>>(points: &[P], weights: &[Scalar]) -> ProjectivePoint {
    match (points, weights) {
        ([p], [w]) => p.as_ref().point.mul_vartime(w),
        _ => {
            #[cfg(feature = "alloc")]
            {
                let pairs: Vec<(ProjectivePoint, Scalar)> = points
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| (p.as_ref().point, *w))
                    .collect();
                ProjectivePoint::lincomb_vartime(pairs.as_slice())
            }
            #[cfg(not(feature = "alloc"))]
            {
                points
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| p.as_ref().point.mul_vartime(w))
                    .fold(ProjectivePoint::IDENTITY, |acc, x| acc + x)
            }
        }
    }
}

/// Computes the composite weights `d₀ … d_{m-1}` into `out`.
fn weights<C: AsRef<Element>, D: AsRef<Element>>(
    mode: Mode,
    b: &Element,
    cs: &[C],
    ds: &[D],
    mut out: impl FnMut(Scalar),
) {
    let seed = composite_seed(mode, &b.bytes);
    for (i, (c, d)) in cs.iter().zip(ds).enumerate() {
        out(composite_weight(
            mode,
            &seed,
            i,
            &c.as_ref().bytes,
            &d.as_ref().bytes,
        ));
    }
}

/// Weights as a fixed array (single element) or a vector (batches).
#[cfg(feature = "alloc")]
type Weights = Vec<Scalar>;
#[cfg(not(feature = "alloc"))]
type Weights = heapless_one::One;

#[cfg(not(feature = "alloc"))]
mod heapless_one {
    //! Without an allocator only single-element proofs exist; this holds one weight.
    use crate::group::Scalar;

    #[derive(Default)]
    pub(super) struct One(Option<Scalar>);

    impl One {
        pub(super) fn push(&mut self, s: Scalar) {
            if self.0.is_none() {
                self.0 = Some(s);
            }
        }
        pub(super) fn as_slice(&self) -> &[Scalar] {
            self.0.as_slice()
        }
    }
}

fn collect_weights<C: AsRef<Element>, D: AsRef<Element>>(
    mode: Mode,
    b: &Element,
    cs: &[C],
    ds: &[D],
) -> Weights {
    let mut w = Weights::default();
    #[cfg(feature = "alloc")]
    w.reserve_exact(cs.len());
    weights(mode, b, cs, ds, |d| w.push(d));
    w
}

/// The challenge `c = HashToScalar(I2OSP(33,2) ‖ Bm ‖ … ‖ I2OSP(33,2) ‖ a3 ‖ "Challenge")`
/// over `B, M, Z, t2, t3`, normalizing the four computed points with one inversion.
fn challenge(mode: Mode, b: &Element, points: &[ProjectivePoint; 4]) -> Scalar {
    let affine: [AffinePoint; 4] = ProjectivePoint::batch_normalize(points);
    let [m, z, t2, t3] = affine.map(|p| encode_affine(&p));
    let el = len2(ELEMENT_LEN);
    hash_to_scalar(
        mode,
        &[
            &el,
            &b.bytes,
            &el,
            &m,
            &el,
            &z,
            &el,
            &t2,
            &el,
            &t3,
            b"Challenge",
        ],
    )
}

/// RFC 9497 `GenerateProof(k, G, B, C, D)` with nonce `r`, using `ComputeCompositesFast`
/// ([§2.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1),
/// [§2.2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2)).
///
/// Requires `Dᵢ = k·Cᵢ`, `B = k·G`, `cs.len() == ds.len() ≥ 1` (callers guarantee it).
pub(crate) fn generate<C: AsRef<Element>, D: AsRef<Element>>(
    mode: Mode,
    k: &Scalar,
    b: &Element,
    cs: &[C],
    ds: &[D],
    mut r: Scalar,
) -> Proof {
    let w = collect_weights(mode, b, cs, ds);
    let m = sum_vartime(cs, w.as_slice());
    // Z = k·M. For one element Z = d₀·D₀, public values, so variable time is cheaper and
    // safe; for batches one constant-time multiplication beats an m-term sum.
    let z = match (ds, w.as_slice()) {
        ([d], [w0]) => d.as_ref().point.mul_vartime(w0),
        _ => m * k,
    };
    let t2 = ProjectivePoint::mul_by_generator(&r);
    let t3 = m * r;
    let c = challenge(mode, b, &[m, z, t2, t3]);
    let s = r - c * k;
    zeroize::Zeroize::zeroize(&mut r);
    Proof { c, s }
}

/// RFC 9497 `VerifyProof(G, B, C, D, proof)` using `ComputeComposites`
/// ([§2.2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2)). Variable time: every
/// input is public.
pub(crate) fn verify<C: AsRef<Element>, D: AsRef<Element>>(
    mode: Mode,
    b: &Element,
    cs: &[C],
    ds: &[D],
    proof: &Proof,
) -> Result<(), Error> {
    if cs.len() != ds.len() {
        return Err(Error::BatchSizeMismatch {
            expected: cs.len(),
            found: ds.len(),
        });
    }
    if cs.is_empty() {
        return Err(Error::EmptyBatch);
    }
    let w = collect_weights(mode, b, cs, ds);
    let m = sum_vartime(cs, w.as_slice());
    let z = sum_vartime(ds, w.as_slice());
    let t2 = mul_base_add_vartime(&proof.s, &proof.c, &b.point);
    let t3 = ProjectivePoint::lincomb_vartime(&[(m, proof.s), (z, proof.c)]);
    let expected = challenge(mode, b, &[m, z, t2, t3]);
    if bool::from(subtle::ConstantTimeEq::ct_eq(&expected, &proof.c)) {
        Ok(())
    } else {
        Err(Error::Verify)
    }
}
