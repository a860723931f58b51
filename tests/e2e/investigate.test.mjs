// End-to-end investigation: filters by clicking tables, by routes (the CloudTrail-Tracker
// twins), chips and clear-all, bad route values, the virtualised event table, and the event
// detail compared with the source record. Expectations come from a plain JSON reader.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, walk, records, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
let server, browser, files, recs;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailglass-inv-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "3000", "--seed", "5", dir], { cwd: root, stdio: "inherit" });
  files = await walk(dir);
  recs = (await Promise.all(files.map(records))).flat();
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const count = (pred) => recs.filter(pred).length;
const epoch = (s) => Date.parse(s) / 1000;

async function loaded() {
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  assert.equal(await tile(page, "kpi-events"), recs.length);
  return { page, errors };
}

async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
  await page.waitForTimeout(50);
}

test("clicking a table row filters; chips remove; clear-all restores", async () => {
  const { page, errors } = await loaded();
  await page.click('[data-testid="chart-services"] summary');
  await page.click('[data-testid="table-services"] tbody tr:has(td.tg-key:text-is("ec2.amazonaws.com"))');
  await page.waitForFunction(() => location.hash.includes("service=ec2.amazonaws.com"));
  assert.equal(await tile(page, "kpi-events"), count((r) => r.eventSource === "ec2.amazonaws.com"));
  assert.equal(await tile(page, "kpi-services"), 1);
  assert.equal(await page.$$eval('[data-testid="filter-chip"]', (c) => c.length), 1);
  // Narrow further by a region row, then remove the service chip.
  await page.click('[data-testid="chart-regions"] summary');
  await page.click('[data-testid="table-regions"] tbody tr:has(td.tg-key:text-is("eu-west-1"))');
  await page.waitForFunction(() => location.hash.includes("region=eu-west-1"));
  assert.equal(await tile(page, "kpi-events"), count((r) => r.eventSource === "ec2.amazonaws.com" && r.awsRegion === "eu-west-1"));
  await page.click('[data-testid="filter-chip"]:has-text("service") button');
  await page.waitForFunction(() => !location.hash.includes("service="));
  assert.equal(await tile(page, "kpi-events"), count((r) => r.awsRegion === "eu-west-1"));
  await page.click('[data-testid="clear-filters"]');
  await page.waitForFunction(() => location.hash === "#/");
  assert.equal(await tile(page, "kpi-events"), recs.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test("routes: users, services, scan windows, CIDR, errors, params/value", async () => {
  const { page } = await loaded();
  const alice = (r) => r.userIdentity?.type === "IAMUser" && r.userIdentity.userName === "alice";
  await go(page, "#/users/alice?eventName=Describe*");
  assert.equal(await tile(page, "kpi-events"), count((r) => alice(r) && r.eventName.startsWith("Describe")));
  // "alice" exists in two accounts: the page selects both and shows both identities.
  assert.equal(await tile(page, "kpi-actors"), 2);
  assert.equal(await page.$$eval('[data-testid="actor-detail"] dl', (d) => d.length), 2);

  await go(page, "#/services/ec2?eventName=RunInstances");
  assert.equal(await tile(page, "kpi-events"), count((r) => r.eventSource === "ec2.amazonaws.com" && r.eventName === "RunInstances"));

  const times = recs.map((r) => r.eventTime).sort();
  const from = times[100].slice(0, 19), to = times[900].slice(0, 19);
  await go(page, `#/scan?from=${from}&to=${to}`);
  assert.equal(await tile(page, "kpi-events"), count((r) => epoch(r.eventTime) >= epoch(from + "Z") && epoch(r.eventTime) <= epoch(to + "Z")));

  const inCidr = (ip) => /^203\.0\.113\.(\d+)$/.test(ip) && Number(ip.split(".")[3]) < 16;
  await go(page, "#/?ip=203.0.113.0/28&error=any");
  assert.equal(await tile(page, "kpi-events"), count((r) => inCidr(r.sourceIPAddress) && r.errorCode));

  await go(page, "#/?readOnly=false&aws=hide");
  assert.equal(await tile(page, "kpi-events"), count((r) => r.readOnly === false || (r.readOnly === undefined && !/^(Get|Describe|List|Head|Lookup|Search|Scan|Query|BatchGet|Select|Check|View|Preview|Estimate|Download|Test|Validate|Verify|Filter)([A-Z0-9]|$)/.test(r.eventName))
    ? r.userIdentity?.type !== "AWSService" : false));

  await go(page, "#/users/ci-deploy?params=['eventSource']&value=['s3.amazonaws.com']");
  assert.equal(await tile(page, "kpi-events"), count((r) => r.userIdentity?.userName === "ci-deploy" && r.userIdentity.type === "IAMUser" && r.eventSource === "s3.amazonaws.com"));

  await go(page, "#/users");
  const users = await page.$$eval('[data-testid="list-users"] tbody tr', (t) => t.length);
  assert.equal(users, await tile(page, "kpi-actors"));
  await page.close();
});

test("bad route values get a visible message, not a silent empty result", async () => {
  const { page } = await loaded();
  await go(page, "#/?from=yesterday&client=fax");
  const msgs = await page.$$eval('[data-testid="route-errors"] li', (l) => l.map((x) => x.textContent));
  assert.equal(msgs.length, 2, msgs.join("\n"));
  assert.match(msgs[0], /from: 'yesterday' is not a date/);
  assert.equal(await tile(page, "kpi-events"), recs.length);
  await page.close();
});

test("event table is virtualised; detail re-reads the original record", async () => {
  const { page, errors } = await loaded();
  const rendered = await page.$$eval('[data-testid="event-row"]', (r) => r.length);
  assert.ok(rendered > 5 && rendered < 80, `${rendered} rows rendered for ${recs.length} events`);
  await page.click('[data-testid="event-row"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="event-detail"]')?.textContent.startsWith("{"));
  const text = await page.textContent('[data-testid="event-detail"]');
  // The tree view shows the same record.
  assert.match(await page.textContent('[data-testid="event-tree"]'), /eventID/);
  const shown = JSON.parse(text);
  const source = recs.find((r) => r.eventID === shown.eventID);
  assert.ok(source, "the detail's eventID is in the source files");
  assert.deepEqual(shown, source);
  // Newest first by default.
  assert.equal(shown.eventTime, recs.map((r) => r.eventTime).sort().at(-1));
  assert.deepEqual(errors, []);
  await page.close();
});

test("exports: CSV rows, JSON re-loads with identical counts, SQL follows the filters", async () => {
  const { page, errors } = await loaded();
  await go(page, "#/services/s3");
  const s3 = count((r) => r.eventSource === "s3.amazonaws.com");
  assert.equal(await tile(page, "kpi-events"), s3);

  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-csv"]')]);
  const csv = (await readFile(await csvDownload.path(), "utf8")).trim().split("\r\n");
  assert.equal(csv[0], "Event time,Event name,Actor,Service,Region,Source IP,Access key,Error code,Read-only,Event ID,Resources");
  assert.equal(csv.length - 1, s3);

  const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-json"]')]);
  const exported = join(mkdtempSync(join(tmpdir(), "trailglass-export-")), "export.json");
  await jsonDownload.saveAs(exported);
  const back = await records(exported);
  assert.equal(back.length, s3);
  const ids = new Set(recs.filter((r) => r.eventSource === "s3.amazonaws.com").map((r) => r.eventID));
  assert.ok(back.every((r) => ids.has(r.eventID)));

  const sql = await page.$eval('[data-testid="athena-sql"]', (t) => t.value);
  assert.match(sql, /WHERE eventsource = 's3\.amazonaws\.com'/);

  // The JSON export loads back into a fresh page with the same numbers.
  const fresh = await openApp(browser, server.url);
  await fresh.page.setInputFiles('[data-testid="file-input"]', exported);
  await fresh.page.waitForSelector('[data-testid="app"][data-state="ready"]');
  assert.equal(await tile(fresh.page, "kpi-events"), s3);
  assert.equal(await tile(fresh.page, "kpi-services"), 1);
  assert.deepEqual(errors, []);
  await fresh.page.close();
  await page.close();
});

async function waitTile(page, id, n) {
  await page.waitForFunction(
    ([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent.replace(/[^0-9]/g, "")) === n
      && document.querySelector('[data-testid="filter-bar"]')?.dataset.searching === "false",
    [id, n],
    { timeout: 30_000 },
  ).catch(async (e) => {
    throw new Error(`${id} is ${await tile(page, id)}, expected ${n}: ${e.message}`);
  });
}

test("whole-record filters: field path = value, free text, discovered fields", async () => {
  const { page, errors } = await loaded();
  const small = count((r) => r.requestParameters?.instanceType === "t3.micro");
  assert.ok(small > 0);
  await go(page, "#/?params=['instanceType']&value=['t3.micro']");
  await waitTile(page, "kpi-events", small);
  // A dotted name is an exact path, with array indices as path segments.
  const first = recs.find((r) => r.requestParameters?.instancesSet?.items?.[0]?.instanceId);
  const id = first.requestParameters.instancesSet.items[0].instanceId;
  await go(page, `#/?params=['requestParameters.instancesSet.items.0.instanceId']&value=['${id}']`);
  await waitTile(page, "kpi-events", count((r) => r.requestParameters?.instancesSet?.items?.[0]?.instanceId === id));

  await go(page, "#/");
  await page.fill('[data-testid="search-input"]', "ACME-TERRAFORM-STATE");
  await page.press('[data-testid="search-input"]', "Enter");
  await waitTile(page, "kpi-events", count((r) => JSON.stringify(r).toLowerCase().includes("acme-terraform-state")));
  // A search dropped before it answers (the filter cleared at once) is no longer waited for.
  await page.evaluate(() => {
    location.hash = "#/?q=zzz-nowhere";
    setTimeout(() => (location.hash = "#/"), 0);
  });
  await page.waitForFunction(() => location.hash === "#/" && document.querySelector('[data-testid="filter-bar"]').dataset.searching === "false", null, { timeout: 10_000 });
  await waitTile(page, "kpi-events", recs.length);

  await go(page, "#/parameters?service=s3");
  await page.waitForSelector('[data-testid="field-row"]');
  const paths = await page.$$eval('[data-testid="field-row"] td:first-child', (t) => t.map((x) => x.textContent));
  assert.ok(paths.includes("requestParameters.bucketName"), paths.join(", "));
  assert.ok(paths.includes("userIdentity.type"));
  await page.click('[data-testid="field-row"]:has(td:text-is("requestParameters.bucketName")) [data-testid="field-value"]');
  await page.waitForFunction(() => location.hash.includes("params="));
  const bucket = decodeURIComponent(await page.evaluate(() => location.hash)).match(/value=\['([^']+)'\]/)[1];
  await page.waitForFunction(() => document.querySelector('[data-testid="filter-bar"]').dataset.searching === "false");
  await waitTile(page, "kpi-events", count((r) => r.eventSource === "s3.amazonaws.com" && r.requestParameters?.bucketName === bucket));
  assert.deepEqual(errors, []);
  await page.close();
});

test("heat map cell, timeline brush, compare, column chooser, chart download", async () => {
  const { page, errors } = await loaded();
  // Heat map: the first non-empty cell filters on its actor and service.
  const cell = page.locator('[data-testid="heatmap"] td[data-count]:not([data-count="0"])').first();
  const n = Number(await cell.getAttribute("data-count"));
  await cell.click();
  await page.waitForFunction(() => location.hash.includes("actor=") && location.hash.includes("service="));
  assert.equal(await tile(page, "kpi-events"), n);
  await page.click('[data-testid="clear-filters"]');

  // Brush: drag across the middle of the timeline; the window matches a plain count.
  await page.locator('[data-testid="timeline-brush"]').scrollIntoViewIfNeeded();
  const box = await page.locator('[data-testid="timeline-brush"]').boundingBox();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => location.hash.includes("from=") && location.hash.includes("to="));
  const hash = decodeURIComponent(await page.evaluate(() => location.hash));
  const from = epoch(hash.match(/from=([0-9T:-]+)/)[1] + "Z"), to = epoch(hash.match(/to=([0-9T:-]+)/)[1] + "Z");
  assert.ok(to > from);
  assert.equal(await tile(page, "kpi-events"), count((r) => epoch(r.eventTime) >= from && epoch(r.eventTime) <= to));
  await page.click('[data-testid="clear-filters"]');

  // Compare two events: identical fields are not highlighted, differing ones are.
  const rows = page.locator('[data-testid="event-row"]');
  await rows.nth(0).click();
  await page.click('[data-testid="compare-add"]');
  await rows.nth(1).click();
  await page.click('[data-testid="compare-add"]');
  await page.waitForSelector('[data-testid="compare-row"]');
  const differs = await page.$$eval('[data-testid="compare-row"]', (r) => r.map((x) => [x.children[0].textContent, x.dataset.differs]));
  assert.ok(differs.some(([p, d]) => p === "eventID" && d === "true"));
  assert.ok(differs.some(([p, d]) => p === "eventVersion" && d === "false"));

  // Column chooser hides a column.
  await page.click('[data-testid="column-chooser"] summary');
  await page.click('[data-testid="column-chooser"] label:has-text("Region") input');
  const cells = await page.$$eval('[data-testid="event-row"]:first-child span[role="cell"]', (c) => c.length);
  assert.equal(cells, 7);

  const [svg] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="chart-actors"] button:text-is("SVG")')]);
  assert.match(await readFile(await svg.path(), "utf8"), /^<svg/);
  const [png] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="chart-actors"] button:text-is("PNG")')]);
  assert.deepEqual([...(await readFile(await png.path())).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("typed filters and absolute time inputs", async () => {
  const { page, errors } = await loaded();
  await page.selectOption('[data-testid="add-filter-field"]', "eventName");
  await page.fill('[data-testid="add-filter-value"]', "Describe*");
  await page.press('[data-testid="add-filter-value"]', "Enter");
  await page.waitForFunction(() => location.hash.includes("eventName=Describe*"));
  assert.equal(await tile(page, "kpi-events"), count((r) => r.eventName.startsWith("Describe")));
  await page.selectOption('[data-testid="add-filter-field"]', "ip");
  await page.fill('[data-testid="add-filter-value"]', "not-an-ip");
  await page.press('[data-testid="add-filter-value"]', "Enter");
  await page.waitForSelector('[data-testid="route-errors"]');
  assert.match(await page.textContent('[data-testid="route-errors"]'), /ip: 'not-an-ip' is not an IP address/);
  await page.click('[data-testid="clear-filters"]');

  const times = recs.map((r) => r.eventTime).sort();
  const from = times[500].slice(0, 16);
  await page.fill('[data-testid="time-from"]', from);
  await page.dispatchEvent('[data-testid="time-from"]', "change");
  await page.waitForFunction(() => location.hash.includes("from="));
  assert.equal(await tile(page, "kpi-events"), count((r) => epoch(r.eventTime) >= epoch(from + ":00Z")));
  assert.deepEqual(errors, []);
  await page.close();
});
