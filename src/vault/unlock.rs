//! Unlock: gather t shares (local shares, share cards, capsules opened through their key
//! servers), verify them against the header, combine, and derive the root key.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::UnlockedVault;
use super::capsule::Capsule;
use super::header::VaultHeader;
use super::share::VaultShare;
use crate::Error;
use crate::gate::{GateResponse, PendingGate, ServerRequest};
use crate::sharing::{self, HolderSet, Share};

/// An unlock waiting for the key servers' answers. Single use.
pub struct Unlock {
    header: VaultHeader,
    shares: Vec<Share>,
    pending: Vec<(Vec<Capsule>, PendingGate)>,
}

impl core::fmt::Debug for Unlock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unlock")
            .field("vault_id", &self.header.vault_id())
            .field("local_shares", &self.shares.len())
            .field("pending_requests", &self.pending.len())
            .finish()
    }
}

impl Unlock {
    /// Starts unlocking `header` with the shares at hand (device shares, share cards'
    /// shares) and the capsules to open. Capsules for the same server key and mode are
    /// batched into one request. `password` is required exactly when the capsules take one.
    ///
    /// Every object is checked against the header first (vault, epoch, header digest,
    /// holder kind); a holder given twice is an error.
    pub fn start<R: CryptoRng + ?Sized>(
        header: &VaultHeader,
        shares: &[VaultShare],
        capsules: &[Capsule],
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest>), Error> {
        let mut seen = HolderSet::new();
        let mut local = Vec::with_capacity(shares.len());
        for share in shares {
            share.check_binding(header)?;
            if !seen.insert(share.holder()) {
                return Err(Error::DuplicateHolder(share.holder()));
            }
            local.push(share.share().clone());
        }
        // Group capsules by (server, key, mode): one request, one proof per group.
        let mut groups: Vec<Vec<Capsule>> = Vec::new();
        for capsule in capsules {
            capsule.check_binding(header)?;
            if !seen.insert(capsule.holder()) {
                return Err(Error::DuplicateHolder(capsule.holder()));
            }
            let same = |c: &Capsule| {
                c.key_id() == capsule.key_id()
                    && c.pin() == capsule.pin()
                    && c.mode() == capsule.mode()
            };
            match groups.iter_mut().find(|g| g.first().is_some_and(same)) {
                Some(group) => group.push(capsule.clone()),
                None => groups.push(alloc::vec![capsule.clone()]),
            }
        }
        let mut pending = Vec::with_capacity(groups.len());
        let mut requests = Vec::with_capacity(groups.len());
        for group in groups {
            let Some(first) = group.first() else { continue };
            let inputs = group
                .iter()
                .map(|c| c.gate().oprf_input(password))
                .collect::<Result<Vec<_>, _>>()?;
            let (waiting, request) = PendingGate::start(first.pin(), first.mode(), inputs, rng)?;
            requests.push(ServerRequest {
                holders: group.iter().map(Capsule::holder).collect(),
                key_id: first.key_id().into(),
                request,
            });
            pending.push((group, waiting));
        }
        Ok((
            Self {
                header: header.clone(),
                shares: local,
                pending,
            },
            requests,
        ))
    }

    /// Completes the unlock. `responses[i]` answers request `i`; `None` marks a server that
    /// refused or could not be reached, which is fine as long as `t` shares remain.
    ///
    /// A response that fails verification, or a capsule that does not open, is an error
    /// naming the holder (a server that answers wrongly is under attack or attacking; the
    /// app may retry without that server's capsules). All shares are then batch-verified
    /// against the header's commitments, combined, and checked against `C_0`.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        responses: &[Option<GateResponse>],
        rng: &mut R,
    ) -> Result<UnlockedVault, Error> {
        let Self {
            header,
            mut shares,
            pending,
        } = self;
        if responses.len() != pending.len() {
            return Err(Error::ResponseCount {
                expected: pending.len(),
                found: responses.len(),
            });
        }
        for ((capsules, waiting), response) in pending.into_iter().zip(responses) {
            let Some(response) = response else { continue };
            // Groups are built non-empty; the first capsule's holder names the culprit.
            let Some(first) = capsules.first() else {
                continue;
            };
            let outputs = waiting.finish(response).map_err(|_| Error::BadProof {
                holder: first.holder(),
            })?;
            for (capsule, output) in capsules.iter().zip(&outputs) {
                shares.push(capsule.open(&header, output)?);
            }
        }
        let needed = header.policy().threshold();
        if shares.len() < needed.count() {
            return Err(Error::NotEnoughShares {
                needed: needed.get(),
                got: shares.len(),
            });
        }
        let secret = sharing::combine(header.commitments(), &shares, rng)?;
        Ok(UnlockedVault::new(&header, secret, shares))
    }
}
