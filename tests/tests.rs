#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Native integration tests over the real CloudTrail samples in `../shared/fixtures` and
//! over generated data. Every expectation is computed here with a plain JSON reader
//! (`serde_json::Value`), never with the store under test.

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use trailglass::core::demo::{generate, DemoConfig};
use trailglass::core::ingest::{ingest_bytes, FileReport, Format, ProblemKind};
use trailglass::core::query::{by_actor, by_service, overview, timeline};
use trailglass::core::store::Store;

fn fixtures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    assert!(dir.is_dir(), "fixtures not found at {}", dir.display());
    dir
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Files in a fixture folder that are meant as log input (not licences or rule sources).
fn log_files(folder: &str) -> Vec<PathBuf> {
    files_under(&fixtures().join(folder))
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            !name.starts_with("LICENSE")
                && !name.ends_with(".zip")
                && !name.ends_with(".md")
                && (name.ends_with(".json") || name.ends_with(".gz") || !name.contains('.'))
        })
        .collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn gunzip_if_needed(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The records in a document, as a plain reader sees them (`None`: not valid JSON).
fn plain_records(bytes: &[u8]) -> Option<Vec<Value>> {
    let doc: Value = serde_json::from_slice(&gunzip_if_needed(bytes)).ok()?;
    let is_record = |v: &Value| {
        v.as_object().is_some_and(|o| {
            [
                "eventVersion",
                "eventTime",
                "eventName",
                "eventSource",
                "eventID",
                "userIdentity",
            ]
            .iter()
            .any(|k| o.contains_key(*k))
        })
    };
    Some(match doc {
        Value::Array(items) => items.into_iter().filter(is_record).collect(),
        Value::Object(ref o) if o.get("Records").is_some_and(Value::is_array) => o["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v.is_object())
            .cloned()
            .collect(),
        Value::Object(ref o) if o.get("Events").is_some_and(Value::is_array) => o["Events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| match e.get("CloudTrailEvent").and_then(Value::as_str) {
                Some(inner) => serde_json::from_str(inner).ok(),
                None => Some(e.clone()),
            })
            .collect(),
        v if is_record(&v) => vec![v],
        _ => vec![],
    })
}

/// Distinct records by `eventID`, or by content where there is none.
fn distinct(records: &[Value]) -> usize {
    let mut ids = HashSet::new();
    for r in records {
        let key = match r.get("eventID").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => format!("id:{id}"),
            _ => format!("content:{r}"),
        };
        ids.insert(key);
    }
    ids.len()
}

fn load_folder(folder: &str) -> (Store, Vec<FileReport>) {
    let mut store = Store::new();
    let reports = log_files(folder)
        .iter()
        .enumerate()
        .map(|(i, p)| ingest_bytes(i as u32, &p.display().to_string(), &read(p), &mut store))
        .collect();
    (store, reports)
}

fn report_for<'a>(reports: &'a [FileReport], name: &str) -> &'a FileReport {
    reports
        .iter()
        .find(|r| r.name.ends_with(name))
        .unwrap_or_else(|| panic!("no report for {name}"))
}

/// Every fixture folder: per-file record counts equal the plain reader's, the store holds
/// exactly the distinct records, and only the known-bad files report problems.
#[test]
fn every_fixture_folder_loads_with_exact_counts() {
    // Files a strict reader rejects; each has its own test below.
    let known_bad = [
        "SerializerTestFileBadJsonFormat.json",
        "cloudtrail-log-file-examples__07_records.json",
        "aws.execution.ec2-user-data.json",
    ];
    let folders = [
        "flaws2",
        "stratus-detonation-logs",
        "trailscraper-tests",
        "awsdocs-examples",
        "plaso-testdata",
        "aws-ctpl-testres",
        "cloudtrail2sightings",
        "panther-cloudtrail",
    ];
    for folder in folders {
        let (store, reports) = load_folder(folder);
        let mut all = Vec::new();
        for (path, report) in log_files(folder).iter().zip(&reports) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let bad = known_bad.contains(&name.as_str()) && folder != "stratus-detonation-logs";
            let Some(recs) = plain_records(&read(path)) else {
                assert!(
                    bad,
                    "{name}: the plain reader failed on a file not marked bad"
                );
                continue;
            };
            assert_eq!(
                report.records as usize,
                recs.len(),
                "{folder}/{name}: {:?}",
                report.problems
            );
            if recs.is_empty() {
                // Digests are set aside quietly; anything else without records says so.
                if report.digests == 0 {
                    assert!(
                        report
                            .problems
                            .iter()
                            .any(|p| matches!(p.kind, ProblemKind::NoRecords { .. })),
                        "{name}: {:?}",
                        report.problems
                    );
                }
            } else {
                assert!(
                    report.problems.is_empty(),
                    "{folder}/{name}: {:?}",
                    report.problems
                );
            }
            all.extend(recs);
        }
        let bad_loaded: usize = reports
            .iter()
            .filter(|r| {
                known_bad.iter().any(|b| r.name.ends_with(b)) && folder != "stratus-detonation-logs"
            })
            .map(|r| r.added as usize)
            .sum();
        assert_eq!(store.len(), distinct(&all) + bad_loaded, "{folder}");
    }
}

#[test]
fn fixture_totals_match_the_fixture_readme() {
    let count = |folder: &str| load_folder(folder).0.len();
    assert_eq!(count("flaws2"), 37);
    assert_eq!(count("plaso-testdata"), 9);
    // 7 records, but the .json and .json.gz copies hold the same two, and the smoke-test
    // file repeats two of their eventIDs: 3 distinct events.
    assert_eq!(count("trailscraper-tests"), 3);
}

#[test]
fn malformed_files_say_what_is_wrong_and_keep_their_neighbours() {
    // A record whose braces do not balance: reading stops there with the line.
    let (_, reports) = load_folder("aws-ctpl-testres");
    let bad = report_for(&reports, "SerializerTestFileBadJsonFormat.json");
    let msg = bad.problems[0].to_string();
    assert!(
        msg.contains("SerializerTestFileBadJsonFormat.json"),
        "{msg}"
    );
    assert!(
        msg.contains("invalid JSON at byte") && msg.contains("line"),
        "{msg}"
    );
    // The SQS notifications are valid JSON but not CloudTrail.
    for sqs in ["SQSMessageBody", "SQSMessageBodyWrongFormat"] {
        let r = report_for(&reports, sqs);
        assert_eq!(r.records, 0);
        assert!(
            r.problems[0].to_string().contains("no CloudTrail records"),
            "{:?}",
            r.problems
        );
    }
    // The all-null record and the wrong eventTime still load, leniently.
    let nulls = report_for(&reports, "SerializerAllFieldsNull.json");
    assert_eq!(nulls.records, 2);

    // A raw control character inside a string: repaired, loaded, and said so.
    let (_, reports) = load_folder("awsdocs-examples");
    let r = report_for(&reports, "cloudtrail-log-file-examples__07_records.json");
    assert_eq!(r.records, 1);
    assert!(matches!(
        r.problems[0].kind,
        ProblemKind::ControlCharacters { index: 0, .. }
    ));
    // The digest files are counted and set aside; the LookupEvents file loads.
    assert_eq!(reports.iter().map(|r| r.digests).sum::<u64>(), 2);
    let lookup = report_for(&reports, "view-insights-events-cli__02_lookupevents.json");
    assert_eq!((lookup.format, lookup.records), (Format::LookupEvents, 2));
    assert!(reports.iter().map(|r| r.insights).sum::<u64>() >= 1);

    // A missing comma between records: all three records (counted by their eventIDs) load.
    let (_, reports) = load_folder("cloudtrail2sightings");
    let r = report_for(&reports, "unzipped/aws.execution.ec2-user-data.json");
    let text = String::from_utf8(read(
        &fixtures().join("cloudtrail2sightings/unzipped/aws.execution.ec2-user-data.json"),
    ))
    .unwrap();
    assert_eq!(r.records as usize, text.matches("\"eventID\"").count());
    assert!(
        r.problems.iter().all(|p| p.is_warning()),
        "{:?}",
        r.problems
    );
    assert!(r.problems[0].to_string().contains("missing comma"));
    // The ZIP archive is named as such.
    let mut store = Store::new();
    let zip = ingest_bytes(
        0,
        "cloudtrail.zip",
        &read(&fixtures().join("cloudtrail2sightings/cloudtrail.zip")),
        &mut store,
    );
    assert!(
        zip.problems[0].to_string().contains("ZIP archive"),
        "{:?}",
        zip.problems
    );
}

#[test]
fn unparseable_event_time_is_kept_and_flagged() {
    let (store, _) = load_folder("aws-ctpl-testres");
    let o = overview(&store, &store.all_rows());
    assert!(o.bad_times >= 1, "{o:?}");
    let t = timeline(&store, &store.all_rows(), 100);
    let on_timeline: u64 = t.reads.iter().chain(&t.writes).sum();
    assert_eq!(on_timeline, o.events - o.bad_times);
}

/// The same flaws2 records in every shape the loader accepts give the same store.
#[test]
fn every_format_is_recognised_by_content() {
    let mut records = Vec::new();
    for p in log_files("flaws2") {
        records.extend(plain_records(&read(&p)).unwrap());
    }
    let n = distinct(&records);
    let doc = json!({ "Records": records }).to_string();
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let lookup = json!({"Events": records.iter().map(|r| json!({"EventId": r["eventID"], "CloudTrailEvent": r.to_string()})).collect::<Vec<_>>()}).to_string();
    let half = records.len() / 2;
    let mut multi = gzip(json!({"Records": records[..half]}).to_string().as_bytes());
    multi.extend(gzip(
        json!({"Records": records[half..]}).to_string().as_bytes(),
    ));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(doc.as_bytes());
    let pretty = serde_json::to_string_pretty(&json!({ "Records": records })).unwrap();
    let cases: Vec<(&str, Vec<u8>, Format)> = vec![
        ("Records", doc.clone().into_bytes(), Format::Records),
        ("Records, gzip", gzip(doc.as_bytes()), Format::Records),
        ("Records, pretty", pretty.into_bytes(), Format::Records),
        (
            "bare array",
            Value::Array(records.clone()).to_string().into_bytes(),
            Format::Array,
        ),
        ("JSON Lines", lines.clone().into_bytes(), Format::Objects),
        ("JSON Lines, gzip", gzip(lines.as_bytes()), Format::Objects),
        ("LookupEvents", lookup.into_bytes(), Format::LookupEvents),
        ("multi-member gzip", multi, Format::Records),
        ("UTF-8 BOM", bom, Format::Records),
    ];
    for (what, bytes, format) in cases {
        let mut store = Store::new();
        let r = ingest_bytes(0, what, &bytes, &mut store);
        assert_eq!(
            (store.len(), r.format),
            (n, format),
            "{what}: {:?}",
            r.problems
        );
        assert!(r.problems.is_empty(), "{what}: {:?}", r.problems);
    }
    let mut store = Store::new();
    let single = ingest_bytes(0, "one", records[0].to_string().as_bytes(), &mut store);
    assert_eq!((store.len(), single.format), (1, Format::Objects));
}

#[test]
fn loading_again_never_double_counts() {
    let mut store = Store::new();
    let files = log_files("flaws2");
    for (i, p) in files.iter().chain(files.iter().take(3)).enumerate() {
        ingest_bytes(i as u32, &p.display().to_string(), &read(p), &mut store);
    }
    assert_eq!(store.len(), 37);
}

#[test]
fn truncated_gzip_keeps_what_came_before() {
    let doc = std::fs::read(log_files("stratus-detonation-logs")[0].clone()).unwrap();
    let all = plain_records(&doc).unwrap().len();
    let gz = gzip(&doc);
    let mut store = Store::new();
    let r = ingest_bytes(0, "cut.json.gz", &gz[..gz.len() * 2 / 3], &mut store);
    assert!(
        r.problems
            .iter()
            .any(|p| p.kind == ProblemKind::GzipTruncated),
        "{:?}",
        r.problems
    );
    assert!(r.problems[0].to_string().contains("cut.json.gz"));
    assert!(
        !store.is_empty() && store.len() < all,
        "{} of {all}",
        store.len()
    );
}

#[test]
fn attribution_on_real_samples() {
    let labels = |folder: &str| -> HashMap<String, String> {
        let (store, _) = load_folder(folder);
        store
            .actors
            .iter()
            .map(|a| (a.kind_name.clone() + ":" + &a.label, a.key.clone()))
            .collect()
    };
    let flaws = labels("flaws2");
    assert!(flaws.contains_key("AWSAccount:anonymous"), "{flaws:?}");
    let ts = labels("trailscraper-tests");
    let kinds: HashSet<&str> = ts.keys().map(|k| k.split(':').next().unwrap()).collect();
    for k in ["AssumedRole", "AWSService", "Root"] {
        assert!(kinds.contains(k), "{k} missing in {ts:?}");
    }
    assert!(ts.keys().any(|k| k.starts_with("Root:root (")), "{ts:?}");
    let docs = labels("awsdocs-examples");
    assert!(
        docs.keys()
            .any(|k| k.starts_with("(none):CloudTrail Insights")),
        "{docs:?}"
    );
}

/// Aggregations on generated data equal counts made with a plain JSON reader.
#[test]
fn aggregation_counts_on_generated_data() {
    let cfg = DemoConfig {
        events: 5000,
        seed: 3,
        ..DemoConfig::default()
    };
    let mut store = Store::new();
    let mut records = Vec::new();
    for (i, f) in generate(cfg).enumerate() {
        let gz = gzip(&f.json);
        let r = ingest_bytes(i as u32, &f.path, &gz, &mut store);
        assert!(r.problems.is_empty());
        records.extend(plain_records(&f.json).unwrap());
    }
    let o = overview(&store, &store.all_rows());
    assert_eq!(o.events as usize, records.len());
    let mut per_service: HashMap<String, u64> = HashMap::new();
    let mut errors = 0;
    let mut regions = HashSet::new();
    for r in &records {
        *per_service
            .entry(r["eventSource"].as_str().unwrap().to_owned())
            .or_default() += 1;
        errors += u64::from(r.get("errorCode").is_some());
        regions.insert(r["awsRegion"].as_str().unwrap().to_owned());
    }
    assert_eq!(o.errors, errors);
    assert_eq!(o.regions as usize, regions.len());
    let rows = by_service(&store, &store.all_rows());
    assert_eq!(rows.len(), per_service.len());
    for row in rows {
        assert_eq!(Some(&row.count), per_service.get(&row.key), "{}", row.key);
    }
    let actors = by_actor(&store, &store.all_rows());
    assert_eq!(actors.iter().map(|r| r.count).sum::<u64>(), o.events);
    let t = timeline(&store, &store.all_rows(), 96);
    assert!(t.reads.len() <= 96);
    assert_eq!(t.reads.iter().chain(&t.writes).sum::<u64>(), o.events);
}

/// The core must stay free of browser crates so it runs natively and in workers.
#[test]
fn core_imports_no_browser_crate() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    for file in files_under(&core) {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["leptos", "web_sys", "js_sys", "gloo", "wasm_bindgen"] {
            assert!(
                !text.contains(forbidden),
                "{} mentions {forbidden}",
                file.display()
            );
        }
    }
}

// ---- Role chains: temporary keys traced to the call that issued them (core::chain) ----

/// Builds the chain index the way the page does: issuing rows found from columns, their
/// records re-read from the files by origin.
fn chain_index_for(folder: &str) -> (Store, trailglass::core::chain::ChainIndex) {
    use trailglass::core::chain::{issuing_rows, ChainIndex};
    let files = log_files(folder);
    let (store, _) = load_folder(folder);
    let mut index = ChainIndex::new();
    let rows = issuing_rows(&store);
    for (n, path) in files.iter().enumerate() {
        let origins: Vec<_> = rows
            .iter()
            .filter(|&&r| store.origin[r as usize].file == n as u32)
            .map(|&r| (r, store.origin[r as usize]))
            .collect();
        if origins.is_empty() {
            continue;
        }
        let (records, bad) = trailglass::core::export::records_of_file(&read(path), &origins);
        assert!(bad.is_empty(), "{bad:?}");
        for (row, record) in records {
            index.add(row, &record);
        }
    }
    (store, index)
}

/// Keys resolved in the real samples equal a plain-JSON computation: temporary keys used,
/// keys whose issuing call is loaded, and keys whose whole chain reaches an origin.
#[test]
fn role_chains_on_real_samples() {
    use trailglass::core::chain::coverage;
    let issuing = [
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "GetFederationToken",
        "GetSessionToken",
    ];
    let mut totals = (0, 0, 0);
    for folder in [
        "stratus-detonation-logs",
        "panther-cloudtrail",
        "flaws2",
        "trailscraper-tests",
    ] {
        // Plain JSON: every record of the folder, de-duplicated by eventID.
        let mut records: HashMap<String, Value> = HashMap::new();
        for p in log_files(folder) {
            for r in plain_records(&read(&p)).unwrap_or_default() {
                let id = match r.get("eventID").and_then(Value::as_str) {
                    Some(id) if !id.is_empty() => id.to_owned(),
                    _ => r.to_string(),
                };
                records.entry(id).or_insert(r);
            }
        }
        let key_of = |r: &Value| {
            r.pointer("/userIdentity/accessKeyId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let mut issued: HashMap<String, &Value> = HashMap::new();
        for r in records.values() {
            let name = r.get("eventName").and_then(Value::as_str).unwrap_or("");
            let failed = r.get("errorCode").is_some_and(|c| !c.is_null());
            let k = r
                .pointer("/responseElements/credentials/accessKeyId")
                .and_then(Value::as_str)
                .unwrap_or("");
            if issuing.contains(&name) && !failed && k.starts_with("ASIA") {
                issued.entry(k.to_owned()).or_insert(r);
            }
        }
        // Each used temporary key with the identity type of a record that used it.
        let mut used: HashMap<String, String> = HashMap::new();
        for r in records.values() {
            let k = key_of(r);
            if k.starts_with("ASIA") {
                let t = r
                    .pointer("/userIdentity/type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                used.entry(k).or_insert(t);
            }
        }
        let is_session = |t: &str| t == "AssumedRole" || t == "FederatedUser";
        let complete = |start: &str, start_type: &str| -> bool {
            let (mut k, mut t) = (start.to_owned(), start_type.to_owned());
            let mut seen = HashSet::new();
            loop {
                if !k.starts_with("ASIA") {
                    return !is_session(&t);
                }
                if !seen.insert(k.clone()) || seen.len() > 16 {
                    return false;
                }
                match issued.get(&k) {
                    None => return !is_session(&t),
                    Some(r) => {
                        k = key_of(r);
                        t = r
                            .pointer("/userIdentity/type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                    }
                }
            }
        };
        let expected_issued = used.keys().filter(|k| issued.contains_key(*k)).count();
        let expected_complete = used.iter().filter(|(k, t)| complete(k, t)).count();

        let (store, index) = chain_index_for(folder);
        let c = coverage(&store, &index);
        assert_eq!(c.temporary_keys, used.len(), "{folder}");
        assert_eq!(c.issued_here, expected_issued, "{folder}");
        assert_eq!(c.complete, expected_complete, "{folder}");
        totals.0 += c.temporary_keys;
        totals.1 += c.issued_here;
        totals.2 += c.complete;
    }
    println!("temporary keys, issued here, complete: {totals:?}");
    // The Stratus logs hold real AssumeRole and GetFederationToken calls whose keys are used.
    assert!(totals.1 >= 7, "{totals:?}");
    assert!(
        totals.0 > totals.1,
        "some keys must stay unresolved: {totals:?}"
    );
}

/// In the Stratus samples, the role sessions trace back to the IAM user who assumed them.
#[test]
fn role_chain_text_on_a_real_sample() {
    use trailglass::core::chain::{resolve, IdcNames};
    let (store, index) = chain_index_for("stratus-detonation-logs");
    let path =
        fixtures().join("stratus-detonation-logs/aws.execution.ec2-launch-unusual-instances.json");
    let records = plain_records(&read(&path)).unwrap();
    let mut checked = 0;
    for issue in records.iter().filter(|r| r["eventName"] == "AssumeRole") {
        let Some(key) = issue
            .pointer("/responseElements/credentials/accessKeyId")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let Some(row) = (0..store.len()).find(|&i| {
            store.strings.get(store.access_key[i]) == key
                && store.strings.get(store.event_name[i]) != "AssumeRole"
        }) else {
            continue;
        };
        let role = issue["requestParameters"]["roleArn"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        let expected = format!(
            "{} → {role} (session {})",
            issue["userIdentity"]["userName"].as_str().unwrap(),
            issue["requestParameters"]["roleSessionName"]
                .as_str()
                .unwrap()
        );
        let chain = resolve(&store, &index, row as u32);
        assert!(chain.is_complete(), "{chain:?}");
        assert_eq!(chain.text(&store, &IdcNames::default()), expected);
        checked += 1;
    }
    assert_eq!(checked, 1);
}
