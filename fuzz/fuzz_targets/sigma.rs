//! Sigma rule text → parser → matcher: any text parses without panicking, every rule it
//! yields evaluates over fixed records without panicking, and the eventName-indexed
//! `RuleSet` returns exactly what trying every rule returns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use std::sync::OnceLock;
use trailglass::core::sigma::{parse_rules, RuleSet};

/// Records with the shapes rules meet: nesting, arrays, numbers, booleans, nulls, dotted
/// keys, non-ASCII text, and eventNames that are lowercase, missing or not a string.
fn records() -> &'static [Value] {
    static RECORDS: OnceLock<Vec<Value>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        vec![
            json!({
                "eventVersion": "1.08", "eventName": "ConsoleLogin",
                "eventSource": "signin.amazonaws.com", "sourceIPAddress": "203.0.113.7",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64)", "readOnly": false,
                "userIdentity": {"type": "IAMUser", "userName": "alice",
                    "arn": "arn:aws:iam::111122223333:user/alice",
                    "sessionContext": {"sessionIssuer": {"type": "Role"}}},
                "additionalEventData": {"MFAUsed": "No"},
                "responseElements": {"ConsoleLogin": "Success", "port": 443},
                "requestParameters": null,
                "resources": [{"ARN": "arn:aws:s3:::one"}, {"ARN": "arn:aws:s3:::two"}],
                "a.b": "dotted", "errorCode": ""
            }),
            json!({
                "eventName": "stoplogging", "eventSource": "cloudtrail.amazonaws.com",
                "sourceIPAddress": "2001:db8::1", "userIdentity": {"type": "Root"},
                "requestParameters": {"name": "trail", "list": [1, 2.5, true, null, [], {}]},
                "errorMessage": "ÉVÉNEMENT İstanbul ΣΑΣ", "errorCode": "AccessDenied"
            }),
            json!({"eventName": 5, "eventSource": "x"}),
            json!({"eventName": ["ConsoleLogin", "StopLogging"], "x": {"y": [{"z": "w"}]}}),
            json!({"userAgent": "aws-cli/2.0", "eventName": null}),
            json!([{"eventName": "DeleteTrail"}]),
            json!("ConsoleLogin"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (rules, errors) = parse_rules(&text, "fuzz");
    for e in &errors {
        let _ = e.to_string();
    }
    let set = RuleSet::new(rules);
    let _ = set.event_names();
    for record in records() {
        let brute: Vec<usize> = (0..set.rules().len())
            .filter(|i| set.rules()[*i].matches(record))
            .collect();
        assert_eq!(set.matching(record), brute, "{record}");
    }
});
