// The key-server role for Node.js API servers: the HTTP contract of spec/http-api.md over
// the core's KeyServer::handle, with the caller's database behind a small compare-and-set
// store. A password-capsule evaluation changes the user's record (it counts a guess); its
// answer is released only after compareAndSet stored that record, so every guess is
// counted before its answer leaves, in every process that shares the database.
import './node.js';
import { readFile } from 'node:fs/promises';
import * as a from './args.js';
import { ready, call } from './wasm.js';
import { QuorumkeyError, makeError, errorCodes, isQuorumkeyError } from './errors.js';

const OCTETS = 'application/octet-stream';
/** The largest request body accepted (spec/http-api.md §1). */
export const MAX_BODY = 16 * 1024;
/** Compare-and-set attempts before answering `busy` (spec/http-api.md §3.1). */
export const MAX_ATTEMPTS = 5;

const ROUTES = [
  { path: /^\/v1\/evaluate$/, methods: { POST: 'evaluate' }, body: true },
  { path: /^\/v1\/keys$/, methods: { GET: 'get_keys', POST: 'add_key_version' } },
  { path: /^\/v1\/keys\/([^/]+)$/, methods: { DELETE: 'drop_key_version' } },
  { path: /^\/v1\/password$/, methods: { POST: 'set_password' }, body: true },
  { path: /^\/v1\/password\/unlocked$/, methods: { POST: 'confirm_unlock' }, body: true },
  { path: /^\/v1\/password\/tag$/, methods: { POST: 'change_tag' }, body: true },
  { path: /^\/v1\/audit$/, methods: { GET: 'audit' } },
  { path: /^\/\.well-known\/quorumkey\/key-directory$/, methods: { GET: 'key_directory' }, public: true },
];

const encoder = new TextEncoder();
/** The suites a key set can be asked for in (`?suite=`). */
const SUITES = ['p256', 'ristretto255'];

/** A master seed (32 bytes) from an environment variable holding 64 hex digits. */
export function seedFromEnv(name = 'QUORUMKEY_MASTER_SEED') {
  const value = process.env[name];
  if (!value) throw a.invalid(`environment variable ${name} is not set`);
  const seed = a.fromHex(value.trim(), name);
  if (seed.length !== 32) throw a.invalid(`${name} must hold 32 bytes (64 hex digits)`);
  return seed;
}

/** A master seed from a file: 32 raw bytes, or 64 hex digits. */
export async function seedFromFile(path) {
  const data = new Uint8Array(await readFile(a.string(path, 'path')));
  if (data.length === 32) return data;
  const seed = a.fromHex(new TextDecoder().decode(data).trim(), path);
  if (seed.length !== 32) throw a.invalid(`${path} must hold 32 bytes or 64 hex digits`);
  return seed;
}

function jsonError(code, message, status, extra = {}) {
  const body = encoder.encode(JSON.stringify({ error: { code, message } }));
  return { status, headers: { 'content-type': 'application/json', ...extra }, body };
}

function errorResponse(e) {
  const err = isQuorumkeyError(e) ? e : new QuorumkeyError('internal', 'internal error', { cause: e });
  const status = errorCodes[err.code]?.status ?? 500;
  if (status >= 500) {
    const code = status === 503 ? err.code : 'internal';
    const extra = status === 503 ? { 'retry-after': '1' } : {};
    return jsonError(code, code === 'internal' ? 'internal error' : err.message, status, extra);
  }
  const extra = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return jsonError(err.code, err.message, status, extra);
}

function hexFields(fields) {
  const out = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Uint8Array ? a.hex(v) : v;
  return out;
}

/** The JSON form of an audit entry (spec/http-api.md §6). */
export function auditJson(entry) {
  const f = entry.event;
  return {
    seq: entry.seq,
    time_ms: entry.timeMs,
    action: f.action,
    purpose: f.purpose ?? null,
    key_version: f.keyVersion ?? f.version ?? null,
    mode: f.mode ?? null,
    info: f.info ?? null,
    element_count: f.elementCount ?? null,
    guesses_remaining: f.guessesRemaining ?? null,
    request_digest: f.requestDigest ?? null,
    generation: f.generation ?? null,
    max_guesses: f.maxGuesses ?? null,
    chain: a.hex(entry.chain),
  };
}

/**
 * A key server: master seeds by generation (from a file, the environment, or a KMS
 * callback), and the guess limit it allows.
 */
export class KeyServer {
  #h;
  #generations;
  #issuer;

  /** @internal use KeyServer.create */
  constructor(h, generations, issuer) {
    this.#h = h;
    this.#generations = generations;
    this.#issuer = issuer;
  }

  /**
   * `generations`: `[{generation, seed, status?, created?, notAfter?}]` where `seed` is 32
   * bytes or an async function returning them (a KMS call, say); or `seed` alone for one
   * generation. `currentGeneration` (default the highest) is the one new key versions use.
   * `maxGuessesLimit` (default 10) caps what a client may ask for. `issuer` names the
   * server in its key directory.
   */
  static async create({ seed, generations, currentGeneration, maxGuessesLimit, issuer = 'quorumkey' } = {}) {
    await ready();
    let list = generations;
    if (list === undefined) {
      if (seed === undefined) throw a.invalid('give seed or generations');
      list = [{ generation: 1, seed }];
    }
    a.array(list, 'generations');
    const resolved = [];
    for (const [i, g] of list.entries()) {
      a.object(g, `generations[${i}]`);
      const generation = a.integer(g.generation, `generations[${i}].generation`, 0, 2 ** 32 - 1);
      const s = typeof g.seed === 'function' ? await g.seed() : g.seed;
      a.bytes(s, `generations[${i}].seed`);
      if (s.length !== 32) throw a.invalid(`generations[${i}].seed must be 32 bytes`);
      resolved.push({ generation, seed: s, meta: g });
    }
    const current = currentGeneration ?? Math.max(...resolved.map((g) => g.generation));
    a.integer(current, 'currentGeneration', 0, 2 ** 32 - 1);
    if (maxGuessesLimit !== undefined) a.integer(maxGuessesLimit, 'maxGuessesLimit', 1, 255);
    const h = call((m) => new m.KeyServer(resolved.map(({ generation, seed: s }) => ({ generation, seed: s })), current, maxGuessesLimit));
    const meta = resolved.map(({ generation, meta: g }) => ({
      generation,
      status: g.status ?? (generation === current ? 'current' : 'retiring'),
      created: g.created ?? null,
      notAfter: g.notAfter ?? null,
    }));
    return new KeyServer(h, meta, a.string(issuer, 'issuer'));
  }

  #server() {
    if (!this.#h) throw new QuorumkeyError('consumed', 'this key server was disposed');
    return this.#h;
  }

  /** The generation new key versions use. */
  get currentGeneration() {
    return call(() => this.#server().currentGeneration);
  }

  /** The key directory (spec/http-api.md §7). */
  keyDirectory() {
    const h = this.#server();
    return {
      issuer: this.#issuer,
      current_generation: h.currentGeneration,
      generations: this.#generations.map((g) => ({
        generation: g.generation,
        status: g.status,
        created: g.created,
        not_after: g.notAfter,
        fingerprint: a.hex(call(() => h.fingerprint(g.generation))),
      })),
    };
  }

  /**
   * Carries out one operation for the authenticated `user` with `store`: `name` is the
   * core's operation (`evaluate`, `get_keys`, `add_key_version`, `drop_key_version`,
   * `set_password`, `confirm_unlock`, `change_tag`), `body` its request bytes, `version`
   * the key version to drop, `suite` the suite of the key set answered (`p256`, the
   * default, or `ristretto255`). Returns the response bytes once any record update is stored.
   * Throws a QuorumkeyError (`busy` after MAX_ATTEMPTS lost compare-and-set races).
   */
  async operation(user, name, store, options = {}) {
    return (await this.#run(user, name, store, options)).body;
  }

  async #run(user, name, store, { body, version, suite } = {}) {
    const userBytes = typeof user === 'string' ? encoder.encode(user) : a.bytes(user, 'user');
    const userId = typeof user === 'string' ? user : new TextDecoder().decode(user);
    checkStore(store);
    const h = this.#server();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await storeCall('get', () => store.get(userId));
      if (stored !== null && stored !== undefined) a.bytes(stored, 'store.get() result');
      const expected = stored ? call((m) => m.recordRevision(stored)) : null;
      const outcome = call(() => h.handle(userBytes, stored ?? undefined, name, body, version, suite));
      try {
        const update = call(() => outcome.update());
        const auditHandle = call(() => outcome.audit());
        const audit = auditHandle ? pendingAudit(auditHandle) : null;
        try {
          if (update) {
            const revision = call(() => outcome.updateRevision());
            const ok = await storeCall('compareAndSet',
              () => store.compareAndSet(userId, expected, update, { version: revision, audit }));
            if (!ok) continue;
            return { body: call(() => outcome.release(update)), created: !stored };
          }
          if (audit) await storeCall('appendAudit', () => store.appendAudit(userId, audit));
          return { body: call(() => outcome.release(undefined)), created: false };
        } finally {
          auditHandle?.free();
        }
      } finally {
        outcome.free();
      }
    }
    throw new QuorumkeyError('busy', `the record of this user changed ${MAX_ATTEMPTS} times during the request`);
  }

  /**
   * Serves one HTTP request of spec/http-api.md: `{user, method, path, contentType, body}`
   * where `user` is the id the host app authenticated (`null` if it did not) and `path`
   * includes the query. Returns `{status, headers, body}` (body bytes).
   */
  async handle(request, store) {
    try {
      a.object(request, 'request');
      const method = a.string(request.method, 'request.method').toUpperCase();
      const url = new URL(a.string(request.path, 'request.path'), 'http://key-server.invalid');
      const route = ROUTES.find((r) => r.path.test(url.pathname));
      if (!route) return jsonError('not_found', 'no such path', 404);
      const name = route.methods[method];
      if (!name) {
        return jsonError('method_not_allowed', 'the path does not take this method', 405,
          { allow: Object.keys(route.methods).join(', ') });
      }
      if (name === 'key_directory') {
        return {
          status: 200,
          headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
          body: encoder.encode(JSON.stringify(this.keyDirectory())),
        };
      }
      const user = request.user;
      if (user === null || user === undefined || user === '') {
        return jsonError('unauthorized', 'authentication required', 401, { 'www-authenticate': 'Bearer' });
      }
      const body = request.body === undefined || request.body === null ? new Uint8Array(0) : a.bytes(request.body, 'request.body');
      if (body.length > MAX_BODY) return jsonError('body_too_large', `request bodies are at most ${MAX_BODY} bytes`, 413);
      if (body.length > 0 && !(request.contentType ?? '').toLowerCase().startsWith(OCTETS)) {
        return jsonError('unsupported_media_type', `request bodies are ${OCTETS}`, 415);
      }
      if (name === 'audit') return await this.#audit(user, url, store);
      let version;
      if (name === 'drop_key_version') {
        const raw = route.path.exec(url.pathname)[1];
        version = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
        if (!(version <= 0xffffffff)) return jsonError('invalid_version', 'the key version must be a u32', 400);
      }
      // The suite of the key set answered (spec/http-api.md §3): `suite=p256|ristretto255`.
      const params = [...url.searchParams];
      const suite = params.length === 0 ? undefined
        : params.length === 1 && params[0][0] === 'suite' && SUITES.includes(params[0][1]) ? params[0][1]
          : null;
      if (suite === null) return jsonError('malformed', 'query: only suite=p256|ristretto255', 400);
      const out = await this.#run(user, name, store, { body: route.body ? body : undefined, version, suite });
      const status = name === 'add_key_version' && out.created ? 201 : 200;
      return { status, headers: { 'content-type': OCTETS }, body: out.body };
    } catch (e) {
      return errorResponse(e);
    }
  }

  async #audit(user, url, store) {
    if (typeof store.listAudit !== 'function') return jsonError('not_found', 'this store keeps no audit log', 404);
    const after = Number(url.searchParams.get('after') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      return jsonError('malformed', 'after must be ≥ 0 and limit in 1..=1000', 400);
    }
    const entries = await storeCall('listAudit', () => store.listAudit(user, after, limit));
    const events = entries.map(auditJson);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: encoder.encode(JSON.stringify({ user, events, next: events.length ? events[events.length - 1].seq : after })),
    };
  }

  /**
   * A Node.js `(req, res)` handler (for `http.createServer`, Express or Fastify's
   * `raw` request) serving spec/http-api.md. `authenticate(req)` returns the user id the
   * app authenticated (or null). Works with a raw body (`express.raw()`) or none parsed.
   */
  nodeHandler({ store, authenticate }) {
    checkStore(store);
    a.func(authenticate, 'authenticate');
    return async (req, res) => {
      let response;
      try {
        const body = await readBody(req);
        if (body === null) {
          response = jsonError('body_too_large', `request bodies are at most ${MAX_BODY} bytes`, 413);
        } else {
          const user = await authenticate(req);
          response = await this.handle({
            user, method: req.method, path: req.originalUrl ?? req.url,
            contentType: req.headers['content-type'], body,
          }, store);
        }
      } catch (e) {
        response = errorResponse(e);
      }
      res.writeHead(response.status, { ...response.headers, 'content-length': response.body.length });
      res.end(response.body);
    };
  }

  /** Frees the key server (its seeds are zeroized). */
  dispose() {
    this.#h?.free();
    this.#h = null;
  }
}

async function readBody(req) {
  if (req.body instanceof Uint8Array) return req.body.length > MAX_BODY ? null : req.body;
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function checkStore(store) {
  a.object(store, 'store');
  for (const m of ['get', 'compareAndSet', 'appendAudit']) a.func(store[m], `store.${m}`);
}

async function storeCall(what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (isQuorumkeyError(e)) throw e;
    throw new QuorumkeyError('busy', `the store failed (${what}): ${e?.message ?? e}`, { cause: e });
  }
}

/** The audit event as stores see it: its fields, and the hash-chain link function. */
function pendingAudit(h) {
  const fields = Object.freeze(hexFields(call(() => h.fields())));
  return Object.freeze({
    fields,
    /** The event's canonical bytes (what the chain link hashes). */
    bytes: call(() => h.toBytes()),
    /** The chain link for this event as number `seq` at `timeMs` after `previous`. */
    chain(previous, seq, timeMs) {
      a.bytes(previous, 'previous');
      return call(() => h.chain(previous, seq, timeMs));
    },
  });
}

/**
 * A store in memory: for tests and single-process demos (a restart forgets every user's
 * record, and with it every key version: vaults become unopenable).
 */
export class MemoryStore {
  #records = new Map();
  #audit = new Map();

  async get(user) {
    return this.#records.get(user)?.record.slice() ?? null;
  }

  async compareAndSet(user, expected, record, { version, audit } = {}) {
    const current = this.#records.get(user);
    if ((current?.version ?? null) !== expected) return false;
    this.#records.set(user, { record: record.slice(), version });
    if (audit) this.#append(user, audit);
    return true;
  }

  async appendAudit(user, audit) {
    this.#append(user, audit);
  }

  #append(user, audit) {
    const list = this.#audit.get(user) ?? [];
    const previous = list.length ? list[list.length - 1].chain : new Uint8Array(32);
    const seq = list.length + 1;
    const timeMs = Date.now();
    list.push({ seq, timeMs, event: audit.fields, chain: audit.chain(previous, seq, timeMs) });
    this.#audit.set(user, list);
  }

  async listAudit(user, after, limit) {
    return (this.#audit.get(user) ?? []).filter((e) => e.seq > after).slice(0, limit);
  }
}

export { makeError };
