// The browser test: the whole story in Debian's Chromium (puppeteer-core), from sign-up to
// recovery on a fresh browser profile, with a screenshot per step; then every database and
// log of the API and the key server is scanned for the vendor credentials typed here.
//
//   node test/e2e.mjs              quorumkey-server as the key server
//   node test/e2e.mjs --embedded   the npm package's key-server role inside the API
//
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default
// <repo>/target/vendor-vault-screenshots), DATABASE_URL (the API on PostgreSQL).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import puppeteer from 'puppeteer-core';
import { REPO, startStack } from '../scripts/stack.mjs';
import { scan, variants } from './scan.mjs';

const embedded = process.argv.includes('--embedded');
const mode = embedded ? 'embedded' : 'standalone';
const shots = join(process.env.SCREENSHOT_DIR ?? join(REPO, 'target/vendor-vault-screenshots'), mode);
const IDLE_SECONDS = 15;
const PIN = '2468';
/** The PIN set after the first one's key was destroyed. */
const NEW_PIN = '135790';
const tag = randomBytes(6).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'vendor-vault-e2e-'));
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

// What the user types: the account, and two vendor credentials unique to this run.
const account = { username: `alice-${tag}`, password: `account-pass-${tag}` };
const vendors = {
  acme: { username: `acme-user-${tag}@example.com`, password: `Acme!Secret#${tag}` },
  globex: { username: `globex_ops_${tag}`, password: `gl0bex/P4ss+${tag}=` },
  initech: { username: `initech.${tag}`, password: `1n1tech-Rotated:${tag}` },
};
/** initech's password before the vendor made the user rotate it. */
const initechBefore = `1n1tech-Before:${tag}`;
const accountsFile = join(tmp, 'vendor-accounts.json');
writeFileSync(accountsFile, JSON.stringify(vendors));

let passed = 0;
let failed = 0;
let shotNumber = 0;
const results = [];
const openPages = [];

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    results.push(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    results.push(`FAIL ${name}: ${e.message}`);
    for (const [i, p] of openPages.entries()) {
      await p.screenshot({ path: join(shots, `failure-${i}.png`), fullPage: true }).catch(() => {});
      console.log(`     page ${i} notice: ${await p.$eval('#notice', (el) => el.textContent).catch(() => '?')}`);
    }
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    throw e;
  }
}

async function shot(page, name) {
  shotNumber += 1;
  await page.screenshot({ path: join(shots, `${String(shotNumber).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A browser with its own profile: one "device". */
async function device(name) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: LAUNCH_ARGS,
    userDataDir: join(tmp, `profile-${name}`),
    defaultViewport: { width: 1000, height: 760 },
  });
  const page = await browser.newPage();
  openPages.push(page);
  page.on('pageerror', (e) => console.log(`[${name} page error] ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  return { browser, page };
}

async function open(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
}

async function fill(page, selector, text) {
  await page.waitForSelector(selector, { visible: true });
  await page.$eval(selector, (el) => (el.value = ''));
  await page.type(selector, text);
}

async function click(page, selector) {
  await page.waitForSelector(`${selector}:not([disabled])`, { visible: true });
  await page.click(selector);
}

/** Waits for the notice area to show a message matching `re`; returns its text. */
async function noticeMatching(page, re, timeout = 60000) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('#notice')?.textContent ?? ''),
    { timeout },
    re.source,
  );
  return page.$eval('#notice', (el) => el.textContent);
}

async function login(page, username, password) {
  await fill(page, '#login-form input[name=username]', username);
  await fill(page, '#login-form input[name=password]', password);
  await click(page, '#login-form button');
}

async function addIntegration(page, vendor, cred) {
  await fill(page, '#add-form input[name=vendor]', vendor);
  await fill(page, '#add-form input[name=username]', cred.username);
  await fill(page, '#add-form input[name=password]', cred.password);
  await click(page, '#add-form button');
  await page.waitForSelector(`li.integration[data-vendor="${vendor}"]`, { timeout: 60000 });
}

async function unlockWith(page, pin) {
  await fill(page, '#unlock-form input[name=pin]', pin);
  await click(page, '#unlock-form button');
}

/**
 * The API's stored row for one credential, read and written behind the API's back: how the
 * test plays a malicious API (or a restored backup) that serves an older unit again.
 */
async function apiUnitRow(stack, userId, vendor, replace) {
  if (process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      if (replace) {
        await client.query('UPDATE units SET unit = $1, version = $2 WHERE user_id = $3 AND vendor = $4', [replace.unit, replace.version, userId, vendor]);
      }
      return (await client.query('SELECT unit, version FROM units WHERE user_id = $1 AND vendor = $2', [userId, vendor])).rows[0];
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(stack.dataDir, 'api', 'api.sqlite3'));
  try {
    if (replace) {
      db.prepare('UPDATE units SET unit = ?, version = ? WHERE user_id = ? AND vendor = ?').run(replace.unit, replace.version, userId, vendor);
    }
    return db.prepare('SELECT unit, version FROM units WHERE user_id = ? AND vendor = ?').get(userId, vendor);
  } finally {
    db.close();
  }
}

async function adminGet(stack, path) {
  const r = await fetch(`${stack.urls.api}${path}`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  assert(r.ok, `admin ${path}: HTTP ${r.status}`);
  return r.json();
}

/** The key server's audit events for the test user, through the API's operator view. */
async function auditEvents(stack, userId) {
  const d = await adminGet(stack, `/api/admin/users/${encodeURIComponent(userId)}`);
  return Array.isArray(d.keyServer.audit) ? d.keyServer.audit : [];
}

const label = (hex) => (hex ? Buffer.from(hex, 'hex').toString('utf8') : null);
const unitReads = (events) => events.filter((e) => e.purpose === 'unit_gate').map((e) => label(e.info));

async function main() {
  console.log(`vendor-vault e2e (${mode} key server); screenshots in ${shots}`);
  const stack = await startStack({
    dataDir: join(tmp, 'data'),
    fresh: true,
    embedded,
    quiet: true,
    ports: { front: 0 },
    vendorAccounts: accountsFile,
    env: {
      IDLE_LOCK_SECONDS: String(IDLE_SECONDS),
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    },
  });
  const page0 = stack.urls.page;
  let a;
  let b;
  let userId;
  let cardText;
  /** Recovery cards replaced since (each must be absent from every database and log too). */
  const oldCards = [];
  try {
    a = await device('a');
    const pa = a.page;

    await step('sign up', async () => {
      await open(pa, page0);
      await fill(pa, '#signup-form input[name=username]', account.username);
      await fill(pa, '#signup-form input[name=password]', account.password);
      await shot(pa, 'sign-up');
      await click(pa, '#signup-form button');
      await pa.waitForSelector('#pin-form');
    });

    await step('choose a PIN; the recovery card is shown as text and QR code', async () => {
      await fill(pa, '#pin-form input[name=pin]', PIN);
      await fill(pa, '#pin-form input[name=pin2]', PIN);
      await shot(pa, 'choose-pin');
      await click(pa, '#pin-form button');
      await pa.waitForSelector('#recovery-card', { timeout: 60000 });
      cardText = await pa.$eval('#card-text', (el) => el.textContent);
      assert(/^QK/.test(cardText), `card text looks like a card: ${cardText.slice(0, 6)}…`);
      assert(await pa.$('#card-qr svg'), 'a QR code is drawn');
      await shot(pa, 'recovery-card');
      await click(pa, '#card-saved');
      await click(pa, '#card-done');
      await pa.waitForSelector('#lock-state[data-state=unlocked]');
      userId = (await (await fetch(`${stack.urls.api}/api/admin/users`, { headers: { authorization: `Bearer ${stack.adminToken}` } })).json()).users.find(
        (u) => u.username === account.username,
      ).id;
    });

    await step('add two vendor integrations (encrypted in the page)', async () => {
      await addIntegration(pa, 'acme', vendors.acme);
      await addIntegration(pa, 'globex', vendors.globex);
      await shot(pa, 'integrations');
    });

    await step('lock: names only', async () => {
      await click(pa, '#lock');
      await pa.waitForSelector('#unlock-form');
      const names = await pa.$$eval('li.integration .vendor', (els) => els.map((e) => e.textContent));
      assert(names.join() === 'acme,globex', `names listed: ${names}`);
      assert(await pa.$('li.integration button.show[disabled]'), 'show is disabled while locked');
      await shot(pa, 'locked');
    });

    await step('wrong login is refused', async () => {
      await click(pa, '#logout');
      await pa.waitForSelector('#login-form');
      await login(pa, account.username, 'not-the-password');
      const text = await noticeMatching(pa, /wrong username or password/);
      assert(!text.includes('not-the-password'), 'the message does not echo the password');
      await shot(pa, 'wrong-login');
      await login(pa, account.username, account.password);
      await pa.waitForSelector('#unlock-form');
    });

    await step('wrong PINs are counted down by the key server', async () => {
      await unlockWith(pa, '1111');
      let text = await noticeMatching(pa, /Wrong PIN\. 9 guesses left/);
      await unlockWith(pa, '9999');
      text = await noticeMatching(pa, /Wrong PIN\. 8 guesses left/);
      assert(text.includes('8 guesses'), text);
      await shot(pa, 'wrong-pin');
      await unlockWith(pa, PIN);
      await pa.waitForSelector('#lock-state[data-state=unlocked]', { timeout: 60000 });
      await shot(pa, 'unlocked');
    });

    await step('show one credential', async () => {
      await click(pa, 'li.integration[data-vendor=acme] button.show');
      await pa.waitForSelector('.credential[data-vendor=acme]');
      assert((await pa.$eval('.cred-username', (e) => e.textContent)) === vendors.acme.username, 'username shown');
      assert((await pa.$eval('.cred-password', (e) => e.textContent)) === vendors.acme.password, 'password shown');
      await shot(pa, 'show-credential');
      await click(pa, '#hide');
    });

    await step('run sync: one unit read, one vendor login, from the page', async () => {
      const before = unitReads(await auditEvents(stack, userId));
      const vendorBefore = await (await fetch(`${stack.urls.vendor}/stats`)).json();
      await click(pa, 'li.integration[data-vendor=globex] button.sync');
      await noticeMatching(pa, /Sync with globex: Synced \d+ orders/);
      const after = unitReads(await auditEvents(stack, userId));
      const added = after.slice(before.length);
      assert(JSON.stringify(added) === JSON.stringify(['vendor:globex']), `audit: exactly one unit read, of globex: ${JSON.stringify(added)}`);
      const vendorAfter = await (await fetch(`${stack.urls.vendor}/stats`)).json();
      assert(vendorAfter.globex.ok === (vendorBefore.globex?.ok ?? 0) + 1, 'the vendor saw one successful login');
      await shot(pa, 'run-sync');
    });

    if (!embedded) {
      await step('key server down: a clear message, nothing lost, retry works', async () => {
        await stack.stopKeyServer();
        await click(pa, 'li.integration[data-vendor=acme] button.show');
        await noticeMatching(pa, /key server cannot be reached/);
        const names = await pa.$$eval('li.integration .vendor', (els) => els.map((e) => e.textContent));
        assert(names.join() === 'acme,globex', 'the integrations are still listed');
        assert(await pa.$('#retry'), 'a retry button is offered');
        await shot(pa, 'key-server-down');
        await stack.startKeyServer();
        await click(pa, '#retry');
        await pa.waitForSelector('.credential[data-vendor=acme]', { timeout: 60000 });
        await shot(pa, 'retry-works');
      });
    }

    await step('a rotated vendor password is updated in the vault; the API serving the old version is refused', async () => {
      // The vault holds initech's old password: the vendor refuses it.
      await addIntegration(pa, 'initech', { username: vendors.initech.username, password: initechBefore });
      await click(pa, 'li.integration[data-vendor=initech] button.sync');
      await noticeMatching(pa, /initech refused the login/);
      const old = await apiUnitRow(stack, userId, 'initech');
      assert(Number(old.version) === 1, `first version: ${old.version}`);
      await click(pa, 'li.integration[data-vendor=initech] button.change');
      await fill(pa, '#change-form input[name=password]', vendors.initech.password);
      await click(pa, '#change-form button[type=submit]');
      await noticeMatching(pa, /initech: the new password is encrypted in this browser and saved \(version 2\)/);
      await click(pa, 'li.integration[data-vendor=initech] button.sync');
      await noticeMatching(pa, /Sync with initech: Synced \d+ orders/);
      await shot(pa, 'password-changed');
      // The API serves the old, genuine ciphertext again: it would still decrypt, but this
      // browser has seen version 2 and refuses it before asking the key server.
      const current = await apiUnitRow(stack, userId, 'initech');
      const readsBefore = unitReads(await auditEvents(stack, userId)).length;
      await apiUnitRow(stack, userId, 'initech', old);
      await click(pa, 'li.integration[data-vendor=initech] button.show');
      await noticeMatching(pa, /older version of this credential/);
      assert(!(await pa.$('.credential[data-vendor=initech]')), 'the old credential is not shown');
      assert(unitReads(await auditEvents(stack, userId)).length === readsBefore, 'no evaluation was asked for');
      await shot(pa, 'rollback-refused');
      await apiUnitRow(stack, userId, 'initech', current);
      await click(pa, 'li.integration[data-vendor=initech] button.show');
      await pa.waitForSelector('.credential[data-vendor=initech]');
      assert((await pa.$eval('.cred-password', (e) => e.textContent)) === vendors.initech.password, 'the new password');
      await click(pa, '#hide');
    });

    await step(`auto-lock after ${IDLE_SECONDS} s idle while a credential is shown`, async () => {
      if (!(await pa.$('.credential[data-vendor=acme]'))) {
        await click(pa, 'li.integration[data-vendor=acme] button.show');
        await pa.waitForSelector('.credential[data-vendor=acme]');
      }
      await noticeMatching(pa, /Locked after \d+ seconds without activity/, (IDLE_SECONDS + 30) * 1000);
      await pa.waitForSelector('#login-form');
      const content = await pa.content();
      assert(!content.includes(vendors.acme.password), 'the credential is gone from the page');
      const me = await pa.evaluate(async () => (await fetch('/api/me')).status);
      assert(me === 401, 'the session ended: log in again');
      await shot(pa, 'auto-locked');
    });

    await step('operator view: audit per vendor, guess limit, key versions', async () => {
      const admin = await a.browser.newPage();
      await open(admin, `${page0}admin.html#token=${stack.adminToken}`);
      await admin.waitForSelector(`button.user[data-user="${account.username}"]`);
      await admin.click(`button.user[data-user="${account.username}"]`);
      await admin.waitForSelector('#audit');
      const labels = await admin.$$eval('#audit td.label', (els) => els.map((e) => e.textContent));
      assert(labels.includes('vendor:globex') && labels.includes('vendor:acme'), `audit names vendors: ${labels}`);
      await shot(admin, 'operator-view');
      await admin.close();
    });

    await step('ten wrong PINs destroy the PIN key; this browser and the card set a new PIN', async () => {
      await login(pa, account.username, account.password);
      await pa.waitForSelector('#unlock-form');
      // The right PIN earlier reset the count to 10.
      for (let left = 9; left >= 1; left--) {
        await unlockWith(pa, '0000');
        await noticeMatching(pa, new RegExp(`Wrong PIN\\. ${left} guess(es)? left`));
      }
      await unlockWith(pa, '0000');
      await pa.waitForSelector('#new-pin-form', { timeout: 60000 });
      const { guard } = (await adminGet(stack, `/api/admin/users/${encodeURIComponent(userId)}`)).keyServer;
      assert(guard?.state === 'burned', `the key server reports the guard burned: ${JSON.stringify(guard)}`);
      await shot(pa, 'pin-key-destroyed');
      await fill(pa, '#new-pin-form textarea[name=card]', cardText);
      await fill(pa, '#new-pin-form input[name=pin]', NEW_PIN);
      await fill(pa, '#new-pin-form input[name=pin2]', NEW_PIN);
      await click(pa, '#new-pin-form button');
      await pa.waitForSelector('#recovery-card', { timeout: 120000 });
      const fresh = await pa.$eval('#card-text', (el) => el.textContent);
      assert(fresh !== cardText, 'a new recovery card');
      oldCards.push(cardText);
      cardText = fresh;
      await shot(pa, 'new-pin');
      await click(pa, '#card-saved');
      await click(pa, '#card-done');
      await click(pa, 'li.integration[data-vendor=acme] button.show');
      await pa.waitForSelector('.credential[data-vendor=acme]');
      assert((await pa.$eval('.cred-password', (e) => e.textContent)) === vendors.acme.password, 'the credentials moved');
      await click(pa, '#hide');
      await click(pa, '#lock');
      await pa.waitForSelector('#unlock-form');
      await unlockWith(pa, PIN);
      await noticeMatching(pa, /Wrong PIN\. 9 guesses left/);
      await unlockWith(pa, NEW_PIN);
      await pa.waitForSelector('#lock-state[data-state=unlocked]', { timeout: 60000 });
      await click(pa, '#logout');
      await pa.waitForSelector('#login-form');
    });

    b = await device('b');
    const pb = b.page;

    await step('lost device: recovery on a fresh browser profile with the card and the login', async () => {
      await open(pb, page0);
      await login(pb, account.username, account.password);
      await pb.waitForSelector('#recover-form');
      await fill(pb, '#recover-form textarea[name=card]', cardText);
      await fill(pb, '#recover-form input[name=pin]', NEW_PIN);
      await shot(pb, 'recover');
      await click(pb, '#recover-form button');
      await pb.waitForSelector('#recovery-card', { timeout: 120000 });
      const fresh = await pb.$eval('#card-text', (el) => el.textContent);
      assert(fresh !== cardText, 'a new recovery card');
      await shot(pb, 'new-recovery-card');
      await click(pb, '#card-saved');
      await click(pb, '#card-done');
      await click(pb, 'li.integration[data-vendor=globex] button.show');
      await pb.waitForSelector('.credential[data-vendor=globex]');
      assert((await pb.$eval('.cred-password', (e) => e.textContent)) === vendors.globex.password, 'credential recovered');
      await shot(pb, 'recovered-vault');
      await click(pb, 'li.integration[data-vendor=acme] button.sync');
      await noticeMatching(pb, /Sync with acme/);
    });

    await step('the old device and the old card are revoked', async () => {
      await login(pa, account.username, account.password);
      await pa.waitForSelector('#recover-form');
      const text = await pa.$eval('#recover-form', (el) => el.textContent);
      assert(/revoked/.test(text), 'the old browser is told its key was revoked');
      await shot(pa, 'old-device-revoked');
      await fill(pa, '#recover-form textarea[name=card]', cardText);
      await fill(pa, '#recover-form input[name=pin]', NEW_PIN);
      await click(pa, '#recover-form button');
      const refused = await noticeMatching(pa, /\S/);
      console.log(`     the old card: ${refused.trim()}`);
      assert(!(await pa.$('#recovery-card')), 'the old card opens nothing');
      await shot(pa, 'old-card-refused');
    });
  } finally {
    await a?.browser.close().catch(() => {});
    await b?.browser.close().catch(() => {});
    await stack.stop();
  }

  await step('no database or log holds a typed vendor credential (raw, base64, hex, UTF-16, URL-encoded)', async () => {
    const secrets = [];
    for (const [vendor, c] of Object.entries(vendors)) {
      secrets.push([`${vendor} username`, c.username], [`${vendor} password`, c.password]);
    }
    secrets.push(['initech password before', initechBefore]);
    secrets.push(['recovery card', cardText], ...oldCards.map((c, i) => [`replaced recovery card ${i + 1}`, c]));
    const report = await scan(stack.dataDir, secrets, { databaseUrl: process.env.DATABASE_URL });
    console.log(`     scanned ${report.files.length} files (${report.bytes} bytes) for ${secrets.length} secrets × ${variants(secrets[0][1]).length} encodings each`);
    for (const f of report.files) console.log(`       ${f}`);
    assert(report.files.some((f) => /api\.sqlite3|postgres/.test(f)), 'the API database was scanned');
    assert(embedded || report.files.some((f) => /keyserver\/.*sqlite3/.test(f)), 'the key server database was scanned');
    assert(report.files.some((f) => /logs\/api\.log/.test(f)), 'the API log was scanned');
    assert(report.hits.length === 0, `found: ${report.hits.join('; ')}`);
  });
}

try {
  await main();
} catch {
  // reported by step()
} finally {
  console.log(`\n${results.join('\n')}`);
  console.log(`\nscreenshots: ${shots}`);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed === 0) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept for inspection: ${tmp}`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
