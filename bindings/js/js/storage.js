// Device storage for a vault's device share. A store keeps the share's bytes for one
// vault id; every store implements save / load / delete (see index.d.ts,
// DeviceShareStore). The share leaves WebAssembly memory only inside save(), and its
// JavaScript copy is wiped there after use.
import * as a from './args.js';
import { QuorumkeyError } from './errors.js';
import { DeviceShare, UnitIndex } from './client.js';

export function shareKey(vaultId) {
  return `quorumkey.device-share.${a.hex(a.bytes(vaultId, 'vaultId'))}`;
}

function indexKey(vaultId) {
  return `quorumkey.unit-index.${a.hex(a.bytes(vaultId, 'vaultId'))}`;
}

function checkShare(share) {
  if (!(share instanceof DeviceShare)) throw a.invalid('share must be a DeviceShare');
  return share;
}

async function guarded(what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof QuorumkeyError) throw e;
    throw new QuorumkeyError('storage', `${what}: ${e?.message ?? e}`, { cause: e });
  }
}

/**
 * A store over a key-value secure-storage plugin (Tauri, Capacitor, React Native…): the
 * adapter's `get(key)`, `set(key, value)` and `remove(key)` take and return strings, and
 * may be async. The share is stored as base64url under `quorumkey.device-share.<vault id>`.
 */
export class SecureStorageShareStore {
  #adapter;
  constructor(adapter) {
    a.object(adapter, 'adapter');
    for (const m of ['get', 'set', 'remove']) a.func(adapter[m], `adapter.${m}`);
    this.#adapter = adapter;
  }

  async save(vaultId, share) {
    checkShare(share);
    const key = shareKey(vaultId);
    const secret = share.exportSecret();
    try {
      await guarded('secure storage set', () => this.#adapter.set(key, a.base64url(secret)));
    } finally {
      a.wipe(secret);
    }
  }

  async load(vaultId) {
    const key = shareKey(vaultId);
    const value = await guarded('secure storage get', () => this.#adapter.get(key));
    if (value === null || value === undefined) return null;
    const secret = a.fromBase64url(value, 'stored share');
    try {
      return DeviceShare.fromSecretBytes(secret);
    } finally {
      a.wipe(secret);
    }
  }

  async delete(vaultId) {
    await guarded('secure storage remove', () => this.#adapter.remove(shareKey(vaultId)));
    await guarded('secure storage remove', () => this.#adapter.remove(indexKey(vaultId)));
  }

  /** Keeps the vault's unit index (rollback detection) under `quorumkey.unit-index.<vault id>`. */
  async saveIndex(vaultId, index) {
    if (!(index instanceof UnitIndex)) throw a.invalid('index must be a UnitIndex');
    const key = indexKey(vaultId);
    await guarded('secure storage set', () => this.#adapter.set(key, a.base64url(index.toBytes())));
  }

  /** The vault's unit index, or null if none is stored. */
  async loadIndex(vaultId) {
    const value = await guarded('secure storage get', () => this.#adapter.get(indexKey(vaultId)));
    if (value === null || value === undefined) return null;
    return UnitIndex.fromBytes(a.fromBase64url(value, 'stored unit index'));
  }
}

/** A store in memory (tests; or a process that must forget the share when it exits). */
export class MemoryShareStore extends SecureStorageShareStore {
  constructor() {
    const map = new Map();
    super({
      get: (k) => map.get(k) ?? null,
      set: (k, v) => { map.set(k, v); },
      remove: (k) => { map.delete(k); },
    });
  }
}
