// End-to-end: the release build in headless Chromium. Loads a generated S3-style folder
// plus a corrupt file, checks every tile and table against counts computed here with a
// plain JSON reader, checks de-duplication on reload, the folder picker, and the demo.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, walk, records, tile, tableRows } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const artifacts = join(root, "tests/e2e/artifacts");
let server, browser, dataDir, files, expected;

/** What the app should show, computed from the files without the app's code. */
function expectations(recs) {
  const byId = new Map();
  for (const r of recs) byId.set(r.eventID, r);
  const unique = [...byId.values()];
  const actorKey = (u = {}) => {
    if (u.type === "AWSService") return `svc|${u.invokedBy}`;
    if (u.type === "AWSAccount" && u.accountId === "ANONYMOUS_PRINCIPAL") return "anonymous";
    if (u.type === "Root") return `root|${u.accountId}`;
    return `${u.type}|${u.arn ?? ""}|${u.userName ?? ""}|${u.principalId ?? ""}|${u.onBehalfOf?.userId ?? ""}`;
  };
  const perService = new Map();
  for (const r of unique) perService.set(r.eventSource, (perService.get(r.eventSource) ?? 0) + 1);
  return {
    events: unique.length,
    actors: new Set(unique.map((r) => actorKey(r.userIdentity))).size,
    services: perService.size,
    regions: new Set(unique.map((r) => r.awsRegion)).size,
    errors: unique.filter((r) => r.errorCode).length,
    perService,
  };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "trailglass-e2e-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "4000", "--seed", "11", join(dataDir, "logs")], { cwd: root, stdio: "inherit" });
  files = await walk(join(dataDir, "logs"));
  const recs = (await Promise.all(files.map(records))).flat();
  expected = expectations(recs);
  mkdirSync(join(dataDir, "bad"));
  writeFileSync(join(dataDir, "bad", "corrupt.json.gz"), "this is not a CloudTrail log\n");
  mkdirSync(artifacts, { recursive: true });
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function waitReady(page) {
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
}

test("files plus a corrupt one: tiles and tables equal independent counts", async () => {
  const { page, foreign, errors } = await openApp(browser, server.url);
  assert.equal(await page.getAttribute('[data-testid="app"]', "data-state"), "empty");
  const corrupt = join(dataDir, "bad", "corrupt.json.gz");
  await page.setInputFiles('[data-testid="file-input"]', [...files, corrupt]);
  await waitReady(page);

  assert.equal(await tile(page, "kpi-events"), expected.events);
  assert.equal(await tile(page, "kpi-actors"), expected.actors);
  assert.equal(await tile(page, "kpi-services"), expected.services);
  assert.equal(await tile(page, "kpi-regions"), expected.regions);
  assert.equal(await tile(page, "kpi-errors"), expected.errors);

  const services = await tableRows(page, "table-services");
  assert.equal(services.length, expected.services);
  for (const [label, count, , source] of services) {
    assert.equal(Number(count), expected.perService.get(source), `service ${label} (${source})`);
  }
  const actors = await tableRows(page, "table-actors");
  assert.equal(actors.length, expected.actors);
  assert.equal(actors.reduce((n, r) => n + Number(r[1]), 0), expected.events);
  const bins = await tableRows(page, "table-timeline");
  assert.ok(bins.length > 1);
  assert.equal(bins.reduce((n, r) => n + Number(r[1]), 0), expected.events);

  const problems = await page.$$eval('[data-testid="file-problem"]', (els) => els.map((e) => e.textContent));
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /corrupt\.json\.gz/);
  assert.match(problems[0], /neither gzip nor JSON/);

  // Loading the same files again adds nothing.
  await page.setInputFiles('[data-testid="file-input"]', files.slice(0, 50));
  await waitReady(page);
  assert.equal(await tile(page, "kpi-events"), expected.events);
  assert.match(await page.textContent('[data-testid="load-notes"]'), /duplicate records skipped/);

  // Hovering an actor shows the identity; clicking shows it in detail.
  const title = await page.getAttribute('[data-testid="table-actors"] tbody tr', "title");
  assert.match(title, /type: /);
  await page.click('[data-testid="chart-actors"] summary');
  await page.click('[data-testid="table-actors"] tbody tr');
  await page.waitForSelector('[data-testid="actor-detail"]');

  assert.deepEqual(foreign, [], "the page contacted another origin");
  assert.deepEqual(errors, []);
  await page.close();
});

test("folder picker loads a whole aws s3 sync tree", async () => {
  const { page } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="folder-input"]', join(dataDir, "logs"));
  await waitReady(page);
  assert.equal(await tile(page, "kpi-events"), expected.events);
  assert.equal(await page.$$eval('[data-testid="file-problem"]', (e) => e.length), 0);
  await page.close();
});

test("demo data draws charts", async () => {
  const { page, foreign, errors } = await openApp(browser, server.url);
  await page.click('[data-testid="demo-button"]');
  await waitReady(page);
  assert.ok((await tile(page, "kpi-events")) >= 10_000);
  assert.ok((await tile(page, "kpi-actors")) >= 15);
  for (const id of ["chart-actors", "chart-services", "chart-timeline"]) {
    const rects = await page.$$eval(`[data-testid="${id}"] svg rect`, (r) => r.length);
    assert.ok(rects > 3, `${id} has bars`);
  }
  await page.screenshot({ path: join(artifacts, "overview.png"), fullPage: true });
  await page.screenshot({ path: join(artifacts, "overview-top.png"), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1450 } });
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("drag and drop of files loads them and reports a bad one", async () => {
  const { page, errors } = await openApp(browser, server.url);
  const good = JSON.stringify({ Records: (await records(files[0])) });
  const count = (await records(files[0])).length;
  await page.evaluate(([good]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([good], "dropped.json", { type: "application/json" }));
    dt.items.add(new File(["{\"Records\": [{\"eventName\": \"A\"}, {\"eventName\": "], "cut.json"));
    const zone = document.querySelector('[data-testid="drop-zone"]');
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [good]);
  await waitReady(page);
  // The cut file still contributes its one complete record.
  assert.equal(await tile(page, "kpi-events"), count + 1);
  const problems = await page.$$eval('[data-testid="file-problem"]', (els) => els.map((e) => e.textContent));
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^cut\.json: the JSON ends in the middle of record 1/);
  assert.deepEqual(errors, []);
  await page.close();
});
