// The Node.js key-server role over real HTTP on 127.0.0.1, driven by the package's fetch
// client: the contract of spec/http-api.md (paths, statuses, error bodies), compare-and-set
// under races, and the audit hash chain.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as qk from 'quorumkey';
import { KeyServer, MemoryStore, MAX_ATTEMPTS } from 'quorumkey/server';
import { KEY_ID, policy2of3, fastPassword } from './helpers.mjs';

await qk.ready();
const keyServer = await KeyServer.create({ seed: crypto.getRandomValues(new Uint8Array(32)), issuer: KEY_ID });
const store = new MemoryStore();
// The app authenticates; here a bearer token is the user id itself (tests only).
const authenticate = (req) => (req.headers.authorization ?? '').replace(/^Bearer /, '') || null;
const http = createServer(keyServer.nodeHandler({ store, authenticate }));
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${http.address().port}`;
after(() => http.close());

const client = (user) => new qk.KeyServerClient({ url: base, token: user });
const raw = (path, init = {}) => fetch(`${base}${path}`, init);

test('enroll and unlock over HTTP with a password', async () => {
  const servers = { [KEY_ID]: client('dora@example.com') };
  const e = await qk.enroll({ policy: policy2of3, servers, password: fastPassword('hunter2') });
  const unit = e.vault.seal('vendor:acme', 'dora / pw');
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: fastPassword('hunter2') });
  assert.equal(v.openText(unit), 'dora / pw');
  await assert.rejects(qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: fastPassword('nope') }),
    (err) => err.code === 'wrong_password' && err.guessesRemaining === 9);
});

test('HTTP statuses and error bodies', async () => {
  const expect = async (res, status, code) => {
    assert.equal(res.status, status);
    if (code) assert.equal((await res.json()).error.code, code);
  };
  await expect(await raw('/v1/keys'), 401, 'unauthorized');
  assert.equal((await raw('/v1/keys')).headers.get('www-authenticate'), 'Bearer');
  const auth = { authorization: 'Bearer erin' };
  await expect(await raw('/v1/keys', { headers: auth }), 404, 'no_record');
  await expect(await raw('/v1/nothing', { headers: auth }), 404, 'not_found');
  await expect(await raw('/v1/evaluate', { headers: auth }), 405, 'method_not_allowed');
  await expect(await raw('/v1/keys', { method: 'POST', headers: auth }), 201);
  await expect(await raw('/v1/keys', { method: 'POST', headers: auth }), 200);
  await expect(await raw('/v1/keys/2', { method: 'DELETE', headers: auth }), 409, 'newest_key_version');
  await expect(await raw('/v1/keys/x', { method: 'DELETE', headers: auth }), 400, 'invalid_version');
  await expect(await raw('/v1/keys/7', { method: 'DELETE', headers: auth }), 404, 'unknown_key_version');
  await expect(await raw('/v1/evaluate', { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'hi' }), 415, 'unsupported_media_type');
  await expect(await raw('/v1/evaluate', { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(16 * 1024 + 1) }), 413, 'body_too_large');
  await expect(await raw('/v1/evaluate', { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array([1, 2, 3]) }), 400, 'malformed');
  await expect(await raw('/v1/password/unlocked', { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array([0x51, 0x4b, 2, 0x0a, ...new Uint8Array(32)]) }), 409, 'password_not_set');
  const dir = await raw('/.well-known/quorumkey/key-directory');
  assert.equal(dir.status, 200);
  const body = await dir.json();
  assert.equal(body.issuer, KEY_ID);
  assert.equal(body.current_generation, 1);
  assert.match(body.generations[0].fingerprint, /^0[23][0-9a-f]{64}$/);
  // The client turns the envelope into typed errors.
  await assert.rejects(client('frank').getKeys(), (e) => e.code === 'no_record' && e.status === 404);
});

test('a guess is stored before its answer leaves; lost races retry, then busy', async () => {
  const flaky = new MemoryStore();
  let failures = 2;
  const cas = flaky.compareAndSet.bind(flaky);
  flaky.compareAndSet = async (...args) => (failures-- > 0 ? false : cas(...args));
  const t = (name, options) => keyServer.operation('gina', name, flaky, options);
  await t('add_key_version'); // fails twice, then stored
  assert.equal(qk.inspectKeySet(await t('get_keys')).newest, 1);
  flaky.compareAndSet = async () => false;
  await assert.rejects(t('add_key_version'), (e) => e.code === 'busy' && e.retryable);
  const res = await keyServer.handle({ user: 'gina', method: 'POST', path: '/v1/keys' }, flaky);
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal(MAX_ATTEMPTS, 5);
  // A store that throws is `busy` too, and the answer is withheld.
  const broken = { get: async () => { throw new Error('db down'); }, compareAndSet: async () => true, appendAudit: async () => {} };
  const r2 = await keyServer.handle({ user: 'gina', method: 'GET', path: '/v1/keys' }, broken);
  assert.equal(r2.status, 503);
});

test('concurrent guesses are all counted', async () => {
  const s = new MemoryStore();
  const servers = { [KEY_ID]: {
    evaluate: (body) => keyServer.operation('hank', 'evaluate', s, { body }),
    getKeys: () => keyServer.operation('hank', 'get_keys', s),
    addKeyVersion: () => keyServer.operation('hank', 'add_key_version', s),
    setPassword: (body) => keyServer.operation('hank', 'set_password', s, { body }),
    confirmUnlock: (body) => keyServer.operation('hank', 'confirm_unlock', s, { body }),
  } };
  const e = await qk.enroll({ policy: policy2of3, servers, password: fastPassword('right') });
  const attempts = Array.from({ length: 4 }, () => qk.Unlock.start({
    header: e.header, shares: e.deviceShares, capsules: e.capsules, password: fastPassword('wrong'),
  }));
  const answers = await Promise.all(attempts.map((u) => servers[KEY_ID].evaluate(u.requests[0].body)));
  const left = attempts.map((u, i) => {
    try {
      u.finish([answers[i]]);
      return -1;
    } catch (err) {
      return err.guessesRemaining;
    }
  }).sort();
  assert.deepEqual(left, [6, 7, 8, 9]);
});

test('the audit log is a hash chain the client can fetch', async () => {
  const c = client('ivy');
  await c.addKeyVersion();
  await c.addKeyVersion();
  await c.dropKeyVersion(1);
  const page = await c.audit({ after: 0, limit: 10 });
  assert.deepEqual(page.events.map((e) => e.action), ['key_version_added', 'key_version_added', 'key_version_dropped']);
  assert.deepEqual(page.events.map((e) => e.seq), [1, 2, 3]);
  assert.equal(page.next, 3);
  for (const e of page.events) assert.match(e.chain, /^[0-9a-f]{64}$/);
  assert.equal(new Set(page.events.map((e) => e.chain)).size, 3);
  assert.equal((await c.audit({ after: 3 })).events.length, 0);
});

test('key sets in either suite from one record (?suite=)', async () => {
  const auth = { authorization: 'Bearer ivan' };
  const expectKeySet = async (res, suiteByte) => {
    assert.equal(res.status, 200);
    const body = new Uint8Array(await res.arrayBuffer());
    // QK 02 08 ‖ suite.
    assert.deepEqual([...body.subarray(0, 5)], [0x51, 0x4b, 0x02, 0x08, suiteByte]);
    return body;
  };
  assert.equal((await raw('/v1/keys', { method: 'POST', headers: auth })).status, 201);
  await expectKeySet(await raw('/v1/keys', { headers: auth }), 0x01);
  await expectKeySet(await raw('/v1/keys?suite=p256', { headers: auth }), 0x01);
  await expectKeySet(await raw('/v1/keys?suite=ristretto255', { headers: auth }), 0x02);
  for (const bad of ['/v1/keys?suite=p384', '/v1/keys?suite=p256&x=1']) {
    const res = await raw(bad, { headers: auth });
    assert.equal(res.status, 400, bad);
    assert.equal((await res.json()).error.code, 'malformed');
  }
  const r255 = new qk.KeyServerClient({ url: base, token: 'ivan', suite: 'ristretto255' });
  assert.equal((await r255.getKeys())[4], 0x02);
  assert.throws(() => new qk.KeyServerClient({ url: base, suite: 'p384' }), (e) => e.code === 'invalid_argument');
});
