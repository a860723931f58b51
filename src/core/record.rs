//! A raw CloudTrail record becomes a typed [`Event`] here, in one place.
//!
//! Records are attacker-influenced, hand-edited, or written by tools that are not
//! CloudTrail, so every field is read leniently: a missing field, a `null`, a number where a
//! string was expected, or an object where a scalar was expected never fails the record.
//! Only JSON that is not JSON at all fails. Everything downstream trusts the `Event`.

use crate::actor::{Identity, RawIdentity};
use crate::time::parse_event_time;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// A JSON value read as text when it is a scalar; `present` tells whether the key existed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a> {
    /// The key was present in the object (even if its value was `null`).
    pub present: bool,
    /// The value as text: strings as they are, numbers and booleans printed.
    pub value: Option<Cow<'a, str>>,
}

impl<'a> Text<'a> {
    /// The value as `&str`, if there is a non-empty one.
    pub fn str(&self) -> Option<&str> {
        self.value.as_deref().filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(PhantomData))
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl TextVisitor<'_> {
    fn owned<'a>(s: String) -> Text<'a> {
        Text {
            present: true,
            value: Some(Cow::Owned(s)),
        }
    }
}

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text {
            present: true,
            value: Some(Cow::Borrowed(v)),
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Self::owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Self::owned(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::owned(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::owned(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::owned(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Self::owned(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text {
            present: true,
            value: None,
        })
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.visit_unit()
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.visit_unit()
    }
}

/// A nested object read leniently: anything that is not an object reads as `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    /// The object, if the value was one.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
}

/// The fields of a CloudTrail record that the store keeps, borrowed from the input.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawRecord<'a> {
    #[serde(borrow)]
    pub event_version: Text<'a>,
    #[serde(borrow)]
    pub user_identity: Obj<RawIdentity<'a>>,
    #[serde(borrow)]
    pub event_time: Text<'a>,
    #[serde(borrow)]
    pub event_source: Text<'a>,
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub aws_region: Text<'a>,
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip_address: Text<'a>,
    #[serde(borrow)]
    pub user_agent: Text<'a>,
    #[serde(borrow)]
    pub error_code: Text<'a>,
    #[serde(borrow, rename = "eventID")]
    pub event_id: Text<'a>,
    #[serde(borrow)]
    pub read_only: Text<'a>,
    #[serde(borrow)]
    pub event_type: Text<'a>,
    #[serde(borrow)]
    pub event_category: Text<'a>,
    #[serde(borrow)]
    pub recipient_account_id: Text<'a>,
    #[serde(borrow)]
    pub resources: List<RawResource<'a>>,
    #[serde(borrow)]
    pub request_parameters: Obj<RawRequestParameters<'a>>,
}

/// A JSON array read leniently: elements that are not objects, or a non-array, are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Obj(item)) = seq.next_element::<Obj<T>>()? {
            out.extend(item);
        }
        Ok(List(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(List(Vec::new()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(List(Vec::new()))
    }
}

/// One entry of `resources[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawResource<'a> {
    #[serde(borrow, rename = "ARN")]
    pub arn: Text<'a>,
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
}

fn push_resource<'s>(out: &mut Vec<(&'s str, &'s str)>, name: Option<&'s str>, kind: &'s str) {
    if let Some(n) = name {
        if !out.iter().any(|(x, _)| *x == n) {
            out.push((n, kind));
        }
    }
}

/// `{"items": [...]}`, as EC2 wraps lists.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawItems<'a> {
    #[serde(borrow)]
    pub items: List<RawNamed<'a>>,
}

/// An item of an EC2 list that names a resource.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawNamed<'a> {
    #[serde(borrow)]
    pub instance_id: Text<'a>,
    #[serde(borrow)]
    pub resource_id: Text<'a>,
}

/// The request parameters that usually name the resource acted on.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawRequestParameters<'a> {
    #[serde(borrow)]
    pub bucket_name: Text<'a>,
    #[serde(borrow)]
    pub instance_id: Text<'a>,
    #[serde(borrow)]
    pub instances_set: Obj<RawItems<'a>>,
    #[serde(borrow)]
    pub resources_set: Obj<RawItems<'a>>,
    #[serde(borrow)]
    pub role_name: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub group_name: Text<'a>,
    #[serde(borrow)]
    pub policy_arn: Text<'a>,
    #[serde(borrow)]
    pub function_name: Text<'a>,
    #[serde(borrow)]
    pub table_name: Text<'a>,
    #[serde(borrow)]
    pub key_id: Text<'a>,
    #[serde(borrow)]
    pub group_id: Text<'a>,
    #[serde(borrow)]
    pub snapshot_id: Text<'a>,
    #[serde(borrow)]
    pub image_id: Text<'a>,
    #[serde(borrow)]
    pub key_name: Text<'a>,
    #[serde(borrow)]
    pub secret_id: Text<'a>,
    #[serde(borrow)]
    pub queue_url: Text<'a>,
    #[serde(borrow)]
    pub topic_arn: Text<'a>,
    #[serde(borrow)]
    pub detector_id: Text<'a>,
    #[serde(borrow, rename = "dBInstanceIdentifier")]
    pub db_instance_identifier: Text<'a>,
    #[serde(borrow)]
    pub stack_name: Text<'a>,
    #[serde(borrow)]
    pub log_group_name: Text<'a>,
    #[serde(borrow)]
    pub trail_name_list: Text<'a>,
    /// `name` is used by CloudTrail (trail ARN), SSM (parameter) and others.
    #[serde(borrow)]
    pub name: Text<'a>,
}

impl RawRecord<'_> {
    /// The resources the event names: `resources[]` ARNs (with their types), then the
    /// usual request parameters; de-duplicated, in that order.
    pub fn resource_names(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for r in &self.resources.0 {
            push_resource(&mut out, r.arn.str(), r.kind.str().unwrap_or(""));
        }
        if let Some(p) = self.request_parameters.get() {
            push_resource(&mut out, p.bucket_name.str(), "AWS::S3::Bucket");
            push_resource(&mut out, p.instance_id.str(), "AWS::EC2::Instance");
            for set in [p.instances_set.get(), p.resources_set.get()]
                .into_iter()
                .flatten()
            {
                for item in &set.items.0 {
                    push_resource(&mut out, item.instance_id.str(), "AWS::EC2::Instance");
                    push_resource(&mut out, item.resource_id.str(), "");
                }
            }
            push_resource(&mut out, p.role_name.str(), "AWS::IAM::Role");
            push_resource(&mut out, p.user_name.str(), "AWS::IAM::User");
            push_resource(&mut out, p.group_name.str(), "AWS::IAM::Group");
            push_resource(&mut out, p.policy_arn.str(), "AWS::IAM::Policy");
            push_resource(&mut out, p.function_name.str(), "AWS::Lambda::Function");
            push_resource(&mut out, p.table_name.str(), "AWS::DynamoDB::Table");
            push_resource(&mut out, p.key_id.str(), "AWS::KMS::Key");
            push_resource(&mut out, p.group_id.str(), "AWS::EC2::SecurityGroup");
            push_resource(&mut out, p.snapshot_id.str(), "AWS::EC2::Snapshot");
            push_resource(&mut out, p.image_id.str(), "AWS::EC2::Image");
            push_resource(&mut out, p.key_name.str(), "AWS::EC2::KeyPair");
            push_resource(&mut out, p.secret_id.str(), "AWS::SecretsManager::Secret");
            push_resource(&mut out, p.queue_url.str(), "AWS::SQS::Queue");
            push_resource(&mut out, p.topic_arn.str(), "AWS::SNS::Topic");
            push_resource(&mut out, p.detector_id.str(), "AWS::GuardDuty::Detector");
            push_resource(
                &mut out,
                p.db_instance_identifier.str(),
                "AWS::RDS::DBInstance",
            );
            push_resource(&mut out, p.stack_name.str(), "AWS::CloudFormation::Stack");
            push_resource(&mut out, p.log_group_name.str(), "AWS::Logs::LogGroup");
            push_resource(&mut out, p.name.str(), "");
        }
        out
    }

    /// Whether the object carries any field that only a CloudTrail record has.
    pub fn looks_like_cloudtrail(&self) -> bool {
        self.event_version.present
            || self.event_time.present
            || self.event_name.present
            || self.event_source.present
            || self.event_id.present
            || self.user_identity.get().is_some()
    }
}

/// Bit flags kept per event.
pub mod flags {
    /// The event only reads (from `readOnly`, or inferred from the event name).
    pub const READ_ONLY: u8 = 1;
    /// `readOnly` was absent and the value was inferred from the event name.
    pub const READ_ONLY_INFERRED: u8 = 2;
    /// A CloudTrail Insights event.
    pub const INSIGHT: u8 = 4;
    /// `eventTime` was missing or could not be parsed; excluded from the timeline.
    pub const BAD_TIME: u8 = 8;
}

/// One CloudTrail event, typed, with its actor resolved; strings borrow from the input.
#[derive(Debug)]
pub struct Event<'a> {
    /// Seconds since the Unix epoch; `None` when `eventTime` is missing or unparseable.
    pub time: Option<i64>,
    pub event_name: &'a str,
    pub event_source: &'a str,
    pub region: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    pub error_code: &'a str,
    pub account: &'a str,
    pub access_key: &'a str,
    pub event_id: &'a str,
    pub flags: u8,
    /// The raw `userIdentity`, resolved into an actor only when the store meets it first.
    pub user_identity: Option<&'a RawIdentity<'a>>,
    /// Resource names (ARN or name) with their type where known.
    pub resources: Vec<(&'a str, &'a str)>,
}

impl<'a> Event<'a> {
    /// Turns a raw record into an event; never fails.
    pub fn from_raw(raw: &'a RawRecord<'a>) -> Event<'a> {
        let s = |t: &'a Text<'a>| t.str().unwrap_or("");
        let event_name = s(&raw.event_name);
        let time = raw.event_time.str().and_then(parse_event_time);
        let mut flags = 0u8;
        match read_only_value(&raw.read_only) {
            Some(true) => flags |= flags::READ_ONLY,
            Some(false) => {}
            None => {
                flags |= flags::READ_ONLY_INFERRED;
                if infer_read_only(event_name) {
                    flags |= flags::READ_ONLY;
                }
            }
        }
        let insight = raw.event_category.str() == Some("Insight")
            || raw.event_type.str() == Some("AwsCloudTrailInsight");
        if insight {
            flags |= flags::INSIGHT;
        }
        if time.is_none() {
            flags |= flags::BAD_TIME;
        }
        let recipient = raw.recipient_account_id.str();
        let access_key = raw
            .user_identity
            .get()
            .and_then(|u| u.access_key_id.str())
            .unwrap_or("");
        Event {
            time,
            event_name,
            event_source: s(&raw.event_source),
            region: s(&raw.aws_region),
            source_ip: s(&raw.source_ip_address),
            user_agent: s(&raw.user_agent),
            error_code: s(&raw.error_code),
            account: recipient.unwrap_or(""),
            access_key,
            event_id: s(&raw.event_id),
            flags,
            user_identity: raw.user_identity.get(),
            resources: raw.resource_names(),
        }
    }

    /// Resolves the actor (allocates; the store calls it once per distinct identity).
    pub fn identity(&self) -> Identity {
        let recipient = Some(self.account).filter(|a| !a.is_empty());
        Identity::resolve(
            self.user_identity,
            recipient,
            self.flags & flags::INSIGHT != 0,
        )
    }

    /// A hash of every field [`Event::identity`] reads: equal hashes, equal actors.
    pub fn identity_hash(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.account.hash(&mut h);
        (self.flags & flags::INSIGHT).hash(&mut h);
        if let Some(u) = self.user_identity {
            let mut put = |t: &Text<'_>| t.str().unwrap_or("").hash(&mut h);
            put(&u.kind);
            put(&u.principal_id);
            put(&u.arn);
            put(&u.account_id);
            put(&u.user_name);
            put(&u.invoked_by);
            put(&u.identity_provider);
            if let Some(sc) = u.session_context.get() {
                put(&sc.source_identity);
                if let Some(i) = sc.session_issuer.get() {
                    put(&i.user_name);
                    put(&i.arn);
                    put(&i.account_id);
                }
                if let Some(w) = sc.web_id_federation_data.get() {
                    put(&w.federated_provider);
                }
            }
            if let Some(o) = u.on_behalf_of.get() {
                put(&o.user_id);
            }
        } else {
            "(none)".hash(&mut h);
        }
        h.finish()
    }
}

/// `readOnly` as CloudTrail writes it (bool) or as exports write it ("true"/"false").
fn read_only_value(t: &Text<'_>) -> Option<bool> {
    match t.str()?.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Event-name prefixes of API calls that only read.
const READ_PREFIXES: &[&str] = &[
    "Get", "Describe", "List", "Head", "Lookup", "Search", "Scan", "Query", "BatchGet", "Select",
    "Check", "View", "Preview", "Estimate", "Download", "Test", "Validate", "Verify", "Filter",
];

/// Infers read-only from the event name (`GetObject`, `DescribeInstances`, `ListBuckets`, ...).
pub fn infer_read_only(event_name: &str) -> bool {
    READ_PREFIXES.iter().any(|p| {
        event_name.starts_with(p)
            && event_name[p.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// Readable service name from an `eventSource` such as `ec2.amazonaws.com`.
pub fn service_name(event_source: &str) -> String {
    let short = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    if short.is_empty() {
        return "(none)".to_owned();
    }
    const KNOWN: &[(&str, &str)] = &[
        ("ec2", "EC2"),
        ("s3", "S3"),
        ("iam", "IAM"),
        ("sts", "STS"),
        ("signin", "Sign-in"),
        ("cloudtrail", "CloudTrail"),
        ("lambda", "Lambda"),
        ("dynamodb", "DynamoDB"),
        ("kms", "KMS"),
        ("rds", "RDS"),
        ("logs", "CloudWatch Logs"),
        ("monitoring", "CloudWatch"),
        ("events", "EventBridge"),
        ("sqs", "SQS"),
        ("sns", "SNS"),
        ("config", "Config"),
        ("guardduty", "GuardDuty"),
        ("ssm", "Systems Manager"),
        ("secretsmanager", "Secrets Manager"),
        ("cloudformation", "CloudFormation"),
        ("elasticloadbalancing", "ELB"),
        ("autoscaling", "Auto Scaling"),
        ("route53", "Route 53"),
        ("ecr", "ECR"),
        ("ecs", "ECS"),
        ("eks", "EKS"),
        ("sso", "IAM Identity Center"),
        ("organizations", "Organizations"),
        ("securityhub", "Security Hub"),
        ("bedrock", "Bedrock"),
        ("cloudfront", "CloudFront"),
        ("apigateway", "API Gateway"),
        ("health", "Health"),
        ("access-analyzer", "Access Analyzer"),
        ("ec2-instance-connect", "EC2 Instance Connect"),
        ("rolesanywhere", "IAM Roles Anywhere"),
        ("elasticfilesystem", "EFS"),
        ("elasticmapreduce", "EMR"),
        ("kinesis", "Kinesis"),
        ("firehose", "Firehose"),
        ("athena", "Athena"),
        ("glue", "Glue"),
        ("acm", "ACM"),
        ("codebuild", "CodeBuild"),
        ("codecommit", "CodeCommit"),
        ("codepipeline", "CodePipeline"),
        ("states", "Step Functions"),
        ("notifications", "Notifications"),
    ];
    if let Some((_, name)) = KNOWN.iter().find(|(k, _)| *k == short) {
        return (*name).to_owned();
    }
    let mut chars = short.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => short.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields_never_fail() {
        let json = br#"{"eventName": 5, "readOnly": "true", "userIdentity": "oops",
            "eventTime": "ThisIsAWrongEventTime", "awsRegion": {"a":1}, "extra": [1,2]}"#;
        let raw: RawRecord = serde_json::from_slice(json).unwrap();
        let ev = Event::from_raw(&raw);
        assert_eq!(ev.event_name, "5");
        assert_eq!(ev.region, "");
        assert!(ev.flags & flags::READ_ONLY != 0);
        assert!(ev.flags & flags::READ_ONLY_INFERRED == 0);
        assert!(ev.flags & flags::BAD_TIME != 0);
        assert!(raw.looks_like_cloudtrail());
    }

    #[test]
    fn read_only_bool_and_inference() {
        let raw: RawRecord =
            serde_json::from_slice(br#"{"eventName":"DescribeInstances"}"#).unwrap();
        let ev = Event::from_raw(&raw);
        assert_eq!(
            ev.flags & (flags::READ_ONLY | flags::READ_ONLY_INFERRED),
            flags::READ_ONLY | flags::READ_ONLY_INFERRED
        );
        let raw: RawRecord =
            serde_json::from_slice(br#"{"eventName":"GetObject","readOnly":false}"#).unwrap();
        assert_eq!(Event::from_raw(&raw).flags & flags::READ_ONLY, 0);
        assert!(infer_read_only("ListBuckets"));
        assert!(infer_read_only("Get"));
        assert!(!infer_read_only("Getaway"));
        assert!(!infer_read_only("TerminateInstances"));
        assert!(!infer_read_only("ConsoleLogin"));
    }

    #[test]
    fn non_cloudtrail_objects_are_recognised() {
        let raw: RawRecord = serde_json::from_slice(br#"{"Type":"Notification"}"#).unwrap();
        assert!(!raw.looks_like_cloudtrail());
    }

    #[test]
    fn service_names_are_readable() {
        assert_eq!(service_name("ec2.amazonaws.com"), "EC2");
        assert_eq!(service_name("logs.amazonaws.com"), "CloudWatch Logs");
        assert_eq!(service_name("foo.amazonaws.com"), "Foo");
        assert_eq!(service_name("eventSource2"), "EventSource2");
        assert_eq!(service_name(""), "(none)");
    }
}
