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
}
