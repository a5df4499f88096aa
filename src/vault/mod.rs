//! The vault: header, shares and share cards, capsules, sealed units, and the enrollment
//! and unlock flows that tie them together.
//!
//! See `spec/protocol.md` for the flows and `spec/wire-format.md` for every encoding.

mod capsule;
mod enroll;
mod header;
mod kit;
mod reseal;
mod share;
mod unit;
mod unlock;

pub use capsule::Capsule;
pub use enroll::{Enrolled, Enrollment, KeyServerSetup};
pub use kit::{MAX_KIT_CAPSULES, RecoveryKit};
pub use reseal::Reseal;
pub use unlock::Unlock;

pub use header::{SUITE_P256_SHA256_BLAKE3_XCHACHA, VAULT_ID_LEN, VaultHeader, VaultId};
pub use share::{
    CARD_TEXT_CHARS, CARD_TEXT_PREFIX, CardError, ShareCard, VAULT_SHARE_LEN, VaultShare,
};
pub use unit::{
    GatedSeal, MAX_UNIT_ID_LEN, MAX_UNIT_LEN, SealedUnit, UnitGate, UnitRead, UnitResult,
};

use alloc::vec::Vec;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;
use crate::kdf;
use crate::sharing::{Secret, Share};

/// The vault's root key `R = derive_key("quorumkey v1 root", s ‖ vault_id)`.
///
/// Independent of the epoch: re-dealing the shares never re-encrypts data.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey([u8; 32]);

impl RootKey {
    pub(crate) fn derive(secret: &Secret, vault_id: &VaultId) -> Self {
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

/// An open vault: holds the root key and seals and opens units.
///
/// Zeroizes its key on drop; [`lock`](Self::lock) drops it explicitly (apps lock on a
/// timer, as password managers do). `Debug` never shows the key.
pub struct UnlockedVault {
    vault_id: VaultId,
    root: RootKey,
    secret: Secret,
    /// The epoch and header digest the shares below belong to.
    epoch: u32,
    header_digest: kdf::Digest,
    /// The verified shares the vault was opened with (at least `t`): enough to re-issue any
    /// holder's share of this dealing, e.g. to re-seal a capsule. Zeroized on drop.
    shares: Vec<Share>,
}

impl core::fmt::Debug for UnlockedVault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnlockedVault")
            .field("vault_id", &self.vault_id)
            .finish_non_exhaustive()
    }
}

impl UnlockedVault {
    pub(crate) fn new(header: &VaultHeader, secret: Secret, shares: Vec<Share>) -> Self {
        let vault_id = header.vault_id();
        let root = RootKey::derive(&secret, &vault_id);
        Self {
            vault_id,
            root,
            secret,
            epoch: header.epoch(),
            header_digest: *header.digest(),
            shares,
        }
    }

    /// The epoch of the header this vault was opened with.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The vault's id.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// Seals `plaintext` (at most [`MAX_UNIT_LEN`] bytes) as unit `unit_id` (1..=64 bytes).
    pub fn seal_unit<R: CryptoRng + ?Sized>(
        &self,
        unit_id: &[u8],
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<SealedUnit, Error> {
        SealedUnit::seal(&self.root, self.vault_id, unit_id, None, plaintext, rng)
    }

    /// Starts sealing a unit behind its **own gate** at key server `key_id`: every read of
    /// it will cost one evaluation by that server (batched across units by [`UnitRead`]).
    /// With [`GateMode::Poprf`](crate::gate::GateMode::Poprf) the label is bound into the
    /// output and visible to the server's audit log; with
    /// [`GateMode::Voprf`](crate::gate::GateMode::Voprf) the server cannot tell units apart.
    pub fn seal_gated_unit<R: CryptoRng + ?Sized>(
        &self,
        unit_id: &[u8],
        plaintext: &[u8],
        key_id: &str,
        pin: crate::gate::ServerPin,
        mode: crate::gate::GateMode,
        rng: &mut R,
    ) -> Result<(GatedSeal, crate::gate::ServerRequest), Error> {
        GatedSeal::start(self.vault_id, unit_id, plaintext, key_id, pin, mode, rng)
    }

    pub(crate) fn root(&self) -> &RootKey {
        &self.root
    }

    /// Opens a unit of this vault. Any tampering, or a unit of another vault, fails with the
    /// opaque [`Error::UnitOpen`] (or [`Error::OtherVault { object: "vault header" }`] when the ids differ).
    ///
    /// A unit with its own gate is opened through [`UnitRead`] instead
    /// ([`Error::UnitGate`] here).
    pub fn open_unit(&self, unit: &SealedUnit) -> Result<Zeroizing<Vec<u8>>, Error> {
        unit.open(&self.root, self.vault_id, None)
    }

    /// Locks the vault: the root key and secret are zeroized now.
    pub fn lock(self) {
        drop(self);
    }
}

impl UnlockedVault {
    /// The epoch after `current`, which must be this vault's header.
    fn next_epoch(&self, current: &VaultHeader) -> Result<u32, Error> {
        if current.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "vault header",
            });
        }
        current.epoch().checked_add(1).ok_or(Error::EpochExhausted)
    }

    /// Starts a **re-deal**: the same secret, a fresh polynomial, new shares for every holder
    /// of `policy` (the current policy, or a new one that, say, replaces a lost device), at
    /// epoch `current.epoch() + 1`, with new capsules under the given (typically next)
    /// server keys. Units are not re-encrypted: the root key does not depend on the epoch.
    ///
    /// Two-phase: nothing old is invalidated here. Persist the new artifacts from
    /// [`Enrollment::finish`], check they unlock, and only then delete the old ones and tell
    /// the key server to drop the old key version (which is what revokes old shares).
    pub fn redeal<R: CryptoRng + ?Sized>(
        &self,
        current: &VaultHeader,
        policy: crate::policy::Policy,
        servers: &[KeyServerSetup],
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Enrollment, Vec<crate::gate::ServerRequest>), Error> {
        let epoch = self.next_epoch(current)?;
        let secret = Secret::from_scalar(*self.secret.as_scalar())?;
        Enrollment::deal(policy, secret, self.vault_id, epoch, servers, password, rng)
    }

    /// Starts a **rekey**: a *new* secret (so a new root key), dealt at epoch
    /// `current.epoch() + 1` of the same vault id, for when the secret itself may have
    /// leaked. After [`Enrollment::finish`], move every unit over with
    /// [`reencrypt_units`](Self::reencrypt_units) on the new vault. Old shares, capsules and
    /// cards are useless against the new header; old units do not open under the new key.
    ///
    /// Two-phase: the old vault and its units stay valid until the caller has persisted and
    /// checked the new ones.
    pub fn rekey<R: CryptoRng + ?Sized>(
        &self,
        current: &VaultHeader,
        policy: crate::policy::Policy,
        servers: &[KeyServerSetup],
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Enrollment, Vec<crate::gate::ServerRequest>), Error> {
        let epoch = self.next_epoch(current)?;
        Enrollment::deal(
            policy,
            Secret::random(rng),
            self.vault_id,
            epoch,
            servers,
            password,
            rng,
        )
    }

    /// Re-encrypts units of `old` (the same vault before a rekey) under this vault's root
    /// key, keeping their ids; each new unit is opened again before it is returned.
    ///
    /// Units with their own gate are refused ([`Error::UnitGate`]): read them with
    /// [`UnitRead`] and seal them again with [`seal_gated_unit`](Self::seal_gated_unit), as
    /// each costs a key-server evaluation anyway.
    pub fn reencrypt_units<R: CryptoRng + ?Sized>(
        &self,
        old: &UnlockedVault,
        units: &[SealedUnit],
        rng: &mut R,
    ) -> Result<Vec<SealedUnit>, Error> {
        if old.vault_id != self.vault_id {
            return Err(Error::OtherVault {
                object: "unlocked vault",
            });
        }
        units
            .iter()
            .map(|unit| {
                let plaintext = old.open_unit(unit)?;
                let fresh = self.seal_unit(unit.unit_id(), &plaintext, rng)?;
                if self.open_unit(&fresh)? != plaintext {
                    return Err(Error::UnitOpen);
                }
                Ok(fresh)
            })
            .collect()
    }
}
