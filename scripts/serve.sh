#!/usr/bin/env bash
# Installs what is missing, then builds and serves Trailglass on http://127.0.0.1:8080/
# (open http://127.0.0.1:8080/#demo to start on the built-in demo data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
export PATH="$PWD/node_modules/.bin:$PATH"
echo
echo "Trailglass will be at  http://127.0.0.1:8080/#demo  (demo data)  or  http://127.0.0.1:8080/  (your files)"
echo
exec trunk serve --release --offline --no-autoreload --address 127.0.0.1 --port "${PORT:-8080}"
