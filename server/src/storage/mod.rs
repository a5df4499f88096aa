//! Storage: one row per user holding the core's [`UserRecord`] bytes, updated by
//! compare-and-set; the user's audit log; and the tokens already used.
//!
//! [`Store`] is the whole contract, implemented by [`memory::MemoryStore`] (tests, fuzzing),
//! [`sqlite::SqliteStore`] (the default) and [`postgres::PostgresStore`] (scale-out), and
//! checked by one conformance suite run against all three (`tests/storage.rs`).
//!
//! A request's changes are one [`Commit`], applied in one transaction:
//!
//! * the record update, under compare-and-set on what was read ([`Expected`]): for a new
//!   user no row may exist; for an existing one its `revision` *and* its audit position
//!   (`audit_seq`) must be unchanged, so two appends to one user's log never interleave;
//! * the audit event, appended at `audit_seq + 1` with its chain link, the user row's audit
//!   head moved along;
//! * the token that authorised the request, marked used (a second use is
//!   [`StoreError::TokenSpent`]).
//!
//! Either all of it is stored or none of it.
//!
//! [`UserRecord`]: quorumkey::keyserver::UserRecord

pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use zeroize::Zeroizing;

/// A user's row as read.
#[derive(Clone)]
pub struct UserRow {
    /// The record's canonical bytes (secret).
    pub record: Zeroizing<Vec<u8>>,
    /// The record's revision (the compare-and-set column).
    pub revision: u64,
    /// The user's last audit event.
    pub audit: AuditHead,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("revision", &self.revision)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

/// The position and link of a user's last audit event (0 and
/// [`GENESIS`](crate::audit::GENESIS) before the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditHead {
    /// The last event's `seq`.
    pub seq: u64,
    /// The last event's chain link.
    pub link: [u8; 32],
}

/// What the committing request read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The user had no row.
    Absent,
    /// The user's row, at this revision and audit position.
    At {
        /// The record revision read.
        revision: u64,
        /// The audit position read.
        audit_seq: u64,
    },
}

/// A record to store.
#[derive(Clone, Copy)]
pub struct RecordWrite<'a> {
    /// The canonical bytes (secret).
    pub bytes: &'a [u8],
    /// Its revision.
    pub revision: u64,
}

/// An audit event to append.
#[derive(Clone, Copy, Debug)]
pub struct AuditWrite<'a> {
    /// Its position: the head's `seq` + 1.
    pub seq: u64,
    /// Time stored, ms since the Unix epoch.
    pub time_ms: u64,
    /// The action's name.
    pub action: &'a str,
    /// The fields as JSON ([`crate::audit::Fields`]).
    pub fields: &'a str,
    /// The canonical bytes.
    pub event: &'a [u8],
    /// The chain link after it.
    pub chain: [u8; 32],
}

/// A used token: its issuer tenant and `jti`, kept until it expires.
#[derive(Clone, Copy, Debug)]
pub struct TokenUse<'a> {
    /// `tenant ‖ ":" ‖ jti`.
    pub id: &'a str,
    /// The token's expiry, ms since the Unix epoch.
    pub expires_ms: u64,
}

/// One request's changes, stored together or not at all.
#[derive(Clone, Copy)]
pub struct Commit<'a> {
    /// The user.
    pub user: &'a str,
    /// What was read.
    pub expected: Expected,
    /// The new record, if it changed.
    pub record: Option<RecordWrite<'a>>,
    /// The audit event, if any.
    pub audit: Option<AuditWrite<'a>>,
    /// The token to mark used.
    pub token: Option<TokenUse<'a>>,
    /// Now, ms since the Unix epoch.
    pub now_ms: u64,
}

/// A stored audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Position, from 1.
    pub seq: u64,
    /// Time stored.
    pub time_ms: u64,
    /// The fields as JSON.
    pub fields: String,
    /// The canonical bytes.
    pub event: Vec<u8>,
    /// The chain link.
    pub chain: [u8; 32],
}

/// Why a commit or read failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// What was read changed in between (another request won): read again and retry.
    #[error("compare-and-set conflict")]
    Conflict,
    /// The token was already used.
    #[error("token already used")]
    TokenSpent,
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(String),
    /// The database holds something this server did not write.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The commit asks for something a request never does (a bug in the caller).
    #[error("invalid commit: {0}")]
    Invalid(&'static str),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    /// A unique-key violation, a serialization failure or a deadlock means another
    /// transaction got there first: a [`StoreError::Conflict`], retried from the read.
    fn from(e: sqlx::Error) -> Self {
        if let Some(d) = e.as_database_error() {
            let retry = matches!(d.code().as_deref(), Some("40001" | "40P01"));
            if d.is_unique_violation() || retry {
                return StoreError::Conflict;
            }
        }
        StoreError::Database(e.to_string())
    }
}

/// The storage a key server needs. Every method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The user's row, if any.
    async fn load(&self, user: &str) -> Result<Option<UserRow>, StoreError>;

    /// Applies `commit` atomically (see the module docs).
    async fn commit(&self, commit: &Commit<'_>) -> Result<(), StoreError>;

    /// Up to `limit` of the user's audit events after `after`, in order.
    async fn audit(&self, user: &str, after: u64, limit: u32) -> Result<Vec<AuditRow>, StoreError>;

    /// The link of the user's event `seq` (for verifying a page that starts after it).
    async fn audit_link(&self, user: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError>;

    /// Forgets used tokens that expired before `now_ms` (they can no longer be replayed).
    async fn prune_tokens(&self, now_ms: u64) -> Result<u64, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// `memory`, `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// Checks a commit's shape: a new user's commit creates a record.
pub(crate) fn check_commit(c: &Commit<'_>) -> Result<(), StoreError> {
    if c.expected == Expected::Absent && (c.record.is_none() && c.audit.is_some()) {
        return Err(StoreError::Invalid(
            "an audit event for a user without a record",
        ));
    }
    if let (Some(a), Expected::At { audit_seq, .. }) = (c.audit, c.expected)
        && Some(a.seq) != audit_seq.checked_add(1)
    {
        return Err(StoreError::Invalid("audit seq is not the head's next"));
    }
    if let (Some(a), Expected::Absent) = (c.audit, c.expected)
        && a.seq != 1
    {
        return Err(StoreError::Invalid("a new user's first audit seq is not 1"));
    }
    Ok(())
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_i64(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(what))
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}")))
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_link(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("chain link is not 32 bytes".into()))
}

/// Opens the store a database URL names: `sqlite:…` or `postgres://…`/`postgresql://…`,
/// running its migrations when `migrate` is set.
pub async fn open(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let _ = options;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Arc::new(
            postgres::PostgresStore::connect(url, options).await?,
        ));
        #[cfg(not(feature = "postgres"))]
        return Err(StoreError::Database(
            "this build has no PostgreSQL support (feature `postgres`)".into(),
        ));
    }
    if url.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        return Ok(Arc::new(sqlite::SqliteStore::open(url, options).await?));
        #[cfg(not(feature = "sqlite"))]
        return Err(StoreError::Database(
            "this build has no SQLite support (feature `sqlite`)".into(),
        ));
    }
    if url == "memory:" {
        return Ok(Arc::new(memory::MemoryStore::default()));
    }
    Err(StoreError::Database(
        "the database URL must start with sqlite:, postgres:// or postgresql://".into(),
    ))
}

/// Connection settings shared by the SQL backends.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Most connections in the pool (PostgreSQL; SQLite readers).
    pub max_connections: u32,
    /// How long a request waits for a connection.
    pub acquire_timeout: std::time::Duration,
    /// Run the migrations on open.
    pub migrate: bool,
    /// SQLite only: sync the log at every (group) commit (`true`, the default), or only at
    /// checkpoints (`false`: a process crash still loses nothing, but an operating-system
    /// crash or power cut may lose the last commits, counted guesses included).
    pub sqlite_full_sync: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
            migrate: true,
            sqlite_full_sync: true,
        }
    }
}
