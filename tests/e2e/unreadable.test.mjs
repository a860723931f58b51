// Files changed on disk after they were loaded cannot be read again (the browser refuses a
// dropped file that changed). A whole-record search still answers from every other file and
// names the one it could not read; so do the findings when they are recomputed. Expected
// counts come from a plain JSON reader.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, appendFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { serve, launch, openApp, walk, records, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
let server, browser, files, perFile;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailglass-unreadable-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "1500", "--seed", "23", dir], { cwd: root, stdio: "inherit" });
  files = (await walk(dir)).sort();
  perFile = await Promise.all(files.map(records));
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Changes a file on disk (new bytes, new time), so the page's handle to it goes stale. */
function change(file) {
  appendFileSync(file, Buffer.from([0]));
  const later = new Date(Date.now() + 60_000);
  utimesSync(file, later, later);
}

for (const workers of [2, 0]) {
  test(`a search names the file it could not read again and counts the rest (${workers ? "workers" : "on the page"})`, async () => {
    const { page, errors } = await openApp(browser, server.url);
    await page.evaluate((n) => window.wasmBindings.set_ingest_workers(n), workers);
    await page.setInputFiles('[data-testid="file-input"]', files);
    await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="kpi-findings"]')?.textContent.includes("…"));

    // The biggest file goes stale; the search text is common to every file.
    const victim = perFile.map((r, i) => [r.length, i]).sort((a, b) => b[0] - a[0])[0][1];
    change(files[victim]);
    const text = "amazonaws.com";
    const expected = new Set(
      perFile.flatMap((recs, i) => (i === victim ? [] : recs.filter((r) => JSON.stringify(r).toLowerCase().includes(text)).map((r) => r.eventID))),
    ).size;
    assert.ok(expected > 0);
    await page.evaluate((q) => (location.hash = `#/?q=${q}`), text);
    await page.waitForSelector('[data-testid="search-unreadable"]', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="filter-bar"]').dataset.searching === "false");
    assert.equal(await tile(page, "kpi-events"), expected);
    const note = await page.textContent('[data-testid="search-unreadable"]');
    assert.match(note, /^1 file could not be read again/);
    assert.ok(note.includes(basename(files[victim])), note);
    // Cleared: the note goes with the search.
    await page.click('[data-testid="clear-filters"]');
    await page.waitForSelector('[data-testid="search-unreadable"]', { state: "detached" });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("findings recomputed after the files changed name every file they could not read", async () => {
  const { page, errors } = await openApp(browser, server.url);
  // Fresh copies, so the earlier test's changes do not matter.
  const dir = mkdtempSync(join(tmpdir(), "trailglass-unreadable-findings-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "1500", "--seed", "23", dir], { cwd: root, stdio: "inherit" });
  const mine = (await walk(dir)).sort();
  await page.setInputFiles('[data-testid="file-input"]', mine);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  await page.evaluate(() => (location.hash = "#/findings"));
  await page.waitForSelector('[data-testid="findings"][data-status="done"]', { timeout: 60_000 });
  assert.equal(await page.$('[data-testid="findings-unreadable"]'), null);
  for (const f of mine) change(f);
  await page.click('[data-testid="findings-settings"] summary');
  await page.fill('[data-testid="setting-rare-region-max"]', "3");
  await page.dispatchEvent('[data-testid="setting-rare-region-max"]', "change");
  await page.waitForSelector('[data-testid="findings"][data-status="done"]', { timeout: 60_000 });
  const note = await page.textContent('[data-testid="findings-unreadable"]');
  const n = Number(note.match(/^(\d+) files? could not be read again/)?.[1]);
  assert.ok(n > 0 && n <= mine.length, note);
  assert.ok(mine.some((f) => note.includes(basename(f))), note);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the key trail names the file with an issuing call it could not read again", async () => {
  const { page, errors } = await openApp(browser, server.url);
  const dir = mkdtempSync(join(tmpdir(), "trailglass-unreadable-chain-"));
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", "1500", "--seed", "23", dir], { cwd: root, stdio: "inherit" });
  const mine = (await walk(dir)).sort();
  const recs = await Promise.all(mine.map(records));
  // One file holding an AssumeRole call (the chains are traced from such calls) goes stale
  // before any view needs the chains; an assumed-role session is then opened.
  const victim = recs.findIndex((rs) => rs.some((r) => r.eventName === "AssumeRole"));
  assert.ok(victim >= 0, "the generated data has AssumeRole calls");
  const session = recs.flat().find((r) => r.userIdentity?.type === "AssumedRole")?.userIdentity.arn.split("/").pop();
  assert.ok(session);
  await page.setInputFiles('[data-testid="file-input"]', mine);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  change(mine[victim]);
  await page.evaluate((s) => (location.hash = `#/users/${encodeURIComponent(s)}`), session);
  const note = page.locator('[data-testid="chains-panel"] [data-testid="chain-unreadable"]');
  await note.waitFor({ timeout: 60_000 });
  const text = await note.textContent();
  assert.match(text, /^1 file could not be read again/);
  assert.ok(text.includes(basename(mine[victim])), text);
  // The rest of the trail is still traced: the panel leaves its "tracing" state.
  await page.waitForSelector('[data-testid="chains-panel"] [data-testid="chain-tracing"]', { state: "detached", timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});
