#!/usr/bin/env bash
# Runs every fuzz target for a short budget (FUZZ_SECONDS, default 60) with a seed corpus:
# the checked-in seeds plus ../shared/fixtures (copied into a scratch corpus at run time,
# since the fixtures must not be committed here). Longer runs: FUZZ_SECONDS=3600 fuzz/run.sh;
# the seed is fixed (FUZZ_SEED, default 1) so a CI run explores the same inputs each time.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ingest" "$work/route" "$work/sigma"
cp seeds/ingest/* "$work/ingest/"
cp seeds/route/* "$work/route/"
cp seeds/sigma/* "$work/sigma/"
if [ -d ../../shared/fixtures ]; then
  find ../../shared/fixtures -type f \( -name '*.json' -o -name '*.gz' -o -name '*.zip' -o -name 'SQS*' \) -size -200k \
    -exec cp {} "$work/ingest/" \; 2>/dev/null || true
  find ../../shared/fixtures/sigma-cloudtrail -type f -name '*.yml' -exec cp {} "$work/sigma/" \; 2>/dev/null || true
fi
for target in ingest route sigma; do
  echo "==> fuzzing $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "$work/$target" seeds/$target -- -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -rss_limit_mb=4096 -max_len=1048576
done
