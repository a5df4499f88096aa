// The PostgreSQL store (DATABASE_URL=postgres://…): the same tables as SQLite, in the
// schema of the connection's search_path. Several API processes may share the database.
import pg from 'pg';
import {
  GENESIS,
  type AuditEntry,
  type KeyServerStore,
  type PendingAudit,
  type Session,
  type Store,
  type UnitRow,
  type User,
  type VaultRow,
} from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS vaults (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  epoch BIGINT NOT NULL,
  header BYTEA NOT NULL,
  capsules BYTEA[] NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
  user_id TEXT NOT NULL REFERENCES users(id),
  vendor TEXT NOT NULL,
  version BIGINT NOT NULL,
  unit BYTEA NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, vendor)
);
CREATE TABLE IF NOT EXISTS ks_records (
  user_id TEXT PRIMARY KEY,
  record BYTEA NOT NULL,
  revision BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ks_audit (
  user_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  event JSONB NOT NULL,
  chain BYTEA NOT NULL,
  PRIMARY KEY (user_id, seq)
);
`;

// BIGINT columns come back as strings by default: these fit in a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function user(r: Record<string, any> | undefined): User | null {
  return r ? { id: r.id, username: r.username, passwordHash: r.password_hash, createdAt: r.created_at } : null;
}

async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

export class PostgresStore implements Store {
  readonly backend = 'postgres';
  readonly keyServer: PostgresKeyServerStore;

  private constructor(private readonly pool: pg.Pool) {
    this.keyServer = new PostgresKeyServerStore(pool);
  }

  static async open(url: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    await pool.query(SCHEMA);
    return new PostgresStore(pool);
  }

  async createUser(u: User) {
    const r = await this.pool.query(
      'INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [u.id, u.username, u.passwordHash, u.createdAt],
    );
    return r.rowCount === 1;
  }

  async userByName(username: string) {
    return user((await this.pool.query('SELECT * FROM users WHERE username = $1', [username])).rows[0]);
  }

  async userById(id: string) {
    return user((await this.pool.query('SELECT * FROM users WHERE id = $1', [id])).rows[0]);
  }

  async listUsers() {
    return (await this.pool.query('SELECT * FROM users ORDER BY created_at')).rows.map((r) => user(r)!);
  }

  async createSession(tokenHash: string, s: Session) {
    await this.pool.query('INSERT INTO sessions (token_hash, user_id, created_at, last_seen) VALUES ($1, $2, $3, $4)', [
      tokenHash,
      s.userId,
      s.createdAt,
      s.lastSeen,
    ]);
  }

  async session(tokenHash: string): Promise<Session | null> {
    const r = (await this.pool.query('SELECT * FROM sessions WHERE token_hash = $1', [tokenHash])).rows[0];
    return r ? { userId: r.user_id, createdAt: r.created_at, lastSeen: r.last_seen } : null;
  }

  async touchSession(tokenHash: string, now: number) {
    await this.pool.query('UPDATE sessions SET last_seen = $1 WHERE token_hash = $2', [now, tokenHash]);
  }

  async deleteSession(tokenHash: string) {
    await this.pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }

  async vault(userId: string) {
    const v = (await this.pool.query('SELECT * FROM vaults WHERE user_id = $1', [userId])).rows[0];
    if (!v) return null;
    const units = (await this.pool.query('SELECT * FROM units WHERE user_id = $1 ORDER BY vendor', [userId])).rows.map(
      (u) => ({ vendor: u.vendor, version: u.version, unit: bytes(u.unit), updatedAt: u.updated_at }),
    );
    return {
      vault: {
        epoch: v.epoch,
        header: bytes(v.header),
        capsules: (v.capsules as Buffer[]).map(bytes),
        updatedAt: v.updated_at,
      },
      units,
    };
  }

  async replaceVault(userId: string, expectedEpoch: number | null, v: VaultRow, units: UnitRow[] | null) {
    return transaction(this.pool, async (c) => {
      const args = [userId, v.epoch, buf(v.header), v.capsules.map(buf), v.updatedAt];
      const r =
        expectedEpoch === null
          ? await c.query(
              `INSERT INTO vaults (user_id, epoch, header, capsules, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT DO NOTHING`,
              args,
            )
          : await c.query(
              `UPDATE vaults SET epoch = $2, header = $3, capsules = $4, updated_at = $5
               WHERE user_id = $1 AND epoch = $6`,
              [...args, expectedEpoch],
            );
      if (r.rowCount !== 1) return false;
      if (units) {
        await c.query('DELETE FROM units WHERE user_id = $1', [userId]);
        for (const u of units) {
          await c.query('INSERT INTO units (user_id, vendor, version, unit, updated_at) VALUES ($1, $2, $3, $4, $5)', [
            userId,
            u.vendor,
            u.version,
            buf(u.unit),
            u.updatedAt,
          ]);
        }
      }
      return true;
    });
  }

  async putUnit(userId: string, expectedVersion: number | null, u: UnitRow) {
    const args = [userId, u.vendor, u.version, buf(u.unit), u.updatedAt];
    const r =
      expectedVersion === null
        ? await this.pool.query(
            `INSERT INTO units (user_id, vendor, version, unit, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING`,
            args,
          )
        : await this.pool.query(
            `UPDATE units SET version = $3, unit = $4, updated_at = $5
             WHERE user_id = $1 AND vendor = $2 AND version = $6`,
            [...args, expectedVersion],
          );
    return r.rowCount === 1;
  }

  async deleteUnit(userId: string, vendor: string) {
    return (await this.pool.query('DELETE FROM units WHERE user_id = $1 AND vendor = $2', [userId, vendor])).rowCount === 1;
  }

  async close() {
    await this.pool.end();
  }
}

class PostgresKeyServerStore implements KeyServerStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(user: string) {
    const r = (await this.pool.query('SELECT record FROM ks_records WHERE user_id = $1', [user])).rows[0];
    return r ? bytes(r.record) : null;
  }

  async compareAndSet(
    user: string,
    expected: number | null,
    record: Uint8Array,
    { version, audit }: { version: number; audit: PendingAudit | null },
  ) {
    return transaction(this.pool, async (c) => {
      const r =
        expected === null
          ? await c.query(
              'INSERT INTO ks_records (user_id, record, revision) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
              [user, buf(record), version],
            )
          : await c.query('UPDATE ks_records SET record = $2, revision = $3 WHERE user_id = $1 AND revision = $4', [
              user,
              buf(record),
              version,
              expected,
            ]);
      if (r.rowCount !== 1) return false;
      if (audit) await append(c, user, audit);
      return true;
    });
  }

  async appendAudit(user: string, audit: PendingAudit) {
    await transaction(this.pool, async (c) => {
      // The record's row lock orders the user's audit appends.
      await c.query('SELECT 1 FROM ks_records WHERE user_id = $1 FOR UPDATE', [user]);
      await append(c, user, audit);
    });
  }

  async listAudit(user: string, after: number, limit: number): Promise<AuditEntry[]> {
    const rows = (
      await this.pool.query('SELECT * FROM ks_audit WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
        user,
        after,
        limit,
      ])
    ).rows;
    return rows.map((r) => ({ seq: r.seq, timeMs: r.time_ms, event: r.event, chain: bytes(r.chain) }));
  }
}

async function append(c: pg.PoolClient, user: string, audit: PendingAudit) {
  const last = (
    await c.query('SELECT seq, chain FROM ks_audit WHERE user_id = $1 ORDER BY seq DESC LIMIT 1', [user])
  ).rows[0];
  const seq = (last?.seq ?? 0) + 1;
  const timeMs = Date.now();
  const chain = audit.chain(last ? bytes(last.chain) : GENESIS, seq, timeMs);
  await c.query('INSERT INTO ks_audit (user_id, seq, time_ms, event, chain) VALUES ($1, $2, $3, $4, $5)', [
    user,
    seq,
    timeMs,
    JSON.stringify(audit.fields),
    buf(chain),
  ]);
}
