#!/usr/bin/env bash
# Deploys the built app (dist/, from `trunk build --release`) to an S3 bucket serving a
# static website (or the origin bucket behind CloudFront), with the aws CLI:
#   - every file with its Content-Type (application/wasm for .wasm, or browsers refuse
#     streaming compilation);
#   - hashed assets (name-<hash>.ext, as Trunk writes them) cached for a year, immutable;
#   - index.html last, with no-cache, so a visitor never gets a page naming assets that
#     are not there yet.
# Then prints the CORS rule the *log* bucket needs so the page's origin may read it.
#
#   scripts/deploy-s3.sh --bucket my-site-bucket [--path tools/trailglass] \
#       --origin https://tools.example.com [--dist dist] [--endpoint-url URL] [--dry-run]
#
# --dry-run prints the aws commands instead of running them. The build must already
# allow your log bucket's endpoint: https://*.amazonaws.com is always allowed; for another
# S3-compatible endpoint build with TRAILGLASS_CONNECT_SRC="https://s3.example.com".
set -euo pipefail

bucket="" path="" origin="" dist=dist dry=0 endpoint=()
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bucket) bucket=$2; shift 2 ;;
    --path) path=${2#/}; path=${path%/}; shift 2 ;;
    --origin) origin=${2%/}; shift 2 ;;
    --dist) dist=$2; shift 2 ;;
    --endpoint-url) endpoint=(--endpoint-url "$2"); shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 1 >&2 ;;
  esac
done
[ -n "$bucket" ] || { echo "--bucket is needed" >&2; exit 1; }
[ -f "$dist/index.html" ] || { echo "$dist/index.html is missing: run trunk build --release first" >&2; exit 1; }

run() {
  if [ "$dry" = 1 ]; then printf '%q ' "$@"; echo; else "$@"; fi
}

content_type() {
  case "$1" in
    *.html) echo "text/html; charset=utf-8" ;;
    *.js|*.mjs) echo "text/javascript; charset=utf-8" ;;
    *.wasm) echo "application/wasm" ;;
    *.css) echo "text/css; charset=utf-8" ;;
    *.svg) echo "image/svg+xml" ;;
    *.png) echo "image/png" ;;
    *.ico) echo "image/x-icon" ;;
    *.json|*.webmanifest) echo "application/json" ;;
    *.txt) echo "text/plain; charset=utf-8" ;;
    *) echo "application/octet-stream" ;;
  esac
}

dest="s3://$bucket/${path:+$path/}"
n=0
while IFS= read -r -d '' file; do
  rel=${file#"$dist"/}
  [ "$rel" = index.html ] && continue
  # Trunk names built assets name-<16 hex>.ext: those never change, so cache them for good.
  if [[ "$(basename "$rel")" =~ -[0-9a-f]{16}(_bg)?\.[a-z0-9]+$ ]]; then
    cache="public, max-age=31536000, immutable"
  else
    cache="public, max-age=300"
  fi
  run aws s3 cp "${endpoint[@]}" "$file" "$dest$rel" --content-type "$(content_type "$rel")" --cache-control "$cache"
  n=$((n + 1))
done < <(find "$dist" -type f -print0 | sort -z)
run aws s3 cp "${endpoint[@]}" "$dist/index.html" "${dest}index.html" \
  --content-type "text/html; charset=utf-8" --cache-control "no-cache"
echo "deploy-s3.sh: $((n + 1)) file(s) to $dest${dry:+ }$([ "$dry" = 1 ] && echo '(dry run)')" >&2

page_origin=${origin:-https://$bucket.s3-website.REGION.amazonaws.com}
cat <<EOF

The log bucket must let this page read it. Apply this CORS rule to the LOG bucket
(not the site bucket), with your page's origin:

aws s3api put-bucket-cors --bucket YOUR-LOG-BUCKET --cors-configuration '{"CORSRules":[{"AllowedOrigins":["$page_origin"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["authorization","x-amz-date","x-amz-content-sha256","x-amz-security-token","range"],"ExposeHeaders":["Content-Length","Content-Encoding","ETag"],"MaxAgeSeconds":3000}]}'
EOF
