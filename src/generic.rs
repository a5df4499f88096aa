//! Every suite-dependent type and function, generic over the [`Suite`].
//!
//! The crate's top-level modules (`oprf`, `sharing`, `gate`, `keyserver`, `vault`) name
//! these types for P-256 (`quorumkey::vault::VaultHeader` is `VaultHeader<P256>`), and
//! `quorumkey::ristretto255` names them for ristretto255 (feature `ristretto255`). Write
//! against this module to support both suites with one piece of code; dispatch at run time
//! on an object's suite byte with [`suite_of`](crate::codec::suite_of).

#[cfg(feature = "ristretto255")]
pub use crate::suite::Ristretto255;
pub use crate::suite::{P256, Suite, SuiteId};

pub use crate::oprf::client::{OprfClient, PoprfClient, VoprfClient};
pub use crate::oprf::element::{BlindedElement, EvaluatedElement, Output, PublicKey};
#[cfg(feature = "alloc")]
pub use crate::oprf::message::{EvaluationRequest, EvaluationResponse};
pub use crate::oprf::proof::Proof;
pub use crate::oprf::server::ServerKey;
pub use crate::oprf::suite::hash_to_group;

#[cfg(feature = "alloc")]
pub use crate::sharing::commitments::Commitments;
pub use crate::sharing::secret::{Secret, Share};
pub use crate::sharing::verify::{combine_individually, verify_share};

#[cfg(feature = "alloc")]
pub(crate) use crate::gate::messages::PendingGate;
#[cfg(feature = "alloc")]
pub use crate::gate::messages::{GateRequest, GateResponse, ServerPin, ServerRequest};
#[cfg(feature = "alloc")]
pub use crate::keyserver::messages::{KeySet, KeyVersion};
#[cfg(feature = "alloc")]
pub use crate::vault::{
    capsule::Capsule,
    enroll::{Enrolled, Enrollment, KeyServerSetup, PendingEnrollment},
    header::VaultHeader,
    kit::RecoveryKit,
    reseal::Reseal,
    revoke::{Revocation, Revoked},
    share::{ShareCard, VaultShare},
    unit::{GateTarget, GatedSeal, SealedUnit, UnitGate, UnitMigration, UnitRead},
    unlock::{Trust, Unlock},
    unlocked::UnlockedVault,
};
