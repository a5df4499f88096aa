//! Feldman-verified Shamir secret sharing over the P-256 scalar field.

mod ids;

pub use ids::{HolderId, Threshold};

/// Why a sharing operation or a sharing encoding failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// A holder id was zero (the share at x = 0 is the secret itself).
    ZeroHolderId,
    /// The threshold was below 2.
    ThresholdTooSmall {
        /// The threshold given.
        threshold: u8,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ZeroHolderId => f.write_str("holder id 0 is not allowed"),
            Self::ThresholdTooSmall { threshold } => {
                write!(f, "threshold {threshold} is below the minimum of 2")
            }
        }
    }
}

impl core::error::Error for Error {}
