// Browser benchmark: time from picking files to the overview drawn, in headless Chromium
// against the release build in dist/. Also reports main-thread long tasks (>50 ms).
//
//   node scripts/bench-browser.mjs [EVENTS] [RUNS]      (default 100000 events, 3 runs)
//
// WORKERS=n sets the number of ingest workers (0: the page's own loop; default: the app's
// choice from navigator.hardwareConcurrency). Each run also reports the retained memory
// after a forced garbage collection (wasm memory + JS heap, per event), and the first run
// measures the floor: only inflating the same gzip bytes in wasm, in the same browser.
//
// Needs: `trunk build --release --offline` done, chromium and playwright-core installed
// (scripts/setup.sh test). Data comes from the project's generator (seed 1).
import { execFileSync } from "node:child_process";
import { mkdtempSync, existsSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, walk, tile } from "../tests/e2e/support.mjs";

const events = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const root = resolve(import.meta.dirname, "..");
const dir = join(tmpdir(), `trailglass-bench-${events}`);
if (!existsSync(dir)) {
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", String(events), "--seed", "1", dir], { cwd: root, stdio: "inherit" });
}
const files = await walk(dir);
const dist = process.env.DIST ?? join(root, "dist");
const server = await serve(dist);
{
  // The first load as a static host serves it: every script and the wasm, gzip -9.
  const kb = (ext) =>
    readdirSync(dist)
      .filter((f) => f.endsWith(ext))
      .reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0) / 1024;
  const [wasm, js] = [kb(".wasm"), kb(".js")];
  console.log(`first load (gzip -9): wasm ${wasm.toFixed(0)} KiB + JS ${js.toFixed(0)} KiB = ${((wasm + js) / 1024).toFixed(2)} MiB`);
}
const browser = await launch();
console.log(`${events} events in ${files.length} files; Chromium ${browser.version()}`);
const workers = process.env.WORKERS === undefined ? -1 : Number(process.env.WORKERS);
{
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="app"][data-state="empty"]');
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.id = "floor-input";
    document.body.append(input);
  });
  await page.setInputFiles("#floor-input", files);
  const floor = await page.evaluate(async () => {
    const t0 = performance.now();
    let inflated = 0;
    for (const f of document.querySelector("#floor-input").files) {
      inflated += window.wasmBindings.bench_inflate(new Uint8Array(await f.arrayBuffer()));
    }
    return { ms: performance.now() - t0, inflated };
  });
  console.log(`floor: read + inflate every file in wasm on one thread: ${(floor.ms / 1000).toFixed(2)} s (${(floor.inflated / 1e6).toFixed(1)} MB of JSON)`);
  await page.close();
}
for (let run = 1; run <= runs; run++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  if (process.env.CONSOLE) page.on("console", (m) => console.log(`console: ${m.text()}`));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="app"][data-state="empty"]');
  await page.evaluate((n) => window.wasmBindings.set_ingest_workers(n), workers);
  await page.evaluate(() => {
    window.__bench = { longTasks: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (window.__bench.start && e.startTime >= window.__bench.start) window.__bench.longTasks.push([e.startTime - window.__bench.start, e.duration]);
    }).observe({ type: "longtask", buffered: true });
    const input = document.querySelector('[data-testid="file-input"]');
    input.addEventListener("change", () => (window.__bench.start = performance.now()), { capture: true });
    const app = document.querySelector('[data-testid="app"]');
    new MutationObserver(() => {
      if (app.dataset.state === "ready" && !window.__bench.ready) {
        window.__bench.ready = performance.now();
        // Drawn: every chart's SVG is in the page (some are drawn a task after the
        // others), then the next frame.
        const charts = ["chart-actors", "chart-services", "chart-timeline", "chart-regions", "chart-errors", "chart-clients", "chart-ips", "chart-event-names", "heatmap"];
        const check = () =>
          charts.every((id) => document.querySelector(`[data-testid="${id}"] svg, [data-testid="${id}"] table`))
            ? requestAnimationFrame(() => (window.__bench.drawn = performance.now()))
            : requestAnimationFrame(check);
        requestAnimationFrame(check);
      }
    }).observe(app, { attributes: true });
  });
  // PROFILE_LOAD=file.cpuprofile: a CPU profile of the main thread from pick to drawn.
  const cdp = await page.context().newCDPSession(page);
  if (process.env.PROFILE_LOAD) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  // TRACE_LOAD=file.json: a Chrome trace (tasks with their script, style and layout) from
  // pick to drawn; `node scripts/long-tasks.mjs file.json` lists what the long tasks did.
  const traceEvents = [];
  if (process.env.TRACE_LOAD) {
    cdp.on("Tracing.dataCollected", (e) => traceEvents.push(...e.value));
    await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline,v8.execute", transferMode: "ReportEvents" });
  }
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForFunction(() => window.__bench.drawn, null, { timeout: 600_000, polling: 100 });
  if (process.env.PROFILE_LOAD) writeFileSync(process.env.PROFILE_LOAD, JSON.stringify((await cdp.send("Profiler.stop")).profile));
  if (process.env.TRACE_LOAD) {
    const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    await done;
    writeFileSync(process.env.TRACE_LOAD, JSON.stringify(traceEvents));
  }
  const b = await page.evaluate(() => window.__bench);
  // Detection (the Findings tile) runs after the overview is drawn, in slices; filters are
  // timed once it is done, as a user would find the page.
  const findingsDone = await page.waitForFunction(
    () => { const t = document.querySelector('[data-testid="kpi-findings"]')?.textContent; return t && t !== "…" && performance.now(); },
    null, { timeout: 600_000, polling: 100 });
  const findingsMs = (await findingsDone.jsonValue()) - b.drawn;
  const loaded = await tile(page, "kpi-events");
  const longest = Math.max(0, ...b.longTasks.map((t) => t[1]));
  const used = await page.evaluate(() => window.wasmBindings.ingest_workers_used());
  console.log(`run ${run}: computing the views after the load (ms, times): ${await page.evaluate(() => window.wasmBindings.render_timings())}`);
  if (used > 0) console.log(`run ${run}: worker load timings (ms): ${await page.evaluate(() => window.wasmBindings.ingest_stats())}`);
  await page.waitForTimeout(500);
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const wasmBytes = await page.evaluate(() => window.wasmBindings.wasm_memory_bytes_now());
  console.log(
    `run ${run}: ${used} worker(s); retained after GC: wasm ${(wasmBytes / 1e6).toFixed(0)} MB + JS heap ${(heap.usedSize / 1e6).toFixed(0)} MB = ${((wasmBytes + heap.usedSize) / loaded).toFixed(0)} bytes/event`,
  );
  // Apply and remove a filter: time from the hash change to the next frame after the
  // tiles changed (every chart and table is redrawn in the same reactive update).
  const timeHash = (hash) =>
    page.evaluate(async (hash) => {
      const tile = document.querySelector('[data-testid="kpi-events"]');
      const bar = document.querySelector('[data-testid="filter-bar"]');
      const before = tile.textContent;
      const t0 = performance.now();
      location.hash = hash;
      await new Promise((ok) => {
        const check = () => (tile.textContent !== before && bar.dataset.searching === "false" ? ok() : requestAnimationFrame(check));
        requestAnimationFrame(check);
      });
      await new Promise((ok) => requestAnimationFrame(() => ok()));
      return performance.now() - t0;
    }, hash);
  const apply = await timeHash("#/?service=ec2&eventName=Describe*&aws=hide");
  const applyParts = await page.evaluate(() => window.wasmBindings.render_timings());
  // PROFILE=file.cpuprofile: a CPU profile of removing the filter, for finding what it costs.
  if (process.env.PROFILE) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
    await cdp.send("Profiler.start");
  }
  const remove = await timeHash("#/");
  if (process.env.PROFILE) {
    const { profile } = await cdp.send("Profiler.stop");
    writeFileSync(process.env.PROFILE, JSON.stringify(profile));
  }
  const removeParts = await page.evaluate(() => window.wasmBindings.render_timings());
  console.log(`run ${run}: filter apply parts (ms, times): ${applyParts}\nrun ${run}: filter remove parts: ${removeParts}`);
  const skipped = async () => JSON.parse(await page.evaluate(() => window.wasmBindings.search_stats()));
  const text = await timeHash("#/?q=acme-terraform-state");
  const textSkipped = (await skipped()).skippedFiles;
  const clear = await timeHash("#/");
  // Selective whole-record searches: an IP address (a dotted needle) and a request ID
  // (in no column the store keeps), each over every record.
  const ip = await timeHash("#/?q=10.0.2.155");
  const ipSkipped = (await skipped()).skippedFiles;
  await timeHash("#/");
  const req = await timeHash("#/?q=351dfe63-0c27-4ac1-8bf6-5d926524cf6b");
  const reqStats = await skipped();
  await timeHash("#/");
  console.log(`run ${run}: free-text search for an IP address ${ip.toFixed(0)} ms, for a request ID ${req.toFixed(0)} ms`);
  console.log(
    `run ${run}: files skipped by their n-gram sketches: acme-terraform-state ${textSkipped}, IP ${ipSkipped}, request ID ${reqStats.skippedFiles}; sketches hold ${(reqStats.sketchBytes / 1e6).toFixed(1)} MB`,
  );
  // Scrolling the event table: frame intervals while it is scrolled 100 px a frame (as a
  // wheel does) and while it jumps through all its rows (as dragging the scroll bar does).
  const frames = (mode) =>
    page.evaluate(async (mode) => {
      const box = document.querySelector('[data-testid="event-table"] .tg-etable__scroll');
      box.scrollIntoView();
      box.scrollTop = 0;
      await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
      const gaps = [];
      let last = performance.now();
      for (let i = 1; i <= 240; i++) {
        box.scrollTop = mode === "wheel" ? i * 100 : (i / 240) * (box.scrollHeight - box.clientHeight);
        await new Promise((ok) => requestAnimationFrame(ok));
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      const rows = document.querySelectorAll('[data-testid="event-row"]').length;
      gaps.sort((a, b) => a - b);
      const over = gaps.filter((g) => g > 1000 / 60 + 4).length;
      return `${mode}: median frame ${gaps[120].toFixed(1)} ms, p95 ${gaps[228].toFixed(1)} ms, max ${gaps[239].toFixed(1)} ms, ${over} of 240 frames late (> 20.7 ms); ${rows} rows in the DOM`;
    }, mode);
  console.log(`run ${run}: event table scrolling: ${await frames("wheel")}; ${await frames("drag")}`);
  console.log(`run ${run}: findings ready ${(findingsMs / 1000).toFixed(2)} s after the overview was drawn`);
  console.log(
    `run ${run}: filter apply ${apply.toFixed(0)} ms, remove ${remove.toFixed(0)} ms; free-text search ${text.toFixed(0)} ms (clear ${clear.toFixed(0)} ms)`,
  );
  console.log(
    `run ${run}: ${loaded} events; pick → overview drawn ${((b.drawn - b.start) / 1000).toFixed(2)} s ` +
      `(${Math.round(loaded / ((b.drawn - b.start) / 1000))} events/s; load ${((b.ready - b.start) / 1000).toFixed(2)} s, drawing ${((b.drawn - b.ready) / 1000).toFixed(2)} s); long tasks: ${b.longTasks.length}, longest ${longest.toFixed(0)} ms${b.longTasks.length ? " (at ms: " + b.longTasks.map(([at, d]) => `${at.toFixed(0)}+${d.toFixed(0)}`).join(", ") + ")" : ""}`,
  );
  await page.close();
}
await browser.close();
await server.close();
