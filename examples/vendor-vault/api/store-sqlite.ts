// The default store: one SQLite file (better-sqlite3; WAL mode). Calls are synchronous
// inside; the async interface is the one PostgreSQL needs too.
import Database from 'better-sqlite3';
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
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vaults (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  epoch INTEGER NOT NULL,
  header BLOB NOT NULL,
  capsules TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
  user_id TEXT NOT NULL REFERENCES users(id),
  vendor TEXT NOT NULL,
  version INTEGER NOT NULL,
  unit BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, vendor)
);
CREATE TABLE IF NOT EXISTS ks_records (
  user_id TEXT PRIMARY KEY,
  record BLOB NOT NULL,
  revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ks_audit (
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  chain BLOB NOT NULL,
  PRIMARY KEY (user_id, seq)
);
`;

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
}

const user = (r: UserRow | undefined): User | null =>
  r ? { id: r.id, username: r.username, passwordHash: r.password_hash, createdAt: r.created_at } : null;

// Capsules are a JSON array of base64url strings: a vault has one per key server.
const encodeList = (list: Uint8Array[]) => JSON.stringify(list.map((c) => Buffer.from(c).toString('base64url')));
const decodeList = (text: string): Uint8Array[] =>
  (JSON.parse(text) as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64url')));
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly keyServer: SqliteKeyServerStore;

  private constructor(private readonly db: Database.Database) {
    this.keyServer = new SqliteKeyServerStore(db);
  }

  static open(path: string): SqliteStore {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new SqliteStore(db);
  }

  async createUser(u: User): Promise<boolean> {
    const r = this.db
      .prepare('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(u.id, u.username, u.passwordHash, u.createdAt);
    return r.changes === 1;
  }

  async userByName(username: string) {
    return user(this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined);
  }

  async userById(id: string) {
    return user(this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined);
  }

  async listUsers() {
    return (this.db.prepare('SELECT * FROM users ORDER BY created_at').all() as UserRow[]).map((r) => user(r)!);
  }

  async createSession(tokenHash: string, s: Session) {
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, last_seen) VALUES (?, ?, ?, ?)')
      .run(tokenHash, s.userId, s.createdAt, s.lastSeen);
  }

  async session(tokenHash: string): Promise<Session | null> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as
      | { user_id: string; created_at: number; last_seen: number }
      | undefined;
    return r ? { userId: r.user_id, createdAt: r.created_at, lastSeen: r.last_seen } : null;
  }

  async touchSession(tokenHash: string, now: number) {
    this.db.prepare('UPDATE sessions SET last_seen = ? WHERE token_hash = ?').run(now, tokenHash);
  }

  async deleteSession(tokenHash: string) {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  async vault(userId: string) {
    const v = this.db.prepare('SELECT * FROM vaults WHERE user_id = ?').get(userId) as
      | { epoch: number; header: Buffer; capsules: string; updated_at: number }
      | undefined;
    if (!v) return null;
    const units = (
      this.db.prepare('SELECT * FROM units WHERE user_id = ? ORDER BY vendor').all(userId) as {
        vendor: string;
        version: number;
        unit: Buffer;
        updated_at: number;
      }[]
    ).map((u) => ({ vendor: u.vendor, version: u.version, unit: bytes(u.unit), updatedAt: u.updated_at }));
    return {
      vault: { epoch: v.epoch, header: bytes(v.header), capsules: decodeList(v.capsules), updatedAt: v.updated_at },
      units,
    };
  }

  async replaceVault(userId: string, expectedEpoch: number | null, v: VaultRow, units: UnitRow[] | null) {
    return this.db.transaction(() => {
      const current = this.db.prepare('SELECT epoch FROM vaults WHERE user_id = ?').get(userId) as
        | { epoch: number }
        | undefined;
      if ((current?.epoch ?? null) !== expectedEpoch) return false;
      this.db
        .prepare(
          `INSERT INTO vaults (user_id, epoch, header, capsules, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET epoch = excluded.epoch, header = excluded.header,
             capsules = excluded.capsules, updated_at = excluded.updated_at`,
        )
        .run(userId, v.epoch, v.header, encodeList(v.capsules), v.updatedAt);
      if (units) {
        this.db.prepare('DELETE FROM units WHERE user_id = ?').run(userId);
        const insert = this.db.prepare(
          'INSERT INTO units (user_id, vendor, version, unit, updated_at) VALUES (?, ?, ?, ?, ?)',
        );
        for (const u of units) insert.run(userId, u.vendor, u.version, u.unit, u.updatedAt);
      }
      return true;
    })();
  }

  async putUnit(userId: string, expectedVersion: number | null, u: UnitRow) {
    return this.db.transaction(() => {
      const current = this.db.prepare('SELECT version FROM units WHERE user_id = ? AND vendor = ?').get(
        userId,
        u.vendor,
      ) as { version: number } | undefined;
      if ((current?.version ?? null) !== expectedVersion) return false;
      this.db
        .prepare(
          `INSERT INTO units (user_id, vendor, version, unit, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id, vendor) DO UPDATE SET version = excluded.version, unit = excluded.unit,
             updated_at = excluded.updated_at`,
        )
        .run(userId, u.vendor, u.version, u.unit, u.updatedAt);
      return true;
    })();
  }

  async deleteUnit(userId: string, vendor: string) {
    return this.db.prepare('DELETE FROM units WHERE user_id = ? AND vendor = ?').run(userId, vendor).changes === 1;
  }

  async close() {
    this.db.close();
  }
}

class SqliteKeyServerStore implements KeyServerStore {
  constructor(private readonly db: Database.Database) {}

  async get(user: string) {
    const r = this.db.prepare('SELECT record FROM ks_records WHERE user_id = ?').get(user) as
      | { record: Buffer }
      | undefined;
    return r ? bytes(r.record) : null;
  }

  async compareAndSet(
    user: string,
    expected: number | null,
    record: Uint8Array,
    { version, audit }: { version: number; audit: PendingAudit | null },
  ) {
    return this.db.transaction(() => {
      const changed =
        expected === null
          ? this.db
              .prepare('INSERT INTO ks_records (user_id, record, revision) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
              .run(user, record, version).changes
          : this.db
              .prepare('UPDATE ks_records SET record = ?, revision = ? WHERE user_id = ? AND revision = ?')
              .run(record, version, user, expected).changes;
      if (changed !== 1) return false;
      if (audit) this.append(user, audit);
      return true;
    })();
  }

  async appendAudit(user: string, audit: PendingAudit) {
    this.db.transaction(() => this.append(user, audit))();
  }

  private append(user: string, audit: PendingAudit) {
    const last = this.db
      .prepare('SELECT seq, chain FROM ks_audit WHERE user_id = ? ORDER BY seq DESC LIMIT 1')
      .get(user) as { seq: number; chain: Buffer } | undefined;
    const seq = (last?.seq ?? 0) + 1;
    const timeMs = Date.now();
    const chain = audit.chain(last ? bytes(last.chain) : GENESIS, seq, timeMs);
    this.db
      .prepare('INSERT INTO ks_audit (user_id, seq, time_ms, event, chain) VALUES (?, ?, ?, ?, ?)')
      .run(user, seq, timeMs, JSON.stringify(audit.fields), chain);
  }

  async listAudit(user: string, after: number, limit: number): Promise<AuditEntry[]> {
    return (
      this.db
        .prepare('SELECT * FROM ks_audit WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?')
        .all(user, after, limit) as { seq: number; time_ms: number; event: string; chain: Buffer }[]
    ).map((r) => ({ seq: r.seq, timeMs: r.time_ms, event: JSON.parse(r.event) as AuditEntry['event'], chain: bytes(r.chain) }));
  }
}
