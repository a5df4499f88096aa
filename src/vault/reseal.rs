//! Re-sealing a key server's capsule: a new gate (new key version after a rotation, another
//! mode, a new password) for the same share, without a re-deal.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::capsule::{Capsule, CapsuleGate};
use super::check_newer;
use super::enroll::{KeyServerSetup, Password};
use super::header::VaultHeader;
use crate::Error;
use crate::generic::UnlockedVault;
use crate::generic::{GateResponse, PendingGate, ServerRequest, Share};
use crate::suite::Suite;

use crate::sharing;

/// A capsule being re-sealed, waiting for the key server's evaluation under the new key.
/// Single use; holds the holder's share until [`finish`](Self::finish) (zeroized on drop).
pub struct Reseal<S: Suite> {
    header: VaultHeader<S>,
    share: Share<S>,
    gate: CapsuleGate<S>,
    pending: PendingGate<S>,
}

impl<S: Suite> core::fmt::Debug for Reseal<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reseal")
            .field("holder", &self.gate.holder)
            .field("key_version", &self.gate.pin.key_version)
            .finish_non_exhaustive()
    }
}

impl<S: Suite> UnlockedVault<S> {
    /// Starts re-sealing the share in `current` (a capsule of `header`, this vault's
    /// header) under a new gate: the key server's newer key version (rotation: open under
    /// v, seal under v+1), another mode, a new password (`password`; `None` removes it).
    /// The key version must be strictly newer than `current`'s
    /// ([`Error::KeyVersionNotNewer`]): a password change moves to a new version too, so
    /// that dropping the old one retires the old password. The share is re-issued from the
    /// shares this vault was opened with, so `current` need not be opened first.
    ///
    /// Two-phase: the old capsule stays valid until the server drops its key version; keep
    /// it until the new one is persisted and has opened once.
    pub fn reseal<R: CryptoRng + ?Sized>(
        &self,
        header: &VaultHeader<S>,
        current: &Capsule<S>,
        setup: &KeyServerSetup<S>,
        password: Option<Password<'_>>,
        rng: &mut R,
    ) -> Result<(Reseal<S>, ServerRequest<S>), Error> {
        self.check_current(header)?;
        current.check_binding(header)?;
        if current.holder() != setup.holder {
            return Err(Error::UnknownHolder(setup.holder));
        }
        check_newer(setup, current.key_id(), core::slice::from_ref(current))?;
        let holder = header
            .policy()
            .holder(setup.holder)
            .ok_or(Error::UnknownHolder(setup.holder))?;
        let crate::policy::HolderKind::KeyServer { key_id } = holder.kind() else {
            return Err(Error::WrongHolderKind(setup.holder));
        };
        let share = sharing::share_for(header.commitments(), &self.shares, setup.holder, rng)?;
        let gate = CapsuleGate::new(
            setup.holder,
            key_id,
            &setup.pin,
            &setup.mode,
            password.map(|p| p.params()),
            rng,
        );
        let (pending, request) = gate.start(password.map(|p| p.secret()), rng)?;
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

impl<S: Suite> Reseal<S> {
    /// Verifies the server's response under the new key and seals the share in a new
    /// capsule, which is opened again before it is returned.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        response: &GateResponse<S>,
        rng: &mut R,
    ) -> Result<Capsule<S>, Error> {
        let holder = self.gate.holder;
        let outputs: Vec<_> = self
            .pending
            .finish(response)
            .map_err(|_| Error::BadProof { holder })?;
        let output = outputs.first().ok_or(Error::BadProof { holder })?;
        let capsule = Capsule::seal(&self.header, self.gate, output, &self.share, rng)?;
        if capsule.open(&self.header, output, response.guesses_remaining())? != self.share {
            return Err(Error::CapsuleOpen { holder });
        }
        Ok(capsule)
    }
}
