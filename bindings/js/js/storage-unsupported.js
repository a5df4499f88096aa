import { QuorumkeyError } from './errors.js';

/** Files exist only in Node.js: on this platform, use IndexedDbShareStore or an adapter. */
export class FileShareStore {
  constructor() {
    throw new QuorumkeyError('unsupported', 'FileShareStore needs Node.js (node:fs)');
  }
}
