#!/usr/bin/env node
// `npm start`: builds what is missing, starts the key server, the API, the mock vendor and
// the front door on 127.0.0.1, prints the URL, and stops everything on Ctrl-C.
//
//   npm start                  quorumkey-server as the key server (SQLite)
//   npm start -- --embedded    the npm package's key-server role inside the API instead
//   npm start -- --fresh       start from empty databases
//   npm start -- --release     build quorumkey-server in release mode
// DATABASE_URL=postgres://…    the API's data in PostgreSQL instead of SQLite
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE, build, startStack } from './stack.mjs';

const DEMO = Object.entries(JSON.parse(readFileSync(join(EXAMPLE, 'vendor/demo-accounts.json'), 'utf8'))).map(
  ([vendor, a]) => ({ vendor, ...a }),
);

const flags = new Set(process.argv.slice(2));
for (const f of flags) {
  if (!['--embedded', '--fresh', '--release'].includes(f)) {
    console.error(`unknown option ${f} (use --embedded, --fresh, --release)`);
    process.exit(2);
  }
}
const embedded = flags.has('--embedded');

let stack;
async function shutdown(code) {
  process.stdout.write('\n[start] stopping …\n');
  await stack?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  build({ release: flags.has('--release'), keyServer: !embedded });
  stack = await startStack({
    embedded,
    fresh: flags.has('--fresh'),
    release: flags.has('--release'),
    env: process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {},
    onChildExit: (name, why) => {
      console.error(`[start] ${name} stopped unexpectedly (${why}); stopping everything`);
      void shutdown(1);
    },
  });
} catch (e) {
  console.error(`[start] ${e.message}`);
  await stack?.stop();
  process.exit(1);
}

const u = stack.urls;
console.log(`
  Vendor Vault is running.

    Open            ${u.page}
    Operator view   ${u.page}admin.html#token=${stack.adminToken}
    Key server      ${embedded ? 'embedded in the API (the npm package’s key-server role)' : `quorumkey-server at ${u.keyServer}`}
    Mock vendor     ${u.vendor}   demo accounts:
${DEMO.map((d) => `                      ${d.vendor.padEnd(8)} ${d.username} / ${d.password}`).join('\n')}
    Data and logs   ${stack.dataDir}

  Ctrl-C stops everything.
`);
