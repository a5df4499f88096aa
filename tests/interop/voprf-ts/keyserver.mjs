// A quorumkey key server in JavaScript, written from the spec alone on top of voprf-ts:
// spec/protocol.md §3.6 (per-user keys) and §4.4 (evaluation), spec/wire-format.md §2
// (object prefix) and §7 (gate request and response). It is what a Node.js API server
// would run; tests/interop_voprf_ts.rs enrolls and unlocks real vaults through it.
//
// The audit event of §4.4 is left out: it is the server's own record, not on the wire.
import { EvaluationRequest, Oprf, POPRFServer, VOPRFServer, deriveKeyPair } from '@cloudflare/voprf-ts';

const suite = Oprf.Suite.P256_SHA256;
const REQUEST_PREFIX = [0x51, 0x4b, 0x01, 0x05]; // "QK", version 1, gate request
const RESPONSE_PREFIX = [0x51, 0x4b, 0x01, 0x06]; // "QK", version 1, gate response
const GATE_MODES = { 0x01: Oprf.Mode.VOPRF, 0x02: Oprf.Mode.POPRF }; // 00 (base OPRF) refused

const u32 = (v) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v);
  return out;
};
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The key pair of user `user` (1..=255 bytes), version `version`, gate mode `mode`. */
export function userKey(seed, user, version, mode) {
  if (user.length < 1 || user.length > 255) throw new Error('user id must be 1..=255 bytes');
  return deriveKeyPair(mode, suite, seed, concat(user, u32(version)));
}

/** Parses a gate request strictly: { version, mode, info, evaluation }. */
export function parseGateRequest(bytes) {
  if (bytes.length < 9) throw new Error('truncated gate request');
  if (!equal(bytes.subarray(0, 4), REQUEST_PREFIX)) throw new Error('not a quorumkey v1 gate request');
  const version = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0);
  const mode = GATE_MODES[bytes[8]];
  if (mode === undefined) throw new Error(`unknown gate mode ${bytes[8]}`);
  let at = 9;
  let info;
  if (mode === Oprf.Mode.POPRF) {
    const length = bytes[at];
    if (!length || bytes.length < at + 1 + length) throw new Error('bad gate info field');
    info = bytes.subarray(at + 1, at + 1 + length);
    at += 1 + length;
  }
  const body = bytes.subarray(at);
  const evaluation = EvaluationRequest.deserialize(suite, body);
  // voprf-ts reads leniently; the wire format is exact (count 1..=256, no trailing bytes).
  const count = evaluation.blinded.length;
  if (count < 1 || count > 256 || !equal(evaluation.serialize(), body)) {
    throw new Error('malformed evaluation request');
  }
  return { version, mode, info, evaluation };
}

/**
 * Evaluates a gate request for the authenticated user `user`, whose active key versions
 * are `activeVersions`, and returns the gate response bytes.
 */
export async function evaluateGate(seed, user, activeVersions, requestBytes) {
  const { version, mode, info, evaluation } = parseGateRequest(requestBytes);
  if (!activeVersions.includes(version)) throw new Error(`key version ${version} is not active`);
  const { privateKey } = await userKey(seed, user, version, mode);
  const response =
    mode === Oprf.Mode.VOPRF
      ? await new VOPRFServer(suite, privateKey).blindEvaluate(evaluation)
      : await new POPRFServer(suite, privateKey).blindEvaluate(evaluation, info);
  return concat(RESPONSE_PREFIX, u32(version), response.serialize());
}
