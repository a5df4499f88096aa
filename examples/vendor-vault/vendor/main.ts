// A mock third-party vendor: the service whose login the app's automation uses. It knows
// its own accounts (it is the vendor, after all) and answers `POST /<vendor>/login` with a
// session for the right username and password. It allows the page's origin through CORS,
// because the page itself calls it: the credential goes from the user's browser to the
// vendor, never through the company's servers.
//
// | variable | default | what |
// |---|---|---|
// | `VENDOR_BIND` | `127.0.0.1:8490` | listen address |
// | `VENDOR_ACCOUNTS` | `vendor/demo-accounts.json` | a JSON file `{"<vendor>": {"username", "password"}}` |
// | `VENDOR_ALLOWED_ORIGINS` | `*` | comma-separated origins allowed to call it |
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Account {
  username: string;
  password: string;
}

const bind = process.env.VENDOR_BIND ?? '127.0.0.1:8490';
const accounts: Record<string, Account> = JSON.parse(
  readFileSync(process.env.VENDOR_ACCOUNTS ?? 'vendor/demo-accounts.json', 'utf8'),
);
const allowed = (process.env.VENDOR_ALLOWED_ORIGINS ?? '*').split(',').map((s) => s.trim());
const stats: Record<string, { ok: number; refused: number }> = {};

// Compares digests so neither the length nor the content leaks through timing.
const same = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown) {
  const origin = req.headers.origin;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (origin && (allowed.includes('*') || allowed.includes(origin))) {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-methods'] = 'POST, GET';
    headers['access-control-allow-headers'] = 'content-type';
    headers['vary'] = 'origin';
  }
  res.writeHead(status, headers);
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<unknown> {
  let data = '';
  for await (const chunk of req) {
    data += chunk;
    if (data.length > 4096) throw new Error('too large');
  }
  return JSON.parse(data);
}

const server = createServer(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'OPTIONS') return send(req, res, 204, undefined);
  if (req.method === 'GET' && path === '/stats') return send(req, res, 200, stats);
  if (req.method === 'GET' && path === '/healthz') return send(req, res, 200, { ok: true });
  const m = /^\/([a-z0-9][a-z0-9.-]{0,39})\/login$/.exec(path);
  if (req.method !== 'POST' || !m) return send(req, res, 404, { error: 'not found' });
  const vendor = m[1]!;
  const account = accounts[vendor];
  const s = (stats[vendor] ??= { ok: 0, refused: 0 });
  let given: { username?: unknown; password?: unknown };
  try {
    given = (await body(req)) as typeof given;
  } catch {
    return send(req, res, 400, { error: 'bad request' });
  }
  const ok =
    account !== undefined &&
    typeof given.username === 'string' &&
    typeof given.password === 'string' &&
    same(given.username, account.username) &&
    same(given.password, account.password);
  if (!ok) {
    s.refused += 1;
    console.log(`${vendor}: login refused`);
    return send(req, res, 401, { error: 'wrong username or password' });
  }
  s.ok += 1;
  console.log(`${vendor}: login ok`);
  send(req, res, 200, {
    vendor,
    session: randomBytes(12).toString('hex'),
    message: `Synced ${3 + (s.ok % 5)} orders from ${vendor}`,
  });
});

const at = bind.lastIndexOf(':');
server.listen(Number(bind.slice(at + 1)), bind.slice(0, at), () => {
  const a = server.address();
  console.log(`mock vendor listening on http://${bind.slice(0, at)}:${typeof a === 'object' && a ? a.port : ''}`);
  console.log(`vendors: ${Object.keys(accounts).join(', ')}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
