//! Revocation that holds: a rekey (new secret, new root key) and the move of every unit —
//! gated ones included — under it, as one operation.
//!
//! A refresh ([`UnlockedVault::refresh`]) keeps the secret: it revokes a lost holder only
//! together with the key servers dropping the old key versions, and `t` old shares kept
//! together still open everything. A revocation makes whatever is sealed after it
//! unreachable from any old material. See `spec/protocol.md` §4.8 and
//! `spec/threat-model.md`, "Revocation".

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::RootKey;
use super::enroll::{Enrolled, KeyServerSetup, Password, PendingEnrollment};
use super::header::{VaultHeader, VaultId};
use super::unit::{GateTarget, SealedUnit, UnitMigration};
use crate::Error;
use crate::generic::{Capsule, UnlockedVault};
use crate::generic::{GateResponse, ServerRequest};
use crate::suite::Suite;

use crate::policy::Policy;

/// A revocation waiting for the key servers' answers: the new dealing's gates, then the
/// units' reads and new gates. Single use.
pub struct Revocation<S: Suite> {
    enrollment: PendingEnrollment<S>,
    migration: UnitMigration<S>,
    old_root: RootKey,
    old_id: VaultId,
}

impl<S: Suite> core::fmt::Debug for Revocation<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Revocation")
            .field("enrollment", &self.enrollment)
            .field("migration", &self.migration)
            .finish_non_exhaustive()
    }
}

/// What a revocation produces, for the caller to persist in place of the old artifacts.
#[derive(Debug)]
pub struct Revoked<S: Suite> {
    /// The new dealing: header, device shares, capsules, cards and the open vault.
    pub enrolled: Enrolled<S>,
    /// Every unit, in the order given, sealed under the new root key (gated units behind
    /// their new gates); each has been opened once.
    pub units: Vec<SealedUnit<S>>,
}

impl<S: Suite> UnlockedVault<S> {
    /// Starts a **revocation**: [`rekey`](Self::rekey) (a new secret at epoch
    /// `current.epoch() + 1`, capsules under server keys newer than `current_capsules`')
    /// and the move of every one of `units` under the new root key, with the gates of key
    /// servers named in `unit_targets` moved to their newer keys. Pass a target for every key
    /// server whose old versions will be dropped, or its gated units die with them.
    ///
    /// Two-phase: nothing old is invalidated. Persist [`Revoked`], check it unlocks, replace
    /// the unlock tag at each key server with a password guard
    /// ([`tag_change`](Self::tag_change)), and only then delete the old header, shares,
    /// cards, capsules and units and drop the old key versions.
    #[allow(clippy::too_many_arguments)]
    pub fn revoke<R: CryptoRng + ?Sized>(
        &self,
        current: &VaultHeader<S>,
        current_capsules: &[Capsule<S>],
        policy: Policy,
        servers: &[KeyServerSetup<S>],
        password: Option<Password<'_>>,
        units: &[SealedUnit<S>],
        unit_targets: &[GateTarget<S>],
        rng: &mut R,
    ) -> Result<(Revocation<S>, Vec<ServerRequest<S>>), Error> {
        if let Some(unit) = units.iter().find(|u| u.vault_id() != self.vault_id()) {
            return Err(Error::OtherVault {
                object: if unit.gate().is_some() {
                    "gated unit"
                } else {
                    "sealed unit"
                },
            });
        }
        let (enrollment, mut requests) =
            self.rekey(current, current_capsules, policy, servers, password, rng)?;
        let (migration, unit_requests) = UnitMigration::start(units, unit_targets, rng)?;
        requests.extend(unit_requests);
        Ok((
            Revocation {
                enrollment,
                migration,
                old_root: self.root().clone(),
                old_id: self.vault_id(),
            },
            requests,
        ))
    }
}

impl<S: Suite> Revocation<S> {
    /// Completes the revocation, `responses[i]` answering request `i` (every request needs
    /// its answer). All or nothing.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        responses: &[GateResponse<S>],
        rng: &mut R,
    ) -> Result<Revoked<S>, Error> {
        let gates = self.enrollment.request_count();
        if responses.len() < gates {
            return Err(Error::ResponseCount {
                expected: gates,
                found: responses.len(),
            });
        }
        let (enrollment_responses, unit_responses) = responses.split_at(gates);
        let enrolled = self.enrollment.finish(enrollment_responses, rng)?;
        let units = self.migration.finish_with(
            &self.old_root,
            self.old_id,
            &enrolled.vault,
            unit_responses,
            rng,
        )?;
        Ok(Revoked { enrolled, units })
    }
}
