/** A PostgreSQL store for the key-server role (`quorumkey/server/pg`), through `pg`. */
import type { KeyServerStore, PendingAudit, AuditEntry } from './server.js';

export class PgStore implements KeyServerStore {
  private constructor();
  /**
   * A store on `pool` (a `pg.Pool`) or a new pool for `connectionString`, in `schema`
   * (default `public`). `migrate` (default true) creates the two tables if missing.
   */
  static create(options: { pool?: unknown; connectionString?: string; schema?: string; migrate?: boolean }): Promise<PgStore>;
  /** The SQL that creates the tables (for a migration tool). */
  static migrationSql(schema?: string): string;
  get(user: string): Promise<Uint8Array | null>;
  compareAndSet(user: string, expectedVersion: number | null, record: Uint8Array,
    extra: { version: number; audit: PendingAudit | null }): Promise<boolean>;
  appendAudit(user: string, audit: PendingAudit): Promise<void>;
  listAudit(user: string, after: number, limit: number): Promise<AuditEntry[]>;
  /** Ends the pool if the store created it. */
  close(): Promise<void>;
}
