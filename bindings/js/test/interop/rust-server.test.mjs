// Interop: the package's client (the installed tarball, Node.js) against the standalone Rust
// key server, `quorumkey-server serve`, over HTTP on 127.0.0.1. The server authenticates
// JWTs of an issuer key this test generates (a JWKS file, EdDSA, one token per request as
// the server requires), stores records in SQLite, and runs the whole story: enroll behind a
// PIN, gated units, unlock, recovery, revocation, key rotation, the audit log, and a thief
// counting the PIN down until the key is burned.
//
// The binary: QUORUMKEY_SERVER_BIN, or target/debug/quorumkey-server (bindings/js/ci.sh
// builds it). Without it the test is skipped locally and fails in CI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as qk from 'quorumkey';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const bin = process.env.QUORUMKEY_SERVER_BIN ?? join(repo, 'target', 'debug', 'quorumkey-server');
const missing = existsSync(bin) ? false : `${bin} is not built (cargo build -p quorumkey-server)`;
if (missing && process.env.CI) throw new Error(missing);

const KEY_ID = 'keys.example.com';
const ISSUER = 'https://app.example.com';
const PIN = { secret: '2468', params: { memoryKib: 19456, iterations: 2, lanes: 1 } };

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
/** A fresh token for `user` (the server accepts each token for one request). */
function token(user, { lifetime = 120, kid = 'npm:1' } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64({
    iss: ISSUER, aud: KEY_ID, sub: user, iat: now, exp: now + lifetime, jti: randomUUID(),
  })}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

let server;
let base;
let dataDir;
const logs = [];

before(async () => {
  if (missing) return;
  dataDir = mkdtempSync(join(tmpdir(), 'qk-rust-server-'));
  const jwks = join(dataDir, 'issuers.jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'npm:1', alg: 'EdDSA', use: 'sig' }] }));
  server = spawn(bin, ['serve'], {
    env: {
      PATH: process.env.PATH,
      QUORUMKEY_DATA_DIR: dataDir,
      QUORUMKEY_BIND: '127.0.0.1:0',
      QUORUMKEY_SERVER_ID: KEY_ID,
      QUORUMKEY_JWKS: jwks,
      QUORUMKEY_ISSUERS: `npm=${ISSUER}`,
      QUORUMKEY_USER_BURST: '0',
      QUORUMKEY_ADDRESS_BURST: '0',
      RUST_LOG: 'info',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${logs.join('')}`)), 60_000);
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      logs.push(chunk);
      const m = logs.join('').match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${logs.join('')}`)));
  });
});

after(() => {
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const client = (user) => new qk.KeyServerClient({ url: base, token: () => token(user) });
const servers = (user) => ({ [KEY_ID]: client(user) });
const policy = (device, label) => ({
  threshold: 2,
  requireKeyServer: true,
  holders: [
    { id: device, kind: 'device', label },
    { id: 2, kind: 'keyServer', label: 'key server', keyId: KEY_ID },
    { id: 3, kind: 'custodian', label: 'recovery card' },
  ],
});

async function readAll(vault, t, units) {
  const read = vault.readUnits(units);
  const responses = await Promise.all(read.requests.map((r) => t.evaluate(r.body)));
  return read.finish(responses).map((r) => (r.ok ? new TextDecoder().decode(r.plaintext) : r.error.code));
}

test('the package client against quorumkey-server: the whole story, down to a burned PIN key', { skip: missing }, async () => {
  const user = `alice-${randomUUID()}@example.com`;
  const t = client(user);

  // 1. Enroll 2-of-3 behind a PIN (the guard goes up before the first guess).
  const e = await qk.enroll({ policy: policy(1, "alice's phone"), servers: servers(user), password: PIN });
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).guard, { state: 'active', maxGuesses: 10, guessesRemaining: 10 });

  // 2. Two vendor credentials, globex behind its own POPRF gate.
  const acme = e.vault.seal('vendor:acme', 'alice / hunter2');
  const seal = e.vault.sealGated('vendor:globex', 'alice@globex / s3cret!', { keyId: KEY_ID, keySet: await t.getKeys(), info: 'vendor:globex' });
  const globex = seal.finish(await t.evaluate(seal.request.body));
  const index = qk.UnitIndex.create(qk.inspectHeader(e.header).vaultId);
  index.observe(acme);
  index.observe(globex);
  const card = e.cards[0].toSecretText();
  e.vault.lock();

  // 3. Unlock with the phone, the key server and the PIN; read both units.
  const vault = await qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: servers(user), password: PIN, headerDigest: e.headerDigest });
  for (const u of [acme, globex]) index.check(u);
  assert.deepEqual(await readAll(vault, t, [acme, globex]), ['alice / hunter2', 'alice@globex / s3cret!']);
  vault.lock();

  // 4. Phone lost: recover with the card, the recovery kit and the PIN.
  const recovered = await qk.recover({ kit: e.recoveryKit, cards: [card], servers: servers(user), password: PIN });

  // 5. Revoke the lost phone: rekey to a new phone, every unit moved, the gate too.
  const revoked = await qk.revoke(recovered.vault, {
    header: recovered.header, capsules: recovered.capsules, servers: servers(user),
    policy: policy(4, "alice's new phone"), password: PIN, units: [acme, globex],
  });
  const fresh = await qk.unlock({ header: revoked.header, shares: revoked.deviceShares, capsules: revoked.capsules, servers: servers(user), password: PIN, headerDigest: revoked.headerDigest });
  assert.deepEqual(await readAll(fresh, t, revoked.units), ['alice / hunter2', 'alice@globex / s3cret!']);
  await revoked.commit();
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).versions.map((v) => v.version), [2]);
  await assert.rejects(qk.unlock({ header: e.header, shares: e.deviceShares, capsules: e.capsules, servers: servers(user), password: PIN }),
    (err) => err.code === 'untrusted_key');
  const old = qk.Unlock.start({ header: e.header, shares: e.deviceShares, capsules: e.capsules, password: PIN });
  await assert.rejects(t.evaluate(old.requests[0].body), (err) => err.code === 'unknown_key_version' && err.status === 404);

  // 6. Key rotation: re-seal the capsule and move the gated unit; drop the old version.
  const rotated = await qk.reseal(fresh, { header: revoked.header, capsules: revoked.capsules, servers: servers(user), password: PIN, units: revoked.units });
  await rotated.commit();
  assert.deepEqual(qk.inspectKeySet(await t.getKeys()).versions.map((v) => v.version), [3]);
  const again = await qk.unlock({ header: revoked.header, shares: revoked.deviceShares, capsules: rotated.capsules, servers: servers(user), password: PIN });
  assert.deepEqual(await readAll(again, t, rotated.units), ['alice / hunter2', 'alice@globex / s3cret!']);
  again.lock();
  fresh.lock();

  // 7. The audit log: every change and evaluation, numbered, each with its chain link.
  const page = await t.audit({ after: 0, limit: 1000 });
  assert.equal(page.user, user);
  assert.ok(page.events.length > 10);
  assert.deepEqual(page.events.map((ev) => ev.seq), page.events.map((_, i) => i + 1));
  assert.ok(page.events.some((ev) => ev.action === 'evaluated' && ev.purpose === 'unit_gate'));
  assert.equal((await t.keyDirectory()).issuer, KEY_ID);

  // 8. A thief with the new phone and alice's login guesses PINs: each guess is counted
  //    before its answer leaves; after the 10th the PIN key is destroyed.
  const args = { header: revoked.header, shares: revoked.deviceShares, capsules: rotated.capsules, servers: servers(user) };
  const left = [];
  for (let guess = 0; guess < 10; guess++) {
    await assert.rejects(qk.unlock({ ...args, password: { ...PIN, secret: String(1000 + guess) } }), (err) => {
      assert.ok(err instanceof qk.WrongPasswordError, `${err.code}: ${err.message}`);
      left.push(err.guessesRemaining);
      return true;
    });
  }
  assert.deepEqual(left, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.equal(qk.inspectKeySet(await t.getKeys()).guard.state, 'burned');
  const right = qk.Unlock.start({ header: revoked.header, shares: revoked.deviceShares, capsules: rotated.capsules, password: PIN });
  await assert.rejects(t.evaluate(right.requests[0].body), (err) => err.code === 'password_burned' && err.status === 410);
});

test('quorumkey-server errors reach the package as its codes', { skip: missing }, async () => {
  const user = `bob-${randomUUID()}`;
  await assert.rejects(client(user).getKeys(), (e) => e.code === 'no_record' && e.status === 404);
  await assert.rejects(new qk.KeyServerClient({ url: base }).getKeys(), (e) => e.code === 'unauthorized' && e.status === 401);
  const once = token(user);
  const reused = new qk.KeyServerClient({ url: base, token: once });
  await assert.rejects(reused.addKeyVersion().then(() => reused.getKeys()), (e) => e.code === 'token_replayed' && e.status === 401);
  await assert.rejects(client(user).evaluate(new Uint8Array([1, 2, 3])), (e) => e.code === 'malformed' && e.status === 400);
  await assert.rejects(client(user).dropKeyVersion(1), (e) => e.code === 'newest_key_version' && e.status === 409);
});
