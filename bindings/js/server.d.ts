/**
 * The key-server role for Node.js API servers (`quorumkey/server`): the HTTP contract of
 * spec/http-api.md over the core's key server, with your database behind `KeyServerStore`.
 */
import type { ErrorCode, KeyDirectory, AuditEventJson } from './index.js';
export * from './index.js';

/** An audit event waiting to be stored with (or without) a record update. */
export interface PendingAudit {
  /** The event's fields (camelCase; byte strings as lowercase hex; null where they do not apply). */
  readonly fields: Readonly<{
    action: AuditEventJson['action'];
    purpose: AuditEventJson['purpose'];
    keyVersion: number | null;
    mode: AuditEventJson['mode'];
    info: string | null;
    elementCount: number | null;
    guessesRemaining: number | null;
    requestDigest: string | null;
    version: number | null;
    generation: number | null;
    maxGuesses: number | null;
  }>;
  /** The event's canonical bytes (wire-format §15): what each chain link hashes. */
  readonly bytes: Uint8Array;
  /** This event's link of the user's hash chain, after `previous` (32 zero bytes first). */
  chain(previous: Uint8Array, seq: number, timeMs: number): Uint8Array;
}

/** A stored audit event. */
export interface AuditEntry {
  seq: number;
  timeMs: number;
  event: PendingAudit['fields'];
  chain: Uint8Array;
}

/**
 * The caller's database, one record per user, under compare-and-set on the record's
 * version (its revision: 1 for a new record, one higher per change).
 */
export interface KeyServerStore {
  /** The user's record, or null. */
  get(user: string): Promise<Uint8Array | null>;
  /**
   * Stores `record` if the stored version is still `expectedVersion` (null: no record may
   * exist), together with `audit` in the same transaction. Resolves false if another
   * request changed the record first.
   */
  compareAndSet(user: string, expectedVersion: number | null, record: Uint8Array,
    extra: { version: number; audit: PendingAudit | null }): Promise<boolean>;
  /** Appends an audit event for a request that changed no record. */
  appendAudit(user: string, audit: PendingAudit): Promise<void>;
  /** The user's audit events after `after` (for `GET /v1/audit`; optional). */
  listAudit?(user: string, after: number, limit: number): Promise<AuditEntry[]>;
}

/** One HTTP request, as the host app received and authenticated it. */
export interface KeyServerRequest {
  /** The user id the app authenticated (1..=255 bytes of UTF-8), or null. */
  user: string | null | undefined;
  method: string;
  /** The path with its query, e.g. `/v1/audit?after=0`. */
  path: string;
  contentType?: string;
  body?: Uint8Array;
}

export interface KeyServerResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The core's key-server operations. */
export type OperationName =
  | 'evaluate' | 'get_keys' | 'add_key_version' | 'drop_key_version'
  | 'set_password' | 'confirm_unlock' | 'change_tag';

/** A master seed: 32 bytes, or an async function returning them (a KMS call). */
export type SeedSource = Uint8Array | (() => Promise<Uint8Array>);

export class KeyServer {
  private constructor();
  /**
   * A key server from master seeds by generation. `currentGeneration` (default the
   * highest) derives new key versions; `maxGuessesLimit` (default 10) caps what a client
   * may ask for; `issuer` names the server in the key directory.
   */
  static create(options: {
    seed?: SeedSource;
    generations?: Array<{ generation: number; seed: SeedSource; status?: string; created?: string; notAfter?: string }>;
    currentGeneration?: number;
    maxGuessesLimit?: number;
    issuer?: string;
  }): Promise<KeyServer>;
  readonly currentGeneration: number;
  /** Serves one request of spec/http-api.md. Never throws: errors are JSON error responses. */
  handle(request: KeyServerRequest, store: KeyServerStore): Promise<KeyServerResponse>;
  /** One operation for `user`: the response bytes once any record update is stored. */
  operation(user: string | Uint8Array, name: OperationName, store: KeyServerStore,
    options?: { body?: Uint8Array; version?: number; suite?: 'p256' | 'ristretto255' }): Promise<Uint8Array>;
  /** A `(req, res)` handler for `node:http`, Express (mount before body parsers, or use `express.raw()`) or Fastify. */
  nodeHandler(options: {
    store: KeyServerStore;
    authenticate: (req: import('node:http').IncomingMessage) => string | null | undefined | Promise<string | null | undefined>;
  }): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>;
  keyDirectory(): KeyDirectory;
  /** Frees the key server (seeds zeroized). */
  dispose(): void;
}

/** A store in memory, for tests (a restart loses every user's keys). */
export class MemoryStore implements KeyServerStore {
  get(user: string): Promise<Uint8Array | null>;
  compareAndSet(user: string, expectedVersion: number | null, record: Uint8Array,
    extra: { version: number; audit: PendingAudit | null }): Promise<boolean>;
  appendAudit(user: string, audit: PendingAudit): Promise<void>;
  listAudit(user: string, after: number, limit: number): Promise<AuditEntry[]>;
}

/** A master seed from an environment variable of 64 hex digits (default QUORUMKEY_MASTER_SEED). */
export function seedFromEnv(name?: string): Uint8Array;
/** A master seed from a file of 32 raw bytes or 64 hex digits. */
export function seedFromFile(path: string): Promise<Uint8Array>;
/** The JSON form of a stored audit event. */
export function auditJson(entry: AuditEntry): AuditEventJson;
/** The largest request body accepted (16 KiB). */
export const MAX_BODY: number;
/** Compare-and-set attempts before a request is answered `busy`. */
export const MAX_ATTEMPTS: number;
export type { ErrorCode };
