//! The key server's side, sans IO: per-user keys derived from master seeds and per-user
//! records, evaluation of gate requests under a guess limit, and an audit event for every
//! change.
//!
//! # State
//!
//! * **Master seeds**, one per *generation* (32 random bytes each, outside the database,
//!   e.g. in a KMS or HSM). Rotating adds a generation; retiring one deletes its seed, which
//!   makes every key derived from it underivable (crypto-shredding).
//! * **One [`UserRecord`] per user** (in the database): the user's key versions, each with
//!   random material mixed into its keys, and the password guard.
//!
//! A user's key for version `v`, purpose `p` and mode `m` is
//! `DeriveKeyPair(seed[generation(v)], "quorumkey v2 key" ‖ u8(p) ‖ u8(len(user)) ‖ user ‖
//! u32(v) ‖ material(v) [‖ password_material(v), password capsules only])` (RFC 9497
//! §3.2.1 with mode `m`'s context string). Dropping a version erases its material; burning
//! the password guard erases every password material. Neither can be undone by anyone
//! holding the seeds: the keys are gone.
//!
//! # The one call
//!
//! [`KeyServer::handle`] takes the authenticated user, their current record (if any) and an
//! [`Operation`] (the parsed HTTP request of `spec/http-api.md`), and returns an
//! [`Outcome`]. When the operation changes the record — every password-capsule evaluation
//! does, since it counts a guess — the response is sealed inside the outcome: the caller
//! must store [`Outcome::record_update`] (compare-and-set on the revision it read) and hand
//! the stored record back to [`Outcome::release`] to get the response bytes. A guess is
//! therefore always counted before its answer leaves.
//!
//! Authentication, rate limits and storing records and audit events are the caller's.
//! See `spec/protocol.md` §3.6, §4.4 and §6.
//!
//! # Suites
//!
//! One key server serves every suite: a user's record (key versions, materials, password
//! guard) does not depend on the suite, and the suite's RFC 9497 context string in
//! `DeriveKeyPair` gives each suite its own keys. [`KeyServer::handle`] evaluates a gate
//! request in the suite its suite byte names; the operations that answer with a key set
//! answer with P-256 keys, and [`KeyServer::handle_in`] with another suite's
//! (`spec/http-api.md`: the `suite` query parameter).

pub(crate) mod messages;
mod record;

pub use messages::{PasswordSetup, TagChange, UnlockProof, UnlockTag};
pub use record::{GuardStatus, MATERIAL_LEN, MAX_KEY_VERSIONS, UserRecord};

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::Error;
use crate::gate::{GateMode, Purpose};
use crate::generic::{GateRequest, GateResponse, KeySet as GenericKeySet, ServerKey};
use crate::kdf::{self, Digest};
use crate::oprf::{Mode, PublicKey};
use crate::suite::{P256, Suite, SuiteId};

/// The suite-dependent names of this module, for one suite.
macro_rules! suite_keyserver {
    ($suite:ty, $name:literal) => {
        #[doc = concat!("A user's public keys at one key server, and the password guard (", $name, ").")]
        pub type KeySet = $crate::generic::KeySet<$suite>;
        #[doc = concat!("One key version in a key set (", $name, ").")]
        pub type KeyVersion = $crate::generic::KeyVersion<$suite>;
    };
}
#[cfg(feature = "ristretto255")]
pub(crate) use suite_keyserver;

suite_keyserver!(P256, "P-256");

/// The longest user id the key server derives keys for, in bytes.
pub const MAX_USER_ID_LEN: usize = 255;
/// Length of a master seed.
pub const MASTER_SEED_LEN: usize = 32;
/// The guess limit a key server allows by default, and the default a client asks for.
pub const DEFAULT_MAX_GUESSES: u8 = 10;
/// The prefix of every key's `DeriveKeyPair` info.
pub const KEY_INFO_PREFIX: &[u8; 16] = b"quorumkey v2 key";
/// The `DeriveKeyPair` info of a generation's fingerprint in the key directory.
pub const DIRECTORY_INFO: &[u8; 26] = b"quorumkey v2 key directory";

/// A key server: its master seeds by generation, and the guess limit it allows. Secret:
/// zeroized on drop, never printed.
pub struct KeyServer {
    /// `(generation, seed)`, ascending by generation.
    seeds: Vec<(u32, Zeroizing<[u8; MASTER_SEED_LEN]>)>,
    current: u32,
    max_guesses_limit: u8,
}

impl core::fmt::Debug for KeyServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyServer")
            .field(
                "generations",
                &self.seeds.iter().map(|(g, _)| *g).collect::<Vec<_>>(),
            )
            .field("current", &self.current)
            .field("seeds", &"<redacted>")
            .finish()
    }
}

/// What a key server is asked to do: the HTTP requests of `spec/http-api.md`, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation<'a> {
    /// `POST /v1/evaluate`: a [`GateRequest`]'s bytes, in the suite its suite byte names.
    /// Responds with a [`GateResponse`] of that suite.
    Evaluate(&'a [u8]),
    /// `GET /v1/keys`: responds with the user's [`KeySet`].
    GetKeys,
    /// `POST /v1/keys`: creates the user's record (key version 1) or adds the next key
    /// version on the current generation. Responds with the [`KeySet`].
    AddKeyVersion,
    /// `DELETE /v1/keys/{version}`: drops a key version (not the newest), erasing its
    /// material. Responds with the [`KeySet`].
    DropKeyVersion(u32),
    /// `POST /v1/password`: a [`PasswordSetup`]'s bytes. Responds with the [`KeySet`].
    SetPassword(&'a [u8]),
    /// `POST /v1/password/unlocked`: an [`UnlockProof`]'s bytes. Responds with the
    /// [`KeySet`].
    ConfirmUnlock(&'a [u8]),
    /// `POST /v1/password/tag`: a [`TagChange`]'s bytes. Responds with the [`KeySet`].
    ChangeTag(&'a [u8]),
}

impl Operation<'_> {
    /// A short stable name (`evaluate`, `get_keys`, …), for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Evaluate(_) => "evaluate",
            Self::GetKeys => "get_keys",
            Self::AddKeyVersion => "add_key_version",
            Self::DropKeyVersion(_) => "drop_key_version",
            Self::SetPassword(_) => "set_password",
            Self::ConfirmUnlock(_) => "confirm_unlock",
            Self::ChangeTag(_) => "change_tag",
        }
    }
}

/// What happened, for the audit log. Nothing in it identifies a vault or a unit (with
/// VOPRF; with POPRF the public `info` label is shown on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// The authenticated user.
    pub user_id: Vec<u8>,
    /// What was done.
    pub action: AuditAction,
}

/// The action an [`AuditEvent`] records.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// A gate request was evaluated.
    Evaluated {
        /// The key's purpose.
        purpose: Purpose,
        /// The key version used.
        key_version: u32,
        /// The RFC 9497 mode.
        mode: Mode,
        /// The POPRF public info, if any.
        info: Option<Vec<u8>>,
        /// How many elements were evaluated (one per capsule or per-unit gate).
        element_count: usize,
        /// For a password capsule: guesses left after this one (0: the guard burned).
        guesses_remaining: Option<u8>,
        /// `derive_key("quorumkey v2 audit request", request bytes)`: ties the log line to
        /// the request without storing it.
        request_digest: Digest,
    },
    /// A key version was added.
    KeyVersionAdded {
        /// The new version.
        version: u32,
        /// The master-seed generation it derives from.
        generation: u32,
    },
    /// A key version was dropped and its material erased.
    KeyVersionDropped {
        /// The dropped version.
        version: u32,
    },
    /// The password guard was turned on.
    PasswordSet {
        /// Guesses allowed between proven unlocks.
        max_guesses: u8,
    },
    /// A proven unlock reset the guess counter.
    UnlockConfirmed,
    /// The unlock tag was replaced (and the counter reset).
    TagChanged,
}

impl AuditEvent {
    /// The canonical encoding that the audit chain hashes (`spec/wire-format.md` §15):
    /// `u8(len(user)) ‖ user ‖ u8(action) ‖ fields`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.user_id.len() + 48 + 256);
        out.push(u8::try_from(self.user_id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.user_id.get(..MAX_USER_ID_LEN).unwrap_or(&self.user_id));
        match &self.action {
            AuditAction::Evaluated {
                purpose,
                key_version,
                mode,
                info,
                element_count,
                guesses_remaining,
                request_digest,
            } => {
                out.push(0x01);
                out.push(purpose.to_byte());
                out.extend_from_slice(&key_version.to_be_bytes());
                out.push(mode.to_byte());
                let info = info.as_deref().unwrap_or_default();
                let info = info.get(..crate::gate::MAX_INFO_LEN).unwrap_or(info);
                out.push(u8::try_from(info.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(info);
                out.extend_from_slice(
                    &u16::try_from(*element_count)
                        .unwrap_or(u16::MAX)
                        .to_be_bytes(),
                );
                match guesses_remaining {
                    None => out.push(0),
                    Some(left) => out.extend_from_slice(&[1, *left]),
                }
                out.extend_from_slice(request_digest);
            }
            AuditAction::KeyVersionAdded {
                version,
                generation,
            } => {
                out.push(0x02);
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(&generation.to_be_bytes());
            }
            AuditAction::KeyVersionDropped { version } => {
                out.push(0x03);
                out.extend_from_slice(&version.to_be_bytes());
            }
            AuditAction::PasswordSet { max_guesses } => {
                out.push(0x04);
                out.push(*max_guesses);
            }
            AuditAction::UnlockConfirmed => out.push(0x05),
            AuditAction::TagChanged => out.push(0x06),
        }
        out
    }

    /// The next link of a user's audit hash chain:
    /// `derive_key("quorumkey v2 audit chain", previous ‖ u64(seq) ‖ u64(time_ms) ‖
    /// event bytes)`, with `previous` = 32 zero bytes for the first event. Storing the
    /// link with each event lets anyone holding the log detect a deleted, reordered or
    /// edited event by recomputing the chain.
    pub fn chain(&self, previous: &Digest, seq: u64, time_ms: u64) -> Digest {
        kdf::digest(
            kdf::CONTEXT_AUDIT_CHAIN,
            &[
                previous,
                &seq.to_be_bytes(),
                &time_ms.to_be_bytes(),
                &self.to_bytes(),
            ],
        )
    }
}

impl AuditAction {
    /// A short stable name (`evaluated`, `key_version_added`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Evaluated { .. } => "evaluated",
            Self::KeyVersionAdded { .. } => "key_version_added",
            Self::KeyVersionDropped { .. } => "key_version_dropped",
            Self::PasswordSet { .. } => "password_set",
            Self::UnlockConfirmed => "unlock_confirmed",
            Self::TagChanged => "tag_changed",
        }
    }
}

/// The result of [`KeyServer::handle`]: a record to store (if the operation changed it),
/// and a response and audit event released only once the record is stored.
#[must_use = "store the record update, then release the response"]
pub struct Outcome {
    update: Option<UserRecord>,
    body: Vec<u8>,
    audit: Option<AuditEvent>,
}

impl core::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Outcome")
            .field("update", &self.update)
            .field("audit", &self.audit.as_ref().map(|a| a.action.name()))
            .finish_non_exhaustive()
    }
}

/// A released response: the body to send and the event to append to the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    /// The response body (`application/octet-stream`).
    pub body: Vec<u8>,
    /// The audit event (`None` for reading the key set, which changes nothing).
    pub audit: Option<AuditEvent>,
}

impl Outcome {
    /// The record to store before releasing the response, or `None` if the operation
    /// changed nothing. Store it with compare-and-set on the revision that was read
    /// (the update's revision is exactly one higher).
    pub fn record_update(&self) -> Option<&UserRecord> {
        self.update.as_ref()
    }

    /// The audit event that [`release`](Self::release) will hand out (`None` for reading the
    /// key set), so the caller can append it in the same transaction that stores the record
    /// update: the event and the change it records are then stored together or not at all.
    pub fn audit_event(&self) -> Option<&AuditEvent> {
        self.audit.as_ref()
    }

    /// Releases the response once the update is stored: `stored` must be the record as the
    /// store now holds it (equal to [`record_update`](Self::record_update)), or `None` when
    /// there was no update. Anything else is [`Error::RecordNotStored`] and the response is
    /// destroyed.
    pub fn release(self, stored: Option<&UserRecord>) -> Result<Released, Error> {
        match (&self.update, stored) {
            (None, None) => {}
            (Some(update), Some(stored)) if update == stored => {}
            _ => return Err(Error::RecordNotStored),
        }
        Ok(Released {
            body: self.body,
            audit: self.audit,
        })
    }
}

/// The HTTP status of an error of [`KeyServer::handle`] (`spec/http-api.md` §4), so every
/// implementation of the contract answers alike: 400 for malformed or out-of-range input,
/// 403 for a wrong unlock tag, 404 for no record or an unknown key version, 409 for a
/// conflict with the record's state, 410 once the password keys are burned, 503 when the
/// record update was not stored, 500 for anything else.
pub fn http_status(error: &Error) -> u16 {
    match error {
        Error::Decode { .. }
        | Error::Oprf(_)
        | Error::ElementBudget { .. }
        | Error::UserIdLength { .. }
        | Error::MaxGuesses { .. }
        | Error::InfoLength { .. } => 400,
        Error::UnlockTagMismatch => 403,
        Error::NoRecord | Error::UnknownKeyVersion { .. } => 404,
        Error::PasswordAlreadySet
        | Error::PasswordNotSet
        | Error::NewestKeyVersion { .. }
        | Error::TooManyKeyVersions { .. } => 409,
        Error::PasswordBurned => 410,
        Error::RecordNotStored => 503,
        _ => 500,
    }
}

fn check_user(user_id: &[u8]) -> Result<(), Error> {
    if user_id.is_empty() || user_id.len() > MAX_USER_ID_LEN {
        return Err(Error::UserIdLength {
            length: user_id.len(),
        });
    }
    Ok(())
}

impl KeyServer {
    /// A key server with one master seed (generation 1; 32 uniformly random bytes, kept
    /// secret).
    pub fn new(master_seed: [u8; MASTER_SEED_LEN]) -> Self {
        Self {
            seeds: alloc::vec![(1, Zeroizing::new(master_seed))],
            current: 1,
            max_guesses_limit: DEFAULT_MAX_GUESSES,
        }
    }

    /// A key server with a fresh random master seed (generation 1).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; MASTER_SEED_LEN];
        rng.fill_bytes(&mut seed);
        let server = Self::new(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        server
    }

    /// A key server with several generations of master seeds; new key versions use
    /// `current`. Generations must be distinct and `current` among them
    /// ([`Error::UnknownGeneration`] otherwise).
    pub fn with_generations(
        generations: Vec<(u32, Zeroizing<[u8; MASTER_SEED_LEN]>)>,
        current: u32,
    ) -> Result<Self, Error> {
        let mut seeds = generations;
        seeds.sort_by_key(|(g, _)| *g);
        if seeds.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0))
            || !seeds.iter().any(|(g, _)| *g == current)
        {
            return Err(Error::UnknownGeneration {
                generation: current,
            });
        }
        Ok(Self {
            seeds,
            current,
            max_guesses_limit: DEFAULT_MAX_GUESSES,
        })
    }

    /// Sets the most guesses a client may ask for in a [`PasswordSetup`] (default
    /// [`DEFAULT_MAX_GUESSES`]; at least 1).
    pub fn with_max_guesses_limit(mut self, limit: u8) -> Self {
        self.max_guesses_limit = limit.max(1);
        self
    }

    /// The generation new key versions use.
    pub fn current_generation(&self) -> u32 {
        self.current
    }

    /// The generations this server holds seeds for, ascending.
    pub fn generations(&self) -> impl Iterator<Item = u32> + '_ {
        self.seeds.iter().map(|(g, _)| *g)
    }

    /// A public name for a generation's seed, for the key directory: `pkS` of
    /// `DeriveKeyPair(seed, "quorumkey v2 key directory")` in mode VOPRF. Reveals nothing
    /// about the seed (`None` for an unknown generation).
    pub fn generation_fingerprint(&self, generation: u32) -> Option<PublicKey> {
        let (_, seed) = self.seeds.iter().find(|(g, _)| *g == generation)?;
        crate::oprf::ServerKey::derive(Mode::Voprf, seed, DIRECTORY_INFO)
            .ok()
            .map(|k| *k.public_key())
    }

    /// A new user record: key version 1 on the current generation, no password guard.
    pub fn new_record<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> UserRecord {
        UserRecord::new(self.current, rng)
    }

    /// The user's key for `version`, `purpose` and `mode` (VOPRF or POPRF).
    ///
    /// Errors: [`Error::UserIdLength`]; [`Error::UnknownKeyVersion`] if the record has no
    /// such version or its generation's seed is retired; [`Error::PasswordNotSet`] /
    /// [`Error::PasswordBurned`] for a password-capsule key without a live guard.
    pub fn user_key(
        &self,
        user_id: &[u8],
        record: &UserRecord,
        version: u32,
        purpose: Purpose,
        mode: Mode,
    ) -> Result<crate::oprf::ServerKey, Error> {
        self.user_key_for::<P256>(user_id, record, version, purpose, mode)
    }

    /// [`user_key`](Self::user_key) in suite `S`: the same derivation info, with `S`'s
    /// context string.
    pub fn user_key_for<S: Suite>(
        &self,
        user_id: &[u8],
        record: &UserRecord,
        version: u32,
        purpose: Purpose,
        mode: Mode,
    ) -> Result<ServerKey<S>, Error> {
        check_user(user_id)?;
        if mode == Mode::Oprf {
            return Err(Error::Oprf(crate::oprf::Error::ModeMismatch {
                expected: Mode::Voprf,
                found: Mode::Oprf,
            }));
        }
        let key = record
            .key(version)
            .ok_or(Error::UnknownKeyVersion { version })?;
        let seed = self
            .seeds
            .iter()
            .find(|(g, _)| *g == key.generation)
            .map(|(_, s)| s)
            .ok_or(Error::UnknownKeyVersion { version })?;
        let password: &[u8] = match purpose {
            Purpose::PasswordCapsule => {
                record.live_guard()?;
                key.password
                    .as_deref()
                    .ok_or(Error::PasswordBurned)?
                    .as_slice()
            }
            Purpose::Capsule | Purpose::UnitGate => &[],
        };
        let user_len = [u8::try_from(user_id.len()).unwrap_or(u8::MAX)];
        let mut info = Zeroizing::new(Vec::with_capacity(
            KEY_INFO_PREFIX.len() + 2 + user_id.len() + 4 + 2 * MATERIAL_LEN,
        ));
        for part in [
            KEY_INFO_PREFIX.as_slice(),
            &[purpose.to_byte()],
            &user_len,
            user_id,
            &version.to_be_bytes(),
            key.material.as_slice(),
            password,
        ] {
            info.extend_from_slice(part);
        }
        ServerKey::derive(mode, seed, &info).map_err(|_| Error::KeyDerivation)
    }

    /// The user's P-256 public keys and guard state, as sent to clients for pinning.
    pub fn key_set(&self, user_id: &[u8], record: &UserRecord) -> Result<KeySet, Error> {
        self.key_set_for::<P256>(user_id, record)
    }

    /// [`key_set`](Self::key_set) in suite `S`.
    pub fn key_set_for<S: Suite>(
        &self,
        user_id: &[u8],
        record: &UserRecord,
    ) -> Result<GenericKeySet<S>, Error> {
        let listed = messages::listed_purposes(record.guard_status());
        let mut versions = Vec::with_capacity(record.keys.len());
        for (version, generation) in record.versions() {
            if !self.seeds.iter().any(|(g, _)| *g == generation) {
                continue; // retired: nothing to pin
            }
            let mut keys = Vec::with_capacity(listed.len());
            for &(purpose, mode) in &listed {
                let key = self.user_key_for::<S>(user_id, record, version, purpose, mode)?;
                keys.push((purpose, mode, *key.public_key()));
            }
            versions.push(GenericKeySet::version_entry(
                version,
                generation == self.current,
                keys,
            ));
        }
        if versions.is_empty() {
            return Err(Error::NoRecord);
        }
        Ok(GenericKeySet::new(versions, record.guard_status()))
    }

    /// The P-256 public key `pkS` for one purpose and mode, for pinning.
    pub fn public_key(
        &self,
        user_id: &[u8],
        record: &UserRecord,
        version: u32,
        purpose: Purpose,
        mode: Mode,
    ) -> Result<PublicKey, Error> {
        self.public_key_for::<P256>(user_id, record, version, purpose, mode)
    }

    /// [`public_key`](Self::public_key) in suite `S`.
    pub fn public_key_for<S: Suite>(
        &self,
        user_id: &[u8],
        record: &UserRecord,
        version: u32,
        purpose: Purpose,
        mode: Mode,
    ) -> Result<crate::generic::PublicKey<S>, Error> {
        Ok(*self
            .user_key_for::<S>(user_id, record, version, purpose, mode)?
            .public_key())
    }

    /// Carries out `operation` for the authenticated user `user_id`, whose stored record
    /// is `record` (`None` if the user has none yet).
    ///
    /// See [`Outcome`] for what to do with the result. Errors are the caller's to map to
    /// HTTP responses (`spec/http-api.md` §4, [`Error::code`]); nothing was changed.
    ///
    /// A gate request is evaluated in the suite its suite byte names; every other
    /// operation answers with the user's P-256 [`KeySet`] (see
    /// [`handle_in`](Self::handle_in) for another suite's).
    pub fn handle<R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        record: Option<&UserRecord>,
        operation: Operation<'_>,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        self.handle_in(SuiteId::P256, user_id, record, operation, rng)
    }

    /// [`handle`](Self::handle), answering the operations that respond with a key set with
    /// suite `suite`'s keys (HTTP: the `suite` query parameter). A gate request is
    /// evaluated in the suite its own suite byte names, whatever `suite` says.
    pub fn handle_in<R: CryptoRng + ?Sized>(
        &self,
        suite: SuiteId,
        user_id: &[u8],
        record: Option<&UserRecord>,
        operation: Operation<'_>,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        match suite {
            SuiteId::P256 => self.handle_suite::<P256, R>(user_id, record, operation, rng),
            #[cfg(feature = "ristretto255")]
            SuiteId::Ristretto255 => {
                self.handle_suite::<crate::suite::Ristretto255, R>(user_id, record, operation, rng)
            }
        }
    }

    fn handle_suite<S: Suite, R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        record: Option<&UserRecord>,
        operation: Operation<'_>,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        check_user(user_id)?;
        let event = |action| AuditEvent {
            user_id: user_id.to_vec(),
            action,
        };
        if let Operation::AddKeyVersion = operation {
            let update = match record {
                None => self.new_record(rng),
                Some(r) => r.add_version(self.current, rng)?,
            };
            let version = update.newest_version();
            return self.keys_outcome::<S>(
                user_id,
                update,
                event(AuditAction::KeyVersionAdded {
                    version,
                    generation: self.current,
                }),
            );
        }
        let record = record.ok_or(Error::NoRecord)?;
        match operation {
            Operation::Evaluate(request) => match crate::codec::suite_of(request) {
                #[cfg(feature = "ristretto255")]
                Ok(Some(SuiteId::Ristretto255)) => {
                    self.evaluate::<crate::suite::Ristretto255, R>(user_id, record, request, rng)
                }
                // Everything else, malformed requests included, goes to the P-256 decoder,
                // which reports what is wrong.
                _ => self.evaluate::<P256, R>(user_id, record, request, rng),
            },
            Operation::GetKeys => Ok(Outcome {
                update: None,
                body: self.key_set_for::<S>(user_id, record)?.to_bytes(),
                audit: None,
            }),
            Operation::AddKeyVersion => Err(Error::NoRecord),
            Operation::DropKeyVersion(version) => self.keys_outcome::<S>(
                user_id,
                record.drop_version(version)?,
                event(AuditAction::KeyVersionDropped { version }),
            ),
            Operation::SetPassword(body) => {
                let setup = PasswordSetup::from_bytes(body)?;
                if setup.max_guesses() > self.max_guesses_limit {
                    return Err(Error::MaxGuesses {
                        requested: setup.max_guesses(),
                        limit: self.max_guesses_limit,
                    });
                }
                let update =
                    record.set_password(setup.max_guesses(), *setup.tag_commitment(), rng)?;
                self.keys_outcome::<S>(
                    user_id,
                    update,
                    event(AuditAction::PasswordSet {
                        max_guesses: setup.max_guesses(),
                    }),
                )
            }
            Operation::ConfirmUnlock(body) => {
                let proof = UnlockProof::from_bytes(body)?;
                let update = record.confirm_unlock(&proof.commitment(), None)?;
                self.keys_outcome::<S>(user_id, update, event(AuditAction::UnlockConfirmed))
            }
            Operation::ChangeTag(body) => {
                let change = TagChange::from_bytes(body)?;
                let update = record
                    .confirm_unlock(&change.old_commitment(), Some(change.new_commitment()))?;
                self.keys_outcome::<S>(user_id, update, event(AuditAction::TagChanged))
            }
        }
    }

    /// [`handle`](Self::handle) for a record held in memory by one process (tests,
    /// examples, a single-process server that persists `record` itself): stores the update
    /// into `record`, then releases. A server with a database uses `handle`, storing the
    /// update there (compare-and-set) before it releases.
    pub fn handle_local<R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        record: &mut Option<UserRecord>,
        operation: Operation<'_>,
        rng: &mut R,
    ) -> Result<Released, Error> {
        self.handle_local_in(SuiteId::P256, user_id, record, operation, rng)
    }

    /// [`handle_local`](Self::handle_local) with key sets in suite `suite`
    /// ([`handle_in`](Self::handle_in)).
    pub fn handle_local_in<R: CryptoRng + ?Sized>(
        &self,
        suite: SuiteId,
        user_id: &[u8],
        record: &mut Option<UserRecord>,
        operation: Operation<'_>,
        rng: &mut R,
    ) -> Result<Released, Error> {
        let outcome = self.handle_in(suite, user_id, record.as_ref(), operation, rng)?;
        let stored = match outcome.record_update() {
            Some(update) => {
                *record = Some(update.clone());
                record.as_ref()
            }
            None => None,
        };
        outcome.release(stored)
    }

    fn keys_outcome<S: Suite>(
        &self,
        user_id: &[u8],
        update: UserRecord,
        audit: AuditEvent,
    ) -> Result<Outcome, Error> {
        Ok(Outcome {
            body: self.key_set_for::<S>(user_id, &update)?.to_bytes(),
            update: Some(update),
            audit: Some(audit),
        })
    }

    /// Evaluates an authenticated user's gate request under the key of its purpose.
    ///
    /// A password-capsule request carries exactly one element (one guess) and needs a live
    /// guard; the guess is counted in the record update, and the last allowed guess also
    /// burns the guard in that same update.
    fn evaluate<S: Suite, R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        record: &UserRecord,
        request: &[u8],
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        let parsed = GateRequest::<S>::from_bytes(request)?;
        let purpose = parsed.purpose();
        let version = parsed.key_version();
        let key =
            self.user_key_for::<S>(user_id, record, version, purpose, parsed.mode().mode())?;
        let (update, guesses_remaining) = match purpose {
            Purpose::PasswordCapsule => {
                let update = record.count_guess()?;
                let left = match update.guard_status() {
                    GuardStatus::Active {
                        guesses_remaining, ..
                    } => guesses_remaining,
                    GuardStatus::Off | GuardStatus::Burned { .. } => 0,
                };
                (Some(update), Some(left))
            }
            Purpose::Capsule | Purpose::UnitGate => (None, None),
        };
        let evaluation = parsed.evaluation_request();
        let response = match parsed.mode() {
            GateMode::Voprf => key.respond_voprf(evaluation, rng),
            GateMode::Poprf(info) => key
                .respond_poprf(evaluation, info.as_bytes(), rng)
                .map_err(Error::Oprf)?,
        };
        drop(key);
        let audit = AuditEvent {
            user_id: user_id.to_vec(),
            action: AuditAction::Evaluated {
                purpose,
                key_version: version,
                mode: parsed.mode().mode(),
                info: parsed.mode().info().map(<[u8]>::to_vec),
                element_count: evaluation.len(),
                guesses_remaining,
                request_digest: kdf::digest(kdf::CONTEXT_AUDIT_REQUEST, &[request]),
            },
        };
        Ok(Outcome {
            update,
            body: GateResponse::new(purpose, version, guesses_remaining, response).to_bytes(),
            audit: Some(audit),
        })
    }
}
