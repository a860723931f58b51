//! Built-in detections: the rules that turn "what happened" into "what should worry me".
//!
//! The store keeps columns, not raw records, so detection runs in two phases. Phase 1,
//! [`candidates`], picks from the columns alone the rows that could fire some rule (their
//! event name, a root actor, an access-denied error, a console write, a rarely used
//! region). The page re-reads just those records from their files, and phase 2, [`run`],
//! evaluates every rule over the full records and returns one [`Finding`] per rule that
//! fired, most severe first. Only successful calls count for rules about changes: a denied
//! `StopLogging` did not stop anything (the denial itself feeds the recon rule).

use crate::actor::IdentityType;
use crate::filter::Client;
use crate::record::flags;
use crate::sigma::RuleSet;
use crate::store::{Store, NONE, NO_TIME};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How much a finding should worry the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The lower-case name used in attributes and Sigma `level`s.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a Sigma `level` (`informational` counts as low).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" | "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// Thresholds of the rules that count or compare events; editable on the Findings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Failed console logins from one source IP that make a burst...
    pub failed_login_burst: usize,
    /// ...within this many seconds.
    pub failed_login_window: i64,
    /// AccessDenied / UnauthorizedOperation errors of one actor that make a burst...
    pub access_denied_burst: usize,
    /// ...within this many seconds.
    pub access_denied_window: i64,
    /// An IAM user or access key deleted within this many seconds of its creation.
    pub short_lived_window: i64,
    /// A region with at most this many events (by people, regional services) is rare...
    pub rare_region_max_events: usize,
    /// ...when at least this many such events were loaded in total.
    pub rare_region_min_total: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            failed_login_burst: 5,
            failed_login_window: 600,
            access_denied_burst: 10,
            access_denied_window: 600,
            short_lived_window: 600,
            rare_region_max_events: 5,
            rare_region_min_total: 200,
        }
    }
}

/// A built-in rule: stable id, severity, title and why it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Plain-language explanation shown with every finding of this rule.
    pub why: &'static str,
    /// Event names this rule looks at (empty: it selects rows another way).
    pub events: &'static [&'static str],
}

use Severity::{Critical, High, Low, Medium};

/// Every built-in rule, in display order within a severity.
pub const RULES: &[Rule] = &[
    Rule {
        id: "root-console-login",
        severity: Critical,
        title: "Root account signed in to the console",
        why: "The root user can do anything, including closing the account, and cannot be limited by IAM policies. Day-to-day work should never need it; a root sign-in is either a rare planned task or a compromise.",
        events: &["ConsoleLogin"],
    },
    Rule {
        id: "root-access-key-created",
        severity: Critical,
        title: "Access key created for the root account",
        why: "A root access key gives unrestricted, long-lived programmatic access to the whole account. AWS recommends that the root user has no access keys at all.",
        events: &["CreateAccessKey"],
    },
    Rule {
        id: "cloudtrail-stopped",
        severity: Critical,
        title: "CloudTrail logging stopped or trail deleted",
        why: "Stopping or deleting a trail blinds the account: whatever happens next is not recorded. Attackers do this right before the actions they want to hide.",
        events: &["StopLogging", "DeleteTrail"],
    },
    Rule {
        id: "security-service-disabled",
        severity: Critical,
        title: "Security monitoring disabled",
        why: "GuardDuty, AWS Config, Security Hub, Access Analyzer and Macie are how an account notices attacks and drift. Turning one off removes an alarm, which is a classic defence-evasion step.",
        events: &[
            "DeleteDetector",
            "UpdateDetector",
            "DisassociateFromMasterAccount",
            "DisassociateFromAdministratorAccount",
            "StopConfigurationRecorder",
            "DeleteConfigurationRecorder",
            "DeleteDeliveryChannel",
            "DisableSecurityHub",
            "BatchDisableStandards",
            "DeleteAnalyzer",
            "DisableMacie",
        ],
    },
    Rule {
        id: "admin-policy-attached",
        severity: Critical,
        title: "Administrator permissions granted",
        why: "Attaching AdministratorAccess, or an inline policy allowing every action on every resource, hands full control of the account to that user, role or group. It is the shortest path from a foothold to total control.",
        events: &[
            "AttachUserPolicy",
            "AttachRolePolicy",
            "AttachGroupPolicy",
            "PutUserPolicy",
            "PutRolePolicy",
            "PutGroupPolicy",
        ],
    },
    Rule {
        id: "s3-bucket-made-public",
        severity: Critical,
        title: "S3 bucket made public",
        why: "A bucket policy or ACL that grants access to everyone (Principal \"*\", AllUsers or AuthenticatedUsers) exposes its objects to the whole internet. Most cloud data leaks start this way.",
        events: &["PutBucketPolicy", "PutBucketAcl"],
    },
    Rule {
        id: "root-activity",
        severity: High,
        title: "Root account used",
        why: "Any successful API call made directly by the root user (not by an AWS service on its behalf). Root use should be rare and planned; unexpected root activity needs an explanation.",
        events: &[],
    },
    Rule {
        id: "console-login-without-mfa",
        severity: High,
        title: "Console sign-in without MFA",
        why: "A password alone protected this sign-in. Passwords are phished, reused and guessed; without a second factor, whoever has the password has the account.",
        events: &["ConsoleLogin"],
    },
    Rule {
        id: "console-login-failure-burst",
        severity: High,
        title: "Burst of failed console sign-ins from one address",
        why: "Many failed sign-ins from the same IP address in a short time look like password guessing or credential stuffing.",
        events: &["ConsoleLogin"],
    },
    Rule {
        id: "cloudtrail-modified",
        severity: High,
        title: "CloudTrail trail settings changed",
        why: "Updating a trail or its event selectors can silently narrow what is logged (drop management events, data events or a region) without stopping the trail.",
        events: &["UpdateTrail", "PutEventSelectors", "PutInsightSelectors"],
    },
    Rule {
        id: "vpc-flow-logs-deleted",
        severity: High,
        title: "VPC flow logs or DNS query logs deleted",
        why: "Flow logs and Route 53 Resolver query logs record network traffic and DNS lookups; deleting them removes the evidence of connections and exfiltration.",
        events: &[
            "DeleteFlowLogs",
            "DeleteResolverQueryLogConfig",
            "DisassociateResolverQueryLogConfig",
        ],
    },
    Rule {
        id: "access-key-for-other-user",
        severity: High,
        title: "Access key created for another user",
        why: "Creating keys for someone else's user is a common way to keep access after the original foothold is closed: the new key works even if the attacker's own credentials are revoked.",
        events: &["CreateAccessKey"],
    },
    Rule {
        id: "login-profile-changed",
        severity: High,
        title: "Console password set for another user",
        why: "Creating or changing another user's console password lets the caller sign in as that user, a persistence and escalation technique.",
        events: &["CreateLoginProfile", "UpdateLoginProfile"],
    },
    Rule {
        id: "assume-role-policy-changed",
        severity: High,
        title: "Role trust policy changed",
        why: "The trust policy decides who may assume a role. Changing it can let an outside account or principal take the role's permissions: a backdoor.",
        events: &["UpdateAssumeRolePolicy"],
    },
    Rule {
        id: "iam-credentials-short-lived",
        severity: High,
        title: "IAM user or access key created and deleted shortly after",
        why: "Credentials that exist for only a few minutes are typical of an attacker who creates what they need, uses it and cleans up to leave fewer traces.",
        events: &["CreateUser", "DeleteUser", "CreateAccessKey", "DeleteAccessKey"],
    },
    Rule {
        id: "security-group-open-to-world",
        severity: High,
        title: "Security group opened to the internet",
        why: "An ingress rule from 0.0.0.0/0 or ::/0 lets anyone on the internet reach the instances behind it. On administration or database ports (SSH, RDP, databases) it is an open door; the finding is then critical.",
        events: &["AuthorizeSecurityGroupIngress"],
    },
    Rule {
        id: "s3-public-access-block-removed",
        severity: High,
        title: "S3 Block Public Access removed",
        why: "Block Public Access is the safety net that overrides public policies and ACLs. Removing or weakening it is usually the step before making data public.",
        events: &[
            "DeleteBucketPublicAccessBlock",
            "DeletePublicAccessBlock",
            "DeleteAccountPublicAccessBlock",
            "PutBucketPublicAccessBlock",
            "PutPublicAccessBlock",
            "PutAccountPublicAccessBlock",
        ],
    },
    Rule {
        id: "snapshot-shared",
        severity: High,
        title: "Snapshot or image shared outside the account",
        why: "Sharing an EBS snapshot, AMI or RDS snapshot with another account (or everyone) copies whole disks or databases out of your control: a quiet, complete exfiltration.",
        events: &[
            "ModifySnapshotAttribute",
            "ModifyImageAttribute",
            "ModifyDBSnapshotAttribute",
            "ModifyDBClusterSnapshotAttribute",
        ],
    },
    Rule {
        id: "database-deleted",
        severity: High,
        title: "Database or table deleted",
        why: "Deleting an RDS instance or cluster or a DynamoDB table destroys data, sometimes with its backups; it is either a major planned change or sabotage.",
        events: &["DeleteDBInstance", "DeleteDBCluster", "DeleteTable"],
    },
    Rule {
        id: "bucket-deleted",
        severity: High,
        title: "S3 bucket deleted",
        why: "A deleted bucket takes its data with it, and its name can then be claimed by someone else.",
        events: &["DeleteBucket"],
    },
    Rule {
        id: "kms-key-deletion-scheduled",
        severity: High,
        title: "KMS key scheduled for deletion",
        why: "Once a KMS key is deleted, everything encrypted with it is unreadable forever. Scheduling deletion is a ransomware and sabotage technique.",
        events: &["ScheduleKeyDeletion"],
    },
    Rule {
        id: "console-login-failed",
        severity: Medium,
        title: "Failed console sign-in",
        why: "A wrong password or MFA code. One is usually a typo; several, or for an account nobody uses, may be someone guessing.",
        events: &["ConsoleLogin"],
    },
    Rule {
        id: "manual-console-change",
        severity: Medium,
        title: "Manual change from the console",
        why: "A person changed something by clicking in the AWS console rather than through infrastructure as code. Such changes bypass review, drift from the code, and are how many incidents (and attackers) act.",
        events: &[],
    },
    Rule {
        id: "iam-user-created",
        severity: Medium,
        title: "IAM user created",
        why: "New IAM users carry long-lived credentials. Where people sign in through SSO, a new user is unusual and a common persistence step.",
        events: &["CreateUser"],
    },
    Rule {
        id: "network-acl-changed",
        severity: Medium,
        title: "Network ACL changed",
        why: "Network ACLs are subnet-wide firewalls; a changed entry can open whole subnets to traffic.",
        events: &[
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ],
    },
    Rule {
        id: "route-table-changed",
        severity: Medium,
        title: "Route table changed",
        why: "Routes decide where traffic goes; a new route to an internet gateway or a foreign peering can expose private subnets or redirect traffic.",
        events: &[
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "AssociateRouteTable",
            "DisassociateRouteTable",
        ],
    },
    Rule {
        id: "instances-terminated",
        severity: Medium,
        title: "EC2 instances terminated",
        why: "Termination destroys an instance and, by default, its root volume. Routine for autoscaling, but by a person it can be sabotage or cleaning up after an attack.",
        events: &["TerminateInstances"],
    },
    Rule {
        id: "access-denied-burst",
        severity: Medium,
        title: "Burst of access-denied errors",
        why: "Many AccessDenied or UnauthorizedOperation errors from one actor in a short time look like someone with stolen credentials probing what they are allowed to do.",
        events: &[],
    },
    Rule {
        id: "unusual-region",
        severity: Medium,
        title: "Activity in a rarely used region",
        why: "Calls in a region that the rest of the loaded data does not use are typical of attackers hiding resources (often crypto-mining instances) where nobody looks.",
        events: &[],
    },
    Rule {
        id: "key-pair-changed",
        severity: Low,
        title: "EC2 key pair created, imported or deleted",
        why: "An imported or created key pair can give SSH access to new instances; deleting one can lock owners out.",
        events: &["CreateKeyPair", "ImportKeyPair", "DeleteKeyPair"],
    },
];

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One rule that fired: its events, who and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable rule id (a built-in id, or a Sigma rule's `id`).
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    /// Why it matters, in plain language.
    pub reason: String,
    /// Matching store rows, in load order.
    pub rows: Vec<u32>,
    /// Labels of the actors behind the matching events, sorted.
    pub actors: Vec<String>,
    /// Earliest and latest event time (Unix seconds), if any event had a time.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Who wrote the rule (Sigma rules credit their author).
    pub author: Option<String>,
}

impl Finding {
    /// Builds a finding over `rows`, filling actors and times from the store.
    pub fn new(
        store: &Store,
        rule: String,
        severity: Severity,
        title: String,
        reason: String,
        mut rows: Vec<u32>,
    ) -> Finding {
        rows.sort_unstable();
        rows.dedup();
        let actors: BTreeSet<String> = rows
            .iter()
            .filter_map(|&r| store.actor.get(r as usize))
            .filter_map(|&a| store.actors.get(a as usize))
            .map(|a| a.label.clone())
            .collect();
        let times = rows
            .iter()
            .filter_map(|&r| store.time.get(r as usize).copied())
            .filter(|&t| t != NO_TIME);
        let (first, last) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
            (
                Some(lo.map_or(t, |x| x.min(t))),
                Some(hi.map_or(t, |x| x.max(t))),
            )
        });
        Finding {
            rule,
            severity,
            title,
            reason,
            rows,
            actors: actors.into_iter().collect(),
            first,
            last,
            author: None,
        }
    }
}

/// Most severe first, then most events, then rule id.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.rows.len().cmp(&a.rows.len()))
            .then(a.rule.cmp(&b.rule))
    });
}

/// Error codes that mean "you are not allowed to".
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];

/// Console writes that are not changes anyone needs to review (sign-in plumbing, reads
/// the API files as writes, encryption done by the console on the user's behalf).
pub const CONSOLE_NOISE: &[&str] = &[
    "ConsoleLogin",
    "ConsoleLogout",
    "CheckMfa",
    "SwitchRole",
    "ExitRole",
    "RenewRole",
    "GetSigninToken",
    "AssumeRole",
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "LookupEvents",
    "TestEventPattern",
    "StartQuery",
    "StopQuery",
    "StartQueryExecution",
    "StopQueryExecution",
    "CreateSession",
    "SetDefaultPolicyVersion",
    "PutRumEvents",
    "StartSession",
    "ResumeSession",
    "TerminateSession",
    "UpdateInstanceInformation",
    "CredentialVerification",
    "CredentialChallenge",
    "UserAuthentication",
    "Federate",
    "Authenticate",
    "RefreshToken",
    "BatchGetImage",
];

/// Event sources whose calls are logged in us-east-1 whatever region the caller uses.
const GLOBAL_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "signin.amazonaws.com",
    "cloudfront.amazonaws.com",
    "route53.amazonaws.com",
    "organizations.amazonaws.com",
    "health.amazonaws.com",
    "support.amazonaws.com",
    "globalaccelerator.amazonaws.com",
    "sso.amazonaws.com",
    "billingconsole.amazonaws.com",
    "ce.amazonaws.com",
    "account.amazonaws.com",
    "notifications.amazonaws.com",
    "s3.amazonaws.com",
];

/// Marks the given string ids in a table indexed by id (ids outside it are ignored).
fn mark(len: usize, ids: impl IntoIterator<Item = u32>) -> Vec<bool> {
    let mut out = vec![false; len];
    for id in ids {
        if let Some(slot) = out.get_mut(id as usize) {
            *slot = true;
        }
    }
    out
}

/// Whether `table` marks `id`.
fn marked(table: &[bool], id: u32) -> bool {
    table.get(id as usize).copied().unwrap_or(false)
}

/// The "activity in a region not otherwise used" rule over the columns, with its lookups
/// as tables indexed by string or actor id (a pass over a million rows must not hash).
#[derive(Debug, Default)]
struct RegionRule {
    /// Regions used so rarely that any use of them stands out (see [`Settings`]).
    rare: Vec<bool>,
    /// Global services, whose calls are logged in us-east-1 whatever region is used.
    global: Vec<bool>,
    /// Actors that are AWS services or act for one.
    service_actor: Vec<bool>,
}

impl RegionRule {
    fn new(store: &Store, settings: &Settings) -> RegionRule {
        let n = store.strings.len();
        let mut rule = RegionRule {
            rare: Vec::new(),
            global: mark(
                n,
                GLOBAL_SOURCES
                    .iter()
                    .filter_map(|s| store.strings.lookup(s)),
            ),
            service_actor: store
                .actors
                .iter()
                .map(|a| {
                    a.kind_name == IdentityType::AwsService.as_str() || !a.invoked_by.is_empty()
                })
                .collect(),
        };
        let mut counts = vec![0usize; n];
        let mut total = 0usize;
        for row in 0..store.len() {
            let region = store.region[row];
            if region == NONE || !rule.counts(store, row) {
                continue;
            }
            if let Some(c) = counts.get_mut(region as usize) {
                *c += 1;
                total += 1;
            }
        }
        let used = counts.iter().filter(|&&c| c > 0).count();
        if total >= settings.rare_region_min_total && used >= 2 {
            rule.rare = counts
                .iter()
                .map(|&c| c > 0 && c <= settings.rare_region_max_events)
                .collect();
        }
        rule
    }

    /// Whether the row counts at all: not a global service, not done by or for AWS.
    fn counts(&self, store: &Store, row: usize) -> bool {
        !marked(&self.global, store.event_source[row])
            && store.client[row] != Client::AwsService
            && !marked(&self.service_actor, store.actor[row])
    }

    /// Whether the row is in a rare region.
    fn fires(&self, store: &Store, row: usize) -> bool {
        marked(&self.rare, store.region[row]) && self.counts(store, row)
    }
}

/// Phase 1: the rows that could fire some rule, judged from the columns alone (load order).
pub fn candidates(store: &Store, settings: &Settings) -> Vec<u32> {
    candidates_with(store, &RegionRule::new(store, settings))
}

/// [`candidates`] with the region rule already built.
fn candidates_with(store: &Store, region: &RegionRule) -> Vec<u32> {
    let n = store.strings.len();
    let names = mark(
        n,
        RULES
            .iter()
            .flat_map(|r| r.events.iter())
            .filter_map(|name| store.strings.lookup(name)),
    );
    let denied = mark(n, DENIED.iter().filter_map(|e| store.strings.lookup(e)));
    let root: Vec<bool> = store
        .actors
        .iter()
        .map(|a| a.kind_name == IdentityType::Root.as_str())
        .collect();
    (0..store.len())
        .filter(|&i| {
            marked(&names, store.event_name[i])
                || marked(&root, store.actor[i])
                || marked(&denied, store.error_code[i])
                || (store.client[i] == Client::Console && store.flags[i] & flags::READ_ONLY == 0)
                || region.fires(store, i)
        })
        .map(|i| i as u32)
        .collect()
}

/// The value at a path of object keys.
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// The string at a path ("" when absent or not a string).
fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

/// Whether the call succeeded: no error code, and no `"Failure"` answer (console sign-ins
/// report failure in `responseElements` rather than in `errorCode`).
pub fn succeeded(rec: &Value) -> bool {
    if !text(rec, &["errorCode"]).is_empty() {
        return false;
    }
    let name = text(rec, &["eventName"]);
    text(rec, &["responseElements", name]) != "Failure"
}

/// Whether the caller's identity is the IAM user `user` (by user name or ARN suffix).
fn caller_is_user(rec: &Value, user: &str) -> bool {
    !user.is_empty()
        && (text(rec, &["userIdentity", "userName"]) == user
            || text(rec, &["userIdentity", "arn"]).ends_with(&format!("/{user}")))
}

/// A policy document that may be embedded as a JSON string.
fn document(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

/// A JSON value as a list (a single value is a one-element list).
fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// The statements of a policy document.
fn statements(doc: &Value) -> Vec<&Value> {
    as_list(doc.get("Statement"))
}

/// Whether a statement allows everyone (`"*"` or `{"AWS": "*"}`) with no condition.
fn public_statement(st: &Value) -> bool {
    if st.get("Effect").and_then(Value::as_str) != Some("Allow") || st.get("Condition").is_some() {
        return false;
    }
    match st.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(m)) => m
            .get("AWS")
            .map(|v| as_list(Some(v)).iter().any(|x| x.as_str() == Some("*")))
            .unwrap_or(false),
        _ => false,
    }
}

/// Whether a statement allows every action on every resource.
fn admin_statement(st: &Value) -> bool {
    let star = |key: &str| {
        as_list(st.get(key))
            .iter()
            .any(|x| matches!(x.as_str(), Some("*") | Some("*:*")))
    };
    st.get("Effect").and_then(Value::as_str) == Some("Allow") && star("Action") && star("Resource")
}

/// Ports that should never face the internet: remote administration and databases.
const SENSITIVE_PORTS: &[(i64, &str)] = &[
    (22, "SSH"),
    (3389, "RDP"),
    (23, "Telnet"),
    (21, "FTP"),
    (445, "SMB"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (27017, "MongoDB"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (5900, "VNC"),
];

fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a CIDR block is the whole internet: a `/0` prefix, whatever address precedes it
/// (`0.0.0.0/0`, `::/0`, and the `203.0.113.9/0` that some tools write).
fn whole_internet(cidr: &str) -> bool {
    cidr.trim().ends_with("/0")
}

/// EC2 wraps lists as `{"items": [...]}`; plain arrays are accepted too.
fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Object(m)) => as_list(m.get("items")),
        other => as_list(other),
    }
}

/// The world-open ingress rules of an `AuthorizeSecurityGroupIngress`: for each, the
/// sensitive services in its port range (empty when none).
fn world_open_ingress(rec: &Value) -> Vec<Vec<&'static str>> {
    let rp = at(rec, &["requestParameters"]).unwrap_or(&Value::Null);
    let mut out = Vec::new();
    let ports = |perm: &Value| -> Vec<&'static str> {
        let proto = perm
            .get("ipProtocol")
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| p.to_string())
            })
            .unwrap_or_default();
        let from = number(perm.get("fromPort"));
        let to = number(perm.get("toPort")).or(from);
        SENSITIVE_PORTS
            .iter()
            .filter(|(p, _)| match (proto.as_str(), from, to) {
                ("-1", _, _) => true,
                (_, Some(a), Some(b)) => (a == -1 && b == -1) || (a <= *p && *p <= b),
                _ => false,
            })
            .map(|(_, name)| *name)
            .collect()
    };
    for perm in items(rp.get("ipPermissions")) {
        let open4 = items(perm.get("ipRanges")).iter().any(|r| {
            r.get("cidrIp")
                .and_then(Value::as_str)
                .is_some_and(whole_internet)
        });
        let open6 = items(perm.get("ipv6Ranges")).iter().any(|r| {
            r.get("cidrIpv6")
                .and_then(Value::as_str)
                .is_some_and(whole_internet)
        });
        if open4 || open6 {
            out.push(ports(perm));
        }
    }
    // The older flat form: cidrIp, ipProtocol, fromPort, toPort at the top level.
    if rp
        .get("cidrIp")
        .and_then(Value::as_str)
        .is_some_and(whole_internet)
    {
        out.push(ports(rp));
    }
    out
}

/// Whether a bucket ACL change grants access to everyone.
fn public_acl(rec: &Value) -> bool {
    let rp = at(rec, &["requestParameters"]).unwrap_or(&Value::Null);
    let canned = as_list(rp.get("x-amz-acl"))
        .iter()
        .filter_map(|v| v.as_str())
        .any(|a| {
            matches!(
                a,
                "public-read" | "public-read-write" | "authenticated-read"
            )
        });
    // Grants name the AllUsers / AuthenticatedUsers groups by URI anywhere in the ACL.
    let grants = rp.get("AccessControlPolicy").is_some_and(|acl| {
        let s = acl.to_string();
        s.contains("acs.amazonaws.com/groups/global/AllUsers")
            || s.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers")
    });
    let headers = [
        "x-amz-grant-read",
        "x-amz-grant-full-control",
        "x-amz-grant-write",
    ]
    .iter()
    .any(|h| {
        rp.get(*h)
            .is_some_and(|v| v.to_string().contains("acs.amazonaws.com/groups/global/"))
    });
    canned || grants || headers
}

/// Whether a sharing change adds another account (12 digits, not the owner) or everyone.
fn shares_outside(rec: &Value) -> bool {
    let rp = at(rec, &["requestParameters"]).unwrap_or(&Value::Null);
    let own = text(rec, &["recipientAccountId"]);
    let outside = |id: &str| {
        id == "all" || (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) && id != own)
    };
    match text(rec, &["eventName"]) {
        "ModifySnapshotAttribute" | "ModifyImageAttribute" => {
            let key = if text(rec, &["eventName"]) == "ModifySnapshotAttribute" {
                "createVolumePermission"
            } else {
                "launchPermission"
            };
            as_list(at(rp, &[key, "add", "items"])).iter().any(|item| {
                item.get("group").and_then(Value::as_str) == Some("all")
                    || item
                        .get("userId")
                        .and_then(Value::as_str)
                        .is_some_and(outside)
            })
        }
        _ => {
            text(rp, &["attributeName"]) == "restore"
                && as_list(rp.get("valuesToAdd"))
                    .iter()
                    .filter_map(|v| v.as_str())
                    .any(outside)
        }
    }
}

/// Whether a public-access-block change removes or weakens the block.
fn weakens_public_access_block(rec: &Value) -> bool {
    let name = text(rec, &["eventName"]);
    if name.starts_with("Delete") {
        return true;
    }
    let rp = at(rec, &["requestParameters"]).unwrap_or(&Value::Null);
    let config = rp
        .get("PublicAccessBlockConfiguration")
        .or_else(|| rp.get("publicAccessBlockConfiguration"));
    let Some(Value::Object(config)) = config else {
        return false;
    };
    [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ]
    .iter()
    .any(|k| {
        let v = config
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v);
        matches!(v, Some(Value::Bool(false))) || v.and_then(Value::as_str) == Some("false")
    })
}

/// Whether a security-service event turns the service off.
fn disables_security_service(rec: &Value) -> bool {
    match text(rec, &["eventName"]) {
        "UpdateDetector" => {
            let enable = at(rec, &["requestParameters", "enable"]);
            matches!(enable, Some(Value::Bool(false)))
                || enable.and_then(Value::as_str) == Some("false")
        }
        "" => false,
        _ => true,
    }
}

/// Whether a rule that looks at one record at a time fires on it.
fn record_fires(id: &str, rec: &Value, store: &Store, row: usize) -> bool {
    let name = text(rec, &["eventName"]);
    let rule_names = rule(id).map_or(&[][..], |r| r.events);
    if !rule_names.is_empty() && !rule_names.contains(&name) {
        return false;
    }
    let kind = text(rec, &["userIdentity", "type"]);
    let ok = succeeded(rec);
    let rp = at(rec, &["requestParameters"]).unwrap_or(&Value::Null);
    match id {
        "root-console-login" => kind == "Root" && ok,
        "root-access-key-created" => kind == "Root" && ok && text(rp, &["userName"]).is_empty(),
        "root-activity" => {
            kind == "Root"
                && ok
                && text(rec, &["userIdentity", "invokedBy"]).is_empty()
                && text(rec, &["eventType"]) != "AwsServiceEvent"
        }
        "console-login-without-mfa" => {
            ok && matches!(kind, "IAMUser" | "Root")
                && text(rec, &["additionalEventData", "MFAUsed"]) == "No"
                && at(rec, &["additionalEventData", "SamlProviderArn"]).is_none()
                && text(
                    rec,
                    &[
                        "userIdentity",
                        "sessionContext",
                        "attributes",
                        "mfaAuthenticated",
                    ],
                ) != "true"
        }
        "console-login-failed" => !ok,
        "cloudtrail-stopped"
        | "cloudtrail-modified"
        | "vpc-flow-logs-deleted"
        | "iam-user-created"
        | "assume-role-policy-changed"
        | "network-acl-changed"
        | "route-table-changed"
        | "database-deleted"
        | "bucket-deleted"
        | "kms-key-deletion-scheduled"
        | "instances-terminated"
        | "key-pair-changed" => ok,
        "security-service-disabled" => ok && disables_security_service(rec),
        "access-key-for-other-user" => {
            let target = Some(text(rp, &["userName"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| text(rec, &["responseElements", "accessKey", "userName"]));
            ok && kind != "Root" && !target.is_empty() && !caller_is_user(rec, target)
        }
        "login-profile-changed" => {
            let target = text(rp, &["userName"]);
            ok && !target.is_empty() && !caller_is_user(rec, target)
        }
        "admin-policy-attached" => {
            ok && (text(rp, &["policyArn"]).ends_with(":policy/AdministratorAccess")
                || document(rp.get("policyDocument"))
                    .is_some_and(|d| statements(&d).into_iter().any(admin_statement)))
        }
        "s3-bucket-made-public" => {
            ok && match name {
                "PutBucketPolicy" => document(rp.get("bucketPolicy"))
                    .is_some_and(|d| statements(&d).into_iter().any(public_statement)),
                _ => public_acl(rec),
            }
        }
        "s3-public-access-block-removed" => {
            ok && text(rec, &["eventSource"]) == "s3.amazonaws.com"
                && weakens_public_access_block(rec)
        }
        "snapshot-shared" => ok && shares_outside(rec),
        "security-group-open-to-world" => ok && !world_open_ingress(rec).is_empty(),
        "manual-console-change" => {
            ok && store.client.get(row) == Some(&Client::Console)
                && store
                    .flags
                    .get(row)
                    .is_some_and(|f| f & flags::READ_ONLY == 0)
                && !CONSOLE_NOISE.contains(&name)
                && text(rec, &["userIdentity", "invokedBy"]).is_empty()
                && kind != "AWSService"
                && text(rec, &["eventType"]) != "AwsServiceEvent"
        }
        _ => false,
    }
}

/// Rows (sorted by time) in some window of `window` seconds holding at least `size` of them.
fn bursts(mut events: Vec<(i64, u32)>, size: usize, window: i64) -> Vec<u32> {
    events.sort_unstable();
    let size = size.max(1);
    let mut hit = vec![false; events.len()];
    let mut lo = 0;
    for hi in 0..events.len() {
        while events[hi].0 - events[lo].0 > window {
            lo += 1;
        }
        if hi + 1 - lo >= size {
            hit[lo..=hi].iter_mut().for_each(|h| *h = true);
        }
    }
    events
        .iter()
        .zip(hit)
        .filter(|(_, h)| *h)
        .map(|((_, row), _)| *row)
        .collect()
}

/// Phase 2, incrementally: feed candidate records in slices of any size (so a page can
/// yield between them), then [`Detector::finish`]. Only row numbers and a few keys are
/// kept between slices, never the records.
#[derive(Debug, Default)]
pub struct Detector {
    settings: Settings,
    hits: BTreeMap<&'static str, Vec<u32>>,
    escalate: HashSet<&'static str>,
    sensitive: BTreeSet<&'static str>,
    failed_by_ip: HashMap<String, Vec<(i64, u32)>>,
    denied_by_actor: HashMap<u32, Vec<(i64, u32)>>,
    created: Vec<(String, i64, u32)>,
    deleted: Vec<(String, i64, u32)>,
    region: RegionRule,
}

impl Detector {
    /// A detector for this store and thresholds.
    pub fn new(store: &Store, settings: &Settings) -> Detector {
        Detector {
            settings: *settings,
            region: RegionRule::new(store, settings),
            ..Detector::default()
        }
    }

    /// [`candidates`] for this detector's store and thresholds, sharing its region rule
    /// (building that rule is a pass over every row).
    pub fn candidates(&self, store: &Store) -> Vec<u32> {
        candidates_with(store, &self.region)
    }

    /// Evaluates the rules over some candidate records.
    pub fn feed(&mut self, store: &Store, records: &[(u32, Value)]) {
        for (row, rec) in records {
            if (*row as usize) < store.len() {
                self.one(store, *row, rec);
            }
        }
    }

    fn one(&mut self, store: &Store, row: u32, rec: &Value) {
        let i = row as usize;
        for r in RULES {
            if record_fires(r.id, rec, store, i) {
                self.hits.entry(r.id).or_default().push(row);
            }
        }
        if self.region.fires(store, i) {
            self.hits.entry("unusual-region").or_default().push(row);
        }
        let name = text(rec, &["eventName"]);
        let ok = succeeded(rec);
        if name == "AuthorizeSecurityGroupIngress" && ok {
            for ports in world_open_ingress(rec) {
                if !ports.is_empty() {
                    self.escalate.insert("security-group-open-to-world");
                }
                self.sensitive.extend(ports);
            }
        }
        let t = store.time.get(i).copied().unwrap_or(NO_TIME);
        if t == NO_TIME {
            return;
        }
        if name == "ConsoleLogin" && !ok {
            let ip = text(rec, &["sourceIPAddress"]).to_owned();
            self.failed_by_ip.entry(ip).or_default().push((t, row));
        }
        // Denials of calls an AWS service made (source is its host name, not an address)
        // are the service's business, not someone probing.
        let from_address = text(rec, &["sourceIPAddress"])
            .parse::<std::net::IpAddr>()
            .is_ok();
        if DENIED.contains(&text(rec, &["errorCode"])) && from_address {
            self.denied_by_actor
                .entry(store.actor[i])
                .or_default()
                .push((t, row));
        }
        if ok {
            let key = match name {
                "CreateUser" | "DeleteUser" => {
                    format!("user:{}", text(rec, &["requestParameters", "userName"]))
                }
                "CreateAccessKey" => format!(
                    "key:{}",
                    text(rec, &["responseElements", "accessKey", "accessKeyId"])
                ),
                "DeleteAccessKey" => {
                    format!("key:{}", text(rec, &["requestParameters", "accessKeyId"]))
                }
                _ => String::new(),
            };
            if key.len() > 5 {
                if name.starts_with("Create") {
                    self.created.push((key, t, row));
                } else {
                    self.deleted.push((key, t, row));
                }
            }
        }
    }

    /// The rules over several events, then one finding per rule; most severe first.
    pub fn finish(self, store: &Store) -> Vec<Finding> {
        let Detector {
            settings,
            mut hits,
            escalate,
            sensitive,
            failed_by_ip,
            denied_by_actor,
            created,
            deleted,
            ..
        } = self;
        let failed = burst_groups(
            failed_by_ip,
            settings.failed_login_burst,
            settings.failed_login_window,
        );
        if !failed.is_empty() {
            hits.insert("console-login-failure-burst", failed);
        }
        let denied = burst_groups(
            denied_by_actor,
            settings.access_denied_burst,
            settings.access_denied_window,
        );
        if !denied.is_empty() {
            hits.insert("access-denied-burst", denied);
        }
        let mut short = Vec::new();
        for (key, t0, r0) in &created {
            for (k, t1, r1) in &deleted {
                if k == key && *t1 >= *t0 && t1 - t0 <= settings.short_lived_window {
                    short.extend([*r0, *r1]);
                }
            }
        }
        if !short.is_empty() {
            hits.insert("iam-credentials-short-lived", short);
        }
        let mut findings: Vec<Finding> = hits
            .into_iter()
            .filter_map(|(id, rows)| {
                let r = rule(id)?;
                let mut severity = r.severity;
                let mut reason = r.why.to_owned();
                if escalate.contains(id) {
                    severity = Critical;
                    let ports: Vec<&str> = sensitive.iter().copied().collect();
                    reason.push_str(&format!(" Opened to the internet: {}.", ports.join(", ")));
                }
                Some(Finding::new(
                    store,
                    id.to_owned(),
                    severity,
                    r.title.to_owned(),
                    reason,
                    rows,
                ))
            })
            .collect();
        sort_findings(&mut findings);
        findings
    }
}

/// Phase 2 in one go: evaluates every rule over the candidate records; most severe first.
pub fn run(store: &Store, records: &[(u32, Value)], settings: &Settings) -> Vec<Finding> {
    let mut detector = Detector::new(store, settings);
    detector.feed(store, records);
    detector.finish(store)
}

/// The rows of every group that are part of a burst.
fn burst_groups<K>(groups: HashMap<K, Vec<(i64, u32)>>, size: usize, window: i64) -> Vec<u32> {
    groups
        .into_values()
        .flat_map(|events| bursts(events, size, window))
        .collect()
}

/// Phase 1 for Sigma rules: rows whose event name some rule can match (every row when a
/// rule can match any name; rows without an event name are always tried).
pub fn sigma_candidates(store: &Store, rules: &RuleSet) -> Vec<u32> {
    if rules.rules().is_empty() {
        return Vec::new();
    }
    let Some(names) = rules.event_names() else {
        return store.all_rows();
    };
    let wanted: Vec<bool> = (0..store.strings.len() as u32)
        .map(|id| {
            let name = store.strings.get(id);
            name.is_empty() || names.contains(&name.to_lowercase())
        })
        .collect();
    (0..store.len())
        .filter(|&i| {
            wanted
                .get(store.event_name[i] as usize)
                .copied()
                .unwrap_or(true)
        })
        .map(|i| i as u32)
        .collect()
}

/// Phase 2 for Sigma rules, incrementally: adds the rows each rule matches in `records`
/// to `rows` (one list per rule, grown as needed).
pub fn sigma_feed(
    store: &Store,
    records: &[(u32, Value)],
    rules: &RuleSet,
    rows: &mut Vec<Vec<u32>>,
) {
    rows.resize_with(rules.rules().len(), Vec::new);
    for (row, rec) in records {
        if (*row as usize) < store.len() {
            for i in rules.matching(rec) {
                if let Some(r) = rows.get_mut(i) {
                    r.push(*row);
                }
            }
        }
    }
}

/// One finding per Sigma rule that matched, severity from its `level` (medium when
/// unknown), its author credited.
pub fn sigma_finish(store: &Store, rules: &RuleSet, rows: Vec<Vec<u32>>) -> Vec<Finding> {
    rules
        .rules()
        .iter()
        .zip(rows)
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(rule, rows)| {
            let reason = if rule.description.trim().is_empty() {
                "A loaded Sigma rule matched these events.".to_owned()
            } else {
                rule.description.trim().to_owned()
            };
            let mut f = Finding::new(
                store,
                rule.id.clone(),
                Severity::parse(&rule.level).unwrap_or(Medium),
                rule.title.clone(),
                reason,
                rows,
            );
            f.author = Some(rule.author.trim().to_owned()).filter(|a| !a.is_empty());
            f
        })
        .collect()
}

/// Phase 2 for Sigma rules in one go.
pub fn sigma_findings(store: &Store, records: &[(u32, Value)], rules: &RuleSet) -> Vec<Finding> {
    let mut rows = Vec::new();
    sigma_feed(store, records, rules, &mut rows);
    sigma_finish(store, rules, rows)
}

/// Both phases over records that are all at hand (tests, native tools): ingests nothing,
/// just picks the candidates' records out of `records` (indexed by row).
pub fn detect_all(store: &Store, records: &[Value], settings: &Settings) -> Vec<Finding> {
    let picked: Vec<(u32, Value)> = candidates(store, settings)
        .into_iter()
        .filter_map(|r| records.get(r as usize).map(|v| (r, v.clone())))
        .collect();
    run(store, &picked, settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;
    use serde_json::json;

    /// A record with sensible defaults; `extra` overrides or adds top-level keys.
    fn rec(name: &str, extra: Value) -> Value {
        let mut r = json!({
            "eventVersion": "1.08",
            "eventTime": "2024-05-01T10:00:00Z",
            "eventSource": "iam.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.9",
            "userAgent": "aws-cli/2.15.0",
            "readOnly": false,
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "userName": "alice",
                "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333"},
        });
        if let (Value::Object(base), Value::Object(more)) = (&mut r, extra) {
            for (k, v) in more {
                base.insert(k, v);
            }
        }
        r
    }

    /// Loads the records (each with a fresh eventID) and runs both phases.
    fn detect_with(records: Vec<Value>, settings: &Settings) -> Vec<Finding> {
        let records: Vec<Value> = records
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r["eventID"] = json!(format!("id-{i}"));
                r
            })
            .collect();
        let doc = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        let mut store = Store::new();
        ingest_bytes(0, "t", &doc, &mut store);
        assert_eq!(store.len(), records.len());
        detect_all(&store, &records, settings)
    }

    fn fired(records: Vec<Value>) -> Vec<String> {
        detect_with(records, &Settings::default())
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    /// Asserts `rule` fires on `yes` and not on `no`.
    fn check(rule: &str, yes: Value, no: Value) {
        assert!(
            fired(vec![yes.clone()]).iter().any(|r| r == rule),
            "{rule} should fire on {yes}"
        );
        assert!(
            !fired(vec![no.clone()]).iter().any(|r| r == rule),
            "{rule} should not fire on {no}"
        );
    }

    fn root() -> Value {
        json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"})
    }

    fn login(kind: Value, mfa: &str, ok: bool) -> Value {
        rec(
            "ConsoleLogin",
            json!({"eventSource": "signin.amazonaws.com", "userIdentity": kind,
                "userAgent": "Mozilla/5.0",
                "additionalEventData": {"MFAUsed": mfa},
                "responseElements": {"ConsoleLogin": if ok {"Success"} else {"Failure"}}}),
        )
    }

    #[test]
    fn every_rule_has_a_unique_kebab_id_and_an_explanation() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(r
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            assert!(r.why.len() > 40 && !r.title.is_empty());
        }
        assert!(RULES.len() >= 25);
    }

    #[test]
    fn root_rules() {
        check(
            "root-console-login",
            login(root(), "Yes", true),
            login(root(), "Yes", false),
        );
        check(
            "root-activity",
            rec("PutBucketVersioning", json!({"userIdentity": root()})),
            rec(
                "PutBucketVersioning",
                json!({"userIdentity": {"type":"Root","invokedBy":"s3.amazonaws.com"}}),
            ),
        );
        check(
            "root-access-key-created",
            rec("CreateAccessKey", json!({"userIdentity": root()})),
            rec(
                "CreateAccessKey",
                json!({"userIdentity": root(), "requestParameters": {"userName": "bob"}}),
            ),
        );
    }

    #[test]
    fn console_logins() {
        let iam = json!({"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/alice"});
        check(
            "console-login-without-mfa",
            login(iam.clone(), "No", true),
            login(iam.clone(), "Yes", true),
        );
        // A failed login without MFA is not a login without MFA.
        check(
            "console-login-without-mfa",
            login(iam.clone(), "No", true),
            login(iam.clone(), "No", false),
        );
        check(
            "console-login-failed",
            login(iam.clone(), "No", false),
            login(iam.clone(), "No", true),
        );
        let burst: Vec<Value> = (0..5)
            .map(|i| {
                let mut r = login(iam.clone(), "No", false);
                r["eventTime"] = json!(format!("2024-05-01T10:0{i}:00Z"));
                r
            })
            .collect();
        assert!(fired(burst.clone()).contains(&"console-login-failure-burst".to_owned()));
        // Four failures, or five spread over more than the window, are not a burst.
        assert!(!fired(burst[..4].to_vec()).contains(&"console-login-failure-burst".to_owned()));
        let mut spread = burst.clone();
        spread[4]["eventTime"] = json!("2024-05-01T11:00:00Z");
        assert!(!fired(spread).contains(&"console-login-failure-burst".to_owned()));
        // Five failures from five addresses are not a burst from one address.
        let mut many = burst;
        for (i, r) in many.iter_mut().enumerate() {
            r["sourceIPAddress"] = json!(format!("198.51.100.{i}"));
        }
        assert!(!fired(many).contains(&"console-login-failure-burst".to_owned()));
    }

    #[test]
    fn manual_console_change() {
        let console = |name: &str, ua: &str| {
            rec(
                name,
                json!({"eventSource": "ec2.amazonaws.com", "userAgent": ua,
                "readOnly": name.starts_with("Describe")}),
            )
        };
        check(
            "manual-console-change",
            console("RunInstances", "console.ec2.amazonaws.com"),
            console("RunInstances", "aws-cli/2.0"),
        );
        check(
            "manual-console-change",
            console(
                "CreateFunction20150331",
                "aws-internal/3 aws-sdk-java/1.12 AWSLambdaConsole/1.0",
            ),
            console("Decrypt", "console.amazonaws.com"),
        );
        check(
            "manual-console-change",
            console("PutBucketTagging", "[S3Console/0.4, aws-internal/3]"),
            console("DescribeInstances", "console.ec2.amazonaws.com"),
        );
        let mut invoked = console("CreateLogGroup", "console.amazonaws.com");
        invoked["userIdentity"]["invokedBy"] = json!("cloudformation.amazonaws.com");
        check(
            "manual-console-change",
            console("CreateLogGroup", "signin.amazonaws.com"),
            invoked,
        );
        let mut failed = console("RunInstances", "Mozilla/5.0");
        failed["errorCode"] = json!("UnauthorizedOperation");
        check(
            "manual-console-change",
            console("RunInstances", "Mozilla/5.0"),
            failed,
        );
    }

    #[test]
    fn logging_and_monitoring() {
        let ct = |name: &str, err: Option<&str>| {
            let mut r = rec(name, json!({"eventSource": "cloudtrail.amazonaws.com"}));
            if let Some(e) = err {
                r["errorCode"] = json!(e);
            }
            r
        };
        check(
            "cloudtrail-stopped",
            ct("StopLogging", None),
            ct("StopLogging", Some("AccessDenied")),
        );
        check(
            "cloudtrail-stopped",
            ct("DeleteTrail", None),
            ct("StartLogging", None),
        );
        check(
            "cloudtrail-modified",
            ct("PutEventSelectors", None),
            ct("GetEventSelectors", None),
        );
        check(
            "security-service-disabled",
            rec(
                "UpdateDetector",
                json!({"requestParameters": {"detectorId": "d", "enable": false}}),
            ),
            rec(
                "UpdateDetector",
                json!({"requestParameters": {"detectorId": "d", "enable": true}}),
            ),
        );
        check(
            "security-service-disabled",
            rec("StopConfigurationRecorder", json!({})),
            rec("StartConfigurationRecorder", json!({})),
        );
        check(
            "vpc-flow-logs-deleted",
            rec("DeleteFlowLogs", json!({})),
            rec("CreateFlowLogs", json!({})),
        );
    }

    #[test]
    fn iam_persistence() {
        check(
            "iam-user-created",
            rec("CreateUser", json!({})),
            rec("GetUser", json!({})),
        );
        check(
            "access-key-for-other-user",
            rec(
                "CreateAccessKey",
                json!({"requestParameters": {"userName": "bob"}}),
            ),
            rec(
                "CreateAccessKey",
                json!({"requestParameters": {"userName": "alice"}}),
            ),
        );
        check(
            "login-profile-changed",
            rec(
                "CreateLoginProfile",
                json!({"requestParameters": {"userName": "bob"}}),
            ),
            rec(
                "UpdateLoginProfile",
                json!({"requestParameters": {"userName": "alice"}}),
            ),
        );
        check(
            "admin-policy-attached",
            rec(
                "AttachUserPolicy",
                json!({"requestParameters": {"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}),
            ),
            rec(
                "AttachUserPolicy",
                json!({"requestParameters": {"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}),
            ),
        );
        check(
            "admin-policy-attached",
            rec(
                "PutRolePolicy",
                json!({"requestParameters": {"roleName": "r", "policyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}}),
            ),
            rec(
                "PutRolePolicy",
                json!({"requestParameters": {"roleName": "r", "policyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}}),
            ),
        );
        check(
            "assume-role-policy-changed",
            rec("UpdateAssumeRolePolicy", json!({})),
            rec("GetRole", json!({})),
        );
    }

    #[test]
    fn short_lived_credentials() {
        let user = |name: &str, time: &str| {
            rec(
                name,
                json!({"eventTime": time, "requestParameters": {"userName": "tmp"}}),
            )
        };
        let quick = vec![
            user("CreateUser", "2024-05-01T10:00:00Z"),
            user("DeleteUser", "2024-05-01T10:09:00Z"),
        ];
        assert!(fired(quick).contains(&"iam-credentials-short-lived".to_owned()));
        let slow = vec![
            user("CreateUser", "2024-05-01T10:00:00Z"),
            user("DeleteUser", "2024-05-01T10:11:00Z"),
        ];
        assert!(!fired(slow).contains(&"iam-credentials-short-lived".to_owned()));
        let key = vec![
            rec(
                "CreateAccessKey",
                json!({"responseElements": {"accessKey": {"accessKeyId": "AKIAX", "userName": "alice"}}}),
            ),
            rec(
                "DeleteAccessKey",
                json!({"eventTime": "2024-05-01T10:01:00Z", "requestParameters": {"accessKeyId": "AKIAX"}}),
            ),
        ];
        assert!(fired(key).contains(&"iam-credentials-short-lived".to_owned()));
    }

    #[test]
    fn network_exposure() {
        let sg = |cidr: &str, port: i64| {
            rec(
                "AuthorizeSecurityGroupIngress",
                json!({"eventSource": "ec2.amazonaws.com",
                "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": [
                    {"ipProtocol": "tcp", "fromPort": port, "toPort": port,
                     "ipRanges": {"items": [{"cidrIp": cidr}]}}]}}}),
            )
        };
        check(
            "security-group-open-to-world",
            sg("0.0.0.0/0", 443),
            sg("10.0.0.0/8", 22),
        );
        let f = detect_with(vec![sg("0.0.0.0/0", 22)], &Settings::default());
        let sg_finding = f
            .iter()
            .find(|f| f.rule == "security-group-open-to-world")
            .unwrap();
        assert_eq!(sg_finding.severity, Critical);
        assert!(sg_finding.reason.contains("SSH"));
        let f = detect_with(vec![sg("0.0.0.0/0", 443)], &Settings::default());
        assert_eq!(
            f.iter()
                .find(|f| f.rule == "security-group-open-to-world")
                .unwrap()
                .severity,
            High
        );
        check(
            "key-pair-changed",
            rec("ImportKeyPair", json!({})),
            rec("DescribeKeyPairs", json!({})),
        );
        check(
            "network-acl-changed",
            rec("CreateNetworkAclEntry", json!({})),
            rec("DescribeNetworkAcls", json!({})),
        );
        check(
            "route-table-changed",
            rec("CreateRoute", json!({})),
            rec("DescribeRouteTables", json!({})),
        );
    }

    #[test]
    fn data_exposure() {
        let policy = |principal: Value| {
            rec(
                "PutBucketPolicy",
                json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "b",
                "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}]}}}),
            )
        };
        check(
            "s3-bucket-made-public",
            policy(json!("*")),
            policy(json!({"AWS": "arn:aws:iam::111122223333:root"})),
        );
        check(
            "s3-bucket-made-public",
            policy(json!({"AWS": "*"})),
            policy(json!({"Service": "cloudtrail.amazonaws.com"})),
        );
        check(
            "s3-bucket-made-public",
            rec(
                "PutBucketAcl",
                json!({"requestParameters": {"bucketName": "b", "x-amz-acl": ["public-read"]}}),
            ),
            rec(
                "PutBucketAcl",
                json!({"requestParameters": {"bucketName": "b", "x-amz-acl": ["private"]}}),
            ),
        );
        check(
            "s3-public-access-block-removed",
            rec(
                "DeleteBucketPublicAccessBlock",
                json!({"eventSource": "s3.amazonaws.com"}),
            ),
            rec(
                "PutBucketPublicAccessBlock",
                json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true}}}),
            ),
        );
        check(
            "s3-public-access-block-removed",
            rec(
                "PutBucketPublicAccessBlock",
                json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": false}}}),
            ),
            rec(
                "GetBucketPublicAccessBlock",
                json!({"eventSource": "s3.amazonaws.com"}),
            ),
        );
        let snap = |who: Value| {
            rec(
                "ModifySnapshotAttribute",
                json!({"requestParameters": {"snapshotId": "snap-1",
                "createVolumePermission": {"add": {"items": [who]}}}}),
            )
        };
        check(
            "snapshot-shared",
            snap(json!({"userId": "999988887777"})),
            snap(json!({"userId": "111122223333"})),
        );
        check(
            "snapshot-shared",
            snap(json!({"group": "all"})),
            snap(json!({"group": "none"})),
        );
        check(
            "snapshot-shared",
            rec(
                "ModifyDBSnapshotAttribute",
                json!({"requestParameters": {"attributeName": "restore", "valuesToAdd": ["999988887777"]}}),
            ),
            rec(
                "ModifyDBSnapshotAttribute",
                json!({"requestParameters": {"attributeName": "restore", "valuesToAdd": []}}),
            ),
        );
    }

    #[test]
    fn destruction() {
        let failed = |name: &str| rec(name, json!({"errorCode": "AccessDenied"}));
        check(
            "instances-terminated",
            rec("TerminateInstances", json!({})),
            failed("TerminateInstances"),
        );
        check(
            "database-deleted",
            rec("DeleteDBInstance", json!({})),
            failed("DeleteDBInstance"),
        );
        check(
            "database-deleted",
            rec("DeleteTable", json!({})),
            rec("DeleteItem", json!({})),
        );
        check(
            "bucket-deleted",
            rec("DeleteBucket", json!({})),
            rec("DeleteObject", json!({})),
        );
        check(
            "kms-key-deletion-scheduled",
            rec("ScheduleKeyDeletion", json!({})),
            rec("CancelKeyDeletion", json!({})),
        );
    }

    #[test]
    fn recon() {
        let denied = |i: usize, who: &str| {
            rec(
                "ListUsers",
                json!({"errorCode": "AccessDenied",
                "eventTime": format!("2024-05-01T10:{:02}:00Z", i % 60),
                "userIdentity": {"type":"IAMUser","userName": who, "arn": format!("arn:aws:iam::1:user/{who}")}}),
            )
        };
        let ten: Vec<Value> = (0..10).map(|i| denied(i, "mallory")).collect();
        assert!(fired(ten).contains(&"access-denied-burst".to_owned()));
        let split: Vec<Value> = (0..10)
            .map(|i| denied(i, if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        assert!(!fired(split).contains(&"access-denied-burst".to_owned()));
        let small = Settings {
            access_denied_burst: 5,
            ..Settings::default()
        };
        let five: Vec<Value> = (0..5).map(|i| denied(i, "mallory")).collect();
        assert!(detect_with(five.clone(), &small)
            .iter()
            .any(|f| f.rule == "access-denied-burst"));
        assert!(!fired(five).contains(&"access-denied-burst".to_owned()));

        let ec2 = |region: &str| {
            rec(
                "DescribeInstances",
                json!({"eventSource": "ec2.amazonaws.com", "awsRegion": region, "readOnly": true}),
            )
        };
        let mut usual: Vec<Value> = (0..200).map(|_| ec2("eu-west-1")).collect();
        assert!(!fired(usual.clone()).contains(&"unusual-region".to_owned()));
        usual.push(ec2("ap-southeast-3"));
        let f = detect_with(usual, &Settings::default());
        let region = f.iter().find(|f| f.rule == "unusual-region").unwrap();
        assert_eq!(region.rows, [200]);
    }

    #[test]
    fn findings_are_sorted_and_described() {
        let f = detect_with(
            vec![
                rec(
                    "TerminateInstances",
                    json!({"eventTime": "2024-05-01T09:00:00Z"}),
                ),
                rec("StopLogging", json!({"eventTime": "2024-05-01T11:00:00Z"})),
                rec("ImportKeyPair", json!({})),
                rec(
                    "TerminateInstances",
                    json!({"eventTime": "2024-05-01T12:00:00Z"}),
                ),
            ],
            &Settings::default(),
        );
        let ids: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            ids,
            [
                "cloudtrail-stopped",
                "instances-terminated",
                "key-pair-changed"
            ]
        );
        let t = &f[1];
        assert_eq!(t.rows, [0, 3]);
        assert_eq!(t.actors, ["alice"]);
        assert_eq!(
            t.first,
            crate::time::parse_event_time("2024-05-01T09:00:00Z")
        );
        assert_eq!(
            t.last,
            crate::time::parse_event_time("2024-05-01T12:00:00Z")
        );
        assert_eq!(Severity::parse("informational"), Some(Low));
    }

    #[test]
    fn sigma_rules_become_findings() {
        let text = "title: Trail stopped\nid: 11111111-2222-4333-8444-555555555555\nauthor: Someone\nlevel: high\ndescription: Stops the trail.\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n";
        let (rules, errors) = crate::sigma::parse_rules(text, "pasted");
        assert!(errors.is_empty(), "{errors:?}");
        let set = RuleSet::new(rules);
        let records = vec![
            rec("GetUser", json!({"readOnly": true})),
            rec("StopLogging", json!({})),
            rec("stoplogging", json!({})),
        ];
        let records: Vec<Value> = records
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r["eventID"] = json!(format!("s-{i}"));
                r
            })
            .collect();
        let doc = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        let mut store = Store::new();
        ingest_bytes(0, "t", &doc, &mut store);
        let rows = sigma_candidates(&store, &set);
        assert_eq!(rows, [1, 2]);
        let picked: Vec<(u32, Value)> = rows
            .iter()
            .map(|&r| (r, records[r as usize].clone()))
            .collect();
        let f = sigma_findings(&store, &picked, &set);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "11111111-2222-4333-8444-555555555555");
        assert_eq!(f[0].severity, High);
        assert_eq!(f[0].author.as_deref(), Some("Someone"));
        // Sigma matches strings case-insensitively, as the candidates assumed.
        assert_eq!(f[0].rows, [1, 2]);
        assert!(sigma_candidates(&store, &RuleSet::new(Vec::new())).is_empty());
    }

    #[test]
    fn feeding_in_slices_equals_one_run() {
        let mut records: Vec<Value> = (0..12)
            .map(|i| {
                rec(
                    "ListUsers",
                    json!({"errorCode": "AccessDenied", "readOnly": true,
                    "eventTime": format!("2024-05-01T10:{i:02}:00Z")}),
                )
            })
            .collect();
        records.push(rec("StopLogging", json!({})));
        records.push(rec(
            "CreateUser",
            json!({"requestParameters": {"userName": "t"}}),
        ));
        records.push(rec(
            "DeleteUser",
            json!({"eventTime": "2024-05-01T10:05:00Z", "requestParameters": {"userName": "t"}}),
        ));
        let records: Vec<Value> = records
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r["eventID"] = json!(format!("f-{i}"));
                r
            })
            .collect();
        let doc = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        let mut store = Store::new();
        ingest_bytes(0, "t", &doc, &mut store);
        let all: Vec<(u32, Value)> = records
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, r)| (i as u32, r))
            .collect();
        let whole = run(&store, &all, &Settings::default());
        let mut d = Detector::new(&store, &Settings::default());
        for slice in all.chunks(4) {
            d.feed(&store, slice);
        }
        assert_eq!(d.finish(&store), whole);
        let ids: Vec<&str> = whole.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            ids.contains(&"access-denied-burst") && ids.contains(&"iam-credentials-short-lived"),
            "{ids:?}"
        );
    }

    #[test]
    fn candidates_skip_rows_no_rule_can_fire_on() {
        let records = vec![
            rec("GetUser", json!({"readOnly": true})),
            rec("StopLogging", json!({})),
            rec(
                "ListUsers",
                json!({"errorCode": "AccessDenied", "readOnly": true}),
            ),
            rec("GetUser", json!({"userIdentity": root(), "readOnly": true})),
            rec(
                "PutMetricData",
                json!({"userAgent": "console.amazonaws.com"}),
            ),
        ];
        let doc = serde_json::to_vec(&json!({ "Records": records })).unwrap();
        let mut store = Store::new();
        ingest_bytes(0, "t", &doc, &mut store);
        assert_eq!(candidates(&store, &Settings::default()), [1, 2, 3, 4]);
        let detector = Detector::new(&store, &Settings::default());
        assert_eq!(detector.candidates(&store), [1, 2, 3, 4]);
    }
}
