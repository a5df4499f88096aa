//! DLEQ proofs: `GenerateProof`, `VerifyProof`, `ComputeComposites` and
//! `ComputeCompositesFast`
//! ([RFC 9497 §2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2)).
//!
//! `A` is always the generator `G`. The prover's secret work (`r·G`, `r·M`,
//! and `k·M` in batches) is constant time; everything the verifier does, and the prover's
//! composite sum `M = Σ dᵢ·Cᵢ`, runs in variable time because it touches only public
//! values (the composite weights `dᵢ`, the elements, the public key and the proof).

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::suite::{Context, hash_to_scalar, len2};
use super::{Element, Error, Mode};
use crate::suite::{ByteArray, Suite};

/// Length of an encoded scalar in both suites.
const SCALAR_LEN: usize = 32;

/// Length of an encoded proof: `c ‖ s`, 64 bytes in both suites.
pub const PROOF_LEN: usize = 2 * SCALAR_LEN;

/// A DLEQ proof `(c, s)` ([RFC 9497 §2.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1)).
///
/// Encoded as `SerializeScalar(c) ‖ SerializeScalar(s)`, 64 bytes (big-endian scalars for
/// P-256, little-endian for ristretto255).
pub struct Proof<S: Suite> {
    c: S::Scalar,
    s: S::Scalar,
}

impl<S: Suite> Clone for Proof<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Suite> Copy for Proof<S> {}

impl<S: Suite> PartialEq for Proof<S> {
    fn eq(&self, other: &Self) -> bool {
        self.c == other.c && self.s == other.s
    }
}

impl<S: Suite> Eq for Proof<S> {}

impl<S: Suite> core::fmt::Debug for Proof<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Proof(")?;
        crate::group::write_hex(f, &self.to_bytes())?;
        f.write_str(")")
    }
}

impl<S: Suite> Proof<S> {
    /// Encodes the proof as `c ‖ s` (two 32-byte scalars in the suite's byte order).
    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        let (c, s) = out.split_at_mut(SCALAR_LEN);
        c.copy_from_slice(&S::encode_scalar(&self.c));
        s.copy_from_slice(&S::encode_scalar(&self.s));
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
            c: S::decode_scalar(c)?,
            s: S::decode_scalar(s)?,
        })
    }
}

/// `seed` of `ComputeComposites`: `Hash(I2OSP(Ne, 2) ‖ Bm ‖ I2OSP(len(seedDST), 2) ‖
/// seedDST)` with `seedDST = "Seed-" ‖ contextString`.
fn composite_seed<S: Suite>(mode: Mode, b: &S::ElementBytes) -> S::OutputBytes {
    let ctx = Context::new::<S>(mode);
    let seed_dst_len = len2(b"Seed-".len() + ctx.as_bytes().len());
    S::hash_concat(&[
        &len2(S::ElementBytes::LEN),
        b.as_ref(),
        &seed_dst_len,
        b"Seed-",
        ctx.as_bytes(),
    ])
}

/// Composite weight `dᵢ = HashToScalar(I2OSP(Nh, 2) ‖ seed ‖ I2OSP(i, 2) ‖ I2OSP(Ne, 2) ‖
/// Cᵢ ‖ I2OSP(Ne, 2) ‖ Dᵢ ‖ "Composite")`.
fn composite_weight<S: Suite>(
    mode: Mode,
    seed: &S::OutputBytes,
    i: usize,
    c: &S::ElementBytes,
    d: &S::ElementBytes,
) -> S::Scalar {
    let el = len2(S::ElementBytes::LEN);
    hash_to_scalar::<S>(
        mode,
        &[
            &len2(S::OutputBytes::LEN),
            seed.as_ref(),
            &len2(i),
            &el,
            c.as_ref(),
            &el,
            d.as_ref(),
            b"Composite",
        ],
    )
}

/// Variable-time `Σ wᵢ·Pᵢ` over public points and weights.
fn sum_vartime<S: Suite, P: AsRef<Element<S>>>(points: &[P], weights: &[S::Scalar]) -> S::Point {
    match (points, weights) {
        ([p], [w]) => S::mul_vartime(&p.as_ref().point, w),
        _ => {
            #[cfg(feature = "alloc")]
            {
                let pairs: Vec<(S::Point, S::Scalar)> = points
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| (p.as_ref().point, *w))
                    .collect();
                S::multiscalar_vartime(&pairs)
            }
            #[cfg(not(feature = "alloc"))]
            {
                points
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| S::mul_vartime(&p.as_ref().point, w))
                    .fold(
                        <S::Point as p256::elliptic_curve::Group>::identity(),
                        |acc, x| acc + x,
                    )
            }
        }
    }
}

/// Computes the composite weights `d₀ … d_{m-1}` into `out`.
fn weights<S: Suite, C: AsRef<Element<S>>, D: AsRef<Element<S>>>(
    mode: Mode,
    b: &Element<S>,
    cs: &[C],
    ds: &[D],
    mut out: impl FnMut(S::Scalar),
) {
    let seed = composite_seed::<S>(mode, &b.bytes);
    for (i, (c, d)) in cs.iter().zip(ds).enumerate() {
        out(composite_weight::<S>(
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
type Weights<S> = Vec<<S as Suite>::Scalar>;
#[cfg(not(feature = "alloc"))]
type Weights<S> = heapless_one::One<S>;

#[cfg(not(feature = "alloc"))]
mod heapless_one {
    //! Without an allocator only single-element proofs exist; this holds one weight.
    use crate::suite::Suite;

    pub(super) struct One<S: Suite>(Option<S::Scalar>);

    impl<S: Suite> Default for One<S> {
        fn default() -> Self {
            Self(None)
        }
    }

    impl<S: Suite> One<S> {
        pub(super) fn push(&mut self, s: S::Scalar) {
            if self.0.is_none() {
                self.0 = Some(s);
            }
        }
        pub(super) fn as_slice(&self) -> &[S::Scalar] {
            self.0.as_slice()
        }
    }
}

fn collect_weights<S: Suite, C: AsRef<Element<S>>, D: AsRef<Element<S>>>(
    mode: Mode,
    b: &Element<S>,
    cs: &[C],
    ds: &[D],
) -> Weights<S> {
    let mut w = Weights::<S>::default();
    #[cfg(feature = "alloc")]
    w.reserve_exact(cs.len());
    weights::<S, C, D>(mode, b, cs, ds, |d| w.push(d));
    w
}

/// The challenge `c = HashToScalar(I2OSP(Ne,2) ‖ Bm ‖ … ‖ I2OSP(Ne,2) ‖ a3 ‖ "Challenge")`
/// over `B, M, Z, t2, t3`, encoding the four computed points together (one inversion for
/// P-256).
fn challenge<S: Suite>(mode: Mode, b: &Element<S>, points: &[S::Point; 4]) -> S::Scalar {
    let [m, z, t2, t3] = encode4::<S>(points);
    let el = len2(S::ElementBytes::LEN);
    hash_to_scalar::<S>(
        mode,
        &[
            &el,
            b.bytes.as_ref(),
            &el,
            m.as_ref(),
            &el,
            z.as_ref(),
            &el,
            t2.as_ref(),
            &el,
            t3.as_ref(),
            b"Challenge",
        ],
    )
}

fn encode4<S: Suite>(points: &[S::Point; 4]) -> [S::ElementBytes; 4] {
    #[cfg(feature = "alloc")]
    {
        let encoded = S::encode_elements(points);
        let mut out = [S::ElementBytes::zeroed(); 4];
        for (slot, bytes) in out.iter_mut().zip(encoded) {
            *slot = bytes;
        }
        out
    }
    #[cfg(not(feature = "alloc"))]
    {
        points.map(|p| S::encode_element(&p))
    }
}

/// RFC 9497 `GenerateProof(k, G, B, C, D)` with nonce `r`, using `ComputeCompositesFast`
/// ([§2.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1),
/// [§2.2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2)).
///
/// Requires `Dᵢ = k·Cᵢ`, `B = k·G`, `cs.len() == ds.len() ≥ 1` (callers guarantee it).
pub(crate) fn generate<S: Suite, C: AsRef<Element<S>>, D: AsRef<Element<S>>>(
    mode: Mode,
    k: &S::Scalar,
    b: &Element<S>,
    cs: &[C],
    ds: &[D],
    mut r: S::Scalar,
) -> Proof<S> {
    let w = collect_weights::<S, C, D>(mode, b, cs, ds);
    let m = sum_vartime::<S, C>(cs, w.as_slice());
    // Z = k·M. For one element Z = d₀·D₀, public values, so variable time is cheaper and
    // safe; for batches one constant-time multiplication beats an m-term sum.
    let z = match (ds, w.as_slice()) {
        ([d], [w0]) => S::mul_vartime(&d.as_ref().point, w0),
        _ => m * k,
    };
    let t2 = S::mul_base(&r);
    let t3 = m * r;
    let c = challenge::<S>(mode, b, &[m, z, t2, t3]);
    let s = r - c * k;
    zeroize::Zeroize::zeroize(&mut r);
    Proof { c, s }
}

/// RFC 9497 `VerifyProof(G, B, C, D, proof)` using `ComputeComposites`
/// ([§2.2.2](https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2)). Variable time: every
/// input is public.
pub(crate) fn verify<S: Suite, C: AsRef<Element<S>>, D: AsRef<Element<S>>>(
    mode: Mode,
    b: &Element<S>,
    cs: &[C],
    ds: &[D],
    proof: &Proof<S>,
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
    let w = collect_weights::<S, C, D>(mode, b, cs, ds);
    let m = sum_vartime::<S, C>(cs, w.as_slice());
    let z = sum_vartime::<S, D>(ds, w.as_slice());
    let t2 = S::mul_base_add_vartime(&proof.s, &proof.c, &b.point);
    let t3 = S::lincomb2_vartime((&m, &proof.s), (&z, &proof.c));
    let expected = challenge::<S>(mode, b, &[m, z, t2, t3]);
    if bool::from(subtle::ConstantTimeEq::ct_eq(&expected, &proof.c)) {
        Ok(())
    } else {
        Err(Error::Verify)
    }
}
