//! Feldman-verified Shamir secret sharing over the scalar field of the suite's group
//! (P-256 here; the same code over ristretto255 in `quorumkey::ristretto255::sharing`).
//!
//! # The scheme
//!
//! To share a non-zero secret `s` among `n` holders with threshold `t` (`2 ≤ t ≤ n ≤ 255`),
//! the dealer draws a random polynomial of degree `t - 1` with `f(0) = s`:
//!
//! ```text
//! f(x) = a_0 + a_1·x + … + a_{t-1}·x^{t-1},   a_0 = s, a_1..a_{t-1} random non-zero
//! ```
//!
//! Holder `i` (id `x_i` in `1..=255`, see [`HolderId`]) receives the [`Share`]
//! `(x_i, y_i = f(x_i))`. Any `t` shares determine `f` and hence `s = f(0)` by Lagrange
//! interpolation. `t - 1` shares alone are independent of `s`; together with the public
//! commitments they reveal only `s·G` (Feldman's scheme hides `s` computationally, under
//! the discrete-logarithm assumption, not information-theoretically).
//!
//! The dealer also publishes Feldman [`Commitments`] `C_j = a_j·G` (exactly `t` points, none
//! the identity; `C_0 = s·G`). A share is valid iff
//!
//! ```text
//! y_i·G == Σ_j x_i^j · C_j
//! ```
//!
//! # Batch verification
//!
//! [`Commitments::batch_verify`] checks `m` shares at once: with fresh uniformly random
//! weights `r_i` it checks
//!
//! ```text
//! (Σ_i r_i·y_i)·G == Σ_j (Σ_i r_i·x_i^j)·C_j
//! ```
//!
//! which costs one base multiplication and one `t`-point multi-scalar multiplication
//! instead of `m` checks. If some share is invalid, write `D_i = y_i·G - Σ_j x_i^j·C_j
//! = d_i·G`; the batch passes only if `Σ r_i·d_i = 0`, a non-trivial linear equation in the
//! uniformly random `r_i`, which holds with probability `1/q` (`q ≈ 2²⁵⁶` the group order)
//! per check. On failure every share is checked on its own so the error
//! ([`Error::InvalidShares`]) names every culprit.
//!
//! # Constant time
//!
//! * Constant time (secret data): sampling and evaluating the polynomial, the commitments
//!   `a_j·G`, `y_i·G`, `(Σ r_i·y_i)·G`, the Lagrange sum `Σ λ_i·y_i`, and the final
//!   `s·G == C_0` check. Secrets compare with [`subtle::ConstantTimeEq`].
//! * Variable time (public data only): `Σ_j x_i^j·C_j` (Horner's rule with the 8-bit id),
//!   the batch multi-scalar multiplication over the public commitments (its scalars depend
//!   only on public ids and on the random weights, which say nothing about any secret),
//!   and the Lagrange coefficients (functions of the public ids).
//!
//! # What the API rules out
//!
//! A zero secret, a zero or duplicate holder id, `t < 2` or `t > n`, a commitment list of
//! the wrong size or containing the identity, and combining fewer than `t` or unverified
//! shares are all typed errors, never panics and never a wrong secret.
//!
//! Without the `alloc` feature, [`HolderId`], [`Threshold`], [`HolderSet`], [`Secret`],
//! [`Share`], [`verify_share`] and [`combine_individually`] (both over a slice of
//! commitments) remain available.

mod ids;
pub(crate) mod secret;
mod set;
pub(crate) mod verify;

#[cfg(feature = "alloc")]
pub(crate) mod commitments;
#[cfg(feature = "alloc")]
mod deal;

#[cfg(feature = "alloc")]
pub use commitments::{combine, share_for};
#[cfg(feature = "alloc")]
pub use deal::deal;
pub use ids::{HolderId, Threshold};
pub use secret::SHARE_LEN;
pub use set::HolderSet;

/// The suite-dependent names of this module, for one suite.
macro_rules! suite_sharing {
    ($suite:ty, $name:literal) => {
        #[doc = concat!("The shared secret `s` (", $name, ").")]
        pub type Secret = $crate::generic::Secret<$suite>;
        #[doc = concat!("One holder's share (", $name, ").")]
        pub type Share = $crate::generic::Share<$suite>;
        #[cfg(feature = "alloc")]
        #[doc = concat!("The Feldman commitments of one dealing (", $name, ").")]
        pub type Commitments = $crate::generic::Commitments<$suite>;

        /// Verifies one share against Feldman commitments `C_0..C_{t-1}` given as a slice
        /// (no allocator needed); see [`verify_share`]($crate::generic::verify_share).
        pub fn verify_share(
            commitments: &[<$suite as $crate::suite::Suite>::Point],
            share: &Share,
        ) -> Result<(), $crate::sharing::Error> {
            $crate::generic::verify_share::<$suite>(commitments, share)
        }

        /// Rebuilds the secret from shares, verifying each share individually against
        /// commitments given as a slice (no allocator or RNG needed); see
        /// [`combine_individually`]($crate::generic::combine_individually).
        pub fn combine_individually(
            commitments: &[<$suite as $crate::suite::Suite>::Point],
            shares: &[Share],
        ) -> Result<Secret, $crate::sharing::Error> {
            $crate::generic::combine_individually::<$suite>(commitments, shares)
        }
    };
}
#[cfg(feature = "ristretto255")]
pub(crate) use suite_sharing;

suite_sharing!(crate::suite::P256, "P-256");

use crate::group::EncodingError;

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
    /// The threshold exceeds the number of holders.
    ThresholdAboveHolders {
        /// The threshold given.
        threshold: u8,
        /// The number of holders given.
        holders: usize,
    },
    /// The same holder id appears twice.
    DuplicateHolder(HolderId),
    /// More than 255 holders were given.
    TooManyHolders {
        /// The number of holders given.
        holders: usize,
    },
    /// The secret is zero.
    ZeroSecret,
    /// Secret bytes were not a canonical scalar (not below the group order).
    NonCanonicalSecret,
    /// No shares were given.
    NoShares,
    /// Fewer shares than the threshold were given.
    NotEnoughShares {
        /// The threshold.
        needed: u8,
        /// The number of shares given.
        got: usize,
    },
    /// These holders' shares failed verification against the commitments.
    InvalidShares {
        /// Every holder whose share failed.
        culprits: HolderSet,
    },
    /// The combined secret does not match `C_0` (unreachable after verification; checked).
    CombineMismatch,
    /// An encoded share does not have exactly [`SHARE_LEN`] bytes.
    ShareLength {
        /// Length given.
        found: usize,
    },
    /// An encoded share's value is not canonical, or is zero.
    ShareValue(EncodingError),
    /// Encoded commitments do not have the length their count byte requires.
    CommitmentsLength {
        /// Required length (`1 + Ne·t`, or the minimum `1 + 2·Ne` for empty input).
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// The number of commitments is outside `2..=255`.
    CommitmentCount {
        /// The count given.
        count: usize,
    },
    /// A commitment is not a valid element encoding.
    InvalidCommitment {
        /// Its position (0 for `C_0`).
        index: usize,
    },
    /// A commitment is the identity.
    IdentityCommitment {
        /// Its position (0 for `C_0`).
        index: usize,
    },
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ZeroHolderId => f.write_str("holder id 0 is not allowed"),
            Self::ThresholdTooSmall { threshold } => {
                write!(f, "threshold {threshold} is below the minimum of 2")
            }
            Self::ThresholdAboveHolders { threshold, holders } => {
                write!(f, "threshold {threshold} exceeds the {holders} holders")
            }
            Self::DuplicateHolder(id) => write!(f, "holder id {id} appears more than once"),
            Self::TooManyHolders { holders } => {
                write!(f, "{holders} holders given, at most 255 are allowed")
            }
            Self::ZeroSecret => f.write_str("the secret is zero"),
            Self::NonCanonicalSecret => f.write_str("secret bytes are not a canonical scalar"),
            Self::NoShares => f.write_str("no shares given"),
            Self::NotEnoughShares { needed, got } => {
                write!(f, "{got} shares given, {needed} needed")
            }
            Self::InvalidShares { culprits } => {
                write!(f, "shares of holders {culprits} failed verification")
            }
            Self::CombineMismatch => f.write_str("combined secret does not match commitment C_0"),
            Self::ShareLength { found } => {
                write!(f, "share is {found} bytes, expected {SHARE_LEN}")
            }
            Self::ShareValue(error) => write!(f, "share value rejected: {error}"),
            Self::CommitmentsLength { expected, found } => {
                write!(f, "commitments are {found} bytes, expected {expected}")
            }
            Self::CommitmentCount { count } => {
                write!(f, "{count} commitments, expected between 2 and 255")
            }
            Self::InvalidCommitment { index } => {
                write!(f, "commitment {index} is not a valid group element")
            }
            Self::IdentityCommitment { index } => write!(f, "commitment {index} is the identity"),
        }
    }
}

impl core::error::Error for Error {}
