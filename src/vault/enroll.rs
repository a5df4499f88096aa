//! Enrollment: draw the secret, deal it, seal the key servers' shares in capsules.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::UnlockedVault;
use super::capsule::{Capsule, CapsuleGate};
use super::header::{VaultHeader, VaultId};
use super::share::{ShareCard, VaultShare};
use crate::Error;
use crate::gate::{GateMode, GateResponse, PendingGate, ServerPin, ServerRequest};
use crate::policy::{HolderKind, Policy};
use crate::sharing::{self, HolderId, Secret, Share};

/// How the client reaches one key-server holder: its pinned key and gate mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyServerSetup {
    /// The key-server holder (must be a `KeyServer` in the policy).
    pub holder: HolderId,
    /// The server key, from the app's authenticated channel.
    pub pin: ServerPin,
    /// VOPRF, or POPRF with a public label.
    pub mode: GateMode,
}

/// An enrollment (or re-deal) waiting for the key servers' answers. Single use.
pub struct Enrollment {
    header: VaultHeader,
    secret: Secret,
    shares: Vec<Share>,
    pending: Vec<(CapsuleGate, PendingGate)>,
}

impl core::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Enrollment")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Everything an enrollment produces, for the caller to persist.
///
/// Nothing here has been persisted anywhere: the caller stores the header and capsules
/// (public), the device shares on the device, and hands the cards to custodians.
#[derive(Debug)]
pub struct Enrolled {
    /// The public header.
    pub header: VaultHeader,
    /// The shares of the device holders (secret: keep on the device).
    pub device_shares: Vec<VaultShare>,
    /// One capsule per key-server holder (public).
    pub capsules: Vec<Capsule>,
    /// One share card per custodian (secret: give to the custodian).
    pub cards: Vec<ShareCard>,
    /// The vault, open.
    pub vault: UnlockedVault,
}

impl Enrollment {
    /// Starts enrolling a new vault under `policy`: draws the secret and the vault id, deals
    /// the shares, and blinds one gate per key-server holder (with `password` folded into
    /// every gate, if given). Every key-server holder needs a [`KeyServerSetup`].
    pub fn start<R: CryptoRng + ?Sized>(
        policy: Policy,
        servers: &[KeyServerSetup],
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest>), Error> {
        let secret = Secret::random(rng);
        let vault_id = VaultId::random(rng);
        Self::deal(policy, secret, vault_id, 0, servers, password, rng)
    }

    /// Deals `secret` afresh at `epoch` (enrollment uses epoch 0; a re-deal the next one).
    pub(crate) fn deal<R: CryptoRng + ?Sized>(
        policy: Policy,
        secret: Secret,
        vault_id: VaultId,
        epoch: u32,
        servers: &[KeyServerSetup],
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest>), Error> {
        for setup in servers {
            match policy.holder(setup.holder) {
                Some(h) if h.is_key_server() => {}
                Some(_) => return Err(Error::WrongHolderKind(setup.holder)),
                None => return Err(Error::UnknownHolder(setup.holder)),
            }
        }
        let (shares, commitments) = sharing::deal(&secret, policy.threshold(), &policy.ids(), rng)?;
        let header = VaultHeader::new(vault_id, epoch, policy, commitments)?;
        let mut pending = Vec::new();
        let mut requests = Vec::new();
        for holder in header.policy().key_servers() {
            let mut matching = servers.iter().filter(|s| s.holder == holder.id());
            let setup = matching.next().ok_or(Error::MissingPin {
                holder: holder.id(),
            })?;
            if matching.next().is_some() {
                return Err(Error::DuplicateHolder(holder.id()));
            }
            let key_id = holder.kind().key_id().unwrap_or_default();
            let gate =
                CapsuleGate::new(holder.id(), key_id, &setup.pin, &setup.mode, password, rng);
            let (waiting, request) = gate.start(password, rng)?;
            requests.push(request);
            pending.push((gate, waiting));
        }
        Ok((
            Self {
                header,
                secret,
                shares,
                pending,
            },
            requests,
        ))
    }

    /// The header being enrolled.
    pub fn header(&self) -> &VaultHeader {
        &self.header
    }

    /// Completes the enrollment with the key servers' responses, `responses[i]` answering
    /// request `i`. Every response must verify against its pinned key; every capsule is
    /// opened again before anything is returned.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        responses: &[GateResponse],
        rng: &mut R,
    ) -> Result<Enrolled, Error> {
        let Self {
            header,
            secret,
            shares,
            pending,
        } = self;
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
            if &capsule.open(&header, output)? != share {
                return Err(Error::CapsuleOpen { holder });
            }
            capsules.push(capsule);
        }
        header.commitments().batch_verify(&shares, rng)?;
        let mut device_shares = Vec::new();
        let mut cards = Vec::new();
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
        let vault = UnlockedVault::new(&header, secret, shares);
        Ok(Enrolled {
            header,
            device_shares,
            capsules,
            cards,
            vault,
        })
    }
}
