// Browser and Web Worker entry (bundlers, or a plain <script type="module">): the module
// is fetched from beside this file and compiled while it streams in.
import * as glue from './glue-client.js';
import { setPlatform } from './wasm.js';

setPlatform({
  glue,
  source: () => new URL('../wasm/quorumkey_bg.wasm', import.meta.url),
});

export * from './index.js';
export { IndexedDbShareStore } from './storage-idb.js';
export { FileShareStore } from './storage-unsupported.js';
