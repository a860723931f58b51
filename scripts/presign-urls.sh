#!/usr/bin/env bash
# Lists a CloudTrail trail's log files in S3 for some accounts, regions and days, and prints
# a presigned URL for each, ready to paste into Trailglass ("Load from S3" → Presigned URLs)
# or to save as a .txt and drop on the page. Uses only the standard aws CLI and your usual
# credentials; nothing is sent anywhere but S3.
#
#   scripts/presign-urls.sh --bucket my-trail-bucket --from 2026-03-01 --to 2026-03-03 \
#       [--prefix trails/] [--account 111122223333 ...] [--region eu-west-1 ...] \
#       [--org o-abc123xyz] [--expires 3600] [--endpoint-url http://127.0.0.1:5000] > urls.txt
#
# Without --account/--region every account and region found under AWSLogs/ is included
# (organisation trails' AWSLogs/o-…/<account>/ paths too). --expires is in seconds (at most
# 604800, 7 days; less with temporary credentials, whose URLs die with the session).
# aws CLI v2 signs with Signature Version 4; v1 may print older SigV2 URLs unless
# `aws configure set default.s3.signature_version s3v4` (both kinds load in Trailglass).
set -euo pipefail

bucket="" prefix="" from="" to="" expires=3600 org="" endpoint=()
accounts=() regions=()
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bucket) bucket=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    --account) accounts+=("$2"); shift 2 ;;
    --region) regions+=("$2"); shift 2 ;;
    --org) org=$2; shift 2 ;;
    --expires) expires=$2; shift 2 ;;
    --endpoint-url) endpoint=(--endpoint-url "$2"); shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 1 >&2 ;;
  esac
done
[ -n "$bucket" ] && [ -n "$from" ] && [ -n "$to" ] || { echo "--bucket, --from and --to are needed" >&2; exit 1; }
command -v aws >/dev/null || { echo "the aws CLI is not installed" >&2; exit 1; }
[ -z "$prefix" ] || [[ "$prefix" == */ ]] || prefix="$prefix/"

# Folders one level below a prefix (CommonPrefixes), one per line.
subfolders() {
  aws s3api list-objects-v2 "${endpoint[@]}" --bucket "$bucket" --prefix "$1" --delimiter / \
    --query 'CommonPrefixes[].Prefix' --output text | tr '\t' '\n' | grep -v '^None$' || true
}

# Every day from $from to $to as YYYY/MM/DD (GNU date).
days() {
  local d=$from
  while [[ ! "$d" > "$to" ]]; do
    date -u -d "$d" +%Y/%m/%d
    d=$(date -u -d "$d + 1 day" +%Y-%m-%d)
  done
}

# Account folders: AWSLogs/<account>/ and, for organisation trails, AWSLogs/o-…/<account>/.
account_roots=()
for p in $(subfolders "${prefix}AWSLogs/"); do
  name=$(basename "$p")
  if [[ "$name" == o-* ]]; then
    [ -z "$org" ] || [ "$name" = "$org" ] || continue
    for q in $(subfolders "$p"); do account_roots+=("$q"); done
  elif [[ "$name" =~ ^[0-9]{12}$ ]]; then
    account_roots+=("$p")
  fi
done

n=0
for root in "${account_roots[@]}"; do
  acct=$(basename "$root")
  if [ ${#accounts[@]} -gt 0 ] && [[ ! " ${accounts[*]} " =~ " $acct " ]]; then continue; fi
  for rp in $(subfolders "${root}CloudTrail/"); do
    reg=$(basename "$rp")
    if [ ${#regions[@]} -gt 0 ] && [[ ! " ${regions[*]} " =~ " $reg " ]]; then continue; fi
    for day in $(days); do
      # list-objects-v2 through the CLI follows every continuation token itself.
      keys=$(aws s3api list-objects-v2 "${endpoint[@]}" --bucket "$bucket" --prefix "$rp$day/" \
        --query 'Contents[].Key' --output text | tr '\t' '\n' | grep -v '^None$' || true)
      for key in $keys; do
        aws s3 presign "${endpoint[@]}" "s3://$bucket/$key" --expires-in "$expires"
        n=$((n + 1))
      done
    done
  done
done
echo "presign-urls.sh: $n URL(s), valid for $expires s" >&2
