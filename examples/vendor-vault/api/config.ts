// Configuration of the API, from the environment only. Every variable has a default that
// works on a developer machine; `npm start` (scripts/start.mjs) sets the ones it needs.
//
// | variable | default | what |
// |---|---|---|
// | `API_BIND` | `127.0.0.1:8480` | listen address |
// | `API_DATA_DIR` | `./.data/api` | the SQLite database and the token-signing key (created 0700) |
// | `DATABASE_URL` | — (SQLite in the data dir) | `postgres://…` to use PostgreSQL instead |
// | `API_ISSUER` | `vendor-vault-api` | `iss` of the key-server tokens |
// | `KEY_SERVER_ID` | `localhost` | the key server's identity: tokens' `aud`, the vault's key id |
// | `KEY_SERVER_MODE` | `standalone` | `standalone` (quorumkey-server) or `embedded` (the npm package's key-server role, mounted at `/ks/`) |
// | `KEY_SERVER_URL` | — | standalone: the key server's base URL, for the admin view |
// | `KEY_SERVER_ADMIN_TOKEN` | — | standalone: its operator token, for the admin view |
// | `KEY_SERVER_SEED_FILE` | `<data dir>/master-seed` | embedded: the master seed (created 0600) |
// | `ADMIN_TOKEN` | — | operator token for `/api/admin/…` (at least 32 characters; unset: no admin view) |
// | `VENDOR_URL` | `http://127.0.0.1:8490` | the mock vendor's base URL (the page calls it) |
// | `IDLE_LOCK_SECONDS` | `300` | the page locks an unlocked vault after this long without activity |
// | `SESSION_IDLE_SECONDS` | `1800` | a session ends after this long without a request |
// | `TOKEN_TTL_SECONDS` | `60` | lifetime of a key-server token |
// | `COOKIE_SECURE` | `false` | mark the session cookie `Secure` (set it behind TLS) |
//
// A missing or bad setting stops the process naming the variable only.
import { resolve } from 'node:path';

export type KeyServerMode = 'standalone' | 'embedded';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  issuer: string;
  keyServerId: string;
  keyServerMode: KeyServerMode;
  keyServerUrl: string | undefined;
  keyServerAdminToken: string | undefined;
  seedFile: string;
  adminToken: string | undefined;
  vendorUrl: string;
  idleLockSeconds: number;
  sessionIdleSeconds: number;
  tokenTtlSeconds: number;
  cookieSecure: boolean;
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function fail(name: string, why: string): never {
  throw new Error(`${name}: ${why}`);
}

function int(name: string, fallback: number, min: number, max: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(name, `an integer in ${min}..=${max}`);
  return n;
}

export function loadConfig(): Config {
  const bind = env('API_BIND') ?? '127.0.0.1:8480';
  const at = bind.lastIndexOf(':');
  const port = Number(bind.slice(at + 1));
  if (at < 1 || !Number.isInteger(port) || port < 0 || port > 65535) fail('API_BIND', 'host:port');
  const dataDir = resolve(env('API_DATA_DIR') ?? './.data/api');
  const mode = env('KEY_SERVER_MODE') ?? 'standalone';
  if (mode !== 'standalone' && mode !== 'embedded') fail('KEY_SERVER_MODE', 'standalone or embedded');
  const adminToken = env('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 32) fail('ADMIN_TOKEN', 'at least 32 characters');
  const databaseUrl = env('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    fail('DATABASE_URL', 'a postgres:// URL (unset: SQLite in the data directory)');
  }
  return {
    host: bind.slice(0, at),
    port,
    dataDir,
    databaseUrl,
    issuer: env('API_ISSUER') ?? 'vendor-vault-api',
    keyServerId: env('KEY_SERVER_ID') ?? 'localhost',
    keyServerMode: mode,
    keyServerUrl: env('KEY_SERVER_URL')?.replace(/\/+$/, ''),
    keyServerAdminToken: env('KEY_SERVER_ADMIN_TOKEN'),
    seedFile: resolve(env('KEY_SERVER_SEED_FILE') ?? `${dataDir}/master-seed`),
    adminToken,
    vendorUrl: (env('VENDOR_URL') ?? 'http://127.0.0.1:8490').replace(/\/+$/, ''),
    idleLockSeconds: int('IDLE_LOCK_SECONDS', 300, 5, 86400),
    sessionIdleSeconds: int('SESSION_IDLE_SECONDS', 1800, 30, 7 * 86400),
    tokenTtlSeconds: int('TOKEN_TTL_SECONDS', 60, 5, 300),
    cookieSecure: env('COOKIE_SECURE') === 'true' || env('COOKIE_SECURE') === '1',
  };
}
