//! The default [`Store`]: one SQLite file (WAL, `synchronous = FULL`).
//!
//! Writes go through a pool of one connection, so a process's transactions queue in order
//! instead of spinning on SQLite's busy handler; reads use a separate pool and see the last
//! committed state (WAL snapshots). `synchronous = FULL` syncs the log at every commit: an
//! acknowledged guess survives a power cut, not only a process crash (the guess counter
//! must never go backwards). The file is created `0600`: records are secret.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use zeroize::Zeroizing;

use crate::audit::GENESIS;

use super::{
    AuditHead, AuditRow, Commit, Expected, Store, StoreError, StoreOptions, UserRow, check_commit,
    to_i64, to_link, to_u64,
};

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// A SQLite database file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it `0600` if missing) the database at `url` (`sqlite:path` or
    /// `sqlite://path`).
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        create_private(connect.get_filename())?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await?;
        if options.migrate {
            MIGRATOR
                .run(&writer)
                .await
                .map_err(|e| StoreError::Database(format!("migration: {e}")))?;
        }
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }

    async fn commit_tx(&self, c: &Commit<'_>) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(t) = c.token {
            let done = sqlx::query(
                "INSERT INTO spent_tokens (token_id, expires_ms) VALUES (?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(t.id)
            .bind(to_i64(t.expires_ms, "token expiry")?)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::TokenSpent);
            }
        }
        if c.record.is_some() || c.audit.is_some() {
            let now = to_i64(c.now_ms, "time")?;
            let record = c.record.map(|r| r.bytes);
            let revision = c
                .record
                .map(|r| to_i64(r.revision, "revision"))
                .transpose()?;
            let seq = c.audit.map(|a| to_i64(a.seq, "audit seq")).transpose()?;
            let head = c.audit.map(|a| a.chain.to_vec());
            let done = match c.expected {
                Expected::Absent => {
                    sqlx::query(
                        "INSERT INTO users \
                         (user_id, revision, record, audit_seq, audit_head, created_ms, updated_ms) \
                         VALUES (?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(c.user)
                    .bind(revision.ok_or(StoreError::Invalid("a new user without a record"))?)
                    .bind(record)
                    .bind(seq.unwrap_or(0))
                    .bind(head.clone().unwrap_or_else(|| GENESIS.to_vec()))
                    .bind(now)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                }
                Expected::At {
                    revision: read_revision,
                    audit_seq: read_seq,
                } => {
                    sqlx::query(
                        "UPDATE users SET record = COALESCE(?, record), \
                         revision = COALESCE(?, revision), audit_seq = COALESCE(?, audit_seq), \
                         audit_head = COALESCE(?, audit_head), updated_ms = ? \
                         WHERE user_id = ? AND revision = ? AND audit_seq = ?",
                    )
                    .bind(record)
                    .bind(revision)
                    .bind(seq)
                    .bind(head)
                    .bind(now)
                    .bind(c.user)
                    .bind(to_i64(read_revision, "revision")?)
                    .bind(to_i64(read_seq, "audit seq")?)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
            if let Some(a) = c.audit {
                sqlx::query(
                    "INSERT INTO audit_events \
                     (user_id, seq, time_ms, action, fields, event, chain) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(c.user)
                .bind(to_i64(a.seq, "audit seq")?)
                .bind(to_i64(a.time_ms, "time")?)
                .bind(a.action)
                .bind(a.fields)
                .bind(a.event)
                .bind(a.chain.as_slice())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Creates the database file (and its directory) readable by this user only, before SQLite
/// opens it with its default mode. SQLite gives its `-wal` and `-shm` files the mode of the
/// database file.
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fsutil::create_private_dir(dir)
            .map_err(|e| StoreError::Database(format!("creating {}: {e}", dir.display())))?;
    }
    crate::fsutil::create_private_file(path, b"")
        .map_err(|e| StoreError::Database(format!("creating {}: {e}", path.display())))
}

#[async_trait]
impl Store for SqliteStore {
    async fn load(&self, user: &str) -> Result<Option<UserRow>, StoreError> {
        let row: Option<(Vec<u8>, i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT record, revision, audit_seq, audit_head FROM users WHERE user_id = ?",
        )
        .bind(user)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(record, revision, seq, head)| {
            Ok(UserRow {
                record: Zeroizing::new(record),
                revision: to_u64(revision, "revision")?,
                audit: AuditHead {
                    seq: to_u64(seq, "audit seq")?,
                    link: to_link(head)?,
                },
            })
        })
        .transpose()
    }

    async fn commit(&self, c: &Commit<'_>) -> Result<(), StoreError> {
        check_commit(c)?;
        self.commit_tx(c).await
    }

    async fn audit(&self, user: &str, after: u64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        let rows: Vec<(i64, i64, String, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, time_ms, fields, event, chain FROM audit_events \
             WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(user)
        .bind(to_i64(after, "after")?)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(seq, time_ms, fields, event, chain)| {
                Ok(AuditRow {
                    seq: to_u64(seq, "seq")?,
                    time_ms: to_u64(time_ms, "time")?,
                    fields,
                    event,
                    chain: to_link(chain)?,
                })
            })
            .collect()
    }

    async fn audit_link(&self, user: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT chain FROM audit_events WHERE user_id = ? AND seq = ?")
                .bind(user)
                .bind(to_i64(seq, "seq")?)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|(c,)| to_link(c)).transpose()
    }

    async fn prune_tokens(&self, now_ms: u64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM spent_tokens WHERE expires_ms < ?")
            .bind(to_i64(now_ms, "time")?)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
