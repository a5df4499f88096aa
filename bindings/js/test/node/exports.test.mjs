// The package's exports map: every condition resolves to a file in the tarball, and each
// platform entry loads the module its way. Cloudflare Workers (workerd) are emulated: the
// .wasm file is imported as a compiled WebAssembly.Module and compiling from bytes throws,
// as it does there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('quorumkey/package.json'));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

function targets(node, out = []) {
  if (typeof node === 'string') out.push(node);
  else for (const v of Object.values(node)) targets(v, out);
  return out;
}

test('every exports target and types file is in the package', () => {
  for (const t of targets(pkg.exports)) assert.ok(existsSync(join(pkgDir, t)), `${t} missing`);
  for (const [, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'object') assert.equal(Object.keys(entry)[0], 'types', 'types must come first');
  }
  assert.ok(existsSync(join(pkgDir, 'VERSION')));
  assert.ok(!existsSync(join(pkgDir, 'src')), 'Rust sources are not shipped');
});

test('the package has no tests-only seam (the test-rng feature)', () => {
  for (const tree of ['browser', 'esm', 'cjs']) {
    for (const f of readdirSync(join(pkgDir, 'dist', tree)).filter((n) => n.endsWith('.js'))) {
      assert.ok(!readFileSync(join(pkgDir, 'dist', tree, f), 'utf8').includes('testRng'), `dist/${tree}/${f}`);
    }
  }
});

test('sideEffects names every module that registers a platform loader (bundlers keep them)', () => {
  assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects must list the entries, not be false');
  for (const tree of ['browser', 'esm', 'cjs']) {
    for (const f of readdirSync(join(pkgDir, 'dist', tree)).filter((n) => n.endsWith('.js'))) {
      const code = readFileSync(join(pkgDir, 'dist', tree, f), 'utf8');
      const registers = f !== 'wasm.js' && (/setPlatform/.test(code) || /['"]\.\/node\.js['"]/.test(code));
      if (registers) assert.ok(pkg.sideEffects.includes(`./dist/${tree}/${f}`), `dist/${tree}/${f} has side effects but is not in sideEffects`);
    }
  }
});

test('node import and require resolve to the Node.js entries', () => {
  assert.match(import.meta.resolve('quorumkey'), /dist\/esm\/node\.js$/);
  assert.match(require.resolve('quorumkey'), /dist\/cjs\/node\.js$/);
  assert.match(require.resolve('quorumkey/server'), /dist\/cjs\/server\.js$/);
});

test('browser entry loads from a URL (file: here) and works', async () => {
  const m = await import(join(pkgDir, 'dist/browser/browser.js'));
  const wasm = readFileSync(join(pkgDir, 'dist/wasm/quorumkey_bg.wasm'));
  await m.ready({ wasm });
  const policy = m.encodePolicy({ threshold: 2, holders: [
    { id: 1, kind: 'device', label: 'a' }, { id: 2, kind: 'custodian', label: 'b' }] });
  assert.equal(m.inspectPolicy(policy).threshold, 2);
  assert.throws(() => new m.FileShareStore({ directory: '/tmp' }), (e) => e.code === 'unsupported');
});

test('workerd entry: the .wasm is imported as a module; compiling bytes is forbidden', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qk-workerd-'));
  writeFileSync(join(dir, 'hooks.mjs'), `
import { readFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.endsWith('.wasm')) {
    const bytes = readFileSync(new URL(url));
    return { format: 'module', shortCircuit: true,
      source: 'export default new WebAssembly.Module(new Uint8Array([' + Array.from(bytes).join(',') + ']));' };
  }
  return next(url, context);
}`);
  writeFileSync(join(dir, 'register.mjs'), `
import { register } from 'node:module';
register(${JSON.stringify(new URL(`file://${join(dir, 'hooks.mjs')}`).href)});`);
  writeFileSync(join(dir, 'worker.mjs'), `
const forbid = () => { throw new Error('Wasm code generation disallowed by embedder'); };
const entry = ${JSON.stringify(join(pkgDir, 'dist/browser/workerd.js'))};
// Node's own fetch compiles its HTTP parser lazily: load it before forbidding compilation.
void globalThis.Response;
const m = await import(entry);
WebAssembly.compile = forbid; WebAssembly.compileStreaming = forbid;
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (source, imports) => {
  if (!(source instanceof WebAssembly.Module)) forbid();
  return instantiate(source, imports);
};
await m.ready();
const card = m.inspectPolicy(m.encodePolicy({ threshold: 2, holders: [
  { id: 1, kind: 'device', label: 'a' }, { id: 2, kind: 'custodian', label: 'b' }] }));
console.log(JSON.stringify({ threshold: card.threshold }));`);
  const out = execFileSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(dir, 'worker.mjs')], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), { threshold: 2 });
});
