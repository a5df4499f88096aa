// The client API: thin classes over the WebAssembly handles. Names follow the Rust crate
// (Enrollment.requestGates ↔ Enrollment::request_gates, UnlockedVault.seal ↔ seal_unit…).
// Every method checks its arguments, makes one call into the module and converts the
// result; secrets stay in WebAssembly memory behind the handles.
import { call, convert as convertError } from './wasm.js';
import * as a from './args.js';
import { QuorumkeyError } from './errors.js';

const INTERNAL = Symbol('quorumkey.internal');
const dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/** The default idle time after which an unlocked vault locks itself: 10 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** Base of every handle: one WebAssembly object, freed (and zeroized) by dispose(). */
class Handle {
  #h;
  #what;
  constructor(token, h, what) {
    if (token !== INTERNAL) throw a.invalid(`a ${what} is made by the library, not with new`);
    this.#h = h;
    this.#what = what;
  }

  /** @internal the WebAssembly object, or a `consumed` error once disposed. */
  _h() {
    if (!this.#h) throw new QuorumkeyError('consumed', `this ${this.#what} was disposed`);
    return this.#h;
  }

  /** @internal */
  _alive() {
    return this.#h !== null;
  }

  /** Frees the WebAssembly object now (its secrets are zeroized). Safe to call twice. */
  dispose() {
    const h = this.#h;
    this.#h = null;
    h?.free();
  }

  [dispose]() {
    this.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// Policy and public objects

const KINDS = ['device', 'keyServer', 'custodian'];

/** Encodes a policy spec (or passes encoded policy bytes through). */
export function encodePolicy(policy) {
  if (policy instanceof Uint8Array) return a.bytes(policy, 'policy');
  a.object(policy, 'policy');
  const threshold = a.integer(policy.threshold, 'policy.threshold', 0, 255);
  const holders = a.array(policy.holders, 'policy.holders');
  return call((m) => {
    const b = new m.PolicyBuilder(threshold);
    try {
      holders.forEach((h, i) => {
        a.object(h, `policy.holders[${i}]`);
        const id = a.integer(h.id, `policy.holders[${i}].id`, 0, 255);
        const label = a.string(h.label, `policy.holders[${i}].label`);
        if (!KINDS.includes(h.kind)) {
          throw a.invalid(`policy.holders[${i}].kind must be one of ${KINDS.join(', ')}`);
        }
        if (h.kind === 'device') b.device(id, label);
        else if (h.kind === 'custodian') b.custodian(id, label);
        else b.keyServer(id, label, a.string(h.keyId, `policy.holders[${i}].keyId`));
      });
      if (policy.serversAloneMayUnlock === true) b.serversAloneMayUnlock();
      if (policy.requireKeyServer === true) b.requireKeyServer();
      return b.build();
    } finally {
      b.free();
    }
  });
}

/** A vault header's public fields: `{vaultId, epoch, digest, policy}`. */
export function inspectHeader(header) {
  a.bytes(header, 'header');
  return call((m) => m.headerInfo(header));
}

/** A policy's fields. */
export function inspectPolicy(policy) {
  a.bytes(policy, 'policy');
  return call((m) => m.policyInfo(policy));
}

/** A capsule's public fields. */
export function inspectCapsule(capsule) {
  a.bytes(capsule, 'capsule');
  return call((m) => m.capsuleInfo(capsule));
}

/** A sealed unit's public fields. */
export function inspectUnit(unit) {
  a.bytes(unit, 'unit');
  const info = call((m) => m.unitInfo(unit));
  return { ...info, unitIdText: safeText(info.unitId) };
}

/** A key set's versions and password-guard state. */
export function inspectKeySet(keySet) {
  a.bytes(keySet, 'keySet');
  return call((m) => m.keySetInfo(keySet));
}

function safeText(data) {
  try {
    return a.utf8(data);
  } catch {
    return undefined;
  }
}

/** A recovery kit: the header and copies of its capsules (public). */
export function recoveryKit(header, capsules) {
  a.bytes(header, 'header');
  a.array(capsules, 'capsules').forEach((c, i) => a.bytes(c, `capsules[${i}]`));
  return call((m) => m.recoveryKit(header, capsules));
}

/** A recovery kit's `{header, capsules}`. */
export function openRecoveryKit(kit) {
  a.bytes(kit, 'kit');
  return call((m) => m.recoveryKitOpen(kit));
}

// ---------------------------------------------------------------------------------------
// Shares

/** A device's share of a vault (secret, held in WebAssembly memory). */
export class DeviceShare extends Handle {
  /** @internal */
  constructor(token, h) {
    super(token, h, 'device share');
  }

  get holder() { return this._h().holder; }
  get vaultId() { return this._h().vaultId; }
  get epoch() { return this._h().epoch; }

  /** The share's bytes (secret!): for device storage only. Wipe them after use. */
  exportSecret() {
    return call(() => this._h().exportSecret());
  }

  /** A share read back from device storage. */
  static fromSecretBytes(bytes) {
    a.bytes(bytes, 'bytes');
    return new DeviceShare(INTERNAL, call((m) => m.DeviceShare.fromSecretBytes(bytes)));
  }
}

/** A custodian's share card (secret). */
export class ShareCard extends Handle {
  /** @internal */
  constructor(token, h) {
    super(token, h, 'share card');
  }

  get holder() { return this._h().holder; }
  get vaultId() { return this._h().vaultId; }
  get epoch() { return this._h().epoch; }

  /** The card's text (secret!), `QK2-…`, for printing or a QR code. */
  toSecretText() {
    return call(() => this._h().toSecretText());
  }

  /** Reads a card's text; case, spaces, line breaks and hyphens are ignored. */
  static fromText(text) {
    a.string(text, 'text');
    return new ShareCard(INTERNAL, call((m) => m.ShareCard.fromText(text)));
  }
}

// ---------------------------------------------------------------------------------------
// Enrollment

function password(value, name = 'password') {
  if (value === undefined || value === null) return [undefined, undefined];
  if (typeof value === 'string' || value instanceof Uint8Array) return [a.textOrBytes(value, name), undefined];
  a.object(value, name);
  const secret = a.textOrBytes(value.secret, `${name}.secret`);
  let params;
  if (value.params !== undefined) {
    const p = a.object(value.params, `${name}.params`);
    params = {
      memoryKib: a.integer(p.memoryKib, `${name}.params.memoryKib`, 0, 2 ** 32 - 1),
      iterations: a.integer(p.iterations, `${name}.params.iterations`, 0, 2 ** 32 - 1),
      lanes: a.integer(p.lanes, `${name}.params.lanes`, 0, 255),
    };
  }
  return [secret, params];
}

function servers(m, list, targets = []) {
  a.array(list, 'servers');
  a.array(targets, 'unitTargets');
  const s = new m.Servers();
  try {
    list.forEach((entry, i) => {
      a.object(entry, `servers[${i}]`);
      const holder = a.integer(entry.holder, `servers[${i}].holder`, 0, 255);
      const keySet = a.bytes(entry.keySet, `servers[${i}].keySet`);
      const info = a.optionalTextOrBytes(entry.info, `servers[${i}].info`);
      s.add(holder, keySet, info);
    });
    targets.forEach((entry, i) => {
      a.object(entry, `unitTargets[${i}]`);
      const keyId = a.string(entry.keyId, `unitTargets[${i}].keyId`);
      const keySet = a.bytes(entry.keySet, `unitTargets[${i}].keySet`);
      const info = a.optionalTextOrBytes(entry.info, `unitTargets[${i}].info`);
      s.target(keyId, keySet, info);
    });
    return s;
  } catch (e) {
    s.free();
    throw e;
  }
}

/**
 * What enrolling (or re-sealing) pins for key-server holder `holder` from `keySet` (the
 * core's `KeyServerSetup::newest`): the newest key for a capsule with or without a
 * password, in VOPRF mode or POPRF with `info`. `missing_pin` if there is none (e.g. no
 * password key before the password guard is set up).
 */
export function keyServerSetup(holder, keySet, { info, password = false } = {}) {
  a.integer(holder, 'holder', 1, 255);
  a.bytes(keySet, 'keySet');
  const inf = a.optionalTextOrBytes(info, 'info');
  return call((m) => m.keyServerSetup(holder, keySet, inf, password === true));
}

function requestList(list) {
  return Object.freeze(list.map((r) => Object.freeze(r)));
}

/** A dealt vault before its capsules are sealed. */
export class Enrollment extends Handle {
  /** @internal */
  constructor(token, h) {
    super(token, h, 'enrollment');
  }

  /** Deals a new vault under `policy` (a policy spec or encoded policy bytes). */
  static create(policy) {
    const bytes = encodePolicy(policy);
    return new Enrollment(INTERNAL, call((m) => new m.Enrollment(bytes)));
  }

  /** The header being enrolled. */
  get header() {
    return call(() => this._h().header());
  }

  /** The password setup to send key server `keyId` (`POST /v1/password`). */
  passwordSetup(keyId, maxGuesses = 10) {
    a.string(keyId, 'keyId');
    a.integer(maxGuesses, 'maxGuesses', 1, 255);
    return call(() => this._h().passwordSetup(keyId, maxGuesses));
  }

  /**
   * Blinds one gate per key-server holder. `servers`: `[{holder, keySet, info?}]`, each key
   * set fetched over an authenticated channel (its newest key is pinned; `info` makes the
   * gate POPRF). Consumes the enrollment.
   */
  requestGates(serverList, pw) {
    const [secret, params] = password(pw);
    const h = this._h();
    const pending = call((m) => {
      const s = servers(m, serverList);
      try {
        return h.requestGates(s, secret, params);
      } finally {
        s.free();
        a.wipe(secret);
      }
    });
    this.dispose();
    return new PendingEnrollment(INTERNAL, pending);
  }
}

/** An enrollment, refresh or rekey waiting for the key servers' answers. */
export class PendingEnrollment extends Handle {
  #requests;
  /** @internal */
  constructor(token, h) {
    super(token, h, 'pending enrollment');
    this.#requests = requestList(call(() => h.requests()));
  }

  /** The requests to send (`POST /v1/evaluate` at `keyId`), in order. */
  get requests() { return this.#requests; }

  /** The header being enrolled. */
  get header() { return call(() => this._h().header()); }

  /**
   * Completes it with `responses[i]` answering `requests[i]`: `{header, capsules,
   * deviceShares, cards, vault}`. Persist them, then discard the old ones (two-phase).
   */
  finish(responses, options = {}) {
    a.array(responses, 'responses').forEach((r, i) => a.bytes(r, `responses[${i}]`));
    const h = this._h();
    const out = call(() => h.finish(responses));
    this.dispose();
    return dealt(out, options);
  }
}

/** A new dealing's objects as JavaScript holds them. */
function dealt(out, options) {
  return {
    header: out.header,
    capsules: out.capsules,
    deviceShares: out.deviceShares.map((s) => new DeviceShare(INTERNAL, s)),
    cards: out.cards.map((c) => new ShareCard(INTERNAL, c)),
    vault: new UnlockedVault(INTERNAL, out.vault, options),
  };
}

// ---------------------------------------------------------------------------------------
// Unlock

/** An unlock waiting for the key servers' answers. */
export class Unlock extends Handle {
  #requests;
  /** @internal */
  constructor(token, h) {
    super(token, h, 'unlock');
    this.#requests = requestList(call(() => h.requests()));
  }

  /**
   * Starts unlocking `header` with the shares at hand (`DeviceShare`s, `ShareCard`s), the
   * capsules to open, and what the caller trusts: `trust.headerDigest` (kept since
   * enrollment) and `trust.keySets` (`{[keyId]: keySet}` fetched over an authenticated
   * channel). `password` is needed exactly when the capsules take one.
   */
  static start({ header, shares = [], capsules = [], trust = {}, password: pw } = {}) {
    a.bytes(header, 'header');
    a.array(shares, 'shares');
    a.array(capsules, 'capsules').forEach((c, i) => a.bytes(c, `capsules[${i}]`));
    a.object(trust, 'trust');
    const digest = a.optionalBytes(trust.headerDigest, 'trust.headerDigest');
    const keySets = trust.keySets === undefined ? {} : a.object(trust.keySets, 'trust.keySets');
    for (const [k, v] of Object.entries(keySets)) a.bytes(v, `trust.keySets[${JSON.stringify(k)}]`);
    shares.forEach((s, i) => {
      if (!(s instanceof DeviceShare) && !(s instanceof ShareCard)) {
        throw a.invalid(`shares[${i}] must be a DeviceShare or a ShareCard`);
      }
    });
    const [secret] = password(pw);
    const h = call((m) => {
      const b = new m.UnlockBuilder(header);
      try {
        for (const s of shares) {
          if (s instanceof DeviceShare) b.addShare(s._h());
          else b.addCard(s._h());
        }
        for (const c of capsules) b.addCapsule(c);
        if (digest) b.trustHeader(digest);
        for (const [k, v] of Object.entries(keySets)) b.trustKeySet(k, v);
        return b.start(secret);
      } finally {
        b.free();
        a.wipe(secret);
      }
    });
    return new Unlock(INTERNAL, h);
  }

  /** The requests to send (`POST /v1/evaluate` at `keyId`), in order. */
  get requests() { return this.#requests; }

  /**
   * Completes the unlock: `responses[i]` answers `requests[i]`, `null` for a key server
   * that refused or could not be reached (fine while `t` shares remain).
   * `options.idleTimeout` (ms; default 10 minutes, `Infinity` for none) locks the vault
   * after that long without use; `options.onLock` is called when it locks.
   */
  finish(responses, options = {}) {
    a.array(responses, 'responses').forEach((r, i) => a.optionalBytes(r, `responses[${i}]`));
    const h = this._h();
    const vault = call(() => h.finish(responses.map((r) => r ?? null)));
    this.dispose();
    return new UnlockedVault(INTERNAL, vault, options);
  }
}

// ---------------------------------------------------------------------------------------
// The unlocked vault

/**
 * An open vault (secret keys in WebAssembly memory). Locks itself after `idleTimeout` ms
 * without use; `lock()` or `[Symbol.dispose]` locks it now. A locked vault throws
 * `locked` on every use.
 */
/** A unit gate's arguments `{keyId, keySet, info?}`, checked, in the module's order. */
function gateArgs({ keyId, keySet, info } = {}) {
  a.string(keyId, 'keyId');
  a.bytes(keySet, 'keySet');
  return [keyId, keySet, a.optionalTextOrBytes(info, 'info')];
}

export class UnlockedVault extends Handle {
  #timer = null;
  #idle;
  #onLock;
  #locked = false;

  /** @internal */
  constructor(token, h, options = {}) {
    super(token, h, 'vault');
    a.object(options, 'options');
    const idle = options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (typeof idle !== 'number' || !(idle > 0)) throw a.invalid('idleTimeout must be a positive number of ms');
    this.#idle = idle;
    this.#onLock = options.onLock === undefined ? undefined : a.func(options.onLock, 'onLock');
    this.#arm();
  }

  #arm() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (Number.isFinite(this.#idle) && this.#idle < 2 ** 31) {
      this.#timer = setTimeout(() => this.lock('idle'), this.#idle);
      this.#timer?.unref?.();
    }
  }

  #use() {
    if (this.#locked) throw new QuorumkeyError('locked', 'the vault is locked; unlock it again');
    const h = this._h();
    this.#arm();
    return h;
  }

  /** @internal the handle, for the pending steps that finish against this vault. */
  _use() {
    return this.#use();
  }

  /** Whether the vault is locked. */
  get locked() { return this.#locked; }

  /** The vault id (16 bytes). */
  get vaultId() { return call(() => this.#use().vaultId()); }

  /** The epoch of the header it was opened with. */
  get epoch() { return call(() => this.#use().epoch()); }

  /** Resets the idle timer. */
  touch() { this.#use(); }

  /** Seals `plaintext` (string or bytes, at most 64 KiB) as unit `unitId` (1..=64 bytes). */
  seal(unitId, plaintext) {
    const id = a.textOrBytes(unitId, 'unitId');
    const data = a.textOrBytes(plaintext, 'plaintext');
    const h = this.#use();
    return call(() => h.seal(id, data));
  }

  /** Seals `plaintext` as the next version of the sealed unit `previous`. */
  update(previous, plaintext) {
    a.bytes(previous, 'previous');
    const data = a.textOrBytes(plaintext, 'plaintext');
    const h = this.#use();
    return call(() => h.update(previous, data));
  }

  /** Opens a sealed unit: its plaintext bytes. */
  open(unit) {
    a.bytes(unit, 'unit');
    const h = this.#use();
    return call(() => h.open(unit));
  }

  /** Opens a sealed unit whose plaintext is UTF-8 text. */
  openText(unit) {
    const data = this.open(unit);
    try {
      return a.utf8(data);
    } finally {
      a.wipe(data);
    }
  }

  /**
   * Starts sealing a unit behind its own gate at key server `keyId`: every read costs one
   * evaluation there. `keySet` is that server's key set; `info` makes the gate POPRF.
   */
  sealGated(unitId, plaintext, gate) {
    const id = a.textOrBytes(unitId, 'unitId');
    const data = a.textOrBytes(plaintext, 'plaintext');
    const g = gateArgs(gate);
    const h = this.#use();
    return new GatedSeal(INTERNAL, call(() => h.sealGated(id, data, ...g)), this);
  }

  /**
   * Starts sealing `plaintext` as the next version of `previous` (same unit id, version + 1)
   * behind a fresh gate at key server `keyId`: how a gated unit is updated, so that a
   * `UnitIndex` refuses the older version if storage serves it again.
   */
  updateGated(previous, plaintext, gate) {
    a.bytes(previous, 'previous');
    const data = a.textOrBytes(plaintext, 'plaintext');
    const g = gateArgs(gate);
    const h = this.#use();
    return new GatedSeal(INTERNAL, call(() => h.updateGated(previous, data, ...g)), this);
  }

  /** Starts reading `units` (gated or not): send `requests`, then `finish(responses)`. */
  readUnits(units) {
    a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
    const h = this.#use();
    return new UnitRead(INTERNAL, call(() => h.readUnits(units)), this);
  }

  /**
   * The unlock proof for key server `keyId` (`POST /v1/password/unlocked`): send it after
   * an unlock that opened a password capsule there, to reset its guess counter. Secret.
   */
  unlockProof(keyId) {
    a.string(keyId, 'keyId');
    const h = this.#use();
    return call(() => h.unlockProof(keyId));
  }

  /**
   * The password setup to send key server `keyId` (`POST /v1/password`): a new guard after
   * the old one burned (or a first one for a vault enrolled without a password). Then
   * re-seal that server's capsule behind the new password; `setPassword` in the flows does
   * both.
   */
  passwordSetup(keyId, maxGuesses = 10) {
    a.string(keyId, 'keyId');
    a.integer(maxGuesses, 'maxGuesses', 1, 255);
    const h = this.#use();
    return call(() => h.passwordSetup(keyId, maxGuesses));
  }

  /** After a rekey: replaces this vault's unlock tag at `keyId` by `next`'s (`POST /v1/password/tag`). */
  tagChange(keyId, next) {
    a.string(keyId, 'keyId');
    if (!(next instanceof UnlockedVault)) throw a.invalid('next must be an UnlockedVault');
    const h = this.#use();
    return call(() => h.tagChange(keyId, next.#use()));
  }

  /**
   * Starts re-sealing `capsule` (of `header`) under the newest key of `keySet` (after a
   * key rotation, or to change or remove the password): send `request`, then
   * `finish(response)` gives the new capsule.
   */
  reseal({ header, capsule, keySet, info, password: pw, holder } = {}) {
    a.bytes(header, 'header');
    a.bytes(capsule, 'capsule');
    a.bytes(keySet, 'keySet');
    const inf = a.optionalTextOrBytes(info, 'info');
    const who = holder === undefined ? inspectCapsule(capsule).holder : a.integer(holder, 'holder', 1, 255);
    const [secret, params] = password(pw);
    const h = this.#use();
    try {
      return new Reseal(INTERNAL, call(() => h.reseal(header, capsule, who, keySet, inf, secret, params)));
    } finally {
      a.wipe(secret);
    }
  }

  #change(kind, { header, capsules, policy, servers: list, password: pw } = {}) {
    a.bytes(header, 'header');
    a.array(capsules, 'capsules').forEach((c, i) => a.bytes(c, `capsules[${i}]`));
    const pol = policy === undefined ? undefined : encodePolicy(policy);
    const [secret, params] = password(pw);
    const h = this.#use();
    const pending = call((m) => {
      const s = servers(m, list);
      try {
        return h[kind](header, capsules, pol, s, secret, params);
      } finally {
        s.free();
        a.wipe(secret);
      }
    });
    return new PendingEnrollment(INTERNAL, pending);
  }

  /**
   * Starts a refresh (re-deal): the same secret, new shares for every holder of `policy`
   * (default: the header's) at the next epoch, new capsules under key versions newer than
   * `capsules` use. Units stay as they are.
   */
  refresh(args) { return this.#change('refresh', args); }

  /** Starts a rekey: a new secret at the next epoch; then move units with `reencryptUnits`. */
  rekey(args) { return this.#change('rekey', args); }

  /**
   * Starts a **revocation** (the recommended way to revoke a holder): a rekey — a new
   * secret at the next epoch, capsules under `servers`' newest keys — and every one of
   * `units` moved under the new root key, gated units to a fresh gate at the unit-gate key
   * of their key server's entry in `unitTargets` (`[{keyId, keySet, info?}]`; give one for
   * every key server whose old versions will be dropped). Send `requests`, then
   * `finish(responses)`. Two-phase: persist the result and check it unlocks before
   * dropping anything old.
   */
  revoke({ header, capsules, policy, servers: list, password: pw, units = [], unitTargets = [] } = {}) {
    a.bytes(header, 'header');
    a.array(capsules, 'capsules').forEach((c, i) => a.bytes(c, `capsules[${i}]`));
    a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
    const pol = policy === undefined ? undefined : encodePolicy(policy);
    const [secret, params] = password(pw);
    const h = this.#use();
    const step = call((m) => {
      const s = servers(m, list, unitTargets);
      try {
        return h.revoke(header, capsules, pol, s, secret, params, units);
      } finally {
        s.free();
        a.wipe(secret);
      }
    });
    return new Revocation(INTERNAL, step);
  }

  /** Re-encrypts `units` of `old` (this vault before a rekey) under this vault. */
  reencryptUnits(old, units) {
    if (!(old instanceof UnlockedVault)) throw a.invalid('old must be an UnlockedVault');
    a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
    const h = this.#use();
    return call(() => h.reencryptUnits(old.#use(), units));
  }

  /** Locks the vault now: its keys are zeroized; further use throws `locked`. */
  lock(reason = 'explicit') {
    if (this.#locked) return;
    this.#locked = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this._alive()) {
      try {
        this._h().lock();
      } catch {
        // The module stopped: its memory is unreachable anyway.
      }
    }
    super.dispose();
    if (this.#onLock) {
      try {
        this.#onLock(reason === 'idle' ? 'idle' : 'explicit');
      } catch {
        // A listener's failure must not keep the vault open.
      }
    }
  }

  /** Same as lock(). */
  dispose() {
    this.lock();
  }
}

/** A unit being sealed behind its own gate, waiting for the key server. */
export class GatedSeal extends Handle {
  #vault;
  #request;
  /** @internal */
  constructor(token, h, vault) {
    super(token, h, 'gated seal');
    this.#vault = vault;
    this.#request = Object.freeze(call(() => h.request()));
  }

  get request() { return this.#request; }

  /** The sealed unit, with the key server's `response`. */
  finish(response) {
    a.bytes(response, 'response');
    const h = this._h();
    const unit = call(() => h.finish(this.#vault._use(), response));
    this.dispose();
    return unit;
  }
}

/** Units being read, waiting for the key servers' answers for their gates. */
export class UnitRead extends Handle {
  #vault;
  #requests;
  /** @internal */
  constructor(token, h, vault) {
    super(token, h, 'unit read');
    this.#vault = vault;
    this.#requests = requestList(call(() => h.requests()));
  }

  get requests() { return this.#requests; }

  /** Per unit, in order: `{ok: true, plaintext}` or `{ok: false, error}`. */
  finish(responses) {
    a.array(responses, 'responses').forEach((r, i) => a.optionalBytes(r, `responses[${i}]`));
    const h = this._h();
    const results = call(() => h.finish(this.#vault._use(), responses.map((r) => r ?? null)));
    this.dispose();
    return results.map((r) => (r.ok ? r : { ok: false, error: convertError(r.error) }));
  }
}

/** A capsule being re-sealed, waiting for the key server. */
export class Reseal extends Handle {
  #request;
  /** @internal */
  constructor(token, h) {
    super(token, h, 're-seal');
    this.#request = Object.freeze(call(() => h.request()));
  }

  get request() { return this.#request; }

  /** The new capsule, with the key server's `response`. */
  finish(response) {
    a.bytes(response, 'response');
    const h = this._h();
    const capsule = call(() => h.finish(response));
    this.dispose();
    return capsule;
  }
}


/** A revocation waiting for the key servers' answers. */
export class Revocation extends Handle {
  #requests;
  /** @internal */
  constructor(token, h) {
    super(token, h, 'revocation');
    this.#requests = requestList(call(() => h.requests()));
  }

  /** The requests to send, in order: the new dealing's gates, then the units' gates. */
  get requests() { return this.#requests; }

  /**
   * Completes it (every request needs its answer): `{header, capsules, deviceShares,
   * cards, vault, units}`, the units in the order given, each opened once. All or nothing.
   */
  finish(responses, options = {}) {
    a.array(responses, 'responses').forEach((r, i) => a.bytes(r, `responses[${i}]`));
    const h = this._h();
    const out = call(() => h.finish(responses));
    this.dispose();
    return { ...dealt(out, options), units: out.units };
  }
}

/**
 * Moving units to a new root key and/or their gates to newer key versions without losing
 * any (the core's `UnitMigration`): every unit is read and sealed again as its next
 * version; gated units whose key server has an entry in `targets` (`[{keyId, keySet,
 * info?}]`) move to a fresh gate at that key set's newest unit-gate key.
 */
export class UnitMigration extends Handle {
  #requests;
  /** @internal */
  constructor(token, h) {
    super(token, h, 'unit migration');
    this.#requests = requestList(call(() => h.requests()));
  }

  /** Plans the migration of `units` (sealed unit bytes). */
  static start({ units, targets = [] } = {}) {
    a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
    const h = call((m) => {
      const s = servers(m, [], targets);
      try {
        return new m.UnitMigration(units, s);
      } finally {
        s.free();
      }
    });
    return new UnitMigration(INTERNAL, h);
  }

  /** The requests to send, in order (reads, then new gates). */
  get requests() { return this.#requests; }

  /**
   * The moved units, from `oldVault` (the vault they were sealed in) to `newVault` (the
   * same vault, or the same vault after a rekey). All or nothing.
   */
  finish(oldVault, newVault, responses) {
    if (!(oldVault instanceof UnlockedVault) || !(newVault instanceof UnlockedVault)) {
      throw a.invalid('oldVault and newVault must be UnlockedVaults');
    }
    a.array(responses, 'responses').forEach((r, i) => a.bytes(r, `responses[${i}]`));
    const h = this._h();
    const units = call(() => h.finish(oldVault._use(), newVault._use(), responses));
    this.dispose();
    return units;
  }
}

/**
 * The latest version of each unit of one vault that this client has seen (the core's
 * `UnitIndex`): `check(unit)` throws `unit_rollback` when storage serves an older one.
 * Public, but its integrity matters: keep it with the device share (`saveIndex`).
 */
export class UnitIndex extends Handle {
  /** @internal */
  constructor(token, h) {
    super(token, h, 'unit index');
  }

  /** An empty index for the vault `vaultId` (16 bytes). */
  static create(vaultId) {
    a.bytes(vaultId, 'vaultId');
    return new UnitIndex(INTERNAL, call((m) => new m.UnitIndex(vaultId)));
  }

  /** An index read back from storage (`toBytes()`). */
  static fromBytes(bytes) {
    a.bytes(bytes, 'bytes');
    return new UnitIndex(INTERNAL, call((m) => m.UnitIndex.fromBytes(bytes)));
  }

  get vaultId() { return this._h().vaultId; }

  /** The latest version seen of `unitId`, or `undefined`. */
  latest(unitId) {
    const id = a.textOrBytes(unitId, 'unitId');
    return call(() => this._h().latest(id));
  }

  /** Throws `unit_rollback` if `unit` is older than the latest seen (`wrong_vault` if another vault's). */
  check(unit) {
    a.bytes(unit, 'unit');
    call(() => this._h().check(unit));
  }

  /** `check(unit)`, then records its version as the latest. */
  observe(unit) {
    a.bytes(unit, 'unit');
    call(() => this._h().observe(unit));
  }

  /** Forgets a unit deleted on purpose. */
  forget(unitId) {
    const id = a.textOrBytes(unitId, 'unitId');
    call(() => this._h().forget(id));
  }

  /** The encoding, for device storage. */
  toBytes() {
    return call(() => this._h().toBytes());
  }
}
