/**
 * quorumkey: client-side encryption of a user's secrets that open only with a quorum of
 * holders — the user's device, blind RFC 9497 key servers, and custodians.
 *
 * Load the WebAssembly module once with `await ready()` before calling the synchronous
 * API; the async flows (`enroll`, `unlock`, …) wait for it themselves.
 */

// ---------------------------------------------------------------------------------------
// Loading

/** Where the WebAssembly module comes from, to override the platform's default. */
export type WasmSource = WebAssembly.Module | BufferSource | Response | URL | string;

/**
 * Loads the WebAssembly module (idempotent). Node.js reads it from the package, browsers
 * and workers fetch it from beside the entry file, Cloudflare Workers import it as a
 * module. `options.wasm` overrides the source.
 */
export function ready(options?: { wasm?: WasmSource | Promise<WasmSource> }): Promise<void>;
/** Whether `ready()` has completed. */
export function isReady(): boolean;

// ---------------------------------------------------------------------------------------
// Errors

/** Every error code the package throws. Stable: never renamed or reused. */
export type ErrorCode =
  // 1xxx bad input
  | 'malformed' | 'batch_size' | 'element_budget' | 'user_id_length' | 'info_length'
  | 'password_length' | 'password_params' | 'unit_id_length' | 'unit_too_large'
  | 'invalid_policy' | 'invalid_card' | 'invalid_sharing' | 'max_guesses' | 'invalid_version'
  // 2xxx objects that do not belong together
  | 'wrong_vault' | 'stale_epoch' | 'header_mismatch' | 'unknown_holder' | 'wrong_holder_kind'
  | 'duplicate_holder' | 'unexpected_response' | 'missing_response' | 'response_count'
  | 'missing_pin' | 'password_presence' | 'untrusted_key' | 'untrusted_header' | 'stale_header'
  | 'key_id_mismatch' | 'key_version_not_newer' | 'epoch_exhausted' | 'unit_gate' | 'unit_rollback'
  | 'unit_version_exhausted'
  // 3xxx verification and opening failures
  | 'bad_proof' | 'capsule_open' | 'wrong_password' | 'not_enough_shares' | 'invalid_shares'
  | 'unit_open' | 'unit_gate_refused' | 'unit_gate_proof' | 'password_stretch' | 'key_derivation'
  // 4xxx key-server state
  | 'no_record' | 'unknown_key_version' | 'too_many_key_versions' | 'newest_key_version'
  | 'unknown_generation' | 'password_already_set' | 'password_not_set' | 'password_burned'
  | 'unlock_tag_mismatch' | 'record_not_stored'
  // 5xxx HTTP
  | 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed' | 'body_too_large'
  | 'unsupported_media_type' | 'rate_limited' | 'internal' | 'busy' | 'unavailable' | 'token_replayed'
  // 6xxx this package
  | 'invalid_argument' | 'consumed' | 'locked' | 'not_ready' | 'transport' | 'unsupported' | 'storage';

/** Every error the package throws. Branch on `code`, never on `message`. */
export class QuorumkeyError extends Error {
  readonly name: 'QuorumkeyError' | 'WrongPasswordError';
  /** The stable code. */
  readonly code: ErrorCode;
  /** The code's stable number. */
  readonly number: number;
  /** The HTTP status a key server answers with for this code (or the status received). */
  readonly status: number;
  /** Whether the same call may succeed later unchanged. */
  readonly retryable: boolean;
  /** The holder the error concerns, where the core names one. */
  readonly holder?: number;
  /** For `invalid_shares`: every holder whose share failed verification. */
  readonly culprits?: number[];
  /** For `rate_limited` and `busy` from a key server: seconds to wait. */
  readonly retryAfter?: number;
  constructor(code: ErrorCode, message: string, details?: { cause?: unknown; holder?: number; status?: number });
}

/** A password (or PIN) capsule did not open. */
export class WrongPasswordError extends QuorumkeyError {
  readonly code: 'wrong_password';
  /** Guesses the key server has left before it destroys the password keys (if it said). */
  readonly guessesRemaining: number | undefined;
}

/** Whether `e` is one of the package's errors. */
export function isQuorumkeyError(e: unknown): e is QuorumkeyError;

/** Number, HTTP status, retry flag and summary of every code. */
export const errorCodes: Readonly<Record<ErrorCode, Readonly<{
  number: number; status: number; retryable: boolean; summary: string;
}>>>;

// ---------------------------------------------------------------------------------------
// Policy and public objects

/** One holder of a share. Ids are 1..=255 and distinct; labels at most 32 bytes. */
export type HolderSpec =
  | { id: number; kind: 'device'; label: string }
  | { id: number; kind: 'keyServer'; label: string; /** The key server's identity (≤ 64 bytes). */ keyId: string }
  | { id: number; kind: 'custodian'; label: string };

/** A policy: any `threshold` of the holders open the vault. */
export interface PolicySpec {
  threshold: number;
  holders: HolderSpec[];
  /** Let the key servers alone reach the threshold (off by default). */
  serversAloneMayUnlock?: boolean;
  /** Refuse a policy without a key server. */
  requireKeyServer?: boolean;
}

export interface PolicyInfo {
  threshold: number;
  holders: Array<HolderSpec | { id: number; kind: 'unknown'; label: string }>;
  serversAloneMayUnlock: boolean;
  /** The policy's encoding. */
  bytes: Uint8Array;
}

export interface HeaderInfo {
  vaultId: Uint8Array;
  epoch: number;
  /** The header's digest: keep it on the device and pass it as `headerDigest` to unlock. */
  digest: Uint8Array;
  policy: PolicyInfo;
}

export type GateModeName = 'voprf' | 'poprf';

export interface CapsuleInfo {
  holder: number;
  vaultId: Uint8Array;
  epoch: number;
  keyId: string;
  keyVersion: number;
  publicKey: Uint8Array;
  purpose: 'capsule' | 'password_capsule';
  needsPassword: boolean;
  mode: GateModeName;
  /** The POPRF label, or null. */
  info: Uint8Array | null;
}

export interface UnitInfo {
  vaultId: Uint8Array;
  unitId: Uint8Array;
  /** The unit id as text, when it is UTF-8. */
  unitIdText: string | undefined;
  /** 1 when first sealed, one higher per update. */
  version: number;
  gated: boolean;
  gateKeyId?: string;
  gateKeyVersion?: number;
  mode?: GateModeName;
  info?: Uint8Array | null;
}

export interface KeySetInfo {
  versions: Array<{ version: number; current: boolean; passwordKeys: boolean }>;
  newest: number | undefined;
  guard:
    | { state: 'off' }
    | { state: 'active'; maxGuesses: number; guessesRemaining: number }
    | { state: 'burned'; maxGuesses: number; guessesRemaining: 0 };
}

/** The policy's encoding (bytes pass through after a type check). */
export function encodePolicy(policy: PolicySpec | Uint8Array): Uint8Array;
export function inspectHeader(header: Uint8Array): HeaderInfo;
export function inspectPolicy(policy: Uint8Array): PolicyInfo;
export function inspectCapsule(capsule: Uint8Array): CapsuleInfo;
export function inspectUnit(unit: Uint8Array): UnitInfo;
export function inspectKeySet(keySet: Uint8Array): KeySetInfo;
/** A recovery kit: the header and copies of its capsules (public; keep it with a card). */
export function recoveryKit(header: Uint8Array, capsules: Uint8Array[]): Uint8Array;
export function openRecoveryKit(kit: Uint8Array): { header: Uint8Array; capsules: Uint8Array[] };

// ---------------------------------------------------------------------------------------
// Handles

/**
 * A handle on an object in WebAssembly memory. `dispose()` (or `using`) frees it now and
 * zeroizes its secrets; garbage collection frees it eventually as a backstop only.
 */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A device's share of a vault (secret). */
export class DeviceShare implements Disposable {
  private constructor();
  readonly holder: number;
  readonly vaultId: Uint8Array;
  readonly epoch: number;
  /** The share's bytes (secret!), for device storage only; wipe them after use. */
  exportSecret(): Uint8Array;
  /** A share read back from device storage. */
  static fromSecretBytes(bytes: Uint8Array): DeviceShare;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A custodian's share card (secret). */
export class ShareCard implements Disposable {
  private constructor();
  readonly holder: number;
  readonly vaultId: Uint8Array;
  readonly epoch: number;
  /** The card's text (secret!): `QK1-…`, for printing or a QR code. */
  toSecretText(): string;
  /** Reads a card's text; case, spaces, line breaks and hyphens are ignored. */
  static fromText(text: string): ShareCard;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A request for one key server: `POST /v1/evaluate` with `body` at the server `keyId`. */
export interface ServerRequest {
  readonly keyId: string;
  /** The key-server holders whose capsules it opens (empty for unit gates). */
  readonly holders: readonly number[];
  readonly purpose: 'capsule' | 'password_capsule' | 'unit_gate';
  readonly keyVersion: number;
  readonly body: Uint8Array;
}

/** A password (or PIN), with Argon2id parameters for sealing (default 64 MiB, 3 passes, 1 lane). */
export type PasswordInput =
  | string
  | Uint8Array
  | { secret: string | Uint8Array; params?: { memoryKib: number; iterations: number; lanes: number } };

/** A key-server holder as the client pins it: its key set (fetched over an authenticated channel). */
export interface ServerSetup {
  holder: number;
  keySet: Uint8Array;
  /** A POPRF label bound into the gate and shown to the server; VOPRF when absent. */
  info?: string | Uint8Array;
}

/**
 * Where a key server's unit gates move (Rust: `GateTarget`): the newest unit-gate key of
 * `keySet`, VOPRF or POPRF with `info`. One per key server.
 */
export interface UnitTarget {
  keyId: string;
  keySet: Uint8Array;
  info?: string | Uint8Array;
}

/** What `keyServerSetup` pins (Rust: `KeyServerSetup::newest`). */
export interface PinnedKey {
  holder: number;
  keyVersion: number;
  purpose: 'capsule' | 'password_capsule';
  publicKey: Uint8Array;
  mode: 'voprf' | 'poprf';
  info: Uint8Array | null;
}

/**
 * The key enrolling or re-sealing pins for key-server holder `holder` from `keySet`: the
 * newest one for a capsule with (`password: true`) or without a password. Throws
 * `missing_pin` if there is none (no password key before the guard is set up).
 */
export function keyServerSetup(holder: number, keySet: Uint8Array,
  options?: { info?: string | Uint8Array; password?: boolean }): PinnedKey;

/** A dealt vault, before its capsules are sealed (Rust: `Enrollment`). */
export class Enrollment implements Disposable {
  private constructor();
  /** Deals a new vault under `policy`. */
  static create(policy: PolicySpec | Uint8Array): Enrollment;
  readonly header: Uint8Array;
  /** What key server `keyId` needs to turn on the password guard (`POST /v1/password`). */
  passwordSetup(keyId: string, maxGuesses?: number): Uint8Array;
  /** Blinds one gate per key-server holder; consumes the enrollment. */
  requestGates(servers: ServerSetup[], password?: PasswordInput): PendingEnrollment;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** What an enrollment, refresh or rekey produces, for the caller to persist. */
export interface Enrolled {
  /** The public header. */
  header: Uint8Array;
  /** One capsule per key-server holder (public). */
  capsules: Uint8Array[];
  /** The device holders' shares (secret: keep on the device, e.g. in a DeviceShareStore). */
  deviceShares: DeviceShare[];
  /** One card per custodian (secret: print them, hand them over, dispose). */
  cards: ShareCard[];
  /** The vault, open. */
  vault: UnlockedVault;
}

/** An enrollment, refresh or rekey waiting for the key servers (Rust: `PendingEnrollment`). */
export class PendingEnrollment implements Disposable {
  private constructor();
  readonly requests: readonly ServerRequest[];
  readonly header: Uint8Array;
  /** Completes it with `responses[i]` answering `requests[i]`. */
  finish(responses: Uint8Array[], options?: VaultOptions): Enrolled;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** What an unlock trusts: the header's digest and key sets from an authenticated channel. */
export interface Trust {
  headerDigest?: Uint8Array;
  keySets?: Record<string, Uint8Array>;
}

export interface VaultOptions {
  /** Lock after this many ms without use (default 10 minutes; `Infinity` for never). */
  idleTimeout?: number;
  /** Called when the vault locks, by `lock()` or by the idle timer. */
  onLock?: (reason: 'explicit' | 'idle') => void;
}

/** An unlock waiting for the key servers (Rust: `Unlock`). */
export class Unlock implements Disposable {
  private constructor();
  static start(args: {
    header: Uint8Array;
    shares?: Array<DeviceShare | ShareCard>;
    capsules?: Uint8Array[];
    trust?: Trust;
    password?: PasswordInput;
  }): Unlock;
  readonly requests: readonly ServerRequest[];
  /** `responses[i]` answers `requests[i]`; `null` for a server that refused or was unreachable. */
  finish(responses: Array<Uint8Array | null>, options?: VaultOptions): UnlockedVault;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** The result of reading one unit. */
export type UnitResult = { ok: true; plaintext: Uint8Array } | { ok: false; error: QuorumkeyError };

/**
 * An open vault. Its keys stay in WebAssembly memory; only unit plaintexts come out. It
 * locks itself after `idleTimeout` ms without use; `lock()`, `dispose()` and
 * `[Symbol.dispose]` lock it now (keys zeroized). Every use of a locked vault throws
 * `locked`.
 */
export class UnlockedVault implements Disposable {
  private constructor();
  readonly locked: boolean;
  readonly vaultId: Uint8Array;
  readonly epoch: number;
  /** Resets the idle timer. */
  touch(): void;
  /** Seals `plaintext` (≤ 64 KiB) as unit `unitId` (1..=64 bytes): the sealed unit (public). */
  seal(unitId: string | Uint8Array, plaintext: string | Uint8Array): Uint8Array;
  /** Seals `plaintext` as the next version of `previous`. */
  update(previous: Uint8Array, plaintext: string | Uint8Array): Uint8Array;
  /** Opens a sealed unit. */
  open(unit: Uint8Array): Uint8Array;
  /** Opens a sealed unit holding UTF-8 text. */
  openText(unit: Uint8Array): string;
  /** Starts sealing a unit behind its own gate at key server `keyId` (each read costs an evaluation). */
  sealGated(unitId: string | Uint8Array, plaintext: string | Uint8Array,
    gate: { keyId: string; keySet: Uint8Array; info?: string | Uint8Array }): GatedSeal;
  /**
   * Starts sealing `plaintext` as the next version of `previous` behind a fresh gate at
   * `keyId` (Rust: `update_gated_unit`): how a gated unit is updated.
   */
  updateGated(previous: Uint8Array, plaintext: string | Uint8Array,
    gate: { keyId: string; keySet: Uint8Array; info?: string | Uint8Array }): GatedSeal;
  /** Starts reading units, gated or not. */
  readUnits(units: Uint8Array[]): UnitRead;
  /** The unlock proof for `keyId` (`POST /v1/password/unlocked`; secret). */
  unlockProof(keyId: string): Uint8Array;
  /**
   * The password setup for `keyId` (`POST /v1/password`): a new guard after the old one
   * burned, or a first one. Then re-seal that server's capsule behind the new password
   * (the `setPassword` flow does both).
   */
  passwordSetup(keyId: string, maxGuesses?: number): Uint8Array;
  /** After a rekey: replaces the unlock tag at `keyId` by `next`'s (`POST /v1/password/tag`; secret). */
  tagChange(keyId: string, next: UnlockedVault): Uint8Array;
  /** Starts re-sealing a capsule under the newest key of `keySet` (rotation, password change). */
  reseal(args: { header: Uint8Array; capsule: Uint8Array; keySet: Uint8Array; info?: string | Uint8Array;
    password?: PasswordInput; holder?: number }): Reseal;
  /** Starts a refresh (re-deal): same secret, new shares at the next epoch, newer key versions. */
  refresh(args: { header: Uint8Array; capsules: Uint8Array[]; policy?: PolicySpec | Uint8Array;
    servers: ServerSetup[]; password?: PasswordInput }): PendingEnrollment;
  /** Starts a rekey: a new secret at the next epoch (then `reencryptUnits`). */
  rekey(args: { header: Uint8Array; capsules: Uint8Array[]; policy?: PolicySpec | Uint8Array;
    servers: ServerSetup[]; password?: PasswordInput }): PendingEnrollment;
  /** Re-encrypts `units` of `old` (the vault before a rekey) under this vault. */
  reencryptUnits(old: UnlockedVault, units: Uint8Array[]): Uint8Array[];
  /**
   * Starts a revocation (Rust: `UnlockedVault::revoke`): a rekey, and every one of `units`
   * moved under the new root key, gated ones to their key server's `unitTargets` entry.
   */
  revoke(args: { header: Uint8Array; capsules: Uint8Array[]; policy?: PolicySpec | Uint8Array;
    servers: ServerSetup[]; password?: PasswordInput; units?: Uint8Array[]; unitTargets?: UnitTarget[] }): Revocation;
  /** Locks now: keys zeroized. */
  lock(): void;
  dispose(): void;
  [Symbol.dispose](): void;
}

export class GatedSeal implements Disposable {
  private constructor();
  readonly request: ServerRequest;
  finish(response: Uint8Array): Uint8Array;
  dispose(): void;
  [Symbol.dispose](): void;
}

export class UnitRead implements Disposable {
  private constructor();
  readonly requests: readonly ServerRequest[];
  finish(responses: Array<Uint8Array | null>): UnitResult[];
  dispose(): void;
  [Symbol.dispose](): void;
}

export class Reseal implements Disposable {
  private constructor();
  readonly request: ServerRequest;
  finish(response: Uint8Array): Uint8Array;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A revocation waiting for the key servers (Rust: `Revocation`). */
export class Revocation implements Disposable {
  private constructor();
  readonly requests: readonly ServerRequest[];
  /** Every request needs its answer. All or nothing. */
  finish(responses: Uint8Array[], options?: VaultOptions): Enrolled & { units: Uint8Array[] };
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * Units moving to a new root key and/or their gates to newer key versions, each as its
 * next version (Rust: `UnitMigration`).
 */
export class UnitMigration implements Disposable {
  private constructor();
  static start(args: { units: Uint8Array[]; targets?: UnitTarget[] }): UnitMigration;
  readonly requests: readonly ServerRequest[];
  /** The moved units, from `oldVault` to `newVault` (the same vault, or after a rekey). */
  finish(oldVault: UnlockedVault, newVault: UnlockedVault, responses: Uint8Array[]): Uint8Array[];
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * The latest version of each unit of one vault this client has seen (Rust: `UnitIndex`):
 * rollback detection. Keep it with the device share (`DeviceShareStore.saveIndex`).
 */
export class UnitIndex implements Disposable {
  private constructor();
  static create(vaultId: Uint8Array): UnitIndex;
  static fromBytes(bytes: Uint8Array): UnitIndex;
  readonly vaultId: Uint8Array;
  latest(unitId: string | Uint8Array): number | undefined;
  /** Throws `unit_rollback` for a unit older than the latest seen, `wrong_vault` for another vault's. */
  check(unit: Uint8Array): void;
  /** `check`, then records the unit's version as the latest. */
  observe(unit: Uint8Array): void;
  forget(unitId: string | Uint8Array): void;
  toBytes(): Uint8Array;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** The idle timeout of an unlocked vault unless told otherwise (10 minutes). */
export const DEFAULT_IDLE_TIMEOUT_MS: number;

// ---------------------------------------------------------------------------------------
// Transport

/**
 * One key server's HTTP API (spec/http-api.md), as the flows use it. `KeyServerClient`
 * implements it with fetch; implement it yourself to route through your own API.
 */
export interface KeyServerTransport {
  /** `POST /v1/evaluate`. */
  evaluate(request: Uint8Array): Promise<Uint8Array>;
  /** `GET /v1/keys`. */
  getKeys(): Promise<Uint8Array>;
  /** `POST /v1/keys`. */
  addKeyVersion(): Promise<Uint8Array>;
  /** `DELETE /v1/keys/{version}`. */
  dropKeyVersion(version: number): Promise<Uint8Array>;
  /** `POST /v1/password`. */
  setPassword(setup: Uint8Array): Promise<Uint8Array>;
  /** `POST /v1/password/unlocked`. */
  confirmUnlock(proof: Uint8Array): Promise<Uint8Array>;
  /** `POST /v1/password/tag`. */
  changeTag(change: Uint8Array): Promise<Uint8Array>;
}

/** An audit event as `GET /v1/audit` returns it (spec/http-api.md §6). */
export interface AuditEventJson {
  seq: number;
  time_ms: number;
  action: 'evaluated' | 'key_version_added' | 'key_version_dropped' | 'password_set' | 'unlock_confirmed' | 'tag_changed';
  purpose: 'capsule' | 'password_capsule' | 'unit_gate' | null;
  key_version: number | null;
  mode: GateModeName | null;
  info: string | null;
  element_count: number | null;
  guesses_remaining: number | null;
  request_digest: string | null;
  generation: number | null;
  max_guesses: number | null;
  chain: string;
}

export interface KeyDirectory {
  issuer: string;
  current_generation: number;
  generations: Array<{ generation: number; status: string; created: string | null; not_after: string | null; fingerprint: string }>;
}

/** A fetch-based client for one key server. */
export class KeyServerClient implements KeyServerTransport {
  constructor(options: {
    /** The key server's base URL. */
    url: string;
    /** The bearer token, or a function returning it (called per request). */
    token?: string | (() => string | Promise<string>);
    /** A fetch implementation (default `globalThis.fetch`). */
    fetch?: typeof fetch;
    headers?: Record<string, string>;
    /** Per-request timeout in ms (default 15000). */
    timeoutMs?: number;
    /** The suite of the key sets asked for (`?suite=`); the server's default is `'p256'`. */
    suite?: 'p256' | 'ristretto255';
  });
  evaluate(request: Uint8Array): Promise<Uint8Array>;
  getKeys(): Promise<Uint8Array>;
  addKeyVersion(): Promise<Uint8Array>;
  dropKeyVersion(version: number): Promise<Uint8Array>;
  setPassword(setup: Uint8Array): Promise<Uint8Array>;
  confirmUnlock(proof: Uint8Array): Promise<Uint8Array>;
  changeTag(change: Uint8Array): Promise<Uint8Array>;
  audit(page?: { after?: number; limit?: number }): Promise<{ user: string; events: AuditEventJson[]; next: number }>;
  keyDirectory(): Promise<KeyDirectory>;
}

/** Key-server transports by key id (the policy's `keyId`). */
export type Servers = Record<string, KeyServerTransport>;

// ---------------------------------------------------------------------------------------
// Flows

/** What `enroll` returns: persist all of it, then dispose the cards once handed out. */
export interface EnrollResult extends Enrolled {
  /** Keep on the device: pins the header at unlock. */
  headerDigest: Uint8Array;
  /** The header and capsule copies, to keep with a share card for recovery. */
  recoveryKit: Uint8Array;
  /** The key sets the capsules were sealed under, by key id. */
  keySets: Record<string, Uint8Array>;
}

/**
 * Enrolls a new vault: creates the user's record at each key server if needed, turns the
 * password guard on when `password` is given, seals the capsules and proves the unlock.
 */
export function enroll(args: {
  policy: PolicySpec | Uint8Array;
  servers: Servers;
  password?: PasswordInput;
  /** Guesses allowed between proven unlocks (default 10). */
  maxGuesses?: number;
  /** POPRF labels by key id (VOPRF otherwise). */
  info?: Record<string, string | Uint8Array>;
} & VaultOptions): Promise<EnrollResult>;

/**
 * Unlocks a vault with the shares at hand and the key servers' help (key sets are fetched
 * through the transports and trusted). Capsules of key servers without a transport are
 * left out. After a password capsule opens, the unlock is proven to its key server.
 */
export function unlock(args: {
  header: Uint8Array;
  shares?: Array<DeviceShare | ShareCard>;
  capsules?: Uint8Array[];
  servers?: Servers;
  password?: PasswordInput;
  headerDigest?: Uint8Array;
} & VaultOptions): Promise<UnlockedVault>;

/** Recovery without the device: share cards' text plus the recovery kit, through the key servers. */
export function recover(args: {
  kit: Uint8Array;
  cards: string[];
  servers: Servers;
  password?: PasswordInput;
} & VaultOptions): Promise<{ vault: UnlockedVault; header: Uint8Array; capsules: Uint8Array[] }>;

/** A re-deal or rekey's artifacts, and `commit()` to drop the old key versions once persisted. */
export interface Change extends Enrolled {
  headerDigest: Uint8Array;
  recoveryKit: Uint8Array;
  /** Drops, at each key server, the key versions older than the new capsules use. */
  commit(): Promise<void>;
}

/**
 * Refresh (Rust: `UnlockedVault::refresh`): the same secret, new shares for every holder
 * of `policy` (default: the current one) at the next epoch, under a new key version at
 * each key server. Persist the result, check it unlocks, then `commit()`. To revoke a
 * holder whose share may meet others (a lost device and its card), use `revoke`.
 */
export function refresh(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  policy?: PolicySpec | Uint8Array;
  password?: PasswordInput;
  info?: Record<string, string | Uint8Array>;
} & VaultOptions): Promise<Change>;

/** @deprecated the former name of `refresh`. */
export function redeal(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  policy?: PolicySpec | Uint8Array;
  password?: PasswordInput;
  info?: Record<string, string | Uint8Array>;
} & VaultOptions): Promise<Change>;

/** Rekey: a new secret, `units` re-encrypted, unlock tags moved. Persist, check, `commit()`. */
export function rekey(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  units?: Uint8Array[];
  policy?: PolicySpec | Uint8Array;
  password?: PasswordInput;
  info?: Record<string, string | Uint8Array>;
} & VaultOptions): Promise<Change & { units: Uint8Array[] }>;

/**
 * Revocation, as spec/threat-model.md recommends it: a rekey (new secret: nothing sealed
 * from now on opens with old shares, even `t` of them together) and every unit moved under
 * it, gated ones to a new key version at their key server; unlock tags move to the new
 * vault. Persist the result, check it unlocks, then `commit()`.
 */
export function revoke(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  policy?: PolicySpec | Uint8Array;
  password?: PasswordInput;
  units?: Uint8Array[];
  /** POPRF labels of the new capsules, by key id. */
  info?: Record<string, string | Uint8Array>;
  /** The POPRF label of moved unit gates, by key id (default: the one the units share). */
  unitInfo?: Record<string, string | Uint8Array>;
} & VaultOptions): Promise<Change & { units: Uint8Array[] }>;

/**
 * A new password guard at each key server of `capsules`, then the capsules re-sealed
 * behind `password` on a new key version: the way back after the password keys burned,
 * or a first password. `vault` is opened by other holders (a device share and the card).
 * Refused (`password_already_set`) while a guard is live: change a live password with
 * `reseal`. Pass `units` so gated ones move too; persist capsules and units, then `commit()`.
 */
export function newPassword(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  password: PasswordInput;
  /** Wrong guesses allowed between proven unlocks (1–255, default 10). */
  maxGuesses?: number;
  info?: Record<string, string | Uint8Array>;
  /** The vault's units: gated ones move to the new key version before `commit()` drops the old. */
  units?: Uint8Array[];
  /** The POPRF label of moved unit gates, by key id (default: the one the units share). */
  unitInfo?: Record<string, string | Uint8Array>;
}): Promise<{ capsules: Uint8Array[]; units: Uint8Array[]; commit(): Promise<void> }>;

/**
 * Re-seals capsules under a new key version at their key servers (rotation, password
 * change), and moves `units`' gates to it (`migrateUnits`); `commit()` then drops the old
 * versions.
 */
export function reseal(vault: UnlockedVault, args: {
  header: Uint8Array;
  capsules: Uint8Array[];
  servers: Servers;
  password?: PasswordInput;
  info?: Record<string, string | Uint8Array>;
  units?: Uint8Array[];
  unitInfo?: Record<string, string | Uint8Array>;
}): Promise<{ capsules: Uint8Array[]; units: Uint8Array[]; commit(): Promise<void> }>;

/**
 * Moves `units` (each as its next version) and their gates to the newest unit-gate key of
 * their key servers, before an old key version is dropped.
 */
export function migrateUnits(vault: UnlockedVault, args: {
  units: Uint8Array[];
  servers: Servers;
  unitInfo?: Record<string, string | Uint8Array>;
  keySets?: Record<string, Uint8Array>;
}): Promise<Uint8Array[]>;

/** Whether `capsule` uses a key version its key set no longer marks current (rotate it). */
export function needsReseal(capsule: Uint8Array, keySet: Uint8Array): boolean;

/** The user's key set at `transport`, creating the user's record there if it has none. */
export function keySetOrCreate(transport: KeyServerTransport): Promise<Uint8Array>;

// ---------------------------------------------------------------------------------------
// Device storage

/** Where a device keeps its share of each vault. */
export interface DeviceShareStore {
  save(vaultId: Uint8Array, share: DeviceShare): Promise<void>;
  /** The share, or null if none is stored for this vault. */
  load(vaultId: Uint8Array): Promise<DeviceShare | null>;
  /** Deletes the share and the unit index. */
  delete(vaultId: Uint8Array): Promise<void>;
  /** Keeps the vault's unit index (rollback detection) with the share. */
  saveIndex(vaultId: Uint8Array, index: UnitIndex): Promise<void>;
  /** The unit index, or null if none is stored for this vault. */
  loadIndex(vaultId: Uint8Array): Promise<UnitIndex | null>;
}

/** A platform's key-value secure storage (Tauri, Capacitor…), strings in and out. */
export interface SecureStorageAdapter {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
}

/** Browser: IndexedDB, the share wrapped under a non-extractable WebCrypto AES-GCM key. */
export class IndexedDbShareStore implements DeviceShareStore {
  constructor(options?: { dbName?: string; storeName?: string });
  save(vaultId: Uint8Array, share: DeviceShare): Promise<void>;
  load(vaultId: Uint8Array): Promise<DeviceShare | null>;
  /** Deletes the share and the unit index. */
  delete(vaultId: Uint8Array): Promise<void>;
  /** Keeps the unit index, sealed under the same non-extractable AES-GCM key. */
  saveIndex(vaultId: Uint8Array, index: UnitIndex): Promise<void>;
  loadIndex(vaultId: Uint8Array): Promise<UnitIndex | null>;
  close(): void;
}

/** Node.js: one file per vault, mode 0600, in a directory made with mode 0700. */
export class FileShareStore implements DeviceShareStore {
  constructor(options: { directory: string });
  save(vaultId: Uint8Array, share: DeviceShare): Promise<void>;
  load(vaultId: Uint8Array): Promise<DeviceShare | null>;
  /** Deletes the share and the unit index. */
  delete(vaultId: Uint8Array): Promise<void>;
  /** Keeps the vault's unit index (rollback detection) with the share. */
  saveIndex(vaultId: Uint8Array, index: UnitIndex): Promise<void>;
  /** The unit index, or null if none is stored for this vault. */
  loadIndex(vaultId: Uint8Array): Promise<UnitIndex | null>;
}

/** Any key-value secure storage plugin, through an adapter (see the README). */
export class SecureStorageShareStore implements DeviceShareStore {
  constructor(adapter: SecureStorageAdapter);
  save(vaultId: Uint8Array, share: DeviceShare): Promise<void>;
  load(vaultId: Uint8Array): Promise<DeviceShare | null>;
  /** Deletes the share and the unit index. */
  delete(vaultId: Uint8Array): Promise<void>;
  /** Keeps the vault's unit index (rollback detection) with the share. */
  saveIndex(vaultId: Uint8Array, index: UnitIndex): Promise<void>;
  /** The unit index, or null if none is stored for this vault. */
  loadIndex(vaultId: Uint8Array): Promise<UnitIndex | null>;
}

/** In memory (tests). */
export class MemoryShareStore extends SecureStorageShareStore {
  constructor();
}
