#!/usr/bin/env bash
# The npm package's CI, called by .ci/run: builds the package from the crate, packs it, and
# tests the packed tarball (Node.js ESM and CommonJS, TypeScript, the PostgreSQL store, a
# real Chromium, the spec vectors, interop with the Rust key server and the Rust client),
# then measures it (spec/performance.md §8). Each section prints the seconds since start.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
out="$root/target/npm"
export ARTIFACTS="$root/target/npm-artifacts"
mkdir -p "$out" "$ARTIFACTS"
section() { printf -- '--- [%ss] %s\n' "$SECONDS" "$*"; }

section "tools"
rustup target add wasm32-unknown-unknown >/dev/null
want="$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p}' "$root/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    # From source, at the exact version of the wasm-bindgen crate (no prebuilt download).
    cargo install wasm-bindgen-cli --version "$want"
fi
if [ ! -x /usr/bin/chromium ]; then
    apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null
fi

section "PostgreSQL for the pg store"
if ! pg_lsclusters 2>/dev/null | grep -q online; then pg_ctlcluster 15 main start; fi
su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'quorumkey_npm') THEN CREATE ROLE quorumkey_npm LOGIN PASSWORD 'quorumkey_npm'; END IF; END \\\$\\\$;\""
if ! su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'quorumkey_npm'\"" | grep -q 1; then
    su postgres -c "createdb -O quorumkey_npm quorumkey_npm"
fi
export TEST_DATABASE_URL="postgres://quorumkey_npm:quorumkey_npm@127.0.0.1:5432/quorumkey_npm"

section "bindings crate: clippy (wasm32: the browser's, Node.js's and the test module's features) and the code-table unit tests"
for features in "" "server,messages" "server,messages,test-rng"; do
    (cd "$root" && cargo clippy -p quorumkey-js --lib --target wasm32-unknown-unknown --features "$features" \
        --profile wasm-server -- -D warnings)
done
(cd "$root" && cargo test -p quorumkey-js --lib)

section "build and pack"
npm ci --no-audit --no-fund
node build.mjs
rm -f "$out"/quorumkey-*.tgz
npm pack --pack-destination "$out" >/dev/null
tarball="$(ls "$out"/quorumkey-*.tgz)"
echo "packed $tarball"
# TESTS ONLY, outside the package: the module with named deterministic random streams that
# the vectors test swaps into a copy of the installed package (spec/vectors/protocol.json).
node build.mjs --test-rng

section "Rust peers of the interop tests: quorumkey-server, and the demo client (examples/demo.rs)"
# The demo is built as .ci/run's "examples run" step builds it, which then finds it built.
(cd "$root" && cargo build -p quorumkey-server --bin quorumkey-server && cargo build --release --example demo)

section "the benchmark's native side (examples/native_bench.rs, the Node.js module's compile settings)"
(cd "$root" && cargo build -p quorumkey-js --example native_bench --profile wasm-server)

section "tests against the packed tarball"
cd test
npm ci --no-audit --no-fund
npm install --no-save --no-audit --no-fund "$tarball"
CI="${CI:-true}" node --test --test-concurrency=1 node/ browser/ interop/
(cd types && ../node_modules/.bin/tsc -p tsconfig.json)
echo "tsc --noEmit over types/consumer.ts: ok"

section "benchmark (measured, not asserted)"
node bench/bench.mjs | tee "$ARTIFACTS/bench.txt"
section "done"
