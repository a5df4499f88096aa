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
