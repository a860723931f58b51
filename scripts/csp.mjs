// Trunk post-build hook: writes the Content-Security-Policy into index.html.
//
// Trunk emits a small inline module script that loads the wasm; the policy allows exactly
// that script by its SHA-256 hash and nothing else inline. connect-src is the app's own
// origin plus S3 (https://*.amazonaws.com, for presigned URLs and the bucket browser);
// a custom S3-compatible endpoint is added at build time with TRAILGLASS_CONNECT_SRC
// (space-separated origins, e.g. "https://s3.example.com"; the test build adds
// http://127.0.0.1:*). Nothing else may be contacted.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error("csp.mjs: TRUNK_STAGING_DIR is not set (run through trunk)");
  process.exit(1);
}
const file = join(dir, "index.html");
let html = readFileSync(file, "utf8");
const hashes = [];
for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
  if (m[1].trim() === "") continue;
  hashes.push(`'sha256-${createHash("sha256").update(m[1], "utf8").digest("base64")}'`);
}
// Only plain origins (scheme://host[:port], * allowed as a leading label or the port) may
// be added, so the variable cannot smuggle other directives into the policy.
const extra = (process.env.TRAILGLASS_CONNECT_SRC ?? "").split(/\s+/).filter(Boolean);
for (const origin of extra) {
  if (!/^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:(\d+|\*))?$/.test(origin)) {
    console.error(`csp.mjs: TRAILGLASS_CONNECT_SRC entry ${JSON.stringify(origin)} is not an origin`);
    process.exit(1);
  }
}
const connect = ["'self'", "https://*.amazonaws.com", ...extra].join(" ");
const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`.trim(),
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  `connect-src ${connect}`,
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "object-src 'none'",
].join("; ");
const marker = /<!-- TRAILGLASS_CSP:.*?-->/;
if (!marker.test(html)) {
  console.error("csp.mjs: the TRAILGLASS_CSP marker is missing from index.html");
  process.exit(1);
}
html = html.replace(marker, `<meta http-equiv="Content-Security-Policy" content="${policy}">`);
writeFileSync(file, html);
console.log(`csp.mjs: policy written with ${hashes.length} inline script hash(es); connect-src ${connect}`);
