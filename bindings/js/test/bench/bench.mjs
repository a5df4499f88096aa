// Measures the packed package (CI prints it; spec/performance.md records it). Nothing here
// is asserted: figures depend on the machine. Side by side in one run:
//   - package size: the browser's .wasm + JavaScript, gzip -9 and brotli 11
//   - one P-256 VOPRF round trip (client blind + key-server evaluation + client finalize):
//     the package in Node.js, and @cloudflare/voprf-ts with its noble backend, same process
//   - client-side unlock of a 2-of-3 vault without password (network excluded), and with
//     a password at the default Argon2id parameters: Node.js, Chromium, and native Rust
//     (the same operations, printed by bindings/js/examples/native_bench.rs when built:
//     bindings/js/ci.sh builds it with the Node.js module's compile settings).
// The load average is printed with the figures: the machine is shared.
import { readFileSync, readdirSync, mkdtempSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { dirname, join, extname, normalize } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as qk from 'quorumkey';
import { KeyServer, MemoryStore } from 'quorumkey/server';
import { Oprf, VOPRFClient, VOPRFServer, generateKeyPair } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = dirname(createRequire(import.meta.url).resolve('quorumkey/package.json'));
const N = Number(process.env.BENCH_N ?? 30);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;
const best = (xs) => Math.min(...xs);

// --- sizes
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
// What a browser loads: the minified ESM tree (dist/browser, without source maps) and the
// client module. "per file" is what per-file HTTP compression sends; "one stream" is the
// files compressed together (a bundle).
const browserDir = join(pkgDir, 'dist', 'browser');
const browserJs = readdirSync(browserDir).filter((f) => f.endsWith('.js') && f !== 'workerd.js')
  .map((f) => readFileSync(join(browserDir, f)));
const js = Buffer.concat(browserJs);
const jsGzFiles = browserJs.reduce((n, b) => n + gz(b), 0);
const jsBrFiles = browserJs.reduce((n, b) => n + br(b), 0);
const wasm = readFileSync(join(pkgDir, 'dist', 'wasm', 'quorumkey_bg.wasm'));
const serverWasm = readFileSync(join(pkgDir, 'dist', 'wasm', 'quorumkey_server_bg.wasm'));
const sizes = { wasmGz: gz(wasm), wasmBr: br(wasm), jsGz: gz(js), jsBr: br(js), jsGzFiles, jsBrFiles };
console.log('package size (browser: client .wasm + minified ESM JavaScript)');
console.log(`  .wasm  raw ${kb(wasm.length)}  gzip ${kb(sizes.wasmGz)}  brotli ${kb(sizes.wasmBr)}`);
console.log(`  JS     raw ${kb(js.length)} in ${browserJs.length} files  gzip ${kb(jsGzFiles)} per file, ${kb(sizes.jsGz)} as one stream  brotli ${kb(jsBrFiles)} per file, ${kb(sizes.jsBr)} as one stream`);
console.log(`  total  gzip ${kb(sizes.wasmGz + jsGzFiles)} (${kb(sizes.wasmGz + sizes.jsGz)} bundled)  brotli ${kb(sizes.wasmBr + jsBrFiles)} (${kb(sizes.wasmBr + sizes.jsBr)} bundled)`);
console.log(`  Node.js module (client + key server, opt-level 3): raw ${kb(serverWasm.length)}  gzip ${kb(gz(serverWasm))}`);

// --- Node.js: the package
const load0 = loadavg().map((v) => v.toFixed(2)).join(', ');
await qk.ready();
const server = await KeyServer.create({ seed: new Uint8Array(32).fill(9) });
const store = new MemoryStore();
const op = (name, o) => server.operation('bench', name, store, o);
const t = { evaluate: (body) => op('evaluate', { body }), getKeys: () => op('get_keys'), addKeyVersion: () => op('add_key_version'),
  setPassword: (body) => op('set_password', { body }), confirmUnlock: (body) => op('confirm_unlock', { body }) };
const KEY_ID = 'keys.example.com';
const policy = { threshold: 2, holders: [
  { id: 1, kind: 'device', label: 'phone' }, { id: 2, kind: 'keyServer', label: 'ks', keyId: KEY_ID },
  { id: 3, kind: 'custodian', label: 'card' }] };
const e = await qk.enroll({ policy, servers: { [KEY_ID]: t } });
const keySet = await t.getKeys();

const seal = e.vault.sealGated('g', 'x', { keyId: KEY_ID, keySet });
const gated = seal.finish(await t.evaluate(seal.request.body));
const rt = { client: [], server: [], total: [] };
for (let i = 0; i < N + 3; i++) {
  const t0 = performance.now();
  const read = e.vault.readUnits([gated]);
  const t1 = performance.now();
  const resp = await t.evaluate(read.requests[0].body);
  const t2 = performance.now();
  read.finish([resp]);
  const t3 = performance.now();
  if (i >= 3) {
    rt.client.push(t1 - t0 + t3 - t2);
    rt.server.push(t2 - t1);
    rt.total.push(t3 - t0);
  }
}

const unlockRuns = [];
async function unlockTimes(runs, password) {
  const enrolled = password ? await qk.enroll({ policy, servers: { [KEY_ID]: t }, password }) : e;
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const u = qk.Unlock.start({ header: enrolled.header, shares: enrolled.deviceShares, capsules: enrolled.capsules, password });
    const t1 = performance.now();
    const resp = await t.evaluate(u.requests[0].body);
    const t2 = performance.now();
    const v = u.finish([resp]);
    const t3 = performance.now();
    v.lock();
    if (password) await t.confirmUnlock(enrolled.vault.unlockProof(KEY_ID));
    out.push(t1 - t0 + t3 - t2);
  }
  if (!password) unlockRuns.push(...out);
  return median(out);
}
const nodeUnlock = await unlockTimes(N);
const nodePassword = await unlockTimes(3, 'correct horse battery staple');

// --- Node.js: voprf-ts (noble backend), same process
const suite = Oprf.Suite.P256_SHA256;
const { privateKey, publicKey } = await generateKeyPair(suite, CryptoNoble);
const vServer = new VOPRFServer(suite, privateKey, CryptoNoble);
const vClient = new VOPRFClient(suite, publicKey, CryptoNoble);
const vts = [];
for (let i = 0; i < Math.min(N, 20) + 2; i++) {
  const t0 = performance.now();
  const [fin, req] = await vClient.blind([crypto.getRandomValues(new Uint8Array(32))]);
  const ev = await vServer.blindEvaluate(req);
  await vClient.finalize(fin, ev);
  if (i >= 2) vts.push(performance.now() - t0);
}

// --- Chromium: the same client-side operations in a page
let chromium = null;
if (existsSync('/usr/bin/chromium')) {
  const { default: puppeteer } = await import('puppeteer-core');
  const ks = server.nodeHandler({ store: new MemoryStore(), authenticate: () => 'chromium-bench' });
  const browserDir = join(here, '..', 'browser');
  const http = createServer((req, res) => {
    if (req.url.startsWith('/ks/')) { req.url = req.url.slice(3); return ks(req, res); }
    const pkg = req.url.startsWith('/pkg/');
    const file = normalize(join(pkg ? pkgDir : browserDir, pkg ? req.url.slice(5) : req.url.slice(1)));
    if (!existsSync(file)) return res.writeHead(404).end();
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' }[extname(file)];
    res.writeHead(200, { 'content-type': type ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'qk-bench-'))}`] });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${http.address().port}/page.html`);
  await page.waitForFunction('window.qkReady === true', { timeout: 30000 });
  chromium = await page.evaluate(async (n) => {
    const qk = await import('/pkg/dist/browser/browser.js');
    const KEY_ID = 'keys.example.com';
    const t = new qk.KeyServerClient({ url: `${location.origin}/ks`, token: 'x' });
    const servers = { [KEY_ID]: t };
    const policy = { threshold: 2, holders: [
      { id: 1, kind: 'device', label: 'phone' }, { id: 2, kind: 'keyServer', label: 'ks', keyId: KEY_ID },
      { id: 3, kind: 'custodian', label: 'card' }] };
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const load0 = performance.now();
    await qk.ready();
    const e = await qk.enroll({ policy, servers });
    const keySet = await t.getKeys();
    const seal = e.vault.sealGated('g', 'x', { keyId: KEY_ID, keySet });
    const gated = seal.finish(await t.evaluate(seal.request.body));
    const voprf = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const read = e.vault.readUnits([gated]);
      const t1 = performance.now();
      const resp = await t.evaluate(read.requests[0].body);
      const t2 = performance.now();
      read.finish([resp]);
      voprf.push(t1 - t0 + performance.now() - t2);
    }
    const unlock = async (runs, password) => {
      const en = password ? await qk.enroll({ policy, servers, password }) : e;
      const out = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const u = qk.Unlock.start({ header: en.header, shares: en.deviceShares, capsules: en.capsules, password });
        const t1 = performance.now();
        const resp = await t.evaluate(u.requests[0].body);
        const t2 = performance.now();
        u.finish([resp]).lock();
        out.push(t1 - t0 + performance.now() - t2);
        if (password) await t.confirmUnlock(en.vault.unlockProof(KEY_ID));
      }
      return med(out);
    };
    return { voprfClient: med(voprf), unlock: await unlock(n), password: await unlock(3, 'correct horse battery staple'), firstUse: performance.now() - load0 };
  }, N);
  await browser.close();
  http.close();
}

// --- native Rust, same operations (examples/native_bench.rs), if built: by default the
// build with the Node.js module's settings (`--profile wasm-server`)
let native = null;
const nativeBin = process.env.NATIVE_BENCH
  ?? join(here, '..', '..', '..', '..', 'target', 'wasm-server', 'examples', 'native_bench');
if (existsSync(nativeBin)) {
  native = JSON.parse(execFileSync(nativeBin, [String(N)], { encoding: 'utf8' }).trim().split('\n').pop());
}

const load = loadavg().map((x) => x.toFixed(2)).join(', ');
const x = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(`\nload average before/after the timings: ${load0} / ${load} (${cpus().length} cores)`);
console.log(`\nP-256 VOPRF round trip, median of ${N} (Node.js ${process.version}; the Node.js module, opt-level 3)`);
console.log(`  quorumkey wasm  client ${ms(median(rt.client))} + key server ${ms(median(rt.server))} = ${ms(median(rt.total))}`);
console.log(`  voprf-ts noble  ${ms(median(vts))}  (quorumkey / voprf-ts = ${x(median(rt.total), median(vts))}; goal <= 0.2x)`);
if (native) {
  console.log(`  native Rust     client ${ms(native.voprfClient)} + key server ${ms(native.voprfServer)} = ${ms(native.voprf)}  (wasm / native = ${x(median(rt.total), native.voprf)}; goal <= 2.5x)`);
  console.log(`  best rounds: wasm ${ms(best(rt.total))}, native ${ms(native.voprfBest)} (wasm / native = ${x(best(rt.total), native.voprfBest)})`);
}
console.log('\nclient-side unlock, 2-of-3 {device, key server, card}, network excluded');
console.log(`  no password: Node.js ${ms(nodeUnlock)}${chromium ? `  Chromium ${ms(chromium.unlock)} (goal <= 20 ms)` : ''}${native ? `  native ${ms(native.unlock)} (Node.js / native = ${x(nodeUnlock, native.unlock)})` : ''}`);
console.log(`  password, Argon2id 64 MiB t=3 p=1: Node.js ${ms(nodePassword)}${chromium ? `  Chromium ${ms(chromium.password)}` : ''}${native ? `  native ${ms(native.password)} (Node.js / native = ${x(nodePassword, native.password)})` : ''}`);
if (native) console.log(`  no password, best rounds: Node.js ${ms(best(unlockRuns))}  native ${ms(native.unlockBest)} (Node.js / native = ${x(best(unlockRuns), native.unlockBest)})`);
if (chromium) console.log(`  Chromium VOPRF client side (blind + finalize, the browser module): ${ms(chromium.voprfClient)}`);
if (process.env.ARTIFACTS) {
  mkdirSync(process.env.ARTIFACTS, { recursive: true });
  writeFileSync(join(process.env.ARTIFACTS, 'bench.json'), `${JSON.stringify({
    load: { before: load0, after: load }, node: process.version, sizes,
    voprf: { total: median(rt.total), best: best(rt.total), client: median(rt.client), server: median(rt.server), voprfTs: median(vts) },
    unlock: { node: nodeUnlock, best: best(unlockRuns), password: nodePassword }, chromium, native,
  }, null, 2)}\n`);
}
