//! Unlock: gather t shares (local shares, share cards, capsules opened through their key
//! servers), verify them against the header, combine, and derive the root key.
//!
//! Capsules and headers come from untrusted storage. The caller says what it trusts
//! ([`Trust`]): the digest of the header it enrolled, the key servers' key sets it fetched
//! over an authenticated channel, or both. See `spec/protocol.md` §4.2.

use alloc::string::String;
use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::capsule::Capsule;
use super::header::VaultHeader;
use super::share::VaultShare;
use crate::Error;
use crate::generic::UnlockedVault;
use crate::generic::{GateResponse, KeySet, PendingGate, ServerRequest, Share};
use crate::suite::Suite;

use crate::gate::Purpose;
use crate::kdf::Digest;
use crate::keyserver::GuardStatus;

use crate::sharing::{self, HolderSet};

/// What the caller trusts when unlocking: the header it enrolled (by digest), and the key
/// servers' key sets it obtained over an authenticated channel.
///
/// * A capsule whose key server has a key set here must pin a key of that set (for its
///   version, purpose and mode), else [`Error::UntrustedKey`] — or
///   [`Error::PasswordBurned`] for a password capsule whose key version is in the set but
///   whose password keys the burned guard destroyed.
/// * A capsule of any other key server is accepted only if the header is anchored: its
///   digest is the trusted one, or a share given to the unlock (the device's share, a
///   share card — the user's own secrets) was dealt with it. A header that is anchored
///   can't be swapped, and a swapped capsule then yields a share that fails verification.
/// * A trusted digest that differs from the header's is [`Error::UntrustedHeader`].
#[derive(Clone, Debug)]
pub struct Trust<S: Suite> {
    header_digest: Option<Digest>,
    key_sets: Vec<(String, KeySet<S>)>,
}

impl<S: Suite> Default for Trust<S> {
    fn default() -> Self {
        Self {
            header_digest: None,
            key_sets: Vec::new(),
        }
    }
}

impl<S: Suite> Trust<S> {
    /// Trusts nothing yet: only shares given to the unlock anchor the header.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the header with this digest (kept on the device since enrollment).
    pub fn header(mut self, digest: &Digest) -> Self {
        self.header_digest = Some(*digest);
        self
    }

    /// Trusts `keys` as key server `key_id`'s key set.
    pub fn key_set(mut self, key_id: &str, keys: KeySet<S>) -> Self {
        self.key_sets.retain(|(id, _)| id != key_id);
        self.key_sets.push((String::from(key_id), keys));
        self
    }

    fn check_capsule(&self, capsule: &Capsule<S>, header_anchored: bool) -> Result<(), Error> {
        let holder = capsule.holder();
        match self.key_sets.iter().find(|(id, _)| id == capsule.key_id()) {
            Some((_, keys)) => {
                let trusted = keys.pin(
                    capsule.key_version(),
                    capsule.purpose(),
                    capsule.mode().mode(),
                );
                if trusted.as_ref() == Some(capsule.pin()) {
                    Ok(())
                } else if capsule.purpose() == Purpose::PasswordCapsule
                    && matches!(keys.guard(), GuardStatus::Burned { .. })
                    && keys
                        .versions()
                        .iter()
                        .any(|v| v.version() == capsule.key_version())
                {
                    // The version is still there, its password keys are not: the guard
                    // burned them (spec §6.3). Say so, rather than "untrusted".
                    Err(Error::PasswordBurned)
                } else {
                    Err(Error::UntrustedKey { holder })
                }
            }
            None if header_anchored => Ok(()),
            None => Err(Error::UntrustedKey { holder }),
        }
    }
}

/// One request's capsules, waiting for the key server's answer.
struct Group<S: Suite> {
    capsules: Vec<Capsule<S>>,
    gate: PendingGate<S>,
}

/// An unlock waiting for the key servers' answers. Single use.
pub struct Unlock<S: Suite> {
    header: VaultHeader<S>,
    shares: Vec<Share<S>>,
    pending: Vec<Group<S>>,
}

impl<S: Suite> core::fmt::Debug for Unlock<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unlock")
            .field("vault_id", &self.header.vault_id())
            .field("local_shares", &self.shares.len())
            .field("pending_requests", &self.pending.len())
            .finish()
    }
}

impl<S: Suite> Unlock<S> {
    /// Starts unlocking `header` with the shares at hand (device shares, share cards'
    /// shares) and the capsules to open, trusting what `trust` says. Capsules for the same
    /// server key and mode are batched into one request, except password capsules: each
    /// is its own request, since each is a counted guess. `password` is required exactly
    /// when the capsules take one.
    ///
    /// Checks, in this order: the header against `trust`; every share against the header
    /// (vault, epoch, header digest, holder); every capsule against the header (vault,
    /// epoch, holder, key id) and then against `trust`; a holder given twice is an error.
    pub fn start<R: CryptoRng + ?Sized>(
        header: &VaultHeader<S>,
        shares: &[VaultShare<S>],
        capsules: &[Capsule<S>],
        trust: &Trust<S>,
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest<S>>), Error> {
        if trust
            .header_digest
            .is_some_and(|digest| &digest != header.digest())
        {
            return Err(Error::UntrustedHeader);
        }
        let anchored = trust.header_digest.is_some() || !shares.is_empty();
        let mut seen = HolderSet::new();
        let mut local = Vec::with_capacity(shares.len() + capsules.len());
        for share in shares {
            share.check_binding(header)?;
            if !seen.insert(share.holder()) {
                return Err(Error::DuplicateHolder(share.holder()));
            }
            local.push(share.share().clone());
        }
        // Group capsules by (server, key, purpose, mode): one request, one proof per group,
        // at most the purpose's element budget per request.
        let mut groups: Vec<Vec<Capsule<S>>> = Vec::new();
        for capsule in capsules {
            capsule.check_binding(header)?;
            trust.check_capsule(capsule, anchored)?;
            if !seen.insert(capsule.holder()) {
                return Err(Error::DuplicateHolder(capsule.holder()));
            }
            let same = |group: &Vec<Capsule<S>>| {
                group.len() < capsule.purpose().element_budget()
                    && group.first().is_some_and(|c| {
                        c.key_id() == capsule.key_id()
                            && c.pin() == capsule.pin()
                            && c.mode() == capsule.mode()
                            && c.purpose() == capsule.purpose()
                    })
            };
            match groups.iter_mut().find(|g| same(g)) {
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
            let (gate, request) =
                PendingGate::start(first.purpose(), first.pin(), first.mode(), inputs, rng)?;
            requests.push(ServerRequest {
                holders: group.iter().map(Capsule::holder).collect(),
                key_id: first.key_id().into(),
                request,
            });
            pending.push(Group {
                capsules: group,
                gate,
            });
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
    /// A response that fails verification is [`Error::BadProof`]; a capsule that does not
    /// open is [`Error::CapsuleOpen`], or [`Error::WrongPassword`] (with the guesses left)
    /// for a password capsule. All shares are then batch-verified against the header's
    /// commitments, combined, and checked against `C_0`.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        responses: &[Option<GateResponse<S>>],
        rng: &mut R,
    ) -> Result<UnlockedVault<S>, Error> {
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
        for (group, response) in pending.into_iter().zip(responses) {
            let Some(response) = response else { continue };
            // Groups are built non-empty; the first capsule's holder names the culprit.
            let Some(first) = group.capsules.first() else {
                continue;
            };
            let holder = first.holder();
            if first.purpose() != response.purpose() {
                return Err(Error::BadProof { holder });
            }
            let outputs = group
                .gate
                .finish(response)
                .map_err(|_| Error::BadProof { holder })?;
            for (capsule, output) in group.capsules.iter().zip(&outputs) {
                shares.push(capsule.open(&header, output, response.guesses_remaining())?);
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
