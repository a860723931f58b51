//! A realistic, deterministic CloudTrail data set: the demo in the browser, and (through
//! the `generate` binary) S3-style folder trees of any size for tests and benchmarks.
//!
//! Two organisations' worth of identities act over a week: IAM users, SSO sessions, service
//! roles, root, AWS services, federated, SAML, web-identity and anonymous callers, across a
//! dozen services and several regions, with errors, console logins with and without MFA,
//! and a short scripted incident (a leaked key used to create a backdoor admin, open SSH to
//! the world, make a bucket public and stop the trail) for later detections to find.

use crate::time::{civil_from_days, format_time};
use serde_json::{json, Value};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoConfig {
    /// Number of events (the scripted incident is included in this count).
    pub events: usize,
    pub seed: u64,
    /// Unix seconds of the end of the period.
    pub end: i64,
    pub days: i64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            events: 20_000,
            seed: 7,
            // 2026-11-14T00:00:00Z
            end: 1_794_614_400,
            days: 7,
        }
    }
}

/// One generated log file, as CloudTrail would write it (before gzip).
#[derive(Debug, Clone)]
pub struct LogFile {
    /// S3-style path: `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz`.
    pub path: String,
    /// `{"Records":[...]}` as JSON.
    pub json: Vec<u8>,
    pub records: usize,
}

/// Small, fast, deterministic random numbers (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            if r < u64::from(*w) {
                return item;
            }
            r -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }
    fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::new();
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }
}

const PROD: &str = "111122223333";
const DEV: &str = "444455556666";
const PARTNER: &str = "777788889999";
const REGIONS: &[(&str, u32)] = &[
    ("us-east-1", 60),
    ("eu-west-1", 25),
    ("us-west-2", 12),
    ("ap-southeast-2", 3),
];

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Alice,
    AliceDev,
    Bob,
    CiDeploy,
    SsoAdmin(&'static str),
    SsoReadOnly(&'static str),
    LambdaRole,
    Ec2Role,
    Service(&'static str),
    Root,
    Federated,
    Saml,
    WebIdentity,
    Anonymous,
    Partner,
    IdentityCenter,
}

const CONSOLE_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

impl Who {
    fn account(self) -> &'static str {
        match self {
            Who::AliceDev | Who::WebIdentity => DEV,
            _ => PROD,
        }
    }

    fn identity(self, rng: &mut Rng) -> Value {
        let acct = self.account();
        match self {
            Who::Alice | Who::AliceDev | Who::Bob | Who::CiDeploy => {
                let name = match self {
                    Who::Bob => "bob",
                    Who::CiDeploy => "ci-deploy",
                    _ => "alice",
                };
                let key = match self {
                    Who::CiDeploy => "AKIAEXAMPLECIDEPLOY1",
                    Who::Bob => "AKIAEXAMPLEBOB000001",
                    _ => "AKIAEXAMPLEALICE0001",
                };
                json!({"type":"IAMUser","principalId":format!("AIDA{}", name.to_uppercase().replace('-', "")),
                    "arn":format!("arn:aws:iam::{acct}:user/{name}"),"accountId":acct,"accessKeyId":key,"userName":name})
            }
            Who::SsoAdmin(user) | Who::SsoReadOnly(user) => {
                let role = if matches!(self, Who::SsoAdmin(_)) {
                    "AWSReservedSSO_AdministratorAccess_3f2a1b9c8d7e6f50"
                } else {
                    "AWSReservedSSO_ReadOnlyAccess_9a8b7c6d5e4f3a21"
                };
                json!({"type":"AssumedRole","principalId":format!("AROAEXAMPLESSO:{user}"),
                    "arn":format!("arn:aws:sts::{acct}:assumed-role/{role}/{user}"),"accountId":acct,
                    "accessKeyId":format!("ASIAEXAMPLE{:09}", 1000 + rng.below(40)),
                    "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESSO",
                        "arn":format!("arn:aws:iam::{acct}:role/aws-reserved/sso.amazonaws.com/{role}"),"accountId":acct,"userName":role},
                        "attributes":{"creationDate":"2026-11-07T08:00:00Z","mfaAuthenticated":"false"}}})
            }
            Who::LambdaRole => {
                json!({"type":"AssumedRole","principalId":"AROAEXAMPLELAMBDA:orders-processor",
                "arn":format!("arn:aws:sts::{acct}:assumed-role/orders-processor-role/orders-processor"),"accountId":acct,
                "accessKeyId":"ASIAEXAMPLELAMBDA001","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLELAMBDA",
                "arn":format!("arn:aws:iam::{acct}:role/orders-processor-role"),"accountId":acct,"userName":"orders-processor-role"}}})
            }
            Who::Ec2Role => {
                json!({"type":"AssumedRole","principalId":"AROAEXAMPLEEC2:i-0a1b2c3d4e5f60718",
                "arn":format!("arn:aws:sts::{acct}:assumed-role/web-instance-role/i-0a1b2c3d4e5f60718"),"accountId":acct,
                "accessKeyId":"ASIAEXAMPLEEC2ROLE01","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEEC2",
                "arn":format!("arn:aws:iam::{acct}:role/web-instance-role"),"accountId":acct,"userName":"web-instance-role"},
                "ec2RoleDelivery":"2.0"}})
            }
            Who::Service(svc) => json!({"type":"AWSService","invokedBy":svc}),
            Who::Root => {
                json!({"type":"Root","principalId":acct,"arn":format!("arn:aws:iam::{acct}:root"),
                "accountId":acct,"accessKeyId":""})
            }
            Who::Federated => {
                json!({"type":"FederatedUser","principalId":format!("{acct}:build-bot"),
                "arn":format!("arn:aws:sts::{acct}:federated-user/build-bot"),"accountId":acct,
                "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDACIDEPLOY",
                "arn":format!("arn:aws:iam::{acct}:user/ci-deploy"),"accountId":acct,"userName":"ci-deploy"}}})
            }
            Who::Saml => {
                json!({"type":"SAMLUser","principalId":"okta:erin@acme.example","userName":"erin@acme.example",
                "identityProvider":format!("arn:aws:iam::{acct}:saml-provider/Okta")})
            }
            Who::WebIdentity => {
                json!({"type":"WebIdentityUser","principalId":"accounts.google.com:app:1234567890",
                "userName":"1234567890","identityProvider":"accounts.google.com"})
            }
            Who::Anonymous => {
                json!({"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"})
            }
            Who::Partner => {
                json!({"type":"AssumedRole","principalId":"AROAEXAMPLEPARTNER:audit-session",
                "arn":format!("arn:aws:sts::{acct}:assumed-role/partner-audit/audit-session"),"accountId":acct,
                "accessKeyId":"ASIAEXAMPLEPARTNER01","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEPARTNER",
                "arn":format!("arn:aws:iam::{PARTNER}:role/partner-audit"),"accountId":PARTNER,"userName":"partner-audit"}}})
            }
            Who::IdentityCenter => json!({"type":"IdentityCenterUser","accountId":acct,
                "onBehalfOf":{"userId":"94482488-3041-7026-18f0-7d5d7d9e9d5c","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1234567890"},
                "credentialId":"EXAMPLE"}),
        }
    }

    fn user_agent(self, rng: &mut Rng) -> String {
        match self {
            Who::Alice | Who::AliceDev | Who::SsoAdmin(_) | Who::SsoReadOnly(_) | Who::Saml => {
                if rng.chance(0.45) {
                    CONSOLE_UA.to_owned()
                } else {
                    "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off command/ec2.describe-instances".to_owned()
                }
            }
            Who::Bob => CONSOLE_UA.to_owned(),
            Who::CiDeploy | Who::Federated => "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 aws-sdk-go-v2/1.32.6".to_owned(),
            Who::LambdaRole => "aws-sdk-js/3.699.0 ua/2.1 os/linux#5.10 lang/js md/nodejs#20.18.0 exec-env/AWS_Lambda_nodejs20.x".to_owned(),
            Who::Ec2Role => "Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.9".to_owned(),
            Who::Service(s) => s.to_owned(),
            Who::Root => CONSOLE_UA.to_owned(),
            Who::Anonymous => "curl/8.5.0".to_owned(),
            Who::Partner => "aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23".to_owned(),
            Who::WebIdentity => "aws-sdk-java/2.29.30 Linux/5.15 OpenJDK_64-Bit_Server_VM/21.0.5".to_owned(),
            Who::IdentityCenter => CONSOLE_UA.to_owned(),
        }
    }

    fn source_ip(self, rng: &mut Rng) -> String {
        match self {
            Who::Service(s) => s.to_owned(),
            Who::LambdaRole | Who::Ec2Role => {
                format!("10.0.{}.{}", rng.below(4), 10 + rng.below(200))
            }
            Who::Alice | Who::AliceDev | Who::SsoAdmin(_) | Who::SsoReadOnly(_) | Who::Bob => {
                format!("203.0.113.{}", 10 + rng.below(20))
            }
            Who::Anonymous => format!("198.51.100.{}", rng.below(250)),
            _ => format!("192.0.2.{}", 1 + rng.below(60)),
        }
    }

    /// What this actor does, weighted: (eventSource prefix, eventName, weight).
    fn actions(self) -> &'static [(&'static str, &'static str, u32)] {
        match self {
            Who::Alice | Who::AliceDev | Who::SsoAdmin(_) => &[
                ("ec2", "DescribeInstances", 30),
                ("ec2", "DescribeSecurityGroups", 10),
                ("ec2", "RunInstances", 2),
                ("ec2", "StopInstances", 2),
                ("ec2", "TerminateInstances", 1),
                ("s3", "ListBuckets", 10),
                ("s3", "GetBucketPolicy", 4),
                ("s3", "CreateBucket", 1),
                ("iam", "ListRoles", 5),
                ("iam", "GetRole", 5),
                ("iam", "CreateRole", 1),
                ("iam", "AttachRolePolicy", 1),
                ("lambda", "ListFunctions20150331", 6),
                ("lambda", "UpdateFunctionCode20150331v2", 2),
                ("dynamodb", "DescribeTable", 4),
                ("rds", "DescribeDBInstances", 6),
                ("kms", "ListKeys", 3),
                ("cloudtrail", "LookupEvents", 3),
                ("logs", "FilterLogEvents", 5),
                ("ssm", "GetParameter", 4),
                ("sts", "GetCallerIdentity", 4),
            ],
            Who::SsoReadOnly(_) | Who::Partner => &[
                ("ec2", "DescribeInstances", 20),
                ("s3", "ListBuckets", 10),
                ("s3", "GetBucketAcl", 5),
                ("iam", "ListUsers", 8),
                ("iam", "GetAccountAuthorizationDetails", 2),
                ("config", "DescribeConfigRules", 5),
                ("cloudtrail", "DescribeTrails", 4),
                ("rds", "DescribeDBInstances", 4),
                ("ec2", "CreateSnapshot", 1),
            ],
            Who::Bob => &[
                ("ec2", "DescribeInstances", 10),
                ("ec2", "AuthorizeSecurityGroupIngress", 1),
                ("ec2", "CreateTags", 2),
                ("s3", "ListBuckets", 6),
                ("s3", "PutBucketTagging", 1),
                ("rds", "DescribeDBInstances", 3),
                ("iam", "ListUsers", 3),
            ],
            Who::CiDeploy | Who::Federated => &[
                ("sts", "GetCallerIdentity", 10),
                ("ec2", "DescribeInstances", 10),
                ("ec2", "DescribeVpcs", 6),
                ("ec2", "DescribeSecurityGroups", 6),
                ("ec2", "CreateTags", 3),
                ("ec2", "RunInstances", 2),
                ("ec2", "TerminateInstances", 2),
                ("iam", "GetRole", 6),
                ("iam", "PassRole", 1),
                ("lambda", "GetFunction", 6),
                ("lambda", "UpdateFunctionCode20150331v2", 2),
                ("s3", "PutObject", 5),
                ("s3", "GetBucketVersioning", 4),
                ("dynamodb", "DescribeTable", 3),
                ("logs", "DescribeLogGroups", 3),
            ],
            Who::LambdaRole => &[
                ("dynamodb", "PutItem", 0),
                ("kms", "Decrypt", 20),
                ("sqs", "ReceiveMessage", 0),
                ("sns", "Publish", 8),
                ("logs", "CreateLogStream", 4),
                ("s3", "GetObject", 0),
                ("secretsmanager", "GetSecretValue", 6),
            ],
            Who::Ec2Role => &[
                ("s3", "ListBuckets", 4),
                ("ssm", "UpdateInstanceInformation", 20),
                ("ssm", "ListInstanceAssociations", 10),
                ("kms", "Decrypt", 6),
                ("monitoring", "PutMetricData", 0),
                ("logs", "PutLogEvents", 0),
            ],
            Who::Service(_) => &[
                ("kms", "Decrypt", 10),
                ("kms", "GenerateDataKey", 8),
                ("sts", "AssumeRole", 20),
                ("config", "PutEvaluations", 4),
                ("ec2", "CreateNetworkInterface", 2),
                ("autoscaling", "DescribeAutoScalingGroups", 3),
            ],
            Who::Root => &[
                ("signin", "ConsoleLogin", 1),
                ("iam", "GetAccountSummary", 2),
                ("billing", "GetBillingPreferences", 1),
            ],
            Who::Saml => &[
                ("sts", "AssumeRoleWithSAML", 2),
                ("ec2", "DescribeInstances", 5),
                ("cloudformation", "DescribeStacks", 4),
                ("cloudformation", "UpdateStack", 1),
            ],
            Who::WebIdentity => &[
                ("sts", "AssumeRoleWithWebIdentity", 3),
                ("s3", "PutObject", 0),
                ("s3", "GetObject", 0),
            ],
            Who::Anonymous => &[("s3", "GetObject", 0), ("s3", "ListObjects", 0)],
            Who::IdentityCenter => &[("sso", "ListAccounts", 5), ("sso", "GetRoleCredentials", 3)],
        }
    }
}

/// Who acts how often (relative weights).
fn population() -> Vec<(Who, u32)> {
    vec![
        (Who::Alice, 90),
        (Who::AliceDev, 30),
        (Who::Bob, 40),
        (Who::CiDeploy, 120),
        (Who::SsoAdmin("alice@acme.example"), 70),
        (Who::SsoAdmin("carol@acme.example"), 50),
        (Who::SsoReadOnly("dave@acme.example"), 40),
        (Who::LambdaRole, 160),
        (Who::Ec2Role, 110),
        (Who::Service("cloudtrail.amazonaws.com"), 15),
        (Who::Service("autoscaling.amazonaws.com"), 20),
        (Who::Service("config.amazonaws.com"), 25),
        (Who::Service("lambda.amazonaws.com"), 20),
        (Who::Root, 1),
        (Who::Federated, 12),
        (Who::Saml, 14),
        (Who::WebIdentity, 20),
        (Who::Anonymous, 18),
        (Who::Partner, 10),
        (Who::IdentityCenter, 8),
    ]
}

/// A few errors that real accounts see, by how often.
const ERRORS: &[(&str, &str, u32)] = &[
    (
        "AccessDenied",
        "User is not authorized to perform this operation",
        5,
    ),
    (
        "Client.UnauthorizedOperation",
        "You are not authorized to perform this operation.",
        3,
    ),
    ("ThrottlingException", "Rate exceeded", 2),
    ("NoSuchBucketPolicy", "The bucket policy does not exist", 1),
    (
        "ResourceNotFoundException",
        "Requested resource not found",
        1,
    ),
];

fn request_parameters(source: &str, name: &str, rng: &mut Rng) -> Value {
    let instance = format!("i-0{}", rng.hex(16));
    let bucket = *rng.pick(&[
        "acme-prod-assets",
        "acme-app-logs",
        "acme-terraform-state",
        "acme-public-site",
    ]);
    match (source, name) {
        ("ec2", "RunInstances") => {
            json!({"instanceType": rng.pick(&["t3.micro","m5.large","c6i.xlarge"]),
            "imageId": "ami-0abcdef1234567890","minCount":1,"maxCount":1})
        }
        ("ec2", "StopInstances" | "TerminateInstances") => {
            json!({"instancesSet":{"items":[{"instanceId": instance}]}})
        }
        ("ec2", "CreateTags") => {
            json!({"resourcesSet":{"items":[{"resourceId": instance}]},"tagSet":{"items":[{"key":"team","value":"web"}]}})
        }
        ("ec2", "AuthorizeSecurityGroupIngress") => {
            json!({"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[
            {"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/16"}]}}]}})
        }
        ("s3", "GetObject" | "PutObject") => {
            json!({"bucketName": bucket, "key": format!("data/{}.json", rng.hex(8)), "Host": format!("{bucket}.s3.amazonaws.com")})
        }
        ("s3", "ListBuckets") => Value::Null,
        ("s3", _) => json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com")}),
        ("iam", "GetRole" | "CreateRole" | "AttachRolePolicy" | "PassRole") => {
            json!({"roleName": rng.pick(&["orders-processor-role","web-instance-role","deploy-role"])})
        }
        ("lambda", n) if n.starts_with("Update") || n.starts_with("GetFunction") => {
            json!({"functionName":"orders-processor"})
        }
        ("kms", "Decrypt" | "GenerateDataKey") => {
            json!({"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
        }
        ("dynamodb", _) => json!({"tableName":"orders"}),
        ("sqs", _) => json!({"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/orders"}),
        ("ssm", "GetParameter") => json!({"name":"/app/prod/db-url","withDecryption":true}),
        ("secretsmanager", _) => json!({"secretId":"prod/db/password"}),
        _ => Value::Null,
    }
}

/// Builds one record.
#[allow(clippy::too_many_arguments)]
fn record(
    rng: &mut Rng,
    who: Who,
    time: i64,
    region: &str,
    source: &str,
    name: &str,
    read_only: Option<bool>,
    request: Value,
    error: Option<(&str, &str)>,
    extra: Option<(&str, Value)>,
) -> Value {
    let event_source = format!("{source}.amazonaws.com");
    let mut r = json!({
        "eventVersion": "1.10",
        "userIdentity": who.identity(rng),
        "eventTime": format_time(time),
        "eventSource": event_source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": who.source_ip(rng),
        "userAgent": who.user_agent(rng),
        "requestParameters": request,
        "responseElements": Value::Null,
        "requestID": rng.uuid(),
        "eventID": rng.uuid(),
        "eventType": if source == "signin" { "AwsConsoleSignIn" } else { "AwsApiCall" },
        "managementEvent": true,
        "recipientAccountId": who.account(),
        "eventCategory": "Management",
    });
    if let Some(ro) = read_only {
        r["readOnly"] = Value::Bool(ro);
    }
    if let Some((code, message)) = error {
        r["errorCode"] = json!(code);
        r["errorMessage"] = json!(message);
    }
    if let Some((k, v)) = extra {
        r[k] = v;
    }
    r
}

/// Console logins: `ConsoleLogin` with `MFAUsed` and success or failure.
fn console_login(rng: &mut Rng, who: Who, time: i64, mfa: bool, ok: bool) -> Value {
    let mut r = record(
        rng,
        who,
        time,
        "us-east-1",
        "signin",
        "ConsoleLogin",
        Some(false),
        Value::Null,
        None,
        Some((
            "additionalEventData",
            json!({"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed": if mfa {"Yes"} else {"No"}}),
        )),
    );
    r["responseElements"] = json!({"ConsoleLogin": if ok {"Success"} else {"Failure"}});
    if !ok {
        r["errorMessage"] = json!("Failed authentication");
    }
    r
}

/// The scripted incident: returns records at fixed offsets into the period.
fn incident(rng: &mut Rng, start: i64) -> Vec<Value> {
    let t = start + 5 * 86_400 + 2 * 3600 + 13 * 60; // day 6, 02:13 UTC
    let bob = Who::Bob;
    let mut v = Vec::new();
    // Failed logins from one address, then root logs in without MFA.
    for i in 0..6 {
        let mut r = console_login(rng, Who::Alice, t - 600 + i * 20, false, false);
        r["sourceIPAddress"] = json!("185.220.101.45");
        v.push(r);
    }
    let mut r = console_login(rng, Who::Root, t - 300, false, true);
    r["sourceIPAddress"] = json!("185.220.101.45");
    v.push(r);
    let ev = |rng: &mut Rng,
              dt: i64,
              source: &str,
              name: &str,
              req: Value,
              err: Option<(&str, &str)>| {
        let mut r = record(
            rng,
            bob,
            t + dt,
            "us-east-1",
            source,
            name,
            Some(false),
            req,
            err,
            None,
        );
        r["sourceIPAddress"] = json!("185.220.101.45");
        r["userAgent"] =
            json!("aws-cli/1.18.69 Python/3.6.9 Linux/4.15.0-1065-aws botocore/1.16.19");
        r
    };
    // Recon with a leaked key: a burst of denials.
    for (i, name) in [
        "ListUsers",
        "ListRoles",
        "GetAccountAuthorizationDetails",
        "ListPolicies",
        "ListGroups",
    ]
    .iter()
    .cycle()
    .take(25)
    .enumerate()
    {
        let mut r = ev(
            rng,
            i as i64 * 3,
            "iam",
            name,
            Value::Null,
            Some((
                "AccessDenied",
                "User: arn:aws:iam::111122223333:user/bob is not authorized",
            )),
        );
        r["readOnly"] = json!(true);
        v.push(r);
    }
    v.push(ev(
        rng,
        120,
        "iam",
        "CreateUser",
        json!({"userName":"backup-admin"}),
        None,
    ));
    v.push(ev(rng, 130, "iam", "AttachUserPolicy", json!({"userName":"backup-admin","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}), None));
    v.push(ev(
        rng,
        140,
        "iam",
        "CreateAccessKey",
        json!({"userName":"backup-admin"}),
        None,
    ));
    v.push(ev(
        rng,
        150,
        "iam",
        "CreateLoginProfile",
        json!({"userName":"backup-admin","passwordResetRequired":false}),
        None,
    ));
    v.push(ev(rng, 200, "ec2", "AuthorizeSecurityGroupIngress", json!({"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[
        {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}), None));
    v.push(ev(
        rng,
        230,
        "ec2",
        "ImportKeyPair",
        json!({"keyName":"backup"}),
        None,
    ));
    v.push(ev(rng, 260, "s3", "PutBucketPolicy", json!({"bucketName":"acme-prod-assets","bucketPolicy":{"Version":"2012-10-17",
        "Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-prod-assets/*"}]}}), None));
    v.push(ev(
        rng,
        290,
        "s3",
        "DeletePublicAccessBlock",
        json!({"bucketName":"acme-prod-assets"}),
        None,
    ));
    v.push(ev(rng, 320, "ec2", "ModifySnapshotAttribute", json!({"snapshotId":"snap-0123456789abcdef0","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}), None));
    let mut far = ev(
        rng,
        340,
        "ec2",
        "RunInstances",
        json!({"instanceType":"p4d.24xlarge","minCount":4,"maxCount":4}),
        None,
    );
    far["awsRegion"] = json!("sa-east-1");
    v.push(far);
    v.push(ev(
        rng,
        400,
        "guardduty",
        "DeleteDetector",
        json!({"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}),
        None,
    ));
    v.push(ev(
        rng,
        420,
        "cloudtrail",
        "StopLogging",
        json!({"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}),
        None,
    ));
    v
}

/// A role chain for the chain view: alice (IAM user) assumes DeployRole, which assumes
/// ProdAdmin as session `alice-admin`; that session then works. Keys are consistent, so
/// each session traces back to alice. Its own random numbers leave the rest unchanged.
fn role_chain(start: i64, span: i64) -> Vec<Value> {
    let mut rng = Rng::new(0xC4A1);
    let t = start + (2 * 86_400 + 10 * 3600).min(span / 2);
    let deploy_key = "ASIAEXAMPLEDEPLOY001";
    let admin_key = "ASIAEXAMPLEPRODADM01";
    let session = |role: &str, name: &str, key: &str| {
        json!({"type":"AssumedRole","principalId":format!("AROAEXAMPLE{}:{name}", role.to_uppercase()),
            "arn":format!("arn:aws:sts::{PROD}:assumed-role/{role}/{name}"),"accountId":PROD,"accessKeyId":key,
            "sessionContext":{"sessionIssuer":{"type":"Role","principalId":format!("AROAEXAMPLE{}", role.to_uppercase()),
                "arn":format!("arn:aws:iam::{PROD}:role/{role}"),"accountId":PROD,"userName":role},
                "attributes":{"creationDate":format_time(t),"mfaAuthenticated":"false"}}})
    };
    let cli =
        "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6";
    let mut out = Vec::new();
    let mut push = |rng: &mut Rng,
                    dt: i64,
                    who: Option<Value>,
                    source: &str,
                    name: &str,
                    req: Value,
                    err: Option<(&str, &str)>| {
        let mut r = record(
            rng,
            Who::Alice,
            t + dt,
            "us-east-1",
            source,
            name,
            Some(crate::record::infer_read_only(name)),
            req,
            err,
            None,
        );
        if let Some(w) = who {
            r["userIdentity"] = w;
        }
        r["userAgent"] = json!(cli);
        r["sourceIPAddress"] = json!("203.0.113.12");
        out.push(r);
        out.len() - 1
    };
    let assume = |role: &str, name: &str| json!({"roleArn":format!("arn:aws:iam::{PROD}:role/{role}"),"roleSessionName":name,"durationSeconds":3600});
    let credentials = |role: &str, name: &str, key: &str| {
        json!({"credentials":{"accessKeyId":key,"sessionToken":"EXAMPLE-TOKEN","expiration":format_time(t + 3600)},
            "assumedRoleUser":{"assumedRoleId":format!("AROAEXAMPLE{}:{name}", role.to_uppercase()),
                "arn":format!("arn:aws:sts::{PROD}:assumed-role/{role}/{name}")}})
    };
    let first = push(
        &mut rng,
        0,
        None,
        "sts",
        "AssumeRole",
        assume("DeployRole", "alice-deploy"),
        None,
    );
    let second = push(
        &mut rng,
        30,
        Some(session("DeployRole", "alice-deploy", deploy_key)),
        "sts",
        "AssumeRole",
        assume("ProdAdmin", "alice-admin"),
        None,
    );
    let admin = session("ProdAdmin", "alice-admin", admin_key);
    // (service, event name, request parameters, error).
    type Call<'a> = (&'a str, &'a str, Value, Option<(&'a str, &'a str)>);
    let work: [Call; 7] = [
        ("ec2", "DescribeInstances", Value::Null, None),
        ("s3", "ListBuckets", Value::Null, None),
        ("s3", "PutBucketVersioning", json!({"bucketName":"acme-prod-assets","VersioningConfiguration":{"Status":"Enabled"}}), None),
        ("lambda", "UpdateFunctionCode20150331v2", json!({"functionName":"orders-processor"}), None),
        ("lambda", "GetFunction20150331v2", json!({"functionName":"orders-processor"}), None),
        ("iam", "CreateUser", json!({"userName":"deploy-bot"}), Some(("AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/ProdAdmin/alice-admin is not authorized to perform: iam:CreateUser"))),
        ("ec2", "DescribeInstances", Value::Null, None),
    ];
    for (i, (source, name, req, err)) in work.into_iter().enumerate() {
        push(
            &mut rng,
            60 + 45 * i as i64,
            Some(admin.clone()),
            source,
            name,
            req,
            err,
        );
    }
    out[first]["responseElements"] = credentials("DeployRole", "alice-deploy", deploy_key);
    out[first]["resources"] = json!([{"ARN":format!("arn:aws:iam::{PROD}:role/DeployRole"),"accountId":PROD,"type":"AWS::IAM::Role"}]);
    out[second]["responseElements"] = credentials("ProdAdmin", "alice-admin", admin_key);
    out[second]["resources"] = json!([{"ARN":format!("arn:aws:iam::{PROD}:role/ProdAdmin"),"accountId":PROD,"type":"AWS::IAM::Role"}]);
    out
}

/// Generates the data set as CloudTrail log files, hour by hour, in time order.
pub fn generate(cfg: DemoConfig) -> impl Iterator<Item = LogFile> {
    let start = cfg.end - cfg.days * 86_400;
    let hours = (cfg.days * 24).max(1);
    let mut rng = Rng::new(cfg.seed);
    let mut scripted = incident(&mut rng, start);
    scripted.extend(role_chain(start, cfg.days * 86_400));
    let regular = cfg.events.saturating_sub(scripted.len());
    scripted.sort_by_key(|r| r["eventTime"].as_str().map(str::to_owned));
    // Office hours are busier; weights per hour of day.
    let hour_weight = |h: i64| -> u64 {
        let hod = h % 24;
        if (8..19).contains(&hod) {
            6
        } else {
            2
        }
    };
    let total_weight: u64 = (0..hours).map(hour_weight).sum();
    let pop = population();
    let mut emitted = 0usize;
    let mut carry = 0u64;
    (0..hours).flat_map(move |h| {
        let hour_start = start + h * 3600;
        // Spread `regular` events over hours by weight, without rounding loss.
        carry += hour_weight(h) * regular as u64;
        let mut n = (carry / total_weight) as usize;
        carry %= total_weight;
        if h == hours - 1 {
            n = regular - emitted;
        }
        emitted += n;
        let mut records: Vec<(i64, Value)> = Vec::with_capacity(n + 8);
        for _ in 0..n {
            let who = *rng.weighted(&pop);
            let t = hour_start + rng.below(3600) as i64;
            let region = match who {
                Who::Service(_) | Who::LambdaRole | Who::Ec2Role => "us-east-1",
                _ => rng.weighted(REGIONS),
            };
            // Daily human logins, with and without MFA.
            if matches!(who, Who::Alice | Who::Bob | Who::AliceDev) && rng.chance(0.02) {
                let mfa = who != Who::Bob;
                records.push((t, console_login(&mut rng, who, t, mfa, true)));
                continue;
            }
            let actions = who.actions();
            let weighted: Vec<((&str, &str), u32)> = actions
                .iter()
                .map(|(s, n, w)| ((*s, *n), (*w).max(1) * if *w == 0 { 15 } else { 1 }))
                .collect();
            let (source, name) = *rng.weighted(&weighted);
            let error = if rng.chance(0.035) {
                let (code, msg) = rng
                    .weighted(
                        &ERRORS
                            .iter()
                            .map(|(c, m, w)| ((*c, *m), *w))
                            .collect::<Vec<_>>(),
                    )
                    .to_owned();
                Some((code, msg))
            } else {
                None
            };
            let req = request_parameters(source, name, &mut rng);
            // Some records, as in real trails, omit readOnly; the app infers it.
            let read_only = rng
                .chance(0.9)
                .then(|| crate::record::infer_read_only(name));
            records.push((
                t,
                record(
                    &mut rng, who, t, region, source, name, read_only, req, error, None,
                ),
            ));
        }
        while scripted.first().is_some_and(|r| {
            r["eventTime"]
                .as_str()
                .and_then(crate::time::parse_event_time)
                .is_some_and(|t| t < hour_start + 3600)
        }) {
            let r = scripted.remove(0);
            let t = r["eventTime"]
                .as_str()
                .and_then(crate::time::parse_event_time)
                .unwrap_or(hour_start);
            records.push((t, r));
        }
        records.sort_by_key(|(t, _)| *t);
        into_files(records, hour_start, &mut rng)
    })
}

/// Groups one hour's records by account and region into files of at most 1,000 records.
fn into_files(records: Vec<(i64, Value)>, hour_start: i64, rng: &mut Rng) -> Vec<LogFile> {
    let mut groups: Vec<((String, String), Vec<Value>)> = Vec::new();
    for (_, r) in records {
        let key = (
            r["recipientAccountId"].as_str().unwrap_or(PROD).to_owned(),
            r["awsRegion"].as_str().unwrap_or("us-east-1").to_owned(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let (y, m, d) = civil_from_days(hour_start.div_euclid(86_400));
    let stamp = format_time(hour_start);
    let stamp = format!(
        "{}{}{}T{}{}Z",
        &stamp[0..4],
        &stamp[5..7],
        &stamp[8..10],
        &stamp[11..13],
        &stamp[14..16]
    );
    let mut files = Vec::new();
    for ((acct, region), recs) in groups {
        for part in recs.chunks(1000) {
            let name = format!("{acct}_CloudTrail_{region}_{stamp}_{}.json.gz", rng.hex(16));
            let path = format!("AWSLogs/{acct}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{name}");
            let json = serde_json::to_vec(&json!({ "Records": part })).unwrap_or_default();
            files.push(LogFile {
                path,
                json,
                records: part.len(),
            });
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;
    use crate::query::overview;
    use crate::store::Store;

    #[test]
    fn deterministic_and_exact_count() {
        let cfg = DemoConfig {
            events: 3000,
            ..DemoConfig::default()
        };
        let a: Vec<_> = generate(cfg).collect();
        let b: Vec<_> = generate(cfg).collect();
        assert_eq!(a.len(), b.len());
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.json == y.json && x.path == y.path));
        assert_eq!(a.iter().map(|f| f.records).sum::<usize>(), 3000);
        let mut store = Store::new();
        for (i, f) in a.iter().enumerate() {
            let r = ingest_bytes(i as u32, &f.path, &f.json, &mut store);
            assert!(r.problems.is_empty(), "{:?}", r.problems);
        }
        let o = overview(&store, &store.all_rows());
        assert_eq!(o.events, 3000);
        assert!(o.actors >= 20, "{o:?}");
        assert!(o.services >= 12, "{o:?}");
        assert!(o.regions >= 4 && o.errors > 0);
    }
}
