// The PostgreSQL store: the same conformance checks as the memory store, a race with one
// winner, and an enrollment through it. Needs TEST_DATABASE_URL (CI starts PostgreSQL).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as qk from 'quorumkey';
import { KeyServer } from 'quorumkey/server';
import { PgStore } from 'quorumkey/server/pg';
import { KEY_ID, policy2of3, fastPassword } from './helpers.mjs';

const url = process.env.TEST_DATABASE_URL;
if (!url && process.env.CI) throw new Error('TEST_DATABASE_URL must be set in CI: the PostgreSQL tests may not skip');
const schema = `qk_test_${process.pid}_${Date.now() % 100000}`;
let store;
if (url) {
  store = await PgStore.create({ connectionString: url, schema });
  after(async () => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA "${schema}" CASCADE`);
    await c.end();
    await store.close();
  });
}
const opts = { skip: url ? false : 'TEST_DATABASE_URL is not set: PostgreSQL tests skipped' };

test('PgStore: compare-and-set has exactly one winner', opts, async () => {
  const audit = { fields: { action: 'key_version_added' }, chain: () => new Uint8Array(32).fill(1) };
  assert.equal(await store.get('race'), null);
  const first = await Promise.all([1, 2, 3].map((i) => store.compareAndSet('race', null, new Uint8Array([i]), { version: 1, audit })));
  assert.equal(first.filter(Boolean).length, 1);
  const second = await Promise.all([4, 5].map((i) => store.compareAndSet('race', 1, new Uint8Array([i]), { version: 2, audit })));
  assert.equal(second.filter(Boolean).length, 1);
  assert.equal(await store.compareAndSet('race', 1, new Uint8Array([9]), { version: 2, audit }), false);
  const log = await store.listAudit('race', 0, 10);
  assert.deepEqual(log.map((e) => e.seq), [1, 2]);
});

test('PgStore: enroll and unlock, guesses counted in the database', opts, async () => {
  await qk.ready();
  const server = await KeyServer.create({ seed: new Uint8Array(32).fill(3) });
  const op = (name, o) => server.operation('pg-user', name, store, o);
  const servers = { [KEY_ID]: {
    evaluate: (body) => op('evaluate', { body }), getKeys: () => op('get_keys'), addKeyVersion: () => op('add_key_version'),
    setPassword: (body) => op('set_password', { body }), confirmUnlock: (body) => op('confirm_unlock', { body }),
  } };
  const e = await qk.enroll({ policy: policy2of3, servers, password: fastPassword('pg') });
  const unit = e.vault.seal('u', 'in postgres');
  await assert.rejects(qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: fastPassword('no') }),
    (err) => err.guessesRemaining === 9);
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: fastPassword('pg') });
  assert.equal(v.openText(unit), 'in postgres');
  const log = await store.listAudit('pg-user', 0, 100);
  assert.ok(log.length >= 6);
  assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
});
