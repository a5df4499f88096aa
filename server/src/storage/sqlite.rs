//! The default [`Store`]: one SQLite file (WAL, `synchronous = FULL`).
//!
//! `synchronous = FULL` syncs the log at every commit, so an acknowledged guess survives a
//! power cut, not only a process crash: the guess counter never goes backwards. A sync costs
//! milliseconds on ordinary disks and SQLite has one writer, so commits go through **group
//! commit**: one writer task takes every commit waiting in its queue, applies each inside
//! its own savepoint (a commit that loses its compare-and-set or reuses a token is rolled
//! back alone, exactly as if it had run by itself, and later commits of the group see the
//! earlier ones), and makes the whole group durable with one transaction and one sync. A
//! request learns its outcome only after that sync.
//!
//! `QUORUMKEY_SQLITE_SYNC=normal` trades that for latency: the log is synced at checkpoints
//! only. A process crash (`kill -9`) still loses nothing; an operating-system crash or power
//! cut may lose the last commits, counted guesses included.
//!
//! Reads use a separate pool and see the last committed state (WAL snapshots). The file is
//! created `0600`: records are secret.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroizing;

use crate::audit::GENESIS;

use super::{
    AuditHead, AuditRow, AuditWrite, Commit, Expected, RecordWrite, Store, StoreError,
    StoreOptions, TokenUse, UserRow, check_commit, to_i64, to_link, to_u64,
};

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The most commits made durable by one sync.
pub const MAX_GROUP: usize = 64;

/// A SQLite database file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    queue: mpsc::Sender<Job>,
}

struct OwnedAudit {
    seq: u64,
    time_ms: u64,
    action: String,
    fields: String,
    event: Vec<u8>,
    chain: [u8; 32],
}

/// A commit with its data owned, queued for the writer.
struct Job {
    user: String,
    expected: Expected,
    record: Option<(Zeroizing<Vec<u8>>, u64)>,
    audit: Option<OwnedAudit>,
    token: Option<(String, u64)>,
    now_ms: u64,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

impl Job {
    fn commit(&self) -> Commit<'_> {
        Commit {
            user: &self.user,
            expected: self.expected,
            record: self.record.as_ref().map(|(bytes, revision)| RecordWrite {
                bytes,
                revision: *revision,
            }),
            audit: self.audit.as_ref().map(|a| AuditWrite {
                seq: a.seq,
                time_ms: a.time_ms,
                action: &a.action,
                fields: &a.fields,
                event: &a.event,
                chain: a.chain,
            }),
            token: self.token.as_ref().map(|(id, expires_ms)| TokenUse {
                id,
                expires_ms: *expires_ms,
            }),
            now_ms: self.now_ms,
        }
    }
}

impl SqliteStore {
    /// Opens (creating it `0600` if missing) the database at `url` (`sqlite:path` or
    /// `sqlite://path`) and starts its writer task on the current Tokio runtime.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if options.sqlite_full_sync {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
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
        let (queue, jobs) = mpsc::channel(1024);
        tokio::spawn(write_loop(writer.clone(), jobs));
        Ok(Self {
            writer,
            reader,
            queue,
        })
    }
}

/// The writer: one transaction (one sync) per group of queued commits. It ends when the
/// store is dropped (the queue closes).
async fn write_loop(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while jobs.recv_many(&mut group, MAX_GROUP).await > 0 {
        let results = match commit_group(&pool, &group).await {
            Ok(results) => results,
            Err(e) => group
                .iter()
                .map(|_| Err(StoreError::Database(e.to_string())))
                .collect(),
        };
        for (job, result) in group.drain(..).zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

/// Applies each job in its own savepoint, then commits them all (nothing is reported
/// before the commit).
async fn commit_group(
    pool: &SqlitePool,
    group: &[Job],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(group.len());
    for job in group {
        sqlx::query("SAVEPOINT request").execute(&mut *tx).await?;
        let result = apply(&mut tx, &job.commit()).await;
        if result.is_err() {
            sqlx::query("ROLLBACK TO request").execute(&mut *tx).await?;
        }
        sqlx::query("RELEASE request").execute(&mut *tx).await?;
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

/// One commit's statements, inside the group's transaction.
async fn apply(tx: &mut Transaction<'static, Sqlite>, c: &Commit<'_>) -> Result<(), StoreError> {
    if let Some(t) = c.token {
        let done = sqlx::query(
            "INSERT INTO spent_tokens (token_id, expires_ms) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(t.id)
        .bind(to_i64(t.expires_ms, "token expiry")?)
        .execute(&mut **tx)
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
                .execute(&mut **tx)
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
                .execute(&mut **tx)
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
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
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
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            user: c.user.to_owned(),
            expected: c.expected,
            record: c
                .record
                .map(|r| (Zeroizing::new(r.bytes.to_vec()), r.revision)),
            audit: c.audit.map(|a| OwnedAudit {
                seq: a.seq,
                time_ms: a.time_ms,
                action: a.action.to_owned(),
                fields: a.fields.to_owned(),
                event: a.event.to_vec(),
                chain: a.chain,
            }),
            token: c.token.map(|t| (t.id.to_owned(), t.expires_ms)),
            now_ms: c.now_ms,
            reply,
        };
        let stopped = || StoreError::Database("the SQLite writer stopped".into());
        self.queue.send(job).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
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
