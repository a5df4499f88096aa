// Node.js (and Deno, Bun) entry: the module is read from the package's files.
import { readFile } from 'node:fs/promises';
import * as glue from './glue-server.js';
import { setPlatform } from './wasm.js';

setPlatform({
  glue,
  source: () => readFile(new URL('../wasm/quorumkey_server_bg.wasm', import.meta.url)),
});

export * from './index.js';
export { FileShareStore } from './storage-file.js';
export { IndexedDbShareStore } from './storage-idb.js';
