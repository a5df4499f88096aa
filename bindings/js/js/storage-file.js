// Node.js device storage: one file per vault, `<directory>/<vault id>.share`, created with
// mode 0600 in a directory created with mode 0700, written to a temporary file and renamed
// so a crash never leaves half a share.
import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as a from './args.js';
import { QuorumkeyError } from './errors.js';
import { DeviceShare, UnitIndex } from './client.js';

/** Device shares as files with mode 0600. */
export class FileShareStore {
  #dir;
  constructor({ directory } = {}) {
    this.#dir = a.string(directory, 'directory');
  }

  #path(vaultId, ext = 'share') {
    return join(this.#dir, `${a.hex(a.bytes(vaultId, 'vaultId'))}.${ext}`);
  }

  async #write(path, bytes, what) {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new QuorumkeyError('storage', `saving the ${what}: ${e.message}`, { cause: e });
    }
  }

  async save(vaultId, share) {
    if (!(share instanceof DeviceShare)) throw a.invalid('share must be a DeviceShare');
    const path = this.#path(vaultId);
    const secret = share.exportSecret();
    try {
      await this.#write(path, secret, 'device share');
    } finally {
      a.wipe(secret);
    }
  }

  /** Keeps the vault's unit index (rollback detection) beside the share: `<vault id>.index`, mode 0600. */
  async saveIndex(vaultId, index) {
    if (!(index instanceof UnitIndex)) throw a.invalid('index must be a UnitIndex');
    await this.#write(this.#path(vaultId, 'index'), index.toBytes(), 'unit index');
  }

  /** The vault's unit index, or null if none is stored. */
  async loadIndex(vaultId) {
    let bytes;
    try {
      bytes = new Uint8Array(await readFile(this.#path(vaultId, 'index')));
    } catch (e) {
      if (e?.code === 'ENOENT') return null;
      throw new QuorumkeyError('storage', `reading the unit index: ${e.message}`, { cause: e });
    }
    return UnitIndex.fromBytes(bytes);
  }

  async load(vaultId) {
    let secret;
    try {
      secret = new Uint8Array(await readFile(this.#path(vaultId)));
    } catch (e) {
      if (e?.code === 'ENOENT') return null;
      throw new QuorumkeyError('storage', `reading the device share: ${e.message}`, { cause: e });
    }
    try {
      return DeviceShare.fromSecretBytes(secret);
    } finally {
      a.wipe(secret);
    }
  }

  async delete(vaultId) {
    await rm(this.#path(vaultId), { force: true });
    await rm(this.#path(vaultId, 'index'), { force: true });
  }
}
