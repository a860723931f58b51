#!/usr/bin/env bash
# Installs what Trailglass needs, skipping anything already present at the right version.
#   scripts/setup.sh app    the build tools: wasm32 target, trunk, wasm-bindgen-cli, wasm-opt
#   scripts/setup.sh test   the build tools plus Chromium, playwright-core and moto (S3 emulator) for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.lock
what=${1:-app}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 9 minutes, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f1-2)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 7 minutes, once)"
  # Not --locked: some of its locked dependencies are missing from the registry mirror.
  cargo install "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

# wasm-opt (binaryen 132) and playwright-core come from npm, pinned in package-lock.json.
npm_version() { node -p "require('./node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(npm_version binaryen)" != 132.0.0 ] || [ "$(npm_version playwright-core)" != 1.64.1 ]; then
  say "installing npm packages (binaryen 132 for wasm-opt, playwright-core)"
  npm ci --no-audit --no-fund
fi

if [ "$what" = test ] && [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  say "installing cargo-fuzz 0.13.2 (about 2 minutes, once)"
  cargo install cargo-fuzz@0.13.2
fi

if [ "$what" = test ] && ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (cargo fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi

if [ "$what" = test ] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium and chromium-driver"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

# moto's S3 server mode and boto3 for the S3 browser test (tests/e2e/s3.test.mjs).
MOTO_VERSION=5.2.1
if [ "$what" = test ] && [ "$(python3 -c 'import moto, flask_cors, boto3; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
  say "installing moto[server] $MOTO_VERSION and boto3 (S3 emulator for the browser tests)"
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" boto3
fi
