// The front door: serves the built page and forwards `/api/` to the API and `/ks/` to the
// key server, so the page talks to one origin. In production this is your reverse proxy
// (nginx, Caddy, a load balancer) terminating TLS; the README shows the equivalent config.
//
// | variable | default | what |
// |---|---|---|
// | `FRONT_BIND` | `127.0.0.1:8470` | listen address |
// | `FRONT_ROOT` | `build/web` | the built page |
// | `FRONT_API_URL` | `http://127.0.0.1:8480` | the API |
// | `FRONT_KEY_SERVER_URL` | `http://127.0.0.1:8440` | the key server (`/ks/x` → `<url>/x`); with the embedded key server, the API's URL + `/ks` |
// | `FRONT_CONNECT_SRC` | — | extra origins the page may call (the mock vendor), for the CSP |
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

const bind = process.env.FRONT_BIND ?? '127.0.0.1:8470';
const root = resolve(process.env.FRONT_ROOT ?? 'build/web');
const apiUrl = new URL(process.env.FRONT_API_URL ?? 'http://127.0.0.1:8480');
const keyServerUrl = new URL(process.env.FRONT_KEY_SERVER_URL ?? 'http://127.0.0.1:8440');
const connectSrc = process.env.FRONT_CONNECT_SRC ?? '';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

// The page runs its own code only ('wasm-unsafe-eval' lets it compile the quorumkey
// module), talks to this origin and the vendors, and cannot be framed.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ${connectSrc}`.trim(),
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function forward(req: IncomingMessage, res: ServerResponse, target: URL, path: string) {
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
  const client = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${client}` : client;
  const base = target.pathname.replace(/\/+$/, '');
  const upstream = request(
    { hostname: target.hostname, port: target.port, method: req.method, path: base + path, headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) return res.destroy();
    const body = JSON.stringify({ error: { code: 'bad_gateway', message: 'the upstream service cannot be reached' } });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  req.pipe(upstream);
}

async function serveFile(res: ServerResponse, path: string) {
  let file = normalize(join(root, decodeURIComponent(path)));
  if (!file.startsWith(root)) return notFound(res);
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return notFound(res);
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

function notFound(res: ServerResponse) {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/api/')) return forward(req, res, apiUrl, url);
  if (url.startsWith('/ks/')) return forward(req, res, keyServerUrl, url.slice(3));
  if (req.method !== 'GET' && req.method !== 'HEAD') return notFound(res);
  void serveFile(res, url.split('?')[0]!);
});

const at = bind.lastIndexOf(':');
server.listen(Number(bind.slice(at + 1)), bind.slice(0, at), () => {
  const a = server.address();
  console.log(`front listening on http://${bind.slice(0, at)}:${typeof a === 'object' && a ? a.port : ''}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
