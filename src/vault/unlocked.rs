//! The open vault: the root key, sealing and opening units, and the changes (refresh,
//! rekey) that start from an unlocked vault.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{Password, RootKey, VaultId, check_newer};
use crate::Error;
use crate::generic::{
    Capsule, Enrollment, GatedSeal, KeyServerSetup, PendingEnrollment, SealedUnit, VaultHeader,
};
use crate::generic::{Secret, ServerRequest, Share};
use crate::suite::Suite;

use crate::kdf;
use crate::keyserver::{PasswordSetup, TagChange, UnlockProof, UnlockTag};
use crate::policy::Policy;

/// An open vault: holds the root key and seals and opens units.
///
/// Zeroizes its key on drop; [`lock`](Self::lock) drops it explicitly (apps lock on a
/// timer, as password managers do). `Debug` never shows the key.
pub struct UnlockedVault<S: Suite> {
    vault_id: VaultId,
    pub(crate) root: RootKey,
    pub(crate) secret: Secret<S>,
    /// The epoch and header digest the shares below belong to.
    epoch: u32,
    header_digest: kdf::Digest,
    /// The verified shares the vault was opened with (at least `t`): enough to re-issue any
    /// holder's share of this dealing, e.g. to re-seal a capsule. Zeroized on drop.
    pub(crate) shares: Vec<Share<S>>,
}

impl<S: Suite> core::fmt::Debug for UnlockedVault<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnlockedVault")
            .field("vault_id", &self.vault_id)
            .finish_non_exhaustive()
    }
}

impl<S: Suite> UnlockedVault<S> {
    pub(crate) fn new(header: &VaultHeader<S>, secret: Secret<S>, shares: Vec<Share<S>>) -> Self {
        let root = RootKey::derive(&secret, &header.vault_id());
        Self::from_parts(header, secret, root, shares)
    }

    pub(crate) fn from_parts(
        header: &VaultHeader<S>,
        secret: Secret<S>,
        root: RootKey,
        shares: Vec<Share<S>>,
    ) -> Self {
        Self {
            vault_id: header.vault_id(),
            root,
            secret,
            epoch: header.epoch(),
            header_digest: *header.digest(),
            shares,
        }
    }

    /// The unlock tag for key server `key_id`: `derive_key("quorumkey v2 unlock tag", R ‖
    /// u8(len) ‖ key_id)`. The same for every epoch of this vault (it changes only with
    /// a rekey).
    pub fn unlock_tag(&self, key_id: &str) -> UnlockTag {
        UnlockTag::derive(self.root.as_secret_bytes(), key_id)
    }

    /// The proof of this unlock for key server `key_id` (`POST /v1/password/unlocked`):
    /// send it after every unlock, enrollment or re-seal that evaluated a password capsule
    /// at that server, to reset its guess counter.
    pub fn unlock_proof(&self, key_id: &str) -> UnlockProof {
        UnlockProof::new(self.unlock_tag(key_id))
    }

    /// What key server `key_id` needs to turn a password guard on for this vault
    /// (`POST /v1/password`): the way back after the guard burned (`spec/protocol.md`
    /// §6.3), or to add a password to a vault enrolled without one. The server accepts it
    /// only when the user has no live guard. Then re-seal the capsule for that server
    /// with the new password ([`reseal`](Self::reseal), on a new key version) and prove the
    /// unlock ([`unlock_proof`](Self::unlock_proof)).
    ///
    /// [`Error::MaxGuesses`] for `max_guesses` of 0.
    pub fn password_setup(&self, key_id: &str, max_guesses: u8) -> Result<PasswordSetup, Error> {
        PasswordSetup::new(max_guesses, &self.unlock_tag(key_id))
    }

    /// After a rekey, replaces this vault's unlock tag at key server `key_id` by the new
    /// vault's (`POST /v1/password/tag`).
    pub fn tag_change(&self, key_id: &str, new: &UnlockedVault<S>) -> TagChange {
        TagChange::new(self.unlock_tag(key_id), &new.unlock_tag(key_id))
    }

    /// The epoch of the header this vault was opened with.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The vault's id.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// Seals `plaintext` (at most [`MAX_UNIT_LEN`](super::MAX_UNIT_LEN) bytes) as unit `unit_id` (1..=64 bytes).
    pub fn seal_unit<R: CryptoRng + ?Sized>(
        &self,
        unit_id: &[u8],
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<SealedUnit<S>, Error> {
        SealedUnit::seal(&self.root, self.vault_id, unit_id, 1, None, plaintext, rng)
    }

    /// Seals `plaintext` as the next version of `previous` (same id and gate kind; version
    /// one higher), for updating a unit's content. A gated unit is updated through
    /// [`update_gated_unit`](Self::update_gated_unit) instead ([`Error::UnitGate`] here).
    pub fn update_unit<R: CryptoRng + ?Sized>(
        &self,
        previous: &SealedUnit<S>,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<SealedUnit<S>, Error> {
        self.check_own(previous)?;
        if previous.gate().is_some() {
            return Err(Error::UnitGate);
        }
        let version = previous.next_version()?;
        SealedUnit::seal(
            &self.root,
            self.vault_id,
            previous.unit_id(),
            version,
            None,
            plaintext,
            rng,
        )
    }

    /// Starts sealing a unit behind its **own gate** at key server `key_id`: every read of
    /// it will cost one evaluation by that server (batched across units by
    /// [`UnitRead`](crate::generic::UnitRead)).
    /// With [`GateMode::Poprf`](crate::gate::GateMode::Poprf) the label is bound into the
    /// output and visible to the server's audit log; with
    /// [`GateMode::Voprf`](crate::gate::GateMode::Voprf) the server cannot tell units apart.
    pub fn seal_gated_unit<R: CryptoRng + ?Sized>(
        &self,
        unit_id: &[u8],
        plaintext: &[u8],
        key_id: &str,
        pin: crate::generic::ServerPin<S>,
        mode: crate::gate::GateMode,
        rng: &mut R,
    ) -> Result<(GatedSeal<S>, crate::generic::ServerRequest<S>), Error> {
        GatedSeal::start(self.vault_id, unit_id, 1, plaintext, key_id, pin, mode, rng)
    }

    /// Starts sealing `plaintext` as the next version of `previous` (same id, version one
    /// higher) behind its own gate, as [`seal_gated_unit`](Self::seal_gated_unit) does:
    /// updating a gated unit so that a client keeping a
    /// [`UnitIndex`](crate::vault::UnitIndex) refuses the older version if storage serves it
    /// again. `previous` may be gated or not; the gate is drawn afresh.
    ///
    /// [`Error::OtherVault`] for a unit of another vault, [`Error::UnitVersionExhausted`]
    /// after version `u32::MAX`.
    #[allow(clippy::too_many_arguments)]
    pub fn update_gated_unit<R: CryptoRng + ?Sized>(
        &self,
        previous: &SealedUnit<S>,
        plaintext: &[u8],
        key_id: &str,
        pin: crate::generic::ServerPin<S>,
        mode: crate::gate::GateMode,
        rng: &mut R,
    ) -> Result<(GatedSeal<S>, crate::generic::ServerRequest<S>), Error> {
        self.check_own(previous)?;
        let version = previous.next_version()?;
        GatedSeal::start(
            self.vault_id,
            previous.unit_id(),
            version,
            plaintext,
            key_id,
            pin,
            mode,
            rng,
        )
    }

    /// [`Error::OtherVault`] unless `unit` belongs to this vault (before it is updated).
    fn check_own(&self, unit: &SealedUnit<S>) -> Result<(), Error> {
        if unit.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "sealed unit",
            });
        }
        Ok(())
    }

    pub(crate) fn root(&self) -> &RootKey {
        &self.root
    }

    /// Opens a unit of this vault. Any tampering, or a unit of another vault, fails with the
    /// opaque [`Error::UnitOpen`] (or [`Error::OtherVault { object: "vault header" }`] when the ids differ).
    ///
    /// A unit with its own gate is opened through [`UnitRead`](crate::generic::UnitRead) instead
    /// ([`Error::UnitGate`] here).
    pub fn open_unit(&self, unit: &SealedUnit<S>) -> Result<Zeroizing<Vec<u8>>, Error> {
        unit.open(&self.root, self.vault_id, None)
    }

    /// Locks the vault: the root key and secret are zeroized now.
    pub fn lock(self) {
        drop(self);
    }
}

impl<S: Suite> UnlockedVault<S> {
    /// Checks that `current` is the header this vault was opened with: the same vault
    /// ([`Error::OtherVault`]), epoch and digest ([`Error::StaleHeader`]).
    pub(crate) fn check_current(&self, current: &VaultHeader<S>) -> Result<(), Error> {
        if current.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "vault header",
            });
        }
        if current.epoch() != self.epoch || current.digest() != &self.header_digest {
            return Err(Error::StaleHeader {
                found: current.epoch(),
                expected: self.epoch,
            });
        }
        Ok(())
    }

    /// The epoch after `current`, which must be this vault's header, after checking that
    /// every server key in `servers` is newer than the one `current_capsules` use for that
    /// key server.
    fn next_epoch(
        &self,
        current: &VaultHeader<S>,
        current_capsules: &[Capsule<S>],
        policy: &Policy,
        servers: &[KeyServerSetup<S>],
    ) -> Result<u32, Error> {
        self.check_current(current)?;
        for capsule in current_capsules {
            capsule.check_binding(current)?;
        }
        for setup in servers {
            let key_id = policy
                .holder(setup.holder)
                .and_then(|h| h.kind().key_id())
                .ok_or(Error::WrongHolderKind(setup.holder))?;
            check_newer(setup, key_id, current_capsules)?;
        }
        current.epoch().checked_add(1).ok_or(Error::EpochExhausted)
    }

    /// Starts a **refresh**: the same secret, a fresh polynomial, new shares for every
    /// holder of `policy` (the current policy, or a new one that, say, replaces a lost
    /// device), at epoch `current.epoch() + 1`, with new capsules under server keys newer
    /// than the ones `current_capsules` use ([`Error::KeyVersionNotNewer`] otherwise).
    /// Units are not re-encrypted: the root key does not change.
    ///
    /// **What it protects against**: a lost or revoked holder *alone* — once the key
    /// servers drop the old key versions, its old share and old capsule no longer reach
    /// `t`. **What it does not**: `t` old shares kept together (an old device share and the
    /// old recovery card stolen together) still rebuild the same secret and open every unit,
    /// including units written after the refresh. Against that, use [`rekey`](Self::rekey)
    /// (`spec/threat-model.md`, "Revocation").
    ///
    /// Two-phase: nothing old is invalidated here. Persist the new artifacts from
    /// [`PendingEnrollment::finish`], check they unlock, and only then delete the old ones
    /// and drop the old key versions at the key servers.
    pub fn refresh<R: CryptoRng + ?Sized>(
        &self,
        current: &VaultHeader<S>,
        current_capsules: &[Capsule<S>],
        policy: Policy,
        servers: &[KeyServerSetup<S>],
        password: Option<Password<'_>>,
        rng: &mut R,
    ) -> Result<(PendingEnrollment<S>, Vec<ServerRequest<S>>), Error> {
        let epoch = self.next_epoch(current, current_capsules, &policy, servers)?;
        let secret = Secret::from_scalar(*self.secret.as_scalar())?;
        Enrollment::deal(policy, secret, self.vault_id, epoch, rng)?
            .request_gates(servers, password, rng)
    }

    /// Starts a **rekey**: a *new* secret (so a new root key and new unlock tags), dealt at
    /// epoch `current.epoch() + 1` of the same vault id, with new capsules under newer
    /// server keys. After [`PendingEnrollment::finish`], move every unit over with
    /// [`reencrypt_units`](Self::reencrypt_units) on the new vault, and replace the unlock
    /// tag at each key server with a password guard ([`tag_change`](Self::tag_change)).
    /// Old shares, capsules and cards are useless against the new header, and old units do
    /// not open under the new key; anything sealed after the rekey is out of reach of
    /// whoever kept old shares.
    ///
    /// Two-phase: the old vault and its units stay valid until the caller has persisted and
    /// checked the new ones.
    pub fn rekey<R: CryptoRng + ?Sized>(
        &self,
        current: &VaultHeader<S>,
        current_capsules: &[Capsule<S>],
        policy: Policy,
        servers: &[KeyServerSetup<S>],
        password: Option<Password<'_>>,
        rng: &mut R,
    ) -> Result<(PendingEnrollment<S>, Vec<ServerRequest<S>>), Error> {
        let epoch = self.next_epoch(current, current_capsules, &policy, servers)?;
        Enrollment::deal(policy, Secret::random(rng), self.vault_id, epoch, rng)?
            .request_gates(servers, password, rng)
    }

    /// Re-encrypts units of `old` (the same vault before a rekey) under this vault's root
    /// key, keeping their ids; each new unit is opened again before it is returned.
    ///
    /// Units with their own gate are refused ([`Error::UnitGate`]): move them with a
    /// [`UnitMigration`](crate::generic::UnitMigration) (or do the whole revocation with [`revoke`](Self::revoke)), as each
    /// costs a key-server evaluation anyway.
    pub fn reencrypt_units<R: CryptoRng + ?Sized>(
        &self,
        old: &UnlockedVault<S>,
        units: &[SealedUnit<S>],
        rng: &mut R,
    ) -> Result<Vec<SealedUnit<S>>, Error> {
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
