//! The key server's side: per-user keys derived from one master seed, and the evaluation of
//! gate requests with an audit event.
//!
//! The server is stateless apart from a tiny per-user record of which key versions are
//! active: every user key is `DeriveKeyPair(master_seed, user_id ‖ key_version)` (RFC 9497
//! §3.2.1), computed on demand, so servers scale out behind a load balancer and the seed can
//! live in a KMS or HSM. Authentication, rate limiting and storing audit events are the
//! app's: [`KeyServer::evaluate`] is called only after the app has authenticated the user.
//! See `spec/protocol.md` §"Key server".

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::Error;
use crate::gate::{GateMode, GateRequest, GateResponse};
use crate::kdf::{self, Digest};
use crate::oprf::{Mode, PublicKey, ServerKey};

/// The longest user id the key server derives keys for, in bytes.
pub const MAX_USER_ID_LEN: usize = 255;
/// Length of the master seed.
pub const MASTER_SEED_LEN: usize = 32;

/// A key server: the master seed from which every user's keys are derived. Secret:
/// zeroized on drop, never printed.
pub struct KeyServer {
    seed: Zeroizing<[u8; MASTER_SEED_LEN]>,
}

impl core::fmt::Debug for KeyServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyServer { seed: <redacted> }")
    }
}

/// What the key server records about one evaluation: enough to count, rate-limit and audit,
/// and nothing that identifies the vault or the unit (with VOPRF; with POPRF the public
/// `info` label is shown on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// The authenticated user.
    pub user_id: Vec<u8>,
    /// The key version used.
    pub key_version: u32,
    /// The RFC 9497 mode.
    pub mode: Mode,
    /// The POPRF public info, if any.
    pub info: Option<Vec<u8>>,
    /// How many elements were evaluated (one per capsule or per-unit gate).
    pub element_count: usize,
    /// `derive_key("quorumkey v1 audit request", request bytes)`: ties the log line to the
    /// request without storing it.
    pub request_digest: Digest,
}

impl KeyServer {
    /// A key server with the given master seed (32 uniformly random bytes, kept secret).
    pub fn new(master_seed: [u8; MASTER_SEED_LEN]) -> Self {
        Self {
            seed: Zeroizing::new(master_seed),
        }
    }

    /// A key server with a fresh random master seed.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; MASTER_SEED_LEN]);
        rng.fill_bytes(&mut *seed);
        Self { seed }
    }

    /// The user's key for `key_version` in `mode`:
    /// `DeriveKeyPair(seed, user_id ‖ u32be(key_version))` with `mode`'s context string.
    pub fn user_key(
        &self,
        user_id: &[u8],
        key_version: u32,
        mode: Mode,
    ) -> Result<ServerKey, Error> {
        if user_id.is_empty() || user_id.len() > MAX_USER_ID_LEN {
            return Err(Error::UserIdLength {
                length: user_id.len(),
            });
        }
        if mode == Mode::Oprf {
            return Err(Error::Oprf(crate::oprf::Error::ModeMismatch {
                expected: Mode::Voprf,
                found: Mode::Oprf,
            }));
        }
        let mut info = Zeroizing::new(Vec::with_capacity(user_id.len() + 4));
        info.extend_from_slice(user_id);
        info.extend_from_slice(&key_version.to_be_bytes());
        ServerKey::derive(mode, &self.seed, &info).map_err(|_| Error::KeyDerivation)
    }

    /// The public key `pkS` the app publishes (over its authenticated channel) for pinning.
    pub fn public_key(
        &self,
        user_id: &[u8],
        key_version: u32,
        mode: Mode,
    ) -> Result<PublicKey, Error> {
        Ok(*self.user_key(user_id, key_version, mode)?.public_key())
    }

    /// Evaluates an authenticated user's gate request.
    ///
    /// `active_versions` is the app's record of the key versions this user may use; a
    /// request for any other version fails with [`Error::UnknownKeyVersion`] (this is how a
    /// deleted version crypto-shreds the capsules sealed under it).
    pub fn evaluate<R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        active_versions: &[u32],
        request: &[u8],
        rng: &mut R,
    ) -> Result<(GateResponse, AuditEvent), Error> {
        let parsed = GateRequest::from_bytes(request)?;
        let version = parsed.key_version();
        if !active_versions.contains(&version) {
            return Err(Error::UnknownKeyVersion { version });
        }
        let key = self.user_key(user_id, version, parsed.mode().mode())?;
        let evaluation = parsed.evaluation_request();
        let response = match parsed.mode() {
            GateMode::Voprf => key.respond_voprf(evaluation, rng),
            GateMode::Poprf { info } => key
                .respond_poprf(evaluation, info, rng)
                .map_err(Error::Oprf)?,
        };
        let event = AuditEvent {
            user_id: user_id.to_vec(),
            key_version: version,
            mode: parsed.mode().mode(),
            info: parsed.mode().info().map(<[u8]>::to_vec),
            element_count: evaluation.len(),
            request_digest: kdf::digest(kdf::CONTEXT_AUDIT_REQUEST, &[request]),
        };
        Ok((GateResponse::new(version, response), event))
    }
}
