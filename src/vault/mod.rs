//! The vault: header, shares and share cards, capsules, sealed units, and the enrollment
//! and unlock flows that tie them together.
//!
//! See `spec/protocol.md` for the flows and `spec/wire-format.md` for every encoding.
//!
//! This module's types are the P-256 ones; `quorumkey::ristretto255::vault` has the same
//! names for ristretto255, and [`crate::generic`] the types generic over the suite. A
//! vault's suite is fixed at enrolment (`Enrollment::new` of the suite's module) and
//! recorded in its header.

pub(crate) mod capsule;
pub(crate) mod enroll;
pub(crate) mod header;
mod index;
pub(crate) mod kit;
pub(crate) mod reseal;
pub(crate) mod revoke;
pub(crate) mod share;
pub(crate) mod unit;
pub(crate) mod unlock;
pub(crate) mod unlocked;

pub(crate) use capsule::read_public_key;
pub use enroll::Password;
pub use header::{SUITE_P256_SHA256_BLAKE3_XCHACHA, VAULT_ID_LEN, VaultId};
pub use index::UnitIndex;
pub use kit::MAX_KIT_CAPSULES;
pub use share::{CARD_TEXT_CHARS, CARD_TEXT_PREFIX, CardError, VAULT_SHARE_LEN};
pub use unit::{MAX_UNIT_ID_LEN, MAX_UNIT_LEN, UnitResult};

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;
use crate::generic::Secret;
use crate::kdf;
use crate::suite::Suite;

/// The suite-dependent names of this module, for one suite.
macro_rules! suite_vault {
    ($suite:ty, $name:literal) => {
        #[doc = concat!("The public header of a vault at one epoch (", $name, ").")]
        pub type VaultHeader = $crate::generic::VaultHeader<$suite>;
        #[doc = concat!("A holder's share bound to one vault and dealing (secret; ", $name, ").")]
        pub type VaultShare = $crate::generic::VaultShare<$suite>;
        #[doc = concat!("A custodian's share in a printable form (secret; ", $name, ").")]
        pub type ShareCard = $crate::generic::ShareCard<$suite>;
        #[doc = concat!("A key-server holder's share sealed under a gate (", $name, ").")]
        pub type Capsule = $crate::generic::Capsule<$suite>;
        #[doc = concat!("A sealed unit of user data (", $name, ").")]
        pub type SealedUnit = $crate::generic::SealedUnit<$suite>;
        #[doc = concat!("A per-unit gate (", $name, ").")]
        pub type UnitGate = $crate::generic::UnitGate<$suite>;
        #[doc = concat!("A unit being sealed behind its own gate (", $name, ").")]
        pub type GatedSeal = $crate::generic::GatedSeal<$suite>;
        #[doc = concat!("A batch of unit reads waiting for the key servers (", $name, ").")]
        pub type UnitRead = $crate::generic::UnitRead<$suite>;
        #[doc = concat!("Gated units moving to new gates (", $name, ").")]
        pub type UnitMigration = $crate::generic::UnitMigration<$suite>;
        #[doc = concat!("Where a key server's unit gates move (", $name, ").")]
        pub type GateTarget = $crate::generic::GateTarget<$suite>;
        #[doc = concat!("A dealt vault before its capsules are sealed (", $name, ").")]
        pub type Enrollment = $crate::generic::Enrollment<$suite>;
        #[doc = concat!("An enrollment waiting for the key servers (", $name, ").")]
        pub type PendingEnrollment = $crate::generic::PendingEnrollment<$suite>;
        #[doc = concat!("Everything an enrollment produces (", $name, ").")]
        pub type Enrolled = $crate::generic::Enrolled<$suite>;
        #[doc = concat!("How the client reaches one key-server holder (", $name, ").")]
        pub type KeyServerSetup = $crate::generic::KeyServerSetup<$suite>;
        #[doc = concat!("An open vault (secret; ", $name, ").")]
        pub type UnlockedVault = $crate::generic::UnlockedVault<$suite>;
        #[doc = concat!("An unlock waiting for the key servers (", $name, ").")]
        pub type Unlock = $crate::generic::Unlock<$suite>;
        #[doc = concat!("What the caller trusts when unlocking (", $name, ").")]
        pub type Trust = $crate::generic::Trust<$suite>;
        #[doc = concat!("A capsule being re-sealed (", $name, ").")]
        pub type Reseal = $crate::generic::Reseal<$suite>;
        #[doc = concat!("A revocation waiting for the key servers (", $name, ").")]
        pub type Revocation = $crate::generic::Revocation<$suite>;
        #[doc = concat!("What a revocation produces (", $name, ").")]
        pub type Revoked = $crate::generic::Revoked<$suite>;
        #[doc = concat!("A vault header and copies of its capsules (", $name, ").")]
        pub type RecoveryKit = $crate::generic::RecoveryKit<$suite>;
    };
}
#[cfg(feature = "ristretto255")]
pub(crate) use suite_vault;

suite_vault!(crate::suite::P256, "P-256");

/// The vault's root key `R = derive_key("quorumkey v2 root", s ‖ vault_id)`.
///
/// Independent of the epoch: re-dealing the shares never re-encrypts data.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey([u8; 32]);

impl RootKey {
    pub(crate) fn derive<S: Suite>(secret: &Secret<S>, vault_id: &VaultId) -> Self {
        let s = secret.to_secret_bytes();
        Self(*kdf::derive(kdf::CONTEXT_ROOT, &[&*s, &vault_id.0]))
    }

    pub(crate) fn as_secret_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for RootKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// [`Error::KeyVersionNotNewer`] if a current capsule of key server `key_id` uses a key
/// version at least as new as `setup`'s.
pub(crate) fn check_newer<S: Suite>(
    setup: &crate::generic::KeyServerSetup<S>,
    key_id: &str,
    current_capsules: &[crate::generic::Capsule<S>],
) -> Result<(), Error> {
    let requested = setup.pin.key_version;
    match current_capsules
        .iter()
        .filter(|c| c.key_id() == key_id)
        .map(crate::generic::Capsule::key_version)
        .max()
    {
        Some(current) if current >= requested => Err(Error::KeyVersionNotNewer {
            holder: setup.holder,
            current,
            requested,
        }),
        _ => Ok(()),
    }
}
