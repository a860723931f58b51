// Side-by-side benchmark (issue 5): the same three questions over the same CloudTrail files,
// asked of four engines, with wall time, peak memory and whether each answer equals
// Trailglass's in full.
//
//   node scripts/bench-compare.mjs [EVENTS] [--no-chart] [--check]   (default 1000000 events)
//   node scripts/bench-compare.mjs [EVENTS] --redraw    (only the chart, from the last run)
//
// --check exits with status 1 unless Trailglass ran and every engine that ran gave the same
// three answers (tests/e2e/bench.test.mjs runs it that way at 3,000 events).
// The questions: events per service (eventSource), per actor ARN (userIdentity.arn) and per
// hour (eventTime truncated to the UTC hour, keyed YYYY-MM-DDTHH). A missing, null or empty
// value (no eventSource, no userIdentity or no arn in it, as for AWS services, SAML users or
// anonymous callers; no eventTime) counts under the key "(none)" in every engine.
//
// The engines, in this order, on the same list of files:
//   1. Trailglass: the release build in dist/ in headless Chromium, files picked through the
//      file input; time from the input's change event to data-state="ready" plus two
//      animation frames (the overview drawn), as bench-browser.mjs measures. Its answers come
//      from the loaded store through window.wasmBindings.bench_answers().
//   2. Plain JavaScript: scripts/bench/page/index.html in the same Chromium (its own browser
//      context), timed the same way: for each file in turn, DecompressionStream('gzip'),
//      Response.text(), JSON.parse, and a loop over Records counting three Maps.
//   3. DuckDB (Python package, native): scripts/bench/duckdb_answers.py, read_json_auto over
//      the files (schema inferred, Records unnested), three GROUP BYs.
//   4. jq (native): zcat FILES | jq -n -f scripts/bench/answers.jq (one reduce, three maps).
//
// Memory: for the pages, the peak resident set (VmHWM from /proc) of the page's renderer
// process (the largest renderer of this browser), which holds the JS heap, the wasm memory
// and the decompressed text, next to its RSS just before the pick; plus the
// largest JSHeapUsedSize seen by CDP Performance.getMetrics polled every 250 ms, and for
// Trailglass the wasm linear memory at the end (it never shrinks, so that is its peak).
// Files picked through an input are read by the browser process, which is not counted, for
// both pages alike. For the native engines: maximum RSS from /usr/bin/time -v (for jq, the
// largest process of the pipeline, which is jq).
//
// Needs: `trunk build --release --offline` done (dist/), chromium and playwright-core
// (scripts/setup.sh test), jq, /usr/bin/time, and DuckDB for Python in a venv:
//   python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install duckdb
// (or set DUCKDB_PYTHON to a python that can `import duckdb`). An engine that cannot run is
// reported as skipped, with the reason; the others still run. JQ_TIMEOUT_S (default 3600)
// bounds the jq run.
//
// Data: the project's generator with seed 1 in $TMPDIR/trailglass-bench-EVENTS (the same
// folder bench-browser.mjs uses; reused if present). Prints a markdown table, writes the
// raw results to $TMPDIR/trailglass-bench-compare-EVENTS.json and, unless --no-chart, a bar
// chart of the wall times to docs/bench-compare.svg.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, walk } from "../tests/e2e/support.mjs";

const args = process.argv.slice(2);
const events = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const drawChart = !args.includes("--no-chart");
const check = args.includes("--check");
const root = resolve(import.meta.dirname, "..");
const dist = join(root, "dist");
const jqTimeout = Number(process.env.JQ_TIMEOUT_S ?? 3600) * 1000;
const rawPath = join(tmpdir(), `trailglass-bench-compare-${events}.json`);
const chartPath = join(root, "docs/bench-compare.svg");
if (args.includes("--redraw")) {
  // Only redraw the chart from the last run's raw results.
  writeFileSync(chartPath, chart(JSON.parse(readFileSync(rawPath, "utf8"))));
  console.log(`chart: ${chartPath} (from ${rawPath})`);
  process.exit(0);
}

// ---- Data --------------------------------------------------------------------------------

const dir = join(tmpdir(), `trailglass-bench-${events}`);
if (!existsSync(dir)) {
  // Written under another name and renamed at the end, so an interrupted run is not reused.
  const partial = `${dir}.partial-${process.pid}`;
  console.log(`generating ${events} events (seed 1) into ${dir} ...`);
  execFileSync("cargo", ["run", "--release", "--quiet", "--bin", "generate", "--", "--events", String(events), "--seed", "1", partial], { cwd: root, stdio: "inherit" });
  renameSync(partial, dir);
}
const files = await walk(dir);
const notGzip = files.filter((f) => !f.endsWith(".json.gz"));
if (notGzip.length) throw new Error(`expected only .json.gz files in ${dir}, found ${notGzip[0]}`);
const gzipBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
if (!existsSync(join(dist, "index.html"))) throw new Error("no dist/index.html: run `trunk build --release --offline` first");

// ---- Browser engines ---------------------------------------------------------------------

/** Every descendant process of this one, as [pid, ...]. */
function descendants() {
  const parent = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent; the name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (!mine.has(pid) && mine.has(ppid)) (mine.add(pid), (grew = true));
  }
  mine.delete(process.pid);
  return [...mine];
}

/** VmRSS and VmHWM (peak) of a process, in bytes; null if it is gone. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return null;
  }
}

/** The renderer process of the page just measured: the largest live renderer of our browser. */
function pageRenderer() {
  const renderers = descendants()
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer");
      } catch {
        return false;
      }
    })
    .map((pid) => ({ pid, ...memoryOf(pid) }))
    .filter((r) => r.rss);
  renderers.sort((a, b) => b.rss - a.rss);
  return renderers[0] ?? null;
}

/** Picks the files in the page at `url`, times change → ready + two frames, reads the answers. */
async function inBrowser(browser, url, readAnswers) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // Trunk announces the started app with its wasm exports; keep the memory to size it.
    await context.addInitScript(() =>
      addEventListener("TrunkApplicationStarted", (e) => (window.__wasmMemory = e.detail?.wasm?.memory)),
    );
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('[data-testid="app"][data-state="empty"]');
    await page.evaluate(() => {
      window.__bench = { longTasks: [] };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (window.__bench.start && e.startTime >= window.__bench.start) window.__bench.longTasks.push(e.duration);
      }).observe({ type: "longtask", buffered: true });
      const input = document.querySelector('[data-testid="file-input"]');
      input.addEventListener("change", () => (window.__bench.start = performance.now()), { capture: true });
      const app = document.querySelector('[data-testid="app"]');
      new MutationObserver(() => {
        if (app.dataset.state === "ready" && !window.__bench.ready) {
          window.__bench.ready = performance.now();
          requestAnimationFrame(() => requestAnimationFrame(() => (window.__bench.drawn = performance.now())));
        }
      }).observe(app, { attributes: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    let heapPeak = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const { metrics } = await cdp.send("Performance.getMetrics").catch(() => ({ metrics: [] }));
        heapPeak = Math.max(heapPeak, metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
        await new Promise((ok) => setTimeout(ok, 250));
      }
    })();
    // The page's renderer before the pick: what the page costs with nothing loaded.
    const before = pageRenderer();
    await page.setInputFiles('[data-testid="file-input"]', files);
    await page.waitForFunction(() => window.__bench.drawn || document.querySelector('[data-testid="crash-screen"]'), null, { timeout: 1_800_000, polling: 100 });
    polling = false;
    await poll;
    const b = await page.evaluate(() => window.__bench);
    if (!b.drawn) throw new Error(`the page crashed: ${errors.join("; ")}`);
    const renderer = pageRenderer();
    const wasmBytes = await page.evaluate(() => window.__wasmMemory?.buffer.byteLength ?? null);
    const answers = await readAnswers(page);
    return {
      seconds: (b.drawn - b.start) / 1000,
      peakRss: renderer?.peak ?? null,
      rssBefore: before?.pid === renderer?.pid ? before.rss : null,
      rendererPid: renderer?.pid ?? null,
      heapPeak,
      wasmBytes,
      longestTask: Math.max(0, ...b.longTasks),
      longTasks: b.longTasks.length,
      errors,
      answers,
    };
  } finally {
    await context.close();
  }
}

// ---- Native engines ----------------------------------------------------------------------

/** Runs a command under /usr/bin/time -v; returns wall seconds and max RSS. */
function timed(command, commandArgs, timeoutMs) {
  const report = join(tmpdir(), `trailglass-bench-time-${process.pid}.txt`);
  return new Promise((ok, fail) => {
    const start = performance.now();
    const child = spawn("/usr/bin/time", ["-v", "-o", report, command, ...commandArgs], { stdio: ["ignore", "inherit", "inherit"], detached: true });
    const timer = setTimeout(() => {
      // Our own process group: /usr/bin/time and everything under it.
      process.kill(-child.pid, "SIGKILL");
      fail(new Error(`stopped after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", fail);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0) return fail(new Error(`${command} exited with ${code}`));
      const text = readFileSync(report, "utf8");
      rmSync(report, { force: true });
      const kb = Number(text.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1] ?? 0);
      ok({ seconds, peakRss: kb * 1024 });
    });
  });
}

function canImportDuckdb(python) {
  try {
    return execFileSync(python, ["-c", "import duckdb; print(duckdb.__version__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

async function duckdb(listFile) {
  const python = [process.env.DUCKDB_PYTHON, "/tmp/bench-venv/bin/python", "python3"].find((p) => p && canImportDuckdb(p));
  if (!python) throw new Error("no python with duckdb: python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install duckdb (or set DUCKDB_PYTHON)");
  const out = join(tmpdir(), `trailglass-bench-duckdb-${process.pid}.json`);
  const run = await timed(python, [join(root, "scripts/bench/duckdb_answers.py"), listFile, out], 3_600_000);
  const { seconds, duckdb: version, threads, schema, ...answers } = JSON.parse(readFileSync(out, "utf8"));
  rmSync(out, { force: true });
  return { ...run, answers, querySeconds: seconds, version: `DuckDB ${version} (Python), ${threads} threads, schema ${schema}` };
}

async function jq(listFile) {
  const version = execFileSync("jq", ["--version"], { encoding: "utf8" }).trim();
  const out = join(tmpdir(), `trailglass-bench-jq-${process.pid}.json`);
  const script = 'set -o pipefail; xargs -0 -a "$1" zcat -- | jq -n -c -f "$2" > "$3"';
  const run = await timed("bash", ["-c", script, "_", listFile, join(root, "scripts/bench/answers.jq"), out], jqTimeout);
  const answers = JSON.parse(readFileSync(out, "utf8"));
  rmSync(out, { force: true });
  return { ...run, answers, version };
}

// ---- Comparing answers -------------------------------------------------------------------

const total = (answers) => Object.values(answers.service).reduce((a, b) => a + b, 0);

/** "yes", or what differs between two answer sets (every key of all three maps compared). */
function agreement(mine, reference) {
  const out = [];
  for (const q of ["service", "arn", "hour"]) {
    const a = mine[q] ?? {};
    const b = reference[q] ?? {};
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const differ = [...keys].filter((k) => a[k] !== b[k]);
    if (differ.length) out.push(`${q}: ${differ.length} of ${keys.size} keys differ, e.g. ${JSON.stringify(differ[0])} ${a[differ[0]] ?? 0} vs ${b[differ[0]] ?? 0}`);
  }
  return out.length ? `**no**: ${out.join("; ")}` : "yes";
}

// ---- Run ---------------------------------------------------------------------------------

const listFile = join(tmpdir(), `trailglass-bench-files-${process.pid}.txt`);
// Both native engines read exactly the files the pages are given (NUL-separated list).
writeFileSync(listFile, files.join("\0"));
const results = [];
// The machine may be shared: say how busy it was, so a noisy run can be recognised.
const loadBefore = loadavg()[0];
const note = (r) => console.log(r.skipped ? `${r.engine}: skipped (${r.skipped})` : `${r.engine}: ${r.seconds.toFixed(2)} s`);

const browser = await launch();
const chromium = `Chromium ${browser.version()}`;
console.log(`${events} events in ${files.length} files (${(gzipBytes / 1e6).toFixed(1)} MB gzip) in ${dir}; ${chromium}; ${cpus().length} cores`);
const appServer = await serve(dist);
const pageServer = await serve(join(root, "scripts/bench/page"));
const engines = [
  ["Trailglass", "release build in dist/, headless " + chromium, () =>
    inBrowser(browser, appServer.url, async (page) => JSON.parse(await page.evaluate(() => window.wasmBindings.bench_answers())))],
  ["plain JavaScript", "scripts/bench/page/, same " + chromium, () =>
    inBrowser(browser, pageServer.url, (page) => page.evaluate(() => window.answers))],
];
for (const [engine, how, run] of engines) {
  try {
    results.push({ engine, how, ...(await run()) });
  } catch (e) {
    results.push({ engine, how, skipped: String(e.message ?? e) });
  }
  note(results.at(-1));
}
await browser.close();
await appServer.close();
await pageServer.close();
for (const [engine, run] of [["DuckDB", duckdb], ["jq", jq]]) {
  try {
    const r = await run(listFile);
    results.push({ engine, how: `${r.version}, native`, ...r });
  } catch (e) {
    results.push({ engine, how: "native", skipped: String(e.message ?? e) });
  }
  note(results.at(-1));
}
rmSync(listFile, { force: true });

// ---- Report ------------------------------------------------------------------------------

const reference = results.find((r) => r.engine === "Trailglass" && !r.skipped);
const mb = (bytes) => (bytes == null ? "—" : `${Math.round(bytes / 1048576).toLocaleString("en")} MB`);
const fmt = (n) => Math.round(n).toLocaleString("en");
console.log(
  `\n${fmt(events)} generated events (seed 1), ${fmt(files.length)} files, ${(gzipBytes / 1e6).toFixed(1)} MB gzip; ` +
    `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, node ${process.version}; ` +
    `load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end\n`,
);
console.log("| engine | runs as | wall time | events counted | events/s | time ÷ Trailglass's | peak RSS (page before the pick) | JS heap peak | longest main-thread task | same three answers as Trailglass |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  if (r.skipped) {
    console.log(`| ${r.engine} | ${r.how} | skipped: ${r.skipped} | | | | | | | |`);
    continue;
  }
  const counted = total(r.answers);
  const heap = r.heapPeak ? `${mb(r.heapPeak)}${r.wasmBytes ? ` (+ wasm memory ${mb(r.wasmBytes)})` : ""}` : "—";
  const task = r.longTasks === undefined ? "—" : `${fmt(r.longestTask)} ms (${r.longTasks} over 50 ms)`;
  const ratio = reference ? `${(r.seconds / reference.seconds).toFixed(2)}×` : "—";
  const same = !reference ? "no Trailglass run" : r === reference ? "(reference)" : agreement(r.answers, reference.answers);
  const query = r.querySeconds ? ` (query ${r.querySeconds.toFixed(2)} s)` : "";
  console.log(
    `| ${r.engine} | ${r.how} | ${r.seconds.toFixed(2)} s${query} | ${fmt(counted)} | ${fmt(counted / r.seconds)} | ${ratio} | ${mb(r.peakRss)}${r.rssBefore ? ` (${mb(r.rssBefore)})` : ""} | ${heap} | ${task} | ${same} |`,
  );
}
const totals = results.filter((r) => !r.skipped).map((r) => total(r.answers));
if (new Set(totals).size > 1) console.log(`\nThe engines counted different totals: ${totals.join(", ")} (Trailglass de-duplicates repeated events).`);
const errors = results.flatMap((r) => (r.errors ?? []).map((e) => `${r.engine}: ${e}`));
if (errors.length) console.log(`\nPage errors:\n${errors.join("\n")}`);

const disagree = results.filter((r) => !r.skipped && reference && r !== reference && agreement(r.answers, reference.answers) !== "yes");
if (check && (!reference || disagree.length)) {
  console.log(`\n--check: ${reference ? `${disagree.map((r) => r.engine).join(", ")} disagree with Trailglass` : "Trailglass did not run"}`);
  process.exitCode = 1;
}

const summary = { events, files: files.length, gzipBytes, chromium, cores: cpus().length, results };
writeFileSync(rawPath, JSON.stringify(summary, null, 1));
console.log(`\nraw results: ${rawPath}`);
if (drawChart) {
  writeFileSync(chartPath, chart(summary));
  console.log(`chart: ${chartPath}`);
}

/** A horizontal bar chart of the wall times from the raw results, as standalone SVG. */
function chart({ events, files, gzipBytes, cores, results }) {
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const n = (x) => Math.round(x).toLocaleString("en");
  const rows = results.filter((r) => !r.skipped);
  const base = rows.find((r) => r.engine === "Trailglass");
  const where = (r) => (r.heapPeak !== undefined ? "in Chromium" : "native");
  const [width, left, right, top, bar, gap] = [760, 170, 210, 64, 30, 12];
  const height = top + rows.length * (bar + gap) + 30;
  const scale = (width - left - right) / Math.max(...rows.map((r) => r.seconds));
  const bars = rows
    .map((r, i) => {
      const y = top + i * (bar + gap);
      const w = Math.max(1, r.seconds * scale);
      const fill = r === base ? "#2f6fde" : "#8a94a6";
      const ratio = base && r !== base ? ` (${(r.seconds / base.seconds).toFixed(2)}× Trailglass)` : "";
      return (
        `<text x="${left - 10}" y="${y + 13}" text-anchor="end">${esc(r.engine)}</text>` +
        `<text x="${left - 10}" y="${y + 27}" text-anchor="end" font-size="11" fill="#5a6375">${where(r)}</text>` +
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" rx="3" fill="${fill}"/>` +
        `<text x="${(left + w + 8).toFixed(1)}" y="${y + bar / 2 + 5}">${r.seconds.toFixed(1)} s${esc(ratio)}</text>`
      );
    })
    .join("\n  ");
  const subtitle = `${n(events)} generated CloudTrail events, ${n(files)} .json.gz files (${(gzipBytes / 1e6).toFixed(0)} MB); events per service, per actor ARN, per hour; ${cores} cores`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="14" fill="#1d2330">
  <rect width="${width}" height="${height}" fill="#ffffff"/>
  <text x="16" y="26" font-size="16" font-weight="600">Same three questions, same files: wall time (lower is better)</text>
  <text x="16" y="46" font-size="12" fill="#5a6375">${esc(subtitle)}</text>
  ${bars}
  <text x="16" y="${height - 10}" font-size="11" fill="#5a6375">node scripts/bench-compare.mjs ${events} · in Chromium: pick → ready + 2 frames; native: the whole process</text>
</svg>
`;
}
