// spec/vectors/ replayed through the package's JavaScript API.
//
// protocol.json: both scenarios, byte for byte — every request, response, header, share,
// capsule, card, unit, key set, user record and audit event (bytes and chain link). The
// vectors fix every draw of randomness (each party's ChaCha20 keystream), so this replay
// needs the TESTS-ONLY module built with `node build.mjs --test-rng` (named deterministic
// streams, src/test_rng.rs): it is swapped into a copy of the installed package, whose
// JavaScript is used unchanged. The published package has no such module.
//
// negative.json: every input is refused with its `code`, through the installed package as
// published: decoders of public objects (inspect*, DeviceShare.fromSecretBytes,
// ShareCard.fromText, openRecoveryKit), Unlock.start and Unlock.finish (gate responses),
// and the key-server role's HTTP handler for what a key server decodes (gate requests,
// password setups, unlock proofs, tag changes, stored user records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as qk from 'quorumkey';
import { KeyServer } from 'quorumkey/server';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
const dir = join(repo, 'spec', 'vectors');
const pkgDir = dirname(createRequire(import.meta.url).resolve('quorumkey/package.json'));
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b) => Buffer.from(b).toString('hex');
const text = (s) => new TextDecoder().decode(hex(s));
const eqHex = (actual, expected, what) => assert.equal(toHex(actual), expected, what);

await qk.ready();

test('spec/vectors holds exactly the files this replay knows', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, ['negative.json', 'protocol.json']);
});

// ---------------------------------------------------------------------------------------
// protocol.json

/** The 2026-01-01T00:00:00Z of the vectors' audit chains; one second per event. */
const T0_MS = 1_767_225_600_000;

/** One key server's store as the vectors' generator keeps it: records, audit chain. */
class VectorStore {
  record = null;
  version = null;
  records = [];
  audit = [];
  link = new Uint8Array(32);

  async get() { return this.record; }

  async compareAndSet(user, expected, record, { version, audit } = {}) {
    if (expected !== this.version) return false;
    this.record = record.slice();
    this.version = version;
    this.records.push(toHex(record));
    if (audit) this.#append(audit);
    return true;
  }

  async appendAudit(user, audit) { this.#append(audit); }

  #append(audit) {
    const seq = this.audit.length + 1;
    const timeMs = T0_MS + 1000 * seq;
    this.link = audit.chain(this.link, seq, timeMs);
    this.audit.push({ seq, time_ms: timeMs, action: audit.fields.action, bytes: toHex(audit.bytes), chain: toHex(this.link) });
  }
}

const KEY_SET_OPS = new Set(['add_key_version', 'get_keys', 'set_password', 'confirm_unlock', 'change_tag', 'drop_key_version']);

/** A key server of a vector: the package's KeyServer, its store, its random stream. */
async function vectorServer(m, v, ksv) {
  const server = await m.server.KeyServer.create({ seed: hex(ksv.master_seed), issuer: ksv.key_id });
  m.glue.testRngSeed(server.keyDirectory().generations[0].fingerprint, hex(ksv.randomness.seed));
  const store = new VectorStore();
  const keySets = [];
  const user = text(v.user_id);
  return {
    keyId: ksv.key_id,
    store,
    keySets,
    async op(name, options) {
      const body = await server.operation(user, name, store, options);
      if (KEY_SET_OPS.has(name)) keySets.push(toHex(body));
      return body;
    },
    /** Everything the server stored and served, against the vector. */
    check() {
      assert.deepEqual(store.records, ksv.records.map((r) => r.bytes), `${ksv.key_id}: user records`);
      assert.deepEqual(keySets, ksv.key_sets.map((k) => k.bytes), `${ksv.key_id}: key sets`);
      assert.deepEqual(store.audit, ksv.audit.map(({ seq, time_ms, action, bytes, chain }) => ({ seq, time_ms, action, bytes, chain })),
        `${ksv.key_id}: audit events and chain`);
    },
  };
}

/** The installed package, copied, with the TESTS-ONLY module swapped in. */
async function seededPackage() {
  const built = process.env.QUORUMKEY_TEST_RNG_DIR ?? join(repo, 'target', 'npm', 'test-rng');
  if (!existsSync(join(built, 'glue-server.js'))) return null;
  const copy = mkdtempSync(join(tmpdir(), 'qk-vectors-'));
  cpSync(pkgDir, copy, { recursive: true });
  cpSync(join(built, 'glue-server.js'), join(copy, 'dist', 'esm', 'glue-server.js'));
  cpSync(join(built, 'quorumkey_server_bg.wasm'), join(copy, 'dist', 'wasm', 'quorumkey_server_bg.wasm'));
  const load = (f) => import(pathToFileURL(join(copy, 'dist', 'esm', f)).href);
  const [client, server, glue] = await Promise.all([load('node.js'), load('server.js'), load('glue-server.js')]);
  await client.ready();
  assert.equal(typeof glue.testRngSeed, 'function', 'the swapped-in module has the test seam');
  return { client, server, glue };
}

const seeded = await seededPackage();
const protocol = JSON.parse(readFileSync(join(dir, 'protocol.json'), 'utf8'));
const noSeam = seeded ? false
  : 'the TESTS-ONLY module is not built (node build.mjs --test-rng); bindings/js/ci.sh builds it';
if (!seeded && process.env.CI) throw new Error(noSeam);

test(`protocol.json #0: ${protocol.vectors[0].name}`, { skip: noSeam }, async () => {
  const v = protocol.vectors[0];
  const { client: m } = seeded;
  seeded.glue.testRngClear();
  seeded.glue.testRngSeed('client', hex(v.client_randomness.seed));
  const ks = await vectorServer(seeded, v, v.key_servers[0]);
  const keys = await ks.op('add_key_version');

  // Enrollment: deal, gate, finish.
  const enrollment = m.Enrollment.create(hex(v.enroll.policy));
  eqHex(enrollment.header, v.enroll.header, 'header');
  const pending = enrollment.requestGates([{ holder: 2, keySet: keys }]);
  const gate = v.enroll.gates[0];
  eqHex(pending.requests[0].body, gate.request, 'enroll gate request');
  const response = await ks.op('evaluate', { body: pending.requests[0].body });
  eqHex(response, gate.response, 'enroll gate response');
  const enrolled = pending.finish([response], { idleTimeout: Infinity });
  eqHex(enrolled.header, v.enroll.header, 'header');
  eqHex(m.inspectHeader(enrolled.header).digest, v.enroll.header_digest, 'header digest');
  eqHex(m.inspectHeader(enrolled.header).policy.bytes, v.enroll.policy, 'policy');
  assert.deepEqual(enrolled.capsules.map(toHex), v.enroll.capsules.map((c) => c.bytes), 'capsules');
  assert.deepEqual(enrolled.deviceShares.map((s) => [s.holder, toHex(s.exportSecret())]),
    v.enroll.device_shares.map((s) => [s.holder, s.bytes]), 'device shares');
  const card = v.enroll.cards[0];
  assert.equal(enrolled.cards[0].holder, card.holder);
  assert.equal(enrolled.cards[0].toSecretText(), card.text, 'card text');
  for (const variant of card.also_accepted) assert.equal(m.ShareCard.fromText(variant).toSecretText(), card.text, `card ${JSON.stringify(variant)}`);

  // A unit and its next version.
  const vault = enrolled.vault;
  const [u1, u2] = v.units;
  const unit = vault.seal(hex(u1.unit_id), hex(u1.plaintext));
  eqHex(unit, u1.bytes, 'unit version 1');
  const updated = vault.update(unit, hex(u2.plaintext));
  eqHex(updated, u2.bytes, 'unit version 2');
  assert.equal(m.inspectUnit(updated).version, 2);

  // Units behind their own gates, and their read (the two VOPRF units in one request).
  const gated = [];
  for (const g of v.gated_units) {
    const info = g.seal_gate.info === null ? undefined : hex(g.seal_gate.info);
    const seal = vault.sealGated(hex(g.unit_id), hex(g.plaintext), { keyId: ks.keyId, keySet: keys, info });
    eqHex(seal.request.body, g.seal_gate.request, `${text(g.unit_id)}: gate request`);
    const r = await ks.op('evaluate', { body: seal.request.body });
    eqHex(r, g.seal_gate.response, `${text(g.unit_id)}: gate response`);
    const sealed = seal.finish(r);
    eqHex(sealed, g.bytes, `${text(g.unit_id)}: sealed unit`);
    gated.push(sealed);
  }
  const read = vault.readUnits(gated);
  assert.equal(read.requests.length, v.gated_read.length);
  const readResponses = [];
  for (const [i, request] of read.requests.entries()) {
    eqHex(request.body, v.gated_read[i].request, `read request ${i}`);
    const r = await ks.op('evaluate', { body: request.body });
    eqHex(r, v.gated_read[i].response, `read response ${i}`);
    readResponses.push(r);
  }
  assert.deepEqual(read.finish(readResponses).map((r) => toHex(r.plaintext)), v.gated_units.map((g) => g.plaintext));

  // Unlock with the device share and the capsule, trusting the header digest and key set.
  const trusted = await ks.op('get_keys');
  const unlock = m.Unlock.start({
    header: enrolled.header, shares: enrolled.deviceShares, capsules: enrolled.capsules,
    trust: { headerDigest: hex(v.unlock.trusted_header_digest), keySets: { [ks.keyId]: trusted } },
  });
  eqHex(unlock.requests[0].body, v.unlock.gates[0].request, 'unlock request');
  const unlockResponse = await ks.op('evaluate', { body: unlock.requests[0].body });
  eqHex(unlockResponse, v.unlock.gates[0].response, 'unlock response');
  const opened = unlock.finish([unlockResponse], { idleTimeout: Infinity });
  eqHex(opened.open(updated), u2.plaintext, 'the unlocked vault opens the unit');
  eqHex(m.recoveryKit(enrolled.header, enrolled.capsules), v.recovery_kit, 'recovery kit');
  opened.lock();
  vault.lock();
  ks.check();
  seeded.glue.testRngClear();
});

test(`protocol.json #1: ${protocol.vectors[1].name}`, { skip: noSeam }, async () => {
  const v = protocol.vectors[1];
  const { client: m } = seeded;
  seeded.glue.testRngClear();
  seeded.glue.testRngSeed('client', hex(v.client_randomness.seed));
  const servers = [];
  for (const ksv of v.key_servers) servers.push(await vectorServer(seeded, v, ksv));
  for (const ks of servers) await ks.op('add_key_version');

  const enrollment = m.Enrollment.create(hex(v.enroll.policy));
  eqHex(enrollment.header, v.enroll.header, 'header');
  // The password guard at each server before the first password evaluation.
  const keySets = [];
  for (const [i, ks] of servers.entries()) {
    const setup = enrollment.passwordSetup(ks.keyId, 10);
    eqHex(setup, v.enroll.unlock_tags[i].password_setup, `${ks.keyId}: password setup`);
    keySets.push(await ks.op('set_password', { body: setup }));
  }
  const argon = v.enroll.gates[0].argon2id;
  const password = {
    secret: hex(argon.password),
    params: { memoryKib: argon.memory_kib, iterations: argon.passes, lanes: argon.lanes },
  };
  const pending = enrollment.requestGates(servers.map((ks, i) => ({
    holder: i + 2, keySet: keySets[i], info: hex(v.enroll.gates[i].info),
  })), password);
  const responses = [];
  for (const [i, ks] of servers.entries()) {
    eqHex(pending.requests[i].body, v.enroll.gates[i].request, `${ks.keyId}: enroll request`);
    responses.push(await ks.op('evaluate', { body: pending.requests[i].body }));
    eqHex(responses[i], v.enroll.gates[i].response, `${ks.keyId}: enroll response`);
  }
  const enrolled = pending.finish(responses, { idleTimeout: Infinity });
  assert.deepEqual(enrolled.capsules.map(toHex), v.enroll.capsules.map((c) => c.bytes), 'capsules');
  assert.deepEqual(enrolled.deviceShares.map((s) => toHex(s.exportSecret())), v.enroll.device_shares.map((s) => s.bytes));
  assert.deepEqual(enrolled.cards.map((c) => c.toSecretText()), v.enroll.cards.map((c) => c.text));
  for (const [i, ks] of servers.entries()) {
    const proof = enrolled.vault.unlockProof(ks.keyId);
    eqHex(proof, v.enroll.unlock_proofs[i].bytes, `${ks.keyId}: unlock proof`);
    await ks.op('confirm_unlock', { body: proof });
  }
  const [u] = v.units;
  const unit = enrolled.vault.seal(hex(u.unit_id), hex(u.plaintext));
  eqHex(unit, u.bytes, 'unit');

  // Unlock with the password: one request, one guess, per server.
  const trusted = {};
  for (const ks of servers) trusted[ks.keyId] = await ks.op('get_keys');
  const unlock = m.Unlock.start({
    header: enrolled.header, shares: enrolled.deviceShares, capsules: enrolled.capsules,
    trust: { headerDigest: hex(v.unlock.trusted_header_digest), keySets: trusted }, password: hex(v.unlock.password),
  });
  const unlockResponses = [];
  for (const [i, ks] of servers.entries()) {
    eqHex(unlock.requests[i].body, v.unlock.gates[i].request, `${ks.keyId}: unlock request`);
    unlockResponses.push(await ks.op('evaluate', { body: unlock.requests[i].body }));
    eqHex(unlockResponses[i], v.unlock.gates[i].response, `${ks.keyId}: unlock response`);
  }
  const vault = unlock.finish(unlockResponses, { idleTimeout: Infinity });
  eqHex(vault.open(unit), u.plaintext, 'the unlocked vault opens the unit');
  for (const ks of servers) await ks.op('confirm_unlock', { body: vault.unlockProof(ks.keyId) });
  vault.lock();
  enrolled.vault.lock();
  for (const ks of servers) ks.check();
  seeded.glue.testRngClear();
});

// ---------------------------------------------------------------------------------------
// negative.json, through the package as published

const negative = JSON.parse(readFileSync(join(dir, 'negative.json'), 'utf8')).cases;
const first = protocol.vectors[0];
const keyServerVector = first.key_servers[0];
const user = text(first.user_id);
const keyServer = await KeyServer.create({ seed: hex(keyServerVector.master_seed) });
/** A store holding the user's record as the first scenario left it. */
const recordStore = (record = hex(keyServerVector.records.at(-1).bytes)) => ({
  get: async () => record,
  compareAndSet: async () => { throw new Error('a refused input must not change the record'); },
  appendAudit: async () => { throw new Error('a refused input must not be audited'); },
});
const PATHS = {
  'gate request': '/v1/evaluate',
  'password setup': '/v1/password',
  'unlock proof': '/v1/password/unlocked',
  'tag change': '/v1/password/tag',
};

/** The error code `c` is refused with, through the API that consumes its object. */
async function refusal(c) {
  const bytes = c.hex === undefined ? undefined : hex(c.hex);
  try {
    switch (c.object) {
      case 'policy': qk.inspectPolicy(bytes); break;
      case 'vault header': qk.inspectHeader(bytes); break;
      case 'share': qk.DeviceShare.fromSecretBytes(bytes); break;
      case 'capsule': qk.inspectCapsule(bytes); break;
      case 'sealed unit': qk.inspectUnit(bytes); break;
      case 'recovery kit': qk.openRecoveryKit(bytes); break;
      case 'key set': qk.inspectKeySet(bytes); break;
      case 'card text': qk.ShareCard.fromText(c.text); break;
      case 'unlock':
        qk.Unlock.start({
          header: hex(c.header),
          shares: c.shares.map((s) => qk.DeviceShare.fromSecretBytes(hex(s))),
          capsules: c.capsules.map(hex),
          trust: c.trusted_header_digest ? { headerDigest: hex(c.trusted_header_digest) } : {},
          password: c.password === null ? undefined : hex(c.password),
        });
        break;
      case 'gate response': {
        const unlock = qk.Unlock.start({
          header: hex(first.enroll.header),
          shares: [qk.DeviceShare.fromSecretBytes(hex(first.enroll.device_shares[0].bytes))],
          capsules: [hex(first.enroll.capsules[0].bytes)],
          trust: { headerDigest: hex(first.enroll.header_digest) },
        });
        unlock.finish([bytes]);
        break;
      }
      case 'user record':
        await keyServer.operation(user, 'get_keys', recordStore(bytes));
        break;
      default: {
        const path = PATHS[c.object];
        assert.ok(path, `no route for ${c.object}`);
        const r = await keyServer.handle({ user, method: 'POST', path, contentType: 'application/octet-stream', body: bytes }, recordStore());
        const body = JSON.parse(new TextDecoder().decode(r.body));
        assert.equal(r.status, qk.errorCodes[body.error.code].status, `${c.object}: HTTP status of ${body.error.code}`);
        return body.error.code;
      }
    }
  } catch (e) {
    assert.ok(qk.isQuorumkeyError(e), `${e}`);
    return e.code;
  }
  return 'accepted';
}

test(`negative.json: all ${negative.length} inputs are refused with their code`, async (t) => {
  assert.ok(negative.length >= 149);
  const objects = new Set(negative.map((c) => c.object));
  for (const object of objects) {
    await t.test(object, async () => {
      for (const c of negative.filter((x) => x.object === object)) {
        assert.equal(await refusal(c), c.code, `${object}: ${c.case} (${c.error})`);
      }
    });
  }
});
