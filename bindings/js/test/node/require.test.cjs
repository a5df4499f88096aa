// The same package through require() (CommonJS): loads without flags, same API, same errors.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const qk = require('quorumkey');
const { KeyServer, MemoryStore } = require('quorumkey/server');

test('require(): enroll, unlock, errors', async () => {
  assert.throws(() => qk.inspectHeader(new Uint8Array(4)), (e) => e.code === 'not_ready' || e.code === 'malformed');
  await qk.ready();
  const server = await KeyServer.create({ seed: new Uint8Array(32).fill(7) });
  const store = new MemoryStore();
  const op = (name, options) => server.operation('carol', name, store, options);
  const t = {
    evaluate: (body) => op('evaluate', { body }), getKeys: () => op('get_keys'), addKeyVersion: () => op('add_key_version'),
    dropKeyVersion: (version) => op('drop_key_version', { version }), setPassword: (body) => op('set_password', { body }),
    confirmUnlock: (body) => op('confirm_unlock', { body }), changeTag: (body) => op('change_tag', { body }),
  };
  const policy = { threshold: 2, holders: [
    { id: 1, kind: 'device', label: 'laptop' },
    { id: 2, kind: 'keyServer', label: 'keys', keyId: 'k' },
  ] };
  const e = await qk.enroll({ policy, servers: { k: t } });
  const unit = e.vault.seal('vendor:initech', 'peter / tps');
  e.vault.lock();
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: { k: t } });
  assert.equal(v.openText(unit), 'peter / tps');
  assert.throws(() => v.open('x'), (err) => err instanceof qk.QuorumkeyError && err.code === 'invalid_argument' && err.number === 6001);
  assert.equal(qk.errorCodes.wrong_password.number, 3003);
  assert.equal(typeof qk.FileShareStore, 'function');
  v.lock();
  server.dispose();
});
