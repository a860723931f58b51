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
///
/// Free text (case-insensitive) is found in any value or any key; a needle with a dot is
/// also looked for in the dotted paths (`instancesSet.items.0`), so a field can be found
/// by its path. Array indices alone are not text: `12` does not match `items.12`.
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
                if value.to_lowercase().contains(n.as_str()) || path_has_text(path, n) {
                    text_found = true;
                }
            }
        }
    });
    text_found && pending.iter().all(|&p| p)
}

/// Whether a path holds a free-text needle (lower-case): in one of its keys, or, for a
/// needle with a dot, anywhere in the dotted path.
fn path_has_text(path: &str, needle: &str) -> bool {
    if needle.contains('.') {
        path.to_lowercase().contains(needle)
    } else {
        path.split('.')
            .any(|seg| !is_number(seg) && seg.to_lowercase().contains(needle))
    }
}

/// Whether a path segment (or a piece of a needle) is all digits: an array index.
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A cheap test on a record's raw JSON that rules out most records [`record_matches`] would
/// reject, so a whole-record search parses only the few that might match.
///
/// A value or key is written in the raw bytes exactly as [`flatten`] reports it when the
/// record has no backslash escapes and only ASCII; records with escapes or other
/// characters are always passed on to the full check. The one difference: a number written with an exponent
/// (`1e3`) is reported as `1000.0`, which no CloudTrail field does.
#[derive(Debug, Clone)]
pub struct RawPrefilter {
    /// Each must occur: the non-numeric pieces of field names, and field values.
    all: Vec<Needle>,
    /// The free text, when it is ASCII.
    text: Option<TextNeedle>,
    /// Whether a needle holds a space or control character: ingest turns raw control
    /// characters inside strings into spaces, which the raw bytes do not show.
    spaces: bool,
}

/// Free text, and what a dotted path holding it would show in the raw bytes.
#[derive(Debug, Clone)]
struct TextNeedle {
    whole: Needle,
    /// For a needle with a dot: the pieces between dots that are not numbers (each in a
    /// key), and whether two numbers are next to each other (`10.0`: then the path needs
    /// an array in an array or a key that starts or ends with a digit).
    path: Option<(Vec<Needle>, bool)>,
}

impl TextNeedle {
    fn new(text: &str) -> Option<TextNeedle> {
        let whole = text.to_lowercase();
        if whole.is_empty() || !whole.is_ascii() {
            return None;
        }
        let path = whole.contains('.').then(|| {
            let pieces: Vec<&str> = whole.split('.').collect();
            let adjacent = pieces
                .windows(2)
                .any(|w| is_number(w[0]) && is_number(w[1]));
            let named = pieces
                .iter()
                .filter(|p| !p.is_empty() && !is_number(p))
                .map(|p| Needle::new(p.as_bytes()))
                .collect();
            (named, adjacent)
        });
        Some(TextNeedle {
            whole: Needle::new(whole.as_bytes()),
            path,
        })
    }

    /// Whether a record may hold the needle.
    fn may_match(&self, raw: &[u8]) -> bool {
        self.whole.found_in(raw)
            || self.path.as_ref().is_some_and(|(named, adjacent)| {
                named.iter().all(|n| n.found_in(raw)) && (!adjacent || numeric_paths(raw))
            })
    }

    fn needles(&self) -> impl Iterator<Item = &Needle> {
        std::iter::once(&self.whole).chain(self.path.iter().flat_map(|(named, _)| named))
    }
}

/// A lower-case ASCII needle and how it is found in raw JSON text, ignoring ASCII case:
/// with memchr's vector scan for two of its bytes at once (the two chosen by
/// [`JsonFrequency`]) when it has no letters; else by its longest run of three or more
/// bytes that are not letters (`-0c27-`, `926524`, `::111122223333:`), found the same way
/// and checked around; else by its rarest byte in either case (memchr2's vector scan),
/// checked around. None of them needs a lower-cased copy of the text.
#[derive(Debug, Clone)]
struct Needle {
    finder: memchr::memmem::Finder<'static>,
    anchor: Anchor,
}

/// What a needle with letters is found by in raw text before it is checked whole.
#[derive(Debug, Clone)]
enum Anchor {
    /// No letters: the finder finds the needle itself.
    None,
    /// A run of the needle without letters, and where it starts in the needle.
    Run(Box<memchr::memmem::Finder<'static>>, usize),
    /// The needle's rarest byte in lower and upper case, and where it is in the needle.
    Byte(u8, u8, usize),
}

impl Needle {
    fn new(bytes: &[u8]) -> Needle {
        let build = |b: &[u8]| {
            memchr::memmem::FinderBuilder::new()
                .build_forward_with_ranker(JsonFrequency, b)
                .into_owned()
        };
        let letters = bytes.iter().any(u8::is_ascii_alphabetic);
        let mut best: Option<(usize, usize)> = None;
        let mut start = 0;
        for (i, b) in bytes.iter().chain(Some(&b'a')).enumerate() {
            if b.is_ascii_alphabetic() {
                if i - start >= 3 && best.is_none_or(|(s, e)| i - start > e - s) {
                    best = Some((start, i));
                }
                start = i + 1;
            }
        }
        let rarest = || {
            use memchr::arch::all::packedpair::HeuristicFrequencyRank;
            let at = (0..bytes.len())
                .min_by_key(|&i| JsonFrequency.rank(bytes[i]))
                .unwrap_or(0);
            let b = bytes.get(at).copied().unwrap_or(0);
            Anchor::Byte(b.to_ascii_lowercase(), b.to_ascii_uppercase(), at)
        };
        let anchor = match best {
            _ if !letters => Anchor::None,
            Some((s, e)) => Anchor::Run(Box::new(build(&bytes[s..e])), s),
            None => rarest(),
        };
        Needle {
            finder: build(bytes),
            anchor,
        }
    }

    fn bytes(&self) -> &[u8] {
        self.finder.needle()
    }

    fn found_in(&self, raw: &[u8]) -> bool {
        let needle = self.bytes();
        // Whether the needle is at `found - at` (ASCII case ignored).
        let around = |found: usize, at: usize| {
            found.checked_sub(at).is_some_and(|start| {
                raw.get(start..start + needle.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            })
        };
        match &self.anchor {
            Anchor::None => self.finder.find(raw).is_some(),
            Anchor::Run(anchor, at) => {
                let mut from = 0;
                while let Some(i) = raw.get(from..).and_then(|rest| anchor.find(rest)) {
                    let found = from + i;
                    if around(found, *at) {
                        return true;
                    }
                    from = found + 1;
                }
                false
            }
            &Anchor::Byte(lower, upper, at) => {
                memchr::memchr2_iter(lower, upper, raw).any(|found| around(found, at))
            }
        }
    }
}

/// Byte frequencies of CloudTrail JSON for memchr's choice of needle bytes: a scan for a
/// `j` stops far less often than one for an `a`, and digits are everywhere in timestamps
/// and IDs.
#[derive(Debug, Clone, Copy)]
struct JsonFrequency;

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for JsonFrequency {
    fn rank(&self, byte: u8) -> u8 {
        let byte = byte.to_ascii_lowercase();
        // Listed bytes rank 16..=240 (memchr drops its fallback scan above 250); bytes not
        // listed are rarer still.
        BY_FREQUENCY
            .iter()
            .position(|&c| c == byte)
            .map_or(0, |p| (16 + 4 * p).min(240) as u8)
    }
}

impl RawPrefilter {
    /// The prefilter for these field = value pairs and free text (None when nothing can be
    /// ruled out from raw bytes).
    pub fn new(fields: &[(String, String)], text: Option<&str>) -> Option<RawPrefilter> {
        let mut all: Vec<Vec<u8>> = Vec::new();
        for (name, value) in fields {
            if name.is_ascii() {
                // A path's names are keys, each written whole (numbers are indices).
                for piece in name.split('.') {
                    if !piece.is_empty() && !is_number(piece) {
                        all.push(piece.to_ascii_lowercase().into_bytes());
                    }
                }
            }
            if !value.is_empty() && value.is_ascii() {
                all.push(value.to_ascii_lowercase().into_bytes());
            }
        }
        all.sort();
        all.dedup();
        // Longest first: the rarest needle usually rules a record out soonest.
        all.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let all: Vec<Needle> = all.iter().map(|n| Needle::new(n)).collect();
        let text = text.and_then(TextNeedle::new);
        let needles = || all.iter().chain(text.iter().flat_map(TextNeedle::needles));
        let spaces = needles().any(|n| n.bytes().iter().any(|&b| b <= b' '));
        (!all.is_empty() || text.is_some()).then_some(RawPrefilter { all, text, spaces })
    }

    /// Whether the record whose raw JSON is `raw` may match (false: it certainly does not).
    pub fn may_match(&self, raw: &[u8]) -> bool {
        // Records whose parsed values may read otherwise than their bytes always go on to
        // the full check. (Checked first, so the rest can assume none.)
        !self.reads_as_written(raw) || self.found_in(raw)
    }

    /// Whether JSON text reads as its bytes: no escapes, only ASCII, and no raw control
    /// characters when a needle holds a space.
    fn reads_as_written(&self, raw: &[u8]) -> bool {
        memchr::memchr(b'\\', raw).is_none()
            && raw.is_ascii()
            && !(self.spaces && raw.iter().any(|&b| b < b' '))
    }

    /// Whether every needle occurs in `raw`.
    fn found_in(&self, raw: &[u8]) -> bool {
        self.all.iter().all(|n| n.found_in(raw))
            && self.text.as_ref().is_none_or(|t| t.may_match(raw))
    }

    /// Whether a file whose [`FileSketch`](crate::sketch::FileSketch) this is certainly
    /// holds no match, so it need not be read: exactly when [`RawPrefilter::scan`] of its
    /// bytes would rule out every record, the sketch standing in for the bytes (it may
    /// say a needle is there when it is not, never the other way round).
    pub fn rules_out_file(&self, sketch: &crate::sketch::FileSketch) -> bool {
        let plain = sketch.plain && !(self.spaces && sketch.controls);
        let absent = |n: &Needle| !sketch.may_hold(n.bytes());
        let text_absent = |t: &TextNeedle| {
            absent(&t.whole)
                && !t.path.as_ref().is_some_and(|(named, adjacent)| {
                    !named.iter().any(absent) && (!adjacent || sketch.numeric_paths)
                })
        };
        plain && (self.all.iter().any(absent) || self.text.as_ref().is_some_and(text_absent))
    }

    /// Looks at a whole file's (inflated) bytes once, so that a file holding none of the
    /// needles is ruled out whole and the records of a file without escapes are not each
    /// checked for them.
    pub fn scan<'a>(&'a self, bytes: &'a [u8]) -> FileScan<'a> {
        let plain = self.reads_as_written(bytes);
        // A record is a piece of its file, so a needle missing from the file is missing
        // from every record. (For numeric paths too: with no escape in the file, its
        // quotes pair up the same way as within each record.)
        let none = plain && !self.found_in(bytes);
        FileScan {
            prefilter: self,
            bytes,
            plain,
            none,
        }
    }
}

/// One file's bytes as [`RawPrefilter::scan`] prepared them.
#[derive(Debug)]
pub struct FileScan<'a> {
    prefilter: &'a RawPrefilter,
    bytes: &'a [u8],
    /// The whole file reads as written, so each record does too.
    plain: bool,
    /// No record of the file can match.
    none: bool,
}

impl FileScan<'_> {
    /// Whether no record of this file can match.
    pub fn rules_out_every_record(&self) -> bool {
        self.none
    }

    /// Whether the record at `range` of the file may match (true for a range outside the
    /// file: the caller's re-read reports it).
    pub fn may_match(&self, range: std::ops::Range<usize>) -> bool {
        let Some(raw) = self.bytes.get(range) else {
            return true;
        };
        if self.none {
            return false;
        }
        let p = self.prefilter;
        (!self.plain && !p.reads_as_written(raw)) || p.found_in(raw)
    }
}

/// Whether some record path in `raw` (JSON text) may hold two numbers in a row: an array
/// directly inside an array, an object key that starts with a digit, or one that ends
/// with a digit and holds an object or array. Errs towards true.
///
/// `raw` holds no backslash escape ([`RawPrefilter::may_match`] passes such records on
/// before asking), so every quote opens or closes a string and the keys are found by
/// pairing quotes in one forward pass (this runs on every record a dotted numeric needle
/// such as an IP address is not found in).
pub(crate) fn numeric_paths(raw: &[u8]) -> bool {
    debug_assert!(memchr::memchr(b'\\', raw).is_none());
    let skip_ws = |mut j: usize| {
        while raw.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        j
    };
    // Arrays in arrays: a `[` after a `[` or a `,` (in an object a comma is followed by
    // a key), whether first in its array or not (also inside a string: harmless).
    for i in memchr::memchr_iter(b'[', raw) {
        let before = raw[..i].iter().rev().find(|b| !b.is_ascii_whitespace());
        if matches!(before, Some(b'[' | b',')) {
            return true;
        }
    }
    // Keys: a string followed by a colon.
    let mut quotes = memchr::memchr_iter(b'"', raw);
    while let (Some(open), Some(close)) = (quotes.next(), quotes.next()) {
        let colon = skip_ws(close + 1);
        if raw.get(colon) != Some(&b':') {
            continue;
        }
        let key = &raw[open + 1..close];
        // A key ending in a digit only continues a path when it holds an object or array.
        let container = || matches!(raw.get(skip_ws(colon + 1)), Some(b'{' | b'['));
        match (key.first(), key.last()) {
            (Some(f), Some(l)) if f.is_ascii_digit() || (l.is_ascii_digit() && container()) => {
                return true
            }
            _ => {}
        }
    }
    false
}

/// Bytes of CloudTrail JSON, lower-cased, from rarest to most common (measured on generated
/// logs and the sample fixtures); bytes not listed are rarer still.
const BY_FREQUENCY: &[u8] = b"jqzxkh_#;@()[]{}+=7986g5f4wyb/v.03-p2umld,1coi:rntsae\" ";

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
    fn a_sketch_rules_out_a_file_only_when_its_scan_would() {
        use crate::sketch::FileSketch;
        let records = [
            r#"{"eventName":"RunInstances","requestParameters":{"instanceType":"m1.small","instancesSet":{"items":[{"imageId":"ami-1"}]}},"sourceIPAddress":"10.0.0.1"}"#,
            r#"{"eventName":"GetObject","userAgent":"a \"quoted\" agent"}"#,
            r#"{"eventName":"PutObject","userAgent":"Müller","a":[[1]]}"#,
            r#"{"eventName":"DeleteBucket","userAgent":"aws-cli/2.0 Python"}"#,
        ];
        let mut files: Vec<String> = records
            .iter()
            .map(|r| format!("{{\"Records\":[{r}]}}"))
            .collect();
        files.push(format!("{{\"Records\":[{},\n{}]}}", records[0], records[3]));
        type Query<'a> = (Vec<(String, String)>, Option<&'a str>);
        let queries: Vec<Query> = vec![
            (vec![], Some("RUNINSTANCES")),
            (vec![], Some("10.0.0.1")),
            (vec![], Some("10.0.0.9")),
            (vec![], Some("items.0.imageId")),
            (vec![], Some("items.9.imageId")),
            (vec![], Some("aws-cli/2.0 python")),
            (vec![], Some("aws-cli/3.0 python")),
            (vec![], Some("nothere")),
            (vec![], Some("müller")),
            (vec![("instanceType".into(), "m1.small".into())], None),
            (vec![("instanceType".into(), "m1.large".into())], None),
            (
                vec![("userAgent".into(), "aws-cli".into())],
                Some("deletebucket"),
            ),
        ];
        let (mut ruled_out, mut by_scan) = (0, 0);
        for file in &files {
            let sketch = FileSketch::of(file.as_bytes());
            for (fields, text) in &queries {
                let Some(p) = RawPrefilter::new(fields, *text) else {
                    continue;
                };
                by_scan += usize::from(p.scan(file.as_bytes()).rules_out_every_record());
                if p.rules_out_file(&sketch) {
                    ruled_out += 1;
                    assert!(
                        p.scan(file.as_bytes()).rules_out_every_record(),
                        "the sketch ruled out {file} for {fields:?} {text:?}"
                    );
                }
            }
        }
        // And it is useful: these files are small enough for their sketches to have no
        // false positives, so the sketch rules out exactly what the scan of the bytes does.
        assert_eq!((ruled_out, by_scan), (18, 18));
        let file = files[0].as_bytes();
        let ip = RawPrefilter::new(&[], Some("10.0.0.9")).unwrap();
        assert!(ip.rules_out_file(&FileSketch::of(file)));
        // Two numbers in a row in a path: the sketch of the file with `[[1]]` keeps it.
        let digits = RawPrefilter::new(&[], Some("1.0.0.9")).unwrap();
        assert!(!digits.rules_out_file(&FileSketch::of(files[2].as_bytes())));
    }

    #[test]
    fn numeric_paths_are_spotted() {
        assert!(!numeric_paths(br#"{"a":[{"b":1}],"c":"[x]","d":"5"}"#));
        assert!(numeric_paths(br#"{"a":[ [1]]}"#));
        // Regression: an array that is not the first element of its array (`a.1.0`) was
        // missed, so a search for that path hid the record.
        assert!(numeric_paths(br#"{"a":[1, [2]]}"#));
        assert!(!numeric_paths(br#"{"a":[1,2],"b":[{"c":[3]}]}"#));
        assert!(numeric_paths(br#"{"a":{"5b":1}}"#));
        assert!(numeric_paths(br#"{"a":{"b5" : {"c":1}}}"#));
        assert!(!numeric_paths(br#"{"a":{"x-amz-id-2":"abc"}}"#));
        // Escapes might hide a quote or a digit: such records are passed on before the
        // key scan (which assumes none), whatever they hold.
        let dotted = RawPrefilter::new(&[], Some("10.0")).unwrap();
        assert!(dotted.may_match(br#"{"a":{"\u0035":1}}"#));
        assert!(dotted.may_match(br#"{"p":"{\"Version\":2}"}"#));
        assert!(!dotted.may_match(br#"{"p":"{Version:2}"}"#));
        // Values starting with digits, or holding colons, are not keys; keys after them are.
        assert!(!numeric_paths(br#"{"p":"5: x","q":"5","r":["6"]}"#));
        assert!(numeric_paths(br#"{"p":"a b","c":{"7d":1}}"#));
    }

    /// Whether `hay` contains `needle` (lower-case) ignoring ASCII case, as the prefilter
    /// sees it.
    fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
        Needle::new(needle).found_in(hay)
    }

    /// How the free text of this prefilter is found.
    fn text_anchor(p: &RawPrefilter) -> &Anchor {
        &p.text.as_ref().unwrap().whole.anchor
    }

    #[test]
    fn contains_ignore_ascii_case_finds_at_edges() {
        assert!(contains_ignore_ascii_case(b"abcXYZ", b"xyz"));
        assert!(contains_ignore_ascii_case(b"XYZabc", b"xyz"));
        assert!(!contains_ignore_ascii_case(b"xy", b"xyz"));
        assert!(contains_ignore_ascii_case(b"-1-2", b"-2"));
        assert!(contains_ignore_ascii_case(b"", b""));
        // The rarest bytes anchor the scan, at any position of the needle.
        assert!(contains_ignore_ascii_case(b"aaaaJaa", b"aja"));
        assert!(contains_ignore_ascii_case(b"xaaaa", b"xa"));
        assert!(contains_ignore_ascii_case(b"aaaax", b"ax"));
        assert!(!contains_ignore_ascii_case(b"xaaaa", b"ax"));
        assert!(!contains_ignore_ascii_case(b"jaa", b"aja"));
        // Either case of the rarest byte, and candidates that fail before one that holds.
        assert!(contains_ignore_ascii_case(b"jx JAX aJA", b"aja"));
        assert!(!contains_ignore_ascii_case(b"jx JAX aJ", b"aja"));
        assert!(contains_ignore_ascii_case(
            b"ACME-Terraform",
            b"acme-terraform"
        ));
        // Anchored on a run without letters, at the needle's start, middle or end.
        assert!(contains_ignore_ascii_case(b"xx--1234Ab", b"1234ab"));
        assert!(contains_ignore_ascii_case(b"AB1234", b"ab1234"));
        assert!(contains_ignore_ascii_case(b"1234 aB-567-Cd", b"b-567-c"));
        assert!(!contains_ignore_ascii_case(b"1234 aB-567-Cd", b"b-567-x"));
        assert!(contains_ignore_ascii_case(b"a123a123b", b"123b"));
        // Long haystacks go through the vector scan, not only the short-input fallback.
        let long = format!(
            "{}ACME-terraform-STATE{}",
            "x1".repeat(500),
            "y2".repeat(500)
        );
        assert!(contains_ignore_ascii_case(
            long.as_bytes(),
            b"acme-terraform-state"
        ));
        assert!(!contains_ignore_ascii_case(
            long.as_bytes(),
            b"acme-terraform-stat3"
        ));
    }

    #[test]
    fn needles_without_letters_are_found_in_the_raw_bytes() {
        let ip = RawPrefilter::new(&[], Some("203.0.113.77")).unwrap();
        assert!(matches!(text_anchor(&ip), Anchor::None));
        assert!(ip.may_match(br#"{"sourceIPAddress":"203.0.113.77","eventName":"X"}"#));
        assert!(!ip.may_match(br#"{"sourceIPAddress":"203.0.113.78","eventName":"X"}"#));
        // Letters and no run of three other bytes: found by the rarest byte, either case.
        let mixed = RawPrefilter::new(&[], Some("i-0ABC")).unwrap();
        assert!(matches!(text_anchor(&mixed), Anchor::Byte(b'b', b'B', 4)));
        assert!(mixed.may_match(br#"{"instanceId":"I-0abc123"}"#));
        // A run of three or more bytes that are not letters anchors the search in the raw
        // bytes, checked around for the rest, whatever its case.
        let id = RawPrefilter::new(&[], Some("351DFE63-0c27-4ac1")).unwrap();
        assert!(matches!(text_anchor(&id), Anchor::Run(_, 6)));
        assert!(id.may_match(br#"{"requestID":"351dfe63-0C27-4AC1-8bf6"}"#));
        assert!(!id.may_match(br#"{"requestID":"351dfe64-0c27-4ac1-8bf6"}"#));
        assert!(!id.may_match(br#"{"a":"-4ac1","b":"351dfe63-0c27"}"#));
        let edge = RawPrefilter::new(&[], Some("x123")).unwrap();
        assert!(edge.may_match(b"123 X123"));
        assert!(!edge.may_match(b"123x 123"));
        let field = RawPrefilter::new(&[("instanceType".into(), "m1.small".into())], None).unwrap();
        assert!(field.may_match(br#"{"requestParameters":{"InstanceType":"M1.SMALL"}}"#));
        assert!(!field.may_match(br#"{"requestParameters":{"instanceType":"m1.large"}}"#));
    }
}
