#!/usr/bin/env bash
# Makes the digest-signature test vectors in this folder with openssl (run once; the
# outputs are checked in so tests need no openssl). A trail key and a stranger's key, a
# chain of three signed digests, and the signatures file in the format
# scripts/digest-signatures.sh writes. The private keys are throwaway and not kept.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl genrsa -out "$tmp/trail.key" 2048 2>/dev/null
openssl genrsa -out "$tmp/other.key" 3072 2>/dev/null
openssl rsa -in "$tmp/trail.key" -pubout -out trail-spki.pem 2>/dev/null
openssl rsa -in "$tmp/trail.key" -RSAPublicKey_out -out trail-pkcs1.pem 2>/dev/null
openssl rsa -in "$tmp/other.key" -pubout -out other-spki.pem 2>/dev/null
# list-public-keys returns the PKCS#1 DER, base64-encoded, with a fingerprint.
der=$(openssl rsa -in "$tmp/trail.key" -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0)
fingerprint=$(printf %s "$der" | base64 -d | openssl dgst -md5 -r | cut -d' ' -f1)
cat > list-public-keys.json <<JSON
{
    "PublicKeyList": [
        {
            "Value": "$der",
            "ValidityStartTime": "2024-01-01T00:00:00+00:00",
            "ValidityEndTime": "2024-02-01T00:00:00+00:00",
            "Fingerprint": "$fingerprint"
        }
    ]
}
JSON
# A plain message and its signature, for the verifier alone.
printf 'The quick brown fox jumps over the lazy dog' > message.txt
openssl dgst -sha256 -sign "$tmp/trail.key" message.txt | xxd -p -c0 > message.sig.hex
# Three hourly digests chained by hash and signature.
bucket=trail-bucket
dir=AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01
: > signatures.txt
prev_hash=null prev_sig=null prev_object=null
for hour in 1 2 3; do
  end=$(printf '2024-01-01T%02d:00:00Z' "$hour")
  start=$(printf '2024-01-01T%02d:00:00Z' $((hour - 1)))
  name=$(printf '111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240101T%02d0000Z.json.gz' "$hour")
  q() { [ "$1" = null ] && echo null || echo "\"$1\""; }
  prev_bucket=$([ "$prev_object" = null ] && echo null || echo "\"$bucket\"")
  printf '{"awsAccountId":"111122223333","digestStartTime":"%s","digestEndTime":"%s","digestS3Bucket":"%s","digestS3Object":"%s/%s","digestPublicKeyFingerprint":"%s","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":%s,"previousDigestS3Object":%s,"previousDigestHashValue":%s,"previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":%s,"logFiles":[]}' \
    "$start" "$end" "$bucket" "$dir" "$name" "$fingerprint" "$prev_bucket" "$(q "$prev_object")" "$(q "$prev_hash")" "$(q "$prev_sig")" > "digest-$hour.json"
  hash=$(openssl dgst -sha256 -r "digest-$hour.json" | cut -d' ' -f1)
  printf '%s\n%s/%s/%s\n%s\n%s' "$end" "$bucket" "$dir" "$name" "$hash" "$prev_sig" > "$tmp/to-sign"
  sig=$(openssl dgst -sha256 -sign "$tmp/trail.key" "$tmp/to-sign" | xxd -p -c0)
  echo "$dir/$name $sig SHA256withRSA" >> signatures.txt
  prev_hash=$hash prev_sig=$sig prev_object="$dir/$name"
done
