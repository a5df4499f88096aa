//! Re-sealing a key server's capsule: a new gate (new key version after a rotation, another
//! mode, a new password) for the same share, without a re-deal.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::UnlockedVault;
use super::capsule::{Capsule, CapsuleGate};
use super::enroll::KeyServerSetup;
use super::header::VaultHeader;
use crate::Error;
use crate::gate::{GateResponse, PendingGate, ServerRequest};
use crate::sharing::{self, Share};

/// A capsule being re-sealed, waiting for the key server's evaluation under the new key.
/// Single use; holds the holder's share until [`finish`](Self::finish) (zeroized on drop).
pub struct Reseal {
    header: VaultHeader,
    share: Share,
    gate: CapsuleGate,
    pending: PendingGate,
}

impl core::fmt::Debug for Reseal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reseal")
            .field("holder", &self.gate.holder)
            .field("key_version", &self.gate.pin.key_version)
            .finish_non_exhaustive()
    }
}

impl UnlockedVault {
    /// Starts re-sealing key-server holder `setup.holder`'s share under a new gate: the
    /// server's next key version (rotation: open under v, seal under v+1), another mode, or a
    /// new password (`password`; `None` removes it). The share is re-issued from the shares
    /// this vault was opened with, so the old capsule need not be opened first.
    ///
    /// Two-phase: the old capsule stays valid until the server drops its key version; keep
    /// it until the new one is persisted and has opened once.
    pub fn reseal<R: CryptoRng + ?Sized>(
        &self,
        header: &VaultHeader,
        setup: &KeyServerSetup,
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(Reseal, ServerRequest), Error> {
        if header.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "vault header",
            });
        }
        if header.epoch() != self.epoch || header.digest() != &self.header_digest {
            return Err(Error::StaleEpoch {
                holder: setup.holder,
                found: self.epoch,
                expected: header.epoch(),
            });
        }
        let holder = header
            .policy()
            .holder(setup.holder)
            .ok_or(Error::UnknownHolder(setup.holder))?;
        let key_id = holder
            .kind()
            .key_id()
            .ok_or(Error::WrongHolderKind(setup.holder))?;
        let share = sharing::share_for(header.commitments(), &self.shares, setup.holder, rng)?;
        let gate = CapsuleGate::new(setup.holder, key_id, &setup.pin, &setup.mode, password, rng);
        let (pending, request) = gate.start(password, rng)?;
        Ok((
            Reseal {
                header: header.clone(),
                share,
                gate,
                pending,
            },
            request,
        ))
    }
}

impl Reseal {
    /// Verifies the server's response under the new key and seals the share in a new
    /// capsule, which is opened again before it is returned.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        response: &GateResponse,
        rng: &mut R,
    ) -> Result<Capsule, Error> {
        let holder = self.gate.holder;
        let outputs: Vec<_> = self
            .pending
            .finish(response)
            .map_err(|_| Error::BadProof { holder })?;
        let output = outputs.first().ok_or(Error::BadProof { holder })?;
        let capsule = Capsule::seal(&self.header, self.gate, output, &self.share, rng)?;
        if capsule.open(&self.header, output)? != self.share {
            return Err(Error::CapsuleOpen { holder });
        }
        Ok(capsule)
    }
}
