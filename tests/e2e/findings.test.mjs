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

test("Sigma rules: pasted and picked rules become findings; unsupported ones are listed", async () => {
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="file-input"]', [file]);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  await go(page, "#/findings");
  await findings(page);
  const id = "6c3f1a2b-0d4e-4f5a-8b6c-7d8e9f0a1b2c";
  const pasted = [
    "title: E2E instances terminated",
    `id: ${id}`,
    "author: E2E Tester",
    "level: critical",
    "description: Terminations, from a pasted rule.",
    "logsource:",
    "  product: aws",
    "  service: cloudtrail",
    "detection:",
    "  selection:",
    "    eventSource: ec2.amazonaws.com",
    "    eventName|startswith: Terminate",
    "  condition: selection",
    "---",
    "title: E2E counting rule",
    "logsource:",
    "  product: aws",
    "  service: cloudtrail",
    "detection:",
    "  selection:",
    "    eventName: ListUsers",
    "  condition: selection | count() > 5",
  ].join("\n");
  await page.fill('[data-testid="sigma-text"]', pasted);
  await page.click('[data-testid="sigma-load-button"]');
  await page.waitForSelector(`[data-testid="finding"][data-rule="${id}"]`, { timeout: 30_000 });
  const got = await findings(page);
  const sigma = got.find((f) => f.rule === id);
  assert.equal(sigma.count, count((r) => r.eventSource === "ec2.amazonaws.com" && r.eventName.startsWith("Terminate")));
  assert.equal(sigma.severity, "critical");
  assert.equal(got[0].severity, "critical");
  assert.match(await page.textContent(`[data-testid="finding"][data-rule="${id}"] [data-testid="finding-author"]`), /E2E Tester/);
  const problems = await page.$$eval('[data-testid="sigma-error"]', (l) => l.map((e) => e.textContent));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /count/);

  // A rule file through the file input.
  const dir = mkdtempSync(join(tmpdir(), "trailglass-sigma-"));
  const yml = join(dir, "denied.yml");
  writeFileSync(yml, [
    "title: E2E denied list users",
    "id: 0f0e0d0c-0b0a-4908-8706-050403020100",
    "level: low",
    "logsource:",
    "  product: aws",
    "  service: cloudtrail",
    "detection:",
    "  selection:",
    "    eventName: ListUsers",
    "    errorCode: AccessDenied",
    "  condition: selection",
  ].join("\n"));
  await page.setInputFiles('[data-testid="sigma-input"]', [yml]);
  await page.waitForSelector('[data-testid="finding"][data-rule="0f0e0d0c-0b0a-4908-8706-050403020100"]', { timeout: 30_000 });
  const again = await findings(page);
  const denied = again.find((f) => f.rule === "0f0e0d0c-0b0a-4908-8706-050403020100");
  assert.equal(denied.count, count((r) => r.eventName === "ListUsers" && r.errorCode === "AccessDenied"));
  assert.equal(denied.severity, "low");
  const ranks = again.map((f) => RANK[f.severity]);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
  // Show events works for a Sigma finding too.
  await go(page, `#/?finding=${id}`);
  await page.waitForFunction((n) => document.querySelector('[data-testid="kpi-events"]')?.textContent === String(n), sigma.count);
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
