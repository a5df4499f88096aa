//! Ciphersuites: the prime-order group and the RFC 9497 hash choices every
//! suite-dependent object is built on.
//!
//! | suite byte | [`Suite`] | RFC 9497 | element | scalar | `Hash`, `Nh` |
//! |---|---|---|---|---|---|
//! | `0x01` | [`P256`] (default) | P256-SHA256, [§4.3](https://www.rfc-editor.org/rfc/rfc9497#section-4.3) | 33 B SEC1 compressed | 32 B big-endian | SHA-256, 32 |
//! | `0x02` | `Ristretto255` (feature `ristretto255`) | ristretto255-SHA512, [§4.1](https://www.rfc-editor.org/rfc/rfc9497#section-4.1) | 32 B canonical | 32 B little-endian | SHA-512, 64 |
//!
//! The OPRF, the sharing, the gates, the key server and the vault are written once,
//! generic over [`Suite`] (see [`crate::generic`]); the crate's top-level modules name the
//! P-256 instances, and `quorumkey::ristretto255` the ristretto255 ones. BLAKE3 (every
//! key derivation and digest), XChaCha20-Poly1305 and Argon2id are the same in both suites.
//!
//! The trait is sealed: a suite is a reviewed set of choices, not an extension point.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt::Debug;
use core::hash::Hash;

use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::elliptic_curve::group::Group;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::group::EncodingError;

mod sealed {
    pub trait Sealed {}
}

/// A fixed-length byte array (an element encoding, an OPRF output): `[u8; 32]`, `[u8; 33]`
/// or `[u8; 64]`. Sealed.
pub trait ByteArray:
    AsRef<[u8]>
    + AsMut<[u8]>
    + Copy
    + Eq
    + Ord
    + Hash
    + Debug
    + Send
    + Sync
    + Zeroize
    + for<'a> TryFrom<&'a [u8]>
    + 'static
    + sealed::Sealed
{
    /// The length in bytes.
    const LEN: usize;
    /// All zeros.
    fn zeroed() -> Self;
}

macro_rules! byte_array {
    ($($n:literal),*) => {$(
        impl sealed::Sealed for [u8; $n] {}
        impl ByteArray for [u8; $n] {
            const LEN: usize = $n;
            fn zeroed() -> Self {
                [0u8; $n]
            }
        }
    )*};
}

byte_array!(32, 33, 64);

/// The runtime name of a suite: the suite byte every vault header, gate request, gate
/// response and key set carries right after its `QK 02 type` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum SuiteId {
    /// `0x01`: P-256, RFC 9497 P256-SHA256. The default, and the interoperable choice.
    P256 = 0x01,
    /// `0x02`: ristretto255, RFC 9497 ristretto255-SHA512 (feature `ristretto255`).
    #[cfg(feature = "ristretto255")]
    Ristretto255 = 0x02,
}

impl SuiteId {
    /// Every suite this build knows, in byte order.
    pub const ALL: &'static [Self] = &[
        Self::P256,
        #[cfg(feature = "ristretto255")]
        Self::Ristretto255,
    ];

    /// The suite byte.
    pub const fn to_byte(self) -> u8 {
        self as u8
    }

    /// The suite of a suite byte, if this build knows it (`0x02` needs the `ristretto255`
    /// feature).
    pub fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.to_byte() == byte)
    }

    /// A short stable name: `p256` or `ristretto255` (the key server's `suite` query
    /// parameter, `spec/http-api.md`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::P256 => "p256",
            #[cfg(feature = "ristretto255")]
            Self::Ristretto255 => "ristretto255",
        }
    }

    /// The suite named `name` ([`SuiteId::name`]), if this build knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// The RFC 9497 identifier: `P256-SHA256` or `ristretto255-SHA512`.
    pub const fn rfc9497_identifier(self) -> &'static str {
        match self {
            Self::P256 => P256::IDENTIFIER,
            #[cfg(feature = "ristretto255")]
            Self::Ristretto255 => Ristretto255::IDENTIFIER,
        }
    }
}

impl core::fmt::Display for SuiteId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A ciphersuite: a prime-order group with its encodings and the RFC 9497 hash functions.
///
/// Everything the generic code needs from a suite and nothing more: the encodings
/// (`SerializeElement`, `SerializeScalar` and their strict inverses), `HashToGroup` /
/// `HashToScalar` with a caller's DST, the suite's `Hash`, and the few multiplications
/// whose speed or timing differs by suite. Group arithmetic itself comes from the
/// `group`/`ff` traits both backends implement.
///
/// # Constant time
///
/// [`Suite::mul_base`] and `point * scalar` (the `group::Group` `Mul`) are constant time;
/// the methods named `*_vartime` are not and take public operands only. Hashing to the
/// group is constant time in the input. Decoders run in time that depends only on the
/// (public) encoding.
pub trait Suite:
    Copy + Clone + Debug + PartialEq + Eq + Hash + Send + Sync + 'static + sealed::Sealed
{
    /// The suite byte.
    const ID: SuiteId;
    /// The RFC 9497 identifier, used in the context string.
    const IDENTIFIER: &'static str;
    /// Length of an encoded element (`Ne`).
    const ELEMENT_LEN: usize;
    /// Length of an encoded scalar (`Ns`): 32 in both suites.
    const SCALAR_LEN: usize = 32;
    /// Length of the suite's `Hash` output, and so of an OPRF output (`Nh`).
    const OUTPUT_LEN: usize;
    /// `"OPRFV1-" ‖ 0x00 ‖ "-" ‖ identifier`: the context string with mode byte 0 (the
    /// mode's byte replaces it; [`crate::oprf::context_string`]).
    const CONTEXT: &'static [u8];

    /// A scalar of the group's prime order field.
    type Scalar: PrimeField + Zeroize + ConstantTimeEq + Debug + Send + Sync + 'static;
    /// A group element.
    type Point: Group<Scalar = Self::Scalar>
        + ConstantTimeEq
        + Zeroize
        + Debug
        + Send
        + Sync
        + 'static;
    /// An encoded element, `[u8; ELEMENT_LEN]`.
    type ElementBytes: ByteArray;
    /// A `Hash` output, `[u8; OUTPUT_LEN]`.
    type OutputBytes: ByteArray;

    /// `SerializeScalar`: 32 bytes in the suite's byte order.
    fn encode_scalar(scalar: &Self::Scalar) -> [u8; 32];
    /// `DeserializeScalar`: exactly 32 bytes, canonical (less than the group order).
    fn decode_scalar(bytes: &[u8]) -> Result<Self::Scalar, EncodingError>;
    /// `SerializeElement`. The identity has no encoding in P-256 (it encodes as zeros,
    /// which every decoder rejects); in ristretto255 it is the all-zero string, likewise
    /// rejected. Callers never hold the identity.
    fn encode_element(point: &Self::Point) -> Self::ElementBytes;
    /// [`Suite::encode_element`] for many points, sharing work where the group allows it
    /// (one field inversion for a P-256 batch). Intermediate copies of the points are
    /// zeroized (unblinded elements are secret).
    #[cfg(feature = "alloc")]
    fn encode_elements(points: &[Self::Point]) -> Vec<Self::ElementBytes> {
        points.iter().map(Self::encode_element).collect()
    }
    /// `DeserializeElement`: exactly `ELEMENT_LEN` bytes, the canonical encoding of a
    /// group element, not the identity.
    fn decode_element(bytes: &[u8]) -> Result<Self::Point, EncodingError>;

    /// RFC 9380 `hash_to_curve` (P-256) / `hash_to_ristretto255` over the concatenation
    /// of `msg`, with the concatenation of `dst` as DST. `None` only for an invalid DST
    /// (empty or longer than 255 bytes), which the crate never passes.
    fn hash_to_group(msg: &[&[u8]], dst: &[&[u8]]) -> Option<Self::Point>;
    /// RFC 9497 `HashToScalar` over the concatenation of `msg` with DST `dst`: RFC 9380
    /// `hash_to_field` with `L = 48` (P-256) or 64 uniform bytes reduced modulo the order
    /// (ristretto255).
    fn hash_to_scalar(msg: &[&[u8]], dst: &[&[u8]]) -> Self::Scalar;
    /// The suite's `Hash` (SHA-256 / SHA-512) over the concatenation of `parts`.
    fn hash_concat(parts: &[&[u8]]) -> Self::OutputBytes;

    /// A uniformly random scalar (possibly zero).
    fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Self::Scalar;
    /// `k·G`, constant time.
    fn mul_base(k: &Self::Scalar) -> Self::Point;
    /// `k·G`, **variable time**: public `k` only.
    fn mul_base_vartime(k: &Self::Scalar) -> Self::Point;
    /// `k·P`, **variable time**: public `k` and `P` only.
    fn mul_vartime(point: &Self::Point, k: &Self::Scalar) -> Self::Point;
    /// `a·G + b·P`, **variable time**: public operands only.
    fn mul_base_add_vartime(a: &Self::Scalar, b: &Self::Scalar, p: &Self::Point) -> Self::Point;
    /// `a·P + b·Q`, **variable time**: public operands only.
    fn lincomb2_vartime(
        p: (&Self::Point, &Self::Scalar),
        q: (&Self::Point, &Self::Scalar),
    ) -> Self::Point;
    /// `Σ kᵢ·Pᵢ`, **variable time**: public operands only.
    #[cfg(feature = "alloc")]
    fn multiscalar_vartime(terms: &[(Self::Point, Self::Scalar)]) -> Self::Point;
}

/// Draws a uniformly random non-zero scalar (redrawing zero, which has probability about
/// `2⁻²⁵²`).
pub(crate) fn random_nonzero_scalar<S: Suite, R: CryptoRng + ?Sized>(rng: &mut R) -> S::Scalar {
    loop {
        let k = S::random_scalar(rng);
        if !bool::from(k.is_zero()) {
            return k;
        }
    }
}

/// Decodes a canonical, non-zero scalar.
pub(crate) fn decode_nonzero_scalar<S: Suite>(bytes: &[u8]) -> Result<S::Scalar, EncodingError> {
    let scalar = S::decode_scalar(bytes)?;
    if bool::from(scalar.is_zero()) {
        return Err(EncodingError::ZeroScalar);
    }
    Ok(scalar)
}

/// Whether `point` is the identity (constant time in the point's value).
pub(crate) fn is_identity<S: Suite>(point: &S::Point) -> bool {
    point.is_identity().into()
}

// ---------------------------------------------------------------------------------------
// P-256
// ---------------------------------------------------------------------------------------

/// NIST P-256 with RFC 9497 P256-SHA256: SEC1 compressed 33-byte elements, 32-byte
/// big-endian scalars, `hash_to_curve` `P256_XMD:SHA-256_SSWU_RO_`, SHA-256 (`Nh = 32`).
/// Suite byte `0x01`; the default suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct P256;

impl sealed::Sealed for P256 {}

impl Suite for P256 {
    const ID: SuiteId = SuiteId::P256;
    const IDENTIFIER: &'static str = "P256-SHA256";
    const ELEMENT_LEN: usize = 33;
    const OUTPUT_LEN: usize = 32;
    const CONTEXT: &'static [u8] = b"OPRFV1-\x00-P256-SHA256";

    type Scalar = p256::Scalar;
    type Point = p256::ProjectivePoint;
    type ElementBytes = [u8; 33];
    type OutputBytes = [u8; 32];

    fn encode_scalar(scalar: &Self::Scalar) -> [u8; 32] {
        crate::group::encode_scalar(scalar)
    }

    fn decode_scalar(bytes: &[u8]) -> Result<Self::Scalar, EncodingError> {
        crate::group::decode_scalar(bytes)
    }

    fn encode_element(point: &Self::Point) -> [u8; 33] {
        crate::group::encode_element(point)
    }

    #[cfg(feature = "alloc")]
    fn encode_elements(points: &[Self::Point]) -> Vec<[u8; 33]> {
        use p256::elliptic_curve::point::BatchNormalize;
        // The points may be secret (unblinded elements): the affine copies are wiped.
        let affine: zeroize::Zeroizing<Vec<p256::AffinePoint>> =
            zeroize::Zeroizing::new(p256::ProjectivePoint::batch_normalize(points));
        affine.iter().map(crate::group::encode_affine).collect()
    }

    fn decode_element(bytes: &[u8]) -> Result<Self::Point, EncodingError> {
        crate::group::decode_element(bytes)
    }

    fn hash_to_group(msg: &[&[u8]], dst: &[&[u8]]) -> Option<Self::Point> {
        use p256::hash2curve::GroupDigest;
        p256::NistP256::hash_from_bytes(msg, dst).ok()
    }

    fn hash_to_scalar(msg: &[&[u8]], dst: &[&[u8]]) -> Self::Scalar {
        use p256::elliptic_curve::consts::U48;
        use p256::hash2curve::{ExpandMsgXmd, hash_to_scalar};
        // expand_message_xmd fails only for an empty DST or an output over 255 blocks,
        // neither of which the crate's fixed, non-empty DSTs and L = 48 can produce.
        hash_to_scalar::<p256::NistP256, ExpandMsgXmd<sha2::Sha256>, U48>(msg, dst)
            .unwrap_or(p256::Scalar::ZERO)
    }

    fn hash_concat(parts: &[&[u8]]) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in parts {
            h.update(part);
        }
        h.finalize().into()
    }

    fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Self::Scalar {
        crate::group::random_scalar(rng)
    }

    fn mul_base(k: &Self::Scalar) -> Self::Point {
        crate::group::mul_base(k)
    }

    fn mul_base_vartime(k: &Self::Scalar) -> Self::Point {
        use p256::elliptic_curve::ops::MulByGeneratorVartime;
        p256::ProjectivePoint::mul_by_generator_vartime(k)
    }

    fn mul_vartime(point: &Self::Point, k: &Self::Scalar) -> Self::Point {
        point.mul_vartime(k)
    }

    fn mul_base_add_vartime(a: &Self::Scalar, b: &Self::Scalar, p: &Self::Point) -> Self::Point {
        crate::group::mul_base_add_vartime(a, b, p)
    }

    fn lincomb2_vartime(
        p: (&Self::Point, &Self::Scalar),
        q: (&Self::Point, &Self::Scalar),
    ) -> Self::Point {
        use p256::elliptic_curve::ops::LinearCombination;
        p256::ProjectivePoint::lincomb_vartime(&[(*p.0, *p.1), (*q.0, *q.1)])
    }

    #[cfg(feature = "alloc")]
    fn multiscalar_vartime(terms: &[(Self::Point, Self::Scalar)]) -> Self::Point {
        use p256::elliptic_curve::ops::LinearCombination;
        p256::ProjectivePoint::lincomb_vartime(terms)
    }
}

// ---------------------------------------------------------------------------------------
// ristretto255
// ---------------------------------------------------------------------------------------

#[cfg(feature = "ristretto255")]
pub use ristretto::Ristretto255;

#[cfg(feature = "ristretto255")]
mod ristretto {
    use core::num::NonZero;

    use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::Identity;
    use p256::elliptic_curve::consts::U32;
    use p256::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
    use rand_core::CryptoRng;

    use super::{EncodingError, Suite, SuiteId, sealed};
    use crate::group::exact;

    /// ristretto255 with RFC 9497 ristretto255-SHA512: 32-byte canonical element
    /// encodings (RFC 9496), 32-byte little-endian scalars, `hash_to_ristretto255` with
    /// `expand_message_xmd` over SHA-512, SHA-512 (`Nh = 64`). Suite byte `0x02`.
    ///
    /// Arithmetic is `curve25519-dalek`'s: constant-time variable-base multiplication, a
    /// constant-time basepoint table compiled into the binary (no std needed), and
    /// Straus/Pippenger multiscalar multiplication for the public sums.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct Ristretto255;

    impl sealed::Sealed for Ristretto255 {}

    /// RFC 9380 `expand_message_xmd` with SHA-512 to 64 bytes; `None` for an invalid DST.
    fn expand_64(msg: &[&[u8]], dst: &[&[u8]]) -> Option<[u8; 64]> {
        // 128-bit security (K = 32 bytes), as RFC 9497 §4.1 asks.
        let mut expander = <ExpandMsgXmd<sha2::Sha512> as ExpandMsg<U32>>::expand_message(
            msg,
            dst,
            NonZero::new(64)?,
        )
        .ok()?;
        let mut out = [0u8; 64];
        expander.fill_bytes(&mut out).ok()?;
        Some(out)
    }

    impl Suite for Ristretto255 {
        const ID: SuiteId = SuiteId::Ristretto255;
        const IDENTIFIER: &'static str = "ristretto255-SHA512";
        const ELEMENT_LEN: usize = 32;
        const OUTPUT_LEN: usize = 64;
        const CONTEXT: &'static [u8] = b"OPRFV1-\x00-ristretto255-SHA512";

        type Scalar = Scalar;
        type Point = RistrettoPoint;
        type ElementBytes = [u8; 32];
        type OutputBytes = [u8; 64];

        fn encode_scalar(scalar: &Scalar) -> [u8; 32] {
            scalar.to_bytes()
        }

        fn decode_scalar(bytes: &[u8]) -> Result<Scalar, EncodingError> {
            let array: [u8; 32] = exact(bytes)?;
            Option::from(Scalar::from_canonical_bytes(array))
                .ok_or(EncodingError::NonCanonicalScalar)
        }

        fn encode_element(point: &RistrettoPoint) -> [u8; 32] {
            point.compress().to_bytes()
        }

        fn decode_element(bytes: &[u8]) -> Result<RistrettoPoint, EncodingError> {
            let array: [u8; 32] = exact(bytes)?;
            if array.iter().all(|&b| b == 0) {
                return Err(EncodingError::IdentityElement);
            }
            // RFC 9496 §4.3.1 decoding: rejects non-canonical field encodings, negative
            // `s` and points off the group.
            let point = CompressedRistretto(array)
                .decompress()
                .ok_or(EncodingError::InvalidElement)?;
            if super::is_identity::<Self>(&point) {
                return Err(EncodingError::IdentityElement);
            }
            Ok(point)
        }

        fn hash_to_group(msg: &[&[u8]], dst: &[&[u8]]) -> Option<RistrettoPoint> {
            // RFC 9380 Appendix B `hash_to_ristretto255`: the RFC 9496 one-way map of 64
            // uniform bytes.
            expand_64(msg, dst).map(|uniform| RistrettoPoint::from_uniform_bytes(&uniform))
        }

        fn hash_to_scalar(msg: &[&[u8]], dst: &[&[u8]]) -> Scalar {
            // RFC 9497 §4.1: 64 uniform bytes, little-endian, reduced modulo the order.
            expand_64(msg, dst)
                .map(|uniform| Scalar::from_bytes_mod_order_wide(&uniform))
                .unwrap_or(Scalar::ZERO)
        }

        fn hash_concat(parts: &[&[u8]]) -> [u8; 64] {
            use sha2::Digest;
            let mut h = sha2::Sha512::new();
            for part in parts {
                h.update(part);
            }
            h.finalize().into()
        }

        fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
            Scalar::random(rng)
        }

        fn mul_base(k: &Scalar) -> RistrettoPoint {
            RistrettoPoint::mul_base(k)
        }

        fn mul_base_vartime(k: &Scalar) -> RistrettoPoint {
            RistrettoPoint::vartime_double_scalar_mul_basepoint(
                &Scalar::ZERO,
                &RistrettoPoint::identity(),
                k,
            )
        }

        fn mul_vartime(point: &RistrettoPoint, k: &Scalar) -> RistrettoPoint {
            RistrettoPoint::vartime_double_scalar_mul_basepoint(k, point, &Scalar::ZERO)
        }

        fn mul_base_add_vartime(a: &Scalar, b: &Scalar, p: &RistrettoPoint) -> RistrettoPoint {
            RistrettoPoint::vartime_double_scalar_mul_basepoint(b, p, a)
        }

        fn lincomb2_vartime(
            p: (&RistrettoPoint, &Scalar),
            q: (&RistrettoPoint, &Scalar),
        ) -> RistrettoPoint {
            #[cfg(feature = "alloc")]
            {
                use curve25519_dalek::traits::VartimeMultiscalarMul;
                RistrettoPoint::vartime_multiscalar_mul([p.1, q.1], [p.0, q.0])
            }
            #[cfg(not(feature = "alloc"))]
            {
                Self::mul_vartime(p.0, p.1) + Self::mul_vartime(q.0, q.1)
            }
        }

        #[cfg(feature = "alloc")]
        fn multiscalar_vartime(terms: &[(RistrettoPoint, Scalar)]) -> RistrettoPoint {
            use curve25519_dalek::traits::VartimeMultiscalarMul;
            RistrettoPoint::vartime_multiscalar_mul(
                terms.iter().map(|(_, k)| k),
                terms.iter().map(|(p, _)| p),
            )
        }
    }
}
