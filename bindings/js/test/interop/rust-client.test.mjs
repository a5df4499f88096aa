// Interop: the Rust client against the package's key-server role. A Node.js host app
// (node:http) mounts `KeyServer.nodeHandler` at the root, authenticating a bearer token as
// its app would; the crate's end-to-end demo (`examples/demo.rs`, run with `--server URL
// --token TOKEN`) drives it over HTTP: enroll behind a PIN, gated units, unlock, recovery,
// revocation, key rotation, and a thief counting the PIN down until the key is burned.
//
// The binary: QUORUMKEY_DEMO_BIN, or target/release/examples/demo (bindings/js/ci.sh builds
// it with `cargo build --release --example demo`). Skipped locally without it; CI fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KeyServer, MemoryStore } from 'quorumkey/server';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const bin = process.env.QUORUMKEY_DEMO_BIN ?? join(repo, 'target', 'release', 'examples', 'demo');
const missing = existsSync(bin) ? false : `${bin} is not built (cargo build --release --example demo)`;
if (missing && process.env.CI) throw new Error(missing);

test('examples/demo.rs (the Rust client) against the package key-server role in a Node.js host', { skip: missing }, async () => {
  const keyServer = await KeyServer.create({ seed: crypto.getRandomValues(new Uint8Array(32)), issuer: 'keys.demo.example' });
  const store = new MemoryStore();
  const sessions = new Map([['session-alice', 'alice@example.com']]);
  const seen = [];
  const handler = keyServer.nodeHandler({
    store,
    authenticate: (req) => sessions.get((req.headers.authorization ?? '').replace(/^Bearer /, '')) ?? null,
  });
  const http = createServer((req, res) => {
    res.on('finish', () => seen.push(`${req.method} ${req.url.split('?')[0]} ${res.statusCode}`));
    handler(req, res);
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${http.address().port}`;
  try {
    const { stdout } = await promisify(execFile)(bin, ['--server', url, '--token', 'session-alice'], { timeout: 300_000, maxBuffer: 1 << 22 });
    assert.match(stdout, /demo finished: ok/);
    // The PIN countdown: ten wrong guesses, each counted by the Node.js role, then the key is burned.
    const left = [...stdout.matchAll(/PIN \d{4}: wrong; (\d+) guess/g)].map((m) => Number(m[1]));
    assert.deepEqual(left, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.match(stdout, /burned after 10 guesses/);
    assert.match(stdout, /alice, with phone \+ card, set a new PIN: unlocks again: true/);
  } finally {
    http.close();
  }
  // What the host served: the spec's paths, a 410 once burned, and records kept by the role.
  assert.ok(seen.includes('POST /v1/keys 201'));
  assert.ok(seen.some((s) => s.startsWith('POST /v1/password/tag 200')));
  assert.ok(seen.some((s) => s.startsWith('DELETE /v1/keys/')));
  assert.ok(seen.includes('POST /v1/evaluate 410'));
  const audit = await store.listAudit('alice@example.com', 0, 1000);
  assert.ok(audit.some((e) => e.event.action === 'tag_changed'));
  assert.ok(audit.some((e) => e.event.action === 'password_set'));
});
