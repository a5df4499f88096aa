// The API's one storage interface. Everything the API keeps goes through it: accounts,
// sessions, and each user's *public* vault blobs (header, capsules, sealed units). With
// the embedded key server, its per-user records and audit log live here too.
//
// Two implementations: SQLite (the default: one file, no server) and PostgreSQL (set
// DATABASE_URL). Writes that must not lose a race are compare-and-set: the caller says
// which version it read, and the write happens only if that is still the stored one.

import type { AuditEntry, KeyServerStore, PendingAudit } from 'quorumkey/server';

// The embedded key server's store (its per-user records and audit log) has the shape the
// npm package's key-server role asks for.
export type { AuditEntry, KeyServerStore, PendingAudit };

export interface User {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: number;
}

export interface Session {
  userId: string;
  createdAt: number;
  lastSeen: number;
}

/** A vault's header and capsules (public: they open nothing without the key server). */
export interface VaultRow {
  epoch: number;
  header: Uint8Array;
  capsules: Uint8Array[];
  updatedAt: number;
}

/** One vendor credential, sealed on the client (public ciphertext). */
export interface UnitRow {
  vendor: string;
  version: number;
  unit: Uint8Array;
  updatedAt: number;
}

export interface Store {
  readonly backend: string;
  /** False if the username is taken. */
  createUser(user: User): Promise<boolean>;
  userByName(username: string): Promise<User | null>;
  userById(id: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  createSession(tokenHash: string, session: Session): Promise<void>;
  session(tokenHash: string): Promise<Session | null>;
  touchSession(tokenHash: string, now: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  vault(userId: string): Promise<{ vault: VaultRow; units: UnitRow[] } | null>;
  /**
   * Stores the user's vault if the stored epoch is still `expectedEpoch` (`null`: no vault
   * yet). With `units`, the user's units are replaced by them in the same transaction (a
   * revocation moves every unit to the new vault at once).
   */
  replaceVault(
    userId: string,
    expectedEpoch: number | null,
    vault: VaultRow,
    units: UnitRow[] | null,
  ): Promise<boolean>;
  /** Stores a unit if the stored version is still `expectedVersion` (`null`: none yet). */
  putUnit(userId: string, expectedVersion: number | null, unit: UnitRow): Promise<boolean>;
  deleteUnit(userId: string, vendor: string): Promise<boolean>;
  keyServer: KeyServerStore & { listAudit(user: string, after: number, limit: number): Promise<AuditEntry[]> };
  close(): Promise<void>;
}

export async function openStore(databaseUrl: string | undefined, dataDir: string): Promise<Store> {
  if (databaseUrl) {
    const { PostgresStore } = await import('./store-postgres.js');
    return PostgresStore.open(databaseUrl);
  }
  const { SqliteStore } = await import('./store-sqlite.js');
  return SqliteStore.open(`${dataDir}/api.sqlite3`);
}

export const GENESIS = new Uint8Array(32);
