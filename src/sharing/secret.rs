//! [`Secret`] and [`Share`]: the two secret values of a sharing, with their hygiene.

use p256::elliptic_curve::Field;
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Error, HolderId};
use crate::group::EncodingError;
use crate::suite::{Suite, decode_nonzero_scalar, random_nonzero_scalar};

/// Length of an encoded scalar in both suites.
const SCALAR_LEN: usize = 32;

/// Length of an encoded [`Share`]: `id (1 byte) ‖ value (32 bytes)`, in both suites.
pub const SHARE_LEN: usize = 1 + SCALAR_LEN;

/// The shared secret `s`: a non-zero scalar of the suite's group.
///
/// Zeroized on drop; `Debug` prints `Secret(..)`; equality is constant time. Its bytes come
/// out only through [`Secret::to_secret_bytes`]. It is deliberately not `Clone`: every copy
/// is one more place the secret must be wiped from.
pub struct Secret<S: Suite>(S::Scalar);

impl<S: Suite> Secret<S> {
    /// Draws a uniformly random non-zero secret.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(random_nonzero_scalar::<S, R>(rng))
    }

    /// Decodes a secret from 32 bytes (big-endian for P-256, little-endian for
    /// ristretto255): canonical (below the group order) and non-zero.
    ///
    /// Errors: [`Error::NonCanonicalSecret`], [`Error::ZeroSecret`].
    pub fn from_bytes(bytes: &[u8; SCALAR_LEN]) -> Result<Self, Error> {
        match decode_nonzero_scalar::<S>(bytes) {
            Ok(scalar) => Ok(Self(scalar)),
            Err(EncodingError::ZeroScalar) => Err(Error::ZeroSecret),
            Err(_) => Err(Error::NonCanonicalSecret),
        }
    }

    /// Wraps a scalar; zero is rejected with [`Error::ZeroSecret`].
    pub fn from_scalar(scalar: S::Scalar) -> Result<Self, Error> {
        if bool::from(scalar.is_zero()) {
            return Err(Error::ZeroSecret);
        }
        Ok(Self(scalar))
    }

    /// The secret as 32 bytes in the suite's byte order, wiped when the returned buffer
    /// drops.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(S::encode_scalar(&self.0))
    }

    /// The secret scalar itself.
    ///
    /// **Secret**: use it only in constant-time arithmetic, and do not copy it into
    /// memory that is not wiped.
    pub fn as_scalar(&self) -> &S::Scalar {
        &self.0
    }

    /// The public image `s·G` (equal to the first Feldman commitment `C_0`), computed in
    /// constant time.
    pub fn public(&self) -> S::Point {
        S::mul_base(&self.0)
    }
}

impl<S: Suite> Drop for Secret<S> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<S: Suite> ZeroizeOnDrop for Secret<S> {}

impl<S: Suite> ConstantTimeEq for Secret<S> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

/// Constant time (through [`ConstantTimeEq`]).
impl<S: Suite> PartialEq for Secret<S> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<S: Suite> Eq for Secret<S> {}

/// Prints `Secret(..)`: never the value.
impl<S: Suite> core::fmt::Debug for Secret<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One holder's share: the point `(id, f(id))` of the secret polynomial `f`.
///
/// The id is public; the value is secret. Zeroized on drop; `Debug` prints only the id;
/// equality is constant time in the value. The value is never zero (a zero value would
/// not be encodable; [`deal`](super::deal) never produces one).
pub struct Share<S: Suite> {
    id: HolderId,
    value: S::Scalar,
}

impl<S: Suite> Clone for Share<S> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            value: self.value,
        }
    }
}

impl<S: Suite> Share<S> {
    /// Makes a share from its id and value; a zero value is rejected with
    /// [`Error::ShareValue`]`(`[`EncodingError::ZeroScalar`]`)`.
    pub fn new(id: HolderId, value: S::Scalar) -> Result<Self, Error> {
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
    pub fn as_scalar(&self) -> &S::Scalar {
        &self.value
    }

    /// Encodes the share as `id (1 byte) ‖ value (32 bytes, the suite's byte order)`, in a
    /// buffer wiped on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; SHARE_LEN]> {
        let mut out = Zeroizing::new([0u8; SHARE_LEN]);
        let mut value = Zeroizing::new(S::encode_scalar(&self.value));
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
        let value = decode_nonzero_scalar::<S>(value).map_err(Error::ShareValue)?;
        Ok(Self { id, value })
    }
}

impl<S: Suite> Drop for Share<S> {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl<S: Suite> ZeroizeOnDrop for Share<S> {}

impl<S: Suite> ConstantTimeEq for Share<S> {
    fn ct_eq(&self, other: &Self) -> Choice {
        Choice::from(u8::from(self.id == other.id)) & self.value.ct_eq(&other.value)
    }
}

/// Constant time in the value (through [`ConstantTimeEq`]).
impl<S: Suite> PartialEq for Share<S> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<S: Suite> Eq for Share<S> {}

/// Prints `Share { id: 3, .. }`: never the value.
impl<S: Suite> core::fmt::Debug for Share<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Share")
            .field("id", &self.id.get())
            .finish_non_exhaustive()
    }
}
