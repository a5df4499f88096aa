//! Holder identifiers and thresholds: the typed integers of a sharing policy.

use core::num::NonZeroU8;

use super::Error;

/// The identifier of a holder: the x-coordinate of its Shamir share, in `1..=255`.
///
/// Zero is unrepresentable: the share at x = 0 *is* the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HolderId(NonZeroU8);

impl HolderId {
    /// The smallest holder id, 1.
    pub const MIN: Self = Self(NonZeroU8::MIN);
    /// The largest holder id, 255.
    pub const MAX: Self = Self(NonZeroU8::MAX);

    /// Makes a holder id; `0` is rejected with [`Error::ZeroHolderId`].
    pub const fn new(id: u8) -> Result<Self, Error> {
        match NonZeroU8::new(id) {
            Some(id) => Ok(Self(id)),
            None => Err(Error::ZeroHolderId),
        }
    }

    /// The id as a byte (never zero).
    pub const fn get(self) -> u8 {
        self.0.get()
    }

    /// The id as a P-256 scalar (the share's x-coordinate).
    pub fn to_scalar(self) -> p256::Scalar {
        self.scalar::<crate::suite::P256>()
    }

    /// The id as a scalar of suite `S` (the share's x-coordinate).
    pub(crate) fn scalar<S: crate::suite::Suite>(self) -> S::Scalar {
        S::Scalar::from(u64::from(self.get()))
    }
}

impl TryFrom<u8> for HolderId {
    type Error = Error;
    fn try_from(id: u8) -> Result<Self, Error> {
        Self::new(id)
    }
}

impl From<HolderId> for u8 {
    fn from(id: HolderId) -> u8 {
        id.get()
    }
}

impl core::fmt::Display for HolderId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// The number of shares needed to rebuild a secret: `2..=255`.
///
/// A threshold of 1 would make every share equal to the secret, so it is unrepresentable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(u8);

impl Threshold {
    /// Makes a threshold; values below 2 are rejected with [`Error::ThresholdTooSmall`].
    pub const fn new(t: u8) -> Result<Self, Error> {
        if t < 2 {
            return Err(Error::ThresholdTooSmall { threshold: t });
        }
        Ok(Self(t))
    }

    /// The threshold as a byte (at least 2).
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The threshold as a count.
    pub const fn count(self) -> usize {
        self.0 as usize
    }
}

impl TryFrom<u8> for Threshold {
    type Error = Error;
    fn try_from(t: u8) -> Result<Self, Error> {
        Self::new(t)
    }
}

impl core::fmt::Display for Threshold {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}
