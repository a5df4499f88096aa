// The flows that landed in the core after the package's first version: revocation (rekey +
// every unit moved), unit migration before a key version is dropped, the unit index kept
// with the device share, unit versions, the tag change after a rekey, and what
// KeyServerSetup::newest pins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as qk from 'quorumkey';
import { KEY_ID, policy2of3, keyServer, fastPassword } from './helpers.mjs';

await qk.ready();

const throwsCode = (f, code) => assert.throws(f, (e) => qk.isQuorumkeyError(e) && e.code === code, `expected ${code}`);
const rejectsCode = (p, code) => assert.rejects(p, (e) => qk.isQuorumkeyError(e) && e.code === code, `expected ${code}`);
const newPhone = {
  threshold: 2,
  holders: [
    { id: 4, kind: 'device', label: 'new phone' },
    { id: 2, kind: 'keyServer', label: 'key server', keyId: KEY_ID },
    { id: 3, kind: 'custodian', label: 'recovery card' },
  ],
};

async function gatedUnit(vault, t, unitId, plaintext, info) {
  const seal = vault.sealGated(unitId, plaintext, { keyId: KEY_ID, keySet: await t.getKeys(), info });
  return seal.finish(await t.evaluate(seal.request.body));
}

async function readAll(vault, t, units) {
  const read = vault.readUnits(units);
  const results = read.finish(await Promise.all(read.requests.map((r) => t.evaluate(r.body).catch(() => null))));
  return results.map((r) => (r.ok ? new TextDecoder().decode(r.plaintext) : r.error.code));
}

test('revoke: a rekey with every unit moved (gated ones to the new key version), tags moved, old versions dropped', async () => {
  const ks = await keyServer();
  const servers = ks.servers();
  const t = servers[KEY_ID];
  const pin = fastPassword('2468');
  const e = await qk.enroll({ policy: policy2of3, servers, password: pin });
  const acme = e.vault.seal('vendor:acme', 'alice / hunter2');
  const globex = await gatedUnit(e.vault, t, 'vendor:globex', 'alice@globex / s3cret!', 'vendor:globex');
  const card = e.cards[0].toSecretText();
  e.vault.lock();

  // The phone is lost: recover with the card, the kit and the PIN, then revoke.
  const { vault, header, capsules } = await qk.recover({ kit: e.recoveryKit, cards: [card], servers, password: pin });
  const revoked = await qk.revoke(vault, { header, capsules, servers, policy: newPhone, password: pin, units: [acme, globex] });
  assert.equal(qk.inspectHeader(revoked.header).epoch, 1);
  assert.equal(revoked.deviceShares[0].holder, 4);
  assert.deepEqual(revoked.units.map((u) => qk.inspectUnit(u).version), [2, 2]);
  assert.equal(qk.inspectUnit(revoked.units[1]).gateKeyVersion, 2);
  assert.equal(qk.inspectCapsule(revoked.capsules[0]).keyVersion, 2);
  await revoked.commit();
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).versions.map((v) => v.version), [2]);

  // The new phone unlocks with the PIN (the unlock tag moved: the proof is accepted).
  const fresh = await qk.unlock({ header: revoked.header, shares: revoked.deviceShares, capsules: revoked.capsules, servers, password: pin, headerDigest: revoked.headerDigest });
  assert.deepEqual(await readAll(fresh, t, revoked.units), ['alice / hunter2', 'alice@globex / s3cret!']);
  // The old phone's share and the old card rebuild the old secret, but open nothing sealed since.
  const thief = qk.Unlock.start({ header: e.header, shares: [e.deviceShares[0], qk.ShareCard.fromText(card)] }).finish([]);
  throwsCode(() => thief.open(revoked.units[0]), 'unit_open');
  throwsCode(() => thief.open(fresh.seal('vendor:initech', 'alice / new!')), 'unit_open');
  // The old capsule is shredded with its key version.
  await rejectsCode(qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: pin }), 'untrusted_key');
  fresh.lock();
  thief.lock();
});

test('reseal moves gated units to the new key version before commit drops the old one', async () => {
  const ks = await keyServer();
  const servers = ks.servers();
  const t = servers[KEY_ID];
  const e = await qk.enroll({ policy: policy2of3, servers });
  const plain = e.vault.seal('a', 'one');
  const gated = await gatedUnit(e.vault, t, 'b', 'two');
  const r = await qk.reseal(e.vault, { header: e.header, capsules: e.capsules, servers, units: [plain, gated] });
  assert.equal(qk.inspectUnit(r.units[1]).gateKeyVersion, 2);
  await r.commit();
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).versions.map((v) => v.version), [2]);
  const v = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: r.capsules, servers });
  assert.deepEqual(await readAll(v, t, r.units), ['one', 'two']);
  // The unit left behind died with version 1: the server no longer evaluates its gate.
  assert.deepEqual(await readAll(v, t, [gated]), ['unit_gate_refused']);
  v.lock();
});

test('migrateUnits: one gate mode per key server; mixed labels need unitInfo', async () => {
  const ks = await keyServer();
  const servers = ks.servers();
  const t = servers[KEY_ID];
  const e = await qk.enroll({ policy: policy2of3, servers });
  const units = [await gatedUnit(e.vault, t, 'x', 'X', 'label one'), await gatedUnit(e.vault, t, 'y', 'Y', 'label two')];
  await t.addKeyVersion();
  await rejectsCode(qk.migrateUnits(e.vault, { units, servers }), 'invalid_argument');
  const moved = await qk.migrateUnits(e.vault, { units, servers, unitInfo: { [KEY_ID]: 'vendors' } });
  assert.deepEqual(moved.map((u) => [qk.inspectUnit(u).gateKeyVersion, new TextDecoder().decode(qk.inspectUnit(u).info)]), [[2, 'vendors'], [2, 'vendors']]);
  assert.deepEqual(await readAll(e.vault, t, moved), ['X', 'Y']);
  // The step API, with the same vault on both sides: a migration that moves nothing still
  // seals every unit as its next version.
  const step = qk.UnitMigration.start({ units: [e.vault.seal('z', 'Z')] });
  assert.equal(step.requests.length, 0);
  const [z] = step.finish(e.vault, e.vault, []);
  assert.equal(qk.inspectUnit(z).version, 2);
});

test('UnitIndex: unit versions, rollback detection, kept with the device share', async () => {
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const vaultId = qk.inspectHeader(e.header).vaultId;
  const v1 = e.vault.seal('vendor:acme', 'one');
  const v2 = e.vault.update(v1, 'two');
  assert.equal(qk.inspectUnit(v2).version, 2);
  const index = qk.UnitIndex.create(vaultId);
  index.observe(v1);
  index.observe(v2);
  assert.equal(index.latest('vendor:acme'), 2);
  assert.equal(index.latest('other'), undefined);
  throwsCode(() => index.check(v1), 'unit_rollback');
  const other = await qk.enroll({ policy: policy2of3, servers: ks.servers('bob') });
  throwsCode(() => index.check(other.vault.seal('vendor:acme', 'x')), 'wrong_vault');

  const dir = await mkdtemp(join(tmpdir(), 'qk-index-'));
  try {
    const store = new qk.FileShareStore({ directory: dir });
    await store.save(vaultId, e.deviceShares[0]);
    await store.saveIndex(vaultId, index);
    for (const f of await readdir(dir)) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600);
    const back = await store.loadIndex(vaultId);
    assert.deepEqual(back.toBytes(), index.toBytes());
    throwsCode(() => back.check(v1), 'unit_rollback');
    back.forget('vendor:acme');
    back.check(v1);
    await store.delete(vaultId);
    assert.equal(await store.loadIndex(vaultId), null);
    const memory = new qk.MemoryShareStore();
    await memory.saveIndex(vaultId, index);
    assert.equal((await memory.loadIndex(vaultId)).latest('vendor:acme'), 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  throwsCode(() => qk.UnitIndex.fromBytes(new Uint8Array([0x51, 0x4b, 2, 0x0d])), 'malformed');
});

test('updateGated: the next version behind a fresh gate; the index refuses the old one', async () => {
  const ks = await keyServer();
  const t = ks.servers()[KEY_ID];
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const v1 = await gatedUnit(e.vault, t, 'vendor:acme', 'old password', 'vendor:acme');
  const seal = e.vault.updateGated(v1, 'new password', { keyId: KEY_ID, keySet: await t.getKeys(), info: 'vendor:acme' });
  const v2 = seal.finish(await t.evaluate(seal.request.body));
  assert.deepEqual([qk.inspectUnit(v1).version, qk.inspectUnit(v2).version], [1, 2]);
  assert.deepEqual(await readAll(e.vault, t, [v1, v2]), ['old password', 'new password']);
  const index = qk.UnitIndex.create(qk.inspectHeader(e.header).vaultId);
  index.observe(v1);
  index.observe(v2);
  throwsCode(() => index.check(v1), 'unit_rollback');
  const keySet = await t.getKeys();
  throwsCode(() => e.vault.updateGated(new Uint8Array(3), 'x', { keyId: KEY_ID, keySet }), 'malformed');
});

test('keyServerSetup: what enrolling pins (KeyServerSetup::newest)', async () => {
  const ks = await keyServer();
  const t = ks.servers()[KEY_ID];
  const keySet = await t.addKeyVersion();
  const pinned = qk.keyServerSetup(2, keySet);
  assert.deepEqual([pinned.holder, pinned.keyVersion, pinned.purpose, pinned.mode, pinned.info], [2, 1, 'capsule', 'voprf', null]);
  assert.equal(pinned.publicKey.length, 33);
  assert.equal(qk.keyServerSetup(2, keySet, { info: 'x' }).mode, 'poprf');
  throwsCode(() => qk.keyServerSetup(2, keySet, { password: true }), 'missing_pin');
});

test('rekey with a password moves the unlock tag (tag_change), and the old tag no longer proves', async () => {
  const ks = await keyServer();
  const servers = ks.servers();
  const t = servers[KEY_ID];
  const pin = fastPassword('1357');
  const e = await qk.enroll({ policy: policy2of3, servers, password: pin });
  const next = await qk.rekey(e.vault, { header: e.header, capsules: e.capsules, servers, password: pin });
  await t.confirmUnlock(next.vault.unlockProof(KEY_ID));
  await rejectsCode(t.confirmUnlock(e.vault.unlockProof(KEY_ID)), 'unlock_tag_mismatch');
});

test('newPassword: after the burn, the device share and the card open the vault and set a new PIN', async () => {
  const ks = await keyServer();
  const servers = ks.servers();
  const t = servers[KEY_ID];
  const e = await qk.enroll({ policy: policy2of3, servers, password: fastPassword('4711'), maxGuesses: 2 });
  const unit = e.vault.seal('vendor', 'kept');
  const gated = await gatedUnit(e.vault, t, 'vendor:globex', 'behind its gate');
  const wrong = { header: e.header, shares: e.deviceShares, capsules: e.capsules, servers, password: fastPassword('0000') };
  await assert.rejects(qk.unlock(wrong), (err) => err.code === 'wrong_password' && err.guessesRemaining === 1);
  await assert.rejects(qk.unlock(wrong), (err) => err.code === 'wrong_password' && err.guessesRemaining === 0);
  assert.equal(qk.inspectKeySet(await t.getKeys()).guard.state, 'burned');

  // The device share and the card reach t = 2 without the key server.
  const card = qk.ShareCard.fromText(e.cards[0].toSecretText());
  const vault = await qk.unlock({ header: e.header, shares: [e.deviceShares[0], card], capsules: [], servers });
  throwsCode(() => vault.passwordSetup(KEY_ID, 0), 'invalid_argument');
  const pin = fastPassword('2580');
  const changed = await qk.newPassword(vault, { header: e.header, capsules: e.capsules, servers, password: pin, maxGuesses: 3, units: [unit, gated] });
  await changed.commit();
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).versions.map((v) => v.version), [2]);
  // The gated unit moved to the new key version before the old one was dropped.
  assert.deepEqual(await readAll(vault, t, changed.units), ['kept', 'behind its gate']);
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).guard, { state: 'active', maxGuesses: 3, guessesRemaining: 3 });
  // A live guard is not replaced: a password change is a reseal.
  await rejectsCode(qk.newPassword(vault, { header: e.header, capsules: changed.capsules, servers, password: pin }), 'password_already_set');

  const device = { header: e.header, shares: e.deviceShares, servers };
  const opened = await qk.unlock({ ...device, capsules: changed.capsules, password: pin });
  assert.equal(opened.openText(unit), 'kept');
  await assert.rejects(qk.unlock({ ...device, capsules: changed.capsules, password: fastPassword('4711') }),
    (err) => err.code === 'wrong_password' && err.guessesRemaining === 2);
  // The capsule sealed before the burn stays dead.
  await rejectsCode(qk.unlock({ ...device, capsules: e.capsules, password: pin }), 'untrusted_key');
});
