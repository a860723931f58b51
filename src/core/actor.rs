//! Who did it: one readable actor per event, plus the identity chain behind it.
//!
//! CloudTrail's `userIdentity` differs by identity type; people think in names ("alice",
//! "root", "the CI role"). [`Identity::resolve`] turns the raw block into a stable,
//! account-qualified key (so `alice` in two accounts are two actors) and a label a person
//! recognises, and keeps the details (ARN, account, issuer, invokedBy) for hover and detail.

use crate::record::{Obj, Text};
use serde::Deserialize;

/// The raw `userIdentity` block, read leniently.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawIdentity<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub principal_id: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub account_id: Text<'a>,
    #[serde(borrow)]
    pub access_key_id: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub invoked_by: Text<'a>,
    #[serde(borrow)]
    pub identity_provider: Text<'a>,
    #[serde(borrow)]
    pub session_context: Obj<RawSessionContext<'a>>,
    #[serde(borrow)]
    pub on_behalf_of: Obj<RawOnBehalfOf<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawSessionContext<'a> {
    #[serde(borrow)]
    pub session_issuer: Obj<RawIssuer<'a>>,
    #[serde(borrow)]
    pub source_identity: Text<'a>,
    #[serde(borrow)]
    pub web_id_federation_data: Obj<RawWebIdFederation<'a>>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawIssuer<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub account_id: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
}

/// `userIdentity.sessionContext.webIdFederationData`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawWebIdFederation<'a> {
    #[serde(borrow)]
    pub federated_provider: Text<'a>,
}

/// `userIdentity.onBehalfOf` (IAM Identity Center users).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RawOnBehalfOf<'a> {
    #[serde(borrow)]
    pub user_id: Text<'a>,
    #[serde(borrow)]
    pub identity_store_arn: Text<'a>,
}

/// The identity types CloudTrail writes, plus the cases it leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityType {
    Root,
    IamUser,
    AssumedRole,
    FederatedUser,
    SamlUser,
    WebIdentityUser,
    AwsAccount,
    AwsService,
    IdentityCenterUser,
    /// A `type` this code does not know, or none.
    Other,
    /// No `userIdentity` at all (Insights events, some service events).
    Missing,
}

impl IdentityType {
    fn parse(s: &str) -> IdentityType {
        match s {
            "Root" => IdentityType::Root,
            "IAMUser" => IdentityType::IamUser,
            "AssumedRole" => IdentityType::AssumedRole,
            "FederatedUser" => IdentityType::FederatedUser,
            "SAMLUser" => IdentityType::SamlUser,
            "WebIdentityUser" => IdentityType::WebIdentityUser,
            "AWSAccount" => IdentityType::AwsAccount,
            "AWSService" => IdentityType::AwsService,
            "IdentityCenterUser" => IdentityType::IdentityCenterUser,
            _ => IdentityType::Other,
        }
    }

    /// The name CloudTrail uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::Root => "Root",
            IdentityType::IamUser => "IAMUser",
            IdentityType::AssumedRole => "AssumedRole",
            IdentityType::FederatedUser => "FederatedUser",
            IdentityType::SamlUser => "SAMLUser",
            IdentityType::WebIdentityUser => "WebIdentityUser",
            IdentityType::AwsAccount => "AWSAccount",
            IdentityType::AwsService => "AWSService",
            IdentityType::IdentityCenterUser => "IdentityCenterUser",
            IdentityType::Other => "Other",
            IdentityType::Missing => "(none)",
        }
    }
}

/// A resolved actor: a stable key, a readable label, and the identity details.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Account-qualified key; two events with equal keys are the same actor.
    pub key: String,
    /// What a person reads: `alice`, `root (111122223333)`, `carol@corp (AWSReservedSSO_…)`.
    pub label: String,
    pub kind_name: String,
    /// The account the identity belongs to (`userIdentity.accountId`).
    pub account: String,
    pub arn: String,
    pub principal_id: String,
    /// The role or user that issued the session (`sessionContext.sessionIssuer`).
    pub issuer_arn: String,
    pub issuer_name: String,
    pub invoked_by: String,
    pub identity_provider: String,
    /// The session's issuer lives in another account than the one that logged the event.
    pub cross_account: bool,
    /// `sessionContext.sourceIdentity`: set once by whoever started a role chain, kept by
    /// every later session, so it names the person behind a session (see `core::chain`).
    pub source_identity: String,
}

/// The part of an ARN after the last `/` (or `:`), e.g. the user name or session name.
fn arn_tail(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

impl Identity {
    /// Resolves the actor of one event from its `userIdentity`.
    pub fn resolve(raw: Option<&RawIdentity<'_>>, recipient: Option<&str>, insight: bool) -> Self {
        let Some(u) = raw else {
            let label = if insight {
                "CloudTrail Insights"
            } else {
                "(no identity)"
            };
            return Identity {
                key: format!("none:{label}"),
                label: label.to_owned(),
                kind_name: IdentityType::Missing.as_str().to_owned(),
                ..Identity::default()
            };
        };
        let t = |x: &Text<'_>| x.str().unwrap_or("").to_owned();
        let kind_raw = u.kind.str().unwrap_or("");
        let kind = IdentityType::parse(kind_raw);
        let account = t(&u.account_id);
        let arn = t(&u.arn);
        let principal_id = t(&u.principal_id);
        let user_name = t(&u.user_name);
        let session = u.session_context.get();
        let issuer = session.and_then(|s| s.session_issuer.get());
        let issuer_name = issuer.map(|i| t(&i.user_name)).unwrap_or_default();
        let issuer_arn = issuer.map(|i| t(&i.arn)).unwrap_or_default();
        let issuer_account = issuer.map(|i| t(&i.account_id)).unwrap_or_default();
        let invoked_by = t(&u.invoked_by);
        let mut identity_provider = t(&u.identity_provider);
        if identity_provider.is_empty() {
            if let Some(w) = session.and_then(|s| s.web_id_federation_data.get()) {
                identity_provider = t(&w.federated_provider);
            }
        }
        let acct = if account.is_empty() {
            recipient.unwrap_or("")
        } else {
            account.as_str()
        };
        let cross_account = !issuer_account.is_empty()
            && recipient.is_some_and(|r| !r.is_empty() && r != issuer_account);

        let (key, label) = match kind {
            IdentityType::Root => {
                let who = if user_name.is_empty() {
                    acct
                } else {
                    user_name.as_str()
                };
                (format!("root:{acct}"), format!("root ({who})"))
            }
            IdentityType::IamUser => {
                let name = if user_name.is_empty() {
                    arn_tail(&arn).to_owned()
                } else {
                    user_name.clone()
                };
                let name = non_empty(name, &principal_id);
                (format!("user:{acct}:{name}"), name)
            }
            IdentityType::AssumedRole => {
                let source_identity = session.and_then(|s| s.source_identity.str()).unwrap_or("");
                let session_name = if !source_identity.is_empty() {
                    source_identity.to_owned()
                } else if let Some((_, s)) = principal_id.split_once(':') {
                    s.to_owned()
                } else {
                    arn_tail(&arn).to_owned()
                };
                let role = if issuer_name.is_empty() {
                    // arn:aws:sts::acct:assumed-role/ROLE/session
                    arn.split('/').nth(1).unwrap_or("").to_owned()
                } else {
                    issuer_name.clone()
                };
                let label = match (session_name.is_empty(), role.is_empty()) {
                    (false, false) => format!("{session_name} ({role})"),
                    (false, true) => session_name.clone(),
                    (true, false) => format!("({role})"),
                    (true, true) => non_empty(arn.clone(), &principal_id),
                };
                (format!("role:{acct}:{role}:{session_name}"), label)
            }
            IdentityType::FederatedUser => {
                let name = principal_id
                    .split_once(':')
                    .map(|(_, n)| n.to_owned())
                    .unwrap_or_else(|| arn_tail(&arn).to_owned());
                let label = if issuer_name.is_empty() {
                    name.clone()
                } else {
                    format!("{name} via {issuer_name}")
                };
                (format!("federated:{acct}:{name}:{issuer_name}"), label)
            }
            IdentityType::SamlUser | IdentityType::WebIdentityUser => {
                let name = non_empty(user_name.clone(), &principal_id);
                let label = if identity_provider.is_empty() {
                    name.clone()
                } else {
                    format!("{name} ({})", provider_short(&identity_provider))
                };
                (
                    format!("{}:{acct}:{identity_provider}:{name}", kind.as_str()),
                    label,
                )
            }
            IdentityType::AwsAccount => {
                if account == "ANONYMOUS_PRINCIPAL"
                    || account.eq_ignore_ascii_case("anonymous")
                    || (account.is_empty() && principal_id.is_empty())
                {
                    ("anonymous".to_owned(), "anonymous".to_owned())
                } else {
                    let id = non_empty(account.clone(), &principal_id);
                    (format!("account:{id}"), format!("account {id}"))
                }
            }
            IdentityType::AwsService => {
                let by = non_empty(invoked_by.clone(), &principal_id);
                (format!("service:{by}"), by)
            }
            IdentityType::IdentityCenterUser => {
                let user_id = u
                    .on_behalf_of
                    .get()
                    .and_then(|o| o.user_id.str())
                    .unwrap_or("")
                    .to_owned();
                let name = non_empty(non_empty(user_id, &user_name), &principal_id);
                (format!("idc:{acct}:{name}"), name)
            }
            IdentityType::Other | IdentityType::Missing => {
                let name = non_empty(non_empty(user_name.clone(), &principal_id), &arn);
                let name = non_empty(name, &invoked_by);
                let name = if name.is_empty() {
                    "(unknown)".to_owned()
                } else {
                    name
                };
                (format!("other:{kind_raw}:{acct}:{name}"), name)
            }
        };
        let kind_name = match kind {
            IdentityType::Other if !kind_raw.is_empty() => kind_raw.to_owned(),
            _ => kind.as_str().to_owned(),
        };
        Identity {
            key,
            label,
            kind_name,
            account: acct.to_owned(),
            arn,
            principal_id,
            issuer_arn,
            issuer_name,
            invoked_by,
            identity_provider,
            cross_account,
            source_identity: session
                .and_then(|s| s.source_identity.str())
                .unwrap_or("")
                .to_owned(),
        }
    }

    /// Multi-line description for hover text and the detail panel.
    pub fn describe(&self) -> String {
        let mut out = format!("{}\ntype: {}", self.label, self.kind_name);
        let mut line = |k: &str, v: &str| {
            if !v.is_empty() {
                out.push_str(&format!("\n{k}: {v}"));
            }
        };
        line("account", &self.account);
        line("ARN", &self.arn);
        line("principal", &self.principal_id);
        line("session issuer", &self.issuer_arn);
        line("invoked by", &self.invoked_by);
        line("identity provider", &self.identity_provider);
        if self.cross_account {
            out.push_str("\ncross-account session");
        }
        out
    }
}

fn non_empty(a: String, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else {
        a
    }
}

/// `arn:aws:iam::123:saml-provider/Okta` → `Okta`; `accounts.google.com` stays.
fn provider_short(p: &str) -> &str {
    if p.starts_with("arn:") {
        arn_tail(p)
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(json: &str, recipient: Option<&str>) -> Identity {
        let raw: RawIdentity = serde_json::from_str(json).unwrap();
        Identity::resolve(Some(&raw), recipient, false)
    }

    #[test]
    fn root_shows_alias_or_account() {
        let id = resolve(
            r#"{"type":"Root","accountId":"111122223333","arn":"arn:aws:iam::111122223333:root"}"#,
            None,
        );
        assert_eq!(id.label, "root (111122223333)");
        let id = resolve(
            r#"{"type":"Root","accountId":"111122223333","userName":"acme-prod"}"#,
            None,
        );
        assert_eq!(id.label, "root (acme-prod)");
        assert_eq!(id.key, "root:111122223333");
    }

    #[test]
    fn iam_user_falls_back_to_arn() {
        let id = resolve(
            r#"{"type":"IAMUser","accountId":"1","arn":"arn:aws:iam::1:user/ops/bob"}"#,
            None,
        );
        assert_eq!(id.label, "bob");
        assert_eq!(id.key, "user:1:bob");
    }

    #[test]
    fn assumed_role_session_and_role() {
        let j = r#"{"type":"AssumedRole","principalId":"AROAX:alice@corp.com","accountId":"1",
          "arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_1/alice@corp.com",
          "sessionContext":{"sessionIssuer":{"type":"Role","userName":"AWSReservedSSO_Admin_1","accountId":"1"}}}"#;
        let id = resolve(j, Some("1"));
        assert_eq!(id.label, "alice@corp.com (AWSReservedSSO_Admin_1)");
        assert!(!id.cross_account);
        let id = resolve(j, Some("2"));
        assert!(id.cross_account);
        let j = r#"{"type":"AssumedRole","principalId":"AROAX:i-0abc","arn":"arn:aws:sts::1:assumed-role/web/i-0abc",
          "sessionContext":{"sourceIdentity":"dave","sessionIssuer":{"userName":"web"}}}"#;
        assert_eq!(resolve(j, None).label, "dave (web)");
        let j = r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/web/i-0abc"}"#;
        assert_eq!(resolve(j, None).label, "i-0abc (web)");
    }

    #[test]
    fn other_types() {
        let fed = resolve(
            r#"{"type":"FederatedUser","principalId":"1:bob","sessionContext":{"sessionIssuer":{"userName":"alice"}}}"#,
            None,
        );
        assert_eq!(fed.label, "bob via alice");
        let saml = resolve(
            r#"{"type":"SAMLUser","userName":"eve","identityProvider":"arn:aws:iam::1:saml-provider/Okta"}"#,
            None,
        );
        assert_eq!(saml.label, "eve (Okta)");
        let web = resolve(
            r#"{"type":"WebIdentityUser","userName":"u1","identityProvider":"accounts.google.com"}"#,
            None,
        );
        assert_eq!(web.label, "u1 (accounts.google.com)");
        let anon = resolve(
            r#"{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"}"#,
            None,
        );
        assert_eq!(anon.label, "anonymous");
        let acct = resolve(
            r#"{"type":"AWSAccount","principalId":"AIDA","accountId":"999"}"#,
            None,
        );
        assert_eq!(acct.label, "account 999");
        let svc = resolve(
            r#"{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}"#,
            None,
        );
        assert_eq!(svc.label, "cloudtrail.amazonaws.com");
        let idc = resolve(
            r#"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-123","identityStoreArn":"x"}}"#,
            None,
        );
        assert_eq!(idc.label, "u-123");
        let unknown = resolve(r#"{"principalId":"P1","arn":"a"}"#, None);
        assert_eq!(unknown.label, "P1");
        let unknown = resolve(r#"{"type":"Weird","arn":"arn:x"}"#, None);
        assert_eq!(unknown.label, "arn:x");
        assert_eq!(unknown.kind_name, "Weird");
    }

    #[test]
    fn same_name_in_two_accounts_are_two_actors() {
        let a = resolve(
            r#"{"type":"IAMUser","accountId":"1","userName":"alice"}"#,
            None,
        );
        let b = resolve(
            r#"{"type":"IAMUser","accountId":"2","userName":"alice"}"#,
            None,
        );
        assert_eq!(a.label, b.label);
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn missing_identity() {
        assert_eq!(
            Identity::resolve(None, None, true).label,
            "CloudTrail Insights"
        );
        assert_eq!(Identity::resolve(None, None, false).label, "(no identity)");
    }
}
