//! Writes a deterministic CloudTrail data set as an S3-style folder tree of `.json.gz`
//! files (`AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/...`), for tests, benchmarks and
//! demos.
//!
//! Usage: `generate [--events N] [--seed S] [--days D] [--plain] OUT_DIR`

use flate2::{write::GzEncoder, Compression};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use trailglass::core::demo::{generate, DemoConfig};

fn main() -> ExitCode {
    let mut cfg = DemoConfig::default();
    let mut out: Option<PathBuf> = None;
    let mut plain = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut num = |what: &str| -> Option<u64> {
            let v = args.next().and_then(|v| v.replace('_', "").parse().ok());
            if v.is_none() {
                eprintln!("{what} needs a number");
            }
            v
        };
        match arg.as_str() {
            "--events" => match num("--events") {
                Some(n) => cfg.events = n as usize,
                None => return ExitCode::FAILURE,
            },
            "--seed" => match num("--seed") {
                Some(n) => cfg.seed = n,
                None => return ExitCode::FAILURE,
            },
            "--days" => match num("--days") {
                Some(n) => cfg.days = n.max(1) as i64,
                None => return ExitCode::FAILURE,
            },
            "--plain" => plain = true,
            "-h" | "--help" => {
                println!("usage: generate [--events N] [--seed S] [--days D] [--plain] OUT_DIR");
                return ExitCode::SUCCESS;
            }
            other => out = Some(PathBuf::from(other)),
        }
    }
    let Some(out) = out else {
        eprintln!("usage: generate [--events N] [--seed S] [--days D] [--plain] OUT_DIR");
        return ExitCode::FAILURE;
    };
    let (mut files, mut records, mut bytes) = (0usize, 0usize, 0usize);
    for file in generate(cfg) {
        let mut path = out.join(&file.path);
        let data = if plain {
            path.set_extension("");
            file.json
        } else {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            if let Err(e) = enc.write_all(&file.json) {
                eprintln!("gzip failed: {e}");
                return ExitCode::FAILURE;
            }
            match enc.finish() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("gzip failed: {e}");
                    return ExitCode::FAILURE;
                }
            }
        };
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&path, &data) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        files += 1;
        records += file.records;
        bytes += data.len();
    }
    println!(
        "wrote {records} events in {files} files ({bytes} bytes) under {}",
        out.display()
    );
    ExitCode::SUCCESS
}
