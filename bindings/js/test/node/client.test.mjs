// The client API through the installed package (ESM): enrollment, unlock, units, recovery,
// re-deal, rekey, re-seal, gated units, passwords, auto-lock, handles and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as qk from 'quorumkey';
import { KEY_ID, policy2of3, keyServer, fastPassword } from './helpers.mjs';

await qk.ready();

const rejectsCode = async (p, code) => assert.rejects(p, (e) => qk.isQuorumkeyError(e) && e.code === code, `expected ${code}`);
const throwsCode = (f, code) => assert.throws(f, (e) => {
  assert.ok(e instanceof qk.QuorumkeyError, `not a QuorumkeyError: ${e}`);
  assert.equal(e.code, code, e.message);
  return true;
});

test('enroll, seal, lock, unlock, open', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  assert.equal(e.deviceShares.length, 1);
  assert.equal(e.cards.length, 1);
  assert.equal(e.capsules.length, 1);
  const unit = e.vault.seal('vendor:acme', 'alice / hunter2');
  assert.equal(qk.inspectUnit(unit).unitIdText, 'vendor:acme');
  assert.equal(qk.inspectUnit(unit).version, 1);
  e.vault.lock();
  assert.equal(e.vault.locked, true);
  throwsCode(() => e.vault.open(unit), 'locked');
  const vault = await qk.unlock({
    header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: ks.servers(), headerDigest: e.headerDigest,
  });
  assert.equal(vault.openText(unit), 'alice / hunter2');
  assert.deepEqual(vault.open(unit), new TextEncoder().encode('alice / hunter2'));
  const v2 = vault.update(unit, 'alice / hunter3');
  assert.equal(qk.inspectUnit(v2).version, 2);
  assert.equal(vault.openText(v2), 'alice / hunter3');
  vault[Symbol.dispose]();
  throwsCode(() => vault.seal('a', 'b'), 'locked');
});

test('the step API takes and returns bytes', async () => {
  const ks = await keyServer();
  const t = ks.servers()[KEY_ID];
  const keySet = await t.addKeyVersion();
  const enrollment = qk.Enrollment.create(policy2of3);
  const header = enrollment.header;
  assert.equal(qk.inspectHeader(header).epoch, 0);
  const pending = enrollment.requestGates([{ holder: 2, keySet }]);
  throwsCode(() => enrollment.header, 'consumed');
  assert.equal(pending.requests.length, 1);
  const [request] = pending.requests;
  assert.equal(request.keyId, KEY_ID);
  assert.deepEqual([...request.holders], [2]);
  assert.equal(request.purpose, 'capsule');
  const enrolled = pending.finish([await t.evaluate(request.body)]);
  throwsCode(() => pending.finish([]), 'consumed');
  const unlock = qk.Unlock.start({ header: enrolled.header, shares: enrolled.deviceShares, capsules: enrolled.capsules,
    trust: { keySets: { [KEY_ID]: keySet } } });
  const vault = unlock.finish(await Promise.all(unlock.requests.map((r) => t.evaluate(r.body))));
  assert.equal(vault.epoch, 0);
  assert.deepEqual(vault.vaultId, qk.inspectHeader(enrolled.header).vaultId);
  vault.lock();
});

test('a server that refuses is tolerated while t shares remain', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const unit = e.vault.seal('u', 'x');
  const card = qk.ShareCard.fromText(e.cards[0].toSecretText());
  const u = qk.Unlock.start({ header: e.header, shares: [e.deviceShares[0], card], capsules: e.capsules });
  const vault = u.finish(u.requests.map(() => null));
  assert.equal(vault.openText(unit), 'x');
  const u2 = qk.Unlock.start({ header: e.header, shares: [e.deviceShares[0]], capsules: e.capsules });
  throwsCode(() => u2.finish([null]), 'not_enough_shares');
});

test('recovery from a card and the recovery kit, then re-deal to a new device', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const unit = e.vault.seal('vendor:acme', 'secret');
  const cardText = e.cards[0].toSecretText();
  assert.match(cardText, /^QK2-/);
  const { vault, header, capsules } = await qk.recover({ kit: e.recoveryKit, cards: [cardText.toLowerCase()], servers: ks.servers() });
  assert.equal(vault.openText(unit), 'secret');
  const newPolicy = {
    threshold: 2,
    holders: [
      { id: 4, kind: 'device', label: 'new phone' },
      { id: 2, kind: 'keyServer', label: 'key server', keyId: KEY_ID },
      { id: 3, kind: 'custodian', label: 'recovery card' },
    ],
  };
  const next = await qk.redeal(vault, { header, capsules, policy: newPolicy, servers: ks.servers() });
  assert.equal(qk.inspectHeader(next.header).epoch, 1);
  assert.equal(next.deviceShares[0].holder, 4);
  assert.equal(next.vault.openText(unit), 'secret');
  await next.commit();
  // The old device share and old capsule are revoked: the old key version is gone, so the
  // key server's key set no longer vouches for the old capsule's key (and the server would
  // refuse to evaluate it).
  await rejectsCode(qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: ks.servers() }), 'untrusted_key');
  const old = qk.Unlock.start({ header: e.header, shares: e.deviceShares, capsules: e.capsules });
  await rejectsCode(ks.servers()[KEY_ID].evaluate(old.requests[0].body), 'unknown_key_version');
  const again = await qk.unlock({ header: next.header, shares: next.deviceShares, capsules: next.capsules, servers: ks.servers() });
  assert.equal(again.openText(unit), 'secret');
});

test('rekey re-encrypts units under a new secret', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const units = [e.vault.seal('a', 'one'), e.vault.seal('b', 'two')];
  const next = await qk.rekey(e.vault, { header: e.header, capsules: e.capsules, servers: ks.servers(), units });
  assert.deepEqual(next.units.map((u) => next.vault.openText(u)), ['one', 'two']);
  throwsCode(() => next.vault.open(units[0]), 'unit_open');
  await next.commit();
});

test('re-seal after rotation, and needsReseal', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const keys = await ks.servers()[KEY_ID].getKeys();
  assert.equal(qk.needsReseal(e.capsules[0], keys), false);
  const r = await qk.reseal(e.vault, { header: e.header, capsules: e.capsules, servers: ks.servers() });
  assert.equal(qk.inspectCapsule(r.capsules[0]).keyVersion, 2);
  await r.commit();
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: r.capsules, servers: ks.servers() });
  v.lock();
});

test('password: wrong guesses carry guessesRemaining, a right one resets the counter', async () => {
  const ks = await keyServer();
  const pw = fastPassword('correct horse');
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers(), password: pw, maxGuesses: 3 });
  assert.equal(qk.inspectCapsule(e.capsules[0]).needsPassword, true);
  const unit = e.vault.seal('u', 'behind a password');
  const args = { header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: ks.servers() };
  await assert.rejects(qk.unlock({ ...args, password: fastPassword('wrong') }), (err) => {
    assert.ok(err instanceof qk.WrongPasswordError);
    assert.equal(err.code, 'wrong_password');
    assert.equal(err.guessesRemaining, 2);
    assert.equal(err.holder, 2);
    return true;
  });
  await rejectsCode(qk.unlock({ ...args }), 'password_presence');
  const v = await qk.unlock({ ...args, password: pw });
  assert.equal(v.openText(unit), 'behind a password');
  const state = qk.inspectKeySet(await ks.servers()[KEY_ID].getKeys()).guard;
  assert.deepEqual(state, { state: 'active', maxGuesses: 3, guessesRemaining: 3 });
});

test('password: the guard burns after max guesses', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers(), password: fastPassword('pin 1234'), maxGuesses: 2 });
  const args = { header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: ks.servers(), password: fastPassword('0000') };
  await assert.rejects(qk.unlock(args), (err) => err.code === 'wrong_password' && err.guessesRemaining === 1);
  await assert.rejects(qk.unlock(args), (err) => err.code === 'wrong_password' && err.guessesRemaining === 0);
  const t = ks.servers()[KEY_ID];
  assert.equal(qk.inspectKeySet(await t.getKeys()).guard.state, 'burned');
  // The password keys are gone: the key set no longer has them (the unlock says the guard
  // burned), and the server refuses.
  await rejectsCode(qk.unlock({ ...args, password: fastPassword('pin 1234') }), 'password_burned');
  const u = qk.Unlock.start({ header: e.header, shares: e.deviceShares, capsules: e.capsules, password: fastPassword('pin 1234') });
  await rejectsCode(t.evaluate(u.requests[0].body), 'password_burned');
});

test('gated units: sealed behind their own gate, read in one batch', async () => {
  const ks = await keyServer();
  const t = ks.servers()[KEY_ID];
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const keySet = await t.getKeys();
  const seal = e.vault.sealGated('vendor:globex', 'bob / s3cret', { keyId: KEY_ID, keySet, info: 'vendor:globex' });
  const gated = seal.finish(await t.evaluate(seal.request.body));
  assert.equal(qk.inspectUnit(gated).gated, true);
  throwsCode(() => e.vault.open(gated), 'unit_gate');
  const plain = e.vault.seal('plain', 'p');
  const read = e.vault.readUnits([gated, plain]);
  assert.equal(read.requests.length, 1);
  const results = read.finish(await Promise.all(read.requests.map((r) => t.evaluate(r.body))));
  assert.deepEqual(results.map((r) => r.ok), [true, true]);
  assert.equal(new TextDecoder().decode(results[0].plaintext), 'bob / s3cret');
  const refused = e.vault.readUnits([gated]).finish([null]);
  assert.equal(refused[0].ok, false);
  assert.equal(refused[0].error.code, 'unit_gate_refused');
  assert.ok(refused[0].error instanceof qk.QuorumkeyError);
});

test('idle auto-lock', async () => {
  const ks = await keyServer();
  let reason;
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers(), idleTimeout: 80, onLock: (r) => { reason = r; } });
  const unit = e.vault.seal('u', 'x');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(e.vault.openText(unit), 'x'); // use resets the timer
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(e.vault.locked, false);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(e.vault.locked, true);
  assert.equal(reason, 'idle');
  throwsCode(() => e.vault.open(unit), 'locked');
});

test('device storage: a file with mode 0600', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const dir = await mkdtemp(join(tmpdir(), 'qk-'));
  try {
    const store = new qk.FileShareStore({ directory: join(dir, 'shares') });
    const vaultId = qk.inspectHeader(e.header).vaultId;
    await store.save(vaultId, e.deviceShares[0]);
    const files = (await import('node:fs')).readdirSync(join(dir, 'shares'));
    assert.equal(files.length, 1);
    assert.equal((await stat(join(dir, 'shares', files[0]))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'shares'))).mode & 0o777, 0o700);
    const loaded = await store.load(vaultId);
    assert.equal(loaded.holder, 1);
    const v = await qk.unlock({ header: e.header, shares: [loaded], capsules: e.capsules, servers: ks.servers() });
    v.lock();
    await store.delete(vaultId);
    assert.equal(await store.load(vaultId), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('device storage: a secure-storage adapter (as for Tauri or Capacitor plugins)', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const kv = new Map();
  const store = new qk.SecureStorageShareStore({
    get: async (k) => kv.get(k) ?? null, set: async (k, v) => { kv.set(k, v); }, remove: async (k) => { kv.delete(k); },
  });
  const vaultId = qk.inspectHeader(e.header).vaultId;
  await store.save(vaultId, e.deviceShares[0]);
  assert.equal(kv.size, 1);
  assert.match([...kv.keys()][0], /^quorumkey\.device-share\.[0-9a-f]{32}$/);
  assert.equal((await store.load(vaultId)).epoch, 0);
  throwsCode(() => new qk.SecureStorageShareStore({ get() {} }), 'invalid_argument');
});

test('bad input from JavaScript is a typed error, never a trap', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const unit = e.vault.seal('u', 'x');
  for (const bad of [undefined, null, 'text', 42, {}, [1, 2], new ArrayBuffer(4), 10n]) {
    throwsCode(() => qk.inspectHeader(bad), 'invalid_argument');
    throwsCode(() => e.vault.open(bad), 'invalid_argument');
  }
  // Truncated and extended bytes of every kind.
  for (const object of [e.header, unit, e.capsules[0], e.recoveryKit]) {
    for (const cut of [0, 1, 3, 4, object.length - 1]) {
      const short = object.slice(0, cut);
      // A header cut inside its commitments is reported by the sharing layer.
      assert.throws(() => qk.inspectHeader(short), (err) => ['malformed', 'invalid_sharing'].includes(err.code));
      throwsCode(() => e.vault.open(short), 'malformed');
      throwsCode(() => qk.inspectCapsule(short), 'malformed');
    }
    const long = new Uint8Array([...object, 0]);
    throwsCode(() => qk.openRecoveryKit(long), 'malformed');
  }
  // A detached buffer.
  const copy = unit.slice();
  structuredClone(copy.buffer, { transfer: [copy.buffer] });
  throwsCode(() => e.vault.open(copy), 'invalid_argument');
  // Wrong shapes and ranges.
  throwsCode(() => qk.Enrollment.create({ threshold: 2.5, holders: [] }), 'invalid_argument');
  throwsCode(() => qk.Enrollment.create({ threshold: 2, holders: [{ id: 300, kind: 'device', label: 'x' }] }), 'invalid_argument');
  throwsCode(() => qk.Enrollment.create({ threshold: 2, holders: [{ id: 1, kind: 'phone', label: 'x' }] }), 'invalid_argument');
  throwsCode(() => qk.Enrollment.create({ threshold: 3, holders: policy2of3.holders.slice(0, 2) }), 'invalid_policy');
  throwsCode(() => qk.Unlock.start({ header: e.header, shares: ['not a share'] }), 'invalid_argument');
  throwsCode(() => e.vault.seal('', 'x'), 'unit_id_length');
  throwsCode(() => e.vault.seal('x'.repeat(65), 'x'), 'unit_id_length');
  throwsCode(() => e.vault.seal('x', new Uint8Array(64 * 1024 + 1)), 'unit_too_large');
  throwsCode(() => qk.ShareCard.fromText('QK2-0000'), 'invalid_card');
  throwsCode(() => new qk.UnlockedVault(), 'invalid_argument');
  // Responses of the wrong kind or count.
  const u = qk.Unlock.start({ header: e.header, shares: e.deviceShares, capsules: e.capsules });
  throwsCode(() => u.finish([e.header]), 'malformed');
  throwsCode(() => u.finish([]), 'response_count');
  // A disposed handle, used again.
  const share = qk.DeviceShare.fromSecretBytes(e.deviceShares[0].exportSecret());
  share.dispose();
  throwsCode(() => share.exportSecret(), 'consumed');
  throwsCode(() => qk.Unlock.start({ header: e.header, shares: [share], capsules: e.capsules }), 'consumed');
  share.dispose();
  // Async flows reject (never hang) on bad input.
  await rejectsCode(qk.unlock({ header: 'x' }), 'invalid_argument');
  await rejectsCode(qk.enroll({ policy: policy2of3, servers: {} }), 'invalid_argument');
  await rejectsCode(qk.enroll({ policy: policy2of3, servers: { [KEY_ID]: { getKeys: async () => { throw new Error('down'); } } } }), 'transport');
});
