//! The key server's per-user record: the user's key versions (each with the random material
//! mixed into its keys) and the password guard (guess counter, burn state, unlock-tag
//! commitment).
//!
//! The record is the key server's only per-user state. It is secret (the materials make the
//! keys derivable together with the master seed) and is stored by the operator's database
//! under compare-and-set on [`UserRecord::revision`]. Every change the key server makes
//! returns a new record whose revision is one higher. See `spec/protocol.md` §3.6 and §6,
//! `spec/wire-format.md` §14.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Error;
use crate::codec::{self, DecodeError, ObjectType, Reader};

/// The most key versions one user may have at once.
pub const MAX_KEY_VERSIONS: usize = 8;
/// Length of the random material mixed into a key version's keys.
pub const MATERIAL_LEN: usize = 32;

type Material = Zeroizing<[u8; MATERIAL_LEN]>;

fn random_material<R: CryptoRng + ?Sized>(rng: &mut R) -> Material {
    let mut m = Zeroizing::new([0u8; MATERIAL_LEN]);
    rng.fill_bytes(&mut *m);
    m
}

/// One of a user's key versions.
#[derive(Clone)]
pub(crate) struct UserKey {
    pub(crate) version: u32,
    /// The master-seed generation the keys derive from.
    pub(crate) generation: u32,
    /// Mixed into every purpose's key: erased when the version is dropped.
    pub(crate) material: Material,
    /// Mixed into the password-capsule keys only: erased when the password guard burns.
    pub(crate) password: Option<Material>,
}

/// The state of a user's password guard: what a client may be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GuardStatus {
    /// The password factor is not set up for this user.
    Off,
    /// Guesses remain.
    Active {
        /// Guesses allowed between two proven unlocks.
        max_guesses: u8,
        /// Guesses left before the password keys burn.
        guesses_remaining: u8,
    },
    /// The password keys were destroyed after `max_guesses` guesses without a proven
    /// unlock. Capsules sealed under them can never open again.
    Burned {
        /// The limit that was reached.
        max_guesses: u8,
    },
}

/// The guess counter of the password factor.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) max_guesses: u8,
    /// Password-capsule evaluations released since the last proven unlock.
    pub(crate) attempts: u8,
    /// `derive_key("quorumkey v2 unlock tag commitment", tag)`: the server never holds the
    /// tag itself, so a leak of its records cannot reset counters.
    pub(crate) tag_commitment: [u8; 32],
}

impl Guard {
    pub(crate) fn burned(&self) -> bool {
        self.attempts >= self.max_guesses
    }

    fn status(&self) -> GuardStatus {
        if self.burned() {
            GuardStatus::Burned {
                max_guesses: self.max_guesses,
            }
        } else {
            GuardStatus::Active {
                max_guesses: self.max_guesses,
                guesses_remaining: self.max_guesses.saturating_sub(self.attempts),
            }
        }
    }
}

/// A user's record at the key server. Secret: zeroized on drop, never printed; store it
/// whole, with [`revision`](Self::revision) as the compare-and-set column.
#[derive(Clone)]
pub struct UserRecord {
    pub(crate) revision: u64,
    pub(crate) keys: Vec<UserKey>,
    pub(crate) guard: Option<Guard>,
}

impl core::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UserRecord")
            .field("revision", &self.revision)
            .field(
                "versions",
                &self.keys.iter().map(|k| k.version).collect::<Vec<_>>(),
            )
            .field("guard", &self.guard_status())
            .finish_non_exhaustive()
    }
}

impl PartialEq for UserRecord {
    /// Constant time in the secret materials.
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.to_secret_bytes().ct_eq(&*other.to_secret_bytes()))
    }
}

impl Eq for UserRecord {}

impl UserRecord {
    /// A new record (revision 1) with key version 1 on `generation`.
    pub(crate) fn new<R: CryptoRng + ?Sized>(generation: u32, rng: &mut R) -> Self {
        Self {
            revision: 1,
            keys: alloc::vec![UserKey {
                version: 1,
                generation,
                material: random_material(rng),
                password: None,
            }],
            guard: None,
        }
    }

    /// The revision: 1 for a new record, one higher after every change. Storage updates the
    /// record only if the stored revision is still the one it read (compare-and-set).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The user's key versions, ascending, each with the master-seed generation its keys
    /// derive from.
    pub fn versions(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.keys.iter().map(|k| (k.version, k.generation))
    }

    /// The newest key version.
    pub fn newest_version(&self) -> u32 {
        self.keys.last().map_or(0, |k| k.version)
    }

    /// The password guard's state.
    pub fn guard_status(&self) -> GuardStatus {
        self.guard.as_ref().map_or(GuardStatus::Off, Guard::status)
    }

    pub(crate) fn key(&self, version: u32) -> Option<&UserKey> {
        self.keys.iter().find(|k| k.version == version)
    }

    /// A copy with the revision bumped: the start of every change.
    pub(crate) fn next(&self) -> Self {
        let mut next = self.clone();
        next.revision = self.revision.saturating_add(1);
        next
    }

    /// Adds the next key version on `generation`; it gets password material if the guard
    /// is on and not burned.
    pub(crate) fn add_version<R: CryptoRng + ?Sized>(
        &self,
        generation: u32,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if self.keys.len() >= MAX_KEY_VERSIONS {
            return Err(Error::TooManyKeyVersions {
                max: MAX_KEY_VERSIONS,
            });
        }
        let version = self
            .newest_version()
            .checked_add(1)
            .ok_or(Error::TooManyKeyVersions {
                max: MAX_KEY_VERSIONS,
            })?;
        let guarded = self.guard.as_ref().is_some_and(|g| !g.burned());
        let mut next = self.next();
        next.keys.push(UserKey {
            version,
            generation,
            material: random_material(rng),
            password: guarded.then(|| random_material(rng)),
        });
        Ok(next)
    }

    /// Drops (and erases the material of) key version `version`, which must not be the
    /// newest: versions only ever grow, so a number is never reused.
    pub(crate) fn drop_version(&self, version: u32) -> Result<Self, Error> {
        if self.key(version).is_none() {
            return Err(Error::UnknownKeyVersion { version });
        }
        if version == self.newest_version() {
            return Err(Error::NewestKeyVersion { version });
        }
        let mut next = self.next();
        next.keys.retain(|k| k.version != version);
        Ok(next)
    }

    /// Turns the password guard on (or back on after a burn) with fresh password material
    /// for every key version: allowed only when there is no live guard, so it can never
    /// revive a burned key nor replace one in use.
    pub(crate) fn set_password<R: CryptoRng + ?Sized>(
        &self,
        max_guesses: u8,
        tag_commitment: [u8; 32],
        rng: &mut R,
    ) -> Result<Self, Error> {
        if self.guard.as_ref().is_some_and(|g| !g.burned()) {
            return Err(Error::PasswordAlreadySet);
        }
        let mut next = self.next();
        for key in &mut next.keys {
            key.password = Some(random_material(rng));
        }
        next.guard = Some(Guard {
            max_guesses,
            attempts: 0,
            tag_commitment,
        });
        Ok(next)
    }

    /// The live guard, or why there is none.
    pub(crate) fn live_guard(&self) -> Result<&Guard, Error> {
        match &self.guard {
            None => Err(Error::PasswordNotSet),
            Some(g) if g.burned() => Err(Error::PasswordBurned),
            Some(g) => Ok(g),
        }
    }

    /// Counts one password guess; on the last one, erases every password material (the
    /// burn) in the same record.
    pub(crate) fn count_guess(&self) -> Result<Self, Error> {
        self.live_guard()?;
        let mut next = self.next();
        if let Some(guard) = next.guard.as_mut() {
            guard.attempts = guard.attempts.saturating_add(1);
            if guard.burned() {
                for key in &mut next.keys {
                    key.password = None;
                }
            }
        }
        Ok(next)
    }

    /// Resets the guess counter after a proven unlock, optionally replacing the tag.
    pub(crate) fn confirm_unlock(
        &self,
        tag_commitment: &[u8; 32],
        new_commitment: Option<[u8; 32]>,
    ) -> Result<Self, Error> {
        let guard = self.live_guard()?;
        if !bool::from(guard.tag_commitment.ct_eq(tag_commitment)) {
            return Err(Error::UnlockTagMismatch);
        }
        let mut next = self.next();
        if let Some(guard) = next.guard.as_mut() {
            guard.attempts = 0;
            if let Some(new) = new_commitment {
                guard.tag_commitment = new;
            }
        }
        Ok(next)
    }

    /// The canonical encoding (secret!): what the server's database stores.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            4 + 8 + 1 + self.keys.len() * (9 + 2 * MATERIAL_LEN) + 1 + 3 + 32,
        ));
        codec::put_prefix(&mut out, ObjectType::UserRecord);
        out.extend_from_slice(&self.revision.to_be_bytes());
        out.push(u8::try_from(self.keys.len()).unwrap_or(u8::MAX));
        for key in &self.keys {
            out.extend_from_slice(&key.version.to_be_bytes());
            out.extend_from_slice(&key.generation.to_be_bytes());
            out.extend_from_slice(&*key.material);
            match &key.password {
                None => out.push(0),
                Some(p) => {
                    out.push(1);
                    out.extend_from_slice(&**p);
                }
            }
        }
        match &self.guard {
            None => out.push(0),
            Some(g) => {
                out.push(1);
                out.extend_from_slice(&[g.max_guesses, g.attempts]);
                out.extend_from_slice(&g.tag_commitment);
            }
        }
        out
    }

    /// Decodes a record strictly: versions ascending, 1..=8 of them, password material
    /// present on every version exactly when the guard is on and not burned.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let record = Self::read(&mut r).map_err(Error::record)?;
        r.finish().map_err(Error::record)?;
        Ok(record)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        codec::read_prefix(r, ObjectType::UserRecord)?;
        let revision = r.u64("revision")?;
        let count = usize::from(r.u8("key count")?);
        codec::check_len("key count", count, MAX_KEY_VERSIONS)?;
        let mut keys: Vec<UserKey> = Vec::with_capacity(count);
        for _ in 0..count {
            let version = r.u32("key version")?;
            if keys.last().is_some_and(|k| k.version >= version) {
                return Err(DecodeError::NotAscending {
                    field: "key version",
                });
            }
            let generation = r.u32("generation")?;
            let material = Zeroizing::new(r.array("material")?);
            let password = if r.flag("password material flag")? {
                Some(Zeroizing::new(r.array("password material")?))
            } else {
                None
            };
            keys.push(UserKey {
                version,
                generation,
                material,
                password,
            });
        }
        let guard = if r.flag("guard flag")? {
            let max_guesses = r.u8("max guesses")?;
            if max_guesses == 0 {
                return Err(DecodeError::OutOfRange {
                    field: "max guesses",
                    value: 0,
                    min: 1,
                    max: 255,
                });
            }
            let attempts = r.u8("attempts")?;
            if attempts > max_guesses {
                return Err(DecodeError::OutOfRange {
                    field: "attempts",
                    value: u32::from(attempts),
                    min: 0,
                    max: u32::from(max_guesses),
                });
            }
            Some(Guard {
                max_guesses,
                attempts,
                tag_commitment: r.array("tag commitment")?,
            })
        } else {
            None
        };
        let live = guard.as_ref().is_some_and(|g| !g.burned());
        if keys.iter().any(|k| k.password.is_some() != live) {
            return Err(DecodeError::UnknownValue {
                field: "password material flag",
                value: u8::from(!live),
            });
        }
        Ok(Self {
            revision,
            keys,
            guard,
        })
    }
}
