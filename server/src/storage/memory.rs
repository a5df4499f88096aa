//! An in-memory [`Store`]: for tests and fuzzing. Everything is lost when the process ends.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::{AuditHead, AuditRow, Commit, Expected, Store, StoreError, UserRow, check_commit};
use crate::audit::GENESIS;

struct User {
    record: Zeroizing<Vec<u8>>,
    revision: u64,
    events: Vec<AuditRow>,
}

impl User {
    fn head(&self) -> AuditHead {
        self.events.last().map_or(
            AuditHead {
                seq: 0,
                link: GENESIS,
            },
            |e| AuditHead {
                seq: e.seq,
                link: e.chain,
            },
        )
    }
}

#[derive(Default)]
struct State {
    users: HashMap<String, User>,
    tokens: HashMap<String, u64>,
}

/// Users, audit logs and used tokens in process memory, behind one lock.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Database("memory store lock poisoned".into()))
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn load(&self, user: &str) -> Result<Option<UserRow>, StoreError> {
        let state = self.lock()?;
        Ok(state.users.get(user).map(|u| UserRow {
            record: u.record.clone(),
            revision: u.revision,
            audit: u.head(),
        }))
    }

    async fn commit(&self, c: &Commit<'_>) -> Result<(), StoreError> {
        check_commit(c)?;
        let mut state = self.lock()?;
        let state = &mut *state;
        if let Some(t) = c.token
            && state.tokens.contains_key(t.id)
        {
            return Err(StoreError::TokenSpent);
        }
        if c.record.is_some() || c.audit.is_some() {
            match (c.expected, state.users.get(c.user)) {
                (Expected::Absent, None) => {}
                (
                    Expected::At {
                        revision,
                        audit_seq,
                    },
                    Some(u),
                ) if u.revision == revision && u.head().seq == audit_seq => {}
                _ => return Err(StoreError::Conflict),
            }
        }
        if let Some(r) = c.record {
            let user = state
                .users
                .entry(c.user.to_owned())
                .or_insert_with(|| User {
                    record: Zeroizing::new(Vec::new()),
                    revision: 0,
                    events: Vec::new(),
                });
            user.record = Zeroizing::new(r.bytes.to_vec());
            user.revision = r.revision;
        }
        if let Some(a) = c.audit {
            let user = state.users.get_mut(c.user).ok_or(StoreError::Invalid(
                "an audit event for a user without a record",
            ))?;
            user.events.push(AuditRow {
                seq: a.seq,
                time_ms: a.time_ms,
                fields: a.fields.to_owned(),
                event: a.event.to_vec(),
                chain: a.chain,
            });
        }
        if let Some(t) = c.token {
            state.tokens.insert(t.id.to_owned(), t.expires_ms);
        }
        Ok(())
    }

    async fn audit(&self, user: &str, after: u64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .users
            .get(user)
            .map(|u| {
                u.events
                    .iter()
                    .filter(|e| e.seq > after)
                    .take(limit as usize)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn audit_link(&self, user: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .users
            .get(user)
            .and_then(|u| u.events.iter().find(|e| e.seq == seq))
            .map(|e| e.chain))
    }

    async fn prune_tokens(&self, now_ms: u64) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let before = state.tokens.len();
        state.tokens.retain(|_, expires| *expires >= now_ms);
        Ok((before - state.tokens.len()) as u64)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
