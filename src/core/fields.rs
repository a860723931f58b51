//! Whole-record questions: every field path of a record (dot paths with array indices, as
//! CloudWatch Logs Insights writes them), field-path = value matching, free-text search,
//! and the discovered-fields statistics. These need the full records, which the store does
//! not keep, so they run over records re-read from their files.

use serde_json::Value;
use std::collections::HashMap;

/// Distinct values counted per field before the rest are lumped together.
const MAX_VALUES_PER_FIELD: usize = 500;

/// Calls `f(path, value)` for every scalar in the record (`null` as an empty string).
pub fn flatten(v: &Value, f: &mut dyn FnMut(&str, &str)) {
    fn walk(v: &Value, path: &mut String, f: &mut dyn FnMut(&str, &str)) {
        let len = path.len();
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(child, path, f);
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&i.to_string());
                    walk(child, path, f);
                    path.truncate(len);
                }
            }
            Value::String(s) => f(path, s),
            Value::Null => f(path, ""),
            other => f(path, &other.to_string()),
        }
    }
    walk(v, &mut String::new(), f);
}

/// Whether a field path is named by a parameter: a name without dots matches any path whose
/// last name segment is that name; a dotted name is an exact path.
pub fn path_matches(path: &str, name: &str) -> bool {
    if name.contains('.') {
        path == name
    } else {
        path.rsplit('.')
            .find(|seg| seg.parse::<usize>().is_err())
            .is_some_and(|seg| seg == name)
    }
}

/// Whether a record satisfies every `field = value` pair and contains the free text.
pub fn record_matches(record: &Value, fields: &[(String, String)], text: Option<&str>) -> bool {
    let mut pending: Vec<bool> = vec![false; fields.len()];
    let needle = text.map(str::to_lowercase);
    let mut text_found = needle.is_none();
    flatten(record, &mut |path, value| {
        for (i, (name, want)) in fields.iter().enumerate() {
            if !pending[i] && value == want && path_matches(path, name) {
                pending[i] = true;
            }
        }
        if !text_found {
            if let Some(n) = &needle {
                if value.to_lowercase().contains(n.as_str())
                    || path.to_lowercase().contains(n.as_str())
                {
                    text_found = true;
                }
            }
        }
    });
    text_found && pending.iter().all(|&p| p)
}

/// A cheap test on a record's raw JSON that rules out most records [`record_matches`] would
/// reject, so a whole-record search parses only the few that might match.
///
/// Every needle must occur in the raw bytes (ASCII case-insensitively). That is sound
/// because, in a record with no backslash escapes and only ASCII, a value or key is written
/// exactly as [`flatten`] reports it; records with escapes or other characters are always
/// passed on to the full check. The one difference: a number written with an exponent
/// (`1e3`) is reported as `1000.0`, which no CloudTrail field does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPrefilter {
    needles: Vec<Vec<u8>>,
}

impl RawPrefilter {
    /// The prefilter for these field = value pairs and free text (None when nothing can be
    /// ruled out from raw bytes).
    pub fn new(fields: &[(String, String)], text: Option<&str>) -> Option<RawPrefilter> {
        let mut needles: Vec<Vec<u8>> = Vec::new();
        fn add_pieces(needles: &mut Vec<Vec<u8>>, s: &str) {
            if !s.is_ascii() {
                return;
            }
            // A path or a dotted needle may span keys: each non-numeric piece is in a key or
            // value on its own (numeric pieces may be array indices, not in the bytes).
            for piece in s.split('.') {
                if !piece.is_empty() && !piece.bytes().all(|b| b.is_ascii_digit()) {
                    needles.push(piece.to_ascii_lowercase().into_bytes());
                }
            }
        }
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            add_pieces(&mut needles, t);
        }
        for (name, value) in fields {
            add_pieces(&mut needles, name);
            if !value.is_empty() && value.is_ascii() {
                needles.push(value.to_ascii_lowercase().into_bytes());
            }
        }
        needles.sort();
        needles.dedup();
        // Longest first: the rarest needle usually rules a record out soonest.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        (!needles.is_empty()).then_some(RawPrefilter { needles })
    }

    /// Whether the record whose raw JSON is `raw` may match (false: it certainly does not).
    pub fn may_match(&self, raw: &[u8]) -> bool {
        if raw.iter().any(|&b| b == b'\\' || !b.is_ascii()) {
            return true;
        }
        self.needles
            .iter()
            .all(|n| contains_ignore_ascii_case(raw, n))
    }
}

/// Whether `hay` contains `needle` (already lower-case), ignoring ASCII case.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let upper = first.to_ascii_uppercase();
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let rest = &hay[at..hay.len() + 1 - needle.len()];
        let found = if upper == first {
            memchr::memchr(first, rest)
        } else {
            memchr::memchr2(first, upper, rest)
        };
        let Some(i) = found else {
            return false;
        };
        let start = at + i;
        if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
            return true;
        }
        at = start + 1;
    }
    false
}

/// One discovered field: how many events have it, and its most frequent values.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSummary {
    pub path: String,
    pub events: u64,
    /// Most frequent first, at most the number asked for.
    pub top: Vec<(String, u64)>,
    /// Distinct values seen (a lower bound when more than 500).
    pub distinct: usize,
}

/// Accumulates field statistics over records.
#[derive(Debug, Default)]
pub struct FieldStats {
    pub records: u64,
    fields: HashMap<String, (u64, HashMap<String, u64>)>,
}

impl FieldStats {
    /// Counts one record's fields (each path once per record).
    pub fn add(&mut self, record: &Value) {
        self.records += 1;
        let mut seen: Vec<String> = Vec::new();
        flatten(record, &mut |path, value| {
            let entry = self.fields.entry(path.to_owned()).or_default();
            if !seen.iter().any(|p| p == path) {
                entry.0 += 1;
                seen.push(path.to_owned());
            }
            let n = entry.1.len();
            if let Some(c) = entry.1.get_mut(value) {
                *c += 1;
            } else if n < MAX_VALUES_PER_FIELD {
                entry.1.insert(value.to_owned(), 1);
            }
        });
    }

    /// Every field, most common first, with its `top` most frequent values.
    pub fn summary(&self, top: usize) -> Vec<FieldSummary> {
        let mut out: Vec<FieldSummary> = self
            .fields
            .iter()
            .map(|(path, (events, values))| {
                let mut v: Vec<(String, u64)> =
                    values.iter().map(|(k, c)| (k.clone(), *c)).collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let distinct = v.len();
                v.truncate(top);
                FieldSummary {
                    path: path.clone(),
                    events: *events,
                    top: v,
                    distinct,
                }
            })
            .collect();
        out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.path.cmp(&b.path)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Value {
        json!({"eventName":"RunInstances","requestParameters":{"instanceType":"m1.small",
          "instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}},
          "responseElements":null,"readOnly":false})
    }

    #[test]
    fn flattens_with_indices() {
        let mut paths = Vec::new();
        flatten(&rec(), &mut |p, v| paths.push(format!("{p}={v}")));
        assert!(paths.contains(&"requestParameters.instancesSet.items.1.instanceId=i-2".to_owned()));
        assert!(paths.contains(&"readOnly=false".to_owned()));
        assert!(paths.contains(&"responseElements=".to_owned()));
    }

    #[test]
    fn field_and_text_matching() {
        let r = rec();
        let f = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        assert!(record_matches(&r, &f("instanceType", "m1.small"), None));
        assert!(record_matches(
            &r,
            &f("requestParameters.instanceType", "m1.small"),
            None
        ));
        assert!(!record_matches(&r, &f("Type", "m1.small"), None));
        assert!(record_matches(&r, &f("instanceId", "i-2"), None));
        assert!(record_matches(
            &r,
            &f("requestParameters.instancesSet.items.0.instanceId", "i-1"),
            None
        ));
        assert!(!record_matches(
            &r,
            &f("requestParameters.instancesSet.items.0.instanceId", "i-2"),
            None
        ));
        assert!(record_matches(&r, &[], Some("M1.SMALL")));
        assert!(!record_matches(&r, &[], Some("t3.micro")));
        assert!(!record_matches(
            &r,
            &f("instanceType", "m1.small"),
            Some("nothing")
        ));
    }

    #[test]
    fn stats_count_events_and_values() {
        let mut s = FieldStats::default();
        s.add(&rec());
        s.add(&json!({"eventName":"RunInstances","requestParameters":{"instanceType":"t3.micro"}}));
        let sum = s.summary(5);
        let name = sum.iter().find(|f| f.path == "eventName").unwrap();
        assert_eq!(
            (name.events, name.top[0].clone()),
            (2, ("RunInstances".to_owned(), 2))
        );
        let it = sum
            .iter()
            .find(|f| f.path == "requestParameters.instanceType")
            .unwrap();
        assert_eq!((it.events, it.distinct), (2, 2));
    }

    #[test]
    fn raw_prefilter_never_rules_out_a_match() {
        let records = [
            r#"{"eventName":"RunInstances","requestParameters":{"instanceType":"m1.small","instancesSet":{"items":[{"imageId":"ami-1"}]}},"sourceIPAddress":"10.0.0.1","n":42,"b":true}"#,
            r#"{"eventName":"GetObject","userAgent":"a \"quoted\" agent","requestParameters":{"key":"caf\u00e9"}}"#,
            r#"{"eventName":"PutObject","userAgent":"Müller"}"#,
        ];
        type Query<'a> = (Vec<(String, String)>, Option<&'a str>);
        let queries: Vec<Query> = vec![
            (vec![], Some("m1.SMALL")),
            (vec![], Some("instancetype")),
            (
                vec![],
                Some("requestParameters.instancesSet.items.0.imageid"),
            ),
            (vec![], Some("Set.items.0.ima")),
            (vec![], Some("10.0.0")),
            (vec![], Some("42")),
            (vec![], Some("true")),
            (vec![], Some("quoted\" agent")),
            (vec![], Some("café")),
            (vec![], Some("MÜLLER")),
            (vec![], Some("nothere")),
            (vec![("instanceType".into(), "m1.small".into())], None),
            (
                vec![(
                    "requestParameters.instancesSet.items.0.imageId".into(),
                    "ami-1".into(),
                )],
                None,
            ),
            (vec![("instanceType".into(), "m1.large".into())], None),
            (vec![("key".into(), "café".into())], Some("getobject")),
        ];
        let mut ruled_out = 0;
        for raw in records {
            let v: Value = serde_json::from_str(raw).unwrap();
            for (fields, text) in &queries {
                let full = record_matches(&v, fields, *text);
                let pre =
                    RawPrefilter::new(fields, *text).is_none_or(|p| p.may_match(raw.as_bytes()));
                assert!(
                    pre || !full,
                    "prefilter hid a match: {raw} {fields:?} {text:?}"
                );
                ruled_out += usize::from(!pre);
            }
        }
        // It must also be useful: the plain ASCII record is ruled out for the four queries
        // it does not match ("nothere", m1.large, GetObject, a quote it does not contain).
        assert_eq!(ruled_out, 4);
        let p = RawPrefilter::new(&[], Some("NotHere")).unwrap();
        assert!(!p.may_match(records[0].as_bytes()));
    }

    #[test]
    fn contains_ignore_ascii_case_finds_at_edges() {
        assert!(contains_ignore_ascii_case(b"abcXYZ", b"xyz"));
        assert!(contains_ignore_ascii_case(b"XYZabc", b"xyz"));
        assert!(!contains_ignore_ascii_case(b"xy", b"xyz"));
        assert!(contains_ignore_ascii_case(b"-1-2", b"-2"));
        assert!(contains_ignore_ascii_case(b"", b""));
    }
}
