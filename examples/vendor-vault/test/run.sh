#!/usr/bin/env bash
# The vendor-vault example's tests, as .ci/run calls them. Installs what is missing
# (Debian's chromium, PostgreSQL running), builds the npm package tarball if absent,
# quorumkey-server and the example, then runs the browser story twice:
#   1. quorumkey-server (SQLite) as the key server, the API on SQLite;
#   2. the npm package's key-server role inside the API, the API on PostgreSQL.
# Screenshots: target/vendor-vault-screenshots/{standalone,embedded}/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(cd ../.. && pwd)"

if [ ! -f "$repo/target/npm/quorumkey-0.1.0.tgz" ] && [ ! -f "$repo/bindings/js/package.json" ]; then
    # The app needs the npm package: its tarball, or bindings/js to build it from.
    echo "vendor-vault: SKIPPED — no quorumkey npm package here (no bindings/js, no target/npm tarball)"
    exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
    apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null
fi
# better-sqlite3 compiles its SQLite on install (node-gyp: python3, make, a C++ compiler).
if ! command -v python3 >/dev/null || ! command -v make >/dev/null || ! command -v g++ >/dev/null; then
    apt-get update >/dev/null && apt-get install -y --no-install-recommends build-essential python3 >/dev/null
fi

# Builds (each skipped when up to date): the tarball, npm ci, tsc + vite, quorumkey-server.
node --input-type=module -e "import { build } from './scripts/stack.mjs'; build();"

# PostgreSQL: a fresh database for the API (and the embedded key server's tables).
if ! pg_lsclusters 2>/dev/null | grep -q online; then pg_ctlcluster 15 main start; fi
su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vendor_vault') THEN CREATE ROLE vendor_vault LOGIN PASSWORD 'vendor_vault'; END IF; END \\\$\\\$;\""
su postgres -c "dropdb --if-exists vendor_vault_e2e && createdb -O vendor_vault vendor_vault_e2e"
pg_url="postgres://vendor_vault:vendor_vault@127.0.0.1:5432/vendor_vault_e2e"

# The API and its stores without a browser (SQLite and PostgreSQL), and the scanner itself.
TEST_DATABASE_URL="$pg_url" node --test test/api.test.mjs
node test/scan.mjs

# The whole story in Chromium: quorumkey-server + SQLite, then the embedded key server +
# PostgreSQL (a fresh database: the API test above used it).
node test/e2e.mjs
su postgres -c "dropdb vendor_vault_e2e && createdb -O vendor_vault vendor_vault_e2e"
DATABASE_URL="$pg_url" node test/e2e.mjs --embedded

echo "screenshots: $repo/target/vendor-vault-screenshots"
