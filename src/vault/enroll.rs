//! Enrollment: draw the secret, deal it, seal the key servers' shares in capsules.
//!
//! Three steps, because a password factor must be set up at the key server before its
//! first guess is counted: [`Enrollment::new`] deals (and so knows the root key and the
//! unlock tags), [`Enrollment::password_setup`] makes what the key server needs, and
//! [`Enrollment::request_gates`] blinds the gates; [`PendingEnrollment::finish`] seals the
//! capsules. [`Enrollment::start`] does the first and last of these at once when no
//! password is set up. See `spec/protocol.md` §4.1.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::RootKey;
use super::capsule::{Capsule, CapsuleGate};
use super::header::{VaultHeader, VaultId};
use super::share::{ShareCard, VaultShare};
use crate::Error;
use crate::gate::{GateMode, PasswordParams, Purpose};
use crate::generic::UnlockedVault;
use crate::generic::{GateResponse, KeySet, PendingGate, Secret, ServerPin, ServerRequest, Share};
use crate::keyserver::{PasswordSetup, UnlockTag};
use crate::policy::{HolderKind, Policy};
use crate::sharing::{self, HolderId};
use crate::suite::Suite;

/// How the client reaches one key-server holder: its pinned key and gate mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyServerSetup<S: Suite> {
    /// The key-server holder (must be a `KeyServer` in the policy).
    pub holder: HolderId,
    /// The server key for the capsule's purpose ([`Purpose::PasswordCapsule`] when a
    /// password is set, [`Purpose::Capsule`] otherwise) and mode, from the key server's key
    /// set obtained over an authenticated channel.
    pub pin: ServerPin<S>,
    /// VOPRF, or POPRF with a public label.
    pub mode: GateMode,
}

impl<S: Suite> KeyServerSetup<S> {
    /// The setup for `holder` at the newest version of `keys`, for a capsule with or
    /// without a password ([`Error::MissingPin`] if the key set has no such key, e.g. a
    /// password-capsule key before the password guard is on).
    pub fn newest(
        holder: HolderId,
        keys: &KeySet<S>,
        mode: GateMode,
        password: bool,
    ) -> Result<Self, Error> {
        let purpose = if password {
            Purpose::PasswordCapsule
        } else {
            Purpose::Capsule
        };
        let pin = keys
            .newest_pin(purpose, mode.mode())
            .ok_or(Error::MissingPin { holder })?;
        Ok(Self { holder, pin, mode })
    }
}

/// A password and the Argon2id parameters to stretch it with when sealing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Password<'a> {
    secret: &'a [u8],
    params: PasswordParams,
}

impl core::fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Password")
            .field("secret", &"<redacted>")
            .field("params", &self.params)
            .finish()
    }
}

impl<'a> Password<'a> {
    /// `secret` (1..=1024 bytes, checked when it is used) with the default parameters.
    pub fn new(secret: &'a [u8]) -> Self {
        Self {
            secret,
            params: PasswordParams::DEFAULT,
        }
    }

    /// The same password with other Argon2id parameters.
    pub fn with_params(self, params: PasswordParams) -> Self {
        Self { params, ..self }
    }

    pub(crate) fn secret(&self) -> &'a [u8] {
        self.secret
    }

    pub(crate) fn params(&self) -> PasswordParams {
        self.params
    }
}

/// A dealt vault, before its capsules are sealed: knows its header, shares and root key.
pub struct Enrollment<S: Suite> {
    header: VaultHeader<S>,
    secret: Secret<S>,
    root: RootKey,
    shares: Vec<Share<S>>,
}

impl<S: Suite> core::fmt::Debug for Enrollment<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Enrollment")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// An enrollment (or refresh, or revocation) waiting for the key servers' answers. Single
/// use.
pub struct PendingEnrollment<S: Suite> {
    enrollment: Enrollment<S>,
    pending: Vec<(CapsuleGate<S>, PendingGate<S>)>,
}

impl<S: Suite> core::fmt::Debug for PendingEnrollment<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingEnrollment")
            .field("header", &self.enrollment.header)
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// Everything an enrollment produces, for the caller to persist.
///
/// Nothing here has been persisted anywhere: the caller stores the header and capsules
/// (public), the device shares on the device, and hands the cards to custodians.
#[derive(Debug)]
pub struct Enrolled<S: Suite> {
    /// The public header.
    pub header: VaultHeader<S>,
    /// The shares of the device holders (secret: keep on the device).
    pub device_shares: Vec<VaultShare<S>>,
    /// One capsule per key-server holder (public).
    pub capsules: Vec<Capsule<S>>,
    /// One share card per custodian (secret: give to the custodian).
    pub cards: Vec<ShareCard<S>>,
    /// The vault, open.
    pub vault: UnlockedVault<S>,
}

impl<S: Suite> Enrollment<S> {
    /// Deals a new vault under `policy`: draws the secret and the vault id (in that order)
    /// and deals a share to every holder.
    pub fn new<R: CryptoRng + ?Sized>(policy: Policy, rng: &mut R) -> Result<Self, Error> {
        let secret = Secret::random(rng);
        let vault_id = VaultId::random(rng);
        Self::deal(policy, secret, vault_id, 0, rng)
    }

    /// [`Enrollment::new`] then [`Enrollment::request_gates`], for enrollments that set up
    /// no password at the key servers in between.
    pub fn start<R: CryptoRng + ?Sized>(
        policy: Policy,
        servers: &[KeyServerSetup<S>],
        password: Option<Password<'_>>,
        rng: &mut R,
    ) -> Result<(PendingEnrollment<S>, Vec<ServerRequest<S>>), Error> {
        Self::new(policy, rng)?.request_gates(servers, password, rng)
    }

    /// Deals `secret` afresh at `epoch` (enrollment uses epoch 0; refresh and revocation
    /// the next one).
    pub(crate) fn deal<R: CryptoRng + ?Sized>(
        policy: Policy,
        secret: Secret<S>,
        vault_id: VaultId,
        epoch: u32,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let (shares, commitments) = sharing::deal(&secret, policy.threshold(), &policy.ids(), rng)?;
        let header = VaultHeader::new(vault_id, epoch, policy, commitments)?;
        let root = RootKey::derive(&secret, &vault_id);
        Ok(Self {
            header,
            secret,
            root,
            shares,
        })
    }

    /// The header being enrolled.
    pub fn header(&self) -> &VaultHeader<S> {
        &self.header
    }

    /// The unlock tag this vault will show key server `key_id` after each successful
    /// unlock (see [`UnlockedVault::unlock_proof`]).
    pub fn unlock_tag(&self, key_id: &str) -> UnlockTag {
        UnlockTag::derive(self.root.as_secret_bytes(), key_id)
    }

    /// What key server `key_id` needs to turn the password guard on
    /// (`POST /v1/password`), allowing `max_guesses` guesses between proven unlocks. Send
    /// it, then fetch the key set again for the password-capsule pins.
    pub fn password_setup(&self, key_id: &str, max_guesses: u8) -> Result<PasswordSetup, Error> {
        PasswordSetup::new(max_guesses, &self.unlock_tag(key_id))
    }

    /// Blinds one gate per key-server holder of the policy, behind `password` if given
    /// (then every capsule is a password capsule, and every setup must pin that purpose's
    /// key). Every key-server holder needs exactly one [`KeyServerSetup`].
    pub fn request_gates<R: CryptoRng + ?Sized>(
        self,
        servers: &[KeyServerSetup<S>],
        password: Option<Password<'_>>,
        rng: &mut R,
    ) -> Result<(PendingEnrollment<S>, Vec<ServerRequest<S>>), Error> {
        let policy = self.header.policy();
        for setup in servers {
            match policy.holder(setup.holder) {
                Some(h) if h.is_key_server() => {}
                Some(_) => return Err(Error::WrongHolderKind(setup.holder)),
                None => return Err(Error::UnknownHolder(setup.holder)),
            }
        }
        let mut pending = Vec::new();
        let mut requests = Vec::new();
        for holder in policy.key_servers() {
            let mut matching = servers.iter().filter(|s| s.holder == holder.id());
            let setup = matching.next().ok_or(Error::MissingPin {
                holder: holder.id(),
            })?;
            if matching.next().is_some() {
                return Err(Error::DuplicateHolder(holder.id()));
            }
            let HolderKind::KeyServer { key_id } = holder.kind() else {
                return Err(Error::WrongHolderKind(holder.id()));
            };
            let gate = CapsuleGate::new(
                holder.id(),
                key_id,
                &setup.pin,
                &setup.mode,
                password.map(|p| p.params()),
                rng,
            );
            let (waiting, request) = gate.start(password.map(|p| p.secret()), rng)?;
            requests.push(request);
            pending.push((gate, waiting));
        }
        Ok((
            PendingEnrollment {
                enrollment: self,
                pending,
            },
            requests,
        ))
    }
}

impl<S: Suite> PendingEnrollment<S> {
    /// How many requests (and so responses) this enrollment has.
    pub fn request_count(&self) -> usize {
        self.pending.len()
    }

    /// The header being enrolled.
    pub fn header(&self) -> &VaultHeader<S> {
        &self.enrollment.header
    }

    /// Completes the enrollment with the key servers' responses, `responses[i]` answering
    /// request `i`. Every response must verify against its pinned key; every capsule is
    /// opened again before anything is returned.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        responses: &[GateResponse<S>],
        rng: &mut R,
    ) -> Result<Enrolled<S>, Error> {
        let Self {
            enrollment,
            pending,
        } = self;
        let Enrollment {
            header,
            secret,
            root,
            shares,
        } = enrollment;
        if responses.len() != pending.len() {
            return Err(Error::ResponseCount {
                expected: pending.len(),
                found: responses.len(),
            });
        }
        let share_of = |id: HolderId| shares.iter().find(|s| s.id() == id);
        let mut capsules = Vec::with_capacity(pending.len());
        for ((gate, waiting), response) in pending.into_iter().zip(responses) {
            let holder = gate.holder;
            let outputs = waiting
                .finish(response)
                .map_err(|_| Error::BadProof { holder })?;
            let output = outputs.first().ok_or(Error::BadProof { holder })?;
            let share = share_of(holder).ok_or(Error::UnknownHolder(holder))?;
            let capsule = Capsule::seal(&header, gate, output, share, rng)?;
            // Two-phase: prove the capsule opens to its share before handing it out.
            if &capsule.open(&header, output, response.guesses_remaining())? != share {
                return Err(Error::CapsuleOpen { holder });
            }
            capsules.push(capsule);
        }
        header.commitments().batch_verify(&shares, rng)?;
        // Sized once: a pushed Vec that grows frees a block holding shares.
        let count = |kind: fn(&HolderKind) -> bool| {
            header
                .policy()
                .holders()
                .iter()
                .filter(|h| kind(h.kind()))
                .count()
        };
        let mut device_shares = Vec::with_capacity(count(|k| matches!(k, HolderKind::Device)));
        let mut cards = Vec::with_capacity(count(|k| matches!(k, HolderKind::Custodian)));
        for share in &shares {
            let holder = header
                .policy()
                .holder(share.id())
                .ok_or(Error::UnknownHolder(share.id()))?;
            match holder.kind() {
                HolderKind::Device => device_shares.push(VaultShare::new(&header, share.clone())),
                HolderKind::Custodian => {
                    cards.push(VaultShare::new(&header, share.clone()).to_card());
                }
                _ => {}
            }
        }
        let vault = UnlockedVault::from_parts(&header, secret, root, shares);
        Ok(Enrolled {
            header,
            device_shares,
            capsules,
            cards,
            vault,
        })
    }
}
