// Browser device storage: IndexedDB, with the share wrapped under a non-extractable
// WebCrypto AES-GCM key that is kept in the same database. Script that reads the database
// gets a CryptoKey it cannot export and ciphertext: it can use the key only on this
// device, in this origin, while it runs here; it cannot carry the share away.
import * as a from './args.js';
import { QuorumkeyError } from './errors.js';
import { DeviceShare, UnitIndex } from './client.js';

const KEY_NAME = 'wrapping-key';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function aad(vaultId) {
  return a.utf8Encode(`quorumkey device share ${a.hex(vaultId)}`);
}

function indexAad(vaultId) {
  return a.utf8Encode(`quorumkey unit index ${a.hex(vaultId)}`);
}

/** Device shares in IndexedDB, wrapped under a non-extractable AES-GCM key. */
export class IndexedDbShareStore {
  #dbName;
  #store;
  #db = null;

  /** `dbName` (default `quorumkey`) and `storeName` (default `device-shares`). */
  constructor({ dbName = 'quorumkey', storeName = 'device-shares' } = {}) {
    this.#dbName = a.string(dbName, 'dbName');
    this.#store = a.string(storeName, 'storeName');
  }

  async #open() {
    if (this.#db) return this.#db;
    if (typeof indexedDB === 'undefined' || !globalThis.crypto?.subtle) {
      throw new QuorumkeyError('unsupported', 'IndexedDB and WebCrypto (a secure context) are needed');
    }
    const open = indexedDB.open(this.#dbName, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(this.#store);
    this.#db = await request(open);
    return this.#db;
  }

  async #tx(mode, fn) {
    const db = await this.#open();
    const tx = db.transaction(this.#store, mode);
    const result = await fn(tx.objectStore(this.#store));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  }

  async #key() {
    const existing = await this.#tx('readonly', (s) => request(s.get(KEY_NAME)));
    if (existing) return existing;
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    // Another tab may have stored one meanwhile: keep whichever is stored first.
    return this.#tx('readwrite', async (s) => {
      const again = await request(s.get(KEY_NAME));
      if (again) return again;
      await request(s.put(key, KEY_NAME));
      return key;
    });
  }

  async #guard(what, fn) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof QuorumkeyError) throw e;
      throw new QuorumkeyError('storage', `${what}: ${e?.message ?? e}`, { cause: e });
    }
  }

  async save(vaultId, share) {
    a.bytes(vaultId, 'vaultId');
    if (!(share instanceof DeviceShare)) throw a.invalid('share must be a DeviceShare');
    const secret = share.exportSecret();
    try {
      await this.#guard('IndexedDB save', async () => {
        const key = await this.#key();
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const ciphertext = new Uint8Array(await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv, additionalData: aad(vaultId) }, key, secret,
        ));
        await this.#tx('readwrite', (s) => request(s.put({ iv, ciphertext }, `share:${a.hex(vaultId)}`)));
      });
    } finally {
      a.wipe(secret);
    }
  }

  async load(vaultId) {
    a.bytes(vaultId, 'vaultId');
    return this.#guard('IndexedDB load', async () => {
      const entry = await this.#tx('readonly', (s) => request(s.get(`share:${a.hex(vaultId)}`)));
      if (!entry) return null;
      const key = await this.#key();
      const secret = new Uint8Array(await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: entry.iv, additionalData: aad(vaultId) }, key, entry.ciphertext,
      ));
      try {
        return DeviceShare.fromSecretBytes(secret);
      } finally {
        a.wipe(secret);
      }
    });
  }

  async delete(vaultId) {
    a.bytes(vaultId, 'vaultId');
    await this.#guard('IndexedDB delete', () => this.#tx('readwrite', (s) => {
      s.delete(`index:${a.hex(vaultId)}`);
      return request(s.delete(`share:${a.hex(vaultId)}`));
    }));
  }

  /**
   * Keeps the vault's unit index (rollback detection), sealed with AES-GCM under the same
   * non-extractable key: script that rewrites the database cannot forge or swap it.
   */
  async saveIndex(vaultId, index) {
    a.bytes(vaultId, 'vaultId');
    if (!(index instanceof UnitIndex)) throw a.invalid('index must be a UnitIndex');
    const bytes = index.toBytes();
    await this.#guard('IndexedDB save index', async () => {
      const key = await this.#key();
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = new Uint8Array(await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: indexAad(vaultId) }, key, bytes,
      ));
      await this.#tx('readwrite', (s) => request(s.put({ iv, ciphertext }, `index:${a.hex(vaultId)}`)));
    });
  }

  /** The vault's unit index, or null if none is stored. */
  async loadIndex(vaultId) {
    a.bytes(vaultId, 'vaultId');
    const bytes = await this.#guard('IndexedDB load index', async () => {
      const entry = await this.#tx('readonly', (s) => request(s.get(`index:${a.hex(vaultId)}`)));
      if (!entry) return null;
      const key = await this.#key();
      return new Uint8Array(await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: entry.iv, additionalData: indexAad(vaultId) }, key, entry.ciphertext,
      ));
    });
    return bytes && UnitIndex.fromBytes(bytes);
  }

  /** Closes the database connection. */
  close() {
    this.#db?.close();
    this.#db = null;
  }
}
