// Hostile input: event text that tries to run script, break out of markup, or break the
// layout, shown in every view; the Content-Security-Policy; and the crash screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const PAYLOADS = [
  `<script>window.__pwned='script'</script>`,
  `<img src=x onerror="window.__pwned='img'">`,
  `javascript:window.__pwned='js'`,
  `<svg onload="window.__pwned='svg'"><script>window.__pwned='svg2'</script></svg>`,
  `"><iframe srcdoc="<script>parent.__pwned='iframe'</script>"></iframe>`,
  `</text></svg><img src=x onerror="window.__pwned='svgtext'">`,
  `</style><style>body{display:none}</style>`,
  `\\"; window.__pwned='css'; x:expression(alert(1))`,
  `\u202Egnp.exe\u202C admin`,
  `=HYPERLINK("http://example.com","x")`,
  "x".repeat(5000),
];
let server, browser, file;

before(async () => {
  const records = PAYLOADS.map((p, i) => ({
    eventVersion: "1.08",
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    eventTime: `2024-05-01T10:${String(i).padStart(2, "0")}:00Z`,
    eventSource: `svc${i}.amazonaws.com`,
    eventName: p,
    awsRegion: p,
    sourceIPAddress: p,
    userAgent: p,
    errorCode: p,
    errorMessage: p,
    recipientAccountId: "111122223333",
    userIdentity: { type: "IAMUser", accountId: "111122223333", userName: p, arn: `arn:aws:iam::111122223333:user/${p}`, accessKeyId: p },
    requestParameters: { bucketName: p, [p.slice(0, 40)]: p },
    resources: [{ ARN: p, type: p }],
  }));
  const dir = mkdtempSync(join(tmpdir(), "trailglass-hostile-"));
  file = join(dir, "hostile.json");
  writeFileSync(file, JSON.stringify({ Records: records }));
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function assertSafe(page, where) {
  const pwned = await page.evaluate(() => window.__pwned);
  assert.equal(pwned, undefined, `script ran (${pwned}) in ${where}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 2, `${where}: the page is ${overflow}px wider than the window`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).display), "block", where);
}

test("event text never executes or breaks the layout, in every view", async () => {
  const { page, errors } = await openApp(browser, server.url);
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]');
  assert.equal(await tile(page, "kpi-events"), PAYLOADS.length);
  // Open every table behind every chart.
  for (const s of await page.$$("details:not([open]) > summary")) await s.click();
  await assertSafe(page, "overview with tables open");
  // The SVG labels hold the payloads as text, not as markup.
  const svgText = await page.$$eval('[data-testid="chart-event-names"] svg text', (t) => t.map((x) => x.textContent).join("\n"));
  assert.match(svgText, /<script>|<img/);

  for (const p of PAYLOADS.slice(0, 6)) {
    await page.evaluate((h) => (location.hash = h), `#/users/${encodeURIComponent(`arn:aws:iam::111122223333:user/${p}`)}`);
    await page.waitForFunction(() => location.hash.startsWith("#/users/"));
    await page.waitForSelector('[data-testid="actor-detail"]');
    assert.equal(await tile(page, "kpi-events"), 1);
    await assertSafe(page, `actor page for ${p}`);
  }
  await page.evaluate(() => (location.hash = "#/services/svc0.amazonaws.com"));
  await page.waitForFunction(() => location.hash.startsWith("#/services/"));
  await assertSafe(page, "service page");
  await page.evaluate(() => (location.hash = "#/"));
  await page.waitForFunction(() => location.hash === "#/");

  const rows = page.locator('[data-testid="event-row"]');
  for (let i = 0; i < 3; i++) {
    await rows.nth(i).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="event-detail"]')?.textContent.startsWith("{"));
    await page.click('[data-testid="compare-add"]');
  }
  for (const s of await page.$$("details:not([open]) > summary")) await s.click();
  await page.waitForSelector('[data-testid="compare-row"]');
  await assertSafe(page, "event detail and compare");

  await page.evaluate(() => (location.hash = "#/parameters"));
  await page.waitForSelector('[data-testid="field-row"]');
  await assertSafe(page, "discovered fields");

  await page.evaluate(() => (location.hash = "#/findings"));
  await page.waitForSelector('[data-testid="findings"][data-status="done"]');
  await assertSafe(page, "findings");
  await page.evaluate(() => (location.hash = "#/?finding=%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D1%22%3E"));
  await page.waitForSelector('[data-testid="filter-chip"]');
  await assertSafe(page, "finding chip");

  // A route carrying a payload is shown as text, too.
  await page.evaluate(() => (location.hash = "#/?eventName=%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D1%22%3E&from=%3Cscript%3E"));
  await page.waitForSelector('[data-testid="route-errors"]');
  await assertSafe(page, "route errors");

  // The exported JSON, re-opened, is just as inert.
  await page.evaluate(() => (location.hash = "#/"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-json"]')]);
  const exported = join(mkdtempSync(join(tmpdir(), "trailglass-hostile-export-")), "export.json");
  await download.saveAs(exported);
  const again = await openApp(browser, server.url);
  await again.page.setInputFiles('[data-testid="file-input"]', exported);
  await again.page.waitForSelector('[data-testid="app"][data-state="ready"]');
  assert.equal(await tile(again.page, "kpi-events"), PAYLOADS.length);
  await assertSafe(again.page, "re-opened export");
  await again.page.close();

  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the Content-Security-Policy is in force", async () => {
  const { page } = await openApp(browser, server.url);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  // An inline script added to the page does not run.
  const ran = await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.appendChild(s);
    return window.__inline;
  });
  assert.equal(ran, undefined);
  // Nor can the page fetch another origin.
  const blocked = await page.evaluate(() => fetch("http://127.0.0.2:9/").then(() => false, () => true));
  assert.equal(blocked, true);
  await page.close();
});

test("a panic shows the crash screen with diagnostics", async () => {
  const { page } = await openApp(browser, server.url);
  await page.evaluate(() => {
    try {
      window.wasmBindings.trigger_panic_for_test();
    } catch {
      // The wasm trap after the panic hook ran.
    }
  });
  await page.waitForSelector('[data-testid="crash-screen"]');
  assert.match(await page.textContent('[data-testid="fatal-details"]'), /deliberate panic for the crash-screen test/);
  assert.ok(await page.isVisible('[data-testid="copy-diagnostics"]'));
  await page.close();
});

test("a browser without wasm SIMD gets a clear message instead of a blank page", async () => {
  const page = await browser.newPage();
  // Stand in for an old browser: its validator rejects the SIMD probe (and everything else).
  await page.addInitScript(() => {
    WebAssembly.validate = () => false;
  });
  await page.goto(server.url);
  const box = page.locator('[data-testid="unsupported-browser"]');
  await box.waitFor();
  assert.match(await box.textContent(), /needs WebAssembly with SIMD.*Safari 16\.4\+/);
  // Where the probe passes (this Chromium), there is no such message and the app runs.
  const { page: ok } = await openApp(browser, server.url);
  assert.equal(await ok.locator('[data-testid="unsupported-browser"]').count(), 0);
  await ok.close();
  await page.close();
});
