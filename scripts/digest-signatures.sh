#!/usr/bin/env bash
# Writes the signatures of a trail's CloudTrail digest files, one line per digest:
#   <digest S3 key> <hex signature> <signature algorithm>
# CloudTrail keeps each digest's signature in its S3 object's metadata
# (x-amz-meta-signature, x-amz-meta-signature-algorithm), which `aws s3 sync` and other
# copies do not keep; paste or load this output into Trailglass's Integrity view, with the
# trail's public keys (`aws cloudtrail list-public-keys --start-time ... > keys.json`).
#
# Usage: scripts/digest-signatures.sh s3://BUCKET[/PREFIX] [KEY-FILTER] > signatures.txt
#   PREFIX     where AWSLogs/ starts (the trail's S3 key prefix), if any
#   KEY-FILTER only digests whose key contains this text, e.g. /2024/01/ or us-east-1
# Needs the AWS CLI with s3:ListBucket and s3:GetObject on the bucket. It only reads
# (list-objects-v2, head-object); the digests themselves are not downloaded.
set -euo pipefail
if [ $# -lt 1 ] || [[ "$1" != s3://* ]]; then
  echo "usage: $0 s3://BUCKET[/PREFIX] [KEY-FILTER] > signatures.txt" >&2
  exit 2
fi
location=${1#s3://}
bucket=${location%%/*}
prefix=
[[ "$location" == */* ]] && prefix=${location#*/}
prefix=${prefix%/}
[ -n "$prefix" ] && prefix="$prefix/"
filter=${2:-}
count=0
while IFS= read -r key; do
  [[ "$key" == *"/CloudTrail-Digest/"*.json.gz ]] || continue
  [[ -z "$filter" || "$key" == *"$filter"* ]] || continue
  read -r signature algorithm < <(aws s3api head-object --bucket "$bucket" --key "$key" \
    --query '[Metadata.signature, Metadata."signature-algorithm"]' --output text </dev/null)
  if [ -z "${signature:-}" ] || [ "$signature" = None ]; then
    echo "no signature in the metadata of s3://$bucket/$key" >&2
    continue
  fi
  echo "$key $signature ${algorithm:-SHA256withRSA}"
  count=$((count + 1))
done < <(aws s3api list-objects-v2 --bucket "$bucket" --prefix "${prefix}AWSLogs/" \
  --query 'Contents[].[Key]' --output text)
echo "$count digest signatures from s3://$bucket/${prefix}AWSLogs/" >&2
