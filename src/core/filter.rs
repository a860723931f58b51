//! Filters over the store, all combinable (AND), evaluated column by column.
//!
//! String filters are first resolved against the interner (which distinct strings match),
//! then rows are checked by integer id, so a filter over a million events costs one pass
//! over a few integer columns, not a million string comparisons.

use crate::actor::IdentityType;
use crate::record::flags;
use crate::store::{Store, StrId, NONE, NO_TIME};
use std::fmt;
use std::net::IpAddr;

/// Who made the call, classified from the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    Console,
    Cli,
    Sdk,
    Terraform,
    AwsService,
    Other,
}

impl Client {
    /// Every client kind, in display order.
    pub const ALL: [Client; 6] = [
        Client::Console,
        Client::Cli,
        Client::Sdk,
        Client::Terraform,
        Client::AwsService,
        Client::Other,
    ];

    /// The name used in routes and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Console => "console",
            Client::Cli => "cli",
            Client::Sdk => "sdk",
            Client::Terraform => "terraform",
            Client::AwsService => "aws-service",
            Client::Other => "other",
        }
    }

    /// Parses a route value (`console`, `cli`, `sdk`, `terraform`, `aws-service`, `other`).
    pub fn parse(s: &str) -> Option<Client> {
        Client::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Classifies a `userAgent`.
    pub fn classify(ua: &str) -> Client {
        let lower = ua.to_ascii_lowercase();
        if lower.contains("terraform") {
            Client::Terraform
        } else if lower.starts_with("console.")
            || lower.starts_with("signin.amazonaws.com")
            || lower.starts_with("mozilla/")
            || lower.contains("s3console")
            || lower.contains("awslambdaconsole")
            || lower.contains("aws-cloudshell")
        {
            Client::Console
        } else if lower.starts_with("aws-cli/") {
            Client::Cli
        } else if lower.starts_with("boto")
            || lower.contains("aws-sdk")
            || lower.contains("botocore")
            || lower.starts_with("apn/")
            || lower.contains("aws-chalice")
        {
            Client::Sdk
        } else if lower == "aws internal"
            || lower.starts_with("aws-internal")
            || (lower.ends_with(".amazonaws.com") && !lower.contains(' '))
        {
            Client::AwsService
        } else {
            Client::Other
        }
    }
}

/// The error filter: any error, no error, or one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorFilter {
    Any,
    None,
    Code(String),
}

/// An event-name filter: exact, or a prefix when written with a trailing `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(pub String);

impl NamePattern {
    fn matches(&self, name: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.0,
        }
    }
}

/// An IP filter: one address, or a CIDR block (v4 or v6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPattern {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpPattern {
    /// Parses `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`.
    pub fn parse(s: &str) -> Option<IpPattern> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpPattern { addr, prefix })
    }

    /// Whether `ip` (text as CloudTrail writes it) falls in the pattern.
    pub fn matches(&self, ip: &str) -> bool {
        let Ok(ip) = ip.parse::<IpAddr>() else {
            return false;
        };
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// Every filter the investigation views offer; `None`/empty means "not filtered".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Inclusive time bounds, Unix seconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Matches an actor's label, key, user or session name, or ARN (case-insensitive);
    /// a name present in several accounts selects all of them.
    pub actor: Option<String>,
    /// `ec2` or `ec2.amazonaws.com`.
    pub service: Option<String>,
    pub event_name: Option<NamePattern>,
    pub region: Option<String>,
    pub ip: Option<IpPattern>,
    pub access_key: Option<String>,
    pub event_id: Option<String>,
    /// Substring of a resource ARN or name (case-insensitive).
    pub resource: Option<String>,
    /// Resource type, e.g. `AWS::S3::Bucket` (case-insensitive).
    pub resource_type: Option<String>,
    pub error: Option<ErrorFilter>,
    /// `Some(true)`: reads only; `Some(false)`: writes only.
    pub read_only: Option<bool>,
    pub client: Option<Client>,
    /// Leaves out calls made by AWS services on the account's behalf.
    pub hide_aws: bool,
    /// Field path = value pairs over the whole record (see `core::fields`).
    pub fields: Vec<(String, String)>,
    /// Free text anywhere in the record (case-insensitive).
    pub text: Option<String>,
    /// The events of one finding (a rule id); applied from the computed findings, not by
    /// [`select`].
    pub finding: Option<String>,
    /// Everything this person did, directly and through any role session traced back to
    /// them (see `core::chain`; [`select`] leaves it out, like `fields`).
    pub person: Option<String>,
    /// Only events from log files whose hash does not match their digest. [`select`]
    /// leaves it out: the caller, which holds the integrity report, applies it.
    pub mismatched_only: bool,
}

impl Filter {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether part of the filter needs the full records ([`select`] leaves it out; the
    /// caller re-reads the selected records and applies `core::fields::record_matches`).
    pub fn needs_records(&self) -> bool {
        !self.fields.is_empty() || self.text.is_some()
    }

    /// Whether part of the filter needs the role chains (the caller applies
    /// `core::chain::person_rows`).
    pub fn needs_chains(&self) -> bool {
        self.person.is_some()
    }

    /// The filter without the parts [`select`] does not apply (whole-record, finding,
    /// person).
    pub fn columns_only(&self) -> Filter {
        Filter {
            fields: Vec::new(),
            text: None,
            finding: None,
            person: None,
            ..self.clone()
        }
    }
}

/// Which distinct strings of the interner satisfy a predicate (indexed by string id).
fn matching_strings(store: &Store, pred: impl Fn(&str) -> bool) -> Vec<bool> {
    (0..store.strings.len() as StrId)
        .map(|id| pred(store.strings.get(id)))
        .collect()
}

/// Whether a string id is in a match table (ids past the table's end never match).
fn hit(table: &[bool], id: StrId) -> bool {
    table.get(id as usize).copied().unwrap_or(false)
}

/// Whether the actor with this index matches an actor query.
pub fn actor_matches(store: &Store, actor: usize, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    let Some(a) = store.actors.get(actor) else {
        return false;
    };
    let session = a.arn.rsplit('/').next().unwrap_or("");
    let user_part = a.label.split(" (").next().unwrap_or("");
    [
        a.label.as_str(),
        a.key.as_str(),
        a.arn.as_str(),
        session,
        user_part,
    ]
    .iter()
    .any(|v| !v.is_empty() && v.to_lowercase() == q)
}

/// The rows (in load order) that pass every filter.
/// The whole-record part (`fields`, `text`) is not applied here: see [`Filter::needs_records`];
/// nor is `finding`, whose rows come from the computed findings.
pub fn select(store: &Store, f: &Filter) -> Vec<u32> {
    if f.columns_only().is_empty() {
        return store.all_rows();
    }
    let n = store.len();
    let mut keep = vec![true; n];
    let apply = |keep: &mut Vec<bool>, pass: &dyn Fn(usize) -> bool| {
        for (i, k) in keep.iter_mut().enumerate() {
            if *k && !pass(i) {
                *k = false;
            }
        }
    };
    if f.from.is_some() || f.to.is_some() {
        let (lo, hi) = (f.from.unwrap_or(i64::MIN + 1), f.to.unwrap_or(i64::MAX));
        apply(&mut keep, &|i| {
            let t = store.time[i];
            t != NO_TIME && t >= lo && t <= hi
        });
    }
    if let Some(q) = &f.actor {
        let actors: Vec<bool> = (0..store.actors.len())
            .map(|a| actor_matches(store, a, q))
            .collect();
        apply(&mut keep, &|i| actors[store.actor[i] as usize]);
    }
    if let Some(s) = &f.service {
        let want = s.trim().to_lowercase();
        let table = matching_strings(store, |src| {
            let src = src.to_lowercase();
            src == want || src.strip_suffix(".amazonaws.com") == Some(want.as_str())
        });
        apply(&mut keep, &|i| hit(&table, store.event_source[i]));
    }
    if let Some(p) = &f.event_name {
        let table = matching_strings(store, |s| p.matches(s));
        apply(&mut keep, &|i| hit(&table, store.event_name[i]));
    }
    if let Some(r) = &f.region {
        let table = matching_strings(store, |s| s.eq_ignore_ascii_case(r.trim()));
        apply(&mut keep, &|i| hit(&table, store.region[i]));
    }
    if let Some(p) = &f.ip {
        let table = matching_strings(store, |s| p.matches(s));
        apply(&mut keep, &|i| hit(&table, store.source_ip[i]));
    }
    if let Some(k) = &f.access_key {
        let table = matching_strings(store, |s| s.eq_ignore_ascii_case(k.trim()));
        apply(&mut keep, &|i| hit(&table, store.access_key[i]));
    }
    if let Some(id) = &f.event_id {
        let row = store.row_of_event_id(id.trim());
        apply(&mut keep, &|i| row == Some(i as u32));
    }
    if let Some(r) = &f.resource {
        let needle = r.trim().to_lowercase();
        let table = matching_strings(store, |s| {
            !s.is_empty() && s.to_lowercase().contains(&needle)
        });
        apply(&mut keep, &|i| {
            store.resources(i).any(|(name, _)| hit(&table, name))
        });
    }
    if let Some(t) = &f.resource_type {
        let table = matching_strings(store, |s| !s.is_empty() && s.eq_ignore_ascii_case(t.trim()));
        apply(&mut keep, &|i| {
            store.resources(i).any(|(_, kind)| hit(&table, kind))
        });
    }
    match &f.error {
        None => {}
        Some(ErrorFilter::Any) => apply(&mut keep, &|i| store.error_code[i] != NONE),
        Some(ErrorFilter::None) => apply(&mut keep, &|i| store.error_code[i] == NONE),
        Some(ErrorFilter::Code(code)) => {
            let table = matching_strings(store, |s| s == code.trim());
            apply(&mut keep, &|i| hit(&table, store.error_code[i]));
        }
    }
    if let Some(ro) = f.read_only {
        apply(&mut keep, &|i| {
            (store.flags[i] & flags::READ_ONLY != 0) == ro
        });
    }
    if let Some(c) = f.client {
        apply(&mut keep, &|i| store.client[i] == c);
    }
    if f.hide_aws {
        let service_actor: Vec<bool> = store
            .actors
            .iter()
            .map(|a| a.kind_name == IdentityType::AwsService.as_str())
            .collect();
        apply(&mut keep, &|i| {
            !service_actor[store.actor[i] as usize] && store.client[i] != Client::AwsService
        });
    }
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;

    const DOC: &str = r#"[
      {"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.0","readOnly":false,
       "requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0abc"}]}},
       "userIdentity":{"type":"IAMUser","accountId":"1","userName":"alice","accessKeyId":"AKIA1","arn":"arn:aws:iam::1:user/alice"}},
      {"eventID":"e2","eventTime":"2024-01-01T01:00:00Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","userAgent":"Mozilla/5.0","errorCode":"AccessDenied",
       "requestParameters":{"bucketName":"acme-logs"},
       "userIdentity":{"type":"IAMUser","accountId":"2","userName":"alice"}},
      {"eventID":"e3","eventTime":"2024-01-02T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"kms.amazonaws.com","userAgent":"kms.amazonaws.com","readOnly":true,
       "resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/k1","type":"AWS::KMS::Key"}],
       "userIdentity":{"type":"AWSService","invokedBy":"kms.amazonaws.com"}},
      {"eventID":"e4","eventTime":"2024-01-02T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"2001:db8::5","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.9.8",
       "userIdentity":{"type":"AssumedRole","accountId":"1","principalId":"AROA:carol","arn":"arn:aws:sts::1:assumed-role/Admin/carol","sessionContext":{"sessionIssuer":{"userName":"Admin","accountId":"1"}}}}
    ]"#;

    fn store() -> Store {
        let mut s = Store::new();
        let r = ingest_bytes(0, "t", DOC.as_bytes(), &mut s);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        s
    }

    fn ids(store: &Store, f: Filter) -> Vec<u32> {
        select(store, &f)
    }

    #[test]
    fn each_filter() {
        let s = store();
        let t = |x: &str| crate::time::parse_event_time(x);
        assert_eq!(ids(&s, Filter::default()), [0, 1, 2, 3]);
        assert_eq!(
            ids(
                &s,
                Filter {
                    from: t("2024-01-01T00:30:00Z"),
                    to: t("2024-01-01T23:00:00Z"),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    actor: Some("alice".into()),
                    ..Filter::default()
                }
            ),
            [0, 1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    actor: Some("carol".into()),
                    ..Filter::default()
                }
            ),
            [3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    actor: Some("arn:aws:iam::1:user/alice".into()),
                    ..Filter::default()
                }
            ),
            [0]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    service: Some("ec2".into()),
                    ..Filter::default()
                }
            ),
            [0, 3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    service: Some("s3.amazonaws.com".into()),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    event_name: Some(NamePattern("Delete*".into())),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    event_name: Some(NamePattern("Delete".into())),
                    ..Filter::default()
                }
            ),
            Vec::<u32>::new()
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    region: Some("us-east-1".into()),
                    ..Filter::default()
                }
            ),
            [0, 2, 3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    ip: IpPattern::parse("203.0.113.0/24"),
                    ..Filter::default()
                }
            ),
            [0]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    ip: IpPattern::parse("2001:db8::/32"),
                    ..Filter::default()
                }
            ),
            [3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    access_key: Some("AKIA1".into()),
                    ..Filter::default()
                }
            ),
            [0]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    event_id: Some("e3".into()),
                    ..Filter::default()
                }
            ),
            [2]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    resource: Some("I-0ABC".into()),
                    ..Filter::default()
                }
            ),
            [0]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    resource: Some("acme".into()),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    resource_type: Some("aws::kms::key".into()),
                    ..Filter::default()
                }
            ),
            [2]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    error: Some(ErrorFilter::Any),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    error: Some(ErrorFilter::None),
                    ..Filter::default()
                }
            ),
            [0, 2, 3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    error: Some(ErrorFilter::Code("AccessDenied".into())),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    read_only: Some(true),
                    ..Filter::default()
                }
            ),
            [2, 3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    read_only: Some(false),
                    ..Filter::default()
                }
            ),
            [0, 1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    client: Some(Client::Cli),
                    ..Filter::default()
                }
            ),
            [0]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    client: Some(Client::Console),
                    ..Filter::default()
                }
            ),
            [1]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    client: Some(Client::Terraform),
                    ..Filter::default()
                }
            ),
            [3]
        );
        assert_eq!(
            ids(
                &s,
                Filter {
                    hide_aws: true,
                    ..Filter::default()
                }
            ),
            [0, 1, 3]
        );
        // Combined: AND.
        assert_eq!(
            ids(
                &s,
                Filter {
                    service: Some("ec2".into()),
                    actor: Some("alice".into()),
                    ..Filter::default()
                }
            ),
            [0]
        );
    }

    #[test]
    fn ip_patterns() {
        assert!(IpPattern::parse("10.0.0.0/8").unwrap().matches("10.1.2.3"));
        assert!(!IpPattern::parse("10.0.0.0/8").unwrap().matches("11.1.2.3"));
        assert!(IpPattern::parse("0.0.0.0/0").unwrap().matches("1.2.3.4"));
        assert!(!IpPattern::parse("1.2.3.4")
            .unwrap()
            .matches("ec2.amazonaws.com"));
        assert_eq!(IpPattern::parse("1.2.3.4/33"), None);
        assert_eq!(IpPattern::parse("nope"), None);
        assert_eq!(
            IpPattern::parse("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
    }

    #[test]
    fn clients() {
        assert_eq!(Client::classify("console.amazonaws.com"), Client::Console);
        assert_eq!(Client::classify("signin.amazonaws.com"), Client::Console);
        assert_eq!(Client::classify("S3Console/0.4"), Client::Console);
        assert_eq!(Client::classify("aws-cli/2.1 Python/3"), Client::Cli);
        assert_eq!(Client::classify("Boto3/1.2 Python/3"), Client::Sdk);
        assert_eq!(Client::classify("aws-sdk-go-v2/1.0"), Client::Sdk);
        assert_eq!(Client::classify("ec2.amazonaws.com"), Client::AwsService);
        assert_eq!(Client::classify("AWS Internal"), Client::AwsService);
        assert_eq!(Client::classify("curl/8"), Client::Other);
        assert_eq!(Client::parse("aws-service"), Some(Client::AwsService));
    }
}
