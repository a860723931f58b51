//! Native ingest benchmark: loads every file under a folder (as made by `generate`) into a
//! store and reports throughput, next to the time it takes only to inflate the same bytes.
//!
//! Usage: `bench DIR [--runs N]`
//!
//! `bench sigma RULES_DIR LOG_PATH... [--copies N]` instead times Sigma rules over the
//! records of the given log files (repeated N times, default 100): every rule tried on
//! every record versus the eventName-indexed `RuleSet`.
//!
//! `bench search DIR TEXT... [--prefilter-only]` times the whole-record free-text search as
//! the page runs it (re-read every record of every file, match) with and without the
//! raw-bytes prefilter.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use trailglass::core::filter::{select, Filter, NamePattern};
use trailglass::core::ingest::ingest_bytes;
use trailglass::core::query::{by_actor, by_service, overview, timeline};
use trailglass::core::store::Store;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Records of a log file as plain JSON: `{"Records": [...]}`, a bare array, or one record.
fn file_records(path: &Path) -> Vec<serde_json::Value> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut text = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        if flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .is_err()
        {
            return Vec::new();
        }
    } else {
        text = bytes;
    }
    match serde_json::from_slice::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut o)) if o.get("Records").is_some_and(|r| r.is_array()) => {
            match o.remove("Records") {
                Some(serde_json::Value::Array(items)) => items,
                _ => Vec::new(),
            }
        }
        Ok(serde_json::Value::Array(items)) => items,
        Ok(v @ serde_json::Value::Object(_)) if v.get("eventName").is_some() => vec![v],
        _ => Vec::new(),
    }
}

fn bench_sigma(args: &[String]) -> ExitCode {
    use trailglass::core::sigma::{parse_rules, RuleSet};
    let mut copies = 100usize;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--copies" {
            copies = it.next().and_then(|n| n.parse().ok()).unwrap_or(copies);
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let Some((rules_dir, logs)) = paths.split_first() else {
        eprintln!("usage: bench sigma RULES_DIR LOG_PATH... [--copies N]");
        return ExitCode::FAILURE;
    };
    let mut rule_files = Vec::new();
    files(rules_dir, &mut rule_files);
    let mut rules = Vec::new();
    for p in rule_files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
    {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let (mut parsed, errors) = parse_rules(&text, &p.display().to_string());
        for e in errors {
            eprintln!("{e}");
        }
        rules.append(&mut parsed);
    }
    let mut log_files = Vec::new();
    for l in logs {
        if l.is_dir() {
            files(l, &mut log_files);
        } else {
            log_files.push(l.clone());
        }
    }
    let base: Vec<serde_json::Value> = log_files.iter().flat_map(|p| file_records(p)).collect();
    let records: Vec<&serde_json::Value> = (0..copies).flat_map(|_| base.iter()).collect();
    let set = RuleSet::new(rules.clone());
    println!(
        "{} rules ({} need every record read: {}), {} distinct records x {copies} = {} evaluations",
        rules.len(),
        rules.len()
            - (0..rules.len())
                .filter(|i| RuleSet::new(vec![rules[*i].clone()])
                    .event_names()
                    .is_some())
                .count(),
        set.event_names().is_none(),
        base.len(),
        records.len()
    );
    for run in 1..=3 {
        let t = Instant::now();
        let mut brute = 0usize;
        for r in &records {
            brute += rules.iter().filter(|rule| rule.matches(r)).count();
        }
        let brute_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut indexed = 0usize;
        for r in &records {
            indexed += set.matching(r).len();
        }
        let indexed_s = t.elapsed().as_secs_f64();
        let per = |s: f64| s * 1e9 / records.len().max(1) as f64;
        println!(
            "run {run}: every rule {:.0} ns/record ({brute} matches); RuleSet {:.0} ns/record ({indexed} matches); {:.1}x",
            per(brute_s),
            per(indexed_s),
            brute_s / indexed_s.max(1e-12)
        );
        if brute != indexed {
            eprintln!("mismatch: {brute} vs {indexed}");
            return ExitCode::FAILURE;
        }
    }
    // Where the time goes: the costliest rules when tried on every record.
    let mut per_rule: Vec<(f64, &str)> = rules
        .iter()
        .map(|rule| {
            let t = Instant::now();
            let n = records.iter().filter(|r| rule.matches(r)).count();
            std::hint::black_box(n);
            (
                t.elapsed().as_secs_f64() * 1e9 / records.len().max(1) as f64,
                rule.title.as_str(),
            )
        })
        .collect();
    per_rule.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ns, title) in per_rule.iter().take(5) {
        println!("  {ns:7.0} ns/record  {title}");
    }
    ExitCode::SUCCESS
}

fn bench_search(args: &[String]) -> ExitCode {
    use trailglass::core::export::records_of_file_where;
    use trailglass::core::fields::{record_matches, RawPrefilter};
    use trailglass::core::sketch::FileSketch;
    let Some((dir, queries)) = args.split_first() else {
        eprintln!("usage: bench search DIR TEXT...");
        return ExitCode::FAILURE;
    };
    let mut paths = Vec::new();
    files(Path::new(dir), &mut paths);
    paths.sort();
    let data: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let mut store = Store::new();
    for (i, d) in data.iter().enumerate() {
        ingest_bytes(i as u32, &paths[i].display().to_string(), d, &mut store);
    }
    let mut by_file: Vec<Vec<(u32, trailglass::core::ingest::Origin)>> =
        vec![Vec::new(); data.len()];
    for (row, o) in store.origin.iter().enumerate() {
        by_file[o.file as usize].push((row as u32, *o));
    }
    println!("{} events in {} files", store.len(), data.len());
    // Each file's n-gram sketch, as the findings pass after a load builds them.
    let inflated: Vec<Vec<u8>> = data
        .iter()
        .map(|d| trailglass::core::ingest::inflate_all(d).unwrap_or_else(|| d.clone()))
        .collect();
    let t = Instant::now();
    let sketches: Vec<FileSketch> = inflated.iter().map(|d| FileSketch::of(d)).collect();
    let took = t.elapsed().as_secs_f64();
    let mb = inflated.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    drop(inflated);
    println!(
        "sketches: {:.2} s for {mb:.0} MB ({:.0} MB/s), {:.1} MB kept ({:.1} B/event)",
        took,
        mb / took,
        sketches.iter().map(FileSketch::heap_bytes).sum::<usize>() as f64 / 1e6,
        sketches.iter().map(FileSketch::heap_bytes).sum::<usize>() as f64
            / store.len().max(1) as f64
    );
    // `--prefilter-only`: skip the (slow) reference pass that parses every record.
    let only = queries.iter().any(|q| q == "--prefilter-only");
    for q in queries.iter().filter(|q| *q != "--prefilter-only") {
        let mut times = [0.0f64; 2];
        let mut hits = [0usize; 2];
        let mut parsed = [0usize; 2];
        let mut skipped = 0;
        for (k, use_prefilter) in [false, true].into_iter().enumerate() {
            if only && !use_prefilter {
                continue;
            }
            let prefilter = RawPrefilter::new(&[], Some(q)).filter(|_| use_prefilter);
            let t = Instant::now();
            for ((d, origins), sketch) in data.iter().zip(&by_file).zip(&sketches) {
                if prefilter.as_ref().is_some_and(|p| p.rules_out_file(sketch)) {
                    skipped += 1;
                    continue;
                }
                let (records, _) = records_of_file_where(d, origins, prefilter.as_ref());
                parsed[k] += records.len();
                hits[k] += records
                    .iter()
                    .filter(|(_, r)| record_matches(r, &[], Some(q)))
                    .count();
            }
            times[k] = t.elapsed().as_secs_f64();
        }
        println!(
            "q={q:?}: full parse {:.2} s, prefilter {:.2} s ({:.1}x; {} files skipped by their sketch, {} records parsed), {} matches{}",
            times[0],
            times[1],
            times[0] / times[1].max(1e-9),
            skipped,
            parsed[1],
            hits[1],
            if only || hits[0] == hits[1] { "" } else { " MISMATCH" }
        );
        if !only && hits[0] != hits[1] {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("search") {
        return bench_search(&all[1..]);
    }
    if all.first().map(String::as_str) == Some("sigma") {
        return bench_sigma(&all[1..]);
    }
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench DIR [--runs N]");
        return ExitCode::FAILURE;
    };
    let runs: usize = match (args.next().as_deref(), args.next()) {
        (Some("--runs"), Some(n)) => n.parse().unwrap_or(3),
        _ => 3,
    };
    let mut paths = Vec::new();
    files(Path::new(&dir), &mut paths);
    paths.sort();
    let data: Vec<(String, Vec<u8>)> = paths
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(p).ok()?)))
        .collect();
    let compressed: usize = data.iter().map(|(_, d)| d.len()).sum();
    println!("{} files, {} bytes on disk", data.len(), compressed);
    for run in 1..=runs {
        // Floor: only inflate.
        let t = Instant::now();
        let mut inflated = 0usize;
        let mut buf = Vec::new();
        for (_, d) in &data {
            buf.clear();
            if d.starts_with(&[0x1f, 0x8b]) {
                let _ = flate2::read::MultiGzDecoder::new(&d[..]).read_to_end(&mut buf);
                inflated += buf.len();
            } else {
                inflated += d.len();
            }
        }
        let inflate_s = t.elapsed().as_secs_f64();
        // Full ingest into the store.
        let t = Instant::now();
        let mut store = Store::new();
        let mut problems = 0;
        for (i, (name, d)) in data.iter().enumerate() {
            problems += ingest_bytes(i as u32, name, d, &mut store).problems.len();
        }
        let ingest_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let all = store.all_rows();
        let o = overview(&store, &all);
        let _ = (
            by_actor(&store, &all),
            by_service(&store, &all),
            timeline(&store, &all, 120),
        );
        let agg_ms = t.elapsed().as_secs_f64() * 1000.0;
        // Applying a typical investigation filter and recomputing every overview number.
        let t = Instant::now();
        let filter = Filter {
            service: Some("ec2".into()),
            event_name: Some(NamePattern("Describe*".into())),
            hide_aws: true,
            ..Filter::default()
        };
        let rows = select(&store, &filter);
        let _ = (
            overview(&store, &rows),
            by_actor(&store, &rows),
            by_service(&store, &rows),
            timeline(&store, &rows, 120),
        );
        let filter_ms = t.elapsed().as_secs_f64() * 1000.0;
        // Detection: candidates from the columns, their records re-read, rules run.
        let t = Instant::now();
        let settings = trailglass::core::detect::Settings::default();
        let cand = trailglass::core::detect::candidates(&store, &settings);
        let cand_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let mut by_file: std::collections::BTreeMap<u32, Vec<_>> = Default::default();
        for &r in &cand {
            let o = store.origin[r as usize];
            by_file.entry(o.file).or_default().push((r, o));
        }
        let mut records = Vec::with_capacity(cand.len());
        for (file, origins) in &by_file {
            if let Some((_, bytes)) = data.get(*file as usize) {
                records.extend(trailglass::core::export::records_of_file(bytes, origins).0);
            }
        }
        let reread_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let findings = trailglass::core::detect::run(&store, &records, &settings);
        let rules_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "run {run}: detection: {} candidates of {} events in {cand_ms:.1} ms; re-read {} records in {reread_ms:.1} ms; rules {rules_ms:.1} ms; {} findings",
            cand.len(),
            store.len(),
            records.len(),
            findings.len()
        );
        let mb = inflated as f64 / 1e6;
        println!(
            "run {run}: {} events, {:.1} MB JSON; ingest {:.3} s = {:.0} MB/s, {:.0} events/s; inflate-only {:.3} s (ratio {:.2}x); aggregates {:.1} ms; filter + aggregates {:.1} ms ({} rows); ~{} bytes/event in store; {problems} problems",
            o.events,
            mb,
            ingest_s,
            mb / ingest_s,
            o.events as f64 / ingest_s,
            inflate_s,
            ingest_s / inflate_s,
            agg_ms,
            filter_ms,
            rows.len(),
            store.approx_bytes() / store.len().max(1),
        );
    }
    ExitCode::SUCCESS
}
