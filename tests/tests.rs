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

// ---------------------------------------------------------------------------------------
// Built-in detections, cross-checked against Panther's labelled test events and against
// logs captured while Stratus Red Team techniques ran.
// ---------------------------------------------------------------------------------------

use trailglass::core::detect::{detect_all, Settings};

/// Built-in rule → the Panther rules (RuleID) that detect the same thing.
const PANTHER_MAP: &[(&str, &[&str])] = &[
    ("root-activity", &["AWS.Root.Activity"]),
    ("root-console-login", &["AWS.Console.RootLogin"]),
    (
        "root-access-key-created",
        &["AWS.CloudTrail.RootAccessKeyCreated"],
    ),
    (
        "console-login-without-mfa",
        &["AWS.Console.LoginWithoutMFA"],
    ),
    ("console-login-failed", &["AWS.Console.RootLoginFailed"]),
    ("cloudtrail-stopped", &["AWS.CloudTrail.Stopped"]),
    (
        "cloudtrail-modified",
        &["AWS.CloudTrail.EventSelectorsDisabled"],
    ),
    (
        "security-service-disabled",
        &["AWS.ConfigService.DisabledDeleted"],
    ),
    (
        "vpc-flow-logs-deleted",
        &["AWS.VPCFlow.LogsDeleted", "AWS.CloudTrail.DNSLogsDeleted"],
    ),
    ("iam-user-created", &["AWS.IAM.CreateUser"]),
    ("access-key-for-other-user", &["AWS.IAM.Backdoor.User.Keys"]),
    (
        "login-profile-changed",
        &[
            "AWS.CloudTrail.LoginProfileCreatedOrModified",
            "AWS.User.Login.Profile.Modified",
        ],
    ),
    (
        "admin-policy-attached",
        &[
            "AWS.IAM.AttachAdminUserPolicy",
            "AWS.IAM.AttachAdminRolePolicy",
        ],
    ),
    ("assume-role-policy-changed", &["AWS.IAM.BackdoorRole"]),
    ("network-acl-changed", &["AWS.EC2.NetworkACLModified"]),
    ("route-table-changed", &["AWS.EC2.RouteTableModified"]),
    (
        "s3-public-access-block-removed",
        &["AWS.S3.DeletePublicAccessBlock"],
    ),
    (
        "snapshot-shared",
        &[
            "AWS.CloudTrail.SnapshotMadePublic",
            "AWS.CloudTrail.AMIModifiedForPublicAccess",
            "AWS.RDS.SnapshotShared",
        ],
    ),
    (
        "s3-bucket-made-public",
        &["AWS.CloudTrail.ResourceMadePublic"],
    ),
    ("bucket-deleted", &["AWS.S3.BucketDeleted"]),
    ("database-deleted", &["AWS.RDS.InstanceDeletion"]),
    (
        "kms-key-deletion-scheduled",
        &["AWS.KMS.CustomerManagedKeyLoss"],
    ),
    (
        "access-denied-burst",
        &["AWS.CloudTrail.UnauthorizedAPICall"],
    ),
    (
        "manual-console-change",
        &["AWS.EC2.ManualSecurityGroupChange"],
    ),
];

/// Disagreements kept on purpose: (built-in rule, Panther test name, why). Each is also
/// explained in docs/findings.md; the test fails if one of them starts agreeing.
const PANTHER_DELIBERATE: &[(&str, &str, &str)] = &[
    ("root-activity", "Root Activity - CreateServiceLinkedRole", "Panther allow-lists CreateServiceLinkedRole; any root call is worth a look"),
    ("root-activity", "Root Read-Only Enumeration", "Panther ignores root reads; root should not be used even to read"),
    ("console-login-without-mfa", "No MFA Login - New User", "Panther mocks an account-age lookup; a log viewer has no account age"),
    ("cloudtrail-modified", "Event Selector Enabled", "any selector change can narrow logging, so every PutEventSelectors is shown"),
    ("assume-role-policy-changed", "IAM Role Policy Updated Without Internet Access", "every trust-policy change is shown, not only Principal *"),
    ("assume-role-policy-changed", "IAM Role Policy Updated With No Policy Document", "every trust-policy change is shown, not only Principal *"),
    ("login-profile-changed", "User changed password for other reset required", "a password set for someone else is persistence even when a reset is required"),
    ("s3-bucket-made-public", "ECR Made Public", "the built-in rule covers S3 buckets only; other resource policies are left to Sigma or a later rule"),
    ("s3-bucket-made-public", "Public Finding Keywords (Should Alert)", "an Elasticsearch domain policy, not S3"),
    ("s3-bucket-made-public", "Wildcard Principal No Conditions (Should Alert)", "a KMS key policy, not S3"),
    ("s3-bucket-made-public", "Mixed Conditions Some Restrictive (Should Alert)", "an SQS queue policy, not S3"),
    ("kms-key-deletion-scheduled", "KMS Key Disabled", "disabling a key is reversible; the rule is about scheduled deletion"),
    ("manual-console-change", "Go Script Authorize Ingress", "Panther flags any security-group change not made by Terraform/CloudFormation; ours flags console changes of any kind"),
];

/// Runs the built-in rules over one log, alone in a store (burst sizes 1, since Panther's
/// tests judge one event and leave counting to its alert threshold).
fn builtin_fires(rule: &str, log: &Value) -> bool {
    let mut log = log.clone();
    if log.get("eventID").is_none() {
        log["eventID"] = json!("panther-test");
    }
    let doc = serde_json::to_vec(&json!({ "Records": [log.clone()] })).unwrap();
    let mut store = Store::new();
    ingest_bytes(0, "panther", &doc, &mut store);
    assert_eq!(store.len(), 1, "{log}");
    let settings = Settings {
        failed_login_burst: 1,
        access_denied_burst: 1,
        ..Settings::default()
    };
    detect_all(&store, &[log], &settings)
        .iter()
        .any(|f| f.rule == rule)
}

#[test]
fn builtin_rules_agree_with_panthers_labelled_tests() {
    let path = fixtures().join("panther-cloudtrail/DERIVED_panther_cloudtrail_rule_tests.json");
    let tests: Vec<Value> = serde_json::from_slice(&read(&path)).unwrap();
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/findings.md"))
            .unwrap();
    let (mut total, mut agreed) = (0usize, 0usize);
    let mut unexplained = Vec::new();
    let mut deliberate_seen = HashSet::new();
    for (rule, panther_ids) in PANTHER_MAP {
        let (mut n, mut ok) = (0usize, 0usize);
        for t in tests
            .iter()
            .filter(|t| panther_ids.contains(&t["RuleID"].as_str().unwrap_or("")))
        {
            let expected = t["ExpectedResult"].as_bool().unwrap();
            let name = t["Name"].as_str().unwrap();
            let got = builtin_fires(rule, &t["Log"]);
            n += 1;
            if got == expected {
                ok += 1;
                assert!(
                    !PANTHER_DELIBERATE
                        .iter()
                        .any(|(r, t, _)| r == rule && *t == name),
                    "{rule}: '{name}' is listed as a deliberate difference but now agrees"
                );
            } else if PANTHER_DELIBERATE
                .iter()
                .any(|(r, t, _)| r == rule && *t == name)
            {
                deliberate_seen.insert((*rule, name.to_owned()));
            } else {
                unexplained.push(format!(
                    "{rule} vs {}: '{name}' expected {expected}, got {got}",
                    t["RuleID"]
                ));
            }
        }
        assert!(n > 0, "{rule}: no Panther tests found for {panther_ids:?}");
        eprintln!("{rule}: {ok}/{n} agree");
        total += n;
        agreed += ok;
    }
    eprintln!("overall: {agreed}/{total} agree");
    assert!(
        unexplained.is_empty(),
        "unexplained disagreements:\n{}",
        unexplained.join("\n")
    );
    for (rule, name, _) in PANTHER_DELIBERATE {
        assert!(
            deliberate_seen.contains(&(*rule, (*name).to_owned())),
            "{rule}: deliberate difference '{name}' not met in the Panther tests"
        );
        assert!(
            docs.contains(name),
            "docs/findings.md does not explain '{name}'"
        );
    }
    // The mapping in the docs must cover every mapped rule.
    for (rule, ids) in PANTHER_MAP {
        assert!(docs.contains(rule), "docs/findings.md lacks {rule}");
        for id in *ids {
            assert!(docs.contains(id), "docs/findings.md lacks {id}");
        }
    }
}

/// Stratus Red Team technique → the built-in rules its real detonation log must fire.
const STRATUS_EXPECT: &[(&str, &[&str])] = &[
    (
        "aws.credential-access.ec2-get-password-data",
        &["access-denied-burst"],
    ),
    (
        "aws.defense-evasion.cloudtrail-delete",
        &["cloudtrail-stopped"],
    ),
    (
        "aws.defense-evasion.cloudtrail-stop",
        &["cloudtrail-stopped"],
    ),
    (
        "aws.defense-evasion.cloudtrail-event-selectors",
        &["cloudtrail-modified"],
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs",
        &["vpc-flow-logs-deleted"],
    ),
    (
        "aws.defense-evasion.dns-delete-logs",
        &["vpc-flow-logs-deleted"],
    ),
    (
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        &["security-group-open-to-world"],
    ),
    ("aws.exfiltration.ec2-share-ami", &["snapshot-shared"]),
    (
        "aws.exfiltration.ec2-share-ebs-snapshot",
        &["snapshot-shared"],
    ),
    ("aws.exfiltration.rds-share-snapshot", &["snapshot-shared"]),
    (
        "aws.initial-access.console-login-without-mfa",
        &["console-login-without-mfa"],
    ),
    (
        "aws.persistence.iam-backdoor-role",
        &["assume-role-policy-changed"],
    ),
    (
        "aws.persistence.iam-backdoor-user",
        &["access-key-for-other-user"],
    ),
    (
        "aws.persistence.iam-create-admin-user",
        &[
            "iam-user-created",
            "admin-policy-attached",
            "access-key-for-other-user",
        ],
    ),
    (
        "aws.persistence.iam-create-backdoor-role",
        &["admin-policy-attached"],
    ),
    (
        "aws.persistence.iam-create-user-login-profile",
        &["login-profile-changed"],
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile",
        &["login-profile-changed"],
    ),
];

#[test]
fn builtin_rules_fire_on_stratus_detonations() {
    let mut seen = 0;
    for path in log_files("stratus-detonation-logs") {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = read(&path);
        let records = plain_records(&bytes).unwrap();
        let mut store = Store::new();
        ingest_bytes(0, &stem, &bytes, &mut store);
        assert_eq!(store.len(), distinct(&records), "{stem}");
        let fired: Vec<String> = detect_all(&store, &records, &Settings::default())
            .into_iter()
            .map(|f| f.rule)
            .collect();
        match STRATUS_EXPECT.iter().find(|(s, _)| *s == stem) {
            Some((_, want)) => {
                seen += 1;
                for rule in *want {
                    assert!(
                        fired.iter().any(|f| f == rule),
                        "{stem}: {rule} did not fire; fired {fired:?}"
                    );
                }
            }
            // Techniques no built-in rule covers (secret reads, SSM, Lambda backdoors...)
            // must not raise the alarms that are about other things.
            None => {
                for loud in [
                    "cloudtrail-stopped",
                    "root-console-login",
                    "admin-policy-attached",
                ] {
                    assert!(
                        !fired.iter().any(|f| f == loud),
                        "{stem}: unexpected {loud}"
                    );
                }
            }
        }
    }
    assert_eq!(seen, STRATUS_EXPECT.len());
}

#[test]
fn demo_incident_fires_a_spread_of_rules() {
    let mut store = Store::new();
    let mut records = Vec::new();
    for (i, f) in generate(DemoConfig::default()).enumerate() {
        ingest_bytes(i as u32, &f.path, &f.json, &mut store);
        let doc: Value = serde_json::from_slice(&f.json).unwrap();
        records.extend(doc["Records"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(store.len(), records.len());
    let findings = detect_all(&store, &records, &Settings::default());
    for f in &findings {
        eprintln!(
            "{} {} {} {:?}",
            f.rule,
            f.severity.as_str(),
            f.rows.len(),
            f.actors
        );
    }
    // Phase 1 only narrows the work: every record gives the same findings.
    let everything: Vec<(u32, Value)> = records
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, r)| (i as u32, r))
        .collect();
    assert_eq!(
        trailglass::core::detect::run(&store, &everything, &Settings::default()),
        findings
    );
    // Workers hand the records back a file at a time, in whatever order they finish:
    // any order and any slicing gives the same findings.
    let mut backwards = everything.clone();
    backwards.reverse();
    let mut detector = trailglass::core::detect::Detector::new(&store, &Settings::default());
    for piece in backwards.chunks(97) {
        detector.feed(&store, piece);
    }
    assert_eq!(detector.finish(&store), findings);
    let rules: HashSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    let severities: HashSet<&str> = findings.iter().map(|f| f.severity.as_str()).collect();
    assert!(rules.len() >= 12, "{rules:?}");
    assert!(severities.len() >= 3, "{severities:?}");
}

// ---------------------------------------------------------------------------------------
// Sigma rules (src/core/sigma.rs) over the SigmaHQ CloudTrail rules and real records
// ---------------------------------------------------------------------------------------

use trailglass::core::sigma::{parse_rules, RuleSet, SigmaRule};

fn sigma_dir(sub: &str) -> Vec<PathBuf> {
    files_under(&fixtures().join("sigma-cloudtrail").join(sub))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect()
}

fn fixture_sigma_rules() -> Vec<SigmaRule> {
    let mut rules = Vec::new();
    for path in sigma_dir("rules") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (mut parsed, errors) = parse_rules(&text, &path.display().to_string());
        assert!(errors.is_empty(), "{errors:?}");
        rules.append(&mut parsed);
    }
    rules
}

/// Every record in the fixture folders that hold logs (plain reader, duplicates kept).
/// The fixture folders of CloudTrail log files (Panther's labelled records aside).
const LOG_FOLDERS: [&str; 7] = [
    "flaws2",
    "stratus-detonation-logs",
    "trailscraper-tests",
    "awsdocs-examples",
    "plaso-testdata",
    "aws-ctpl-testres",
    "cloudtrail2sightings/unzipped",
];

fn all_fixture_records() -> Vec<Value> {
    let mut records = Vec::new();
    for folder in LOG_FOLDERS {
        for path in log_files(folder) {
            records.extend(plain_records(&read(&path)).unwrap_or_default());
        }
    }
    let panther = fixtures().join("panther-cloudtrail/DERIVED_panther_test_logs_as_Records.json");
    records.extend(plain_records(&read(&panther)).unwrap());
    records
}

fn sigma_rule(file: &str) -> SigmaRule {
    let path = fixtures().join("sigma-cloudtrail/rules").join(file);
    let (mut rules, errors) = parse_rules(&std::fs::read_to_string(path).unwrap(), file);
    assert!(errors.is_empty() && rules.len() == 1, "{errors:?}");
    rules.remove(0)
}

/// A field by dotted path, the plain way (no arrays: the rules checked below need none).
fn field<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(record, |v, k| v.get(k))
}

fn field_is(record: &Value, path: &str, want: &str) -> bool {
    field(record, path)
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(want))
}

/// Whether any string nested anywhere in `v` contains `needle` (ASCII, any case).
fn nested_text_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase()),
        Value::Array(a) => a.iter().any(|x| nested_text_contains(x, needle)),
        Value::Object(o) => o.values().any(|x| nested_text_contains(x, needle)),
        _ => false,
    }
}

/// Every rule in `rules/` parses, with the id and title its YAML gives.
#[test]
fn sigma_every_fixture_rule_parses() {
    let paths = sigma_dir("rules");
    assert!(paths.len() >= 50, "{} rule files", paths.len());
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let (rules, errors) = parse_rules(&text, &path.display().to_string());
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert_eq!(rules.len(), 1, "{}", path.display());
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(Some(rules[0].id.as_str()), yaml["id"].as_str());
        assert_eq!(Some(rules[0].title.as_str()), yaml["title"].as_str());
        let level = yaml["level"].as_str().unwrap_or("medium");
        assert_eq!(rules[0].level, level);
    }
    // The same rules pasted as one multi-document text.
    let joined: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let (rules, errors) = parse_rules(&joined.join("\n---\n"), "pasted");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rules.len(), paths.len());
}

/// Rules upstream cannot convert are reported, naming what this engine does not support.
#[test]
fn sigma_unsupported_rules_name_the_construct() {
    let mut paths = sigma_dir("unsupported");
    paths.extend(sigma_dir("rules-placeholder"));
    assert!(paths.len() >= 8);
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let (rules, errors) = parse_rules(&text, "f.yml");
        assert!(rules.is_empty(), "{}", path.display());
        assert_eq!(errors.len(), 1, "{}", path.display());
        let reason = &errors[0].reason;
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let condition = yaml["detection"]["condition"].as_str().unwrap();
        let mut named = 0;
        if condition.contains("count(") {
            assert!(reason.contains("count("), "{}: {reason}", path.display());
            named += 1;
        }
        if condition.split_whitespace().any(|w| w == "near") {
            assert!(reason.contains("'near'"), "{}: {reason}", path.display());
            named += 1;
        }
        if yaml["detection"].get("timeframe").is_some() {
            assert!(
                reason.contains("'timeframe'"),
                "{}: {reason}",
                path.display()
            );
            named += 1;
        }
        if text.contains("|expand") {
            assert!(reason.contains("'expand'"), "{}: {reason}", path.display());
            named += 1;
        }
        assert!(
            named > 0,
            "{}: nothing expected to be named",
            path.display()
        );
        assert!(reason.contains("not supported"), "{reason}");
        assert_eq!(errors[0].title, yaml["title"].as_str().unwrap());
    }
}

/// Match sets of a few rules over every fixture record equal a plain serde_json reading of
/// what each rule says.
#[test]
fn sigma_matches_on_real_records_agree_with_plain_json() {
    let records = all_fixture_records();
    assert!(records.len() > 800);
    type Plain = fn(&Value) -> bool;
    let cases: [(&str, Plain, bool); 7] = [
        (
            "aws_cloudtrail_disable_logging.yml",
            |r| {
                field_is(r, "eventSource", "cloudtrail.amazonaws.com")
                    && ["StopLogging", "UpdateTrail", "DeleteTrail"]
                        .iter()
                        .any(|n| field_is(r, "eventName", n))
            },
            true,
        ),
        (
            // The rule writes `MFAUsed: 'NO'`; logs say `No`: Sigma compares without case.
            "aws_cloudtrail_console_login_success_without_mfa.yml",
            |r| {
                field_is(r, "eventName", "ConsoleLogin")
                    && field_is(r, "additionalEventData.MFAUsed", "no")
                    && field_is(r, "responseElements.ConsoleLogin", "success")
            },
            true,
        ),
        (
            "aws_root_account_usage.yml",
            |r| {
                field_is(r, "userIdentity.type", "Root")
                    && !field_is(r, "eventType", "AwsServiceEvent")
            },
            true,
        ),
        (
            "aws_sts_assumerole_misuse.yml",
            |r| {
                field_is(r, "userIdentity.type", "AssumedRole")
                    && field_is(r, "userIdentity.sessionContext.sessionIssuer.type", "Role")
            },
            true,
        ),
        (
            "aws_disable_bucket_versioning.yml",
            |r| {
                field_is(r, "eventSource", "s3.amazonaws.com")
                    && field_is(r, "eventName", "PutBucketVersioning")
                    && r.get("requestParameters")
                        .is_some_and(|p| nested_text_contains(p, "Suspended"))
            },
            true,
        ),
        (
            // `errorCode: null` means missing or JSON null; "" is neither.
            "aws_cloudtrail_ssm_malicious_usage.yml",
            |r| {
                field_is(r, "eventName", "SendCommand")
                    && field_is(r, "eventSource", "ssm.amazonaws.com")
                    && (field(r, "errorCode").is_none_or(Value::is_null)
                        || field_is(r, "errorCode", "Success"))
            },
            true,
        ),
        (
            "aws_cloudtrail_bucket_deleted.yml",
            |r| {
                field_is(r, "eventName", "DeleteBucket")
                    && (field(r, "errorCode").is_none_or(Value::is_null)
                        || field_is(r, "errorCode", "Success"))
            },
            false,
        ),
    ];
    for (file, plain, expect_some) in cases {
        let rule = sigma_rule(file);
        let got: Vec<usize> = (0..records.len())
            .filter(|i| rule.matches(&records[*i]))
            .collect();
        let want: Vec<usize> = (0..records.len()).filter(|i| plain(&records[*i])).collect();
        assert_eq!(got, want, "{file}");
        assert_eq!(
            !want.is_empty(),
            expect_some,
            "{file}: {} matches",
            want.len()
        );
    }
    // The bucket-deletion rule's one candidate has `errorCode: ""`, so it must not fire.
    assert!(records
        .iter()
        .any(|r| field_is(r, "eventName", "DeleteBucket") && field_is(r, "errorCode", "")));
}

/// The eventName index returns exactly what trying every rule returns, on every record.
#[test]
fn sigma_rule_set_equals_trying_every_rule() {
    let records = all_fixture_records();
    let rules = fixture_sigma_rules();
    let set = RuleSet::new(rules.clone());
    let mut fired = 0;
    for record in &records {
        let brute: Vec<usize> = (0..rules.len())
            .filter(|i| rules[*i].matches(record))
            .collect();
        fired += brute.len();
        assert_eq!(set.matching(record), brute, "{record}");
    }
    assert!(fired > 300, "{fired}");
    // Rules without an eventName test (root usage, AssumeRole misuse) force a full read.
    assert_eq!(set.event_names(), None);
    // Only eventName-constrained rules: every record that fires has a listed name.
    let constrained: Vec<SigmaRule> = rules
        .into_iter()
        .filter(|r| RuleSet::new(vec![r.clone()]).event_names().is_some())
        .collect();
    assert!(constrained.len() > 40, "{}", constrained.len());
    let set = RuleSet::new(constrained);
    let names = set.event_names().unwrap();
    assert!(names.contains("stoplogging") && names.contains("consolelogin"));
    let mut hits = 0;
    for record in &records {
        if !set.matching(record).is_empty() {
            hits += 1;
            let name = record["eventName"].as_str().unwrap().to_lowercase();
            assert!(names.contains(&name), "{name}");
        }
    }
    assert!(hits > 50, "{hits}");
}

// ---- Role chains: temporary keys traced to the call that issued them (core::chain) ----

/// The issuing records of a folder as the page gets them back (row, record): issuing rows
/// found from columns, their records re-read from the files by origin.
fn issuing_records(folder: &str) -> (Store, Vec<(u32, Value)>) {
    use trailglass::core::chain::issuing_rows;
    let files = log_files(folder);
    let (store, _) = load_folder(folder);
    let rows = issuing_rows(&store);
    let mut all = Vec::new();
    for (n, path) in files.iter().enumerate() {
        let origins: Vec<_> = rows
            .iter()
            .filter(|&&r| store.origin[r as usize].file == n as u32)
            .map(|&r| (r, store.origin[r as usize]))
            .collect();
        let (records, bad) = trailglass::core::export::records_of_file(&read(path), &origins);
        assert!(bad.is_empty(), "{bad:?}");
        all.extend(records);
    }
    (store, all)
}

#[test]
fn chain_index_is_the_same_whatever_order_records_come_in() {
    use trailglass::core::chain::ChainIndex;
    let mut copied = 0;
    for folder in LOG_FOLDERS {
        let (_, mut records) = issuing_records(folder);
        // The same key issued twice (a copy of a record that issued one, under a later
        // row): the first row in the data wins, in either order.
        let issued = records.iter().find(|(_, r)| {
            r["errorCode"].is_null()
                && r["responseElements"]["credentials"]["accessKeyId"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("ASIA"))
        });
        if let Some((row, record)) = issued.cloned() {
            records.push((row + 1_000_000, record));
            copied += 1;
        }
        let mut forward = ChainIndex::new();
        for (row, record) in &records {
            forward.add(*row, record);
        }
        let mut backward = ChainIndex::new();
        for (row, record) in records.iter().rev() {
            backward.add(*row, record);
        }
        assert_eq!(forward, backward, "{folder}");
    }
    assert!(copied > 0, "no fixture folder has an issued key to copy");
}

/// Builds the chain index the way the page does, from the issuing records.
fn chain_index_for(folder: &str) -> (Store, trailglass::core::chain::ChainIndex) {
    let (store, records) = issuing_records(folder);
    let mut index = trailglass::core::chain::ChainIndex::new();
    for (row, record) in &records {
        index.add(*row, record);
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

/// The fuzz target's hand-written seeds are what they claim: two parse cleanly (three rules),
/// the others fail with the constructs named.
#[test]
fn sigma_fuzz_seeds_parse_as_intended() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/sigma");
    let parse = |name: &str| {
        let text = std::fs::read_to_string(seeds.join(name)).unwrap();
        parse_rules(&text, name)
    };
    for (name, rules) in [("modifiers.yml", 1), ("keywords.yml", 2)] {
        let (parsed, errors) = parse(name);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert_eq!(parsed.len(), rules, "{name}");
    }
    let (parsed, errors) = parse("unsupported.yml");
    assert!(parsed.is_empty());
    let reasons: Vec<String> = errors.iter().map(|e| e.reason.clone()).collect();
    assert!(reasons[0].contains("'base64offset'") && reasons[0].contains("'timeframe'"));
    assert!(reasons[0].contains("count() by userName"), "{reasons:?}");
    assert!(reasons[1].contains("'near'"), "{reasons:?}");
    let (parsed, errors) = parse("broken.yml");
    assert!(parsed.is_empty() && errors.len() == 1, "{errors:?}");
}

use trailglass::core::fields::{flatten, record_matches, RawPrefilter};

/// Needles a user could type that a record holds: pieces of its values and keys, dotted
/// path fragments, and field = value pairs.
type Search = (Vec<(String, String)>, Option<String>);

fn needles_of(record: &Value) -> Vec<Search> {
    let mut out = Vec::new();
    let mut n = 0usize;
    flatten(record, &mut |path, value| {
        n += 1;
        let chars: Vec<char> = value.chars().collect();
        if !chars.is_empty() {
            // The whole value, and a slice from its middle.
            out.push((vec![], Some(value.to_uppercase())));
            let from = chars.len() / 3;
            let to = (from + 7).min(chars.len());
            out.push((vec![], Some(chars[from..to].iter().collect())));
            let last = path
                .rsplit('.')
                .find(|s| s.parse::<usize>().is_err())
                .unwrap_or(path);
            out.push((vec![(last.to_owned(), value.to_owned())], None));
        }
        if n % 3 == 0 {
            out.push((vec![(path.to_owned(), value.to_owned())], None));
            // A dotted fragment of the path (across an array index where there is one).
            let segs: Vec<&str> = path.split('.').collect();
            if segs.len() >= 2 {
                let tail = segs[segs.len() - 2..].join(".");
                out.push((vec![], Some(tail[tail.len() / 2..].to_owned())));
            }
            if let Some(key) = segs.iter().rev().find(|s| s.parse::<usize>().is_err()) {
                out.push((vec![], Some(key[key.len() / 2..].to_owned())));
            }
        }
    });
    out
}

/// The search shortcut (the check on a record's raw bytes before it is parsed) never hides
/// a record the full check matches, on every real sample and on records made to be awkward
/// (escapes, double-encoded lookup-events output, Unicode that lower-cases to ASCII,
/// numeric keys, raw control characters); and it rules out the records that lack a needle.
#[test]
fn search_shortcuts_never_hide_a_match() {
    let mut files: Vec<(String, Vec<u8>)> = LOG_FOLDERS
        .iter()
        .chain(&["panther-cloudtrail"])
        .flat_map(|f| log_files(f))
        .map(|p| (p.display().to_string(), gunzip_if_needed(&read(&p))))
        .collect();
    let awkward = json!({"eventName": "Put\"Quoted\"", "userAgent": "C:\\tools\\aws.exe",
        "requestParameters": {"policy": "{\"Statement\":[{\"Effect\":\"Allow\"}]}",
            "temp": "212\u{212A}", "city": "İstanbul MÜNCHEN", "5xx": {"0a": [[1, "10.0.0.1"]]}},
        "sourceIPAddress": "10.1.2.3"});
    files.push((
        "awkward.json".into(),
        json!({"Records": [awkward]}).to_string().into_bytes(),
    ));
    let lookup = json!({"Events": [{"EventId": "x", "CloudTrailEvent": awkward.to_string()}]});
    files.push(("lookup.json".into(), lookup.to_string().into_bytes()));
    let (mut checked, mut records_checked, mut ruled_out) = (0, 0, 0);
    let (mut files_checked, mut files_ruled_out) = (0, 0);
    for (name, bytes) in &files {
        let mut store = Store::new();
        ingest_bytes(0, name, bytes, &mut store);
        if store.is_empty() {
            continue;
        }
        // The file's n-gram sketch rules the file out only for needles it lacks.
        let sketch = trailglass::core::sketch::FileSketch::of(bytes);
        let file_holds = |text: &str| {
            let t = text.to_ascii_lowercase();
            String::from_utf8_lossy(bytes)
                .to_ascii_lowercase()
                .contains(&t)
        };
        for absent in [
            "i-0f9e8d7c6b5a49382",
            "198.51.100.254",
            "AKIAZZZZ9999QQQQ0000",
        ] {
            let p = RawPrefilter::new(&[], Some(absent)).unwrap();
            if sketch.plain && !file_holds(absent) {
                files_checked += 1;
                files_ruled_out += usize::from(p.rules_out_file(&sketch));
            }
        }
        let origins: Vec<_> = (0..store.len() as u32)
            .map(|r| (r, store.origin[r as usize]))
            .collect();
        let (records, errors) = trailglass::core::export::records_of_file(bytes, &origins);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        for (row, record) in &records {
            let o = store.origin[*row as usize];
            let raw = &bytes[o.offset as usize..o.offset as usize + o.len as usize];
            for (fields, text) in needles_of(record) {
                let text = text.as_deref();
                assert!(
                    record_matches(record, &fields, text),
                    "{name}: {fields:?} {text:?}"
                );
                let Some(p) = RawPrefilter::new(&fields, text) else {
                    continue;
                };
                assert!(
                    p.may_match(raw),
                    "{name} row {row}: raw check hid {fields:?} {text:?}"
                );
                assert!(
                    !p.rules_out_file(&sketch),
                    "{name} row {row}: the file's sketch hid {fields:?} {text:?}"
                );
                checked += 1;
            }
            // An IP address and an ID the record lacks rule it out, unless it has
            // characters the raw check passes on.
            let plain = raw.is_ascii() && !raw.contains(&b'\\');
            for absent in ["i-0f9e8d7c6b5a49382", "198.51.100.254"] {
                if plain && !record_matches(record, &[], Some(absent)) {
                    records_checked += 1;
                    let p = RawPrefilter::new(&[], Some(absent)).unwrap();
                    ruled_out += usize::from(!p.may_match(raw));
                }
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
    // The sample files are small: their sketches rule out nearly every needle they lack.
    assert!(files_checked > 30, "{files_checked}");
    assert!(
        files_ruled_out * 100 >= files_checked * 90,
        "{files_ruled_out} of {files_checked}"
    );
    // (The few kept have keys like "userIdentity1" holding objects: a path such as
    // `userIdentity1.0...` could hold an address made of its numbers.)
    assert!(records_checked > 1000, "{records_checked}");
    assert!(
        ruled_out * 100 >= records_checked * 97,
        "{ruled_out} of {records_checked}"
    );
    // The awkward record's own needles.
    for text in [
        "put\"quoted\"",
        "c:\\tools",
        "\"effect\":\"allow\"",
        "212k",
        "stanbul m",
        "10.0.0.1",
        "5xx.0a.0.1",
    ] {
        assert!(record_matches(&awkward, &[], Some(text)), "{text}");
    }
    // A number is not found in an array index, and an IP address is not ruled in by the
    // numbers of a path without two indices in a row.
    let indexed = json!({"items": vec!["x"; 13]});
    assert!(!record_matches(&indexed, &[], Some("12")));
    assert!(record_matches(&indexed, &[], Some("items.12")));
    let p = RawPrefilter::new(&[], Some("10.0.0.1")).unwrap();
    assert!(!p.may_match(br#"{"a":[{"b":"10.0.0.2"}],"c":"1.0"}"#));
    assert!(p.may_match(br#"{"a":[[{"b":1}]],"x10":{"0":2}}"#));
    // Regression: a path into an array that is not its array's first element.
    let nested = json!({"a": [1, [2]]});
    assert!(record_matches(&nested, &[], Some("a.1.0")));
    let p = RawPrefilter::new(&[], Some("a.1.0")).unwrap();
    assert!(p.may_match(nested.to_string().as_bytes()));
}

/// The whole-file side of the search shortcut (each file lower-cased once, and a file that
/// holds none of the needles skipped whole) finds exactly the records a full re-read and
/// check finds, on every real sample (gzip'd ones as loaded), generated files and records
/// made to be awkward; and it does skip whole files that lack an IP address or an ID.
#[test]
fn file_scan_finds_what_a_full_check_finds() {
    use trailglass::core::export::{records_of_file, records_of_file_where};
    let mut files: Vec<(String, Vec<u8>)> = LOG_FOLDERS
        .iter()
        .chain(&["panther-cloudtrail"])
        .flat_map(|f| log_files(f))
        .map(|p| (p.display().to_string(), read(&p)))
        .collect();
    let generated: Vec<(String, Vec<u8>)> = generate(DemoConfig {
        events: 3000,
        ..DemoConfig::default()
    })
    .map(|f| (f.path, gzip(&f.json)))
    .collect();
    files.extend(generated.iter().cloned());
    let awkward = json!({"Records": [
        {"eventName": "Put\"Quoted\"", "eventID": "a1", "userAgent": "C:\\tools\\aws.exe"},
        {"eventName": "Plain", "eventID": "a2", "requestParameters": {"5xx": {"0a": [[1, "10.0.0.1"]]}}},
        {"eventName": "Caf\u{e9}", "eventID": "a3", "sourceIPAddress": "10.0.0.1"}]});
    files.push(("awkward.json".into(), awkward.to_string().into_bytes()));
    let absent = ["198.51.100.254", "i-0f9e8d7c6b5a49382", "NotHereAtAll"];
    let (mut compared, mut skipped_whole) = (0usize, 0usize);
    for (name, bytes) in &files {
        let mut store = Store::new();
        ingest_bytes(0, name, bytes, &mut store);
        let origins: Vec<_> = (0..store.len() as u32)
            .map(|r| (r, store.origin[r as usize]))
            .collect();
        let (all, errors) = records_of_file(bytes, &origins);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let mut searches: Vec<Search> = all
            .iter()
            .step_by(37)
            .flat_map(|(_, r)| needles_of(r).into_iter().step_by(5))
            .collect();
        searches.extend(absent.iter().map(|a| (vec![], Some(a.to_string()))));
        for (fields, text) in &searches {
            let text = text.as_deref();
            let Some(p) = RawPrefilter::new(fields, text) else {
                continue;
            };
            let expected: Vec<u32> = all
                .iter()
                .filter(|(_, r)| record_matches(r, fields, text))
                .map(|(row, _)| *row)
                .collect();
            let (found, errors) = records_of_file_where(bytes, &origins, Some(&p));
            assert!(errors.is_empty(), "{name}: {errors:?}");
            let got: Vec<u32> = found
                .iter()
                .filter(|(_, r)| record_matches(r, fields, text))
                .map(|(row, _)| *row)
                .collect();
            assert_eq!(got, expected, "{name}: {fields:?} {text:?}");
            compared += 1;
        }
    }
    // Generated files hold no escapes, so a missing address or ID skips each one whole.
    for (_, bytes) in &generated {
        let inflated = gunzip_if_needed(bytes);
        for a in &absent[..2] {
            let p = RawPrefilter::new(&[], Some(a)).unwrap();
            skipped_whole += usize::from(p.scan(&inflated).rules_out_every_record());
        }
    }
    assert!(compared > 2000, "{compared}");
    assert_eq!(skipped_whole, generated.len() * 2);
}
