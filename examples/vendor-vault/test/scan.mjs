// Scans files (and optionally a PostgreSQL database) for secrets in every encoding the
// test can think of: raw UTF-8, UTF-16 (LE and BE), hex (both cases), base64 and base64url
// at each of the three byte alignments, URL encoding, JSON escaping.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The ways `secret` could be written down. */
export function variants(secret) {
  const utf8 = Buffer.from(secret, 'utf8');
  const out = new Set([
    secret,
    Buffer.from(secret, 'utf16le').toString('latin1'),
    Buffer.from(secret, 'utf16le').swap16().toString('latin1'),
    utf8.toString('hex'),
    utf8.toString('hex').toUpperCase(),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    JSON.stringify(secret).slice(1, -1),
  ]);
  // base64 of the secret inside a longer byte string starts at any of three alignments:
  // keep only the characters that depend on the secret's bytes alone.
  for (let k = 0; k < 3; k++) {
    const bytes = Buffer.concat([Buffer.alloc(k), utf8]);
    for (const alphabet of ['base64', 'base64url']) {
      let s = bytes.toString(alphabet).replace(/=+$/, '');
      s = s.slice(k === 0 ? 0 : k + 1);
      if (bytes.length % 3 !== 0) s = s.slice(0, -1);
      out.add(s);
    }
  }
  return [...out].filter((v) => v.length >= 8);
}

function files(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

async function postgresTables(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (
      await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    ).rows.map((r) => r.table_name);
    const out = [];
    for (const t of tables) {
      const rows = (await client.query(`SELECT * FROM "${t}"`)).rows;
      const parts = [];
      for (const row of rows) {
        for (const v of Object.values(row)) {
          if (Buffer.isBuffer(v)) parts.push(v);
          else if (Array.isArray(v)) parts.push(...v.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x)))));
          else parts.push(Buffer.from(typeof v === 'object' ? JSON.stringify(v) : String(v)));
        }
      }
      out.push([`postgres:${t}`, Buffer.concat(parts)]);
    }
    return out;
  } finally {
    await client.end();
  }
}

/**
 * Looks for each `[name, secret]` in every file under `dir` (and every table of
 * `databaseUrl`'s schema). Returns `{files, bytes, hits}`.
 */
export async function scan(dir, secrets, { databaseUrl } = {}) {
  const blobs = files(dir).map((f) => [f.slice(dir.length + 1), readFileSync(f)]);
  if (databaseUrl) blobs.push(...(await postgresTables(databaseUrl)));
  const hits = [];
  let bytes = 0;
  for (const [name, data] of blobs) {
    bytes += data.length;
    const text = data.toString('latin1');
    for (const [what, secret] of secrets) {
      for (const v of variants(secret)) {
        const needle = Buffer.from(v, 'utf8').toString('latin1');
        if (text.includes(needle) || text.includes(v)) hits.push(`${what} in ${name} (as ${JSON.stringify(v)})`);
      }
    }
  }
  return { files: blobs.map(([n]) => n), bytes, hits };
}

/** The scanner finds what it must find (run: node test/scan.mjs). */
if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = 'gl0bex/P4ss+abc=';
  const blob = Buffer.concat([
    Buffer.from('xx'),
    Buffer.from(Buffer.concat([Buffer.from([1]), Buffer.from(secret)]).toString('base64')),
    Buffer.from(secret, 'utf16le'),
  ]);
  const text = blob.toString('latin1');
  const found = variants(secret).filter((v) => text.includes(v));
  if (found.length < 2) throw new Error('the scanner missed base64 at offset 1 or UTF-16');
  console.log(`scan self-check: ok (${found.length} variants found)`);
}
