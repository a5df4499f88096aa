// Cloudflare Workers (workerd) entry: compiling WebAssembly from bytes is forbidden there,
// so the .wasm file is imported as a module, which Wrangler and workerd compile ahead.
import wasmModule from '../wasm/quorumkey_bg.wasm';
import * as glue from './glue-client.js';
import { setPlatform } from './wasm.js';

setPlatform({ glue, source: () => wasmModule });

export * from './index.js';
export { IndexedDbShareStore } from './storage-idb.js';
export { FileShareStore } from './storage-unsupported.js';
