// voprf-ts (RFC 9497, P256-SHA256) as a line-oriented peer for tests/interop_voprf_ts.rs.
// One JSON object per line on stdin, one JSON reply per line on stdout; bytes are hex.
//
//   {"op":"blindEvaluate","mode":"voprf","sk":…,"info":…,"request":…} -> {"response":…}
//   {"op":"evaluate","mode":"voprf","sk":…,"info":…,"input":…}         -> {"output":…}
//   {"op":"blind","mode":"voprf","pk":…,"inputs":[…]}                  -> {"finData":…,"request":…}
//   {"op":"finalize","mode":"voprf","pk":…,"info":…,"finData":…,"response":…} -> {"outputs":[…]}
//   {"op":"gate","seed":…,"user":…,"versions":[1],"request":…}         -> {"response":…}
//   {"op":"gateKey","seed":…,"user":…,"version":1,"mode":"voprf"}       -> {"pk":…}
//
// The last two are the quorumkey key server of keyserver.mjs.
// `mode` is "oprf", "voprf" or "poprf"; `info` is used in mode POPRF only. An error
// (a failed proof, a malformed message) is replied as {"error":"…"}.
import { createInterface } from 'node:readline';
import {
  Evaluation, EvaluationRequest, FinalizeData, Oprf,
  OPRFClient, OPRFServer, VOPRFClient, VOPRFServer, POPRFClient, POPRFServer,
} from '@cloudflare/voprf-ts';
import { evaluateGate, userKey } from './keyserver.mjs';

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
      const response = await evaluateGate(bytes(m.seed), bytes(m.user), m.versions, bytes(m.request));
      return { response: hex(response) };
    }
    case 'gateKey': {
      const { publicKey } = await userKey(bytes(m.seed), bytes(m.user), m.version, MODES[m.mode]);
      return { pk: hex(publicKey) };
    }
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
