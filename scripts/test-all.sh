#!/usr/bin/env bash
# Every test of the workspace, the JavaScript, key-server and browser ones included:
#
#   scripts/test-all.sh
#
# It sets up what the tests need and is missing (Rust targets, wasm-bindgen-cli, Node.js
# packages from the committed lockfiles, Debian's chromium and a running PostgreSQL 15 —
# the last two only when run as root, as CI does), then runs, in order: the core crate's
# tests in three feature sets, the same suite on a 32-bit WebAssembly engine, interop with
# Cloudflare's voprf-ts, the key server's tests on SQLite and PostgreSQL, the npm package
# against its packed tarball (Node.js, TypeScript, PostgreSQL, Chromium), the reference
# app's whole story in Chromium, and the examples. `.ci/run` calls it after the lints.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }
export CARGO_TERM_COLOR=never

step "core: tests with every feature, the default ones, and none"
cargo test --all-features
# Each target declares the features it needs (Cargo.toml `required-features`), so a plain
# `cargo test` builds and runs, and secret-hygiene tests do not depend on `danger`.
cargo test
cargo test --no-default-features

step "core: the test suite executed under Node's WASI (wasm32)"
# The no_std builds only compile; this runs every test (RFC vectors, protocol vectors,
# property tests) on a 32-bit WebAssembly engine, where the field backends are 32-bit.
rustup target add wasm32-wasip1 >/dev/null
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings .ci/wasi-runner.mjs" \
    cargo test --target wasm32-wasip1 --all-features

step "core: interop with voprf-ts (Node.js) as a live RFC 9497 peer"
npm ci --prefix tests/interop/voprf-ts --no-audit --no-fund
cargo test --all-features --test interop_voprf_ts -- --ignored

step "PostgreSQL for the key server, the npm package and the app"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

step "quorumkey-server: SQLite, PostgreSQL, two processes, kill -9, bad input"
QUORUMKEY_REQUIRE_POSTGRES="${QUORUMKEY_REQUIRE_POSTGRES:-${CI:+1}}" \
    TEST_DATABASE_URL="$(postgres_url quorumkey_server)" \
    cargo test -p quorumkey-server

step "the crate's demo against quorumkey-server (the standalone key server as its key server)"
cargo build --quiet -p quorumkey-server
cargo build --quiet --example demo
demo_dir="$(mktemp -d)"
(
    cd "$demo_dir"
    export QUORUMKEY_SERVER_ID=keys.demo.example QUORUMKEY_BIND=127.0.0.1:0
    "$OLDPWD/target/debug/quorumkey-server" serve >server.log 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        url="$(grep -oE 'listening on http://[0-9.:]+' server.log | grep -oE 'http://[0-9.:]+' || true)"
        [ -n "$url" ] && break
        sleep 0.2
    done
    [ -n "$url" ] || { cat server.log; echo "quorumkey-server did not start"; exit 1; }
    "$OLDPWD/target/debug/examples/demo" --server "$url" \
        --token-command "$OLDPWD/target/debug/quorumkey-server dev-token --user alice" | tail -n 3
)
rm -rf "$demo_dir"

step "npm package: build, pack, test the tarball (Node.js, TypeScript, PostgreSQL, Chromium), interop, benchmark"
bash bindings/js/ci.sh

step "reference app: the whole story in Chromium with both key servers; credential scan"
# Screenshots of every step: target/vendor-vault-screenshots/ (CI artifacts).
bash examples/vendor-vault/test/run.sh

step "examples run"
for example in examples/*.rs; do
    name="$(basename "$example" .rs)"
    cargo run --quiet --example "$name" >/dev/null
    echo "example $name: ok"
done

step "all tests passed"
