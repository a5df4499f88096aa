// A small fetch-based client for the key server's HTTP API (spec/http-api.md). Any object
// with the same methods can stand in for it (tests, a custom channel, the app's own API).
import * as a from './args.js';
import { QuorumkeyError, makeError } from './errors.js';
import { codes } from './codes.js';

const OCTETS = 'application/octet-stream';

/** Talks to one key server at `url` with a bearer token. */
export class KeyServerClient {
  #url;
  #token;
  #fetch;
  #headers;
  #timeout;
  #query;

  /**
   * `url`: the key server's base URL. `token`: the bearer token, or a function returning
   * it (called per request, so it can refresh). `fetch`: a fetch implementation (default
   * `globalThis.fetch`). `timeoutMs`: per request (default 15 s). `suite`: the suite of the
   * key sets asked for (`'p256'`, the server's default, or `'ristretto255'`).
   */
  constructor({ url, token, fetch: f, headers = {}, timeoutMs = 15000, suite } = {}) {
    a.string(url, 'url');
    this.#url = url.replace(/\/+$/, '');
    if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') {
      throw a.invalid('token must be a string or a function returning one');
    }
    this.#token = token;
    this.#fetch = f ?? globalThis.fetch?.bind(globalThis);
    if (typeof this.#fetch !== 'function') throw new QuorumkeyError('unsupported', 'no fetch implementation');
    this.#headers = a.object(headers, 'headers');
    this.#timeout = a.integer(timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1);
    if (suite !== undefined && suite !== 'p256' && suite !== 'ristretto255') {
      throw a.invalid("suite must be 'p256' or 'ristretto255'");
    }
    this.#query = suite === undefined ? '' : `?suite=${suite}`;
  }

  async #request(method, path, body, accept = OCTETS) {
    const headers = { ...this.#headers, accept };
    const token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = OCTETS;
    let response;
    try {
      response = await this.#fetch(`${this.#url}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeout),
      });
    } catch (e) {
      throw new QuorumkeyError('transport', `${method} ${path}: ${e?.message ?? e}`, { cause: e });
    }
    if (!response.ok) throw await errorOf(response, method, path);
    const type = response.headers.get('content-type') ?? '';
    if (accept === OCTETS) {
      if (!type.startsWith(OCTETS)) {
        throw new QuorumkeyError('transport', `${method} ${path}: expected ${OCTETS}, got ${type || 'no content type'}`);
      }
      return new Uint8Array(await response.arrayBuffer());
    }
    return response.json();
  }

  /** `POST /v1/evaluate`: a gate request's bytes → the gate response's bytes. */
  evaluate(request) {
    return this.#request('POST', '/v1/evaluate', a.bytes(request, 'request'));
  }

  /** `GET /v1/keys`: the user's key set. */
  getKeys() {
    return this.#request('GET', `/v1/keys${this.#query}`);
  }

  /** `POST /v1/keys`: creates the user's record or adds a key version; the key set. */
  addKeyVersion() {
    return this.#request('POST', `/v1/keys${this.#query}`, new Uint8Array(0));
  }

  /** `DELETE /v1/keys/{version}`: drops a key version; the key set. */
  dropKeyVersion(version) {
    return this.#request('DELETE', `/v1/keys/${a.integer(version, 'version', 0, 2 ** 32 - 1)}${this.#query}`);
  }

  /** `POST /v1/password`: turns the password guard on; the key set. */
  setPassword(setup) {
    return this.#request('POST', `/v1/password${this.#query}`, a.bytes(setup, 'setup'));
  }

  /** `POST /v1/password/unlocked`: proves an unlock (resets the guess counter); the key set. */
  confirmUnlock(proof) {
    return this.#request('POST', `/v1/password/unlocked${this.#query}`, a.bytes(proof, 'proof'));
  }

  /** `POST /v1/password/tag`: replaces the unlock tag after a rekey; the key set. */
  changeTag(change) {
    return this.#request('POST', `/v1/password/tag${this.#query}`, a.bytes(change, 'change'));
  }

  /** `GET /v1/audit`: the caller's audit events after `after` (JSON, spec §6). */
  audit({ after = 0, limit = 100 } = {}) {
    return this.#request('GET', `/v1/audit?after=${a.integer(after, 'after', 0, Number.MAX_SAFE_INTEGER)}&limit=${a.integer(limit, 'limit', 1, 1000)}`, undefined, 'application/json');
  }

  /** `GET /.well-known/quorumkey/key-directory` (JSON, spec §7). */
  keyDirectory() {
    return this.#request('GET', '/.well-known/quorumkey/key-directory', undefined, 'application/json');
  }
}

async function errorOf(response, method, path) {
  let code = 'transport';
  let message = `${method} ${path}: HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body?.error && typeof body.error.code === 'string' && Object.hasOwn(codes, body.error.code)) {
      code = body.error.code;
      message = String(body.error.message ?? message);
    }
  } catch {
    // Not the contract's JSON envelope: a proxy's page, say.
  }
  const retry = Number(response.headers.get('retry-after'));
  return makeError(code, message, {
    status: response.status,
    retryAfter: Number.isFinite(retry) && retry >= 0 ? retry : undefined,
  });
}
