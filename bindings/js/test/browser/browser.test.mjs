// A real browser (Debian's chromium through puppeteer-core, no browser download) loads the
// installed package from a static server on 127.0.0.1, with the Node.js key-server role on
// the same origin: enroll, lock, unlock after a reload from IndexedDB, recover, auto-lock,
// a Web Worker, and bad input. Screenshots go to $ARTIFACTS (default target/npm-artifacts).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, extname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { KeyServer, MemoryStore } from 'quorumkey/server';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = dirname(createRequire(import.meta.url).resolve('quorumkey/package.json'));
const artifacts = process.env.ARTIFACTS ?? join(here, '..', '..', '..', '..', 'target', 'npm-artifacts');
mkdirSync(artifacts, { recursive: true });
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

let server;
let browser;
let page;
let base;

before(async () => {
  const keyServer = await KeyServer.create({ seed: crypto.getRandomValues(new Uint8Array(32)) });
  const ks = keyServer.nodeHandler({
    store: new MemoryStore(),
    authenticate: (req) => (req.headers.authorization ?? '').replace(/^Bearer /, '') || null,
  });
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/ks/')) {
      req.url = req.url.slice(3);
      return ks(req, res);
    }
    const root = url.pathname.startsWith('/pkg/') ? pkgDir : here;
    const rel = url.pathname.startsWith('/pkg/') ? url.pathname.slice(5) : (url.pathname === '/' ? 'page.html' : url.pathname.slice(1));
    const file = normalize(join(root, rel));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'qk-chromium-'))}`],
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${base}/page.html`);
  await page.waitForFunction('window.qkReady === true', { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const shot = (name) => page.screenshot({ path: join(artifacts, `browser-${name}.png`) });

test('enroll, lock, reload, unlock from IndexedDB, recover, auto-lock', async () => {
  const enrolled = await page.evaluate(() => window.qkTest.enroll('alice'));
  assert.equal(enrolled.locked, 'locked');
  assert.match(enrolled.card, /^QK2-/);
  await shot('1-enrolled');

  const atRest = await page.evaluate((s) => window.qkTest.storageAtRest(s), enrolled.shareHex);
  assert.deepEqual(atRest, { keyIsCryptoKey: true, extractable: false, exported: 'InvalidAccessError', plaintextStored: false });

  await page.reload();
  await page.waitForFunction('window.qkReady === true');
  assert.equal(await page.evaluate(() => window.qkTest.unlock('alice')), 'alice / hunter2');
  await shot('2-unlocked-after-reload');

  assert.equal(await page.evaluate((c, k) => window.qkTest.recover('alice', c, k), enrolled.card, enrolled.kit), 'alice / hunter2');
  await shot('3-recovered');

  assert.equal(await page.evaluate(() => window.qkTest.unlock('alice', 300)), 'alice / hunter2');
  await new Promise((r) => setTimeout(r, 700));
  assert.deepEqual(await page.evaluate(() => window.qkTest.lastVaultState()), { locked: true, error: 'locked' });
  await shot('4-auto-locked');
});

test('the unit index kept in IndexedDB, sealed; rollback detected after reading it back', async () => {
  assert.deepEqual(await page.evaluate(() => window.qkTest.index('carol')), { latest: 2, rollback: 'unit_rollback', sealed: true });
});

test('a module Web Worker', async () => {
  assert.equal(await page.evaluate(() => window.qkTest.worker()), 'from a worker');
});

test('bad input is a typed error in the browser too', async () => {
  assert.deepEqual(await page.evaluate(() => window.qkTest.badInput()), ['invalid_argument', 'malformed', 'invalid_card']);
});
