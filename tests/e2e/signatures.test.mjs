// Digest signatures and the tampered-event count: a trail key made here with node:crypto
// signs a chain of three digests exactly as CloudTrail does (end time, bucket/key, SHA-256
// of the digest, previous signature); the page verifies them from pasted keys and
// signatures. One log file is tampered with; every view counts the shown events from it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { serve, launch, openApp, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const sha = (b) => createHash("sha256").update(b).digest("hex");
const account = "111122223333";
const bucket = "trail-bucket";
const digestDir = `AWSLogs/${account}/CloudTrail-Digest/us-east-1/2024/01/01`;
const logDir = `AWSLogs/${account}/CloudTrail/us-east-1/2024/01/01`;
let server, browser, dir, pem, keysJson, signatureLines, otherPem;

// Events per log file: [user, service]. File "b" is tampered with after its digest was made.
const files = {
  a: [["alice", "s3"], ["alice", "s3"], ["bob", "ec2"], ["carol", "iam"]],
  b: [["alice", "s3"], ["bob", "ec2"], ["bob", "ec2"]],
};
const fileName = (n) => `${account}_CloudTrail_us-east-1_20240101T0010Z_${n}.json.gz`;
const content = (n) =>
  JSON.stringify({
    Records: files[n].map(([user, service], i) => ({
      eventVersion: "1.08", eventID: `${n}-${i}`, eventTime: `2024-01-01T00:1${i}:00Z`,
      eventSource: `${service}.amazonaws.com`, eventName: "ListThings", awsRegion: "us-east-1",
      userIdentity: { type: "IAMUser", accountId: account, userName: user },
    })),
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "trailglass-signatures-"));
  mkdirSync(join(dir, logDir), { recursive: true });
  mkdirSync(join(dir, digestDir), { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  pem = publicKey.export({ type: "spki", format: "pem" });
  otherPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" });
  const der = publicKey.export({ type: "pkcs1", format: "der" });
  const fingerprint = createHash("md5").update(der).digest("hex");
  keysJson = JSON.stringify({ PublicKeyList: [{ Value: der.toString("base64"), ValidityStartTime: "2024-01-01T00:00:00Z", ValidityEndTime: "2024-02-01T00:00:00Z", Fingerprint: fingerprint }] }, null, 2);
  writeFileSync(join(dir, logDir, fileName("a")), gzipSync(content("a")));
  writeFileSync(join(dir, logDir, fileName("b")), gzipSync(content("b").replaceAll("ListThings", "ListThingz")));
  let previous = { hash: null, signature: null, key: null };
  signatureLines = [];
  for (const hour of [1, 2, 3]) {
    const hh = (h) => String(h).padStart(2, "0");
    const key = `${digestDir}/${account}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240101T${hh(hour)}0000Z.json.gz`;
    const end = `2024-01-01T${hh(hour)}:00:00Z`;
    const digest = JSON.stringify({
      awsAccountId: account, digestStartTime: `2024-01-01T${hh(hour - 1)}:00:00Z`, digestEndTime: end,
      digestS3Bucket: bucket, digestS3Object: key, digestPublicKeyFingerprint: fingerprint,
      digestSignatureAlgorithm: "SHA256withRSA", newestEventTime: null, oldestEventTime: null,
      previousDigestS3Bucket: previous.key && bucket, previousDigestS3Object: previous.key,
      previousDigestHashValue: previous.hash, previousDigestHashAlgorithm: "SHA-256",
      previousDigestSignature: previous.signature,
      logFiles: hour === 1 ? ["a", "b"].map((n) => ({ s3Bucket: bucket, s3Object: `${logDir}/${fileName(n)}`, hashValue: sha(content(n)), hashAlgorithm: "SHA-256" })) : [],
    });
    const toSign = `${end}\n${bucket}/${key}\n${sha(digest)}\n${previous.signature ?? "null"}`;
    const signature = sign("sha256", Buffer.from(toSign), privateKey).toString("hex");
    signatureLines.push(`${key} ${signature} SHA256withRSA`);
    writeFileSync(join(dir, key), gzipSync(digest));
    previous = { hash: sha(digest), signature, key };
  }
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function loaded() {
  const opened = await openApp(browser, server.url);
  await opened.page.setInputFiles('[data-testid="folder-input"]', join(dir, "AWSLogs"));
  await opened.page.waitForSelector('[data-testid="app"][data-state="ready"]');
  await opened.page.waitForSelector('[data-testid="tamper-warning"]');
  return opened;
}

async function verify(page, keys, signatures) {
  await page.evaluate(() => (location.hash = "#/integrity"));
  await page.waitForSelector('[data-testid="integrity-summary"]');
  assert.match(await page.textContent('[data-testid="integrity-summary"]'), /hashes verified, signatures not checked/i);
  await page.fill('[data-testid="public-key-input"]', keys);
  await page.fill('[data-testid="signatures-input"]', signatures);
  await page.click('[data-testid="verify-signatures"]');
  await page.waitForSelector('[data-testid="digest-signature"]');
  return page.$$eval('[data-testid="digest-signature"]', (rows) => rows.map((r) => r.dataset.status));
}

test("a correctly signed chain verifies with the list-public-keys JSON", async () => {
  const { page, errors } = await loaded();
  const statuses = await verify(page, keysJson, signatureLines.join("\n"));
  assert.deepEqual(statuses, ["valid", "valid", "valid"]);
  const summary = await page.textContent('[data-testid="integrity-summary"]');
  assert.match(summary, /signatures: 3 valid, 0 invalid/);
  assert.doesNotMatch(summary, /not checked/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a tampered signature, a stranger's key, and a missing signature", async () => {
  const { page, errors } = await loaded();
  // Change one hex digit of the second digest's signature.
  const lines = [...signatureLines];
  const [key, hex, alg] = lines[1].split(" ");
  lines[1] = `${key} ${hex.slice(0, 10)}${hex[10] === "0" ? "1" : "0"}${hex.slice(11)} ${alg}`;
  assert.deepEqual(await verify(page, pem, lines.join("\n")), ["valid", "invalid", "valid"]);
  // The third digest's previousDigestSignature no longer matches what was given for the second.
  assert.match(await page.textContent('[data-testid="signature-problems"]'), /previousDigestSignature/);
  await page.fill('[data-testid="public-key-input"]', otherPem);
  await page.fill('[data-testid="signatures-input"]', signatureLines.slice(1).join("\n"));
  await page.click('[data-testid="verify-signatures"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="digest-signature"]')?.dataset.status === "no-signature");
  const statuses = await page.$$eval('[data-testid="digest-signature"]', (rows) => rows.map((r) => r.dataset.status));
  assert.deepEqual(statuses, ["no-signature", "invalid", "invalid"]);
  // Garbage in both boxes: messages, no crash.
  await page.fill('[data-testid="public-key-input"]', "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----");
  await page.fill('[data-testid="signatures-input"]', "x\n" + signatureLines[0]);
  await page.click('[data-testid="verify-signatures"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="digest-signature"]')?.dataset.status === "no-key");
  assert.match(await page.textContent('[data-testid="signature-problems"]'), /PEM key 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("every view counts the shown events from the tampered file, and can show only those", async () => {
  const { page, errors } = await loaded();
  const count = () => page.textContent('[data-testid="tamper-count"]').then((t) => Number(t.replace(/\D/g, "")));
  const expect = (pred) => files.b.filter(pred).length;
  const views = [
    ["#/", () => true],
    ["#/users/bob", ([u]) => u === "bob"],
    ["#/services/s3", ([, s]) => s === "s3"],
    ["#/users", () => true],
    ["#/parameters", () => true],
    ["#/integrity", () => true],
    ["#/?actor=carol", ([u]) => u === "carol"],
  ];
  for (const [hash, pred] of views) {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.waitForFunction(
      ([want]) => Number(document.querySelector('[data-testid="tamper-count"]')?.textContent.replace(/\D/g, "")) === want,
      [expect(pred)],
    ).catch(() => {});
    assert.equal(await count(), expect(pred), hash);
  }
  await page.evaluate(() => (location.hash = "#/"));
  await page.click('[data-testid="tamper-filter"]');
  await page.waitForFunction(() => location.hash.includes("integrity=mismatched"));
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="event-row"]').length === n, files.b.length);
  assert.equal(await tile(page, "kpi-events"), files.b.length);
  const rows = await page.$$eval('[data-testid="event-row"]', (r) => r.map((x) => x.textContent.startsWith("⚠")));
  assert.deepEqual(rows, files.b.map(() => true));
  assert.deepEqual(errors, []);
  await page.close();
});

test("scripts/digest-signatures.sh writes key, signature and algorithm from head-object", () => {
  // A stand-in `aws` answering list-objects-v2 and head-object as the real CLI prints them.
  const bin = mkdtempSync(join(tmpdir(), "trailglass-fakeaws-"));
  const keys = signatureLines.map((l) => l.split(" ")[0]);
  const sigs = Object.fromEntries(signatureLines.map((l) => l.split(" ")));
  writeFileSync(join(bin, "aws"), `#!/usr/bin/env node
const args = process.argv.slice(2);
const keys = ${JSON.stringify([`${logDir}/${fileName("a")}`, ...keys])};
const sigs = ${JSON.stringify(sigs)};
if (args[1] === "list-objects-v2") {
  if (args[args.indexOf("--prefix") + 1] !== "AWSLogs/" || args[args.indexOf("--bucket") + 1] !== "${bucket}") process.exit(3);
  console.log(keys.join("\\n"));
} else if (args[1] === "head-object") {
  const key = args[args.indexOf("--key") + 1];
  console.log(key.endsWith("T020000Z.json.gz") ? "None\\tNone" : sigs[key] + "\\tSHA256withRSA");
}
`);
  chmodSync(join(bin, "aws"), 0o755);
  const out = execFileSync("bash", [join(root, "scripts/digest-signatures.sh"), `s3://${bucket}`], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
  assert.deepEqual(out.trim().split("\n"), [signatureLines[0], signatureLines[2]]);
});
