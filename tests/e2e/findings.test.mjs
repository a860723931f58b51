// Findings view: built-in rules over a small hand-written trail whose expected counts are
// computed here with plain JS predicates, the severity order, "Show events" as a filtered
// view, editable thresholds, the overview tile, and the demo's spread of findings.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
let server, browser, file, recs;

const T0 = Date.parse("2025-03-02T10:00:00Z");
let n = 0;
function rec(name, source, extra = {}) {
  n += 1;
  return {
    eventVersion: "1.08",
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    eventTime: new Date(T0 + n * 20_000).toISOString().replace(/\.\d+Z$/, "Z"),
    eventSource: `${source}.amazonaws.com`,
    eventName: name,
    awsRegion: "eu-west-1",
    sourceIPAddress: "198.51.100.7",
    userAgent: "aws-cli/2.15.0 Python/3.11",
    readOnly: false,
    recipientAccountId: "111122223333",
    userIdentity: { type: "IAMUser", userName: "alice", accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/alice" },
    ...extra,
  };
}
const mallory = { type: "IAMUser", userName: "mallory", accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/mallory" };

before(async () => {
  const list = [];
  for (let i = 0; i < 40; i++) list.push(rec("DescribeInstances", "ec2", { readOnly: true }));
  for (let i = 0; i < 6; i++) {
    list.push(rec("ConsoleLogin", "signin", {
      sourceIPAddress: "203.0.113.66", userAgent: "Mozilla/5.0", eventType: "AwsConsoleSignIn",
      responseElements: { ConsoleLogin: "Failure" }, errorMessage: "Failed authentication",
      additionalEventData: { MFAUsed: "No" },
    }));
  }
  list.push(rec("StopLogging", "cloudtrail", { requestParameters: { name: "main" } }));
  list.push(rec("StopLogging", "cloudtrail", { requestParameters: { name: "main" }, errorCode: "AccessDenied" }));
  for (let i = 0; i < 3; i++) list.push(rec("TerminateInstances", "ec2"));
  for (let i = 0; i < 2; i++) list.push(rec("ImportKeyPair", "ec2", { requestParameters: { keyName: `k${i}` } }));
  for (let i = 0; i < 12; i++) {
    list.push(rec("ListUsers", "iam", { readOnly: true, errorCode: "AccessDenied", userIdentity: mallory, sourceIPAddress: "192.0.2.9" }));
  }
  recs = list;
  const dir = mkdtempSync(join(tmpdir(), "trailglass-findings-"));
  file = join(dir, "trail.json");
  writeFileSync(file, JSON.stringify({ Records: recs }));
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const count = (pred) => recs.filter(pred).length;
const ok = (r) => !r.errorCode && r.responseElements?.ConsoleLogin !== "Failure";
const RANK = { critical: 4, high: 3, medium: 2, low: 1 };

async function findings(page) {
  await page.waitForSelector('[data-testid="findings"][data-status="done"]', { timeout: 60_000 });
  return page.$$eval('[data-testid="finding"]', (els) =>
    els.map((e) => ({ rule: e.dataset.rule, count: Number(e.dataset.count), severity: e.dataset.severity })),
  );
}

async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

test("built-in rules count what a plain reader counts, most severe first", async () => {
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="file-input"]', [file]);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  assert.equal(await tile(page, "kpi-events"), recs.length);
  await page.click('[data-testid="nav-findings"]');
  const got = await findings(page);
  const byRule = Object.fromEntries(got.map((f) => [f.rule, f]));

  const failedLogins = count((r) => r.eventName === "ConsoleLogin" && !ok(r));
  assert.equal(byRule["console-login-failed"].count, failedLogins);
  // All failures come from one address within two minutes: one burst of all of them.
  assert.equal(byRule["console-login-failure-burst"].count, failedLogins);
  assert.equal(byRule["cloudtrail-stopped"].count, count((r) => r.eventName === "StopLogging" && ok(r)));
  assert.equal(byRule["cloudtrail-stopped"].severity, "critical");
  assert.equal(byRule["instances-terminated"].count, count((r) => r.eventName === "TerminateInstances" && ok(r)));
  assert.equal(byRule["key-pair-changed"].count, count((r) => r.eventName === "ImportKeyPair"));
  // Denials from one actor; the denied StopLogging is alice's, not mallory's.
  assert.equal(byRule["access-denied-burst"].count, count((r) => r.errorCode === "AccessDenied" && r.userIdentity.userName === "mallory"));
  assert.equal(byRule["root-activity"], undefined);

  // Most severe first.
  const ranks = got.map((f) => RANK[f.severity]);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
  assert.equal(got[0].rule, "cloudtrail-stopped");

  // The overview tile counts fired rules.
  await go(page, "#/");
  await page.waitForFunction((n) => document.querySelector('[data-testid="kpi-findings"]')?.textContent === String(n), got.length);

  // "Show events" opens exactly the finding's events.
  await go(page, "#/findings");
  await findings(page);
  await page.click('[data-testid="finding"][data-rule="instances-terminated"] [data-testid="finding-events"]');
  await page.waitForFunction(() => location.hash.includes("finding=instances-terminated"));
  await page.waitForFunction((n) => document.querySelector('[data-testid="kpi-events"]')?.textContent === String(n), byRule["instances-terminated"].count);
  assert.equal(await page.$$eval('[data-testid="filter-chip"]', (c) => c.length), 1);

  // A higher threshold: six failures are no longer a burst of seven.
  await go(page, "#/findings");
  await findings(page);
  await page.click('[data-testid="findings-settings"] summary');
  await page.fill('[data-testid="setting-failed-login-burst"]', String(failedLogins + 1));
  await page.dispatchEvent('[data-testid="setting-failed-login-burst"]', "change");
  await page.waitForFunction(() => !document.querySelector('[data-testid="finding"][data-rule="console-login-failure-burst"]'));
  const after = await findings(page);
  assert.ok(after.some((f) => f.rule === "console-login-failed"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the demo's incident fires a spread of rules; Show events matches every count", async () => {
  const { page, errors } = await openApp(browser, server.url + "#demo");
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  await go(page, "#/findings");
  const got = await findings(page);
  assert.ok(new Set(got.map((f) => f.rule)).size >= 12, JSON.stringify(got));
  assert.ok(new Set(got.map((f) => f.severity)).size >= 3);
  const ranks = got.map((f) => RANK[f.severity]);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
  for (const rule of ["cloudtrail-stopped", "admin-policy-attached", "security-group-open-to-world", "access-denied-burst"]) {
    assert.ok(got.some((f) => f.rule === rule), `${rule} did not fire`);
  }
  for (const f of got.slice(0, 5)) {
    await go(page, `#/?finding=${f.rule}`);
    await page.waitForFunction((n) => document.querySelector('[data-testid="kpi-events"]')?.textContent.replace(/\D/g, "") === String(n), f.count);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
