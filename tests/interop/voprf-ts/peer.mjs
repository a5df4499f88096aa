// voprf-ts (RFC 9497, P256-SHA256) as a line-oriented peer for tests/interop_voprf_ts.rs.
// One JSON object per line on stdin, one JSON reply per line on stdout; bytes are hex.
//
//   {"op":"blindEvaluate","mode":"voprf","sk":…,"info":…,"request":…} -> {"response":…}
//   {"op":"evaluate","mode":"voprf","sk":…,"info":…,"input":…}         -> {"output":…}
//   {"op":"blind","mode":"voprf","pk":…,"inputs":[…]}                  -> {"finData":…,"request":…}
//   {"op":"finalize","mode":"voprf","pk":…,"info":…,"finData":…,"response":…} -> {"outputs":[…]}
//   {"op":"gate","seed":…,"user":…,"record":…,"request":…}             -> {"response":…}
//   {"op":"gateKey","seed":…,"user":…,"record":…,"version":1,"purpose":1,"mode":"voprf"} -> {"pk":…}
//   {"op":"parseGateRequest","bytes":…}                                 -> {}
//   {"op":"parseUserRecord","bytes":…}                                  -> {}
//
// The last four are the quorumkey key server of keyserver.mjs (`seed` is the master seed of
// generation 1, `record` the user's record bytes).
// `mode` is "oprf", "voprf" or "poprf"; `info` is used in mode POPRF only. An error
// (a failed proof, a malformed message) is replied as {"error":"…"}.
import { createInterface } from 'node:readline';
import {
  Evaluation, EvaluationRequest, FinalizeData, Oprf,
  OPRFClient, OPRFServer, VOPRFClient, VOPRFServer, POPRFClient, POPRFServer,
} from '@cloudflare/voprf-ts';
import { evaluateGate, parseGateRequest, parseUserRecord, userKey } from './keyserver.mjs';

const suite = Oprf.Suite.P256_SHA256;
const MODES = { oprf: Oprf.Mode.OPRF, voprf: Oprf.Mode.VOPRF, poprf: Oprf.Mode.POPRF };
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const bytes = (text) => new Uint8Array(Buffer.from(text ?? '', 'hex'));

function server(mode, sk) {
  switch (mode) {
    case 'oprf': return new OPRFServer(suite, sk);
    case 'voprf': return new VOPRFServer(suite, sk);
    case 'poprf': return new POPRFServer(suite, sk);
    default: throw new Error(`unknown mode ${mode}`);
  }
}

function client(mode, pk) {
  switch (mode) {
    case 'oprf': return new OPRFClient(suite);
    case 'voprf': return new VOPRFClient(suite, pk);
    case 'poprf': return new POPRFClient(suite, pk);
    default: throw new Error(`unknown mode ${mode}`);
  }
}

// voprf-ts takes `info` as an extra argument in mode POPRF only.
const infoArg = (m) => (m.mode === 'poprf' ? [bytes(m.info)] : []);

async function handle(m) {
  switch (m.op) {
    case 'blindEvaluate': {
      const request = EvaluationRequest.deserialize(suite, bytes(m.request));
      const evaluation = await server(m.mode, bytes(m.sk)).blindEvaluate(request, ...infoArg(m));
      return { response: hex(evaluation.serialize()) };
    }
    case 'evaluate': {
      const output = await server(m.mode, bytes(m.sk)).evaluate(bytes(m.input), ...infoArg(m));
      return { output: hex(output) };
    }
    case 'blind': {
      const [finData, request] = await client(m.mode, bytes(m.pk)).blind(m.inputs.map(bytes));
      return { finData: hex(finData.serialize()), request: hex(request.serialize()) };
    }
    case 'finalize': {
      const finData = FinalizeData.deserialize(suite, bytes(m.finData));
      const evaluation = Evaluation.deserialize(suite, bytes(m.response));
      const outputs = await client(m.mode, bytes(m.pk)).finalize(finData, evaluation, ...infoArg(m));
      return { outputs: outputs.map(hex) };
    }
    case 'gate': {
      const seeds = { 1: bytes(m.seed) };
      const response = await evaluateGate(seeds, bytes(m.user), bytes(m.record), bytes(m.request));
      return { response: hex(response) };
    }
    case 'gateKey': {
      const record = parseUserRecord(bytes(m.record));
      const seeds = { 1: bytes(m.seed) };
      const { publicKey } = await userKey(seeds, bytes(m.user), record, m.version, m.purpose, MODES[m.mode]);
      return { pk: hex(publicKey) };
    }
    case 'parseGateRequest':
      parseGateRequest(bytes(m.bytes));
      return {};
    case 'parseUserRecord':
      parseUserRecord(bytes(m.bytes));
      return {};
    default:
      throw new Error(`unknown op ${m.op}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (e) {
    reply = { error: String(e?.message ?? e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
