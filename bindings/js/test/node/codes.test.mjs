// The one code table: every code the core can report has exactly one row, the HTTP statuses
// agree with spec/http-api.md §4, and the TypeScript union and the README list every code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes, QuorumkeyError, WrongPasswordError } from 'quorumkey';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const pkgDir = dirname(createRequire(import.meta.url).resolve('quorumkey/package.json'));
const codes = Object.keys(errorCodes);

test('every core Error::code() has a row', () => {
  const src = readFileSync(join(repo, 'src', 'error.rs'), 'utf8');
  const body = src.split('pub fn code(&self)')[1].split('\n    }\n')[0];
  const core = new Set([...body.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]));
  assert.ok(core.size > 40);
  for (const code of core) assert.ok(codes.includes(code), `core code ${code} has no row`);
});

test('numbers are unique and grouped; statuses follow spec/http-api.md §4', () => {
  const numbers = codes.map((c) => errorCodes[c].number);
  assert.equal(new Set(numbers).size, numbers.length);
  const spec = readFileSync(join(repo, 'spec', 'http-api.md'), 'utf8').split('## 4. Errors')[1].split('## 5.')[0];
  for (const line of spec.split('\n')) {
    const m = line.match(/^\| `(\d{3})` \| (.*) \|$/);
    if (!m) continue;
    for (const [, code] of m[2].matchAll(/`([a-z_]+)`/g)) {
      assert.ok(codes.includes(code), `spec code ${code} has no row`);
      assert.equal(errorCodes[code].status, Number(m[1]), `${code}: status`);
    }
  }
});

test('the TypeScript ErrorCode union lists exactly the table', () => {
  const dts = readFileSync(join(pkgDir, 'index.d.ts'), 'utf8').split('export type ErrorCode =')[1].split(';')[0];
  const union = [...dts.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(union, [...codes].sort());
});

test('the README documents every code with its number', { skip: !existsSync(join(repo, 'bindings', 'js', 'README.md')) }, () => {
  const readme = readFileSync(join(repo, 'bindings', 'js', 'README.md'), 'utf8');
  for (const code of codes) {
    assert.match(readme, new RegExp(`\\| ${errorCodes[code].number} \\| \`${code}\` \\|`), `${code} missing from the README table`);
  }
});

test('error classes', () => {
  const e = new WrongPasswordError('no', { guessesRemaining: 3, holder: 2 });
  assert.ok(e instanceof QuorumkeyError && e instanceof Error);
  assert.equal(e.name, 'WrongPasswordError');
  assert.equal(e.number, 3003);
  assert.equal(e.guessesRemaining, 3);
  assert.equal(new QuorumkeyError('busy', 'x').retryable, true);
});
