//! The vault-level error: what went wrong, and with which holder or object.

use crate::codec::DecodeError;
use crate::gate::Purpose;
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
    /// A request carries more elements than its purpose allows (a password-capsule request
    /// is one guess: one element).
    ElementBudget {
        /// The purpose of the request.
        purpose: Purpose,
        /// The most elements allowed.
        max: usize,
        /// The elements found.
        found: usize,
    },
    /// Argon2id parameters outside the accepted range (below the floor of 19 MiB and 2
    /// passes, or above the ceiling).
    PasswordParams {
        /// Memory in KiB.
        memory_kib: u32,
        /// Passes.
        iterations: u32,
        /// Lanes.
        lanes: u8,
    },
    /// Argon2id could not run (its memory could not be allocated).
    PasswordStretch,
    /// A password capsule did not open: the password is wrong (or the capsule was tampered
    /// with). Deliberately opaque beyond that.
    WrongPassword {
        /// The key-server holder.
        holder: HolderId,
        /// Guesses the key server has left before it burns the password key, as it said.
        guesses_remaining: Option<u8>,
    },
    /// The user has no record at this key server (create one with
    /// [`crate::keyserver::Operation::AddKeyVersion`]).
    NoRecord,
    /// The user already has the most key versions allowed; drop an old one first.
    TooManyKeyVersions {
        /// The limit.
        max: usize,
    },
    /// The newest key version cannot be dropped.
    NewestKeyVersion {
        /// The version.
        version: u32,
    },
    /// A master-seed generation the key server does not have.
    UnknownGeneration {
        /// The generation.
        generation: u32,
    },
    /// The password factor is already on for this user (and not burned).
    PasswordAlreadySet,
    /// The password factor is not on for this user.
    PasswordNotSet,
    /// The user's password keys were destroyed after too many guesses without a proven
    /// unlock. Capsules sealed under them can never open; unlock with other holders and set
    /// a new password.
    PasswordBurned,
    /// The unlock tag shown does not match the one registered.
    UnlockTagMismatch,
    /// A password setup asks for more guesses than the key server allows.
    MaxGuesses {
        /// Guesses asked for.
        requested: u8,
        /// The key server's limit.
        limit: u8,
    },
    /// [`crate::keyserver::Outcome::release`] was given a record other than the update
    /// (the update was not stored): the response is withheld.
    RecordNotStored,
    /// A capsule's key is not among the trusted keys given to the unlock (its pin came from
    /// untrusted storage).
    UntrustedKey {
        /// The key-server holder.
        holder: HolderId,
    },
    /// The header is not the one the caller trusts (its digest differs).
    UntrustedHeader,
    /// A change (re-seal, refresh, revoke) names a key version that is not newer than the
    /// one in use: rotation and revocation only move forward.
    KeyVersionNotNewer {
        /// The key-server holder.
        holder: HolderId,
        /// The version in use.
        current: u32,
        /// The version asked for.
        requested: u32,
    },
    /// A unit gate would move to a key version that is not newer than its current one.
    UnitGateNotNewer {
        /// The version in use.
        current: u32,
        /// The version asked for.
        requested: u32,
    },
    /// The header given is not the vault's current one (another epoch or dealing).
    StaleHeader {
        /// The header's epoch.
        found: u32,
        /// The epoch of the vault in hand.
        expected: u32,
    },
    /// An object names a key server (key id) other than the policy's holder does.
    KeyIdMismatch {
        /// The holder.
        holder: HolderId,
    },
    /// A unit is at the last version number (`u32::MAX`): seal it under a new unit id.
    UnitVersionExhausted,
    /// Storage served an older version of a unit than the client last saw.
    UnitRollback {
        /// The version served.
        found: u32,
        /// The latest version the client recorded.
        expected: u32,
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
    pub(crate) fn record(error: DecodeError) -> Self {
        Self::Decode {
            object: "user record",
            error,
        }
    }
    pub(crate) fn key_set(error: DecodeError) -> Self {
        Self::Decode {
            object: "key set",
            error,
        }
    }

    /// A stable, machine-readable name for the error's kind (`snake_case`), the same in
    /// every binding and in the key server's HTTP error bodies (`spec/http-api.md` §4).
    /// Codes are never reused or renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode { .. } => "malformed",
            Self::PolicyDecode(_) | Self::Policy(_) => "invalid_policy",
            Self::Sharing(_) => "invalid_sharing",
            Self::Oprf(crate::oprf::Error::EmptyBatch | crate::oprf::Error::BatchTooLarge) => {
                "batch_size"
            }
            Self::Oprf(_) => "malformed",
            Self::Card(_) => "invalid_card",
            Self::CommitmentCount { .. } => "malformed",
            Self::WrongVault { .. } | Self::OtherVault { .. } => "wrong_vault",
            Self::StaleEpoch { .. } => "stale_epoch",
            Self::HeaderMismatch { .. } => "header_mismatch",
            Self::UnknownHolder(_) => "unknown_holder",
            Self::WrongHolderKind(_) => "wrong_holder_kind",
            Self::DuplicateHolder(_) => "duplicate_holder",
            Self::BadProof { .. } => "bad_proof",
            Self::CapsuleOpen { .. } => "capsule_open",
            Self::UnexpectedResponse { .. } => "unexpected_response",
            Self::NotEnoughShares { .. } => "not_enough_shares",
            Self::InvalidShares { .. } => "invalid_shares",
            Self::UnitOpen => "unit_open",
            Self::UnitGate => "unit_gate",
            Self::UnitGateRefused => "unit_gate_refused",
            Self::UnitGateProof => "unit_gate_proof",
            Self::UnitTooLarge { .. } => "unit_too_large",
            Self::UnitIdLength { .. } => "unit_id_length",
            Self::InfoLength { .. } => "info_length",
            Self::PasswordLength { .. } => "password_length",
            Self::PasswordPresence { .. } => "password_presence",
            Self::UnknownKeyVersion { .. } => "unknown_key_version",
            Self::UserIdLength { .. } => "user_id_length",
            Self::MissingResponse { .. } => "missing_response",
            Self::ResponseCount { .. } => "response_count",
            Self::EpochExhausted => "epoch_exhausted",
            Self::KeyDerivation => "key_derivation",
            Self::MissingPin { .. } => "missing_pin",
            Self::ElementBudget { .. } => "element_budget",
            Self::PasswordParams { .. } => "password_params",
            Self::PasswordStretch => "password_stretch",
            Self::WrongPassword { .. } => "wrong_password",
            Self::NoRecord => "no_record",
            Self::TooManyKeyVersions { .. } => "too_many_key_versions",
            Self::NewestKeyVersion { .. } => "newest_key_version",
            Self::UnknownGeneration { .. } => "unknown_generation",
            Self::PasswordAlreadySet => "password_already_set",
            Self::PasswordNotSet => "password_not_set",
            Self::PasswordBurned => "password_burned",
            Self::UnlockTagMismatch => "unlock_tag_mismatch",
            Self::MaxGuesses { .. } => "max_guesses",
            Self::RecordNotStored => "record_not_stored",
            Self::UntrustedKey { .. } => "untrusted_key",
            Self::UntrustedHeader => "untrusted_header",
            Self::KeyVersionNotNewer { .. } | Self::UnitGateNotNewer { .. } => {
                "key_version_not_newer"
            }
            Self::StaleHeader { .. } => "stale_header",
            Self::KeyIdMismatch { .. } => "key_id_mismatch",
            Self::UnitRollback { .. } => "unit_rollback",
            Self::UnitVersionExhausted => "unit_version_exhausted",
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
            Self::ElementBudget {
                purpose,
                max,
                found,
            } => write!(
                f,
                "{found} elements in a {} request; at most {max}",
                purpose.name()
            ),
            Self::PasswordParams {
                memory_kib,
                iterations,
                lanes,
            } => write!(
                f,
                "Argon2id parameters m={memory_kib} KiB, t={iterations}, p={lanes} are outside \
                 the accepted range (at least m=19456, t=2)"
            ),
            Self::PasswordStretch => f.write_str("Argon2id could not allocate its memory"),
            Self::WrongPassword {
                holder,
                guesses_remaining,
            } => match guesses_remaining {
                Some(left) => write!(
                    f,
                    "wrong password for key server {holder}; {left} guesses remaining"
                ),
                None => write!(f, "wrong password for key server {holder}"),
            },
            Self::NoRecord => f.write_str("the user has no record at this key server"),
            Self::TooManyKeyVersions { max } => {
                write!(
                    f,
                    "the user already has {max} key versions; drop an old one"
                )
            }
            Self::NewestKeyVersion { version } => {
                write!(
                    f,
                    "key version {version} is the newest and cannot be dropped"
                )
            }
            Self::UnknownGeneration { generation } => {
                write!(f, "master-seed generation {generation} is not known")
            }
            Self::PasswordAlreadySet => f.write_str("the password factor is already on"),
            Self::PasswordNotSet => f.write_str("the password factor is not on for this user"),
            Self::PasswordBurned => f.write_str(
                "the password keys were destroyed after too many guesses; unlock with other \
                 holders and set a new password",
            ),
            Self::UnlockTagMismatch => f.write_str("the unlock tag does not match"),
            Self::MaxGuesses { requested, limit } => write!(
                f,
                "{requested} guesses asked for; this key server allows 1..={limit}"
            ),
            Self::RecordNotStored => {
                f.write_str("the record update was not stored; the response is withheld")
            }
            Self::UntrustedKey { holder } => write!(
                f,
                "the key pinned in the capsule of key server {holder} is not a trusted key"
            ),
            Self::UntrustedHeader => f.write_str("the vault header is not the trusted one"),
            Self::KeyVersionNotNewer {
                holder,
                current,
                requested,
            } => write!(
                f,
                "key server {holder}: key version {requested} is not newer than {current}"
            ),
            Self::UnitGateNotNewer { current, requested } => write!(
                f,
                "unit gate: key version {requested} is not newer than {current}"
            ),
            Self::StaleHeader { found, expected } => write!(
                f,
                "the header is at epoch {found}; the vault in hand is at epoch {expected}"
            ),
            Self::KeyIdMismatch { holder } => write!(
                f,
                "object names another key server than holder {holder} of the policy"
            ),
            Self::UnitVersionExhausted => {
                f.write_str("the unit is at its last version; seal it under a new id")
            }
            Self::UnitRollback { found, expected } => write!(
                f,
                "unit version {found} is older than the latest seen ({expected})"
            ),
        }
    }
}

impl core::error::Error for Error {}
