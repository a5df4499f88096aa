// The API process: configuration, storage, the token issuer, optionally the embedded key
// server, and an HTTP server that logs one line per request (method, path, status, time;
// never a body) and stops cleanly on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { ready } from 'quorumkey';
import { createApp, type EmbeddedKeyServer } from './app.js';
import { loadConfig, type Config } from './config.js';
import { openStore, type Store } from './store.js';
import { TokenIssuer } from './tokens.js';

async function masterSeed(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(Buffer.from((await readFile(path, 'utf8')).trim(), 'hex'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const seed = randomBytes(32);
    await writeFile(path, seed.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return new Uint8Array(seed);
  }
}

/** The npm package's key-server role, its records and audit log in the API's database. */
async function embeddedKeyServer(config: Config, store: Store, app: { userOf: (req: any) => Promise<string | null> }) {
  const { KeyServer } = await import('quorumkey/server');
  const server = await KeyServer.create({ seed: await masterSeed(config.seedFile), issuer: config.keyServerId });
  const embedded: EmbeddedKeyServer = {
    handler: server.nodeHandler({ store: store.keyServer, authenticate: app.userOf }),
    keys: (userId: string) => server.operation(userId, 'get_keys', store.keyServer),
  };
  return embedded;
}

async function main() {
  const config = loadConfig();
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await ready();
  const store = await openStore(config.databaseUrl, config.dataDir);
  const issuer = await TokenIssuer.load(config.dataDir, config.issuer, config.keyServerId, config.tokenTtlSeconds);
  let userOf: (req: any) => Promise<string | null> = async () => null;
  const embedded =
    config.keyServerMode === 'embedded'
      ? await embeddedKeyServer(config, store, { userOf: (req) => userOf(req) })
      : undefined;
  const app = createApp(config, store, issuer, embedded);
  userOf = app.userOf;

  const server = createServer((req, res) => {
    const started = performance.now();
    res.on('finish', () => {
      const path = (req.url ?? '/').split('?')[0];
      console.log(`${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(0)}ms`);
    });
    void app.handle(req, res);
  });
  server.listen(config.port, config.host, () => {
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : config.port;
    console.log(
      `vendor-vault API listening on http://${config.host}:${port} (store: ${store.backend}, key server: ${config.keyServerMode})`,
    );
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => void store.close().then(() => process.exit(0)));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`vendor-vault API: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
