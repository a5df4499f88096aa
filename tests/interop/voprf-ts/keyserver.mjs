// A quorumkey key server (protocol version 02) in JavaScript, written from the spec alone on
// top of voprf-ts: spec/protocol.md §3.4 (purposes, element budget), §3.6 (per-user keys:
// generations, records, DeriveKeyPair info) and §4.4 (evaluation); spec/wire-format.md §2
// (object prefix), §7 (gate request and response) and §14 (user record). It is what a
// Node.js API server would run; tests/interop_voprf_ts.rs enrolls and unlocks real vaults
// through it.
//
// Left out, on purpose: the password guard's *counting* (protocol.md §6.3) and everything
// else that writes the record — this server only reads the record it is given and answers as
// if it had counted the guess (guesses_remaining = max_guesses − attempts − 1), so it must not
// be deployed as is; and the audit event (protocol.md §4.4), which is the server's own log.
import { EvaluationRequest, Oprf, POPRFServer, VOPRFServer, deriveKeyPair } from '@cloudflare/voprf-ts';

const suite = Oprf.Suite.P256_SHA256;
const QK = [0x51, 0x4b, 0x02]; // "QK", format version 02
const GATE_REQUEST = 0x05;
const GATE_RESPONSE = 0x06;
const SUITE_P256 = 0x01; // wire-format §5: the suite byte of gate requests, responses, key sets
const USER_RECORD = 0x0c;
const PURPOSES = { 0x01: 'capsule', 0x02: 'password capsule', 0x03: 'unit gate' };
const PASSWORD_CAPSULE = 0x02;
const GATE_MODES = { 0x01: Oprf.Mode.VOPRF, 0x02: Oprf.Mode.POPRF }; // 00 (base OPRF) refused
const KEY_INFO_PREFIX = new TextEncoder().encode('quorumkey v2 key');
const MAX_BATCH = 256;

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
const u32 = (v) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v);
  return out;
};

/** A strict reader: every read is bounds-checked, `finish` refuses trailing bytes. */
class Reader {
  constructor(bytes, object) {
    this.bytes = bytes;
    this.at = 0;
    this.object = object;
  }
  fail(why) {
    throw new Error(`${this.object}: ${why}`);
  }
  take(n, field) {
    if (this.bytes.length - this.at < n) this.fail(`truncated in ${field}`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(field) {
    return this.take(1, field)[0];
  }
  u32(field) {
    const b = this.take(4, field);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }
  u64(field) {
    const b = this.take(8, field);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }
  flag(field) {
    const v = this.u8(field);
    if (v > 1) this.fail(`${field} is ${v}`);
    return v === 1;
  }
  short(field, max) {
    const length = this.u8(field);
    if (length < 1 || length > max) this.fail(`${field} has length ${length}`);
    return this.take(length, field);
  }
  prefix(type) {
    const p = this.take(4, 'prefix');
    if (p[0] !== QK[0] || p[1] !== QK[1]) this.fail('not a QK object');
    if (p[2] !== QK[2]) this.fail(`format version ${p[2]} is not 02`);
    if (p[3] !== type) this.fail(`object type ${p[3]}`);
  }
  rest() {
    const out = this.bytes.subarray(this.at);
    this.at = this.bytes.length;
    return out;
  }
  finish() {
    if (this.at !== this.bytes.length) this.fail(`${this.bytes.length - this.at} trailing bytes`);
  }
}

/**
 * Parses a user record (wire-format §14) strictly:
 * { revision, keys: [{ version, generation, material, password }], guard }.
 */
export function parseUserRecord(bytes) {
  const r = new Reader(bytes, 'user record');
  r.prefix(USER_RECORD);
  const revision = r.u64('revision');
  const count = r.u8('key count');
  if (count < 1 || count > 8) r.fail(`key count ${count}`);
  const keys = [];
  for (let i = 0; i < count; i++) {
    const version = r.u32('key version');
    if (keys.length && keys[keys.length - 1].version >= version) r.fail('key versions not ascending');
    const generation = r.u32('generation');
    const material = r.take(32, 'material');
    const password = r.flag('password material flag') ? r.take(32, 'password material') : undefined;
    keys.push({ version, generation, material, password });
  }
  let guard;
  if (r.flag('guard flag')) {
    const maxGuesses = r.u8('max guesses');
    const attempts = r.u8('attempts');
    if (maxGuesses === 0 || attempts > maxGuesses) r.fail(`attempts ${attempts} of ${maxGuesses}`);
    guard = { maxGuesses, attempts, tagCommitment: r.take(32, 'tag commitment') };
  }
  r.finish();
  const live = guard !== undefined && guard.attempts < guard.maxGuesses;
  if (keys.some((k) => (k.password !== undefined) !== live)) {
    r.fail('password material present exactly while the guard is live');
  }
  return { revision, keys, guard };
}

/**
 * The key pair of user `user` (1..=255 bytes) for key `version` of `record`, `purpose`
 * (1, 2, 3) and RFC 9497 `mode`; `seeds` maps generations to 32-byte master seeds.
 */
export function userKey(seeds, user, record, version, purpose, mode) {
  if (user.length < 1 || user.length > 255) throw new Error('user id must be 1..=255 bytes');
  if (!(purpose in PURPOSES)) throw new Error(`unknown purpose ${purpose}`);
  const key = record.keys.find((k) => k.version === version);
  if (key === undefined) throw new Error(`unknown_key_version: ${version}`);
  const seed = seeds[key.generation];
  if (seed === undefined) throw new Error(`unknown_key_version: ${version} (generation retired)`);
  const parts = [KEY_INFO_PREFIX, [purpose], [user.length], user, u32(version), key.material];
  if (purpose === PASSWORD_CAPSULE) {
    if (record.guard === undefined) throw new Error('password_not_set');
    if (key.password === undefined) throw new Error('password_burned');
    parts.push(key.password);
  }
  return deriveKeyPair(mode, suite, seed, concat(...parts.map((p) => Uint8Array.from(p))));
}

/** Parses a gate request strictly: { purpose, version, mode, info, evaluation }. */
export function parseGateRequest(bytes) {
  const r = new Reader(bytes, 'gate request');
  r.prefix(GATE_REQUEST);
  const suiteByte = r.u8('suite');
  if (suiteByte !== SUITE_P256) r.fail(`unknown suite ${suiteByte}`);
  const purpose = r.u8('purpose');
  if (!(purpose in PURPOSES)) r.fail(`unknown purpose ${purpose}`);
  const version = r.u32('key version');
  const modeByte = r.u8('gate mode');
  const mode = GATE_MODES[modeByte];
  if (mode === undefined) r.fail(`unknown gate mode ${modeByte}`);
  const info = mode === Oprf.Mode.POPRF ? r.short('gate info', 255) : undefined;
  const body = r.rest();
  // The RFC 9497 message (oprf.md §3.1): u16 count (1..=256) ‖ count × 33-byte elements,
  // exactly. voprf-ts reads leniently, so the count and length are checked here first.
  if (body.length < 2) r.fail('truncated evaluation request');
  const count = (body[0] << 8) | body[1];
  if (count < 1 || count > MAX_BATCH) r.fail(`batch_size: ${count} elements`);
  if (body.length !== 2 + 33 * count) r.fail('evaluation request length');
  const evaluation = EvaluationRequest.deserialize(suite, body);
  // voprf-ts decodes points without refusing the identity's encoding (33 zero bytes).
  if (evaluation.blinded.some((e) => e.isIdentity())) r.fail('identity element');
  // The element budget (protocol.md §3.4): one element (one guess) for a password capsule.
  if (purpose === PASSWORD_CAPSULE && count > 1) r.fail(`element_budget: ${count} elements`);
  return { purpose, version, mode, info, evaluation };
}

/**
 * Evaluates a gate request for the authenticated user `user`, whose stored record is
 * `recordBytes`, and returns the gate response bytes (wire-format §7).
 */
export async function evaluateGate(seeds, user, recordBytes, requestBytes) {
  const record = parseUserRecord(recordBytes);
  const { purpose, version, mode, info, evaluation } = parseGateRequest(requestBytes);
  let guesses = [];
  if (purpose === PASSWORD_CAPSULE) {
    const guard = record.guard;
    if (guard === undefined) throw new Error('password_not_set');
    if (guard.attempts >= guard.maxGuesses) throw new Error('password_burned');
    // A real server stores attempts + 1 (burning on the last) before answering.
    guesses = [guard.maxGuesses - guard.attempts - 1];
  }
  const { privateKey } = await userKey(seeds, user, record, version, purpose, mode);
  const response =
    mode === Oprf.Mode.VOPRF
      ? await new VOPRFServer(suite, privateKey).blindEvaluate(evaluation)
      : await new POPRFServer(suite, privateKey).blindEvaluate(evaluation, info);
  return concat(
    Uint8Array.from([...QK, GATE_RESPONSE, SUITE_P256, purpose]),
    u32(version),
    Uint8Array.from(guesses),
    response.serialize(),
  );
}
