//! The vault header: the public description of one dealing of the vault's secret.

use alloc::vec::Vec;

use rand_core::CryptoRng;

use crate::Error;
use crate::codec::{self, ObjectType, Reader};
use crate::generic::Commitments;
use crate::kdf::{self, Digest};
use crate::policy::Policy;
use crate::suite::Suite;

/// The suite byte of P-256 vaults: P-256, RFC 9497 P256-SHA256 gates, BLAKE3, and
/// XChaCha20-Poly1305 (the same byte as [`codec::SUITE_P256_SHA256`]). A header's suite byte
/// is its suite's ([`Suite::ID`](crate::suite::Suite::ID)).
pub const SUITE_P256_SHA256_BLAKE3_XCHACHA: u8 = codec::SUITE_P256_SHA256;
/// Length of a vault id.
pub const VAULT_ID_LEN: usize = 16;

/// A vault's random 16-byte identity. Public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VaultId(pub [u8; VAULT_ID_LEN]);

impl VaultId {
    /// Draws a fresh vault id.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; VAULT_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; VAULT_ID_LEN] {
        &self.0
    }
}

/// The public header of a vault at one epoch: policy and Feldman commitments.
///
/// Every capsule and share card binds the header's [`digest`](Self::digest), so a share
/// cannot be replayed into another vault or another dealing of the same vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultHeader<S: Suite> {
    vault_id: VaultId,
    epoch: u32,
    policy: Policy,
    commitments: Commitments<S>,
    digest: Digest,
}

impl<S: Suite> VaultHeader<S> {
    /// Builds a header; the commitment count must equal the policy's threshold.
    pub(crate) fn new(
        vault_id: VaultId,
        epoch: u32,
        policy: Policy,
        commitments: Commitments<S>,
    ) -> Result<Self, Error> {
        let mut header = Self::unhashed(vault_id, epoch, policy, commitments)?;
        header.digest = kdf::digest(kdf::CONTEXT_HEADER, &[&header.to_bytes()]);
        Ok(header)
    }

    /// A header whose digest is still to be set; checks the commitment count.
    fn unhashed(
        vault_id: VaultId,
        epoch: u32,
        policy: Policy,
        commitments: Commitments<S>,
    ) -> Result<Self, Error> {
        if commitments.threshold() != policy.threshold() {
            return Err(Error::CommitmentCount {
                expected: policy.threshold().get(),
                found: commitments.threshold().get(),
            });
        }
        Ok(Self {
            vault_id,
            epoch,
            policy,
            commitments,
            digest: [0; 32],
        })
    }

    /// The vault's id.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// The epoch: 0 at enrollment, bumped by every re-deal.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The Feldman commitments `C_0..C_{t-1}`.
    pub fn commitments(&self) -> &Commitments<S> {
        &self.commitments
    }

    /// `derive_key("quorumkey v2 header", encoding)`: what capsules and share cards bind.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The canonical encoding (`spec/wire-format.md` §"Vault header").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.commitments.encoded_len());
        codec::put_prefix(&mut out, ObjectType::Header);
        out.push(S::ID.to_byte());
        out.extend_from_slice(&self.vault_id.0);
        out.extend_from_slice(&self.epoch.to_be_bytes());
        self.policy.write_to(&mut out);
        self.commitments.write_to(&mut out);
        out
    }

    /// Decodes a header strictly; the commitment count must equal the threshold.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::Header).map_err(Error::header)?;
        codec::read_suite::<S>(&mut r).map_err(Error::header)?;
        let vault_id = VaultId(r.array("vault id").map_err(Error::header)?);
        let epoch = r.u32("epoch").map_err(Error::header)?;
        let policy = Policy::read(&mut r).map_err(Error::PolicyDecode)?;
        let commitments = Commitments::from_bytes(r.rest()).map_err(Error::Sharing)?;
        r.finish().map_err(Error::header)?;
        let mut header = Self::unhashed(vault_id, epoch, policy, commitments)?;
        // Every field was decoded strictly, so `bytes` is the canonical encoding: the
        // digest is taken over the input as received instead of a re-encoding.
        header.digest = kdf::digest(kdf::CONTEXT_HEADER, &[bytes]);
        debug_assert!(header.to_bytes() == bytes, "a header decoder is not strict");
        Ok(header)
    }
}
