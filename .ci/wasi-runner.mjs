// Cargo target runner for wasm32-wasip1: runs one test binary under Node's WASI, so the
// test suite executes on a 32-bit WebAssembly engine (the browser's arithmetic backend for
// p256, wasm's panic=abort), not only compiles for it.
//
// Usage: CARGO_TARGET_WASM32_WASIP1_RUNNER="node .ci/wasi-runner.mjs" \
//        cargo test --target wasm32-wasip1 --all-features
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [program, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [program, ...args],
  env: process.env,
  // The tests read their vector files by absolute path.
  preopens: { '/': '/' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
