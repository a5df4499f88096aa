// The API without a browser: the store interface on SQLite (and PostgreSQL when
// TEST_DATABASE_URL is set), and the HTTP routes' refusals — what it stores must be the
// user's own vault's units, each behind its own POPRF gate labelled `vendor:<name>`.
// Real quorumkey objects are made here with the npm package and an in-memory key server.
//
//   node --test test/api.test.mjs     (after `npm run build`)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enroll, ready } from 'quorumkey';
import { KeyServer, MemoryStore } from 'quorumkey/server';
import { createApp } from '../build/node/api/app.js';
import { openStore } from '../build/node/api/store.js';
import { TokenIssuer } from '../build/node/api/tokens.js';

const KEY_ID = 'keys.test';
const tmp = mkdtempSync(join(tmpdir(), 'vendor-vault-api-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A key server in memory, as a transport for the package's flows. */
async function keyServer() {
  const server = await KeyServer.create({ seed: new Uint8Array(randomBytes(32)) });
  const store = new MemoryStore();
  const op = (name, options) => server.operation('user', name, store, options);
  return {
    evaluate: (body) => op('evaluate', { body }),
    getKeys: () => op('get_keys'),
    addKeyVersion: () => op('add_key_version'),
    dropKeyVersion: (version) => op('drop_key_version', { version }),
    setPassword: (body) => op('set_password', { body }),
    confirmUnlock: (body) => op('confirm_unlock', { body }),
    changeTag: (body) => op('change_tag', { body }),
  };
}

/** A vault and a sealer of units in it. */
async function vault() {
  const t = await keyServer();
  const enrolled = await enroll({
    policy: {
      threshold: 2,
      holders: [
        { id: 1, kind: 'device', label: 'browser' },
        { id: 2, kind: 'keyServer', label: 'key server', keyId: KEY_ID },
        { id: 3, kind: 'custodian', label: 'card' },
      ],
    },
    servers: { [KEY_ID]: t },
    idleTimeout: Infinity,
  });
  const gated = async (unitId, label, text = 'secret') => {
    const seal = enrolled.vault.sealGated(unitId, text, { keyId: KEY_ID, keySet: await t.getKeys(), info: label });
    return seal.finish(await t.evaluate(seal.request.body));
  };
  return { ...enrolled, gated };
}

const b64 = (u) => Buffer.from(u).toString('base64url');

function storeSuite(name, open) {
  describe(`store: ${name}`, () => {
    let store;
    before(async () => {
      store = await open();
    });
    after(async () => store?.close());

    test('users, sessions, compare-and-set on vaults and units', async () => {
      const id = randomUUID();
      const user = { id, username: `u-${id}`, passwordHash: 'h', createdAt: 1 };
      assert.equal(await store.createUser(user), true);
      assert.equal(await store.createUser({ ...user, id: randomUUID() }), false, 'username taken');
      assert.equal((await store.userByName(user.username)).id, id);
      await store.createSession(`s-${id}`, { userId: id, createdAt: 1, lastSeen: 1 });
      await store.touchSession(`s-${id}`, 5);
      assert.equal((await store.session(`s-${id}`)).lastSeen, 5);
      await store.deleteSession(`s-${id}`);
      assert.equal(await store.session(`s-${id}`), null);

      const v = { epoch: 0, header: new Uint8Array([1, 2]), capsules: [new Uint8Array([3])], updatedAt: 1 };
      assert.equal(await store.replaceVault(id, null, v, null), true);
      assert.equal(await store.replaceVault(id, null, v, null), false, 'a second create loses');
      const unit = { vendor: 'acme', version: 1, unit: new Uint8Array([9]), updatedAt: 1 };
      assert.equal(await store.putUnit(id, null, unit), true);
      assert.equal(await store.putUnit(id, null, unit), false, 'a second insert loses');
      assert.equal(await store.putUnit(id, 1, { ...unit, version: 2 }), true);
      assert.equal(await store.putUnit(id, 1, { ...unit, version: 3 }), false, 'a stale version loses');
      const moved = { vendor: 'globex', version: 1, unit: new Uint8Array([7]), updatedAt: 2 };
      assert.equal(await store.replaceVault(id, 0, { ...v, epoch: 1 }, [moved]), true);
      const got = await store.vault(id);
      assert.equal(got.vault.epoch, 1);
      assert.deepEqual(got.units.map((u) => u.vendor), ['globex'], 'units replaced with the vault');
      assert.deepEqual([...got.vault.capsules[0]], [3]);
    });

    test('key-server records: compare-and-set, audit hash chain', async () => {
      const ks = store.keyServer;
      const user = `ks-${randomUUID()}`;
      const audit = (n) => ({ fields: { action: 'evaluated', n }, chain: (prev, seq) => new Uint8Array([prev[0] + seq]) });
      assert.equal(await ks.compareAndSet(user, null, new Uint8Array([1]), { version: 1, audit: audit(1) }), true);
      assert.equal(await ks.compareAndSet(user, null, new Uint8Array([2]), { version: 1, audit: null }), false);
      assert.equal(await ks.compareAndSet(user, 1, new Uint8Array([2]), { version: 2, audit: audit(2) }), true);
      await ks.appendAudit(user, audit(3));
      assert.deepEqual([...(await ks.get(user))], [2]);
      const events = await ks.listAudit(user, 0, 10);
      assert.deepEqual(events.map((e) => [e.seq, e.chain[0]]), [[1, 1], [2, 3], [3, 6]]);
    });
  });
}

storeSuite('sqlite', () => openStore(undefined, tmp));
if (process.env.TEST_DATABASE_URL) storeSuite('postgres', () => openStore(process.env.TEST_DATABASE_URL, tmp));
else test('store: postgres', { skip: 'TEST_DATABASE_URL is not set' }, () => {});

describe('routes', () => {
  let base;
  let server;
  let store;
  before(async () => {
    await ready();
    store = await openStore(undefined, mkdtempSync(join(tmp, 'routes-')));
    const issuer = await TokenIssuer.load(join(tmp, 'issuer'), 'test-api', KEY_ID, 60);
    const config = {
      keyServerId: KEY_ID,
      vendorUrl: 'http://127.0.0.1:1',
      idleLockSeconds: 300,
      sessionIdleSeconds: 600,
      cookieSecure: false,
      adminToken: undefined,
    };
    const app = createApp(config, store, issuer);
    server = createServer((req, res) => void app.handle(req, res));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    server?.close();
    await store?.close();
  });

  let cookie = '';
  const call = async (method, path, body, headers = { 'x-vendor-vault': '1' }) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const setCookie = r.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0];
    return { status: r.status, body: await r.json() };
  };

  test('accounts: sign-up, CSRF header, wrong login, token', async () => {
    const name = `alice-${randomUUID().slice(0, 8)}`;
    assert.equal((await call('POST', '/api/signup', { username: name, password: 'short' })).body.error.code, 'invalid_request');
    assert.equal((await call('POST', '/api/signup', { username: name, password: 'long enough pass' }, {})).status, 403, 'no CSRF header');
    const up = await call('POST', '/api/signup', { username: name, password: 'long enough pass' });
    assert.equal(up.status, 201);
    assert.equal(up.body.hasVault, false);
    assert.equal((await call('POST', '/api/signup', { username: name, password: 'long enough pass' })).body.error.code, 'username_taken');
    cookie = '';
    assert.equal((await call('GET', '/api/me')).status, 401);
    const wrong = await call('POST', '/api/login', { username: name, password: 'wrong password!' });
    assert.deepEqual([wrong.status, wrong.body.error.code], [401, 'bad_login']);
    const nobody = await call('POST', '/api/login', { username: 'nobody-here', password: 'wrong password!' });
    assert.deepEqual([nobody.status, nobody.body.error.code], [401, 'bad_login'], 'the same answer for an unknown user');
    assert.equal((await call('POST', '/api/login', { username: name, password: 'long enough pass' })).status, 200);
    const token = (await call('POST', '/api/keyserver-token')).body.token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
    assert.equal(claims.aud, KEY_ID);
    assert.ok(claims.exp - claims.iat <= 60 && claims.jti && claims.sub);
  });

  test('only the vault’s own units, each behind its own POPRF gate labelled vendor:<name>', async () => {
    const mine = await vault();
    const other = await vault();
    const put = await call('PUT', '/api/vault', { header: b64(mine.header), capsules: mine.capsules.map(b64), expectedEpoch: null });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const unit = async (vendor, u, expectedVersion = null) =>
      call('PUT', `/api/units/${vendor}`, { unit: b64(u), expectedVersion });
    const refused = async (vendor, u, why) => {
      const r = await unit(vendor, u);
      assert.deepEqual([r.status, r.body.error?.code], [400, 'invalid_unit'], why);
    };
    await refused('acme', mine.vault.seal('vendor:acme', 'secret'), 'a unit without its own gate');
    await refused('acme', await mine.gated('vendor:acme', 'vendor:other'), 'a gate with another label');
    await refused('acme', await mine.gated('vendor:globex', 'vendor:globex'), 'another vendor’s unit');
    await refused('acme', await other.gated('vendor:acme', 'vendor:acme'), 'a unit of another vault');
    const good = await mine.gated('vendor:acme', 'vendor:acme');
    assert.equal((await unit('acme', good)).status, 200);
    assert.equal((await unit('acme', good)).status, 409, 'a second create loses');
    const older = await unit('acme', good, 1);
    assert.deepEqual([older.status, older.body.error.code], [400, 'invalid_unit'], 'not newer than the stored version');
    const stored = (await call('GET', '/api/vault')).body;
    assert.deepEqual(stored.units.map((u) => [u.vendor, u.version]), [['acme', 1]]);
    assert.equal((await call('PUT', '/api/vault', { header: b64(mine.header), capsules: other.capsules.map(b64), expectedEpoch: null })).body.error.code, 'invalid_vault');
  });
});
