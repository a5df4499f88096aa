//! The P-256 group (suite [`P256`](crate::suite::P256)) with the encodings its objects use.
//! The ristretto255 suite's encodings are in [`crate::suite`].
//!
//! * A **scalar** is 32 bytes, big-endian, canonical (strictly less than the group order
//!   `n`). RFC 9497 §4.3 `SerializeScalar`.
//! * An **element** is the 33-byte SEC1 compressed encoding of a point that is not the
//!   identity. RFC 9497 §4.3 `SerializeElement` / `DeserializeElement`.
//!
//! Decoders here are the only way outside bytes become group values, so every check the
//! specification asks for (length, canonical form, on-curve, non-identity, non-zero) is made
//! once, in this module. See `spec/wire-format.md` §"Primitives".

use p256::elliptic_curve::group::GroupEncoding;
use p256::elliptic_curve::ops::MulByGeneratorVartime;
use p256::elliptic_curve::{Field, Generate, PrimeField};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;

pub use p256::{AffinePoint, ProjectivePoint, Scalar};

/// Length of an encoded scalar: 32 bytes, big-endian.
pub const SCALAR_LEN: usize = 32;
/// Length of an encoded group element: 33 bytes, SEC1 compressed.
pub const ELEMENT_LEN: usize = 33;

/// Why a scalar or element encoding was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodingError {
    /// The input had the wrong length (`expected` bytes were required).
    Length {
        /// Required length in bytes.
        expected: usize,
        /// Length actually given.
        found: usize,
    },
    /// A scalar was not less than the group order.
    NonCanonicalScalar,
    /// A scalar was zero where zero is not allowed.
    ZeroScalar,
    /// The bytes are not the compressed encoding of a point on P-256.
    InvalidElement,
    /// The element is the identity (point at infinity), which is never allowed.
    IdentityElement,
}

impl core::fmt::Display for EncodingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Length { expected, found } => {
                write!(f, "wrong length: expected {expected} bytes, found {found}")
            }
            Self::NonCanonicalScalar => f.write_str("scalar is not less than the group order"),
            Self::ZeroScalar => f.write_str("scalar is zero"),
            Self::InvalidElement => f.write_str("bytes are not a compressed P-256 point"),
            Self::IdentityElement => f.write_str("element is the identity"),
        }
    }
}

impl core::error::Error for EncodingError {}

/// Checks that `bytes` has exactly `N` bytes and returns them as an array.
pub(crate) fn exact<const N: usize>(bytes: &[u8]) -> Result<[u8; N], EncodingError> {
    bytes.try_into().map_err(|_| EncodingError::Length {
        expected: N,
        found: bytes.len(),
    })
}

/// Encodes a scalar as 32 big-endian bytes (RFC 9497 `SerializeScalar`).
pub fn encode_scalar(scalar: &Scalar) -> [u8; SCALAR_LEN] {
    scalar.to_repr().into()
}

/// Decodes a canonical scalar; zero is accepted (RFC 9497 `DeserializeScalar`).
pub fn decode_scalar(bytes: &[u8]) -> Result<Scalar, EncodingError> {
    let array: [u8; SCALAR_LEN] = exact(bytes)?;
    Option::from(Scalar::from_repr(array.into())).ok_or(EncodingError::NonCanonicalScalar)
}

/// Decodes a canonical, non-zero scalar.
pub fn decode_nonzero_scalar(bytes: &[u8]) -> Result<Scalar, EncodingError> {
    let scalar = decode_scalar(bytes)?;
    if bool::from(scalar.is_zero()) {
        return Err(EncodingError::ZeroScalar);
    }
    Ok(scalar)
}

/// Writes `bytes` as lowercase hex: how `Debug` shows public encodings.
pub(crate) fn write_hex(f: &mut core::fmt::Formatter<'_>, bytes: &[u8]) -> core::fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// Encodes a group element as 33 bytes, SEC1 compressed (RFC 9497 `SerializeElement`).
///
/// The identity has no such encoding; callers never hold one (every decoder and every
/// constructor rejects it), and if one slips through it encodes as 33 zero bytes, which
/// every decoder rejects.
pub fn encode_element(element: &ProjectivePoint) -> [u8; ELEMENT_LEN] {
    let bytes = element.to_bytes();
    let mut out = [0u8; ELEMENT_LEN];
    if bytes.len() == ELEMENT_LEN {
        out.copy_from_slice(&bytes);
    }
    out
}

/// SEC1-compressed encoding of an affine point (33 zero bytes for the identity, which
/// no honest run produces).
#[cfg(feature = "alloc")]
pub(crate) fn encode_affine(point: &AffinePoint) -> [u8; ELEMENT_LEN] {
    let mut out = [0u8; ELEMENT_LEN];
    if !bool::from(point.is_identity()) {
        let bytes = point.to_bytes();
        if bytes.len() == ELEMENT_LEN {
            out.copy_from_slice(&bytes);
        }
    }
    out
}

/// Decodes a compressed, on-curve, non-identity element (RFC 9497 `DeserializeElement`).
pub fn decode_element(bytes: &[u8]) -> Result<ProjectivePoint, EncodingError> {
    let array: [u8; ELEMENT_LEN] = exact(bytes)?;
    if array.iter().all(|&b| b == 0) {
        return Err(EncodingError::IdentityElement);
    }
    // Only the compressed tags: p256 also accepts the 33-byte SEC1 "compact" form (tag
    // 0x05), which would decode to a point whose canonical encoding differs.
    if !matches!(array.first(), Some(0x02 | 0x03)) {
        return Err(EncodingError::InvalidElement);
    }
    let point: Option<ProjectivePoint> = ProjectivePoint::from_bytes(&array.into()).into();
    let point = point.ok_or(EncodingError::InvalidElement)?;
    if is_identity(&point) {
        return Err(EncodingError::IdentityElement);
    }
    Ok(point)
}

/// Whether `point` is the identity (constant time in the point's value).
pub fn is_identity(point: &ProjectivePoint) -> bool {
    point.ct_eq(&ProjectivePoint::IDENTITY).into()
}

/// Draws a uniformly random non-zero scalar from `rng`.
pub fn random_nonzero_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    *p256::NonZeroScalar::generate_from_rng(rng)
}

/// Draws a uniformly random scalar (possibly zero) from `rng`.
pub fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    Scalar::random(rng)
}

/// `k·G` in constant time.
///
/// p256's `mul_by_generator`: `GENERATOR * k` without the `precomputed-tables` feature, the
/// constant-time basepoint-table multiplication (`BasepointTable::mul`: masked table
/// selects, complete additions) with it.
pub fn mul_base(k: &Scalar) -> ProjectivePoint {
    <ProjectivePoint as p256::elliptic_curve::Group>::mul_by_generator(k)
}

/// `a·G + b·P` in **variable time**: only for public `a`, `b` and `P`.
pub fn mul_base_add_vartime(a: &Scalar, b: &Scalar, p: &ProjectivePoint) -> ProjectivePoint {
    ProjectivePoint::mul_by_generator_and_mul_add_vartime(a, b, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_round_trip_and_rejections() {
        let g = ProjectivePoint::GENERATOR;
        let bytes = encode_element(&g);
        assert_eq!(decode_element(&bytes), Ok(g));
        assert_eq!(
            decode_element(&[0u8; ELEMENT_LEN]),
            Err(EncodingError::IdentityElement)
        );
        assert_eq!(
            decode_element(&bytes[..32]),
            Err(EncodingError::Length {
                expected: 33,
                found: 32
            })
        );
        let mut bad = bytes;
        bad[0] = 0x04;
        assert_eq!(decode_element(&bad), Err(EncodingError::InvalidElement));
    }

    #[test]
    fn scalar_rejections() {
        assert_eq!(
            decode_scalar(&[0xff; 32]),
            Err(EncodingError::NonCanonicalScalar)
        );
        assert_eq!(
            decode_nonzero_scalar(&[0; 32]),
            Err(EncodingError::ZeroScalar)
        );
        let one = encode_scalar(&Scalar::ONE);
        assert_eq!(decode_nonzero_scalar(&one), Ok(Scalar::ONE));
    }
}
