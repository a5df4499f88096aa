// A PostgreSQL store for the key-server role, through `pg` (a peer dependency). One row per
// user under compare-and-set on its version; audit events in a per-user hash chain,
// appended in the same transaction as the record update they belong to.
import * as a from './args.js';

function ident(name) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw a.invalid('schema must be a lowercase SQL identifier');
  return `"${name}"`;
}

export class PgStore {
  #pool;
  #owned;
  #s;

  constructor(pool, owned, schema) {
    this.#pool = pool;
    this.#owned = owned;
    this.#s = ident(schema);
  }

  static migrationSql(schema = 'public') {
    const s = ident(schema);
    return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.quorumkey_records (
  user_id TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  record BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.quorumkey_audit (
  user_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  event JSONB NOT NULL,
  chain BYTEA NOT NULL,
  PRIMARY KEY (user_id, seq)
);`;
  }

  static async create({ pool, connectionString, schema = 'public', migrate = true } = {}) {
    let owned = false;
    if (!pool) {
      const { default: pg } = await import('pg');
      pool = new pg.Pool({ connectionString: a.string(connectionString, 'connectionString') });
      owned = true;
    }
    const store = new PgStore(pool, owned, schema);
    if (migrate) await pool.query(PgStore.migrationSql(schema));
    return store;
  }

  async get(user) {
    const r = await this.#pool.query(`SELECT record FROM ${this.#s}.quorumkey_records WHERE user_id = $1`, [user]);
    return r.rows.length ? new Uint8Array(r.rows[0].record) : null;
  }

  async #transaction(fn) {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query(result === false ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async #append(client, user, audit) {
    // One writer per user's chain at a time.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [user]);
    const last = await client.query(
      `SELECT seq, chain FROM ${this.#s}.quorumkey_audit WHERE user_id = $1 ORDER BY seq DESC LIMIT 1`, [user]);
    const seq = last.rows.length ? Number(last.rows[0].seq) + 1 : 1;
    const previous = last.rows.length ? new Uint8Array(last.rows[0].chain) : new Uint8Array(32);
    const timeMs = Date.now();
    const chain = audit.chain(previous, seq, timeMs);
    await client.query(
      `INSERT INTO ${this.#s}.quorumkey_audit (user_id, seq, time_ms, event, chain) VALUES ($1, $2, $3, $4, $5)`,
      [user, seq, timeMs, JSON.stringify(audit.fields), Buffer.from(chain)]);
  }

  async compareAndSet(user, expected, record, { version, audit } = {}) {
    return this.#transaction(async (client) => {
      const r = expected === null
        ? await client.query(
          `INSERT INTO ${this.#s}.quorumkey_records (user_id, version, record) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [user, version, Buffer.from(record)])
        : await client.query(
          `UPDATE ${this.#s}.quorumkey_records SET version = $3, record = $4 WHERE user_id = $1 AND version = $2`,
          [user, expected, version, Buffer.from(record)]);
      if (r.rowCount !== 1) return false;
      if (audit) await this.#append(client, user, audit);
      return true;
    });
  }

  async appendAudit(user, audit) {
    await this.#transaction((client) => this.#append(client, user, audit));
  }

  async listAudit(user, after, limit) {
    const r = await this.#pool.query(
      `SELECT seq, time_ms, event, chain FROM ${this.#s}.quorumkey_audit WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [user, after, limit]);
    return r.rows.map((row) => ({
      seq: Number(row.seq),
      timeMs: Number(row.time_ms),
      event: row.event,
      chain: new Uint8Array(row.chain),
    }));
  }

  async close() {
    if (this.#owned) await this.#pool.end();
  }
}
