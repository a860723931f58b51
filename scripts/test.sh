#!/usr/bin/env bash
# Installs what the tests need, then runs every check: formatting, clippy (native and
# wasm32), the native unit and integration tests, a short fuzzing run of each target, the
# release build, and the browser end-to-end tests in headless Chromium against that build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --all-targets -- -D warnings

step "clippy (wasm32: app, ui, web)"
cargo clippy --target wasm32-unknown-unknown --lib --bins -- -D warnings

step "native tests (unit + integration over ../shared/fixtures)"
cargo test

step "fuzzing (each target ${FUZZ_SECONDS:-60} s; see fuzz/run.sh)"
bash fuzz/run.sh

step "release build (trunk; the CSP also allows the local S3 test servers on 127.0.0.1)"
TRAILGLASS_CONNECT_SRC="${TRAILGLASS_CONNECT_SRC:-http://127.0.0.1:*}" trunk build --release --offline

step "browser end-to-end tests (headless Chromium)"
node --test --test-concurrency=1 tests/e2e/

