//! Audit events as the server stores and serves them (`spec/http-api.md` §6).
//!
//! The core hands out one [`AuditEvent`] per change. The server stores, per user and in
//! order, the event's canonical bytes (what the hash chain covers), its fields as JSON (what
//! people read), the time and the chain link [`AuditEvent::chain`]. A reader verifies a page
//! with [`verify_chain`]: each link is recomputed from the previous one, and each event's
//! fields are re-encoded and compared with its bytes, so neither a deleted, reordered or
//! edited event nor a field that disagrees with the chained bytes goes unnoticed.

use quorumkey::gate::Purpose;
use quorumkey::keyserver::{AuditAction, AuditEvent};
use quorumkey::oprf::Mode;
use serde::{Deserialize, Serialize};

/// The chain link before a user's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The human-readable fields of an event. Fields that do not apply to its action are
/// `null`. Byte strings are lowercase hex.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// `evaluated`, `key_version_added`, `key_version_dropped`, `password_set`,
    /// `unlock_confirmed`, `tag_changed`.
    pub action: String,
    /// Evaluations: `capsule`, `password_capsule` or `unit_gate`.
    pub purpose: Option<String>,
    /// Evaluations: the key version used.
    pub key_version: Option<u32>,
    /// Evaluations: `voprf` or `poprf`.
    pub mode: Option<String>,
    /// Evaluations: the POPRF public label (hex), `null` for VOPRF.
    pub info: Option<String>,
    /// Evaluations: elements evaluated.
    pub element_count: Option<usize>,
    /// Password-capsule evaluations: guesses left after this one.
    pub guesses_remaining: Option<u8>,
    /// Evaluations: the core's digest of the request bytes (hex).
    pub request_digest: Option<String>,
    /// Key version added or dropped.
    pub version: Option<u32>,
    /// Key version added: its master-seed generation.
    pub generation: Option<u32>,
    /// Password set: guesses allowed between proven unlocks.
    pub max_guesses: Option<u8>,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Oprf => "oprf",
        Mode::Voprf => "voprf",
        Mode::Poprf => "poprf",
    }
}

fn mode_from_name(name: &str) -> Option<Mode> {
    [Mode::Oprf, Mode::Voprf, Mode::Poprf]
        .into_iter()
        .find(|m| mode_name(*m) == name)
}

impl Fields {
    /// The fields of `event`.
    pub fn of(event: &AuditEvent) -> Self {
        let mut f = Fields {
            action: event.action.name().to_owned(),
            ..Fields::default()
        };
        match &event.action {
            AuditAction::Evaluated {
                purpose,
                key_version,
                mode,
                info,
                element_count,
                guesses_remaining,
                request_digest,
            } => {
                f.purpose = Some(purpose.name().to_owned());
                f.key_version = Some(*key_version);
                f.mode = Some(mode_name(*mode).to_owned());
                f.info = info.as_deref().map(hex::encode);
                f.element_count = Some(*element_count);
                f.guesses_remaining = *guesses_remaining;
                f.request_digest = Some(hex::encode(request_digest));
            }
            AuditAction::KeyVersionAdded {
                version,
                generation,
            } => {
                f.version = Some(*version);
                f.generation = Some(*generation);
            }
            AuditAction::KeyVersionDropped { version } => f.version = Some(*version),
            AuditAction::PasswordSet { max_guesses } => f.max_guesses = Some(*max_guesses),
            // UnlockConfirmed, TagChanged, and actions of a newer core that carry no field
            // this server knows of (their bytes are still chained).
            _ => {}
        }
        f
    }

    /// The event these fields describe, for re-encoding (`None` if they describe no event
    /// this server knows how to build).
    pub fn to_event(&self, user: &str) -> Option<AuditEvent> {
        let action = match self.action.as_str() {
            "evaluated" => AuditAction::Evaluated {
                purpose: Purpose::ALL
                    .into_iter()
                    .find(|p| Some(p.name()) == self.purpose.as_deref())?,
                key_version: self.key_version?,
                mode: mode_from_name(self.mode.as_deref()?)?,
                info: match &self.info {
                    None => None,
                    Some(h) => Some(hex::decode(h).ok()?),
                },
                element_count: self.element_count?,
                guesses_remaining: self.guesses_remaining,
                request_digest: hex::decode(self.request_digest.as_deref()?)
                    .ok()?
                    .try_into()
                    .ok()?,
            },
            "key_version_added" => AuditAction::KeyVersionAdded {
                version: self.version?,
                generation: self.generation?,
            },
            "key_version_dropped" => AuditAction::KeyVersionDropped {
                version: self.version?,
            },
            "password_set" => AuditAction::PasswordSet {
                max_guesses: self.max_guesses?,
            },
            "unlock_confirmed" => AuditAction::UnlockConfirmed,
            "tag_changed" => AuditAction::TagChanged,
            _ => return None,
        };
        Some(AuditEvent {
            user_id: user.as_bytes().to_vec(),
            action,
        })
    }
}

/// One event as `GET /v1/audit` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the user's log, from 1.
    pub seq: u64,
    /// When the server stored it (milliseconds since the Unix epoch).
    pub time_ms: u64,
    /// The fields.
    #[serde(flatten)]
    pub fields: Fields,
    /// The event's canonical bytes (hex), as chained.
    pub event: String,
    /// The chain link after this event (hex).
    pub chain: String,
}

/// A page of one user's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The user.
    pub user: String,
    /// Events in order.
    pub events: Vec<Entry>,
    /// The `after` of the next page.
    pub next: u64,
}

/// Why a page does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An event's position is not the one after the previous event's.
    #[error("event {found} follows event {previous}")]
    Gap {
        /// The previous event's `seq`.
        previous: u64,
        /// The event's `seq`.
        found: u64,
    },
    /// An event's link is not the one its predecessor and contents give.
    #[error("the chain link of event {seq} does not match")]
    Link {
        /// The event.
        seq: u64,
    },
    /// An event's fields do not encode to its bytes.
    #[error("the fields of event {seq} disagree with its chained bytes")]
    Fields {
        /// The event.
        seq: u64,
    },
    /// A byte string is not hex of the right length.
    #[error("event {seq} has a malformed byte string")]
    Encoding {
        /// The event.
        seq: u64,
    },
}

/// Verifies `entries` of `user` in order, starting after event `after_seq` whose link is
/// `previous` ([`GENESIS`] and 0 for the start of the log). Returns the last link.
pub fn verify_chain(
    user: &str,
    entries: &[Entry],
    after_seq: u64,
    previous: [u8; 32],
) -> Result<[u8; 32], ChainError> {
    let mut link = previous;
    let mut seq = after_seq;
    for e in entries {
        if Some(e.seq) != seq.checked_add(1) {
            return Err(ChainError::Gap {
                previous: seq,
                found: e.seq,
            });
        }
        let bytes = hex::decode(&e.event).map_err(|_| ChainError::Encoding { seq: e.seq })?;
        let stored: [u8; 32] = hex::decode(&e.chain)
            .ok()
            .and_then(|c| c.try_into().ok())
            .ok_or(ChainError::Encoding { seq: e.seq })?;
        let event = e
            .fields
            .to_event(user)
            .ok_or(ChainError::Fields { seq: e.seq })?;
        if event.to_bytes() != bytes {
            return Err(ChainError::Fields { seq: e.seq });
        }
        let next = event.chain(&link, e.seq, e.time_ms);
        if next != stored {
            return Err(ChainError::Link { seq: e.seq });
        }
        link = next;
        seq = e.seq;
    }
    Ok(link)
}
