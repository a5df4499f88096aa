// Replays every file of spec/vectors/ through the package, byte for byte where the
// encoding is deterministic: policies, headers and digests, shares, recovery kits
// (re-encoded from their parts), capsules' fields, and units opened with the vector's
// shares. Data-driven: a new file or a new vector is picked up without a change here.
// Vectors of another protocol version than the package speaks are reported and skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as qk from 'quorumkey';

await qk.ready();
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'spec', 'vectors');
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b) => Buffer.from(b).toString('hex');
const spoken = qk.Enrollment.create({ threshold: 2, holders: [
  { id: 1, kind: 'device', label: 'a' }, { id: 2, kind: 'custodian', label: 'b' }] }).header[2];

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
test('spec/vectors holds vector files', () => assert.ok(files.length > 0));

for (const file of files) {
  const doc = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const vectors = Array.isArray(doc) ? doc : doc.vectors ?? [];
  for (const [i, v] of vectors.entries()) {
    const name = `${file} #${i}: ${v.name ?? ''}`;
    const version = v.header ? hex(v.header)[2] : undefined;
    const skip = version !== undefined && version !== spoken
      ? `protocol version ${version} vectors; the package speaks version ${spoken} (regenerate spec/vectors)`
      : false;
    test(name, { skip }, () => replay(v));
  }
}

// The replay itself, checked on a vector made here in the format of spec/vectors/.
test('replay checks a vector of the current version', async () => {
  const { keyServer, policy2of3 } = await import('./helpers.mjs');
  const ks = await keyServer();
  const e = await qk.enroll({ policy: policy2of3, servers: ks.servers() });
  const unit = e.vault.seal('vendor:acme', 'alice / hunter2');
  const info = qk.inspectHeader(e.header);
  const card = qk.ShareCard.fromText(e.cards[0].toSecretText());
  replay({
    header: toHex(e.header),
    header_digest: toHex(info.digest),
    policy: toHex(info.policy.bytes),
    capsules: e.capsules.map((c) => ({ bytes: toHex(c), holder: 2 })),
    recovery_kit: toHex(e.recoveryKit),
    shares: [{ holder: 1, bytes: toHex(e.deviceShares[0].exportSecret()) }],
    cards: [{ holder: card.holder, text: e.cards[0].toSecretText() }],
    unit: { bytes: toHex(unit), unit_id: toHex(new TextEncoder().encode('vendor:acme')), plaintext: toHex(new TextEncoder().encode('alice / hunter2')) },
  });
});

function replay(v) {
  let checks = 0;
  if (v.policy) {
    assert.equal(toHex(qk.inspectPolicy(hex(v.policy)).bytes), v.policy);
    checks++;
  }
  let header;
  if (v.header) {
    header = hex(v.header);
    const info = qk.inspectHeader(header);
    if (v.header_digest) assert.equal(toHex(info.digest), v.header_digest);
    if (v.policy) assert.equal(toHex(info.policy.bytes), v.policy);
    checks++;
  }
  const capsules = (v.capsules ?? []).map((c) => {
    const bytes = hex(c.bytes);
    const info = qk.inspectCapsule(bytes);
    if (c.holder !== undefined) assert.equal(info.holder, c.holder);
    if (v.key_server?.key_version !== undefined) assert.equal(info.keyVersion, v.key_server.key_version);
    if (v.key_server?.public_key) assert.equal(toHex(info.publicKey), v.key_server.public_key);
    checks++;
    return bytes;
  });
  if (v.recovery_kit && header) {
    assert.equal(toHex(qk.recoveryKit(header, capsules)), v.recovery_kit);
    const kit = qk.openRecoveryKit(hex(v.recovery_kit));
    assert.equal(toHex(kit.header), v.header);
    assert.deepEqual(kit.capsules.map(toHex), capsules.map(toHex));
    checks++;
  }
  const shares = (v.shares ?? []).map((s) => {
    const share = qk.DeviceShare.fromSecretBytes(hex(s.bytes));
    assert.equal(toHex(share.exportSecret()), s.bytes);
    if (s.holder !== undefined) assert.equal(share.holder, s.holder);
    checks++;
    return share;
  });
  const cards = (v.cards ?? []).map((card) => {
    const c = qk.ShareCard.fromText(card.text ?? card);
    if (card.holder !== undefined) assert.equal(c.holder, card.holder);
    checks++;
    return c;
  });
  if (header && shares.length + cards.length >= qk.inspectHeader(header).policy.threshold) {
    const u = qk.Unlock.start({ header, shares: [...shares, ...cards], trust: v.header_digest ? { headerDigest: hex(v.header_digest) } : {} });
    const vault = u.finish([]);
    for (const unit of [v.unit, ...(v.units ?? [])].filter(Boolean)) {
      const info = qk.inspectUnit(hex(unit.bytes));
      if (unit.unit_id) assert.equal(toHex(info.unitId), unit.unit_id);
      if (!info.gated) {
        assert.equal(toHex(vault.open(hex(unit.bytes))), unit.plaintext);
        checks++;
      }
    }
    vault.lock();
  }
  assert.ok(checks > 0, 'the vector has no field this replay knows');
}
