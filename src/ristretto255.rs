//! The ristretto255 suite (RFC 9497 ristretto255-SHA512, suite byte `0x02`): the same
//! modules and names as the crate root, for vaults enrolled with ristretto255.
//!
//! Change `use quorumkey::vault::…` to `use quorumkey::ristretto255::vault::…` (and so on
//! for `oprf`, `sharing`, `gate`, `keyserver`) and the same code runs on the second suite.
//! Items that do not depend on the suite (policies, modes, purposes, the key server itself,
//! errors) are re-exported here unchanged, so one import path serves a whole program.
//!
//! ristretto255 is faster than P-256 (see `spec/performance.md`); P-256 stays the default
//! and the interoperable choice (RFC 9497 peers such as voprf-ts speak only the NIST
//! curves). A vault's suite is chosen at enrolment and recorded in its header.

pub use crate::suite::Ristretto255 as Suite;

/// RFC 9497 OPRF for ristretto255-SHA512. See [`crate::oprf`].
pub mod oprf {
    pub use crate::oprf::{Error, MAX_BATCH, MAX_INFO_LEN, MAX_INPUT_LEN, Mode, PROOF_LEN};

    crate::oprf::suite_oprf!(crate::suite::Ristretto255, "ristretto255", 32, 64, 28);
}

/// Feldman-verified Shamir sharing over the ristretto255 scalar field. See
/// [`crate::sharing`].
pub mod sharing {
    pub use crate::sharing::{Error, HolderId, HolderSet, SHARE_LEN, Threshold};
    #[cfg(feature = "alloc")]
    pub use crate::sharing::{combine, deal, share_for};

    crate::sharing::suite_sharing!(crate::suite::Ristretto255, "ristretto255");
}

/// The ristretto255 encodings' lengths, and the encoding error. The encodings themselves
/// are the methods of the [`Suite`](crate::suite::Suite) trait on [`Ristretto255`](crate::suite::Ristretto255).
pub mod group {
    pub use crate::group::EncodingError;

    /// Length of an encoded scalar: 32 bytes, little-endian.
    pub const SCALAR_LEN: usize = 32;
    /// Length of an encoded group element: 32 bytes (RFC 9496 canonical encoding).
    pub const ELEMENT_LEN: usize = 32;
}

#[cfg(feature = "alloc")]
pub use crate::{Error, codec, kdf, policy};

/// Gates over ristretto255. See [`crate::gate`].
#[cfg(feature = "alloc")]
pub mod gate {
    pub use crate::gate::{
        GATE_INPUT_LEN, GateMode, Info, MAX_INFO_LEN, MAX_PASSWORD_LEN, PasswordParams, Purpose,
        STRETCHED_PASSWORD_LEN, oprf_input,
    };

    crate::gate::suite_gate!(crate::suite::Ristretto255, "ristretto255");
}

/// The key server, answering with ristretto255 key sets. See [`crate::keyserver`].
///
/// The [`KeyServer`](crate::keyserver::KeyServer) is the one of the crate root: it serves
/// every suite. Ask it for ristretto255 key sets with
/// [`KeyServer::handle_in`](crate::keyserver::KeyServer::handle_in) and
/// [`SuiteId::Ristretto255`](crate::suite::SuiteId::Ristretto255).
#[cfg(feature = "alloc")]
pub mod keyserver {
    pub use crate::keyserver::{
        AuditAction, AuditEvent, DEFAULT_MAX_GUESSES, DIRECTORY_INFO, GuardStatus, KEY_INFO_PREFIX,
        KeyServer, MASTER_SEED_LEN, MATERIAL_LEN, MAX_KEY_VERSIONS, MAX_USER_ID_LEN, Operation,
        Outcome, PasswordSetup, Released, TagChange, UnlockProof, UnlockTag, UserRecord,
        http_status,
    };

    crate::keyserver::suite_keyserver!(crate::suite::Ristretto255, "ristretto255");
}

/// Vaults over ristretto255. See [`crate::vault`].
#[cfg(feature = "alloc")]
pub mod vault {
    pub use crate::vault::{
        CARD_TEXT_CHARS, CARD_TEXT_PREFIX, CardError, MAX_KIT_CAPSULES, MAX_UNIT_ID_LEN,
        MAX_UNIT_LEN, Password, UnitIndex, UnitResult, VAULT_ID_LEN, VAULT_SHARE_LEN, VaultId,
    };

    /// The suite byte of ristretto255 vaults.
    pub const SUITE_RISTRETTO255_SHA512_BLAKE3_XCHACHA: u8 =
        crate::codec::SUITE_RISTRETTO255_SHA512;

    crate::vault::suite_vault!(crate::suite::Ristretto255, "ristretto255");
}
