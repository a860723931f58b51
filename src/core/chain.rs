//! Who was really behind a session: role chains traced back to a person.
//!
//! An `AssumedRole` event names a role and a session, not who started it. Every session
//! runs on a temporary access key (`ASIA…`) that one STS call issued: `AssumeRole`,
//! `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`, `GetFederationToken` or
//! `GetSessionToken`, whose `responseElements.credentials.accessKeyId` is that key. That call
//! was itself made with a key, possibly issued by another call (role chaining), so following
//! keys back ends at the identity that started it all: an IAM user, a SAML or web-identity
//! user, an AWS service, an Identity Center user. `sourceIdentity`, which AWS copies into
//! every later session of a chain, names the person when the chain cannot be followed.
//!
//! The store keeps no raw JSON: the issuing calls are found by their columns
//! ([`issuing_rows`]), their records are re-read by the page and fed to [`ChainIndex::add`].

use crate::actor::IdentityType;
use crate::filter::actor_matches;
use crate::store::{ActorId, Store, NONE};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The STS calls that issue temporary credentials.
pub const ISSUING_CALLS: [&str; 5] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

/// Hops followed before giving up (AWS itself caps role chains far below this).
pub const MAX_DEPTH: usize = 16;

/// The rows that may have issued a key: a successful issuing call, found from columns only.
pub fn issuing_rows(store: &Store) -> Vec<u32> {
    let names: Vec<bool> = (0..store.strings.len() as u32)
        .map(|id| ISSUING_CALLS.contains(&store.strings.get(id)))
        .collect();
    (0..store.len())
        .filter(|&i| {
            names
                .get(store.event_name[i] as usize)
                .copied()
                .unwrap_or(false)
                && store.error_code[i] == NONE
        })
        .map(|i| i as u32)
        .collect()
}

/// What one issuing call says about the key it issued.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Issue {
    /// The store row of the issuing call.
    pub row: u32,
    /// `eventName` of the issuing call.
    pub call: String,
    /// The key it issued.
    pub key: String,
    /// The role assumed (`requestParameters.roleArn`), empty for token calls.
    pub role_arn: String,
    /// `roleSessionName`, or the federated user's name.
    pub session: String,
    /// `sourceIdentity` set by this call or carried by its caller.
    pub source_identity: String,
}

/// Text of a string field at a path of a JSON record ("" when absent or not a string).
fn text<'v>(record: &'v Value, path: &[&str]) -> &'v str {
    let mut v = record;
    for p in path {
        match v.get(p) {
            Some(next) => v = next,
            None => return "",
        }
    }
    v.as_str().unwrap_or("")
}

/// Issued keys, by key, from the re-read records of [`issuing_rows`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainIndex {
    by_key: HashMap<String, Issue>,
}

impl ChainIndex {
    /// An empty index.
    pub fn new() -> Self {
        ChainIndex::default()
    }

    /// Reads one record; records that issued no key (failed, redacted, other calls) are
    /// ignored. The first call seen for a key wins (cross-account copies say the same).
    pub fn add(&mut self, row: u32, record: &Value) {
        let call = text(record, &["eventName"]);
        if !ISSUING_CALLS.contains(&call) || !text(record, &["errorCode"]).is_empty() {
            return;
        }
        let key = text(record, &["responseElements", "credentials", "accessKeyId"]);
        // Only temporary keys are issued; anything else is a redacted or made-up value.
        // The first call in the data that issued it, whatever order the records come in.
        let earlier = self.by_key.get(key).is_some_and(|issue| issue.row <= row);
        if !key.starts_with("ASIA") || earlier {
            return;
        }
        let session = match call {
            "GetFederationToken" => text(record, &["requestParameters", "name"]),
            "GetSessionToken" => "",
            _ => text(record, &["requestParameters", "roleSessionName"]),
        };
        let source_identity = [
            &["requestParameters", "sourceIdentity"][..],
            &["responseElements", "sourceIdentity"][..],
            &["userIdentity", "sessionContext", "sourceIdentity"][..],
        ]
        .iter()
        .map(|p| text(record, p))
        .find(|s| !s.is_empty())
        .unwrap_or("");
        self.by_key.insert(
            key.to_owned(),
            Issue {
                row,
                call: call.to_owned(),
                key: key.to_owned(),
                role_arn: text(record, &["requestParameters", "roleArn"]).to_owned(),
                session: session.to_owned(),
                source_identity: source_identity.to_owned(),
            },
        );
    }

    /// The call that issued `key`, if it is in the loaded data.
    pub fn issue(&self, key: &str) -> Option<&Issue> {
        self.by_key.get(key)
    }

    /// Number of keys whose issuing call is known.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no issued key is known.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Why a chain stops before reaching a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The call that issued this key is not in the loaded data.
    IssuerNotLoaded(String),
    /// A session event carries no access key, so nothing links it to its issuer.
    NoAccessKey,
    /// Following keys came back to this key (possible only in edited or crafted logs).
    Cycle(String),
    /// More than [`MAX_DEPTH`] hops.
    TooDeep,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::IssuerNotLoaded(key) => {
                write!(f, "the call that issued {key} is not in the loaded data")
            }
            Gap::NoAccessKey => f.write_str("the session's events carry no access key"),
            Gap::Cycle(key) => write!(
                f,
                "the chain loops back to {key}: the logs are inconsistent"
            ),
            Gap::TooDeep => write!(
                f,
                "the chain is longer than {MAX_DEPTH} hops; stopped there"
            ),
        }
    }
}

/// One identity on a chain, and the call that gave it its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub actor: ActorId,
    /// The access key this identity used.
    pub key: String,
    /// The issuing call of that key (for every link but the origin).
    pub issue: Option<Issue>,
}

/// A session traced back: `links[0]` is the origin (the person) unless there is a gap, in
/// which case it is the earliest session that could be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub links: Vec<Link>,
    pub gap: Option<Gap>,
    /// The `sourceIdentity` met on the way, if any.
    pub source_identity: Option<String>,
}

/// Identity types that act through a session someone else started.
fn is_session(store: &Store, actor: ActorId) -> bool {
    store.actors.get(actor as usize).is_some_and(|a| {
        a.kind_name == IdentityType::AssumedRole.as_str()
            || a.kind_name == IdentityType::FederatedUser.as_str()
    })
}

/// Traces the identity that made row `row` back to its origin.
pub fn resolve(store: &Store, index: &ChainIndex, row: u32) -> Chain {
    let i = row as usize;
    resolve_actor_key(
        store,
        index,
        store.actor[i],
        store.strings.get(store.access_key[i]),
    )
}

/// Traces an identity using `key` back to its origin.
pub fn resolve_actor_key(store: &Store, index: &ChainIndex, actor: ActorId, key: &str) -> Chain {
    let mut links = vec![Link {
        actor,
        key: key.to_owned(),
        issue: None,
    }];
    let mut seen: HashSet<String> = HashSet::new();
    let mut gap = None;
    let mut source_identity = store
        .actors
        .get(actor as usize)
        .map(|a| a.source_identity.clone())
        .filter(|s| !s.is_empty());
    while let Some(current) = links.last() {
        let (cur_actor, cur_key) = (current.actor, current.key.clone());
        if !cur_key.starts_with("ASIA") {
            // A long-term key, or none: a session here means the link is missing.
            if is_session(store, cur_actor) {
                gap = Some(Gap::NoAccessKey);
            }
            break;
        }
        if !seen.insert(cur_key.clone()) {
            gap = Some(Gap::Cycle(cur_key));
            break;
        }
        if links.len() > MAX_DEPTH {
            gap = Some(Gap::TooDeep);
            break;
        }
        let Some(issue) = index.issue(&cur_key) else {
            // An IAM user on GetSessionToken credentials is still that user.
            if is_session(store, cur_actor) {
                gap = Some(Gap::IssuerNotLoaded(cur_key));
            }
            break;
        };
        if source_identity.is_none() && !issue.source_identity.is_empty() {
            source_identity = Some(issue.source_identity.clone());
        }
        let r = issue.row as usize;
        let caller = store.actor[r];
        if source_identity.is_none() {
            source_identity = store
                .actors
                .get(caller as usize)
                .map(|a| a.source_identity.clone())
                .filter(|s| !s.is_empty());
        }
        if let Some(last) = links.last_mut() {
            last.issue = Some(issue.clone());
        }
        links.push(Link {
            actor: caller,
            key: store.strings.get(store.access_key[r]).to_owned(),
            issue: None,
        });
    }
    links.reverse();
    Chain {
        links,
        gap,
        source_identity,
    }
}

/// Names for Identity Center user IDs (`onBehalfOf.userId`), from a `userId,name` CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdcNames(HashMap<String, String>);

/// One line of an Identity Center CSV that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    pub kind: CsvErrorKind,
}

/// What was wrong with a CSV line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvErrorKind {
    /// Not exactly two fields.
    FieldCount(usize),
    EmptyUserId,
    EmptyName,
    /// A quoted field with no closing quote.
    UnclosedQuote,
    /// The same user ID was given another name on an earlier line.
    Conflict {
        user_id: String,
        first_line: usize,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            CsvErrorKind::FieldCount(n) => write!(
                f,
                "expected 2 fields (userId,name), found {n}; quote a name that contains a comma"
            ),
            CsvErrorKind::EmptyUserId => f.write_str("the userId is empty"),
            CsvErrorKind::EmptyName => f.write_str("the name is empty"),
            CsvErrorKind::UnclosedQuote => f.write_str("a quoted field has no closing quote"),
            CsvErrorKind::Conflict {
                user_id,
                first_line,
            } => write!(
                f,
                "{user_id} already has another name on line {first_line}; the first one is kept"
            ),
        }
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting, `""` for a quote inside quotes).
fn csv_fields(line: &str) -> Result<Vec<String>, CsvErrorKind> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(CsvErrorKind::UnclosedQuote);
    }
    fields.push(field);
    Ok(fields.into_iter().map(|f| f.trim().to_owned()).collect())
}

impl IdcNames {
    /// Parses `userId,name` lines (a header line, blank lines and a BOM are allowed).
    /// Good lines are kept even when others fail; each bad line gets its own error.
    pub fn parse(text: &str) -> (IdcNames, Vec<CsvError>) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut names = HashMap::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        let mut errors = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() {
                continue;
            }
            let fields = match csv_fields(line) {
                Ok(f) => f,
                Err(kind) => {
                    errors.push(CsvError {
                        line: line_no,
                        kind,
                    });
                    continue;
                }
            };
            let bad = |kind| CsvError {
                line: line_no,
                kind,
            };
            if fields.len() != 2 {
                errors.push(bad(CsvErrorKind::FieldCount(fields.len())));
                continue;
            }
            let (id, name) = (&fields[0], &fields[1]);
            if names.is_empty()
                && errors.is_empty()
                && id.eq_ignore_ascii_case("userid")
                && name.eq_ignore_ascii_case("name")
            {
                continue;
            }
            if id.is_empty() {
                errors.push(bad(CsvErrorKind::EmptyUserId));
                continue;
            }
            if name.is_empty() {
                errors.push(bad(CsvErrorKind::EmptyName));
                continue;
            }
            match names.get(id) {
                Some(existing) if existing != name => {
                    errors.push(bad(CsvErrorKind::Conflict {
                        user_id: id.clone(),
                        first_line: first_line.get(id).copied().unwrap_or(0),
                    }));
                }
                Some(_) => {}
                None => {
                    first_line.insert(id.clone(), line_no);
                    names.insert(id.clone(), name.clone());
                }
            }
        }
        (IdcNames(names), errors)
    }

    /// The name of an Identity Center user ID, if the CSV gave one.
    pub fn name(&self, user_id: &str) -> Option<&str> {
        self.0.get(user_id).map(String::as_str)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no name is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The readable name of an actor: its label, or the CSV's name for an Identity Center user.
pub fn actor_name(store: &Store, names: &IdcNames, actor: ActorId) -> String {
    let Some(a) = store.actors.get(actor as usize) else {
        return "(unknown)".to_owned();
    };
    if a.kind_name == IdentityType::IdentityCenterUser.as_str() {
        if let Some(name) = names.name(&a.label) {
            return format!("{name} ({})", a.label);
        }
    }
    a.label.clone()
}

/// The session name of an assumed-role or federated actor (the ARN's last part).
fn session_name(store: &Store, actor: ActorId) -> String {
    store
        .actors
        .get(actor as usize)
        .map(|a| a.arn.rsplit('/').next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// The role name of an assumed-role actor, falling back to the issuing call's `roleArn`.
fn role_name(store: &Store, link: &Link) -> String {
    let from_actor = store
        .actors
        .get(link.actor as usize)
        .map(|a| {
            if a.issuer_name.is_empty() {
                a.arn.split('/').nth(1).unwrap_or("").to_owned()
            } else {
                a.issuer_name.clone()
            }
        })
        .unwrap_or_default();
    if !from_actor.is_empty() {
        return from_actor;
    }
    link.issue
        .as_ref()
        .map(|i| i.role_arn.rsplit('/').next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

impl Chain {
    /// Whether the chain reaches its origin.
    pub fn is_complete(&self) -> bool {
        self.gap.is_none()
    }

    /// Number of sessions between the origin and the identity (0: it acted directly).
    pub fn hops(&self) -> usize {
        self.links.len().saturating_sub(1)
    }

    /// The person behind the chain: the origin's name, or the `sourceIdentity` when the
    /// origin cannot be reached; `None` when neither is known.
    pub fn person(&self, store: &Store, names: &IdcNames) -> Option<String> {
        match (&self.gap, self.links.first()) {
            (None, Some(origin)) => Some(actor_name(store, names, origin.actor)),
            _ => self.source_identity.clone(),
        }
    }

    /// The `person=` filter value that selects this chain's person, if known.
    pub fn person_query(&self, store: &Store, names: &IdcNames) -> Option<String> {
        match (&self.gap, self.links.first()) {
            (None, Some(origin)) => store.actors.get(origin.actor as usize).map(|a| {
                let idc = a.kind_name == IdentityType::IdentityCenterUser.as_str();
                match names.name(&a.label) {
                    Some(name) if idc => name.to_owned(),
                    _ => a.label.clone(),
                }
            }),
            _ => self.source_identity.clone(),
        }
    }

    /// Whether the person behind the chain is `query` (as the actor filter matches names,
    /// or the CSV name of an Identity Center user, or the `sourceIdentity` when the chain
    /// is broken).
    pub fn person_is(&self, store: &Store, names: &IdcNames, query: &str) -> bool {
        let q = query.trim();
        match (&self.gap, self.links.first()) {
            (None, Some(origin)) => {
                actor_matches(store, origin.actor as usize, q)
                    || store.actors.get(origin.actor as usize).is_some_and(|a| {
                        names
                            .name(&a.label)
                            .is_some_and(|n| n.trim().eq_ignore_ascii_case(q))
                    })
            }
            _ => self
                .source_identity
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(q)),
        }
    }

    /// One line: `alice → DeployRole → ProdAdmin (session alice-admin)`.
    pub fn text(&self, store: &Store, names: &IdcNames) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.gap.is_some() {
            parts.push(match &self.source_identity {
                Some(s) => format!("{s} (source identity)"),
                None => "?".to_owned(),
            });
        }
        let last = self.links.len().saturating_sub(1);
        for (i, link) in self.links.iter().enumerate() {
            let origin = i == 0 && self.gap.is_none();
            if origin {
                parts.push(actor_name(store, names, link.actor));
                continue;
            }
            let kind = store
                .actors
                .get(link.actor as usize)
                .map(|a| a.kind_name.as_str())
                .unwrap_or("");
            let call = link.issue.as_ref().map(|x| x.call.as_str()).unwrap_or("");
            let part = if kind == IdentityType::AssumedRole.as_str() {
                let role = role_name(store, link);
                if i == last {
                    format!("{role} (session {})", session_name(store, link.actor))
                } else {
                    role
                }
            } else if kind == IdentityType::FederatedUser.as_str() {
                format!("federated user {}", session_name(store, link.actor))
            } else if call == "GetSessionToken" {
                "session token (GetSessionToken)".to_owned()
            } else {
                actor_name(store, names, link.actor)
            };
            parts.push(part);
        }
        parts.join(" → ")
    }
}

/// For every row, whether `person` is behind it: directly (the row's own identity is the
/// person) or through any session traced back to them. Chains are resolved once per
/// distinct (actor, access key) pair.
pub fn person_rows(store: &Store, index: &ChainIndex, names: &IdcNames, person: &str) -> Vec<bool> {
    let mut memo: HashMap<(ActorId, u32), bool> = HashMap::new();
    (0..store.len())
        .map(|i| {
            let pair = (store.actor[i], store.access_key[i]);
            *memo.entry(pair).or_insert_with(|| {
                let key = store.strings.get(pair.1);
                resolve_actor_key(store, index, pair.0, key).person_is(store, names, person)
            })
        })
        .collect()
}

/// Distinct chains of the given rows (one per distinct actor and key), complete ones first.
pub fn chains_of_rows(store: &Store, index: &ChainIndex, rows: &[u32]) -> Vec<Chain> {
    let mut seen: HashSet<(ActorId, u32)> = HashSet::new();
    let mut out: Vec<Chain> = Vec::new();
    for &r in rows {
        let i = r as usize;
        if seen.insert((store.actor[i], store.access_key[i])) {
            let chain = resolve(store, index, r);
            if !out.contains(&chain) {
                out.push(chain);
            }
        }
    }
    out.sort_by_key(|c| (c.gap.is_some(), std::cmp::Reverse(c.hops())));
    out
}

/// Resolution totals for a set of keys: how many temporary keys were traced to an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Coverage {
    /// Distinct temporary (`ASIA…`) keys used by the rows.
    pub temporary_keys: usize,
    /// Of those, the keys whose issuing call is loaded.
    pub issued_here: usize,
    /// Of those, the keys whose chain reaches its origin.
    pub complete: usize,
}

/// How many of the temporary keys used in the store trace back, and how far.
pub fn coverage(store: &Store, index: &ChainIndex) -> Coverage {
    let mut keys: HashMap<u32, ActorId> = HashMap::new();
    for i in 0..store.len() {
        if store.strings.get(store.access_key[i]).starts_with("ASIA") {
            keys.entry(store.access_key[i]).or_insert(store.actor[i]);
        }
    }
    let mut c = Coverage {
        temporary_keys: keys.len(),
        ..Coverage::default()
    };
    for (&key, &actor) in &keys {
        let key = store.strings.get(key);
        if index.issue(key).is_some() {
            c.issued_here += 1;
        }
        if resolve_actor_key(store, index, actor, key).is_complete() {
            c.complete += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;
    use serde_json::json;

    fn user(name: &str, key: &str) -> Value {
        json!({"type":"IAMUser","accountId":"1","userName":name,"accessKeyId":key,
            "arn":format!("arn:aws:iam::1:user/{name}")})
    }

    fn session(role: &str, name: &str, key: &str) -> Value {
        json!({"type":"AssumedRole","accountId":"1","accessKeyId":key,
            "principalId":format!("AROA{role}:{name}"),
            "arn":format!("arn:aws:sts::1:assumed-role/{role}/{name}"),
            "sessionContext":{"sessionIssuer":{"type":"Role","userName":role,"accountId":"1",
                "arn":format!("arn:aws:iam::1:role/{role}")}}})
    }

    fn assume(id: &str, who: Value, role: &str, name: &str, issued: &str) -> Value {
        json!({"eventID":id,"eventName":"AssumeRole","eventSource":"sts.amazonaws.com",
            "eventTime":"2024-01-01T00:00:00Z","userIdentity":who,
            "requestParameters":{"roleArn":format!("arn:aws:iam::1:role/{role}"),"roleSessionName":name},
            "responseElements":{"credentials":{"accessKeyId":issued}}})
    }

    fn call(id: &str, who: Value, name: &str) -> Value {
        json!({"eventID":id,"eventName":name,"eventSource":"s3.amazonaws.com",
            "eventTime":"2024-01-01T00:01:00Z","userIdentity":who})
    }

    /// Loads records and builds the index the way the page does: rows from columns, then
    /// their records.
    fn load(records: &[Value]) -> (Store, ChainIndex) {
        let doc = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        let mut store = Store::new();
        let r = ingest_bytes(0, "t", &doc, &mut store);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let mut index = ChainIndex::new();
        for row in issuing_rows(&store) {
            index.add(row, &records[row as usize]);
        }
        (store, index)
    }

    fn two_hops() -> Vec<Value> {
        vec![
            assume(
                "a1",
                user("alice", "AKIAALICE"),
                "DeployRole",
                "deploy",
                "ASIADEPLOY",
            ),
            assume(
                "a2",
                session("DeployRole", "deploy", "ASIADEPLOY"),
                "ProdAdmin",
                "alice-admin",
                "ASIAPROD",
            ),
            call(
                "c1",
                session("ProdAdmin", "alice-admin", "ASIAPROD"),
                "DeleteBucket",
            ),
            call("c2", user("alice", "AKIAALICE"), "ListBuckets"),
            call("c3", user("bob", "AKIABOB"), "ListBuckets"),
        ]
    }

    #[test]
    fn two_hops_reach_alice() {
        let (store, index) = load(&two_hops());
        assert_eq!(index.len(), 2);
        let chain = resolve(&store, &index, 2);
        assert!(chain.is_complete(), "{chain:?}");
        assert_eq!(chain.hops(), 2);
        let names = IdcNames::default();
        assert_eq!(
            chain.text(&store, &names),
            "alice → DeployRole → ProdAdmin (session alice-admin)"
        );
        assert_eq!(chain.person(&store, &names).as_deref(), Some("alice"));
        // Each link carries the call that issued its key.
        assert!(chain.links[0].issue.is_none());
        assert_eq!(chain.links[1].issue.as_ref().unwrap().row, 0);
        assert_eq!(chain.links[2].issue.as_ref().unwrap().row, 1);
        // alice's own calls, both AssumeRoles (the second through DeployRole) and the
        // ProdAdmin session's call; not bob's.
        let rows = person_rows(&store, &index, &names, "alice");
        assert_eq!(rows, [true, true, true, true, false]);
        let rows = person_rows(&store, &index, &names, "ALICE ");
        assert_eq!(rows.iter().filter(|x| **x).count(), 4);
        assert_eq!(
            coverage(&store, &index),
            Coverage {
                temporary_keys: 2,
                issued_here: 2,
                complete: 2
            }
        );
    }

    #[test]
    fn broken_chain_says_which_call_is_missing() {
        let mut records = two_hops();
        records.remove(0);
        let (store, index) = load(&records);
        let chain = resolve(&store, &index, 1);
        assert_eq!(chain.gap, Some(Gap::IssuerNotLoaded("ASIADEPLOY".into())));
        assert_eq!(
            chain.gap.as_ref().unwrap().to_string(),
            "the call that issued ASIADEPLOY is not in the loaded data"
        );
        let names = IdcNames::default();
        assert_eq!(
            chain.text(&store, &names),
            "? → DeployRole → ProdAdmin (session alice-admin)"
        );
        assert_eq!(chain.person(&store, &names), None);
        // Only alice's direct call is hers now.
        let rows = person_rows(&store, &index, &names, "alice");
        assert_eq!(rows, [false, false, true, false]);
        // An issuing call that failed issues nothing.
        let mut failed = two_hops();
        failed[0]["errorCode"] = json!("AccessDenied");
        let (store, index) = load(&failed);
        assert!(!resolve(&store, &index, 2).is_complete());
    }

    #[test]
    fn source_identity_names_the_person_when_the_chain_breaks() {
        let mut who = session("ProdAdmin", "s1", "ASIAUNKNOWN");
        who["sessionContext"]["sourceIdentity"] = json!("carol");
        let (store, index) = load(&[call("x1", who, "GetObject")]);
        let chain = resolve(&store, &index, 0);
        assert!(!chain.is_complete());
        let names = IdcNames::default();
        assert_eq!(chain.person(&store, &names).as_deref(), Some("carol"));
        assert!(chain.person_is(&store, &names, "Carol"));
        assert!(chain
            .text(&store, &names)
            .starts_with("carol (source identity) → "));
        // Carried by an earlier session of the chain, it is found through the chain: here
        // the first AssumeRole is not loaded, the second was made by a session that
        // carries the source identity.
        let mut records = two_hops();
        records[1]["userIdentity"]["sessionContext"]["sourceIdentity"] = json!("alice@corp");
        records.remove(0);
        let (store, index) = load(&records);
        assert_eq!(
            index.issue("ASIAPROD").unwrap().source_identity,
            "alice@corp"
        );
        let chain = resolve(&store, &index, 1);
        assert_eq!(chain.gap, Some(Gap::IssuerNotLoaded("ASIADEPLOY".into())));
        assert_eq!(chain.person(&store, &names).as_deref(), Some("alice@corp"));
        assert_eq!(
            person_rows(&store, &index, &names, "alice@corp"),
            [true, true, false, false]
        );
        // Set by the first call, it is kept.
        let mut index = ChainIndex::new();
        let mut first = two_hops().remove(0);
        first["requestParameters"]["sourceIdentity"] = json!("al");
        index.add(0, &first);
        assert_eq!(index.issue("ASIADEPLOY").unwrap().source_identity, "al");
    }

    #[test]
    fn a_cycle_stops() {
        let records = vec![
            assume("k1", session("A", "a", "ASIAB"), "B", "b", "ASIAA"),
            assume("k2", session("B", "b", "ASIAA"), "A", "a", "ASIAB"),
        ];
        let (store, index) = load(&records);
        let chain = resolve(&store, &index, 0);
        assert!(matches!(chain.gap, Some(Gap::Cycle(_))), "{chain:?}");
        assert!(chain.links.len() <= 3);
        assert!(person_rows(&store, &index, &IdcNames::default(), "a")
            .iter()
            .all(|x| !x));
    }

    #[test]
    fn depth_is_capped() {
        // A chain of 20 sessions, each assumed from the previous one.
        let mut records = vec![assume("d0", user("dave", "AKIADAVE"), "R0", "s0", "ASIAK0")];
        for i in 1..20 {
            records.push(assume(
                &format!("d{i}"),
                session(&format!("R{}", i - 1), "s", &format!("ASIAK{}", i - 1)),
                &format!("R{i}"),
                "s",
                &format!("ASIAK{i}"),
            ));
        }
        let (store, index) = load(&records);
        let chain = resolve(&store, &index, 19);
        assert_eq!(chain.gap, Some(Gap::TooDeep));
        let chain = resolve(&store, &index, 10);
        assert!(chain.is_complete());
        assert_eq!(chain.hops(), 10);
    }

    #[test]
    fn saml_and_web_identity_origins() {
        let saml = json!({"eventID":"s1","eventName":"AssumeRoleWithSAML","eventSource":"sts.amazonaws.com",
            "userIdentity":{"type":"SAMLUser","principalId":"okta:erin@acme.example","userName":"erin@acme.example",
                "identityProvider":"arn:aws:iam::1:saml-provider/Okta"},
            "requestParameters":{"roleArn":"arn:aws:iam::1:role/Admin","principalArn":"arn:aws:iam::1:saml-provider/Okta"},
            "responseElements":{"credentials":{"accessKeyId":"ASIASAML"},"subject":"erin@acme.example",
                "assumedRoleUser":{"arn":"arn:aws:sts::1:assumed-role/Admin/erin@acme.example"}}});
        let web = json!({"eventID":"w1","eventName":"AssumeRoleWithWebIdentity","eventSource":"sts.amazonaws.com",
            "userIdentity":{"type":"WebIdentityUser","principalId":"accounts.google.com:app:123","userName":"123",
                "identityProvider":"accounts.google.com"},
            "requestParameters":{"roleArn":"arn:aws:iam::1:role/App","roleSessionName":"app-1"},
            "responseElements":{"credentials":{"accessKeyId":"ASIAWEB"}}});
        let records = vec![
            saml,
            web,
            call(
                "s2",
                session("Admin", "erin@acme.example", "ASIASAML"),
                "PutObject",
            ),
            call("w2", session("App", "app-1", "ASIAWEB"), "GetObject"),
        ];
        let (store, index) = load(&records);
        let names = IdcNames::default();
        let chain = resolve(&store, &index, 2);
        assert_eq!(
            chain.text(&store, &names),
            "erin@acme.example (Okta) → Admin (session erin@acme.example)"
        );
        assert!(chain.person_is(&store, &names, "erin@acme.example"));
        let chain = resolve(&store, &index, 3);
        assert_eq!(
            chain.text(&store, &names),
            "123 (accounts.google.com) → App (session app-1)"
        );
    }

    #[test]
    fn identity_center_users_get_names_from_the_csv() {
        let idc = json!({"type":"IdentityCenterUser","accountId":"1",
            "onBehalfOf":{"userId":"94482488-3041","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}});
        let mut first = assume("i1", idc, "Ops", "ops", "ASIAIDC");
        first["eventSource"] = json!("sts.amazonaws.com");
        let records = vec![
            first,
            call("i2", session("Ops", "ops", "ASIAIDC"), "ListBuckets"),
        ];
        let (store, index) = load(&records);
        let (names, errors) = IdcNames::parse("userId,name\n94482488-3041,Grace Hopper\n");
        assert!(errors.is_empty(), "{errors:?}");
        let chain = resolve(&store, &index, 1);
        assert_eq!(
            chain.text(&store, &names),
            "Grace Hopper (94482488-3041) → Ops (session ops)"
        );
        assert!(chain.person_is(&store, &names, "grace hopper"));
        assert_eq!(
            chain.person_query(&store, &names).as_deref(),
            Some("Grace Hopper")
        );
        assert!(chain.person_is(&store, &names, "94482488-3041"));
        assert_eq!(
            person_rows(&store, &index, &names, "Grace Hopper"),
            [true, true]
        );
        let none = IdcNames::default();
        assert_eq!(
            chain.text(&store, &none),
            "94482488-3041 → Ops (session ops)"
        );
    }

    #[test]
    fn federation_and_session_tokens() {
        let fed = json!({"eventID":"f1","eventName":"GetFederationToken","eventSource":"sts.amazonaws.com",
            "userIdentity":user("ci","AKIACI"),"requestParameters":{"name":"build"},
            "responseElements":{"credentials":{"accessKeyId":"ASIAFED"}}});
        let fed_user = json!({"type":"FederatedUser","principalId":"1:build","accountId":"1","accessKeyId":"ASIAFED",
            "arn":"arn:aws:sts::1:federated-user/build",
            "sessionContext":{"sessionIssuer":{"type":"IAMUser","userName":"ci","accountId":"1"}}});
        let token = json!({"eventID":"t1","eventName":"GetSessionToken","eventSource":"sts.amazonaws.com",
            "userIdentity":user("ann","AKIAANN"),
            "responseElements":{"credentials":{"accessKeyId":"ASIATOKEN"}}});
        let records = vec![
            fed,
            call("f2", fed_user, "ListBuckets"),
            token,
            call("t2", user("ann", "ASIATOKEN"), "ListBuckets"),
            // A session token whose issuing call is not loaded is still ann's.
            call("t3", user("ann", "ASIAOTHER"), "ListBuckets"),
        ];
        let (store, index) = load(&records);
        let names = IdcNames::default();
        assert_eq!(
            resolve(&store, &index, 1).text(&store, &names),
            "ci → federated user build"
        );
        assert_eq!(
            resolve(&store, &index, 3).text(&store, &names),
            "ann → session token (GetSessionToken)"
        );
        let lone = resolve(&store, &index, 4);
        assert!(lone.is_complete());
        assert_eq!(lone.text(&store, &names), "ann");
    }

    #[test]
    fn csv_errors_name_their_lines() {
        let text = "\u{feff}userId,name\n\nu-1,Ann\nu-2\n,Bob\nu-3,\nu-4,\"Smith, Jo\"\nu-1,Other\n\"u-5,Eve\nu-6,Ok,extra\nu-1,Ann\n";
        let (names, errors) = IdcNames::parse(text);
        assert_eq!(names.len(), 2);
        assert_eq!(names.name("u-1"), Some("Ann"));
        assert_eq!(names.name("u-4"), Some("Smith, Jo"));
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 4: expected 2 fields (userId,name), found 1; quote a name that contains a comma",
                "line 5: the userId is empty",
                "line 6: the name is empty",
                "line 8: u-1 already has another name on line 3; the first one is kept",
                "line 9: a quoted field has no closing quote",
                "line 10: expected 2 fields (userId,name), found 3; quote a name that contains a comma",
            ]
        );
        // Without a header the first line is data.
        let (names, errors) = IdcNames::parse("u-9,Zed");
        assert!(errors.is_empty());
        assert_eq!(names.name("u-9"), Some("Zed"));
    }

    /// The demo's scripted chain traces back to alice, records re-read from the files.
    #[test]
    fn demo_role_chain_reaches_alice() {
        use crate::demo::{generate, DemoConfig};
        let files: Vec<_> = generate(DemoConfig {
            events: 3000,
            ..DemoConfig::default()
        })
        .collect();
        let mut store = Store::new();
        for (i, f) in files.iter().enumerate() {
            ingest_bytes(i as u32, &f.path, &f.json, &mut store);
        }
        let mut index = ChainIndex::new();
        for row in issuing_rows(&store) {
            let origin = store.origin[row as usize];
            let (records, bad) =
                crate::export::records_of_file(&files[origin.file as usize].json, &[(row, origin)]);
            assert!(bad.is_empty());
            for (r, v) in records {
                index.add(r, &v);
            }
        }
        let row = (0..store.len())
            .find(|&i| store.strings.get(store.access_key[i]) == "ASIAEXAMPLEPRODADM01")
            .unwrap();
        let names = IdcNames::default();
        let chain = resolve(&store, &index, row as u32);
        assert_eq!(
            chain.text(&store, &names),
            "alice → DeployRole → ProdAdmin (session alice-admin)"
        );
        let alice = person_rows(&store, &index, &names, "alice");
        let through_roles = (0..store.len())
            .filter(|&i| alice[i] && store.strings.get(store.access_key[i]).starts_with("ASIA"))
            .count();
        // The second AssumeRole (made by DeployRole) and the seven ProdAdmin calls.
        assert_eq!(through_roles, 8);
    }

    #[test]
    fn records_that_issued_nothing_are_ignored() {
        let mut index = ChainIndex::new();
        index.add(0, &json!({"eventName":"AssumeRole","responseElements":{"credentials":{"accessKeyId":"REDACTED"}}}));
        index.add(
            1,
            &json!({"eventName":"AssumeRole","responseElements":null}),
        );
        index.add(2, &json!({"eventName":"GetCallerIdentity","responseElements":{"credentials":{"accessKeyId":"ASIAX"}}}));
        index.add(3, &json!({"eventName":"AssumeRole","errorCode":"AccessDenied","responseElements":{"credentials":{"accessKeyId":"ASIAY"}}}));
        index.add(4, &json!("not an object"));
        assert!(index.is_empty());
    }
}
