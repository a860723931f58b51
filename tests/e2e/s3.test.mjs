// End-to-end: Trailglass reading CloudTrail logs straight from S3, in headless Chromium,
// against a real S3-compatible server (moto's server mode, started here on 127.0.0.1 and
// stopped at the end) seeded with boto3: a bucket in CloudTrail's layout with several
// accounts, regions and days, an organisation-trail prefix and over 1,000 objects under
// one prefix (so ListObjectsV2 needs several pages), presigned URLs made by boto3.
//
// moto answers every origin with permissive CORS headers and checks no presigned expiry,
// so the browser talks to moto through a small proxy of this test's own on 127.0.0.1: it
// answers preflights and adds CORS headers exactly per the bucket's CORS rule (read back
// from moto), refuses expired presigned URLs with S3's real error body, and injects the
// faults moto cannot make (a 503 SlowDown once, a body cut mid-way, an answer without
// CORS headers). The app is served from a sub-path, /tools/trailglass/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer, request as httpRequest } from "node:http";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, openSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { launch, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const BUCKET = "trail-logs";
const SUBPATH = "/tools/trailglass/";
const SECRET = "s3cr3t-Never-Leaves-This-Tab";
const TOKEN = "session-token-Also-Private";

let moto, proxy, app, browser, dataDir;
/** key → { records: eventIDs[], size, day, acct, region } for every uploaded object. */
const objects = new Map();
/** Presigned URLs by role. */
let urls = {};

// ---- Data: CloudTrail's layout, generated here ----------------------------------------

const ACCOUNTS = [
  { base: "AWSLogs/111111111111", acct: "111111111111" },
  { base: "AWSLogs/222222222222", acct: "222222222222" },
  { base: "AWSLogs/o-trailtest01/333333333333", acct: "333333333333" },
];
const REGIONS = ["us-east-1", "eu-west-1"];
const DAYS = ["2026/02/27", "2026/03/01", "2026/03/02", "2026/03/03"];
let eventNo = 0;

function record(acct, region, day) {
  eventNo += 1;
  const n = String(eventNo).padStart(12, "0");
  return {
    eventVersion: "1.08",
    userIdentity: { type: "IAMUser", principalId: `AIDA${acct}`, arn: `arn:aws:iam::${acct}:user/tester`, accountId: acct, userName: "tester" },
    eventTime: `${day.replaceAll("/", "-")}T10:${String(eventNo % 60).padStart(2, "0")}:00Z`,
    eventSource: "s3.amazonaws.com",
    eventName: "GetObject",
    awsRegion: region,
    sourceIPAddress: "198.51.100.7",
    userAgent: "aws-cli/2",
    requestParameters: { bucketName: "data", key: `k${n}` },
    eventID: `00000000-0000-4000-8000-${n}`,
    readOnly: true,
    eventType: "AwsApiCall",
    recipientAccountId: acct,
  };
}

function addObject(dir, key, recs, { encoded = false } = {}) {
  const bytes = gzipSync(JSON.stringify({ Records: recs }));
  mkdirSync(dirname(join(dir, key)), { recursive: true });
  writeFileSync(join(dir, key), bytes);
  const [, , , region, y, m, d] = key.match(/^(.*\/)?(\d{12})\/CloudTrail\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\//) ?? [];
  objects.set(key, { ids: recs.map((r) => r.eventID), size: bytes.length, region, day: `${y}/${m}/${d}`, encoded });
}

function generate(dir) {
  for (const { base, acct } of ACCOUNTS) {
    for (const region of REGIONS) {
      for (const day of DAYS) {
        const stamp = day.replaceAll("/", "");
        for (let i = 0; i < 3; i++) {
          const key = `${base}/CloudTrail/${region}/${day}/${acct}_CloudTrail_${region}_${stamp}T1000Z_f${i}.json.gz`;
          addObject(dir, key, [record(acct, region, day), record(acct, region, day)]);
        }
      }
    }
    // Digests live beside the logs and must not be listed as logs.
    addObject(dir, `${base}/CloudTrail-Digest/us-east-1/2026/03/01/${acct}_CloudTrail-Digest_us-east-1_x.json.gz`, []);
  }
  // Over 1,000 objects under one day: the listing of that region needs several pages.
  for (let i = 0; i < 1050; i++) {
    const key = `AWSLogs/111111111111/CloudTrail/us-east-1/2026/03/02/111111111111_CloudTrail_us-east-1_20260302T1100Z_b${String(i).padStart(4, "0")}.json.gz`;
    addObject(dir, key, [record("111111111111", "us-east-1", "2026/03/02")]);
  }
  // Stored with Content-Encoding: gzip, so it reaches the page already inflated.
  addObject(dir, "AWSLogs/222222222222/CloudTrail/eu-west-1/2026/03/03/222222222222_CloudTrail_eu-west-1_20260303T1200Z_encoded.json.gz",
    [record("222222222222", "eu-west-1", "2026/03/03"), record("222222222222", "eu-west-1", "2026/03/03"), record("222222222222", "eu-west-1", "2026/03/03")],
    { encoded: true });
}

const keysWhere = (f) => [...objects.entries()].filter(([k, o]) => f(k, o)).map(([k]) => k).sort();
const isLog = (k) => k.includes("/CloudTrail/");
const eventsOf = (keys) => new Set(keys.flatMap((k) => objects.get(k).ids)).size;

// ---- Servers ----------------------------------------------------------------------------

async function freePort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, "127.0.0.1", ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

async function startMoto() {
  const port = await freePort();
  // Its request log goes to a file: a pipe nobody drains while the test waits would fill
  // and stall the server.
  const logFile = join(dataDir, "moto.log");
  const fd = openSync(logFile, "w");
  const proc = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", fd, fd] });
  const log = () => readFileSync(logFile, "utf8").slice(-4000);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/moto-api/`);
      if (r.ok) return { url, proc };
    } catch {}
    if (proc.exitCode !== null) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  proc.kill();
  throw new Error(`moto did not start:\n${log()}`);
}

const xmlError = (code, message, extra = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>4442587FB7D0A2F9</RequestId><HostId>trailglass-test</HostId></Error>`;

function amzDateToMs(s) {
  const m = s.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/** The S3 endpoint the browser sees: CORS per the bucket's rule, presigned expiry, faults. */
async function startProxy(motoUrl, faults, port) {
  const corsXml = await (await fetch(`${motoUrl}/${BUCKET}?cors`)).text();
  const all = (tag) => [...corsXml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1]);
  const rule = { origins: all("AllowedOrigin"), methods: all("AllowedMethod"), headers: all("AllowedHeader").map((h) => h.toLowerCase()), expose: all("ExposeHeader") };
  assert.ok(rule.origins.length > 0, `the bucket's CORS rule was not read back: ${corsXml}`);
  const log = [];
  const seen = new Set();
  const server = createServer((req, res) => {
    const u = new URL(req.url, "http://proxy");
    const key = decodeURIComponent(u.pathname.split("/").slice(2).join("/"));
    const origin = req.headers.origin;
    log.push({ method: req.method, path: u.pathname, query: u.search, key, headers: req.headers });
    const originAllowed = origin && (rule.origins.includes(origin) || rule.origins.includes("*"));
    if (req.method === "OPTIONS") {
      const method = req.headers["access-control-request-method"];
      const asked = (req.headers["access-control-request-headers"] ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
      const ok = originAllowed && rule.methods.includes(method) && asked.every((h) => rule.headers.includes(h) || rule.headers.includes("*"));
      if (!ok) return res.writeHead(403, { "content-type": "application/xml" }).end(xmlError("AccessForbidden", "CORSResponse: This CORS request is not allowed."));
      return res.writeHead(200, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": rule.methods.join(", "),
        "access-control-allow-headers": asked.join(", "),
        "access-control-max-age": "600",
        vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
      }).end();
    }
    const fault = faults.get(key);
    const cors = originAllowed && fault !== "nocors"
      ? { "access-control-allow-origin": origin, "access-control-expose-headers": rule.expose.join(", "), vary: "Origin" }
      : {};
    if (u.searchParams.has("X-Amz-Expires")) {
      const start = amzDateToMs(u.searchParams.get("X-Amz-Date") ?? "");
      const expires = start + 1000 * Number(u.searchParams.get("X-Amz-Expires"));
      if (!(Date.now() <= expires)) {
        const iso = (t) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
        return res.writeHead(403, { "content-type": "application/xml", ...cors }).end(
          xmlError("AccessDenied", "Request has expired", `<X-Amz-Expires>${u.searchParams.get("X-Amz-Expires")}</X-Amz-Expires><Expires>${iso(expires)}</Expires><ServerTime>${iso(Date.now())}</ServerTime>`));
      }
    }
    if (fault === "flaky" && !seen.has(key)) {
      seen.add(key);
      return res.writeHead(503, { "content-type": "application/xml", ...cors }).end(xmlError("SlowDown", "Please reduce your request rate."));
    }
    const headers = { ...req.headers, host: new URL(motoUrl).host };
    delete headers.origin;
    const upstream = httpRequest(`${motoUrl}${req.url}`, { method: req.method, headers }, (up) => {
      const chunks = [];
      up.on("data", (c) => chunks.push(c));
      up.on("end", () => {
        const body = Buffer.concat(chunks);
        const out = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (!/^(access-control-|transfer-encoding|connection|content-length|keep-alive|vary)/i.test(k)) out[k] = v;
        }
        if (fault === "cut" && up.statusCode >= 200 && up.statusCode < 300) {
          res.writeHead(up.statusCode, { ...out, ...cors, "content-length": body.length });
          res.write(body.subarray(0, Math.floor(body.length / 2)));
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        res.writeHead(up.statusCode, { ...out, ...cors, "content-length": body.length });
        res.end(body);
      });
    });
    upstream.on("error", (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, log, close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }) };
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

/** Serves dist/ under /tools/trailglass/ only, as a site hosting it on a sub-path would. */
async function serveSubpath(dir) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://app").pathname);
    if (path === SUBPATH.slice(0, -1)) return res.writeHead(301, { location: SUBPATH }).end();
    if (!path.startsWith(SUBPATH)) return res.writeHead(404).end("not here");
    let file = normalize(join(dir, path.slice(SUBPATH.length)));
    if (relative(dir, file).startsWith("..")) return res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, url: `${origin}${SUBPATH}`, close: () => new Promise((ok) => server.close(ok)) };
}

// ---- Setup --------------------------------------------------------------------------------

const FAULT_DAY = "2026/02/27"; // outside the browsed range, so faults never touch the listing test
const faults = new Map();
let expiredKey, missingKey, cutKey, flakyKey, nocorsKey, goodKeys, encodedKey;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "trailglass-s3-"));
  generate(join(dataDir, "bucket"));
  app = await serveSubpath(join(root, "dist"));
  moto = await startMoto();

  const faultDay = keysWhere((k, o) => isLog(k) && o.day === FAULT_DAY && o.region === "us-east-1");
  [expiredKey, cutKey, flakyKey, nocorsKey] = faultDay;
  missingKey = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/02/27/111111111111_CloudTrail_us-east-1_20260227T1000Z_gone.json.gz";
  faults.set(cutKey, "cut").set(flakyKey, "flaky").set(nocorsKey, "nocors");
  encodedKey = keysWhere((k, o) => o.encoded)[0];
  goodKeys = [...keysWhere((k, o) => isLog(k) && o.day === "2026/03/01").slice(0, 12), encodedKey];

  // The proxy must exist before presigning (URLs name its host), and reads the CORS rule
  // after seeding; so seed with the proxy's port reserved first.
  const proxyPort = await freePort();
  const job = {
    endpoint: moto.url,
    public_endpoint: `http://127.0.0.1:${proxyPort}`,
    bucket: BUCKET,
    dir: join(dataDir, "bucket"),
    cors_origins: [app.origin],
    gzip_encoded: [encodedKey],
    presign: [
      ...goodKeys.map((key) => ({ key, expires: 3600 })),
      { key: flakyKey, expires: 3600 },
      { key: cutKey, expires: 3600 },
      { key: nocorsKey, expires: 3600 },
      { key: missingKey, expires: 3600 },
      { key: expiredKey, expires: 1 },
    ],
  };
  const seeding = promisify(execFile)("python3", [join(root, "tests/e2e/s3_seed.py")], { encoding: "utf8", maxBuffer: 16 << 20 });
  seeding.child.stdin.end(JSON.stringify(job));
  const out = JSON.parse((await seeding).stdout);
  assert.equal(out.uploaded, objects.size);
  const u = out.urls;
  urls = {
    good: u.slice(0, goodKeys.length),
    flaky: u[goodKeys.length],
    cut: u[goodKeys.length + 1],
    nocors: u[goodKeys.length + 2],
    missing: u[goodKeys.length + 3],
    expired: u[goodKeys.length + 4],
  };
  proxy = await startProxy(moto.url, faults, proxyPort);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await app?.close();
  moto?.proc.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Opens the app on its sub-path, recording every request the page makes. */
async function open() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="app"]');
  return { page, requests, errors };
}

async function waitEvents(page, n, timeout = 60_000) {
  try {
    await page.waitForFunction(
      (n) => {
        const fetching = document.querySelector('[data-testid="fetch-status"]');
        const app = document.querySelector('[data-testid="app"]');
        const kpi = document.querySelector('[data-testid="kpi-events"]');
        return fetching?.dataset.running === "false" && app?.dataset.state === "ready" && kpi && Number(kpi.textContent.replace(/[^0-9]/g, "")) === n;
      },
      n,
      { timeout },
    );
  } catch (e) {
    const status = await page.textContent('[data-testid="fetch-status"]').catch(() => "(none)");
    const problems = await page.$$eval('[data-testid="file-problem"]', (els) => els.map((e) => e.textContent)).catch(() => []);
    const events = await tile(page, "kpi-events").catch(() => NaN);
    throw new Error(`expected ${n} events, have ${events}; status: ${status}; problems: ${problems.join(" | ")}`);
  }
}

/** Unfolds the S3 panel if it is folded. */
async function openPanel(page) {
  if (!(await page.$eval('[data-testid="s3-panel"]', (d) => d.open))) await page.click('[data-testid="s3-panel"] > summary');
}

const problemTexts = (page) => page.$$eval('[data-testid="file-problem"]', (els) => els.map((e) => e.textContent));

// ---- Tests -------------------------------------------------------------------------------

test("pasted presigned URLs load from a sub-path; each fault is explained and the rest loads", async () => {
  const { page, errors } = await open();
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  assert.match(csp, /connect-src 'self' https:\/\/\*\.amazonaws\.com/);
  assert.match(csp, /default-src 'none'/);
  await new Promise((ok) => setTimeout(ok, 1200)); // the 1-second URL is now expired
  const pasted = [
    ...urls.good.slice(0, 6).map((u) => `  "${u}",`),
    "",
    urls.expired,
    `'${urls.missing}'`,
    ...urls.good.slice(6).map((u) => `\t${u}  `),
    urls.cut,
    urls.flaky,
    urls.nocors,
  ].join("\n");
  await page.fill('[data-testid="url-input"]', pasted);
  await page.click('[data-testid="url-load-button"]');
  const expected = eventsOf([...goodKeys, flakyKey]);
  await waitEvents(page, expected);
  assert.equal(await tile(page, "kpi-events"), expected);

  const problems = await problemTexts(page);
  const about = (key) => problems.filter((p) => p.includes(key));
  assert.equal(about(expiredKey).length, 1, problems.join("\n"));
  assert.match(about(expiredKey)[0], /presigned URL has expired/);
  assert.match(about(missingKey)[0] ?? "", /object does not exist.*NoSuchKey/);
  assert.match(about(cutKey)[0] ?? "", /cut off after \d+ of \d+ bytes/);
  assert.match(about(nocorsKey)[0] ?? "", /CORS rule/);
  assert.ok(about(nocorsKey)[0].includes(`"AllowedOrigins":["${app.origin}"]`), about(nocorsKey)[0]);
  assert.equal(about(flakyKey).length, 0, "the 503 then 200 object must load");
  assert.equal(problems.length, 4, problems.join("\n"));
  // The 503 was retried (and a 404 never was).
  assert.equal(proxy.log.filter((r) => r.key === flakyKey && r.method === "GET").length, 2);
  assert.equal(proxy.log.filter((r) => r.key === missingKey && r.method === "GET").length, 1);
  assert.equal(proxy.log.filter((r) => r.key === expiredKey && r.method === "GET").length, 1);
  // Presigned GETs carry no header that was not signed (so no preflight either).
  for (const r of proxy.log.filter((r) => goodKeys.includes(r.key))) {
    assert.equal(r.method, "GET");
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.headers.cookie, undefined);
  }
  assert.deepEqual(errors, []);
  // The panel folded away once data loaded.
  assert.equal(await page.getAttribute('[data-testid="s3-panel"]', "open"), null);
  await page.close();
});

test("the bucket browser lists every page of the trail's layout, then loads it all", async () => {
  const { page, errors } = await open();
  const inRange = keysWhere((k, o) => isLog(k) && o.day >= "2026/03/01" && o.day <= "2026/03/03");
  assert.ok(inRange.length > 1000);
  const fill = async (id, v) => page.fill(`[data-testid="${id}"]`, v);
  await fill("s3-bucket", BUCKET);
  await fill("s3-region", "us-east-1");
  await fill("s3-endpoint", proxy.url);
  await fill("s3-from", "2026-03-01");
  await fill("s3-to", "2026-03-03");
  await fill("s3-access-key", "ASIATRAILGLASSTEST");
  await fill("s3-secret-key", SECRET);
  await fill("s3-session-token", TOKEN);

  // Filters first: one account of the organisation trail, one region.
  await fill("s3-accounts", "333333333333");
  await fill("s3-regions", "eu-west-1");
  await page.click('[data-testid="s3-list-button"]');
  await page.waitForSelector('[data-testid="s3-found"]', { timeout: 30_000 });
  const filtered = keysWhere((k, o) => inRange.includes(k) && k.includes("/o-trailtest01/333333333333/") && o.region === "eu-west-1");
  assert.equal(Number(await page.getAttribute('[data-testid="s3-found"]', "data-files")), filtered.length);

  await fill("s3-accounts", "");
  await fill("s3-regions", "");
  const listing = () => proxy.log.filter((r) => r.method === "GET" && r.query.includes("list-type=2"));
  const listsBefore = listing().length;
  await page.click('[data-testid="s3-list-button"]');
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="s3-found"]')?.dataset.files) === n, inRange.length, { timeout: 60_000 })
    .catch(async () => assert.fail(`found ${await page.getAttribute('[data-testid="s3-found"]', "data-files")} files, expected ${inRange.length}; ${await page.textContent('[data-testid="s3-panel"]')}`));
  const size = inRange.reduce((s, k) => s + objects.get(k).size, 0);
  assert.equal(Number(await page.getAttribute('[data-testid="s3-found"]', "data-bytes")), size);
  const lists = listing().slice(listsBefore);
  assert.ok(lists.some((r) => r.query.includes("continuation-token=")), "the >1,000-object prefix needed a second page");
  // Signed listing requests: Authorization to the endpoint, credentials never in the URL.
  for (const r of lists) {
    assert.match(r.headers.authorization ?? "", /^AWS4-HMAC-SHA256 Credential=ASIATRAILGLASSTEST\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    assert.equal(r.headers["x-amz-security-token"], TOKEN);
    assert.ok(!r.query.includes(SECRET) && !r.query.includes(TOKEN));
  }

  await page.click('[data-testid="s3-load-button"]');
  await waitEvents(page, eventsOf(inRange), 90_000);
  assert.deepEqual(await problemTexts(page), []);
  assert.equal(await page.textContent('[data-testid="fetch-status"]').then((t) => /0 failed/.test(t)), true);

  // Forget: the fields empty, and nothing kept in storage or the URL.
  await openPanel(page);
  await page.click('[data-testid="s3-forget-button"]');
  assert.equal(await page.inputValue('[data-testid="s3-secret-key"]'), "");
  assert.equal(await page.inputValue('[data-testid="s3-session-token"]'), "");
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href);
  assert.ok(!stored.includes(SECRET) && !stored.includes(TOKEN), stored);
  // Listing again without credentials says so instead of sending anything.
  const before = proxy.log.length;
  await page.click('[data-testid="s3-list-button"]');
  await page.waitForFunction(() => /access key ID and a secret/.test(document.querySelector('[data-testid="s3-note"]')?.textContent ?? ""), null, { timeout: 10_000 });
  assert.equal(proxy.log.length, before);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a full visit talks only to the app's origin and the S3 endpoint under test", async () => {
  const { page, requests, errors } = await open();
  // Demo data.
  await page.click('[data-testid="demo-button"]');
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  // Dropped (picked) files: one log and a .txt of presigned URLs.
  const local = join(dataDir, "local");
  mkdirSync(local);
  const someKey = goodKeys[0];
  writeFileSync(join(local, "one.json.gz"), await readFile(join(dataDir, "bucket", someKey)));
  writeFileSync(join(local, "urls.txt"), `${urls.good[1]}\r\n"${urls.good[2]}"\n`);
  await page.setInputFiles('[data-testid="file-input"]', [join(local, "one.json.gz"), join(local, "urls.txt")]);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="fetch-status"]')?.dataset.fetched) === 2, null, { timeout: 30_000 });
  // Pasted URLs.
  await openPanel(page);
  await page.fill('[data-testid="url-input"]', urls.good.slice(3, 5).join("\n"));
  await page.click('[data-testid="url-load-button"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="fetch-status"]')?.dataset.fetched) === 4, null, { timeout: 30_000 });
  // The bucket browser, one account and region.
  await openPanel(page);
  for (const [id, v] of Object.entries({ "s3-bucket": BUCKET, "s3-region": "us-east-1", "s3-endpoint": proxy.url, "s3-from": "2026-03-01", "s3-to": "2026-03-01", "s3-accounts": "222222222222", "s3-regions": "us-east-1", "s3-access-key": "ASIATRAILGLASSTEST", "s3-secret-key": SECRET })) {
    await page.fill(`[data-testid="${id}"]`, v);
  }
  await page.click('[data-testid="s3-list-button"]');
  await page.waitForSelector('[data-testid="s3-found"]', { timeout: 30_000 });
  const found = Number(await page.getAttribute('[data-testid="s3-found"]', "data-files"));
  assert.equal(found, 3);
  await page.click('[data-testid="s3-load-button"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="fetch-status"]')?.dataset.fetched) === 7, null, { timeout: 30_000 });
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  // Open a few views so they get a chance to ask for anything they would.
  for (const hash of ["#/users", "#/services", "#/parameters", "#/integrity", "#/"]) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForTimeout(150);
  }

  const allowed = [app.origin, proxy.url];
  const foreign = requests.filter((u) => !allowed.some((a) => u.startsWith(`${a}/`)) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], `requests outside the app and the S3 endpoint: ${foreign.join("\n")}`);
  assert.ok(requests.some((u) => u.startsWith(`${proxy.url}/`)), "the visit did reach the S3 endpoint");
  assert.ok(!requests.some((u) => u.includes(SECRET)), "the secret key never goes into a URL");
  assert.deepEqual(errors, []);
  await page.close();
});
