//! The scale-out [`Store`]: PostgreSQL, shared by any number of key-server processes.
//!
//! Every commit is one transaction at PostgreSQL's default isolation (read committed):
//! compare-and-set is an `UPDATE … WHERE revision = $read AND audit_seq = $read` (a
//! concurrent winner makes it match no row), a new user an `INSERT … ON CONFLICT DO
//! NOTHING`, and a used token an insert into a primary key. Rows are locked in one order
//! (token, user, audit), so transactions never deadlock each other.

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use zeroize::Zeroizing;

use crate::audit::GENESIS;

use super::{
    AuditHead, AuditRow, Commit, Expected, Store, StoreError, StoreOptions, UserRow, check_commit,
    to_i64, to_link, to_u64,
};

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A PostgreSQL database (or schema, with `options[search_path]=…` in the URL).
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        if options.migrate {
            MIGRATOR
                .run(&pool)
                .await
                .map_err(|e| StoreError::Database(format!("migration: {e}")))?;
        }
        Ok(Self { pool })
    }

    async fn commit_tx(&self, c: &Commit<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(t) = c.token {
            let done = sqlx::query(
                "INSERT INTO spent_tokens (token_id, expires_ms) VALUES ($1, $2) \
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
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
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
                        "UPDATE users SET record = COALESCE($1, record), \
                         revision = COALESCE($2, revision), audit_seq = COALESCE($3, audit_seq), \
                         audit_head = COALESCE($4, audit_head), updated_ms = $5 \
                         WHERE user_id = $6 AND revision = $7 AND audit_seq = $8",
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
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
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

#[async_trait]
impl Store for PostgresStore {
    async fn load(&self, user: &str) -> Result<Option<UserRow>, StoreError> {
        let row: Option<(Vec<u8>, i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT record, revision, audit_seq, audit_head FROM users WHERE user_id = $1",
        )
        .bind(user)
        .fetch_optional(&self.pool)
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
             WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(user)
        .bind(to_i64(after, "after")?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
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
            sqlx::query_as("SELECT chain FROM audit_events WHERE user_id = $1 AND seq = $2")
                .bind(user)
                .bind(to_i64(seq, "seq")?)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(c,)| to_link(c)).transpose()
    }

    async fn prune_tokens(&self, now_ms: u64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM spent_tokens WHERE expires_ms < $1")
            .bind(to_i64(now_ms, "time")?)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
