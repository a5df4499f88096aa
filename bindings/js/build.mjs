// Builds the npm package from the Rust crate: cargo (wasm32-unknown-unknown), wasm-bindgen
// (pinned to the wasm-bindgen crate's version in Cargo.lock), optionally wasm-opt (npm
// binaryen), then the ESM tree, the minified ESM tree for browsers and workers (terser,
// with source maps), the CommonJS tree (tsc) and a type check of the declarations.
// Generated files go to dist/ (gitignored).
//
//   node build.mjs [--wasm-opt=LEVEL] [--opt-level=s|z|3] [--skip-cargo] [--p256-only]
//   node build.mjs --test-rng     (TESTS ONLY: see below)
//
// Two WebAssembly modules: quorumkey_bg.wasm (the client: browsers, workers) and
// quorumkey_server_bg.wasm (client + key-server role: Node.js; it serves both suites, P-256
// and ristretto255, unless --p256-only).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));
const dist = join(here, 'dist');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');

function run(cmd, argv, opts = {}) {
  console.log(`$ ${cmd} ${argv.join(' ')}`);
  execFileSync(cmd, argv, { stdio: 'inherit', cwd: here, ...opts });
}

function lockedVersion(name) {
  const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
  const m = lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`));
  if (!m) throw new Error(`${name} not in Cargo.lock`);
  return m[1];
}

// The package's own build tools (terser, TypeScript) come from `npm ci`: say so before the
// Rust builds, not after them.
if (!args['test-rng'] && !['terser', 'typescript'].every((m) => existsSync(join(here, 'node_modules', m)))) {
  throw new Error(`the build tools are not installed: run \`npm ci\` in ${here} first`);
}

const bindgenVersion = lockedVersion('wasm-bindgen');
const bindgen = process.env.WASM_BINDGEN ?? 'wasm-bindgen';
const found = execFileSync(bindgen, ['--version'], { encoding: 'utf8' }).trim();
if (found !== `wasm-bindgen ${bindgenVersion}`) {
  throw new Error(`${found} found; Cargo.lock has wasm-bindgen ${bindgenVersion}: cargo install wasm-bindgen-cli --version ${bindgenVersion}`);
}

// TESTS ONLY: the Node.js module with the `test-rng` feature (named deterministic random
// streams for replaying spec/vectors/protocol.json), written to target/npm/test-rng/ beside
// the packed tarball and never into the package: the vectors test swaps it into a copy of
// the installed package.
if (args['test-rng']) {
  const out = join(targetDir, 'npm', 'test-rng');
  run('cargo', ['build', '-p', 'quorumkey-js', '--lib', '--target', 'wasm32-unknown-unknown',
    '--profile', 'wasm-server', '--features', 'server,messages,test-rng'], { cwd: root });
  rmSync(out, { recursive: true, force: true });
  run(bindgen, ['--target', 'web', '--omit-default-module-path', '--weak-refs', '--no-typescript',
    '--out-name', 'quorumkey_server', '--out-dir', out,
    join(targetDir, 'wasm32-unknown-unknown', 'wasm-server', 'quorumkey_js.wasm')]);
  renameSync(join(out, 'quorumkey_server.js'), join(out, 'glue-server.js'));
  console.log(`test-rng module: ${out}`);
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'wasm'), { recursive: true });
mkdirSync(join(dist, 'esm'), { recursive: true });
mkdirSync(join(dist, 'cjs'), { recursive: true });

const env = { ...process.env };
if (args['opt-level']) env.CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL = String(args['opt-level']);
const builds = [
  ['quorumkey', 'wasm-release', []],
  ['quorumkey_server', 'wasm-server', ['--features', args['p256-only'] ? 'server,messages' : 'server,messages,ristretto255']],
];
for (const [name, profile, features] of builds) {
  if (!args['skip-cargo']) {
    run('cargo', ['build', '-p', 'quorumkey-js', '--lib', '--target', 'wasm32-unknown-unknown',
      '--profile', profile, ...features], { cwd: root, env });
  }
  const built = join(targetDir, 'wasm32-unknown-unknown', profile, 'quorumkey_js.wasm');
  const out = join(dist, 'bindgen', name);
  run(bindgen, ['--target', 'web', '--omit-default-module-path', '--weak-refs',
    '--remove-name-section', '--remove-producers-section', '--no-typescript',
    '--out-name', name, '--out-dir', out, built]);
  const wasm = join(dist, 'wasm', `${name}_bg.wasm`);
  renameSync(join(out, `${name}_bg.wasm`), wasm);
  if (args['wasm-opt'] && args['wasm-opt'] !== 'none') {
    run(join(here, 'node_modules', '.bin', 'wasm-opt'), [`-${args['wasm-opt']}`,
      '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
      '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
      wasm, '-o', wasm]);
  }
  // The package never ships the tests-only seam (`--skip-cargo` after `--test-rng` would
  // pick up that build's module: refuse it).
  if (readFileSync(join(out, `${name}.js`), 'utf8').includes('testRng')) {
    throw new Error(`${built} is a --test-rng build: rebuild without --skip-cargo`);
  }
  const glue = name === 'quorumkey' ? 'glue-client.js' : 'glue-server.js';
  renameSync(join(out, `${name}.js`), join(dist, 'esm', glue));
  console.log(`${name}_bg.wasm: ${statSync(wasm).size} bytes`);
}
rmSync(join(dist, 'bindgen'), { recursive: true, force: true });

// The ESM tree: the shared modules, the glue, and the ESM-only entries.
const shared = readdirSync(join(here, 'js')).filter((f) => f.endsWith('.js'));
for (const f of shared) cpSync(join(here, 'js', f), join(dist, 'esm', f));
for (const f of readdirSync(join(here, 'js', 'esm'))) cpSync(join(here, 'js', 'esm', f), join(dist, 'esm', f));

// The browser tree: the modules a browser, a Web Worker or workerd loads, minified (terser),
// each with a source map pointing at its dist/esm/ original. Node.js loads dist/esm/.
const { minify } = await import('terser');
mkdirSync(join(dist, 'browser'), { recursive: true });
const browserFiles = ['browser.js', 'workerd.js', 'index.js', 'wasm.js', 'errors.js', 'codes.js', 'args.js',
  'client.js', 'flows.js', 'transport.js', 'storage.js', 'storage-idb.js', 'storage-unsupported.js', 'glue-client.js'];
for (const f of browserFiles) {
  const source = readFileSync(join(dist, 'esm', f), 'utf8');
  const out = await minify({ [`../esm/${f}`]: source }, {
    module: true, ecma: 2022, keep_classnames: true,
    compress: { passes: 2 }, format: { comments: false },
    sourceMap: { url: `${f}.map` },
  });
  writeFileSync(join(dist, 'browser', f), out.code);
  writeFileSync(join(dist, 'browser', `${f}.map`), out.map);
}

// The CommonJS tree: tsc compiles the shared modules and the glue; the entries that read
// the module's location are written for CommonJS by hand.
const tsconfig = {
  compilerOptions: {
    allowJs: true, checkJs: false, noResolve: true, noEmitOnError: true, skipLibCheck: true,
    module: 'commonjs', moduleResolution: 'node10', target: 'es2022',
    outDir: join(dist, 'cjs'), rootDir: join(dist, 'esm'), declaration: false,
  },
  files: [...shared, 'glue-client.js', 'glue-server.js'].map((f) => join(dist, 'esm', f)),
};
writeFileSync(join(dist, 'tsconfig.cjs.json'), JSON.stringify(tsconfig, null, 2));
run(join(here, 'node_modules', '.bin', 'tsc'), ['-p', join(dist, 'tsconfig.cjs.json')]);
rmSync(join(dist, 'tsconfig.cjs.json'));
for (const f of readdirSync(join(here, 'js', 'cjs'))) cpSync(join(here, 'js', 'cjs', f), join(dist, 'cjs', f));
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

// The version file: the package version and the commit it was built from.
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // Not a git checkout.
}
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
writeFileSync(join(here, 'VERSION'), `${pkg.version} ${commit}\n`);

// The hand-written declarations must type-check.
if (!args['skip-types']) run(join(here, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false',
  '--lib', 'es2022,dom', '--types', 'node', '--module', 'nodenext', '--moduleResolution', 'nodenext',
  'index.d.ts', 'server.d.ts', 'server-pg.d.ts']);
console.log('build done');
