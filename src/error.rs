//! The vault-level error: what went wrong, and with which holder or object.

use crate::codec::DecodeError;
use crate::policy::{PolicyDecodeError, PolicyError};
use crate::sharing::{self, HolderId, HolderSet};
use crate::vault::CardError;

/// Why a vault operation failed.
///
/// Variants name the culprit (a holder, an object kind) where that helps the caller and
/// cannot help an attacker. Proof and decryption failures carry no detail beyond the holder
/// they concern: which check failed, or why, is never said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// An object's bytes are malformed.
    Decode {
        /// The kind of object (`"vault header"`, `"capsule"`, …).
        object: &'static str,
        /// What was wrong.
        error: DecodeError,
    },
    /// A policy's bytes are malformed or the policy is invalid.
    PolicyDecode(PolicyDecodeError),
    /// The policy is invalid.
    Policy(PolicyError),
    /// Secret sharing failed (malformed share or commitments, wrong count, bad shares…).
    Sharing(sharing::Error),
    /// The OPRF layer rejected a message (malformed, wrong size, wrong mode).
    Oprf(crate::oprf::Error),
    /// A share card's text could not be read.
    Card(CardError),
    /// The header's commitment count differs from the policy's threshold.
    CommitmentCount {
        /// The threshold.
        expected: u8,
        /// The number of commitments.
        found: u8,
    },
    /// An object belongs to another vault.
    WrongVault {
        /// The holder the object is for.
        holder: HolderId,
    },
    /// An object belongs to another epoch (dealing) of this vault.
    StaleEpoch {
        /// The holder the object is for.
        holder: HolderId,
        /// The object's epoch.
        found: u32,
        /// The header's epoch.
        expected: u32,
    },
    /// A share was dealt with another header (same vault and epoch, different digest).
    HeaderMismatch {
        /// The holder.
        holder: HolderId,
    },
    /// The holder is not in the policy.
    UnknownHolder(HolderId),
    /// The holder exists but is of the wrong kind for this use (e.g. a capsule for a
    /// custodian).
    WrongHolderKind(HolderId),
    /// The same holder was given twice.
    DuplicateHolder(HolderId),
    /// A key server's response did not verify: a bad proof, a response to another request,
    /// or a key other than the pinned one. Deliberately opaque.
    BadProof {
        /// The key-server holder whose response failed.
        holder: HolderId,
    },
    /// A capsule did not open (wrong OPRF output, wrong password, or tampered capsule).
    /// Deliberately opaque.
    CapsuleOpen {
        /// The key-server holder whose capsule failed.
        holder: HolderId,
    },
    /// A response was given for a holder with no pending request.
    UnexpectedResponse {
        /// The holder named by the response.
        holder: HolderId,
    },
    /// Fewer than `t` usable shares.
    NotEnoughShares {
        /// The threshold.
        needed: u8,
        /// Usable shares.
        got: usize,
    },
    /// These holders' shares failed verification against the header's commitments.
    InvalidShares {
        /// Every holder whose share failed.
        culprits: HolderSet,
    },
    /// A unit did not open (wrong vault key, swapped header, or tampered). Deliberately
    /// opaque.
    UnitOpen,
    /// A gated unit was opened without its gate's output, or an ungated one with one: use
    /// [`crate::vault::UnitRead`] for gated units.
    UnitGate,
    /// The key server refused (or did not answer) the evaluation of a unit's gate.
    UnitGateRefused,
    /// The key server's answer for a unit's gate failed verification. Deliberately opaque.
    UnitGateProof,
    /// A unit's plaintext is larger than [`crate::vault::MAX_UNIT_LEN`].
    UnitTooLarge {
        /// The plaintext's length.
        length: usize,
    },
    /// A unit id is empty or longer than [`crate::vault::MAX_UNIT_ID_LEN`].
    UnitIdLength {
        /// The id's length.
        length: usize,
    },
    /// An object (a unit, a header) belongs to another vault than the one it is used with.
    OtherVault {
        /// The kind of object.
        object: &'static str,
    },
    /// A gate's public `info` label is empty or too long.
    InfoLength {
        /// The label's length.
        length: usize,
    },
    /// A password is empty or longer than [`crate::gate::MAX_PASSWORD_LEN`] bytes.
    PasswordLength {
        /// The password's length.
        length: usize,
    },
    /// The capsule needs a password and none was given, or one was given for a capsule that
    /// takes none.
    PasswordPresence {
        /// The key-server holder.
        holder: HolderId,
    },
    /// The key server does not serve this key version for this user (never issued, or
    /// deleted after rotation).
    UnknownKeyVersion {
        /// The version asked for.
        version: u32,
    },
    /// A user id is empty or longer than [`crate::keyserver::MAX_USER_ID_LEN`] bytes.
    UserIdLength {
        /// The id's length.
        length: usize,
    },
    /// A response for a key-server holder whose request is pending never arrived, and it
    /// is needed (enrollment needs every key server).
    MissingResponse {
        /// The key-server holder.
        holder: HolderId,
    },
    /// The number of responses differs from the number of requests.
    ResponseCount {
        /// Requests made.
        expected: usize,
        /// Responses given.
        found: usize,
    },
    /// The epoch counter is at its maximum; the vault must be rekeyed.
    EpochExhausted,
    /// The key server's key for this user and version could not be derived (RFC 9497
    /// `DeriveKeyPairError`; probability ≈ 2⁻²⁵⁶·²⁵⁵).
    KeyDerivation,
    /// A key server holder had no pinned key at enrollment.
    MissingPin {
        /// The key-server holder.
        holder: HolderId,
    },
}

impl Error {
    pub(crate) fn header(error: DecodeError) -> Self {
        Self::Decode {
            object: "vault header",
            error,
        }
    }
    pub(crate) fn share(error: DecodeError) -> Self {
        Self::Decode {
            object: "share",
            error,
        }
    }
    pub(crate) fn capsule(error: DecodeError) -> Self {
        Self::Decode {
            object: "capsule",
            error,
        }
    }
    pub(crate) fn unit(error: DecodeError) -> Self {
        Self::Decode {
            object: "sealed unit",
            error,
        }
    }
    pub(crate) fn gate_request(error: DecodeError) -> Self {
        Self::Decode {
            object: "gate request",
            error,
        }
    }
    pub(crate) fn gate_response(error: DecodeError) -> Self {
        Self::Decode {
            object: "gate response",
            error,
        }
    }
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}

impl From<sharing::Error> for Error {
    fn from(e: sharing::Error) -> Self {
        match e {
            sharing::Error::InvalidShares { culprits } => Self::InvalidShares { culprits },
            other => Self::Sharing(other),
        }
    }
}

impl From<CardError> for Error {
    fn from(e: CardError) -> Self {
        Self::Card(e)
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode { object, error } => write!(f, "{object}: {error}"),
            Self::PolicyDecode(e) => write!(f, "{e}"),
            Self::Policy(e) => write!(f, "policy: {e}"),
            Self::Sharing(e) => write!(f, "sharing: {e}"),
            Self::Oprf(e) => write!(f, "oprf: {e}"),
            Self::Card(e) => write!(f, "{e}"),
            Self::CommitmentCount { expected, found } => {
                write!(
                    f,
                    "header has {found} commitments; the threshold is {expected}"
                )
            }
            Self::WrongVault { holder } => {
                write!(f, "object for holder {holder} belongs to another vault")
            }
            Self::StaleEpoch {
                holder,
                found,
                expected,
            } => write!(
                f,
                "object for holder {holder} is from epoch {found}; the header is at epoch {expected}"
            ),
            Self::HeaderMismatch { holder } => {
                write!(f, "share of holder {holder} was dealt with another header")
            }
            Self::UnknownHolder(id) => write!(f, "holder {id} is not in the policy"),
            Self::WrongHolderKind(id) => write!(f, "holder {id} is of the wrong kind for this"),
            Self::DuplicateHolder(id) => write!(f, "holder {id} was given more than once"),
            Self::BadProof { holder } => {
                write!(f, "response from key server {holder} failed verification")
            }
            Self::CapsuleOpen { holder } => {
                write!(f, "capsule of key server {holder} did not open")
            }
            Self::UnexpectedResponse { holder } => {
                write!(
                    f,
                    "response for holder {holder}, which has no pending request"
                )
            }
            Self::NotEnoughShares { needed, got } => {
                write!(f, "{got} usable shares; {needed} needed")
            }
            Self::InvalidShares { culprits } => {
                write!(f, "shares of holders {culprits} failed verification")
            }
            Self::UnitOpen => f.write_str("unit did not open"),
            Self::UnitGate => f.write_str("gated unit opened without its gate (use UnitRead)"),
            Self::UnitGateRefused => f.write_str("the key server did not evaluate the unit's gate"),
            Self::UnitGateProof => {
                f.write_str("the key server's answer for the unit's gate failed verification")
            }
            Self::UnitTooLarge { length } => write!(
                f,
                "unit plaintext is {length} bytes; at most {}",
                crate::vault::MAX_UNIT_LEN
            ),
            Self::UnitIdLength { length } => write!(
                f,
                "unit id is {length} bytes; allowed 1..={}",
                crate::vault::MAX_UNIT_ID_LEN
            ),
            Self::OtherVault { object } => write!(f, "{object} belongs to another vault"),
            Self::InfoLength { length } => write!(
                f,
                "gate info is {length} bytes; allowed 1..={}",
                crate::gate::MAX_INFO_LEN
            ),
            Self::PasswordLength { length } => write!(
                f,
                "password is {length} bytes; allowed 1..={}",
                crate::gate::MAX_PASSWORD_LEN
            ),
            Self::PasswordPresence { holder } => write!(
                f,
                "capsule of key server {holder}: password given where none is used, or missing"
            ),
            Self::UnknownKeyVersion { version } => {
                write!(f, "key version {version} is not active for this user")
            }
            Self::UserIdLength { length } => write!(
                f,
                "user id is {length} bytes; allowed 1..={}",
                crate::keyserver::MAX_USER_ID_LEN
            ),
            Self::MissingResponse { holder } => {
                write!(f, "no response from key server {holder}")
            }
            Self::ResponseCount { expected, found } => {
                write!(f, "{found} responses for {expected} requests")
            }
            Self::EpochExhausted => f.write_str("epoch counter exhausted; rekey the vault"),
            Self::KeyDerivation => f.write_str("key server key derivation failed"),
            Self::MissingPin { holder } => {
                write!(f, "no pinned key for key server {holder}")
            }
        }
    }
}

impl core::error::Error for Error {}
