// The API's routes. It keeps accounts and sessions, issues key-server tokens, and stores
// each user's vault blobs: the header, the capsules and the sealed units. Those are public
// by design (without the key server and the user's device or recovery card they are
// ciphertext), so the API never receives a vendor credential, a share or a data key, and
// nothing here could decrypt what it stores.
//
// Bodies are JSON, validated with zod; bytes are base64url. Errors are
// `{"error":{"code","message"}}`, the same envelope as the key server's.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { inspectCapsule, inspectHeader, inspectKeySet, inspectUnit } from 'quorumkey';
import { auditJson } from 'quorumkey/server';
import type { Config } from './config.js';
import { burnTime, hashPassword, verifyPassword } from './passwords.js';
import type { Store, UnitRow, User } from './store.js';
import type { TokenIssuer } from './tokens.js';

/** The embedded key server (the npm package's role), when KEY_SERVER_MODE=embedded. */
export interface EmbeddedKeyServer {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  keys: (userId: string) => Promise<Uint8Array>;
}

const COOKIE = 'vv_session';
/** Every state-changing request carries this header: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-vendor-vault';
const MAX_BODY = 512 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Request schemas

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._@-]{3,64}$/, '3 to 64 characters: letters, digits, . _ @ -');
const Credentials = z.object({ username, password: z.string().min(10, 'at least 10 characters').max(256) });
const Login = z.object({ username, password: z.string().min(1).max(256) });
const vendor = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,39}$/, 'a vendor name: a-z, 0-9, . and -, at most 40');
const blob = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url')
    .max(Math.ceil((max * 4) / 3))
    .transform((s) => new Uint8Array(Buffer.from(s, 'base64url')));
const PutVault = z.object({
  header: blob(8 * 1024),
  capsules: z.array(blob(4 * 1024)).min(1).max(8),
  expectedEpoch: z.number().int().min(0).nullable(),
  units: z.array(z.object({ vendor, unit: blob(70 * 1024) })).max(500).optional(),
});
const PutUnit = z.object({ unit: blob(70 * 1024), expectedVersion: z.number().int().min(1).nullable() });

// ---------------------------------------------------------------------------------------
// Helpers

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sameBytes = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((b, i) => b === y[i]);
const text = (s: string) => new TextEncoder().encode(s);

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string | string[]> = {}) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'request bodies are application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', `at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed', 'the body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HttpError(400, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message}`);
  }
  return r.data;
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return out;
}

/** Checks what a client sends about its vault with the package's decoders (public fields only). */
function checkVault(header: Uint8Array, capsules: Uint8Array[]) {
  let info;
  try {
    info = inspectHeader(header);
  } catch {
    throw new HttpError(400, 'invalid_vault', 'the header does not decode');
  }
  for (const c of capsules) {
    let cap;
    try {
      cap = inspectCapsule(c);
    } catch {
      throw new HttpError(400, 'invalid_vault', 'a capsule does not decode');
    }
    if (!sameBytes(cap.vaultId, info.vaultId) || cap.epoch !== info.epoch) {
      throw new HttpError(400, 'invalid_vault', 'a capsule belongs to another vault or epoch');
    }
  }
  return info;
}

/**
 * A unit must be the vendor's credential of this vault, behind its own POPRF gate labelled
 * `vendor:<name>` (so the key server meters and audits every read by vendor).
 */
function checkUnit(unit: Uint8Array, vendorName: string, vaultId: Uint8Array) {
  let info;
  try {
    info = inspectUnit(unit);
  } catch {
    throw new HttpError(400, 'invalid_unit', 'the unit does not decode');
  }
  const label = `vendor:${vendorName}`;
  if (!sameBytes(info.vaultId, vaultId)) throw new HttpError(400, 'invalid_unit', 'the unit belongs to another vault');
  if (info.unitIdText !== label) throw new HttpError(400, 'invalid_unit', `the unit id must be ${label}`);
  if (!info.gated || info.mode !== 'poprf' || !info.info || !sameBytes(info.info, text(label))) {
    throw new HttpError(400, 'invalid_unit', `the unit must have its own POPRF gate labelled ${label}`);
  }
  return info;
}

// ---------------------------------------------------------------------------------------
// The app

export function createApp(config: Config, store: Store, issuer: TokenIssuer, embedded?: EmbeddedKeyServer) {
  const cookieFlags = `Path=/; HttpOnly; SameSite=Strict${config.cookieSecure ? '; Secure' : ''}`;

  async function startSession(res: ServerResponse, user: User, status: number) {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await store.createSession(sha256(token), { userId: user.id, createdAt: now, lastSeen: now });
    const hasVault = (await store.vault(user.id)) !== null;
    send(res, status, { user: { id: user.id, username: user.username }, hasVault }, {
      'set-cookie': `${COOKIE}=${token}; ${cookieFlags}; Max-Age=${config.sessionIdleSeconds}`,
    });
  }

  /** The session's user, or null. Sessions end after SESSION_IDLE_SECONDS without a request. */
  async function sessionUser(req: IncomingMessage): Promise<{ user: User; tokenHash: string } | null> {
    const token = cookies(req).get(COOKIE);
    if (!token) return null;
    const tokenHash = sha256(token);
    const session = await store.session(tokenHash);
    if (!session) return null;
    const now = Date.now();
    if (now - session.lastSeen > config.sessionIdleSeconds * 1000) {
      await store.deleteSession(tokenHash);
      return null;
    }
    const user = await store.userById(session.userId);
    if (!user) return null;
    await store.touchSession(tokenHash, now);
    return { user, tokenHash };
  }

  async function requireUser(req: IncomingMessage) {
    const s = await sessionUser(req);
    if (!s) throw new HttpError(401, 'unauthorized', 'log in first');
    return s;
  }

  function requireAdmin(req: IncomingMessage) {
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    const want = Buffer.from(config.adminToken ?? '');
    if (!config.adminToken || given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new HttpError(403, 'forbidden', 'the operator token is needed');
    }
  }

  async function vaultJson(userId: string) {
    const v = await store.vault(userId);
    if (!v) return null;
    return {
      epoch: v.vault.epoch,
      header: b64(v.vault.header),
      capsules: v.vault.capsules.map(b64),
      units: v.units.map((u) => ({ vendor: u.vendor, version: u.version, unit: b64(u.unit), updatedAt: u.updatedAt })),
    };
  }

  /**
   * The key server's view of a user, for the admin page, in one shape for both key
   * servers: key versions, the PIN guard, the rate limit, and the audit log (spec §6 JSON).
   */
  async function keyServerView(userId: string) {
    if (embedded) {
      let keys;
      try {
        keys = inspectKeySet(await embedded.keys(userId));
      } catch (e) {
        return { mode: 'embedded', error: (e as { code?: string }).code ?? 'unavailable' };
      }
      const audit = await store.keyServer.listAudit(userId, 0, 1000);
      return {
        mode: 'embedded',
        keyVersions: keys.versions.map((v) => ({ version: v.version, current: v.current })),
        guard: keys.guard,
        rateLimit: null,
        audit: audit.map(auditJson),
      };
    }
    if (!config.keyServerUrl || !config.keyServerAdminToken) return { mode: 'standalone', error: 'not configured' };
    const get = async (path: string): Promise<any> => {
      const r = await fetch(`${config.keyServerUrl}${path}`, {
        headers: { authorization: `Bearer ${config.keyServerAdminToken}` },
        signal: AbortSignal.timeout(5000),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.json();
    };
    const id = encodeURIComponent(userId);
    try {
      const [u, audit] = await Promise.all([
        get(`/v1/admin/users/${id}`),
        get(`/v1/admin/audit?user=${id}&after=0&limit=1000`),
      ]);
      return {
        mode: 'standalone',
        keyVersions: u.versions,
        guard: { state: u.guard, maxGuesses: u.max_guesses, guessesRemaining: u.guesses_remaining },
        rateLimit: { burst: u.rate_limit_burst, perMinute: u.rate_limit_per_minute },
        audit: audit.events,
      };
    } catch (e) {
      return { mode: 'standalone', error: `the key server did not answer (${(e as Error).message})` };
    }
  }

  type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;
  const routes: [string, RegExp, Handler][] = [
    [
      'GET',
      /^\/api\/config$/,
      async (_req, res) =>
        send(res, 200, {
          keyServerUrl: '/ks',
          keyId: config.keyServerId,
          keyServerAuth: embedded ? 'session' : 'token',
          vendorUrl: config.vendorUrl,
          idleLockSeconds: config.idleLockSeconds,
        }),
    ],
    ['GET', /^\/api\/jwks\.json$/, async (_req, res) => send(res, 200, issuer.publicJwks)],
    [
      'POST',
      /^\/api\/signup$/,
      async (req, res) => {
        const { username: name, password } = parse(Credentials, await readJson(req));
        const user: User = { id: randomUUID(), username: name, passwordHash: await hashPassword(password), createdAt: Date.now() };
        if (!(await store.createUser(user))) throw new HttpError(409, 'username_taken', 'that username is taken');
        await startSession(res, user, 201);
      },
    ],
    [
      'POST',
      /^\/api\/login$/,
      async (req, res) => {
        const { username: name, password } = parse(Login, await readJson(req));
        const user = await store.userByName(name);
        if (!user) await burnTime(password);
        if (!user || !(await verifyPassword(user.passwordHash, password))) {
          throw new HttpError(401, 'bad_login', 'wrong username or password');
        }
        await startSession(res, user, 200);
      },
    ],
    [
      'POST',
      /^\/api\/logout$/,
      async (req, res) => {
        const s = await sessionUser(req);
        if (s) await store.deleteSession(s.tokenHash);
        send(res, 200, {}, { 'set-cookie': `${COOKIE}=; ${cookieFlags}; Max-Age=0` });
      },
    ],
    [
      'GET',
      /^\/api\/me$/,
      async (req, res) => {
        const { user } = await requireUser(req);
        const v = await store.vault(user.id);
        send(res, 200, { user: { id: user.id, username: user.username }, hasVault: v !== null });
      },
    ],
    [
      'POST',
      /^\/api\/keyserver-token$/,
      async (req, res) => {
        const { user } = await requireUser(req);
        send(res, 200, await issuer.issue(user.id));
      },
    ],
    [
      'GET',
      /^\/api\/vault$/,
      async (req, res) => {
        const { user } = await requireUser(req);
        const v = await vaultJson(user.id);
        if (!v) throw new HttpError(404, 'no_vault', 'no vault yet');
        send(res, 200, v);
      },
    ],
    [
      'PUT',
      /^\/api\/vault$/,
      async (req, res) => {
        const { user } = await requireUser(req);
        const body = parse(PutVault, await readJson(req));
        const info = checkVault(body.header, body.capsules);
        if (body.expectedEpoch !== null && info.epoch <= body.expectedEpoch) {
          throw new HttpError(400, 'invalid_vault', 'a new vault must have a newer epoch');
        }
        const now = Date.now();
        let units: UnitRow[] | null = null;
        if (body.units) {
          units = body.units.map((u) => ({
            vendor: u.vendor,
            version: checkUnit(u.unit, u.vendor, info.vaultId).version,
            unit: u.unit,
            updatedAt: now,
          }));
          if (new Set(units.map((u) => u.vendor)).size !== units.length) {
            throw new HttpError(400, 'invalid_request', 'a vendor appears twice');
          }
        }
        const ok = await store.replaceVault(
          user.id,
          body.expectedEpoch,
          { epoch: info.epoch, header: body.header, capsules: body.capsules, updatedAt: now },
          units,
        );
        if (!ok) throw new HttpError(409, 'conflict', 'the vault changed meanwhile: reload it');
        send(res, 200, await vaultJson(user.id));
      },
    ],
    [
      'PUT',
      /^\/api\/units\/([^/]+)$/,
      async (req, res, [name]) => {
        const { user } = await requireUser(req);
        const vendorName = parse(vendor, decodeURIComponent(name!));
        const body = parse(PutUnit, await readJson(req));
        const v = await store.vault(user.id);
        if (!v) throw new HttpError(404, 'no_vault', 'no vault yet');
        const vaultId = inspectHeader(v.vault.header).vaultId;
        const info = checkUnit(body.unit, vendorName, vaultId);
        // Versions only go up: the API refuses to store an older unit over a newer one.
        if (info.version <= (body.expectedVersion ?? 0)) {
          throw new HttpError(400, 'invalid_unit', 'the unit version must be newer than the stored one');
        }
        const row = { vendor: vendorName, version: info.version, unit: body.unit, updatedAt: Date.now() };
        if (!(await store.putUnit(user.id, body.expectedVersion, row))) {
          throw new HttpError(409, 'conflict', 'the unit changed meanwhile: reload it');
        }
        send(res, 200, { vendor: vendorName, version: info.version });
      },
    ],
    [
      'DELETE',
      /^\/api\/units\/([^/]+)$/,
      async (req, res, [name]) => {
        const { user } = await requireUser(req);
        const vendorName = parse(vendor, decodeURIComponent(name!));
        if (!(await store.deleteUnit(user.id, vendorName))) throw new HttpError(404, 'not_found', 'no such vendor');
        send(res, 200, {});
      },
    ],
    [
      'GET',
      /^\/api\/admin\/users$/,
      async (req, res) => {
        requireAdmin(req);
        const users = await store.listUsers();
        const rows = await Promise.all(
          users.map(async (u) => {
            const v = await store.vault(u.id);
            return {
              id: u.id,
              username: u.username,
              createdAt: u.createdAt,
              epoch: v?.vault.epoch ?? null,
              vendors: v?.units.map((x) => x.vendor) ?? [],
            };
          }),
        );
        send(res, 200, { keyServerMode: embedded ? 'embedded' : 'standalone', users: rows });
      },
    ],
    [
      'GET',
      /^\/api\/admin\/users\/([^/]+)$/,
      async (req, res, [id]) => {
        requireAdmin(req);
        const user = await store.userById(decodeURIComponent(id!));
        if (!user) throw new HttpError(404, 'not_found', 'no such user');
        const v = await store.vault(user.id);
        send(res, 200, {
          user: { id: user.id, username: user.username, createdAt: user.createdAt },
          vault: v && {
            epoch: v.vault.epoch,
            updatedAt: v.vault.updatedAt,
            capsules: v.vault.capsules.map((c) => {
              const i = inspectCapsule(c);
              return { keyId: i.keyId, keyVersion: i.keyVersion, purpose: i.purpose, needsPassword: i.needsPassword };
            }),
            units: v.units.map((u) => {
              const i = inspectUnit(u.unit);
              return { vendor: u.vendor, version: u.version, gateKeyVersion: i.gateKeyVersion, updatedAt: u.updatedAt };
            }),
          },
          keyServer: await keyServerView(user.id),
        });
      },
    ],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    try {
      if (url.pathname.startsWith('/ks/') && embedded) {
        if (req.method !== 'GET' && req.headers[CSRF_HEADER] !== '1') {
          throw new HttpError(403, 'forbidden', `state-changing requests carry ${CSRF_HEADER}: 1`);
        }
        req.url = (req.url ?? '/').slice(3);
        return await embedded.handler(req, res);
      }
      const found = routes.find(([m, p]) => p.test(url.pathname) && (m === req.method));
      if (!found) {
        const known = routes.some(([, p]) => p.test(url.pathname));
        throw known
          ? new HttpError(405, 'method_not_allowed', 'the path does not take this method')
          : new HttpError(404, 'not_found', 'no such path');
      }
      const [method, pattern, handler] = found;
      const isAdmin = url.pathname.startsWith('/api/admin/');
      if (method !== 'GET' && !isAdmin && req.headers[CSRF_HEADER] !== '1') {
        throw new HttpError(403, 'forbidden', `state-changing requests carry ${CSRF_HEADER}: 1`);
      }
      await handler(req, res, pattern.exec(url.pathname)!.slice(1));
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, e.status, { error: { code: e.code, message: e.message } });
      } else {
        // Details go to the log (never request bodies); the client gets a generic answer.
        console.error(`${req.method} ${url.pathname}: internal error:`, (e as Error)?.stack ?? e);
        if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'internal error' } });
      }
    }
  }

  /** The session's user id, for the embedded key server's authentication. */
  async function userOf(req: IncomingMessage): Promise<string | null> {
    return (await sessionUser(req))?.user.id ?? null;
  }

  return { handle, userOf };
}
