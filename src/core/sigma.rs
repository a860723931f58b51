//! Sigma rules over CloudTrail records. Users bring their own SigmaHQ-format detections
//! (`logsource: product: aws, service: cloudtrail`); this module parses them once into a
//! small matcher tree and evaluates it over raw records (`serde_json::Value`), so the
//! findings they produce sit next to the built-in ones without the data leaving the tab.
//!
//! Semantics follow the Sigma specification: plain strings compare case-insensitively with
//! `*`/`?` wildcards (`\*`, `\?`, `\\` escape them), numbers and booleans compare by their
//! string form, value lists are ORed (ANDed with `|all`), `re` is an unanchored regular
//! expression (case-sensitive unless `|i`). Field paths descend through objects by dots
//! (a key that itself contains dots is found too) and through arrays, where any element may
//! match; a field that names an object matches when any value nested in it does (so
//! `requestParameters|contains: x` searches the whole request). Keywords (a list of plain
//! values) search every value of the record, as a substring. `field: null` and
//! `field|exists: false` both mean "no non-null value at that path".
//!
//! What this engine cannot evaluate (aggregations with `|`, `near`, `timeframe`, correlation
//! rules, `N of` for N other than 1, the encoding and comparison modifiers) is reported with
//! the construct named, and the rule is left out; nothing is silently ignored.

use regex_lite::{Regex, RegexBuilder};
use serde_json::Value;
use serde_yaml::Value as Yaml;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;

/// How deep parentheses and `not` may nest in a condition (bounds recursion on hostile text).
const MAX_CONDITION_DEPTH: usize = 64;
/// The most a rule's regular expression may compile to, in bytes (bounds hostile patterns).
const MAX_REGEX_SIZE: usize = 1 << 20;

/// One parsed Sigma rule that applies to CloudTrail.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    /// The rule's `id`, or a stable id derived from its title when it has none.
    pub id: String,
    /// The rule's `title`.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical` (default `medium`).
    pub level: String,
    /// The rule's `description` (may be empty).
    pub description: String,
    /// The rule's `author` (the Detection Rule License asks that it stays credited).
    pub author: String,
    /// The rule's `references` (URLs as written).
    pub references: Vec<String>,
    /// The rule's `tags` (e.g. `attack.t1078`).
    pub tags: Vec<String>,
    /// The rule's `falsepositives` notes.
    pub falsepositives: Vec<String>,
    detection: Detection,
}

/// A rule that could not be used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmaError {
    /// The file name, or `pasted`.
    pub source: String,
    /// The rule's title when it could be read, else empty.
    pub title: String,
    /// What is wrong or unsupported, naming the construct.
    pub reason: String,
}

impl fmt::Display for SigmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.title.is_empty() {
            write!(f, "{}: {}", self.source, self.reason)
        } else {
            write!(f, "{}: rule '{}': {}", self.source, self.title, self.reason)
        }
    }
}

impl std::error::Error for SigmaError {}

#[derive(Debug, Clone)]
struct Detection {
    searches: Vec<Search>,
    condition: Cond,
}

/// A search identifier: true when any alternative holds; an alternative is an AND of tests.
#[derive(Debug, Clone)]
struct Search {
    name: String,
    alternatives: Vec<Vec<FieldTest>>,
}

/// One `field|modifiers: values` line (or a keyword list when `field` is `None`).
#[derive(Debug, Clone)]
struct FieldTest {
    field: Option<String>,
    values: Vec<Matcher>,
    all: bool,
}

#[derive(Debug, Clone)]
enum Matcher {
    Text {
        pattern: Pattern,
        cased: bool,
    },
    /// A regular expression and a literal every match must contain (checked first: the
    /// small regex engine is slow, and most text fails the literal).
    Regex {
        re: Regex,
        required: Option<String>,
    },
    Cidr(Cidr),
    Null,
    Exists(bool),
    FieldRef {
        path: String,
        mode: Mode,
        cased: bool,
    },
}

/// A compiled string pattern; literals are already lowercased unless the test is `cased`.
#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Any,
    Glob(Vec<GlobToken>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum GlobToken {
    Char(char),
    One,
    Star,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    net: u128,
    mask: u128,
    v6: bool,
}

#[derive(Debug, Clone)]
enum Cond {
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl SigmaRule {
    /// Whether the record satisfies the rule's detection.
    pub fn matches(&self, record: &Value) -> bool {
        self.detection
            .condition
            .eval(&self.detection.searches, record)
    }

    /// Lowercased `eventName` values a matching record must have (`None`: any may match).
    fn required_event_names(&self) -> Option<BTreeSet<String>> {
        self.detection
            .condition
            .required_event_names(&self.detection.searches)
    }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// Parses every YAML document in `text` (separated by `---`) into rules; each document that
/// is malformed, not for CloudTrail, or uses something unsupported becomes one error.
pub fn parse_rules(text: &str, source: &str) -> (Vec<SigmaRule>, Vec<SigmaError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (number, (start_line, doc)) in split_documents(text).into_iter().enumerate() {
        let error = |title: String, reason: String| SigmaError {
            source: source.to_owned(),
            title,
            reason,
        };
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let yaml: Yaml = match serde_yaml::from_str(doc) {
            Ok(y) => y,
            Err(e) => {
                // The parser counts lines from the document's start; say where in the text.
                let mut message = e.to_string();
                if let Some(at) = e.location() {
                    message = message.replace(
                        &format!("at line {} column {}", at.line(), at.column()),
                        &format!(
                            "at line {} column {}",
                            at.line() + start_line - 1,
                            at.column()
                        ),
                    );
                }
                errors.push(error(
                    String::new(),
                    format!("invalid YAML in document {}: {message}", number + 1),
                ));
                continue;
            }
        };
        if yaml.is_null() {
            continue;
        }
        match rule_from_yaml(&yaml) {
            Ok(rule) => rules.push(rule),
            Err((title, reason)) => errors.push(error(title, reason)),
        }
    }
    (rules, errors)
}

/// Splits a YAML stream at `---` / `...` marker lines, so one bad document does not cost
/// the others. Returns each document with the 1-based line it starts on.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let is_marker = |m: &str| {
            line.starts_with(m) && line[3..].chars().next().is_none_or(|c| c.is_whitespace())
        };
        if is_marker("---") || is_marker("...") {
            docs.push((start_line, &text[start..offset]));
            // Content after `--- ` on the same line belongs to the next document.
            start = offset + 3;
            start_line = index + 1;
        } else if line.starts_with('%') && text[start..offset].trim().is_empty() {
            // A directive (`%YAML 1.2`) before a document: not part of any rule.
            start = offset + line.len();
            start_line = index + 2;
        }
        offset += line.len();
    }
    docs.push((start_line, &text[start..]));
    docs
}

type RuleError = (String, String);

fn rule_from_yaml(yaml: &Yaml) -> Result<SigmaRule, RuleError> {
    let Some(map) = yaml.as_mapping() else {
        return Err((
            String::new(),
            format!("a rule must be a YAML mapping, found {}", yaml_kind(yaml)),
        ));
    };
    let get = |k: &str| map.get(k);
    let title = get("title").and_then(scalar_string).unwrap_or_default();
    let fail = |reason: String| Err((title.clone(), reason));
    if get("correlation").is_some() {
        return fail("correlation rules are not supported".into());
    }
    if let Some(action) = get("action") {
        return fail(format!(
            "rule collections (action: {}) are not supported",
            scalar_string(action).unwrap_or_default()
        ));
    }
    if title.trim().is_empty() {
        return fail("missing 'title'".into());
    }
    let Some(logsource) = get("logsource").and_then(Yaml::as_mapping) else {
        return fail("missing 'logsource'".into());
    };
    let product = logsource
        .get("product")
        .and_then(scalar_string)
        .unwrap_or_default();
    let service = logsource
        .get("service")
        .and_then(scalar_string)
        .unwrap_or_default();
    if !product.eq_ignore_ascii_case("aws") || !service.eq_ignore_ascii_case("cloudtrail") {
        return fail(format!(
            "not for CloudTrail (logsource product '{product}', service '{service}'; \
             expected product 'aws', service 'cloudtrail')"
        ));
    }
    let Some(detection) = get("detection") else {
        return fail("missing 'detection'".into());
    };
    let detection =
        parse_detection(detection).map_err(|problems| (title.clone(), problems.join("; ")))?;

    let id = match get("id").and_then(scalar_string) {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => derived_id(&title),
    };
    let level = get("level")
        .and_then(scalar_string)
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| ["informational", "low", "medium", "high", "critical"].contains(&l.as_str()))
        .unwrap_or_else(|| "medium".to_owned());
    Ok(SigmaRule {
        id,
        title: title.clone(),
        level,
        description: get("description")
            .and_then(scalar_string)
            .unwrap_or_default(),
        author: get("author").and_then(scalar_string).unwrap_or_default(),
        references: string_list(get("references")),
        tags: string_list(get("tags")),
        falsepositives: string_list(get("falsepositives")),
        detection,
    })
}

/// A stable id for a rule without one: the same title always gives the same id.
fn derived_id(title: &str) -> String {
    let digest = Sha256::digest(title.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sigma-{hex}")
}

fn yaml_kind(y: &Yaml) -> &'static str {
    match y {
        Yaml::Null => "null",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a mapping",
        Yaml::Tagged(_) => "a tagged value",
    }
}

/// The string form of a YAML scalar, as Sigma compares it (`true`, `443`, `text`).
fn scalar_string(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(y: Option<&Yaml>) -> Vec<String> {
    match y {
        Some(Yaml::Sequence(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(other) => scalar_string(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn parse_detection(y: &Yaml) -> Result<Detection, Vec<String>> {
    let Some(map) = y.as_mapping() else {
        return Err(vec![format!(
            "'detection' must be a mapping, found {}",
            yaml_kind(y)
        )]);
    };
    let mut problems = Vec::new();
    let mut searches = Vec::new();
    let mut condition_text = None;
    for (key, value) in map {
        let Some(name) = scalar_string(key) else {
            problems.push(format!(
                "detection keys must be names, found {}",
                yaml_kind(key)
            ));
            continue;
        };
        match name.as_str() {
            "condition" => condition_text = Some(value),
            "timeframe" => {
                problems.push("'timeframe' (aggregation windows) is not supported".into())
            }
            _ => match parse_search(&name, value) {
                Ok(alternatives) => searches.push(Search { name, alternatives }),
                Err(mut p) => problems.append(&mut p),
            },
        }
    }
    let condition = match condition_text {
        None => {
            problems.push("missing 'condition'".into());
            None
        }
        Some(Yaml::Sequence(items)) => {
            // Older rules list several conditions: any of them fires the rule.
            let mut parts = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(text) => match parse_condition(text, &searches) {
                        Ok(c) => parts.push(c),
                        Err(p) => problems.push(p),
                    },
                    None => problems.push(format!(
                        "each condition must be text, found {}",
                        yaml_kind(item)
                    )),
                }
            }
            if items.is_empty() {
                problems.push("'condition' is an empty list".into());
            }
            Some(Cond::Or(parts))
        }
        Some(other) => match other.as_str() {
            Some(text) => match parse_condition(text, &searches) {
                Ok(c) => Some(c),
                Err(p) => {
                    problems.push(p);
                    None
                }
            },
            None => {
                problems.push(format!(
                    "'condition' must be text, found {}",
                    yaml_kind(other)
                ));
                None
            }
        },
    };
    match condition {
        Some(condition) if problems.is_empty() => Ok(Detection {
            searches,
            condition,
        }),
        _ => Err(problems),
    }
}

/// One search identifier's value: a map (AND), a list of maps (OR), or keywords.
fn parse_search(name: &str, y: &Yaml) -> Result<Vec<Vec<FieldTest>>, Vec<String>> {
    let mut problems = Vec::new();
    let mut alternatives = Vec::new();
    let mut keywords = Vec::new();
    let items: Vec<&Yaml> = match y {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    if items.is_empty() {
        problems.push(format!("search '{name}' is an empty list"));
    }
    for item in items {
        match item {
            Yaml::Mapping(map) => {
                if map.is_empty() {
                    problems.push(format!("search '{name}' has an empty selection"));
                }
                let mut tests = Vec::new();
                for (key, value) in map {
                    let Some(key) = scalar_string(key) else {
                        problems.push(format!(
                            "search '{name}': field names must be text, found {}",
                            yaml_kind(key)
                        ));
                        continue;
                    };
                    match parse_field_test(&key, value) {
                        Ok(t) => tests.push(t),
                        Err(p) => problems.push(format!("search '{name}': {p}")),
                    }
                }
                alternatives.push(tests);
            }
            Yaml::String(_) | Yaml::Number(_) | Yaml::Bool(_) => keywords.push(item.clone()),
            other => problems.push(format!(
                "search '{name}': expected a field mapping or keywords, found {}",
                yaml_kind(other)
            )),
        }
    }
    if !keywords.is_empty() {
        match parse_field_test("", &Yaml::Sequence(keywords)) {
            Ok(t) => alternatives.push(vec![t]),
            Err(p) => problems.push(format!("search '{name}': {p}")),
        }
    }
    if problems.is_empty() {
        Ok(alternatives)
    } else {
        Err(problems)
    }
}

/// Parses `field|mod|mod: value(s)`; an empty field name means a keyword search.
fn parse_field_test(key: &str, value: &Yaml) -> Result<FieldTest, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim().to_owned();
    let shown = if field.is_empty() {
        "keywords".to_owned()
    } else {
        format!("field '{field}'")
    };
    let mut mode = None;
    let mut all = false;
    let mut regex = false;
    let mut regex_flags = (false, false, false);
    let mut cidr = false;
    let mut exists = false;
    let mut fieldref = false;
    let mut cased = false;
    for m in parts {
        let m = m.trim();
        let set_mode = |mode: &mut Option<Mode>, new: Mode| match mode {
            Some(_) => Err(format!(
                "{shown}: only one of contains, startswith, endswith may be used"
            )),
            None => {
                *mode = Some(new);
                Ok(())
            }
        };
        match m {
            "contains" => set_mode(&mut mode, Mode::Contains)?,
            "startswith" => set_mode(&mut mode, Mode::StartsWith)?,
            "endswith" => set_mode(&mut mode, Mode::EndsWith)?,
            "all" => all = true,
            "re" => regex = true,
            "i" | "m" | "s" if regex => match m {
                "i" => regex_flags.0 = true,
                "m" => regex_flags.1 = true,
                _ => regex_flags.2 = true,
            },
            "i" | "m" | "s" => {
                return Err(format!("{shown}: modifier '{m}' only applies after 're'"))
            }
            "cidr" => cidr = true,
            "exists" => exists = true,
            "fieldref" => fieldref = true,
            "cased" => cased = true,
            "base64" | "base64offset" | "utf16" | "utf16le" | "utf16be" | "wide" | "windash"
            | "gt" | "gte" | "lt" | "lte" | "expand" | "minute" | "hour" | "day" | "week"
            | "month" | "year" => return Err(format!("{shown}: modifier '{m}' is not supported")),
            "" => return Err(format!("{shown}: empty modifier (stray '|')")),
            other => return Err(format!("{shown}: unknown modifier '{other}'")),
        }
    }
    let special = [regex, cidr, exists, fieldref]
        .iter()
        .filter(|b| **b)
        .count();
    if special > 1 || (special == 1 && mode.is_some() && !fieldref) {
        return Err(format!(
            "{shown}: modifiers re, cidr, exists, fieldref cannot be combined with each other \
             or (except fieldref) with contains/startswith/endswith"
        ));
    }
    if cased && (regex || cidr || exists) {
        return Err(format!("{shown}: 'cased' applies only to plain strings"));
    }
    if field.is_empty() && (exists || fieldref) {
        return Err(format!(
            "{shown}: 'exists' and 'fieldref' need a field name"
        ));
    }
    let raw: Vec<&Yaml> = match value {
        Yaml::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    if raw.is_empty() {
        return Err(format!("{shown}: empty value list"));
    }
    let mode_or = |default| mode.unwrap_or(default);
    let mut values = Vec::with_capacity(raw.len());
    for v in raw {
        if let Yaml::Null = v {
            if field.is_empty() || special > 0 || mode.is_some() || cased {
                return Err(format!("{shown}: null cannot be used here"));
            }
            values.push(Matcher::Null);
            continue;
        }
        let Some(text) = scalar_string(v) else {
            return Err(format!(
                "{shown}: values must be strings, numbers, booleans or null, found {}",
                yaml_kind(v)
            ));
        };
        let matcher = if exists {
            match text.trim().to_ascii_lowercase().as_str() {
                "true" => Matcher::Exists(true),
                "false" => Matcher::Exists(false),
                _ => return Err(format!("{shown}: 'exists' takes true or false")),
            }
        } else if regex {
            let compiled = RegexBuilder::new(&text)
                .case_insensitive(regex_flags.0)
                .multi_line(regex_flags.1)
                .dot_matches_new_line(regex_flags.2)
                .size_limit(MAX_REGEX_SIZE)
                .nest_limit(64)
                .build()
                .map_err(|e| format!("{shown}: bad regular expression: {e}"))?;
            Matcher::Regex {
                re: compiled,
                // Case-insensitive matching may fold non-ASCII letters onto ASCII ones.
                required: if regex_flags.0 {
                    None
                } else {
                    required_literal(&text)
                },
            }
        } else if cidr {
            Matcher::Cidr(
                parse_cidr(text.trim())
                    .ok_or_else(|| format!("{shown}: '{text}' is not a CIDR block"))?,
            )
        } else if fieldref {
            if text.trim().is_empty() {
                return Err(format!("{shown}: 'fieldref' needs a field name"));
            }
            Matcher::FieldRef {
                path: text.trim().to_owned(),
                mode: mode_or(Mode::Equals),
                cased,
            }
        } else {
            // Keywords search inside values; fields compare whole values by default.
            let default = if field.is_empty() {
                Mode::Contains
            } else {
                Mode::Equals
            };
            Matcher::Text {
                pattern: Pattern::compile(&text, mode_or(default), cased),
                cased,
            }
        };
        values.push(matcher);
    }
    Ok(FieldTest {
        field: (!field.is_empty()).then_some(field),
        values,
        all,
    })
}

/// The longest literal that every match of `pattern` contains, read conservatively: only
/// top-level literals (outside groups and classes) in a pattern without alternation or
/// inline flags; anything unclear gives `None` (no prefilter), never a wrong literal.
fn required_literal(pattern: &str) -> Option<String> {
    if pattern.contains('|') || pattern.contains("(?") {
        return None;
    }
    let mut best = String::new();
    let mut run = String::new();
    let mut depth = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => match chars.next()? {
                n if n.is_ascii_punctuation() => Some(n),
                // Classes and assertions: no literal, and no characters of their own follow.
                'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'A' | 'z' | 'n' | 't' | 'r'
                | 'f' | 'v' => None,
                // `\x41`, `\p{L}`, `\u{..}`: characters follow that are not literals.
                _ => return None,
            },
            '(' => {
                depth += 1;
                None
            }
            ')' => {
                depth = depth.checked_sub(1)?;
                None
            }
            '[' => {
                skip_class(&mut chars)?;
                None
            }
            '{' => {
                // A counted repetition: skip its body.
                for n in chars.by_ref() {
                    if n == '}' {
                        break;
                    }
                }
                None
            }
            '.' | '^' | '$' | '}' | '*' | '+' | '?' | ']' => None,
            other => Some(other),
        };
        match literal {
            Some(l) if depth == 0 => match chars.peek() {
                // The character may be absent: it is not required.
                Some('?' | '*' | '{') => end_run(&mut run, &mut best),
                // Required at least once, but what follows need not be adjacent.
                Some('+') => {
                    run.push(l);
                    end_run(&mut run, &mut best);
                }
                _ => run.push(l),
            },
            _ => end_run(&mut run, &mut best),
        }
    }
    end_run(&mut run, &mut best);
    (!best.is_empty()).then_some(best)
}

fn end_run(run: &mut String, best: &mut String) {
    if run.chars().count() > best.chars().count() {
        *best = std::mem::take(run);
    }
    run.clear();
}

/// Skips a bracketed class after its `[` (nested classes, escapes, a leading `]`).
fn skip_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<()> {
    let mut depth = 1;
    let mut first = true;
    if chars.peek() == Some(&'^') {
        chars.next();
    }
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next()?;
            }
            ']' if first => {}
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(());
                }
            }
            _ => {}
        }
        first = false;
    }
    None
}

fn parse_cidr(text: &str) -> Option<Cidr> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u32>().ok()?)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let (value, width, v6) = match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32, false),
        IpAddr::V6(a) => (u128::from(a), 128, true),
    };
    let bits = bits.unwrap_or(width);
    if bits > width {
        return None;
    }
    let host_bits = width - bits;
    let mask = if bits == 0 {
        0
    } else {
        (u128::MAX >> (128 - width)) >> host_bits << host_bits
    };
    Some(Cidr {
        net: value & mask,
        mask,
        v6,
    })
}

impl Cidr {
    fn contains(&self, text: &str) -> bool {
        let Ok(addr) = text.trim().parse::<IpAddr>() else {
            return false;
        };
        let (value, v6) = match addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), false),
            IpAddr::V6(a) => (u128::from(a), true),
        };
        v6 == self.v6 && value & self.mask == self.net
    }
}

impl Pattern {
    /// Compiles a Sigma string value: wildcards, escapes, the mode, and case folding.
    fn compile(text: &str, mode: Mode, cased: bool) -> Pattern {
        let mut tokens = Vec::new();
        if matches!(mode, Mode::Contains | Mode::EndsWith) {
            tokens.push(GlobToken::Star);
        }
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        tokens.push(GlobToken::Char(next));
                    }
                    _ => tokens.push(GlobToken::Char('\\')),
                },
                '*' => tokens.push(GlobToken::Star),
                '?' => tokens.push(GlobToken::One),
                c => tokens.push(GlobToken::Char(c)),
            }
        }
        if matches!(mode, Mode::Contains | Mode::StartsWith) {
            tokens.push(GlobToken::Star);
        }
        tokens.dedup_by(|a, b| *a == GlobToken::Star && *b == GlobToken::Star);
        Pattern::from_tokens(tokens, cased)
    }

    /// A literal (no wildcards) compared by `mode`, as `fieldref` needs.
    fn literal(text: &str, mode: Mode, cased: bool) -> Pattern {
        let text = if cased {
            text.to_owned()
        } else {
            text.to_lowercase()
        };
        match mode {
            Mode::Equals => Pattern::Exact(text),
            Mode::Contains => Pattern::Contains(text),
            Mode::StartsWith => Pattern::Prefix(text),
            Mode::EndsWith => Pattern::Suffix(text),
        }
    }

    fn from_tokens(tokens: Vec<GlobToken>, cased: bool) -> Pattern {
        let fold = |s: String| if cased { s } else { s.to_lowercase() };
        let inner_wild = |t: &[GlobToken]| t.iter().any(|t| !matches!(t, GlobToken::Char(_)));
        let text = |t: &[GlobToken]| -> String {
            t.iter()
                .filter_map(|t| match t {
                    GlobToken::Char(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let starts = tokens.first() == Some(&GlobToken::Star);
        let ends = tokens.len() > 1 && tokens.last() == Some(&GlobToken::Star);
        if tokens.iter().all(|t| *t == GlobToken::Star) && !tokens.is_empty() {
            return Pattern::Any;
        }
        let core = &tokens[usize::from(starts)..tokens.len() - usize::from(ends)];
        if !inner_wild(core) {
            let lit = fold(text(core));
            return match (starts, ends) {
                (false, false) => Pattern::Exact(lit),
                (true, true) => Pattern::Contains(lit),
                (false, true) => Pattern::Prefix(lit),
                (true, false) => Pattern::Suffix(lit),
            };
        }
        if cased {
            return Pattern::Glob(tokens);
        }
        let mut folded = Vec::with_capacity(tokens.len());
        for t in tokens {
            match t {
                GlobToken::Char(c) => folded.extend(c.to_lowercase().map(GlobToken::Char)),
                other => folded.push(other),
            }
        }
        Pattern::Glob(folded)
    }

    /// Whether `s` matches; `cased` says the pattern was not folded.
    fn matches(&self, s: &str, cased: bool) -> bool {
        if cased {
            return self.matches_folded(s);
        }
        if s.is_ascii() {
            // Folding ASCII needs no allocation; a lowercased pattern has no ASCII capitals.
            return match self {
                Pattern::Exact(p) => s.eq_ignore_ascii_case(p),
                Pattern::Prefix(p) => {
                    s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
                }
                Pattern::Suffix(p) => {
                    s.len() >= p.len()
                        && s.as_bytes()[s.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
                }
                Pattern::Contains(p) => ascii_contains_ignore_case(s.as_bytes(), p.as_bytes()),
                Pattern::Any => true,
                Pattern::Glob(_) => self.matches_folded(&s.to_ascii_lowercase()),
            };
        }
        self.matches_folded(&s.to_lowercase())
    }

    fn matches_folded(&self, s: &str) -> bool {
        match self {
            Pattern::Exact(p) => s == p,
            Pattern::Prefix(p) => s.starts_with(p.as_str()),
            Pattern::Suffix(p) => s.ends_with(p.as_str()),
            Pattern::Contains(p) => s.contains(p.as_str()),
            Pattern::Any => true,
            Pattern::Glob(tokens) => {
                let chars: Vec<char> = s.chars().collect();
                glob_match(tokens, &chars)
            }
        }
    }
}

fn ascii_contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if needle.len() > hay.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

/// Wildcard matching with backtracking to the last `*` (linear in practice, O(n·m) worst).
fn glob_match(tokens: &[GlobToken], text: &[char]) -> bool {
    let (mut t, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(GlobToken::Star) => {
                star = Some((t, s));
                t += 1;
                continue;
            }
            Some(GlobToken::One) => {
                t += 1;
                s += 1;
                continue;
            }
            Some(GlobToken::Char(c)) if *c == text[s] => {
                t += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, ss)) => {
                t = st + 1;
                s = ss + 1;
                star = Some((st, ss + 1));
            }
            None => return false,
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|t| *t == GlobToken::Star)
}

// ---------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn parse_condition(text: &str, searches: &[Search]) -> Result<Cond, String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("near")))
    {
        return Err("condition uses 'near', which is not supported".into());
    }
    if let Some((_, aggregation)) = text.split_once('|') {
        return Err(format!(
            "condition uses an aggregation ('| {}'), which is not supported (count() and \
             other aggregations need a correlation engine)",
            aggregation.trim()
        ));
    }
    if tokens.is_empty() {
        return Err("'condition' is empty".into());
    }
    let mut parser = ConditionParser {
        tokens,
        pos: 0,
        searches,
    };
    let cond = parser.or(0)?;
    match parser.tokens.get(parser.pos) {
        None => Ok(cond),
        Some(t) => Err(format!(
            "condition: unexpected {} after a complete expression",
            token_text(t)
        )),
    }
}

fn token_text(t: &Token) -> String {
    match t {
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Word(w) => format!("'{w}'"),
    }
}

struct ConditionParser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    searches: &'a [Search],
}

impl ConditionParser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Cond, String> {
        let mut parts = vec![self.and(depth)?];
        while self.peek_word("or") {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, String> {
        let mut parts = vec![self.not(depth)?];
        while self.peek_word("and") {
            self.pos += 1;
            parts.push(self.not(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, String> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(format!(
                "condition nests deeper than {MAX_CONDITION_DEPTH} levels"
            ));
        }
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, String> {
        let Some(token) = self.tokens.get(self.pos).cloned() else {
            return Err("condition ends where an expression was expected".into());
        };
        self.pos += 1;
        match token {
            Token::Open => {
                let inner = self.or(depth + 1)?;
                match self.tokens.get(self.pos) {
                    Some(Token::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err("condition: missing ')'".into()),
                }
            }
            Token::Close => Err("condition: unexpected ')'".into()),
            Token::Word(w) => {
                if self.peek_word("of") {
                    self.pos += 1;
                    return self.quantifier(&w);
                }
                let lower = w.to_ascii_lowercase();
                if ["and", "or", "not", "of", "them"].contains(&lower.as_str()) {
                    return Err(format!("condition: unexpected '{w}'"));
                }
                match self.searches.iter().position(|s| s.name == w) {
                    Some(i) => Ok(Cond::Search(i)),
                    None => Err(format!(
                        "condition names '{w}', which is not a search in 'detection'"
                    )),
                }
            }
        }
    }

    /// `1 of X*`, `all of X*`, `1 of them`, `all of them`.
    fn quantifier(&mut self, count: &str) -> Result<Cond, String> {
        let any = match count.to_ascii_lowercase().as_str() {
            "1" | "any" => true,
            "all" => false,
            n if n.parse::<u64>().is_ok() => {
                return Err(format!(
                    "condition uses '{n} of', which is not supported (only '1 of' and 'all of')"
                ))
            }
            _ => return Err(format!("condition: '{count} of' is not a quantifier")),
        };
        let Some(Token::Word(target)) = self.tokens.get(self.pos).cloned() else {
            return Err(format!(
                "condition: '{count} of' needs a name pattern or 'them'"
            ));
        };
        self.pos += 1;
        let indexes: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            // `them` leaves out identifiers starting with `_`, as the specification says.
            (0..self.searches.len())
                .filter(|i| !self.searches[*i].name.starts_with('_'))
                .collect()
        } else {
            let pattern: Vec<GlobToken> = target
                .chars()
                .map(|c| match c {
                    '*' => GlobToken::Star,
                    c => GlobToken::Char(c),
                })
                .collect();
            (0..self.searches.len())
                .filter(|i| {
                    let name: Vec<char> = self.searches[*i].name.chars().collect();
                    glob_match(&pattern, &name)
                })
                .collect()
        };
        if indexes.is_empty() {
            return Err(format!(
                "condition: '{count} of {target}' matches no search in 'detection'"
            ));
        }
        let parts = indexes.into_iter().map(Cond::Search).collect();
        Ok(if any {
            Cond::Or(parts)
        } else {
            Cond::And(parts)
        })
    }
}

impl Cond {
    fn eval(&self, searches: &[Search], record: &Value) -> bool {
        match self {
            Cond::Search(i) => searches.get(*i).is_some_and(|s| s.matches(record)),
            Cond::Not(c) => !c.eval(searches, record),
            Cond::And(parts) => parts.iter().all(|c| c.eval(searches, record)),
            Cond::Or(parts) => parts.iter().any(|c| c.eval(searches, record)),
        }
    }

    /// A superset of the lowercased eventNames of records this condition can match.
    fn required_event_names(&self, searches: &[Search]) -> Option<BTreeSet<String>> {
        match self {
            Cond::Search(i) => searches.get(*i)?.required_event_names(),
            // A negation can match records of any name.
            Cond::Not(_) => None,
            Cond::And(parts) => parts
                .iter()
                .map(|c| c.required_event_names(searches))
                .fold(None, intersect),
            Cond::Or(parts) => union_all(parts.iter().map(|c| c.required_event_names(searches))),
        }
    }
}

/// Intersection where `None` is "every name".
fn intersect(a: Option<BTreeSet<String>>, b: Option<BTreeSet<String>>) -> Option<BTreeSet<String>> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
    }
}

/// Union where `None` is "every name".
fn union_all(sets: impl Iterator<Item = Option<BTreeSet<String>>>) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for s in sets {
        out.extend(s?);
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

impl Search {
    fn matches(&self, record: &Value) -> bool {
        self.alternatives
            .iter()
            .any(|tests| tests.iter().all(|t| t.matches(record)))
    }

    fn required_event_names(&self) -> Option<BTreeSet<String>> {
        union_all(self.alternatives.iter().map(|tests| {
            tests
                .iter()
                .map(FieldTest::required_event_names)
                .fold(None, intersect)
        }))
    }
}

impl FieldTest {
    fn matches(&self, record: &Value) -> bool {
        let check = |m: &Matcher| self.matcher_holds(m, record);
        if self.all {
            self.values.iter().all(check)
        } else {
            self.values.iter().any(check)
        }
    }

    fn matcher_holds(&self, m: &Matcher, record: &Value) -> bool {
        let Some(path) = &self.field else {
            return any_leaf(record, &mut |s| m.matches_text(s));
        };
        match m {
            Matcher::Null => !present(record, path),
            Matcher::Exists(want) => present(record, path) == *want,
            Matcher::FieldRef {
                path: other,
                mode,
                cased,
            } => visit(record, other, &mut |item| {
                item.is_some_and(|v| {
                    any_leaf(v, &mut |reference| {
                        let pattern = Pattern::literal(reference, *mode, *cased);
                        visit(record, path, &mut |mine| {
                            mine.is_some_and(|x| any_leaf(x, &mut |s| pattern.matches(s, *cased)))
                        })
                    })
                })
            }),
            _ => visit(record, path, &mut |item| {
                item.is_some_and(|v| any_leaf(v, &mut |s| m.matches_text(s)))
            }),
        }
    }

    /// The lowercased eventNames this test allows, when it is an exact test on `eventName`.
    fn required_event_names(&self) -> Option<BTreeSet<String>> {
        if self.field.as_deref() != Some("eventName") {
            return None;
        }
        let mut names = BTreeSet::new();
        for m in &self.values {
            match m {
                Matcher::Text {
                    pattern: Pattern::Exact(p),
                    cased,
                } => names.insert(if *cased { p.to_lowercase() } else { p.clone() }),
                _ => return None,
            };
        }
        Some(names)
    }
}

impl Matcher {
    fn matches_text(&self, s: &str) -> bool {
        match self {
            Matcher::Text { pattern, cased } => pattern.matches(s, *cased),
            Matcher::Regex { re, required } => {
                required.as_deref().is_none_or(|lit| s.contains(lit)) && re.is_match(s)
            }
            Matcher::Cidr(c) => c.contains(s),
            // Handled by the caller: they test presence, not text.
            Matcher::Null | Matcher::Exists(_) | Matcher::FieldRef { .. } => false,
        }
    }
}

/// Whether some non-null value sits at `path`.
fn present(record: &Value, path: &str) -> bool {
    visit(record, path, &mut |item| item.is_some_and(|v| !v.is_null()))
}

/// Calls `f` with each value at `path` (fanning out over arrays; `None` where the path is
/// missing) until it returns true. A key may itself contain dots (`a.b` as one key).
fn visit<'a>(value: &'a Value, path: &str, f: &mut dyn FnMut(Option<&'a Value>) -> bool) -> bool {
    match value {
        Value::Array(items) if items.is_empty() => f(None),
        Value::Array(items) => items.iter().any(|item| visit(item, path, f)),
        _ if path.is_empty() => f(Some(value)),
        Value::Object(map) => {
            let mut found = false;
            let whole = map.get(path);
            if let Some(child) = whole {
                found = true;
                if visit(child, "", f) {
                    return true;
                }
            }
            for (dot, _) in path.match_indices('.') {
                if let Some(child) = map.get(&path[..dot]) {
                    found = true;
                    if visit(child, &path[dot + 1..], f) {
                        return true;
                    }
                }
            }
            !found && f(None)
        }
        _ => f(None),
    }
}

/// Calls `f` with the string form of every scalar in `value` (recursively) until it is true.
fn any_leaf(value: &Value, f: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(s) => f(s),
        Value::Number(n) => f(&n.to_string()),
        Value::Bool(b) => f(if *b { "true" } else { "false" }),
        Value::Null => false,
        Value::Array(items) => items.iter().any(|v| any_leaf(v, f)),
        Value::Object(map) => map.values().any(|v| any_leaf(v, f)),
    }
}

// ---------------------------------------------------------------------------------------
// Rule sets
// ---------------------------------------------------------------------------------------

/// Rules indexed by the `eventName` values they require, so that a record is tried only
/// against rules that could match it.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<SigmaRule>,
    /// Rules that can match records of any eventName.
    any_name: Vec<usize>,
    /// Lowercased eventName -> every rule that can match it (sorted, includes `any_name`).
    by_name: HashMap<String, Vec<usize>>,
}

impl RuleSet {
    /// Indexes the rules.
    pub fn new(rules: Vec<SigmaRule>) -> Self {
        let mut any_name = Vec::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.required_event_names() {
                None => any_name.push(i),
                Some(names) => {
                    for name in names {
                        by_name.entry(name).or_default().push(i);
                    }
                }
            }
        }
        for list in by_name.values_mut() {
            list.extend_from_slice(&any_name);
            list.sort_unstable();
            list.dedup();
        }
        RuleSet {
            rules,
            any_name,
            by_name,
        }
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[SigmaRule] {
        &self.rules
    }

    /// Indexes (into `rules()`, ascending) of the rules the record matches: exactly what
    /// trying every rule would give.
    pub fn matching(&self, record: &Value) -> Vec<usize> {
        let candidates: Box<dyn Iterator<Item = usize>> =
            match record.get("eventName").and_then(Value::as_str) {
                Some(name) => {
                    let key = name.to_lowercase();
                    Box::new(
                        self.by_name
                            .get(&key)
                            .unwrap_or(&self.any_name)
                            .iter()
                            .copied(),
                    )
                }
                // No string eventName (missing, or an odd type): every rule is a candidate.
                None => Box::new(0..self.rules.len()),
            };
        candidates
            .filter(|i| self.rules.get(*i).is_some_and(|r| r.matches(record)))
            .collect()
    }

    /// The lowercased eventNames some rule can match; `None` when some rule can match any
    /// eventName (every record must be read). Records whose `eventName` is missing or not
    /// a string must always be tried, and names compare lowercased.
    pub fn event_names(&self) -> Option<BTreeSet<String>> {
        if self.any_name.is_empty() {
            Some(self.by_name.keys().cloned().collect())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A CloudTrail rule around the given `detection:` body (indented by the caller).
    fn rule_text(detection: &str) -> String {
        format!(
            "title: Test rule\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}\n"
        )
    }

    fn rule(detection: &str) -> SigmaRule {
        let (mut rules, errors) = parse_rules(&rule_text(detection), "test");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rules.len(), 1);
        rules.remove(0)
    }

    fn reason(detection: &str) -> String {
        let (rules, errors) = parse_rules(&rule_text(detection), "test");
        assert!(rules.is_empty(), "expected an error for {detection}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].reason.clone()
    }

    fn login(name: &str) -> Value {
        json!({
            "eventName": name,
            "eventSource": "signin.amazonaws.com",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
            "readOnly": false,
            "userIdentity": {"type": "IAMUser", "userName": "alice",
                             "arn": "arn:aws:iam::111122223333:user/alice"},
            "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"},
            "responseElements": {"ConsoleLogin": "Success", "port": 443},
            "requestParameters": null,
            "resources": [{"ARN": "arn:aws:s3:::one", "type": "AWS::S3::Bucket"},
                          {"ARN": "arn:aws:s3:::two", "type": "AWS::S3::Object"}],
            "tags.with.dots": "literal"
        })
    }

    #[test]
    fn plain_values_compare_whole_and_ignore_case() {
        let r = rule("  selection:\n    eventName: consolelogin\n  condition: selection");
        assert!(r.matches(&login("ConsoleLogin")));
        assert!(!r.matches(&login("ConsoleLoginX")));
        assert!(!r.matches(&login("Console")));
        let r = rule("  selection:\n    eventName: 'ÉVÉNEMENT'\n  condition: selection");
        assert!(r.matches(&login("événement")));
        assert!(!r.matches(&login("evenement")));
    }

    #[test]
    fn wildcards_and_escapes() {
        let r = rule("  selection:\n    eventName: 'Console*'\n  condition: selection");
        assert!(r.matches(&login("consoleLogin")));
        assert!(!r.matches(&login("GetConsole")));
        let r = rule("  selection:\n    eventName: 'C?nsole*n'\n  condition: selection");
        assert!(r.matches(&login("ConsoleLogin")));
        assert!(r.matches(&login("canSOLEn")));
        assert!(!r.matches(&login("CnsoleLogin")));
        let r = rule("  selection:\n    eventName: 'a\\*b'\n  condition: selection");
        assert!(r.matches(&login("a*b")));
        assert!(!r.matches(&login("axb")));
        let r = rule("  selection:\n    eventName: 'a\\?b\\\\c\\d'\n  condition: selection");
        assert!(r.matches(&login("a?b\\c\\d")));
        assert!(!r.matches(&login("axb\\c\\d")));
        let r = rule("  selection:\n    eventName: '*'\n  condition: selection");
        assert!(r.matches(&login("")));
        assert!(!r.matches(&json!({"eventSource": "x"})));
    }

    #[test]
    fn value_lists_are_ored_and_all_ands_them() {
        let r = rule("  selection:\n    eventName:\n      - StopLogging\n      - ConsoleLogin\n  condition: selection");
        assert!(r.matches(&login("ConsoleLogin")));
        assert!(r.matches(&login("StopLogging")));
        assert!(!r.matches(&login("DeleteTrail")));
        let r = rule("  selection:\n    userAgent|contains|all:\n      - mozilla\n      - linux\n  condition: selection");
        assert!(r.matches(&login("x")));
        let mut other = login("x");
        other["userAgent"] = json!("Mozilla/5.0 (Windows NT 10.0)");
        assert!(!r.matches(&other));
    }

    #[test]
    fn selection_maps_and_and_lists_of_maps_or() {
        let r = rule("  selection:\n    eventName: ConsoleLogin\n    userIdentity.type: Root\n  condition: selection");
        assert!(!r.matches(&login("ConsoleLogin")));
        let mut root = login("ConsoleLogin");
        root["userIdentity"]["type"] = json!("Root");
        assert!(r.matches(&root));
        let r = rule("  selection:\n    - eventName: DeleteTrail\n    - userIdentity.type: IAMUser\n      eventSource: nope\n    - sourceIPAddress: 203.0.113.7\n  condition: selection");
        assert!(r.matches(&login("x")));
        let mut other = login("x");
        other["sourceIPAddress"] = json!("198.51.100.1");
        assert!(!r.matches(&other));
        other["eventName"] = json!("DeleteTrail");
        assert!(r.matches(&other));
    }

    #[test]
    fn dotted_paths_descend_objects_arrays_and_dotted_keys() {
        let r = rule("  selection:\n    resources.type: 'AWS::S3::Object'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r =
            rule("  selection:\n    resources.type: 'AWS::EC2::Instance'\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let r = rule("  selection:\n    tags.with.dots: literal\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    additionalEventData.MFAUsed: 'No'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    additionalEventData.mfaused: 'No'\n  condition: selection");
        assert!(!r.matches(&login("x")), "field names are case-sensitive");
        let r =
            rule("  selection:\n    userIdentity.userName.deeper: alice\n  condition: selection");
        assert!(!r.matches(&login("x")));
    }

    #[test]
    fn a_field_naming_an_object_searches_its_values() {
        let r = rule("  selection:\n    responseElements|contains: succ\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule(
            "  selection:\n    responseElements|contains: ConsoleLogin\n  condition: selection",
        );
        assert!(!r.matches(&login("x")), "keys are not values");
        let r = rule("  selection:\n    resources|endswith: ':::two'\n  condition: selection");
        assert!(r.matches(&login("x")));
    }

    #[test]
    fn contains_startswith_endswith() {
        let r = rule("  selection:\n    userAgent|contains: 'X11'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|contains: 'X12'\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|startswith: 'mozilla/'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|startswith: 'x11'\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|endswith: 'X86_64)'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|endswith: 'mozilla'\n  condition: selection");
        assert!(!r.matches(&login("x")));
        // A wildcard inside `contains` stays a wildcard: `*` means "any text is there".
        let r = rule("  selection:\n    errorCode|contains: '*'\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let mut failed = login("x");
        failed["errorCode"] = json!("AccessDenied");
        assert!(r.matches(&failed));
        let r = rule("  selection:\n    userAgent|contains: 'zilla*linux'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    userAgent|contains: 'linux*zilla'\n  condition: selection");
        assert!(!r.matches(&login("x")));
    }

    #[test]
    fn regular_expressions_and_their_flags() {
        let r =
            rule("  selection:\n    userIdentity.arn|re: ':user/al.ce$'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    userIdentity.arn|re: ':USER/'\n  condition: selection");
        assert!(!r.matches(&login("x")), "re is case-sensitive");
        let r = rule("  selection:\n    userIdentity.arn|re|i: ':USER/'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let mut lines = login("x");
        lines["userAgent"] = json!("first\nsecond");
        let r = rule("  selection:\n    userAgent|re: '^second'\n  condition: selection");
        assert!(!r.matches(&lines));
        let r = rule("  selection:\n    userAgent|re|m: '^second'\n  condition: selection");
        assert!(r.matches(&lines));
        let r = rule("  selection:\n    userAgent|re: 'first.second'\n  condition: selection");
        assert!(!r.matches(&lines));
        let r = rule("  selection:\n    userAgent|re|s: 'first.second'\n  condition: selection");
        assert!(r.matches(&lines));
    }

    #[test]
    fn cidr_blocks() {
        let r =
            rule("  selection:\n    sourceIPAddress|cidr: 203.0.113.0/24\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    sourceIPAddress|cidr:\n      - 10.0.0.0/8\n      - 2001:db8::/32\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let mut v6 = login("x");
        v6["sourceIPAddress"] = json!("2001:db8::1");
        assert!(r.matches(&v6));
        v6["sourceIPAddress"] = json!("AWS Internal");
        assert!(!r.matches(&v6));
        let r = rule("  selection:\n    sourceIPAddress|cidr: 0.0.0.0/0\n  condition: selection");
        assert!(r.matches(&login("x")));
        assert!(reason(
            "  selection:\n    sourceIPAddress|cidr: 10.0.0.0/33\n  condition: selection"
        )
        .contains("not a CIDR"));
    }

    #[test]
    fn exists_and_null() {
        let r = rule("  selection:\n    errorCode|exists: true\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let mut failed = login("x");
        failed["errorCode"] = json!("AccessDenied");
        assert!(r.matches(&failed));
        let r = rule("  selection:\n    errorCode|exists: false\n  condition: selection");
        assert!(r.matches(&login("x")));
        assert!(!r.matches(&failed));
        let r = rule("  selection:\n    requestParameters: null\n  condition: selection");
        assert!(r.matches(&login("x")), "JSON null");
        let r = rule("  selection:\n    errorMessage: null\n  condition: selection");
        assert!(r.matches(&login("x")), "missing");
        let r = rule("  selection:\n    userAgent: null\n  condition: selection");
        assert!(!r.matches(&login("x")));
    }

    #[test]
    fn fieldref_compares_two_fields() {
        let r = rule("  selection:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: selection");
        let mut own = login("UpdateLoginProfile");
        own["requestParameters"] = json!({"userName": "ALICE"});
        assert!(r.matches(&own));
        let mut other = own.clone();
        other["requestParameters"] = json!({"userName": "bob"});
        assert!(!r.matches(&other));
        let r = rule("  selection:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\n  condition: selection");
        assert!(r.matches(&own));
        assert!(!r.matches(&other));
        assert!(!r.matches(&login("x")), "missing reference");
    }

    #[test]
    fn numbers_and_booleans_compare_as_text() {
        let r = rule("  selection:\n    responseElements.port: 443\n  condition: selection");
        assert!(r.matches(&login("x")));
        let mut text = login("x");
        text["responseElements"]["port"] = json!("443");
        assert!(r.matches(&text));
        text["responseElements"]["port"] = json!(4430);
        assert!(!r.matches(&text));
        let r = rule("  selection:\n    readOnly: false\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    readOnly: 'FALSE'\n  condition: selection");
        assert!(r.matches(&login("x")));
        let r = rule("  selection:\n    readOnly: true\n  condition: selection");
        assert!(!r.matches(&login("x")));
    }

    #[test]
    fn keywords_search_every_value() {
        let r = rule(
            "  keywords:\n    - 'arn:aws:s3:::two'\n    - nothing-here\n  condition: keywords",
        );
        assert!(r.matches(&login("x")));
        let r = rule("  keywords:\n    - nothing-here\n  condition: keywords");
        assert!(!r.matches(&login("x")));
        let r = rule("  keywords: 'MFAUsed'\n  condition: keywords");
        assert!(!r.matches(&login("x")), "keys are not searched");
        let r = rule("  keywords: 'mfa'\n  condition: keywords");
        assert!(!r.matches(&login("x")));
        let r = rule("  keywords: 'CONSOLE.AWS'\n  condition: keywords");
        assert!(r.matches(&login("x")), "substring, any case");
        let r = rule("  keywords:\n    '|all':\n      - alice\n      - x11\n  condition: keywords");
        assert!(r.matches(&login("x")));
        let r = rule("  keywords:\n    '|all':\n      - alice\n      - bob\n  condition: keywords");
        assert!(!r.matches(&login("x")));
    }

    #[test]
    fn condition_operators_and_precedence() {
        let d =
            "  a:\n    eventName: A\n  b:\n    eventName: B\n  c:\n    userAgent|contains: linux\n";
        let cond = |c: &str| rule(&format!("{d}  condition: {c}"));
        // `and` binds tighter than `or`.
        let r = cond("a or b and not c");
        assert!(r.matches(&login("A")));
        assert!(!r.matches(&login("B")));
        let r = cond("(a or b) and not c");
        assert!(!r.matches(&login("A")));
        let r = cond("not a and c");
        assert!(r.matches(&login("B")));
        assert!(!r.matches(&login("A")));
        let r = cond("not (a or c)");
        assert!(!r.matches(&login("B")));
        let r = cond("not not a");
        assert!(r.matches(&login("A")));
        let r = cond("a OR b");
        assert!(r.matches(&login("B")));
        let r = rule(&format!("{d}  condition:\n    - a\n    - b"));
        assert!(r.matches(&login("B")));
        assert!(!r.matches(&login("C")));
    }

    #[test]
    fn quantifiers_over_search_names() {
        let d = "  sel_a:\n    eventName: A\n  sel_b:\n    userAgent|contains: linux\n  _hidden:\n    eventName: Z\n  filter:\n    eventName: F\n";
        let cond = |c: &str| rule(&format!("{d}  condition: {c}"));
        let r = cond("1 of sel_*");
        assert!(r.matches(&login("B")));
        let r = cond("all of sel_*");
        assert!(r.matches(&login("A")));
        assert!(!r.matches(&login("B")));
        let r = cond("1 of them");
        assert!(r.matches(&login("F")));
        let r = cond("all of them");
        assert!(!r.matches(&login("A")), "needs filter too");
        let mut hidden = login("Z");
        hidden["userAgent"] = json!("curl");
        let r = cond("1 of them");
        assert!(!r.matches(&hidden), "`them` leaves out _hidden");
        let r = cond("1 of _hid*");
        assert!(r.matches(&hidden));
        let r = cond("sel_b and not 1 of filter*");
        assert!(r.matches(&login("A")));
        assert!(!r.matches(&login("F")));
        assert!(reason(&format!("{d}  condition: 1 of nomatch*")).contains("matches no search"));
    }

    #[test]
    fn cased_is_case_sensitive() {
        let r =
            rule("  selection:\n    userIdentity.userName|cased: Alice\n  condition: selection");
        assert!(!r.matches(&login("x")));
        let r =
            rule("  selection:\n    userIdentity.userName|cased: alice\n  condition: selection");
        assert!(r.matches(&login("x")));
    }

    #[test]
    fn unsupported_constructs_are_named() {
        let sel = "  selection:\n    eventName: A\n  other:\n    eventName: B\n";
        let cases = [
            (
                format!("{sel}  condition: selection | count() > 5"),
                "count()",
            ),
            (
                format!("{sel}  condition: selection | count(userName) by sourceIPAddress > 5"),
                "count(userName)",
            ),
            (format!("{sel}  condition: selection near other"), "'near'"),
            (
                format!("{sel}  condition: selection | near other"),
                "'near'",
            ),
            (
                format!("{sel}  timeframe: 5m\n  condition: selection"),
                "'timeframe'",
            ),
            (format!("{sel}  condition: 2 of them"), "'2 of'"),
        ];
        for (detection, construct) in cases {
            let why = reason(&detection);
            assert!(why.contains(construct), "{why} should name {construct}");
            assert!(why.contains("not supported"), "{why}");
        }
        for modifier in [
            "base64",
            "base64offset",
            "utf16le",
            "utf16be",
            "utf16",
            "wide",
            "windash",
            "gt",
            "gte",
            "lt",
            "lte",
            "expand",
        ] {
            let why = reason(&format!(
                "  selection:\n    eventName|{modifier}: A\n  condition: selection"
            ));
            assert!(
                why.contains(&format!("'{modifier}' is not supported")),
                "{why}"
            );
        }
        let why =
            reason("  selection:\n    eventName|contains|frobnicate: A\n  condition: selection");
        assert!(why.contains("unknown modifier 'frobnicate'"), "{why}");
        let (rules, errors) = parse_rules(
            "title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n",
            "pasted",
        );
        assert!(rules.is_empty());
        assert!(errors[0]
            .reason
            .contains("correlation rules are not supported"));
        let (_, errors) = parse_rules("action: global\ntitle: g\n", "pasted");
        assert!(errors[0].reason.contains("action: global"), "{errors:?}");
    }

    #[test]
    fn other_log_sources_are_not_for_cloudtrail() {
        let text = "title: Windows\nlogsource:\n  product: windows\n  service: security\ndetection:\n  s:\n    EventID: 4624\n  condition: s\n";
        let (rules, errors) = parse_rules(text, "win.yml");
        assert!(rules.is_empty());
        assert_eq!(errors[0].title, "Windows");
        assert!(
            errors[0].reason.contains("not for CloudTrail"),
            "{errors:?}"
        );
        assert!(errors[0].reason.contains("windows"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let bad = [
            "title: [unclosed\n",
            "title: x\n  bad: indent\n: :\n",
            "- just\n- a list\n",
            "plain text",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection: 5\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n",
            "logsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n  condition: s and\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n  condition: (s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n  condition: s)\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1}\n  condition: t\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: {b: c}}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a|re: '(unclosed'}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: []}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a|exists: maybe}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a|i: x}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a|contains|startswith: x}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {a: 1, a: 2}\n  condition: s\n",
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {}\n  condition: s\n",
        ];
        for text in bad {
            let (rules, errors) = parse_rules(text, "bad.yml");
            assert!(rules.is_empty(), "{text}");
            assert_eq!(errors.len(), 1, "{text}: {errors:?}");
            assert!(!errors[0].reason.is_empty());
        }
        let deep = format!(
            "title: t\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  s: {{a: 1}}\n  condition: {}s{}\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let (_, errors) = parse_rules(&deep, "deep.yml");
        assert!(errors[0].reason.contains("nests deeper"), "{errors:?}");
        let nots = format!(
            "title: t\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  s: {{a: 1}}\n  condition: {}s\n",
            "not ".repeat(10_000)
        );
        let (_, errors) = parse_rules(&nots, "deep.yml");
        assert!(errors[0].reason.contains("nests deeper"), "{errors:?}");
        let (rules, errors) = parse_rules("", "empty");
        assert!(rules.is_empty() && errors.is_empty());
    }

    #[test]
    fn several_documents_and_error_display() {
        let text = format!(
            "{}---\ntitle: Broken\n  bad: indent\n---\n{}\n...\n",
            rule_text("  s:\n    eventName: A\n  condition: s"),
            rule_text("  s:\n    eventName: B\n  condition: s").replace("Test rule", "Second"),
        );
        let (rules, errors) = parse_rules(&text, "many.yml");
        assert_eq!(rules.len(), 2, "{errors:?}");
        assert_eq!(rules[1].title, "Second");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.contains("document 2"), "{}", errors[0]);
        assert!(errors[0].reason.contains("line 11 column"), "{}", errors[0]);
        let shown = SigmaError {
            source: "f.yml".into(),
            title: "T".into(),
            reason: "why".into(),
        }
        .to_string();
        assert_eq!(shown, "f.yml: rule 'T': why");
    }

    #[test]
    fn metadata_ids_and_levels() {
        let text = "title: Meta\nid: 0b3c-1\nlevel: HIGH\nauthor: A. Person\ndescription: Why it matters\nreferences:\n  - https://example.com/a\ntags: [attack.t1078]\nfalsepositives: [admins]\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: A}\n  condition: s\n";
        let (rules, _) = parse_rules(text, "m.yml");
        let r = &rules[0];
        assert_eq!(
            (r.id.as_str(), r.level.as_str(), r.author.as_str()),
            ("0b3c-1", "high", "A. Person")
        );
        assert_eq!(r.description, "Why it matters");
        assert_eq!(r.references, ["https://example.com/a"]);
        assert_eq!(r.tags, ["attack.t1078"]);
        assert_eq!(r.falsepositives, ["admins"]);
        let a = rule("  s: {eventName: A}\n  condition: s");
        let b = rule("  s: {eventName: B}\n  condition: s");
        assert_eq!(a.level, "medium");
        assert!(a.id.starts_with("sigma-") && a.id.len() == 22, "{}", a.id);
        assert_eq!(a.id, b.id, "same title, same derived id");
        assert_ne!(a.id, derived_id("Other title"));
    }

    #[test]
    fn rule_set_index_never_hides_a_match() {
        let text = [
            rule_text("  s: {eventName: ConsoleLogin}\n  condition: s"),
            rule_text("  s: {eventName|cased: ConsoleLogin}\n  condition: s"),
            rule_text("  s: {eventName: 'Console*'}\n  condition: s"),
            rule_text("  s: {eventName: [StopLogging, DeleteTrail]}\n  f: {eventName: x}\n  condition: s and not f"),
            rule_text("  s: {eventName: StopLogging}\n  condition: not s"),
            rule_text("  k: [alice]\n  condition: k"),
            rule_text("  a: {eventName: A}\n  b: {eventName: B}\n  condition: a and b"),
            rule_text("  a: {eventName: A}\n  b: {userAgent|contains: linux}\n  condition: a or b"),
            // Non-ASCII case folding: the Kelvin sign lowercases to an ASCII `k`.
            rule_text("  s: {eventName: [\"\u{212A}ill\", 'İx']}\n  condition: s"),
        ]
        .join("---\n");
        let (rules, errors) = parse_rules(&text, "set");
        assert!(errors.is_empty(), "{errors:?}");
        let set = RuleSet::new(rules);
        assert_eq!(set.event_names(), None);
        let mut records = vec![
            login("ConsoleLogin"),
            login("consolelogin"),
            login("CONSOLELOGIN"),
            login("StopLogging"),
            login("deletetrail"),
            login("A"),
            login("B"),
            json!({"eventName": ["ConsoleLogin"]}),
            json!({"eventName": 5}),
            json!({"userAgent": "linux"}),
            json!([{"eventName": "ConsoleLogin"}]),
            json!("ConsoleLogin"),
            json!({"eventName": "KILL"}),
            json!({"eventName": "\u{212A}ILL"}),
            json!({"eventName": "i\u{307}X"}),
        ];
        records[5]["userAgent"] = json!("curl");
        for record in &records {
            let brute: Vec<usize> = (0..set.rules().len())
                .filter(|i| set.rules()[*i].matches(record))
                .collect();
            assert_eq!(set.matching(record), brute, "{record}");
        }
        assert_eq!(set.matching(&records[1]), [0, 2, 4, 5, 7]);
        assert_eq!(set.matching(&records[0]), [0, 1, 2, 4, 5, 7]);
        assert_eq!(set.matching(&records[7]), [0, 1, 2, 4]);
        assert_eq!(set.matching(&records[12]), [4, 8]);
        assert_eq!(set.matching(&records[13]), [4, 8]);
        assert_eq!(set.matching(&records[14]), [4, 8]);
        let (rules, _) = parse_rules(
            &[
                rule_text("  s: {eventName: ConsoleLogin}\n  condition: s"),
                rule_text("  s: {eventName: [StopLogging, DeleteTrail]}\n  condition: s"),
                rule_text("  a: {eventName: A}\n  b: {eventName: B}\n  condition: a and b"),
            ]
            .join("---\n"),
            "set",
        );
        let names = RuleSet::new(rules).event_names().unwrap();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["consolelogin", "deletetrail", "stoplogging"]
        );
    }

    #[test]
    fn regex_prefilter_literals_are_required() {
        let cases = [
            (".+:assumed-role/aws:.+", Some(":assumed-role/aws:")),
            ("^abc$", Some("abc")),
            ("ab?cd", Some("cd")),
            ("abc+de", Some("abc")),
            ("x{2}yz", Some("yz")),
            ("(abc)?de", Some("de")),
            ("[abc]+defg[h]", Some("defg")),
            ("[]x]yz", Some("yz")),
            ("a\\.b\\d", Some("a.b")),
            ("a|bcd", None),
            ("(?i)abc", None),
            ("\\x41bc", None),
            (".*", None),
        ];
        for (pattern, want) in cases {
            assert_eq!(required_literal(pattern).as_deref(), want, "{pattern}");
        }
        // With and without the prefilter, a pattern matches the same text.
        let texts = [
            "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1",
            "abc",
            "acd",
            "xxyz",
            "de",
            "abcccde",
            "a.b1",
            "[]x]yz",
            "yz",
            "",
        ];
        for (pattern, _) in cases {
            let re = Regex::new(pattern).unwrap();
            let m = Matcher::Regex {
                re: re.clone(),
                required: required_literal(pattern),
            };
            for t in texts {
                assert_eq!(m.matches_text(t), re.is_match(t), "{pattern} on {t}");
            }
        }
    }

    #[test]
    fn glob_matching_backtracks() {
        let p = Pattern::compile("*a*b?c*", Mode::Equals, false);
        assert!(matches!(p, Pattern::Glob(_)));
        assert!(p.matches("xxAyyaBzCzz", false));
        assert!(!p.matches("xxAyyaBCzz", false));
        assert!(Pattern::compile("**", Mode::Contains, false) == Pattern::Any);
        assert_eq!(
            Pattern::compile("ab", Mode::StartsWith, false),
            Pattern::Prefix("ab".into())
        );
    }
}
