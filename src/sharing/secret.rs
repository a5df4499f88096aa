//! [`Secret`] and [`Share`]: the two secret values of a sharing, with their hygiene.

use p256::elliptic_curve::Field;
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Error, HolderId};
use crate::group::{self, EncodingError, ProjectivePoint, SCALAR_LEN, Scalar};

/// Length of an encoded [`Share`]: `id (1 byte) ‖ value (32 bytes, big-endian)`.
pub const SHARE_LEN: usize = 1 + SCALAR_LEN;

/// The shared secret `s`: a non-zero P-256 scalar.
///
/// Zeroized on drop; `Debug` prints `Secret(..)`; equality is constant time. Its bytes come
/// out only through [`Secret::to_secret_bytes`]. It is deliberately not `Clone`: every copy
/// is one more place the secret must be wiped from.
pub struct Secret(Scalar);

impl Secret {
    /// Draws a uniformly random non-zero secret.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(group::random_nonzero_scalar(rng))
    }

    /// Decodes a secret from 32 big-endian bytes: canonical (below the group order) and
    /// non-zero.
    ///
    /// Errors: [`Error::NonCanonicalSecret`], [`Error::ZeroSecret`].
    pub fn from_bytes(bytes: &[u8; SCALAR_LEN]) -> Result<Self, Error> {
        match group::decode_nonzero_scalar(bytes) {
            Ok(scalar) => Ok(Self(scalar)),
            Err(EncodingError::ZeroScalar) => Err(Error::ZeroSecret),
            Err(_) => Err(Error::NonCanonicalSecret),
        }
    }

    /// Wraps a scalar; zero is rejected with [`Error::ZeroSecret`].
    pub fn from_scalar(scalar: Scalar) -> Result<Self, Error> {
        if bool::from(scalar.is_zero()) {
            return Err(Error::ZeroSecret);
        }
        Ok(Self(scalar))
    }

    /// The secret as 32 big-endian bytes, wiped when the returned buffer drops.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(group::encode_scalar(&self.0))
    }

    /// The secret scalar itself.
    ///
    /// **Secret**: use it only in constant-time arithmetic, and do not copy it into
    /// memory that is not wiped.
    pub fn as_scalar(&self) -> &Scalar {
        &self.0
    }

    /// The public image `s·G` (equal to the first Feldman commitment `C_0`), computed in
    /// constant time.
    pub fn public(&self) -> ProjectivePoint {
        group::mul_base(&self.0)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

impl ConstantTimeEq for Secret {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

/// Constant time (through [`ConstantTimeEq`]).
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Secret {}

/// Prints `Secret(..)`: never the value.
impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One holder's share: the point `(id, f(id))` of the secret polynomial `f`.
///
/// The id is public; the value is secret. Zeroized on drop; `Debug` prints only the id;
/// equality is constant time in the value. The value is never zero (a zero value would
/// not be encodable; [`deal`](super::deal) never produces one).
#[derive(Clone)]
pub struct Share {
    id: HolderId,
    value: Scalar,
}

impl Share {
    /// Makes a share from its id and value; a zero value is rejected with
    /// [`Error::ShareValue`]`(`[`EncodingError::ZeroScalar`]`)`.
    pub fn new(id: HolderId, value: Scalar) -> Result<Self, Error> {
        if bool::from(value.is_zero()) {
            return Err(Error::ShareValue(EncodingError::ZeroScalar));
        }
        Ok(Self { id, value })
    }

    /// The holder this share belongs to (its x-coordinate).
    pub fn id(&self) -> HolderId {
        self.id
    }

    /// The share value `f(id)`.
    ///
    /// **Secret**: use it only in constant-time arithmetic.
    pub fn as_scalar(&self) -> &Scalar {
        &self.value
    }

    /// Encodes the share as `id (1 byte) ‖ value (32 bytes big-endian)`, in a buffer wiped
    /// on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; SHARE_LEN]> {
        let mut out = Zeroizing::new([0u8; SHARE_LEN]);
        let mut value = Zeroizing::new(group::encode_scalar(&self.value));
        if let Some((id, rest)) = out.split_first_mut() {
            *id = self.id.get();
            rest.copy_from_slice(value.as_mut_slice());
        }
        out
    }

    /// Decodes a share strictly: exactly [`SHARE_LEN`] bytes, non-zero id, canonical
    /// non-zero value.
    ///
    /// Errors: [`Error::ShareLength`], [`Error::ZeroHolderId`], [`Error::ShareValue`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != SHARE_LEN {
            return Err(Error::ShareLength { found: bytes.len() });
        }
        let (&id, value) = bytes
            .split_first()
            .ok_or(Error::ShareLength { found: bytes.len() })?;
        let id = HolderId::new(id)?;
        let value = group::decode_nonzero_scalar(value).map_err(Error::ShareValue)?;
        Ok(Self { id, value })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl ZeroizeOnDrop for Share {}

impl ConstantTimeEq for Share {
    fn ct_eq(&self, other: &Self) -> Choice {
        Choice::from(u8::from(self.id == other.id)) & self.value.ct_eq(&other.value)
    }
}

/// Constant time in the value (through [`ConstantTimeEq`]).
impl PartialEq for Share {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Share {}

/// Prints `Share { id: 3, .. }`: never the value.
impl core::fmt::Debug for Share {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Share")
            .field("id", &self.id.get())
            .finish_non_exhaustive()
    }
}
