//! The key server's messages besides gate requests: the user's key set, and the three
//! messages of the password guard (setup, unlock proof, tag change). All are QK objects
//! (`spec/wire-format.md` §11–§13) carried as `application/octet-stream` bodies
//! (`spec/http-api.md`).

use alloc::vec::Vec;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::record::{GuardStatus, MAX_KEY_VERSIONS};
use crate::Error;
use crate::codec::{self, DecodeError, ObjectType, Reader};
use crate::gate::Purpose;
use crate::generic::{PublicKey, ServerPin};
use crate::kdf;
use crate::oprf::Mode;
use crate::suite::Suite;

/// The modes a gate can use, in byte order.
const GATE_MODES: [Mode; 2] = [Mode::Voprf, Mode::Poprf];

/// The keys a key set lists for each version, in order: both modes of every purpose, the
/// password capsule's only while the guard is active.
pub(crate) fn listed_purposes(guard: GuardStatus) -> Vec<(Purpose, Mode)> {
    Purpose::ALL
        .into_iter()
        .filter(|p| *p != Purpose::PasswordCapsule || matches!(guard, GuardStatus::Active { .. }))
        .flat_map(|p| GATE_MODES.map(|m| (p, m)))
        .collect()
}

/// One key version in a [`KeySet`]: its public keys per purpose and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVersion<S: Suite> {
    version: u32,
    current: bool,
    keys: Vec<(Purpose, Mode, PublicKey<S>)>,
}

impl<S: Suite> KeyVersion<S> {
    /// The version number.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether its keys derive from the key server's current master-seed generation.
    /// `false` means the operator is rotating: move capsules and unit gates to a newer
    /// version (one on the current generation) before the old one is retired.
    pub fn is_current(&self) -> bool {
        self.current
    }

    /// The public key for `purpose` and `mode`, if this version has one (password-capsule
    /// keys exist only while the password guard is on).
    pub fn public_key(&self, purpose: Purpose, mode: Mode) -> Option<&PublicKey<S>> {
        self.keys
            .iter()
            .find(|(p, m, _)| *p == purpose && *m == mode)
            .map(|(_, _, k)| k)
    }
}

/// A user's public keys at one key server, and the state of the password guard: the
/// response to `GET /v1/keys` and to every key or password change.
///
/// Clients pin keys from a key set obtained over an authenticated channel (TLS to the key
/// server, or the app's own API), never from an evaluation response.
///
/// Encoding: `QK 02 08 ‖ u8 suite ‖ u8 count (1..=8) ‖ count × (u32 version ‖ u8 current
/// (00|01) ‖ u8 n ‖ n × (u8 purpose ‖ u8 mode ‖ pkS (33 bytes P-256, 32 ristretto255))) ‖
/// u8 guard (00 off | 01 active | 02 burned) ‖ [u8 max_guesses ‖ u8 guesses_remaining]`;
/// versions strictly ascending, keys strictly ascending by (purpose, mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySet<S: Suite> {
    versions: Vec<KeyVersion<S>>,
    guard: GuardStatus,
}

impl<S: Suite> KeySet<S> {
    pub(crate) fn new(versions: Vec<KeyVersion<S>>, guard: GuardStatus) -> Self {
        Self { versions, guard }
    }

    pub(crate) fn version_entry(
        version: u32,
        current: bool,
        keys: Vec<(Purpose, Mode, PublicKey<S>)>,
    ) -> KeyVersion<S> {
        KeyVersion {
            version,
            current,
            keys,
        }
    }

    /// The versions, ascending.
    pub fn versions(&self) -> &[KeyVersion<S>] {
        &self.versions
    }

    /// The newest version: the one new capsules and unit gates should use.
    pub fn newest(&self) -> Option<&KeyVersion<S>> {
        self.versions.last()
    }

    /// The pin for `purpose` and `mode` at `version`.
    pub fn pin(&self, version: u32, purpose: Purpose, mode: Mode) -> Option<ServerPin<S>> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .and_then(|v| v.public_key(purpose, mode))
            .map(|public_key| ServerPin {
                key_version: version,
                public_key: *public_key,
            })
    }

    /// The pin for `purpose` and `mode` at the newest version.
    pub fn newest_pin(&self, purpose: Purpose, mode: Mode) -> Option<ServerPin<S>> {
        self.pin(self.newest()?.version, purpose, mode)
    }

    /// The password guard's state.
    pub fn guard(&self) -> GuardStatus {
        self.guard
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.versions.len() * (7 + 6 * (2 + S::ELEMENT_LEN)));
        codec::put_prefix(&mut out, ObjectType::KeySet);
        out.push(S::ID.to_byte());
        out.push(u8::try_from(self.versions.len()).unwrap_or(u8::MAX));
        for v in &self.versions {
            out.extend_from_slice(&v.version.to_be_bytes());
            out.push(u8::from(v.current));
            out.push(u8::try_from(v.keys.len()).unwrap_or(u8::MAX));
            for (purpose, mode, key) in &v.keys {
                out.push(purpose.to_byte());
                out.push(mode.to_byte());
                out.extend_from_slice(key.as_bytes().as_ref());
            }
        }
        match self.guard {
            GuardStatus::Off => out.push(0),
            GuardStatus::Active {
                max_guesses,
                guesses_remaining,
            } => out.extend_from_slice(&[1, max_guesses, guesses_remaining]),
            GuardStatus::Burned { max_guesses } => out.extend_from_slice(&[2, max_guesses, 0]),
        }
        out
    }

    /// Decodes a key set strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let set = Self::read(&mut r).map_err(Error::key_set)?;
        r.finish().map_err(Error::key_set)?;
        Ok(set)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        codec::read_prefix(r, ObjectType::KeySet)?;
        codec::read_suite::<S>(r)?;
        let count = usize::from(r.u8("version count")?);
        codec::check_len("version count", count, MAX_KEY_VERSIONS)?;
        let mut versions: Vec<KeyVersion<S>> = Vec::with_capacity(count);
        for _ in 0..count {
            let version = r.u32("key version")?;
            if versions.last().is_some_and(|v| v.version >= version) {
                return Err(DecodeError::NotAscending {
                    field: "key version",
                });
            }
            let current = r.flag("current generation")?;
            let n = usize::from(r.u8("key count")?);
            codec::check_len("key count", n, Purpose::ALL.len() * GATE_MODES.len())?;
            let mut keys: Vec<(Purpose, Mode, PublicKey<S>)> = Vec::with_capacity(n);
            for _ in 0..n {
                let purpose = Purpose::from_byte(r.u8("purpose")?)?;
                let mode = match r.u8("key mode")? {
                    0x01 => Mode::Voprf,
                    0x02 => Mode::Poprf,
                    value => {
                        return Err(DecodeError::UnknownValue {
                            field: "key mode",
                            value,
                        });
                    }
                };
                if keys
                    .last()
                    .is_some_and(|(p, m, _)| (*p, m.to_byte()) >= (purpose, mode.to_byte()))
                {
                    return Err(DecodeError::NotAscending { field: "key" });
                }
                let key = crate::vault::read_public_key::<S>(r, "public key")?;
                keys.push((purpose, mode, key));
            }
            versions.push(KeyVersion {
                version,
                current,
                keys,
            });
        }
        let guard = match r.u8("guard state")? {
            0 => GuardStatus::Off,
            1 => {
                let max_guesses = r.u8("max guesses")?;
                let guesses_remaining = r.u8("guesses remaining")?;
                if max_guesses == 0 || guesses_remaining == 0 || guesses_remaining > max_guesses {
                    return Err(DecodeError::OutOfRange {
                        field: "guesses remaining",
                        value: u32::from(guesses_remaining),
                        min: 1,
                        max: u32::from(max_guesses),
                    });
                }
                GuardStatus::Active {
                    max_guesses,
                    guesses_remaining,
                }
            }
            2 => {
                let max_guesses = r.u8("max guesses")?;
                let left = r.u8("guesses remaining")?;
                if max_guesses == 0 || left != 0 {
                    return Err(DecodeError::OutOfRange {
                        field: "guesses remaining",
                        value: u32::from(left),
                        min: 0,
                        max: 0,
                    });
                }
                GuardStatus::Burned { max_guesses }
            }
            value => {
                return Err(DecodeError::UnknownValue {
                    field: "guard state",
                    value,
                });
            }
        };
        // Every version lists exactly the keys a server lists: both modes of every purpose,
        // the password capsule's only while the guard is active.
        let expected = listed_purposes(guard);
        for version in &versions {
            let found = version.keys.iter().map(|(p, m, _)| (*p, *m));
            if !found.eq(expected.iter().copied()) {
                return Err(DecodeError::OutOfRange {
                    field: "key count",
                    value: u32::try_from(version.keys.len()).unwrap_or(u32::MAX),
                    min: u32::try_from(expected.len()).unwrap_or(u32::MAX),
                    max: u32::try_from(expected.len()).unwrap_or(u32::MAX),
                });
            }
        }
        Ok(Self { versions, guard })
    }
}

/// The unlock tag for one key server: `derive_key("quorumkey v2 unlock tag", R ‖ u8(len)
/// ‖ key_id)`, which only a client that holds the vault's root key `R` can compute.
/// Secret: zeroized on drop, redacted in `Debug`.
///
/// Showing it to the key server ([`UnlockProof`]) proves a successful unlock and resets the
/// guess counter; the server stores only its commitment.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct UnlockTag([u8; 32]);

impl core::fmt::Debug for UnlockTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("UnlockTag(<redacted>)")
    }
}

impl PartialEq for UnlockTag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for UnlockTag {}

impl UnlockTag {
    pub(crate) fn derive(root: &[u8; 32], key_id: &str) -> Self {
        let len = [u8::try_from(key_id.len()).unwrap_or(u8::MAX)];
        Self(*kdf::derive(
            kdf::CONTEXT_UNLOCK_TAG,
            &[root, &len, key_id.as_bytes()],
        ))
    }

    /// `derive_key("quorumkey v2 unlock tag commitment", tag)`: what the key server stores.
    pub fn commitment(&self) -> [u8; 32] {
        tag_commitment(&self.0)
    }
}

pub(crate) fn tag_commitment(tag: &[u8; 32]) -> [u8; 32] {
    kdf::digest(kdf::CONTEXT_TAG_COMMITMENT, &[tag])
}

/// Turns on the password guard: `QK 02 09 ‖ u8 max_guesses ‖ 32 tag commitment`. Sent (to
/// `POST /v1/password`) before the first password-capsule evaluation, so the server knows
/// the tag before it has counted a single guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSetup {
    max_guesses: u8,
    tag_commitment: [u8; 32],
}

impl PasswordSetup {
    /// A setup allowing `max_guesses` (at least 1) guesses between proven unlocks.
    pub fn new(max_guesses: u8, tag: &UnlockTag) -> Result<Self, Error> {
        if max_guesses == 0 {
            return Err(Error::MaxGuesses {
                requested: 0,
                limit: u8::MAX,
            });
        }
        Ok(Self {
            max_guesses,
            tag_commitment: tag.commitment(),
        })
    }

    /// Guesses allowed between proven unlocks.
    pub fn max_guesses(&self) -> u8 {
        self.max_guesses
    }

    /// The commitment to the unlock tag.
    pub fn tag_commitment(&self) -> &[u8; 32] {
        &self.tag_commitment
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 1 + 32);
        codec::put_prefix(&mut out, ObjectType::PasswordSetup);
        out.push(self.max_guesses);
        out.extend_from_slice(&self.tag_commitment);
        out
    }

    /// Decodes a setup strictly (`max_guesses` at least 1).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let decode = |e| Error::Decode {
            object: "password setup",
            error: e,
        };
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::PasswordSetup).map_err(decode)?;
        let max_guesses = r.u8("max guesses").map_err(decode)?;
        if max_guesses == 0 {
            return Err(decode(DecodeError::OutOfRange {
                field: "max guesses",
                value: 0,
                min: 1,
                max: 255,
            }));
        }
        let tag_commitment = r.array("tag commitment").map_err(decode)?;
        r.finish().map_err(decode)?;
        Ok(Self {
            max_guesses,
            tag_commitment,
        })
    }
}

/// Proof of a successful unlock: `QK 02 0A ‖ 32 unlock tag`. Sent to
/// `POST /v1/password/unlocked` after a password capsule opened; resets the guess counter.
/// Secret (whoever has it can reset the counter): send it only over the authenticated
/// channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlockProof {
    tag: UnlockTag,
}

impl UnlockProof {
    /// The proof showing `tag`.
    pub fn new(tag: UnlockTag) -> Self {
        Self { tag }
    }

    pub(crate) fn commitment(&self) -> [u8; 32] {
        self.tag.commitment()
    }

    /// The encoding (secret!).
    pub fn to_secret_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(4 + 32));
        codec::put_prefix(&mut out, ObjectType::UnlockProof);
        out.extend_from_slice(&self.tag.0);
        out
    }

    /// Decodes a proof strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let decode = |e| Error::Decode {
            object: "unlock proof",
            error: e,
        };
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::UnlockProof).map_err(decode)?;
        let tag = UnlockTag(r.array("unlock tag").map_err(decode)?);
        r.finish().map_err(decode)?;
        Ok(Self { tag })
    }
}

/// Replaces the unlock tag after a rekey (a new root key means a new tag):
/// `QK 02 0B ‖ 32 old tag ‖ 32 new tag commitment`. Authorised by the old tag; also resets
/// the guess counter. Secret, like [`UnlockProof`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagChange {
    old: UnlockTag,
    new_commitment: [u8; 32],
}

impl TagChange {
    /// Replace `old` by `new`.
    pub fn new(old: UnlockTag, new: &UnlockTag) -> Self {
        Self {
            old,
            new_commitment: new.commitment(),
        }
    }

    pub(crate) fn old_commitment(&self) -> [u8; 32] {
        self.old.commitment()
    }

    pub(crate) fn new_commitment(&self) -> [u8; 32] {
        self.new_commitment
    }

    /// The encoding (secret!).
    pub fn to_secret_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(4 + 64));
        codec::put_prefix(&mut out, ObjectType::TagChange);
        out.extend_from_slice(&self.old.0);
        out.extend_from_slice(&self.new_commitment);
        out
    }

    /// Decodes a tag change strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let decode = |e| Error::Decode {
            object: "tag change",
            error: e,
        };
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::TagChange).map_err(decode)?;
        let old = UnlockTag(r.array("old unlock tag").map_err(decode)?);
        let new_commitment = r.array("new tag commitment").map_err(decode)?;
        r.finish().map_err(decode)?;
        Ok(Self {
            old,
            new_commitment,
        })
    }
}
