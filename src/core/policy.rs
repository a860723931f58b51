//! Least privilege from what was really used: an IAM policy granting exactly the actions an
//! identity performed in the loaded data.
//!
//! CloudTrail names calls by `eventSource` and `eventName`; IAM names permissions
//! `<service prefix>:<action>`. The two mostly agree, and this module holds the known
//! differences: prefixes that are not the endpoint's host (`monitoring` → `cloudwatch`,
//! `email` → `ses`), API-version suffixes (`ListFunctions20150331` → `lambda:ListFunctions`),
//! S3 and Lambda calls whose permission has another name (`ListObjects` → `s3:ListBucket`,
//! `Invoke` → `lambda:InvokeFunction`), and calls that no policy grants (`ConsoleLogin`).
//! Resources are narrowed to the ARNs the events name when every successful call of an
//! action named one; failed and denied calls are reported, never granted.

use crate::store::{Store, NONE};
use std::collections::{BTreeMap, BTreeSet};

/// The size limit of a customer managed policy, in characters without whitespace.
pub const MANAGED_POLICY_LIMIT: usize = 6_144;

/// Distinct ARNs listed for one action before it is widened to `*`.
const MAX_RESOURCES_PER_ACTION: usize = 20;

/// `eventSource` hosts whose IAM service prefix differs from the host's first label.
const PREFIX_FIXES: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("tagging", "tag"),
    ("streams.dynamodb", "dynamodb"),
    ("api.sagemaker", "sagemaker"),
    ("runtime.sagemaker", "sagemaker"),
    ("bedrock-runtime", "bedrock"),
    ("bedrock-agent-runtime", "bedrock"),
    ("api.ecr", "ecr"),
    ("data.iot", "iot"),
    ("iotdata", "iot"),
    ("elasticfilesystem", "elasticfilesystem"),
    ("sso-directory", "sso-directory"),
    ("api.mediatailor", "mediatailor"),
    ("kafka-cluster", "kafka-cluster"),
    ("appstream2", "appstream"),
    ("apprunner", "apprunner"),
    ("cognito-idp", "cognito-idp"),
    ("execute-api", "execute-api"),
];

/// Calls that are not IAM actions at all (sign-in, portal and internal events).
const NOT_IAM_ACTIONS: &[(&str, &str)] = &[
    ("signin", "*"),
    ("portal.sso", "*"),
    ("sso-oauth", "CreateToken"),
    ("sts", "GetCallerIdentity"),
];

/// S3 calls whose permission has another name; `None` keeps the event name.
fn s3_action(name: &str) -> Vec<&'static str> {
    let one = |a: &'static str| vec![a];
    match name {
        "ListBuckets" => one("ListAllMyBuckets"),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => one("ListBucket"),
        "ListObjectVersions" => one("ListBucketVersions"),
        "HeadObject" | "SelectObjectContent" | "GetObjectAttributes" => one("GetObject"),
        "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => one("PutObject"),
        "CopyObject" | "UploadPartCopy" => vec!["GetObject", "PutObject"],
        "DeleteObjects" => one("DeleteObject"),
        "ListMultipartUploads" => one("ListBucketMultipartUploads"),
        "ListParts" => one("ListMultipartUploadParts"),
        "GetBucketEncryption" => one("GetEncryptionConfiguration"),
        "PutBucketEncryption" | "DeleteBucketEncryption" => one("PutEncryptionConfiguration"),
        "GetBucketLifecycle" | "GetBucketLifecycleConfiguration" => {
            one("GetLifecycleConfiguration")
        }
        "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
            one("PutLifecycleConfiguration")
        }
        "GetBucketReplication" => one("GetReplicationConfiguration"),
        "PutBucketReplication" | "DeleteBucketReplication" => one("PutReplicationConfiguration"),
        "GetBucketCors" => one("GetBucketCORS"),
        "PutBucketCors" | "DeleteBucketCors" => one("PutBucketCORS"),
        "DeleteBucketTagging" => one("PutBucketTagging"),
        "DeleteObjectTagging" => one("DeleteObjectTagging"),
        "DeleteBucketOwnershipControls" => one("PutBucketOwnershipControls"),
        "GetBucketMetricsConfiguration" | "ListBucketMetricsConfigurations" => {
            one("GetMetricsConfiguration")
        }
        "PutBucketMetricsConfiguration" | "DeleteBucketMetricsConfiguration" => {
            one("PutMetricsConfiguration")
        }
        "GetBucketAnalyticsConfiguration" | "ListBucketAnalyticsConfigurations" => {
            one("GetAnalyticsConfiguration")
        }
        "GetBucketInventoryConfiguration" | "ListBucketInventoryConfigurations" => {
            one("GetInventoryConfiguration")
        }
        "GetBucketIntelligentTieringConfiguration" => one("GetIntelligentTieringConfiguration"),
        "GetBucketNotificationConfiguration" => one("GetBucketNotification"),
        "PutBucketNotificationConfiguration" => one("PutBucketNotification"),
        "GetBucketAccelerateConfiguration" => one("GetAccelerateConfiguration"),
        "PutBucketAccelerateConfiguration" => one("PutAccelerateConfiguration"),
        "DeletePublicAccessBlock" => one("PutBucketPublicAccessBlock"),
        "GetPublicAccessBlock" => one("GetBucketPublicAccessBlock"),
        "PutPublicAccessBlock" => one("PutBucketPublicAccessBlock"),
        "GetObjectLockConfiguration" => one("GetBucketObjectLockConfiguration"),
        "PutObjectLockConfiguration" => one("PutBucketObjectLockConfiguration"),
        _ => Vec::new(),
    }
}

/// Strips an API-version suffix: `ListFunctions20150331` → `ListFunctions`,
/// `GetFunction20150331v2` → `GetFunction`, `UpdateDistribution2017_03_25` →
/// `UpdateDistribution`.
pub fn strip_version_suffix(name: &str) -> &str {
    let bytes = name.as_bytes();
    // Find the first digit that starts a run of 4 digits (a year) after a letter.
    for i in 1..bytes.len() {
        if bytes[i].is_ascii_digit()
            && bytes[i - 1].is_ascii_alphabetic()
            && bytes.len() >= i + 4
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && (bytes[i..i + 2] == *b"19" || bytes[i..i + 2] == *b"20")
        {
            let rest = &name[i..];
            let ok = rest
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
                .trim_start_matches('v')
                .chars()
                .all(|c| c.is_ascii_digit());
            if ok {
                return &name[..i];
            }
        }
    }
    name
}

/// The IAM service prefix of an `eventSource` host (`ec2.amazonaws.com` → `ec2`).
pub fn service_prefix(event_source: &str) -> String {
    let host = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    if let Some((_, p)) = PREFIX_FIXES.iter().find(|(h, _)| *h == host) {
        return (*p).to_owned();
    }
    host.to_owned()
}

/// The IAM actions behind one call; empty when no policy grants it (sign-in events,
/// `GetCallerIdentity`, which needs no permission, or a record with no name).
pub fn iam_actions(event_source: &str, event_name: &str) -> Vec<String> {
    let host = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    if host.is_empty() || event_name.is_empty() {
        return Vec::new();
    }
    if NOT_IAM_ACTIONS
        .iter()
        .any(|(h, n)| *h == host && (*n == "*" || *n == event_name))
    {
        return Vec::new();
    }
    let prefix = service_prefix(event_source);
    let name = strip_version_suffix(event_name);
    let names: Vec<&str> = match (prefix.as_str(), name) {
        ("s3", n) => {
            let fixed = s3_action(n);
            if fixed.is_empty() {
                vec![n]
            } else {
                fixed
            }
        }
        ("lambda", "Invoke" | "InvokeWithResponseStream") => vec!["InvokeFunction"],
        ("bedrock", "Converse") => vec!["InvokeModel"],
        ("bedrock", "ConverseStream") => vec!["InvokeModelWithResponseStream"],
        ("dynamodb", "DescribeStream" | "GetRecords" | "GetShardIterator" | "ListStreams") => {
            vec![name]
        }
        (_, n) => vec![n],
    };
    names.into_iter().map(|n| format!("{prefix}:{n}")).collect()
}

/// Whether an error code means the call was refused for lack of permission.
pub fn is_denial(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("accessdenied") || c.contains("unauthorized") || c.contains("forbidden")
}

/// S3 actions that act on objects (their resource is `bucket/key`).
fn is_s3_object_action(action: &str) -> bool {
    action.starts_with("s3:") && action.contains("Object")
        || action == "s3:AbortMultipartUpload"
        || action == "s3:ListMultipartUploadParts"
}

/// The ARN partition of a region (`cn-north-1` → `aws-cn`).
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The service of an ARN (`arn:aws:s3:::b` → `s3`).
fn arn_service(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then_some(())?;
    parts.next()?;
    parts.next()
}

/// The resources one successful call of `action` names, as ARNs usable in a policy; empty
/// when the record names none that fits (the action then needs `*`).
fn resources_for(store: &Store, row: usize, action: &str) -> Vec<String> {
    let prefix = action.split(':').next().unwrap_or("");
    let region = store.strings.get(store.region[row]);
    let account = store.strings.get(store.account[row]);
    let part = partition(region);
    let mut out = Vec::new();
    for (name, kind) in store.resources(row) {
        let (name, kind) = (store.strings.get(name), store.strings.get(kind));
        if name.starts_with("arn:") {
            let service = arn_service(name).unwrap_or("");
            let fits = service == prefix
                // Roles are the resource of STS role calls and of iam:PassRole.
                || (prefix == "sts" && action.starts_with("sts:AssumeRole") && kind == "AWS::IAM::Role");
            // An access key ARN is an event detail, not something a policy names.
            if fits && !name.contains(":accesskey/") {
                out.push(name.to_owned());
            }
            continue;
        }
        // Names whose ARN is fully determined by the name, account and region.
        let arn = match (prefix, kind) {
            ("s3", "AWS::S3::Bucket") if is_s3_object_action(action) => {
                Some(format!("arn:{part}:s3:::{name}/*"))
            }
            ("s3", "AWS::S3::Bucket") => Some(format!("arn:{part}:s3:::{name}")),
            ("lambda", "AWS::Lambda::Function") if !account.is_empty() && !region.is_empty() => {
                Some(format!(
                    "arn:{part}:lambda:{region}:{account}:function:{name}"
                ))
            }
            ("dynamodb", "AWS::DynamoDB::Table") if !account.is_empty() && !region.is_empty() => {
                Some(format!(
                    "arn:{part}:dynamodb:{region}:{account}:table/{name}"
                ))
            }
            _ => None,
        };
        out.extend(arn);
    }
    // An object ARN makes its bucket ARN redundant for object actions, and vice versa.
    if action.starts_with("s3:") {
        let object = is_s3_object_action(action);
        let keep: Vec<String> = out
            .iter()
            .filter(|a| a.trim_start_matches("arn:").contains('/') == object)
            .cloned()
            .collect();
        if !keep.is_empty() {
            out = keep;
        }
    }
    out
}

/// How one action was used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionUse {
    /// `service:Action`.
    pub action: String,
    /// Successful calls.
    pub calls: u64,
    /// Failed calls by error code.
    pub failures: BTreeMap<String, u64>,
    /// ARNs the successful calls named; empty means `*`.
    pub resources: BTreeSet<String>,
    /// Whether every successful call named a resource that fits.
    pub narrowed: bool,
}

/// The generated policy and what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyReport {
    /// The policy document, pretty-printed.
    pub json: String,
    /// Every action seen, granted or not, sorted.
    pub actions: Vec<ActionUse>,
    /// Calls that no IAM policy grants (`signin:ConsoleLogin`, ...), with counts.
    pub not_iam: BTreeMap<String, u64>,
    /// Size of the policy without whitespace, as IAM counts it.
    pub size: usize,
    /// Plain-language notes: what CloudTrail cannot show, the size limit, denied calls.
    pub notes: Vec<String>,
}

impl PolicyReport {
    /// The granted actions (successful at least once), sorted.
    pub fn granted(&self) -> Vec<&str> {
        self.actions
            .iter()
            .filter(|a| a.calls > 0)
            .map(|a| a.action.as_str())
            .collect()
    }
}

/// Quotes a string as JSON.
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Builds the least-privilege policy for the given rows.
pub fn least_privilege(store: &Store, rows: &[u32]) -> PolicyReport {
    let mut uses: BTreeMap<String, ActionUse> = BTreeMap::new();
    let mut not_iam: BTreeMap<String, u64> = BTreeMap::new();
    let mut unnamed_success: BTreeSet<String> = BTreeSet::new();
    for &r in rows {
        let i = r as usize;
        let source = store.strings.get(store.event_source[i]);
        let name = store.strings.get(store.event_name[i]);
        let actions = iam_actions(source, name);
        if actions.is_empty() {
            let host = source.strip_suffix(".amazonaws.com").unwrap_or(source);
            *not_iam.entry(format!("{host}:{name}")).or_default() += 1;
            continue;
        }
        let error = store.error_code[i];
        for action in actions {
            let u = uses.entry(action.clone()).or_insert_with(|| ActionUse {
                action: action.clone(),
                narrowed: true,
                ..ActionUse::default()
            });
            if error != NONE {
                *u.failures
                    .entry(store.strings.get(error).to_owned())
                    .or_default() += 1;
                continue;
            }
            u.calls += 1;
            let named = resources_for(store, i, &action);
            if named.is_empty() {
                unnamed_success.insert(action.clone());
            }
            u.resources.extend(named);
        }
    }
    for u in uses.values_mut() {
        if unnamed_success.contains(&u.action)
            || u.resources.len() > MAX_RESOURCES_PER_ACTION
            || u.calls == 0
        {
            u.narrowed = false;
            u.resources.clear();
        }
    }
    let actions: Vec<ActionUse> = uses.into_values().collect();

    // One statement per distinct resource list, in a stable order.
    let mut statements: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.calls > 0) {
        let resources: Vec<String> = if a.narrowed {
            a.resources.iter().cloned().collect()
        } else {
            vec!["*".to_owned()]
        };
        statements
            .entry(resources)
            .or_default()
            .push(a.action.clone());
    }
    let list = |items: &[String], indent: &str| -> String {
        if items.len() == 1 {
            quote(&items[0])
        } else {
            let inner: Vec<String> = items
                .iter()
                .map(|s| format!("{indent}  {}", quote(s)))
                .collect();
            format!("[\n{}\n{indent}]", inner.join(",\n"))
        }
    };
    let body: Vec<String> = statements
        .iter()
        .enumerate()
        .map(|(n, (resources, acts))| {
            format!(
                "    {{\n      \"Sid\": \"Used{}\",\n      \"Effect\": \"Allow\",\n      \"Action\": {},\n      \"Resource\": {}\n    }}",
                n + 1,
                list(acts, "      "),
                list(resources, "      ")
            )
        })
        .collect();
    let json = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{}{}{}]\n}}\n",
        if body.is_empty() { "" } else { "\n" },
        body.join(",\n"),
        if body.is_empty() { "" } else { "\n  " }
    );
    let size = json_size_without_whitespace(&json);

    let mut notes = Vec::new();
    let granted = actions.iter().filter(|a| a.calls > 0).count();
    notes.push(format!(
        "{granted} action{} used successfully in {} event{}; the policy grants exactly these.",
        if granted == 1 { "" } else { "s" },
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    for a in actions.iter().filter(|a| !a.failures.is_empty()) {
        let codes: Vec<String> = a
            .failures
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect();
        let denied = a.failures.keys().any(|c| is_denial(c));
        let what = match (a.calls > 0, denied) {
            (false, true) => "was denied every time and is not granted",
            (false, false) => "failed every time and is not granted",
            (true, _) => "also failed sometimes (granted for its successful calls)",
        };
        notes.push(format!("{} {what}: {}.", a.action, codes.join(", ")));
    }
    if !not_iam.is_empty() {
        let calls: Vec<String> = not_iam.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        notes.push(format!(
            "Not granted by any IAM policy (sign-in, portal, or needs no permission): {}.",
            calls.join(", ")
        ));
    }
    notes.push(
        "CloudTrail cannot show everything this identity needs: data events (S3 object reads and writes, Lambda Invoke, DynamoDB item calls, ...) appear only when the trail logs them, a few actions are never logged, and actions not used in this period are absent. Test the policy before relying on it."
            .to_owned(),
    );
    let has_data = |service: &str, objectish: &dyn Fn(&str) -> bool| {
        (0..store.len()).any(|i| {
            store.strings.get(store.event_source[i]) == service
                && objectish(store.strings.get(store.event_name[i]))
        })
    };
    let used_service = |prefix: &str| actions.iter().any(|a| a.action.starts_with(prefix));
    if used_service("s3:")
        && !has_data("s3.amazonaws.com", &|n| {
            n.contains("Object") || n == "UploadPart" || n == "CompleteMultipartUpload"
        })
    {
        notes.push("No S3 data events are in the loaded data at all: if this identity reads or writes objects, add s3:GetObject / s3:PutObject for the buckets it uses.".to_owned());
    }
    if used_service("lambda:") && !has_data("lambda.amazonaws.com", &|n| n == "Invoke") {
        notes.push("No Lambda Invoke data events are in the loaded data: if this identity invokes functions, add lambda:InvokeFunction.".to_owned());
    }
    if size > MANAGED_POLICY_LIMIT {
        notes.push(format!(
            "The policy has {size} characters without whitespace, more than the {MANAGED_POLICY_LIMIT} a managed policy may have: split it over several policies or group actions with wildcards."
        ));
    } else {
        notes.push(format!(
            "{size} characters without whitespace, within the {MANAGED_POLICY_LIMIT} a managed policy may have."
        ));
    }
    PolicyReport {
        json,
        actions,
        not_iam,
        size,
        notes,
    }
}

/// Characters of a JSON text outside whitespace that is not inside a string.
fn json_size_without_whitespace(json: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    let mut n = 0;
    for c in json.chars() {
        if in_string {
            n += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            n += 1;
        } else if !c.is_whitespace() {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{select, Filter};
    use crate::ingest::ingest_bytes;
    use serde_json::Value;

    fn fixture(path: &str) -> Vec<u8> {
        let p = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("../shared/fixtures")
            .join(path);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn event_names_become_actions() {
        assert_eq!(
            iam_actions("lambda.amazonaws.com", "ListFunctions20150331"),
            ["lambda:ListFunctions"]
        );
        assert_eq!(
            iam_actions("lambda.amazonaws.com", "GetFunction20150331v2"),
            ["lambda:GetFunction"]
        );
        assert_eq!(
            iam_actions("lambda.amazonaws.com", "Invoke"),
            ["lambda:InvokeFunction"]
        );
        assert_eq!(
            iam_actions("cloudfront.amazonaws.com", "UpdateDistribution2017_03_25"),
            ["cloudfront:UpdateDistribution"]
        );
        assert_eq!(
            iam_actions("monitoring.amazonaws.com", "PutMetricAlarm"),
            ["cloudwatch:PutMetricAlarm"]
        );
        assert_eq!(
            iam_actions("email.amazonaws.com", "SendEmail"),
            ["ses:SendEmail"]
        );
        assert_eq!(
            iam_actions("s3.amazonaws.com", "ListBuckets"),
            ["s3:ListAllMyBuckets"]
        );
        assert_eq!(
            iam_actions("s3.amazonaws.com", "CopyObject"),
            ["s3:GetObject", "s3:PutObject"]
        );
        assert_eq!(
            iam_actions("s3.amazonaws.com", "GetBucketAcl"),
            ["s3:GetBucketAcl"]
        );
        assert!(iam_actions("signin.amazonaws.com", "ConsoleLogin").is_empty());
        assert!(iam_actions("sts.amazonaws.com", "GetCallerIdentity").is_empty());
        assert_eq!(strip_version_suffix("Ec2Describe"), "Ec2Describe");
        assert_eq!(
            strip_version_suffix("CreateV2LoggingLevel"),
            "CreateV2LoggingLevel"
        );
        assert_eq!(strip_version_suffix("ListTags20170331"), "ListTags");
        assert!(is_denial("Client.UnauthorizedOperation"));
        assert!(is_denial("AccessDenied"));
        assert!(!is_denial("NoSuchEntity"));
    }

    /// Every role session in the Stratus detonation logs (EC2, Bedrock, EC2 Instance
    /// Connect, Organizations; some only denied): the granted actions equal the distinct
    /// successful calls, computed here with a plain JSON reader.
    #[test]
    fn policies_of_real_role_sessions() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("../shared/fixtures/stratus-detonation-logs");
        let mut sessions = 0;
        let mut granted_total = 0;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let Ok(records) = serde_json::from_slice::<Vec<Value>>(&bytes) else {
                continue;
            };
            let keys: BTreeSet<&str> = records
                .iter()
                .filter_map(|r| r["userIdentity"]["accessKeyId"].as_str())
                .filter(|k| k.starts_with("ASIA"))
                .collect();
            let mut store = Store::new();
            ingest_bytes(0, "f", &bytes, &mut store);
            for key in keys {
                sessions += 1;
                let mut ok: BTreeSet<String> = BTreeSet::new();
                let mut failed: BTreeSet<String> = BTreeSet::new();
                for r in records
                    .iter()
                    .filter(|r| r["userIdentity"]["accessKeyId"] == key)
                {
                    let src = r["eventSource"]
                        .as_str()
                        .unwrap()
                        .trim_end_matches(".amazonaws.com");
                    let action = format!("{src}:{}", r["eventName"].as_str().unwrap());
                    if action == "sts:GetCallerIdentity" {
                        continue; // needs no permission
                    }
                    if r.get("errorCode").is_some_and(|c| !c.is_null()) {
                        failed.insert(action);
                    } else {
                        ok.insert(action);
                    }
                }
                let rows = select(
                    &store,
                    &Filter {
                        access_key: Some(key.into()),
                        ..Filter::default()
                    },
                );
                let report = least_privilege(&store, &rows);
                let granted: BTreeSet<String> =
                    report.granted().into_iter().map(str::to_owned).collect();
                assert_eq!(granted, ok, "{key}");
                granted_total += granted.len();
                // The policy parses, and its actions are exactly the granted ones.
                let doc: Value = serde_json::from_str(&report.json).unwrap();
                let mut in_policy = BTreeSet::new();
                for s in doc["Statement"].as_array().unwrap() {
                    match &s["Action"] {
                        Value::String(a) => {
                            in_policy.insert(a.clone());
                        }
                        Value::Array(a) => {
                            in_policy.extend(a.iter().map(|x| x.as_str().unwrap().to_owned()))
                        }
                        other => panic!("{other}"),
                    }
                }
                assert_eq!(in_policy, ok, "{key}");
                for f in failed.difference(&ok) {
                    assert!(
                        report
                            .notes
                            .iter()
                            .any(|n| n.starts_with(f.as_str()) && n.contains("not granted")),
                        "{f}: {:?}",
                        report.notes
                    );
                }
                assert_eq!(report.size, serde_json::to_string(&doc).unwrap().len());
            }
        }
        assert_eq!(sessions, 8);
        assert!(granted_total >= 8, "{granted_total}");
    }

    /// Real records that name their resources get them; the rest get `*`.
    #[test]
    fn resources_are_narrowed_to_named_arns() {
        let bytes = fixture("panther-cloudtrail/DERIVED_panther_test_logs_as_Records.json");
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let records = doc["Records"].as_array().unwrap();
        // An AssumeRole by an IAM user names its role in resources[].
        let (i, rec) = records
            .iter()
            .enumerate()
            .find(|(_, r)| {
                r["eventName"] == "AssumeRole"
                    && r.get("errorCode").is_none_or(Value::is_null)
                    && r["resources"].as_array().is_some_and(|a| {
                        a.iter()
                            .any(|x| x["type"] == "AWS::IAM::Role" && x["ARN"].is_string())
                    })
            })
            .unwrap();
        let role = rec["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["type"] == "AWS::IAM::Role")
            .unwrap()["ARN"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut store = Store::new();
        let one = serde_json::to_vec(&records[i]).unwrap();
        ingest_bytes(0, "r", &one, &mut store);
        let report = least_privilege(&store, &store.all_rows());
        assert_eq!(report.granted(), ["sts:AssumeRole"]);
        assert_eq!(
            report.actions[0]
                .resources
                .iter()
                .cloned()
                .collect::<Vec<_>>(),
            std::slice::from_ref(&role)
        );
        assert!(report.json.contains(&quote(&role)));
        // A bucket named by name becomes its ARN.
        let put = br#"{"eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1",
            "recipientAccountId":"1","requestParameters":{"bucketName":"b1"},"userIdentity":{"type":"IAMUser","userName":"u"}}"#;
        let mut store = Store::new();
        ingest_bytes(0, "p", put, &mut store);
        let report = least_privilege(&store, &store.all_rows());
        assert!(
            report.json.contains("\"arn:aws:s3:::b1\""),
            "{}",
            report.json
        );
    }

    #[test]
    fn size_limit_is_noted() {
        let mut recs = Vec::new();
        for i in 0..400 {
            recs.push(format!(
                r#"{{"eventID":"{i}","eventName":"CreateSomethingNumber{i}","eventSource":"ec2.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"u"}}}}"#
            ));
        }
        let doc = format!("[{}]", recs.join(","));
        let mut store = Store::new();
        ingest_bytes(0, "s", doc.as_bytes(), &mut store);
        let report = least_privilege(&store, &store.all_rows());
        assert_eq!(report.granted().len(), 400);
        assert!(report.size > MANAGED_POLICY_LIMIT);
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("more than the 6144")));
        assert_eq!(json_size_without_whitespace("{ \"a b\" : 1 }"), 9);
    }
}
