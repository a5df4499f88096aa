//! The server secret: master seeds by generation, kept outside the database.
//!
//! A keyring is a JSON file (`0600`, created on first start), the standard output of an
//! operator's command (a KMS or secret-manager hook, [`Source::Command`]) or an environment
//! variable ([`Source::Environment`]):
//!
//! ```json
//! {
//!   "format": "quorumkey-keyring/1",
//!   "current": 2,
//!   "generations": [
//!     {"generation": 1, "seed": null, "created": "2026-06-01T00:00:00Z",
//!      "not_after": "2027-01-01T00:00:00Z", "retired": "2027-01-02T09:00:00Z"},
//!     {"generation": 2, "seed": "<64 hex digits>", "created": "2026-12-01T00:00:00Z",
//!      "not_after": null, "retired": null}
//!   ]
//! }
//! ```
//!
//! New key versions derive from the `current` generation. [`Keyring::rotate`] adds a
//! generation and makes it current, giving the previous one a `not_after` (the end of the
//! migration window); [`Keyring::retire`] deletes a generation's seed for good (its number
//! stays, so it is never reused): every key derived from it becomes underivable.

use std::path::{Path, PathBuf};
use std::process::Command;

use quorumkey::keyserver::{KeyServer, MASTER_SEED_LEN};
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::{Zeroize, Zeroizing};

/// The keyring's format tag.
pub const FORMAT: &str = "quorumkey-keyring/1";

/// Where the keyring comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A JSON file, created on first start if missing.
    File(PathBuf),
    /// A command (run with `sh -c`) that prints the keyring JSON: a KMS or secret-manager
    /// hook. Read-only: rotate and retire where the keyring is kept.
    Command(String),
    /// The keyring JSON itself, from the environment (`QUORUMKEY_KEYRING_JSON`, e.g. a
    /// container secret). Read-only, like a command.
    Environment(String),
}

/// Why a keyring could not be loaded or changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// Reading or writing failed.
    #[error("keyring {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The keyring command failed.
    #[error("keyring command failed: {0}")]
    Command(String),
    /// The contents are not a valid keyring.
    #[error("keyring is invalid: {0}")]
    Invalid(String),
    /// The change was refused.
    #[error("{0}")]
    Refused(String),
}

/// One generation of master seed.
#[derive(Clone, Serialize, Deserialize)]
pub struct Generation {
    /// Its number (from 1, never reused).
    pub generation: u32,
    /// The seed, hex; `None` once retired.
    seed: Option<String>,
    /// When it was created (RFC 3339).
    pub created: String,
    /// The end of its migration window once a newer generation is current (RFC 3339).
    pub not_after: Option<String>,
    /// When its seed was deleted (RFC 3339).
    pub retired: Option<String>,
}

impl Drop for Generation {
    fn drop(&mut self) {
        if let Some(seed) = self.seed.as_mut() {
            seed.zeroize();
        }
    }
}

impl std::fmt::Debug for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation")
            .field("generation", &self.generation)
            .field("seed", &self.seed.as_ref().map(|_| "<redacted>"))
            .field("created", &self.created)
            .field("not_after", &self.not_after)
            .field("retired", &self.retired)
            .finish()
    }
}

/// A generation's state, as the key directory shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// New key versions derive from it.
    Current,
    /// Still served; clients should move to the current generation before `not_after`.
    Retiring,
    /// Its seed is deleted.
    Retired,
}

impl Status {
    /// `current`, `retiring` or `retired`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Retiring => "retiring",
            Status::Retired => "retired",
        }
    }
}

/// Master seeds by generation. Secret: never printed.
#[derive(Clone, Serialize, Deserialize)]
pub struct Keyring {
    format: String,
    /// The generation new key versions use.
    pub current: u32,
    /// Every generation, ascending, retired ones included.
    pub generations: Vec<Generation>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("generations", &self.generations)
            .finish()
    }
}

/// Now, in RFC 3339.
pub fn now_rfc3339() -> String {
    format_time(OffsetDateTime::now_utc())
}

fn format_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn parse_time(s: &str) -> Result<OffsetDateTime, KeyringError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| KeyringError::Invalid(format!("{s:?} is not an RFC 3339 time")))
}

fn random_seed() -> String {
    let mut seed = Zeroizing::new([0u8; MASTER_SEED_LEN]);
    rand::rng().fill_bytes(&mut *seed);
    hex::encode(*seed)
}

impl Keyring {
    /// A new keyring with one random generation.
    pub fn generate() -> Self {
        Self {
            format: FORMAT.to_owned(),
            current: 1,
            generations: vec![Generation {
                generation: 1,
                seed: Some(random_seed()),
                created: now_rfc3339(),
                not_after: None,
                retired: None,
            }],
        }
    }

    /// Parses and checks a keyring.
    pub fn from_json(text: &str) -> Result<Self, KeyringError> {
        let ring: Keyring =
            serde_json::from_str(text).map_err(|e| KeyringError::Invalid(e.to_string()))?;
        ring.check()?;
        Ok(ring)
    }

    /// The JSON text (secret).
    pub fn to_json(&self) -> Zeroizing<String> {
        Zeroizing::new(serde_json::to_string_pretty(self).unwrap_or_default() + "\n")
    }

    fn check(&self) -> Result<(), KeyringError> {
        if self.format != FORMAT {
            return Err(KeyringError::Invalid(format!(
                "format {:?}; expected {FORMAT:?}",
                self.format
            )));
        }
        if self
            .generations
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.generation >= b.generation))
            || self.generations.first().is_some_and(|g| g.generation == 0)
        {
            return Err(KeyringError::Invalid(
                "generations must be distinct, ascending, from 1".into(),
            ));
        }
        for g in &self.generations {
            parse_time(&g.created)?;
            for t in [&g.not_after, &g.retired].into_iter().flatten() {
                parse_time(t)?;
            }
            match &g.seed {
                Some(seed) if seed.len() != 2 * MASTER_SEED_LEN || hex::decode(seed).is_err() => {
                    return Err(KeyringError::Invalid(format!(
                        "generation {}: the seed must be {} hex digits",
                        g.generation,
                        2 * MASTER_SEED_LEN
                    )));
                }
                None if g.retired.is_none() => {
                    return Err(KeyringError::Invalid(format!(
                        "generation {} has no seed and is not retired",
                        g.generation
                    )));
                }
                _ => {}
            }
        }
        match self.generation(self.current) {
            Some(g) if g.seed.is_some() => Ok(()),
            _ => Err(KeyringError::Invalid(format!(
                "the current generation {} has no seed",
                self.current
            ))),
        }
    }

    /// Generation `n`.
    pub fn generation(&self, n: u32) -> Option<&Generation> {
        self.generations.iter().find(|g| g.generation == n)
    }

    /// The state of generation `g`.
    pub fn status(&self, g: &Generation) -> Status {
        if g.seed.is_none() {
            Status::Retired
        } else if g.generation == self.current {
            Status::Current
        } else {
            Status::Retiring
        }
    }

    /// Loads the keyring from `source`; a missing file is created (`0600`, one new
    /// generation) when `create` is set.
    pub fn load(source: &Source, create: bool) -> Result<(Self, bool), KeyringError> {
        match source {
            Source::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => {
                    let text = Zeroizing::new(text);
                    check_mode(path);
                    Ok((Self::from_json(&text)?, false))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                    let ring = Self::generate();
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        crate::fsutil::create_private_dir(dir).map_err(|error| {
                            KeyringError::Io {
                                path: dir.display().to_string(),
                                error,
                            }
                        })?;
                    }
                    crate::fsutil::create_private_file(path, ring.to_json().as_bytes()).map_err(
                        |error| KeyringError::Io {
                            path: path.display().to_string(),
                            error,
                        },
                    )?;
                    Ok((ring, true))
                }
                Err(error) => Err(KeyringError::Io {
                    path: path.display().to_string(),
                    error,
                }),
            },
            Source::Environment(variable) => {
                let text = Zeroizing::new(std::env::var(variable).map_err(|_| {
                    KeyringError::Invalid(format!("{variable} is not set or not UTF-8"))
                })?);
                Ok((Self::from_json(&text)?, false))
            }
            Source::Command(command) => {
                let output = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .stderr(std::process::Stdio::inherit())
                    .output()
                    .map_err(|e| KeyringError::Command(e.to_string()))?;
                if !output.status.success() {
                    return Err(KeyringError::Command(format!(
                        "exited with {}",
                        output.status
                    )));
                }
                let text = Zeroizing::new(
                    String::from_utf8(output.stdout)
                        .map_err(|_| KeyringError::Invalid("not UTF-8".into()))?,
                );
                Ok((Self::from_json(&text)?, false))
            }
        }
    }

    /// Writes the keyring back to its file, atomically.
    pub fn save(&self, source: &Source) -> Result<(), KeyringError> {
        match source {
            Source::File(path) => {
                crate::fsutil::replace_private_file(path, self.to_json().as_bytes()).map_err(
                    |error| KeyringError::Io {
                        path: path.display().to_string(),
                        error,
                    },
                )
            }
            Source::Command(_) | Source::Environment(_) => Err(KeyringError::Refused(
                "this keyring comes from a command or the environment; rotate or retire it \
                 where it is kept \
                 (`quorumkey-server keys … --keyring <file>`) and publish it again"
                    .into(),
            )),
        }
    }

    /// Adds a generation and makes it current; the previous current generation stays
    /// usable until `window` from now (its `not_after`). Returns the new generation.
    pub fn rotate(&mut self, window: time::Duration) -> u32 {
        let now = OffsetDateTime::now_utc();
        let next = self
            .generations
            .last()
            .map_or(1, |g| g.generation.saturating_add(1));
        let current = self.current;
        if let Some(old) = self
            .generations
            .iter_mut()
            .find(|g| g.generation == current)
            && old.not_after.is_none()
        {
            old.not_after = Some(format_time(now + window));
        }
        self.generations.push(Generation {
            generation: next,
            seed: Some(random_seed()),
            created: format_time(now),
            not_after: None,
            retired: None,
        });
        self.current = next;
        next
    }

    /// Deletes generation `n`'s seed. Refused for the current generation, for one already
    /// retired, and before its `not_after` unless `force`.
    pub fn retire(&mut self, n: u32, force: bool) -> Result<(), KeyringError> {
        if n == self.current {
            return Err(KeyringError::Refused(format!(
                "generation {n} is current; rotate first"
            )));
        }
        let now = OffsetDateTime::now_utc();
        let g = self
            .generations
            .iter_mut()
            .find(|g| g.generation == n)
            .ok_or_else(|| KeyringError::Refused(format!("there is no generation {n}")))?;
        if g.seed.is_none() {
            return Err(KeyringError::Refused(format!(
                "generation {n} is already retired"
            )));
        }
        if let Some(not_after) = &g.not_after
            && parse_time(not_after)? > now
            && !force
        {
            return Err(KeyringError::Refused(format!(
                "generation {n}'s migration window runs until {not_after}; \
                     retire it after that, or pass --force"
            )));
        }
        if let Some(seed) = g.seed.as_mut() {
            seed.zeroize();
        }
        g.seed = None;
        g.retired = Some(format_time(now));
        Ok(())
    }

    /// The core's key server for the generations that still have seeds.
    pub fn key_server(&self, max_guesses: u8) -> Result<KeyServer, KeyringError> {
        let mut seeds = Vec::new();
        for g in &self.generations {
            if let Some(hex_seed) = &g.seed {
                let mut seed = Zeroizing::new([0u8; MASTER_SEED_LEN]);
                hex::decode_to_slice(hex_seed, &mut *seed)
                    .map_err(|_| KeyringError::Invalid("seed is not hex".into()))?;
                seeds.push((g.generation, seed));
            }
        }
        KeyServer::with_generations(seeds, self.current)
            .map(|k| k.with_max_guesses_limit(max_guesses))
            .map_err(|e| KeyringError::Invalid(e.to_string()))
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the keyring is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) {}

/// The public key directory (`spec/http-api.md` §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// This key server's identity.
    pub issuer: String,
    /// The generation new key versions use.
    pub current_generation: u32,
    /// Generations that still have seeds, ascending.
    pub generations: Vec<DirectoryEntry>,
}

/// One generation in the key directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The generation.
    pub generation: u32,
    /// `current` or `retiring`.
    pub status: String,
    /// Created (RFC 3339).
    pub created: String,
    /// End of the migration window (RFC 3339), `null` for the current generation.
    pub not_after: Option<String>,
    /// `pkS` of `DeriveKeyPair(seed, "quorumkey v2 key directory")`, hex.
    pub fingerprint: String,
}

impl Keyring {
    /// The key directory for this keyring, served as `issuer`.
    pub fn directory(&self, issuer: &str, server: &KeyServer) -> Directory {
        Directory {
            issuer: issuer.to_owned(),
            current_generation: self.current,
            generations: self
                .generations
                .iter()
                .filter(|g| g.seed.is_some())
                .filter_map(|g| {
                    let fingerprint = server.generation_fingerprint(g.generation)?;
                    Some(DirectoryEntry {
                        generation: g.generation,
                        status: self.status(g).name().to_owned(),
                        created: g.created.clone(),
                        not_after: g.not_after.clone(),
                        fingerprint: hex::encode(fingerprint.as_bytes()),
                    })
                })
                .collect(),
        }
    }
}
