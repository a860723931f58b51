// Parallel ingest in Web Workers (issue 5): the same files loaded by two workers, by one,
// and on the page (workers off, and a browser without Worker) give the same tiles, tables
// and de-duplication; a record opened after a worker load is the source record; the memory
// guard stops a load with its message and keeps what was loaded; cancel keeps what was
// merged. Expectations come from a plain JSON reader.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, walk, records, tile, tableRows } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
let server, browser, files, recs, distinct, searchIp, searchRequest;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailglass-workers-"));
  const gen = join(dir, "gen");
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "4000", "--seed", "11", gen], { cwd: root, stdio: "inherit" });
  // A second copy of a few files under another folder: the same records in other files,
  // which different workers read, must be counted once.
  const original = await walk(gen);
  const copies = join(dir, "copies");
  mkdirSync(copies);
  original.slice(0, 5).forEach((f, i) => cpSync(f, join(copies, `copy-${i}.json.gz`)));
  files = await walk(dir);
  recs = (await Promise.all(files.map(records))).flat();
  distinct = new Set(recs.map((r) => r.eventID)).size;
  searchIp = recs.map((r) => r.sourceIPAddress).find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip ?? ""));
  searchRequest = recs.map((r) => r.requestID).filter(Boolean)[1234];
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Loads every file with `workers` workers (0: on the page); returns what the page shows. */
async function load(workers, { noWorkerApi = false } = {}) {
  const { page, errors, foreign } = await openApp(browser, server.url);
  if (noWorkerApi) {
    await page.evaluate(() => (window.Worker = undefined));
  }
  await page.evaluate((n) => window.wasmBindings.set_ingest_workers(n), workers);
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  const used = await page.evaluate(() => window.wasmBindings.ingest_workers_used());
  // Findings are computed after the load, in slices.
  await page.waitForFunction(() => !document.querySelector('[data-testid="kpi-findings"]')?.textContent.includes("…"));
  const kpis = await page.$$eval('[data-testid^="kpi-"]', (els) => els.map((e) => `${e.dataset.testid}=${e.textContent}`));
  const notes = await page.textContent('[data-testid="load-notes"]');
  await page.click('[data-testid="chart-services"] summary');
  const services = await tableRows(page, "table-services");
  // Whole-record searches (run in the same number of workers, or on the page).
  // After the findings pass, a worker load has each file's n-gram sketch: a search for a
  // request ID skips the files that cannot hold it (counted in `skipped`).
  const searches = [];
  const skipped = [];
  for (const hash of [`#/?q=${searchIp}`, "#/?params=['instanceType']&value=['t3.micro']", `#/?q=${searchRequest.toUpperCase()}`]) {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.waitForSelector('[data-testid="filter-chip"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="filter-bar"]').dataset.searching === "false", null, { timeout: 60_000 });
    searches.push(await tile(page, "kpi-events"));
    skipped.push(JSON.parse(await page.evaluate(() => window.wasmBindings.search_stats())).skippedFiles);
    await page.evaluate(() => (location.hash = "#/"));
    await page.waitForFunction(() => !document.querySelector('[data-testid="filter-chip"]'));
  }
  return { page, errors, foreign, used, kpis, notes, services, searches, skipped };
}

test("two workers, one worker and the page's own loop load the same events", async () => {
  const two = await load(2);
  assert.equal(two.used, 2);
  assert.equal(await tile(two.page, "kpi-events"), distinct);
  assert.match(two.notes, new RegExp(`${recs.length - distinct} duplicate records skipped`));
  const one = await load(1);
  assert.equal(one.used, 1);
  const page = await load(0);
  assert.equal(page.used, 0);
  // The searches' counts are the plain reader's (distinct events).
  const unique = [...new Map(recs.map((r) => [r.eventID, r])).values()];
  const byIp = unique.filter((r) => JSON.stringify(r).includes(searchIp)).length;
  const micro = unique.filter((r) => r.requestParameters?.instanceType === "t3.micro").length;
  const byRequest = unique.filter((r) => JSON.stringify(r).toLowerCase().includes(searchRequest.toLowerCase())).length;
  assert.ok(byIp > 0 && micro > 0 && byRequest > 0, `${byIp} ${micro} ${byRequest}`);
  assert.deepEqual(two.searches, [byIp, micro, byRequest]);
  // The request ID is in one or two files (one, and perhaps its copy): the workers' sketches
  // skipped nearly all the others; the page's loop keeps none.
  assert.ok(two.skipped[2] >= files.length - 10, `${two.skipped} of ${files.length}`);
  assert.ok(one.skipped[2] >= files.length - 10, `${one.skipped} of ${files.length}`);
  assert.deepEqual(page.skipped, [0, 0, 0]);
  for (const other of [one, page]) {
    assert.deepEqual(other.searches, two.searches);
    assert.deepEqual(other.kpis, two.kpis);
    assert.equal(other.notes, two.notes);
    assert.deepEqual(other.services, two.services);
  }
  // The per-service counts are the plain reader's.
  const bySource = {};
  for (const r of new Map(recs.map((r) => [r.eventID, r])).values()) bySource[r.eventSource] = (bySource[r.eventSource] ?? 0) + 1;
  assert.ok(two.services.length > 3);
  for (const [, count, , key] of two.services) {
    assert.equal(Number(count.replace(/[^0-9]/g, "")), bySource[key], key);
  }
  for (const x of [two, one, page]) {
    assert.deepEqual(x.errors, []);
    assert.deepEqual(x.foreign, []);
    await x.page.close();
  }
});

test("a record opened after a worker load is its source record", async () => {
  const { page, errors } = await load(2);
  await page.evaluate(() => (location.hash = "#/scan"));
  await page.click('[data-testid="event-row"] >> nth=3');
  await page.waitForFunction(() => document.querySelector('[data-testid="event-detail"]')?.textContent.startsWith("{"));
  const shown = JSON.parse(await page.textContent('[data-testid="event-detail"]'));
  // The copied files hold the same records, so whichever file the event came from, its
  // record is the one in the source files.
  assert.deepEqual(shown, recs.find((r) => r.eventID === shown.eventID));
  assert.deepEqual(errors, []);
  await page.close();
});

test("a browser without Web Workers loads on the page", async () => {
  const { page, errors, used } = await load(-1, { noWorkerApi: true });
  assert.equal(used, 0);
  assert.equal(await tile(page, "kpi-events"), distinct);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the memory guard stops a load with its message and keeps what was loaded", async () => {
  const { page, errors } = await openApp(browser, server.url);
  await page.evaluate(() => window.wasmBindings.set_memory_limit_for_test(150_000));
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  const events = await tile(page, "kpi-events");
  assert.ok(events > 0 && events < distinct, `${events} of ${distinct} loaded`);
  const problems = await page.$$eval('[data-testid="file-problem"]', (els) => els.map((e) => e.textContent));
  const stop = problems.find((p) => p.includes("memory is nearly full"));
  assert.ok(stop, problems.join("\n"));
  assert.match(stop, new RegExp(`${events} events from \\d+ of ${files.length} files are loaded`));
  assert.match(stop, /shorter date range/);
  // Still responsive: a filter applies.
  await page.evaluate(() => (location.hash = "#/?readOnly=false"));
  await page.waitForSelector('[data-testid="filter-chip"]');
  assert.deepEqual(errors, []);
  await page.close();
});

test("cancel during a worker load keeps what was merged", async () => {
  const { page, errors } = await openApp(browser, server.url);
  await page.evaluate(() => window.wasmBindings.set_ingest_workers(1));
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="cancel-button"]');
  await page.click('[data-testid="cancel-button"]');
  await page.waitForSelector('[data-testid="app"]:not([data-state="loading"])', { timeout: 60_000 });
  const state = await page.getAttribute('[data-testid="app"]', "data-state");
  const events = state === "ready" ? await tile(page, "kpi-events") : 0;
  assert.ok(events < distinct, `cancel stopped the load (${events} of ${distinct})`);
  assert.deepEqual(errors, []);
  await page.close();
});
