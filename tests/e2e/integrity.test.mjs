// Integrity: log files checked against digests built here (verified, tampered, missing,
// unlisted), the digest chain and an hour with no digest; tampered events are marked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { serve, launch, openApp, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const sha = (b) => createHash("sha256").update(b).digest("hex");
let server, browser, dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "trailglass-integrity-"));
  const logs = join(dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01");
  const digests = join(dir, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01");
  mkdirSync(logs, { recursive: true });
  mkdirSync(digests, { recursive: true });
  const content = (name) =>
    JSON.stringify({ Records: [0, 1].map((i) => ({ eventVersion: "1.08", eventID: `${name}-${i}`, eventTime: "2024-01-01T00:10:00Z", eventSource: "s3.amazonaws.com", eventName: "GetObject", userIdentity: { type: "IAMUser", accountId: "111122223333", userName: name } })) });
  const names = ["a", "b", "c", "d"].map((n) => `111122223333_CloudTrail_us-east-1_20240101T0010Z_${n}.json.gz`);
  const hashes = Object.fromEntries(names.map((n) => [n, sha(content(n))]));
  writeFileSync(join(logs, names[0]), gzipSync(content(names[0])));
  writeFileSync(join(logs, names[1]), gzipSync(content(names[1]).replace("GetObject", "PutObject"))); // tampered
  // names[2] is listed but not written: missing. names[3] is written but not listed: unlisted.
  writeFileSync(join(logs, names[3]), gzipSync(content(names[3])));
  let previous = null;
  for (const hour of [0, 1, 3]) {
    const end = `2024-01-01T${String(hour + 1).padStart(2, "0")}:00:00Z`;
    const object = `AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240101T${String(hour + 1).padStart(2, "0")}0000Z.json.gz`;
    const digest = JSON.stringify({
      awsAccountId: "111122223333",
      digestStartTime: `2024-01-01T${String(hour).padStart(2, "0")}:00:00Z`,
      digestEndTime: end,
      digestS3Bucket: "trail-bucket",
      digestS3Object: object,
      previousDigestHashValue: previous,
      previousDigestHashAlgorithm: "SHA-256",
      logFiles: hour === 0 ? names.slice(0, 3).map((n) => ({ s3Bucket: "trail-bucket", s3Object: `AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/${n}`, hashValue: hashes[n], hashAlgorithm: "SHA-256" })) : [],
    });
    previous = sha(digest);
    writeFileSync(join(digests, object.split("/").pop()), gzipSync(digest));
  }
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("integrity view: verified, mismatched, missing, unlisted; gap; tampered events marked", async () => {
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="folder-input"]', join(dir, "AWSLogs"));
  await page.waitForSelector('[data-testid="app"][data-state="ready"]');
  assert.equal(await tile(page, "kpi-events"), 6);
  await page.waitForSelector('[data-testid="tamper-warning"]');
  await page.evaluate(() => (location.hash = "#/integrity"));
  await page.waitForSelector('[data-testid="integrity-file"]');
  const rows = await page.$$eval('[data-testid="integrity-file"]', (r) => r.map((x) => [x.children[0].textContent.slice(-9, -8), x.dataset.status]));
  assert.deepEqual(Object.fromEntries(rows), { a: "verified", b: "mismatched", c: "missing", d: "unlisted" });
  const chain = await page.textContent('[data-testid="integrity-chain"]');
  assert.match(chain, /no digest from 2024-01-01T02:00:00Z to 2024-01-01T03:00:00Z/);
  assert.match(await page.textContent('[data-testid="integrity-summary"]'), /signatures not checked/);
  await page.evaluate(() => (location.hash = "#/"));
  const marked = await page.$$eval('[data-testid="event-row"]', (r) => r.filter((x) => x.textContent.startsWith("⚠")).length);
  assert.equal(marked, 2);
  assert.deepEqual(errors, []);
  await page.close();
});
