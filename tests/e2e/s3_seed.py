"""Seeds the S3 emulator for tests/e2e/s3.test.mjs with the real AWS SDK (boto3).

Reads a JSON job on stdin: {"endpoint", "public_endpoint", "bucket", "dir", "cors_origins",
"gzip_encoded": [keys], "presign": [{"key", "expires"}]}. Uploads every file under `dir`
as the key of its relative path (keys in `gzip_encoded` with Content-Encoding: gzip),
sets the bucket's CORS rule, and prints {"urls": [...]} presigned against
`public_endpoint` (the test's proxy, which the browser talks to).
"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

job = json.load(sys.stdin)
session = boto3.session.Session(
    aws_access_key_id="AKIDTRAILGLASSTEST",
    aws_secret_access_key="trailglass-test-secret",
    region_name="us-east-1",
)
cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4", max_pool_connections=16)
direct = session.client("s3", endpoint_url=job["endpoint"], config=cfg)
public = session.client("s3", endpoint_url=job["public_endpoint"], config=cfg)
bucket = job["bucket"]

direct.create_bucket(Bucket=bucket)
direct.put_bucket_cors(
    Bucket=bucket,
    CORSConfiguration={
        "CORSRules": [
            {
                "AllowedOrigins": job["cors_origins"],
                "AllowedMethods": ["GET", "HEAD"],
                "AllowedHeaders": [
                    "authorization",
                    "x-amz-date",
                    "x-amz-content-sha256",
                    "x-amz-security-token",
                ],
                "ExposeHeaders": ["Content-Length", "Content-Encoding"],
                "MaxAgeSeconds": 600,
            }
        ]
    },
)

encoded = set(job.get("gzip_encoded", []))
root = job["dir"]
paths = []
for dirpath, _, names in os.walk(root):
    for name in names:
        full = os.path.join(dirpath, name)
        paths.append((full, os.path.relpath(full, root).replace(os.sep, "/")))


def upload(item):
    full, key = item
    extra = {"ContentType": "application/json"}
    if key in encoded:
        extra["ContentEncoding"] = "gzip"
    elif key.endswith(".gz"):
        extra["ContentType"] = "application/x-gzip"
    with open(full, "rb") as f:
        direct.put_object(Bucket=bucket, Key=key, Body=f.read(), **extra)


with ThreadPoolExecutor(max_workers=12) as pool:
    list(pool.map(upload, paths))

urls = [
    public.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": p["key"]}, ExpiresIn=p["expires"]
    )
    for p in job["presign"]
]
print(json.dumps({"uploaded": len(paths), "urls": urls}))
