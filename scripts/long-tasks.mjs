// Lists the main thread's tasks over 50 ms in a trace written by
// `TRACE_LOAD=file.json node scripts/bench-browser.mjs …`, with the time each kind of
// work inside them took (script, style, layout, paint, garbage collection).
// Usage: node scripts/long-tasks.mjs file.json [min-ms]
import { readFileSync } from "node:fs";

const events = JSON.parse(readFileSync(process.argv[2], "utf8"));
const min = Number(process.argv[3] ?? 50) * 1000;
const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain");
const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X");
const start = Math.min(...mine.map((e) => e.ts));
const tasks = mine.filter((e) => e.name === "RunTask" && e.dur >= min);
for (const task of tasks) {
  const inside = mine.filter((e) => e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= task.ts + task.dur);
  const by = new Map();
  for (const e of inside) {
    // Only the outermost event of each name counts (a FunctionCall inside a FunctionCall
    // would count twice).
    const outer = inside.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && o.dur > e.dur);
    if (!outer) by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0));
  }
  const parts = [...by].filter(([, d]) => d >= 1000).sort((a, b) => b[1] - a[1]).map(([n, d]) => `${n} ${(d / 1000).toFixed(1)}`);
  console.log(`task at ${((task.ts - start) / 1000).toFixed(0)} ms, ${(task.dur / 1000).toFixed(1)} ms: ${parts.join(", ")}`);
}

// With a CPU profile of the same run (PROFILE_LOAD=…), the functions each long task ran:
// node scripts/long-tasks.mjs trace.json 50 profile.cpuprofile
if (process.argv[4]) {
  const p = JSON.parse(readFileSync(process.argv[4], "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let t = p.startTime;
  const samples = p.samples.map((id, i) => [(t += p.timeDeltas[i]), id]);
  const name = (n) => (n.callFrame.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}/g, "");
  for (const task of tasks) {
    const incl = new Map();
    let count = 0;
    for (const [ts, id] of samples) {
      if (ts < task.ts || ts > task.ts + task.dur) continue;
      count++;
      const seen = new Set();
      for (let x = id; x !== undefined; x = parent.get(x)) {
        const nm = name(byId.get(x));
        if (nm.startsWith("trailglass::") && !seen.has(nm)) {
          seen.add(nm);
          incl.set(nm, (incl.get(nm) ?? 0) + 1);
        }
      }
    }
    const per = count ? task.dur / 1000 / count : 0;
    console.log(`\ntask at ${((task.ts - start) / 1000).toFixed(0)} ms (${count} samples), trailglass functions (ms, inclusive):`);
    for (const [nm, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(c * per).toFixed(1)} ${nm.slice(0, 140)}`);
  }
}
