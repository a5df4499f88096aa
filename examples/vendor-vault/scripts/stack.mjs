// Builds and runs the whole example: the quorumkey npm package (if its tarball is
// missing), the page, the API, the key server, the mock vendor and the front door. Used by
// `npm start` (scripts/start.mjs) and by the browser test (test/e2e.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(EXAMPLE, '../..');
export const TARBALL = join(REPO, 'target/npm/quorumkey-0.1.0.tgz');
const KEY_SERVER_ID = 'vendor-vault-keys';
const ISSUER = 'vendor-vault-api';

function log(message) {
  process.stdout.write(`[start] ${message}\n`);
}

function run(command, args, options = {}) {
  const started = Date.now();
  const r = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return ((Date.now() - started) / 1000).toFixed(1);
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

/**
 * Everything the stack needs on disk: the package tarball, the example's dependencies, the
 * built page and API, and the key server binary. Each step is skipped when up to date.
 */
export function build({ release = false, keyServer = true } = {}) {
  if (!existsSync(TARBALL)) {
    log('building the quorumkey npm package (WebAssembly) …');
    const js = join(REPO, 'bindings/js');
    // Its build needs the wasm32 target and the wasm-bindgen CLI of the crate's version.
    run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
    const lock = readFileSync(join(REPO, 'Cargo.lock'), 'utf8');
    const want = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
    const have = spawnSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (want && have !== `wasm-bindgen ${want}`) {
      log(`installing wasm-bindgen-cli ${want} from source (a few minutes, once) …`);
      run('cargo', ['install', 'wasm-bindgen-cli', '--version', want]);
    }
    if (!existsSync(join(js, 'node_modules'))) run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: js });
    log(`  npm package built in ${run('npm', ['run', 'pack:ci'], { cwd: js })} s`);
  }
  // The tarball is installed as a file dependency; npm ci again whenever it changed.
  const stamp = join(EXAMPLE, 'node_modules/.quorumkey-tarball');
  const tarballTime = String(mtime(TARBALL));
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== tarballTime) {
    log('installing the example’s dependencies (npm ci) …');
    const s = run('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: EXAMPLE,
      // better-sqlite3 compiles here rather than trying to download a prebuilt binary.
      env: { ...process.env, npm_config_build_from_source: 'better-sqlite3' },
    });
    writeFileSync(stamp, tarballTime);
    log(`  dependencies installed in ${s} s`);
  }
  log(`page and API built in ${run('npm', ['run', '--silent', 'build'], { cwd: EXAMPLE })} s`);
  if (keyServer && !process.env.QUORUMKEY_SERVER_BIN) {
    const args = ['build', '-p', 'quorumkey-server', ...(release ? ['--release'] : [])];
    log(`quorumkey-server built in ${run('cargo', args, { cwd: REPO })} s (cargo ${args.join(' ')})`);
  }
}

/** A free TCP port on 127.0.0.1 (or `preferred` if it is free). */
export function freePort(preferred = 0) {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(freePort(0)));
    server.listen(preferred, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** One child process, its output prefixed on the console and copied to a log file. */
class Child {
  constructor(name, command, args, { env, logDir, quiet, onExit }) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.env = env;
    this.logDir = logDir;
    this.quiet = quiet;
    this.onExit = onExit;
  }

  start(readyPattern, timeoutMs = 60000) {
    const file = createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    this.proc = spawn(this.command, this.args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.stopping = false;
    return new Promise((resolveReady, rejectReady) => {
      let ready = false;
      const timer = setTimeout(() => rejectReady(new Error(`${this.name} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      const onData = (chunk) => {
        file.write(chunk);
        const text = chunk.toString();
        if (!this.quiet) for (const line of text.split('\n')) if (line) process.stdout.write(`[${this.name}] ${line}\n`);
        if (!ready && readyPattern.test(text)) {
          ready = true;
          clearTimeout(timer);
          resolveReady();
        }
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', (code, signal) => {
        file.end();
        clearTimeout(timer);
        if (!ready) rejectReady(new Error(`${this.name} exited (${code ?? signal}) before it was ready; see ${this.logDir}/${this.name}.log`));
        if (!this.stopping) this.onExit?.(this.name, code ?? signal);
      });
    });
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    this.stopping = true;
    return new Promise((done) => {
      const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      p.kill('SIGTERM');
    });
  }
}

function secret(path) {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = randomBytes(32).toString('base64url');
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

/**
 * Starts the stack. Options: `dataDir` (default `.data`), `fresh` (wipe it first),
 * `embedded` (the npm package's key-server role inside the API instead of
 * quorumkey-server), `ports` ({front, api, keyServer, vendor}; 0 = any free port),
 * `release`, `env` (extra API settings), `vendorAccounts` (a JSON file), `quiet`.
 * Resolves to `{urls, adminToken, logDir, dataDir, children, stop(), stopKeyServer(),
 * startKeyServer()}`.
 */
export async function startStack(options = {}) {
  const dataDir = resolve(options.dataDir ?? join(EXAMPLE, '.data'));
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  const logDir = join(dataDir, 'logs');
  for (const d of [dataDir, logDir, join(dataDir, 'api'), join(dataDir, 'keyserver')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const ports = options.ports ?? {};
  const port = {
    front: await freePort(ports.front ?? 8470),
    api: await freePort(ports.api ?? 0),
    keyServer: await freePort(ports.keyServer ?? 0),
    vendor: await freePort(ports.vendor ?? 0),
  };
  const urls = {
    page: `http://127.0.0.1:${port.front}/`,
    api: `http://127.0.0.1:${port.api}`,
    keyServer: options.embedded ? `http://127.0.0.1:${port.api}/ks` : `http://127.0.0.1:${port.keyServer}`,
    vendor: `http://127.0.0.1:${port.vendor}`,
  };
  const adminToken = secret(join(dataDir, 'admin-token'));
  const keyServerAdminToken = secret(join(dataDir, 'keyserver-admin-token'));
  const build = join(EXAMPLE, 'build/node');
  let stopped = false;
  const children = {};
  const common = { logDir, quiet: options.quiet, onExit: (name, why) => options.onChildExit?.(name, why) };

  children.vendor = new Child('vendor', process.execPath, [join(build, 'vendor/main.js')], {
    ...common,
    env: {
      VENDOR_BIND: `127.0.0.1:${port.vendor}`,
      VENDOR_ALLOWED_ORIGINS: urls.page.replace(/\/$/, ''),
      VENDOR_ACCOUNTS: options.vendorAccounts ?? join(EXAMPLE, 'vendor/demo-accounts.json'),
    },
  });
  children.api = new Child('api', process.execPath, [join(build, 'api/main.js')], {
    ...common,
    env: {
      API_BIND: `127.0.0.1:${port.api}`,
      API_DATA_DIR: join(dataDir, 'api'),
      API_ISSUER: ISSUER,
      KEY_SERVER_ID: KEY_SERVER_ID,
      KEY_SERVER_MODE: options.embedded ? 'embedded' : 'standalone',
      KEY_SERVER_URL: urls.keyServer,
      KEY_SERVER_ADMIN_TOKEN: keyServerAdminToken,
      ADMIN_TOKEN: adminToken,
      VENDOR_URL: urls.vendor,
      ...options.env,
    },
  });
  const binary =
    process.env.QUORUMKEY_SERVER_BIN ??
    join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), options.release ? 'release' : 'debug', 'quorumkey-server');
  children.keyServer = options.embedded
    ? null
    : new Child('keyserver', binary, ['serve'], {
        ...common,
        env: {
          QUORUMKEY_DATA_DIR: join(dataDir, 'keyserver'),
          QUORUMKEY_BIND: `127.0.0.1:${port.keyServer}`,
          QUORUMKEY_SERVER_ID: KEY_SERVER_ID,
          QUORUMKEY_JWKS: join(dataDir, 'api/jwks.json'),
          QUORUMKEY_ISSUERS: `vendor-vault=${ISSUER}`,
          QUORUMKEY_ADMIN_TOKEN: keyServerAdminToken,
          QUORUMKEY_CLIENT_IP_HEADER: 'x-forwarded-for',
          RUST_LOG: process.env.RUST_LOG ?? 'info',
        },
      });
  children.front = new Child('front', process.execPath, [join(build, 'front/main.js')], {
    ...common,
    env: {
      FRONT_BIND: `127.0.0.1:${port.front}`,
      FRONT_ROOT: join(EXAMPLE, 'build/web'),
      FRONT_API_URL: urls.api,
      FRONT_KEY_SERVER_URL: urls.keyServer,
      FRONT_CONNECT_SRC: urls.vendor,
    },
  });

  const stack = {
    urls,
    adminToken,
    dataDir,
    logDir,
    children,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(Object.values(children).filter(Boolean).map((c) => c.stop()));
    },
    /** Stops the key server (the browser test's "key server down"). */
    async stopKeyServer() {
      await children.keyServer?.stop();
    },
    /** Starts it again with the same data and port. */
    async startKeyServer() {
      await children.keyServer?.start(/listening on/);
    },
  };
  try {
    await children.vendor.start(/listening on/);
    // The API writes the JWKS the key server reads, so it starts first.
    await children.api.start(/listening on/);
    if (children.keyServer) await children.keyServer.start(/listening on/);
    await children.front.start(/listening on/);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}
