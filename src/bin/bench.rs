//! Native ingest benchmark: loads every file under a folder (as made by `generate`) into a
//! store and reports throughput, next to the time it takes only to inflate the same bytes.
//!
//! Usage: `bench DIR [--runs N]`

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

fn main() -> ExitCode {
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
