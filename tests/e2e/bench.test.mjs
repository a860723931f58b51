// The side-by-side benchmark (scripts/bench-compare.mjs), small, so it cannot rot:
// Trailglass's answers to its three questions (window.wasmBindings.bench_answers()) and the
// plain JavaScript page's equal counts made here with a plain JSON reader, on 3,000
// generated events; then the whole script runs at that size and must report agreement.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, walk, records } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const EVENTS = 3000;
let appServer, pageServer, browser, files, expected;

/** Events per eventSource, userIdentity.arn and UTC hour, counted here (no app code). */
function tally(recs) {
  // Trailglass keeps one event per eventID (the first).
  const byId = new Map();
  for (const r of recs) if (!byId.has(r.eventID)) byId.set(r.eventID, r);
  const key = (v) => (typeof v === "string" && v !== "" ? v : "(none)");
  const out = { service: {}, arn: {}, hour: {} };
  const add = (map, k) => (map[k] = (map[k] ?? 0) + 1);
  for (const r of byId.values()) {
    add(out.service, key(r.eventSource));
    add(out.arn, key(r.userIdentity?.arn));
    // Parsed as a date (not cut as text, as the engines do), then printed in UTC.
    const time = Date.parse(r.eventTime);
    add(out.hour, Number.isNaN(time) ? "(none)" : new Date(time).toISOString().slice(0, 13));
  }
  return out;
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailglass-bench-e2e-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", String(EVENTS), "--seed", "1", dir], { cwd: root, stdio: "inherit" });
  files = await walk(dir);
  expected = tally((await Promise.all(files.map(records))).flat());
  appServer = await serve(join(root, "dist"));
  pageServer = await serve(join(root, "scripts/bench/page"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await appServer?.close();
  await pageServer?.close();
});

const sum = (map) => Object.values(map).reduce((a, b) => a + b, 0);

test("the expectation is not trivial", () => {
  for (const q of ["service", "arn", "hour"]) assert.equal(sum(expected[q]), EVENTS, q);
  assert.ok(Object.keys(expected.service).length > 10);
  assert.ok(Object.keys(expected.arn).length > 5);
  assert.ok(expected.arn["(none)"] > 0, "AWS service events have no ARN");
  assert.ok(Object.keys(expected.hour).length > 24);
});

test("Trailglass's three answers equal the plain count, also after loading files again", async () => {
  const { page, errors } = await openApp(browser, appServer.url);
  const answers = async () => JSON.parse(await page.evaluate(() => window.wasmBindings.bench_answers()));
  assert.deepEqual(await answers(), { service: {}, arn: {}, hour: {} });
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  assert.deepEqual(await answers(), expected);
  // The same files again are duplicates: no answer changes.
  await page.setInputFiles('[data-testid="file-input"]', files.slice(0, 40));
  await page.waitForFunction(() => /duplicate records skipped/.test(document.querySelector('[data-testid="load-notes"]')?.textContent ?? ""), null, { timeout: 60_000 });
  await page.waitForSelector('[data-testid="app"][data-state="ready"]');
  assert.deepEqual(await answers(), expected);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the plain JavaScript page's answers equal the plain count", async () => {
  const page = await browser.newPage();
  await page.goto(pageServer.url);
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  assert.deepEqual(await page.evaluate(() => window.answers), expected);
  assert.match(await page.textContent('[data-testid="summary"]'), /^3,000 events from \d+ files/);
  await page.close();
});

test("the benchmark script runs and every engine that ran agrees with Trailglass", () => {
  // Its own data folder ($TMPDIR/trailglass-bench-3000), generated once; --check fails
  // the run if an engine's answers differ from Trailglass's.
  const out = execFileSync("node", ["scripts/bench-compare.mjs", String(EVENTS), "--no-chart", "--check"], { cwd: root, encoding: "utf8", timeout: 300_000 });
  const rows = out.split("\n").filter((l) => /^\| (Trailglass|plain JavaScript|DuckDB|jq) \|/.test(l));
  assert.equal(rows.length, 4, out);
  assert.match(rows[0], /\(reference\)/);
  assert.match(rows[1], /\| yes \|$/, "the plain JavaScript page must run and agree");
  for (const row of rows.slice(2)) assert.match(row, /\| yes \||skipped/, row);
});
