//! Hash routes: `#/users/alice?from=2024-01-01&eventName=Delete*`. The route holds the view
//! and every filter, so reloading or sharing a link restores the view (never the data), and
//! nothing of it reaches the static host's logs.
//!
//! The routes mirror the CloudTrail-Tracker REST API (`/scan`, `/services[/<name>]`,
//! `/users[/<name>]`, `/parameters`, and its `params=[...]&value=[...]` syntax). Bad values
//! are reported as messages, never silently ignored.

use crate::filter::{Client, ErrorFilter, Filter, IpPattern, NamePattern};
use crate::time::{format_time, parse_event_time};

/// Which page a route shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    /// The overview (also `#/scan`).
    #[default]
    Overview,
    /// All services with counts.
    Services,
    /// One service's page.
    Service(String),
    /// All actors with counts.
    Users,
    /// One actor's page.
    User(String),
    /// Discovered fields.
    Parameters,
    /// Log-file integrity from digests.
    Integrity,
    /// Detections that fired.
    Findings,
}

/// A parsed route: the view, its filters, and what could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    pub view: View,
    pub filter: Filter,
    /// One readable message per bad part of the route.
    pub errors: Vec<String>,
}

/// Decodes `%xx` escapes and `+` (as a space) in a query component.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query component (everything but unreserved characters and `*`, `:`, `/`).
pub fn percent_encode(s: &str) -> String {
    encode(s, b"-_.~*:/@")
}

/// Encodes a path segment (as a query component, and `/` too).
fn percent_encode_segment(s: &str) -> String {
    encode(s, b"-_.~*:@")
}

fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (UTC); a bare date as
/// `to` means its last second, and a minute as `to` its last second.
pub fn parse_bound(v: &str, end: bool) -> Option<i64> {
    let v = v.trim();
    if v.len() == 16 {
        let start = parse_event_time(&format!("{v}:00Z"))?;
        return Some(if end { start + 59 } else { start });
    }
    if v.len() == 10 {
        let start = parse_event_time(&format!("{v}T00:00:00Z"))?;
        Some(if end { start + 86_399 } else { start })
    } else {
        parse_event_time(v)
    }
}

/// `['a','b']`, `[a,b]` or `a,b` → `["a", "b"]`. Inside an item, `%XX` escapes stand for
/// characters the list syntax reserves (`,` `'` `"` `[` `]` `%` `+`), as [`to_hash`] writes them.
fn parse_list(v: &str) -> Vec<String> {
    let v = v.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    v.split(',')
        .map(|x| {
            let x = x.trim();
            let unquoted = ['\'', '"']
                .iter()
                .find_map(|q| x.strip_prefix(*q).and_then(|y| y.strip_suffix(*q)))
                .unwrap_or(x);
            percent_decode(unquoted).trim().to_owned()
        })
        .filter(|x| !x.is_empty())
        .collect()
}

/// One `params`/`value` list item, quoted, with the list syntax's own characters escaped.
fn list_item(v: &str) -> String {
    let mut out = String::from("'");
    for c in v.chars() {
        match c {
            ',' | '\'' | '"' | '[' | ']' | '%' | '+' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Applies one `params`/`value` pair: fields the store keeps become column filters (fast);
/// any other field is matched over the whole record.
fn apply_field(filter: &mut Filter, name: &str, value: &str) -> Result<(), String> {
    let is = |p: &str| name == p;
    if is("eventSource") {
        filter.service = Some(value.to_owned());
    } else if is("eventName") {
        filter.event_name = Some(NamePattern(value.to_owned()));
    } else if is("awsRegion") {
        filter.region = Some(value.to_owned());
    } else if is("sourceIPAddress") {
        filter.ip = Some(IpPattern::parse(value).ok_or(format!(
            "params: '{value}' is not an IP address or CIDR block"
        ))?);
    } else if is("errorCode") {
        filter.error = Some(ErrorFilter::Code(value.to_owned()));
    } else if is("eventID") {
        filter.event_id = Some(value.to_owned());
    } else if is("userIdentity.accessKeyId") || is("accessKeyId") {
        filter.access_key = Some(value.to_owned());
    } else if name.is_empty() {
        return Err("params: an empty field name".to_owned());
    } else {
        filter.fields.push((name.to_owned(), value.to_owned()));
    }
    Ok(())
}

/// Parses a location hash (with or without the leading `#`).
pub fn parse(hash: &str) -> Route {
    let hash = hash.trim_start_matches('#').trim_start_matches('/');
    let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut route = Route::default();
    match segments
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["scan"] | ["demo"] => {}
        ["services"] => route.view = View::Services,
        ["services", name] => route.view = View::Service((*name).to_owned()),
        ["users"] => route.view = View::Users,
        ["users", name] => route.view = View::User((*name).to_owned()),
        ["parameters"] => route.view = View::Parameters,
        ["integrity"] => route.view = View::Integrity,
        ["findings"] => route.view = View::Findings,
        _ => route
            .errors
            .push(format!("there is no page '#/{path}'; showing the overview")),
    }
    let mut params = Vec::new();
    let mut values = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        let f = &mut route.filter;
        let mut bad = |what: &str| route.errors.push(format!("{k}: '{v}' {what}"));
        let text = || Some(v.trim().to_owned()).filter(|x| !x.is_empty());
        match k.as_str() {
            "from" => match parse_bound(&v, false) {
                Some(t) => f.from = Some(t),
                None => bad("is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)"),
            },
            "to" => match parse_bound(&v, true) {
                Some(t) => f.to = Some(t),
                None => bad("is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)"),
            },
            "actor" => f.actor = text(),
            "service" => f.service = text(),
            "eventName" => f.event_name = text().map(NamePattern),
            "region" => f.region = text(),
            "ip" => match IpPattern::parse(&v) {
                Some(p) => f.ip = Some(p),
                None => bad("is not an IP address or CIDR block"),
            },
            "accessKey" => f.access_key = text(),
            "eventId" => f.event_id = text(),
            "resource" => f.resource = text(),
            "resourceType" => f.resource_type = text(),
            "error" => {
                f.error = match v.trim() {
                    "any" => Some(ErrorFilter::Any),
                    "none" => Some(ErrorFilter::None),
                    "" => None,
                    code => Some(ErrorFilter::Code(code.to_owned())),
                }
            }
            "readOnly" => match v.trim() {
                "true" => f.read_only = Some(true),
                "false" => f.read_only = Some(false),
                _ => bad("must be true or false"),
            },
            "client" => match Client::parse(&v) {
                Some(c) => f.client = Some(c),
                None => bad("is not a client (console, cli, sdk, terraform, aws-service, other)"),
            },
            "aws" => match v.trim() {
                "hide" => f.hide_aws = true,
                "show" | "" => f.hide_aws = false,
                _ => bad("must be hide or show"),
            },
            "integrity" => match v.trim() {
                "mismatched" => f.mismatched_only = true,
                "" => f.mismatched_only = false,
                _ => bad("must be mismatched"),
            },
            "q" => f.text = text(),
            "finding" => f.finding = text(),
            "person" => f.person = text(),
            "params" => params = parse_list(&v),
            "value" => values = parse_list(&v),
            _ => route.errors.push(format!("unknown parameter '{k}'")),
        }
    }
    // The page's own subject wins over a query parameter for the same thing.
    match &route.view {
        View::Service(name) => route.filter.service = Some(name.clone()),
        View::User(name) => route.filter.actor = Some(name.clone()),
        _ => {}
    }
    if params.len() != values.len() {
        route.errors.push(format!(
            "params has {} names but value has {} values; they must pair up",
            params.len(),
            values.len()
        ));
    } else {
        for (name, value) in params.iter().zip(&values) {
            if let Err(e) = apply_field(&mut route.filter, name, value) {
                route.errors.push(e);
            }
        }
    }
    route
}

/// The hash for a view and filter (the inverse of [`parse`] for everything it sets).
pub fn to_hash(view: &View, f: &Filter) -> String {
    let mut f = f.clone();
    let path = match view {
        View::Overview => "#/".to_owned(),
        View::Services => "#/services".to_owned(),
        View::Service(name) => {
            if f.service.as_deref() == Some(name.as_str()) {
                f.service = None;
            }
            format!("#/services/{}", percent_encode_segment(name))
        }
        View::Users => "#/users".to_owned(),
        View::User(name) => {
            if f.actor.as_deref() == Some(name.as_str()) {
                f.actor = None;
            }
            format!("#/users/{}", percent_encode_segment(name))
        }
        View::Parameters => "#/parameters".to_owned(),
        View::Integrity => "#/integrity".to_owned(),
        View::Findings => "#/findings".to_owned(),
    };
    let mut q: Vec<(&str, String)> = Vec::new();
    let time = |t: i64| format_time(t).trim_end_matches('Z').to_owned();
    if let Some(t) = f.from {
        q.push(("from", time(t)));
    }
    if let Some(t) = f.to {
        q.push(("to", time(t)));
    }
    let mut opt = |k: &'static str, v: &Option<String>| {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    };
    opt("actor", &f.actor);
    opt("service", &f.service);
    opt("eventName", &f.event_name.as_ref().map(|p| p.0.clone()));
    opt("region", &f.region);
    opt("ip", &f.ip.map(|p| p.to_string()));
    opt("accessKey", &f.access_key);
    opt("eventId", &f.event_id);
    opt("resource", &f.resource);
    opt("resourceType", &f.resource_type);
    opt(
        "error",
        &f.error.as_ref().map(|e| match e {
            ErrorFilter::Any => "any".to_owned(),
            ErrorFilter::None => "none".to_owned(),
            ErrorFilter::Code(c) => c.clone(),
        }),
    );
    opt("readOnly", &f.read_only.map(|r| r.to_string()));
    opt("client", &f.client.map(|c| c.as_str().to_owned()));
    if f.hide_aws {
        q.push(("aws", "hide".to_owned()));
    }
    if f.mismatched_only {
        q.push(("integrity", "mismatched".to_owned()));
    }
    if let Some(t) = &f.text {
        q.push(("q", t.clone()));
    }
    if let Some(r) = &f.finding {
        q.push(("finding", r.clone()));
    }
    if let Some(p) = &f.person {
        q.push(("person", p.clone()));
    }
    if !f.fields.is_empty() {
        let list = |items: Vec<&String>| {
            let quoted: Vec<String> = items.iter().map(|s| list_item(s)).collect();
            format!("[{}]", quoted.join(","))
        };
        q.push(("params", list(f.fields.iter().map(|(k, _)| k).collect())));
        q.push(("value", list(f.fields.iter().map(|(_, v)| v).collect())));
    }
    if q.is_empty() {
        path
    } else {
        let query: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_api_routes() {
        let r = parse("#/users/alucloud230?params=['instanceType','eventSource']&value=['m1.small','ec2.amazonaws.com']&eventName=RunInstances");
        assert_eq!(r.view, View::User("alucloud230".into()));
        assert_eq!(r.filter.actor.as_deref(), Some("alucloud230"));
        assert_eq!(r.filter.service.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(
            r.filter.fields,
            [("instanceType".to_owned(), "m1.small".to_owned())]
        );
        assert_eq!(
            r.filter.event_name,
            Some(NamePattern("RunInstances".into()))
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);

        let r = parse("#/scan?from=2024-01-01&to=2024-01-02");
        assert_eq!(r.view, View::Overview);
        assert_eq!(r.filter.from, parse_event_time("2024-01-01T00:00:00Z"));
        assert_eq!(r.filter.to, parse_event_time("2024-01-02T23:59:59Z"));
        assert_eq!(
            parse_bound("2024-01-01T10:00", true),
            parse_event_time("2024-01-01T10:00:59Z")
        );
        let r = parse("#/services/ec2?from=2024-01-01T10:00:00&eventName=Describe*");
        assert_eq!(r.view, View::Service("ec2".into()));
        assert_eq!(r.filter.from, parse_event_time("2024-01-01T10:00:00Z"));
        assert_eq!(parse("#/services").view, View::Services);
        assert_eq!(parse("#/users").view, View::Users);
        assert_eq!(parse("#/parameters").view, View::Parameters);
        assert_eq!(parse("#/integrity").view, View::Integrity);
        assert_eq!(parse("").view, View::Overview);
    }

    #[test]
    fn every_filter_parameter() {
        let r = parse("#/?actor=alice&service=s3&region=eu-west-1&ip=10.0.0.0%2F8&accessKey=AKIA1&eventId=e1&resource=bucket&resourceType=AWS::S3::Bucket&error=any&readOnly=false&client=console&aws=hide&q=x");
        let f = &r.filter;
        assert_eq!(f.actor.as_deref(), Some("alice"));
        assert_eq!(f.service.as_deref(), Some("s3"));
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(f.ip, IpPattern::parse("10.0.0.0/8"));
        assert_eq!(f.access_key.as_deref(), Some("AKIA1"));
        assert_eq!(f.event_id.as_deref(), Some("e1"));
        assert_eq!(f.resource.as_deref(), Some("bucket"));
        assert_eq!(f.resource_type.as_deref(), Some("AWS::S3::Bucket"));
        assert_eq!(f.error, Some(ErrorFilter::Any));
        assert_eq!(f.read_only, Some(false));
        assert_eq!(f.client, Some(Client::Console));
        assert!(f.hide_aws);
        assert_eq!(f.text.as_deref(), Some("x"));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }

    #[test]
    fn bad_values_are_reported() {
        let r = parse(
            "#/?from=yesterday&ip=999.1.1.1&readOnly=maybe&client=fax&params=['a','b']&value=['1']",
        );
        assert_eq!(r.errors.len(), 5, "{:?}", r.errors);
        assert!(r.errors[0].starts_with("from: 'yesterday' is not a date"));
        assert!(r.filter.is_empty());
        assert_eq!(parse("#/nowhere").errors.len(), 1);
        let r = parse(
            "#/?params=['userIdentity.sessionContext.attributes.mfaAuthenticated']&value=['true']&nope=1",
        );
        assert_eq!(r.filter.fields.len(), 1);
        assert_eq!(r.errors, ["unknown parameter 'nope'"]);
    }

    #[test]
    fn round_trip() {
        let r = parse("#/users/alice%20smith?from=2024-01-01T00:00:00&eventName=Delete*&ip=10.0.0.0/8&error=AccessDenied&aws=hide&client=cli&readOnly=true&integrity=mismatched&q=a%20b&params=['instanceType','x.y.0']&value=['m1.small','v']");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.filter.mismatched_only);
        let again = parse(&to_hash(&r.view, &r.filter));
        assert_eq!(again, r);
        assert_eq!(to_hash(&View::Overview, &Filter::default()), "#/");
    }

    #[test]
    fn findings_view_and_finding_filter_round_trip() {
        let r = parse("#/findings");
        assert_eq!(r.view, View::Findings);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(to_hash(&r.view, &r.filter), "#/findings");
        let r = parse("#/?finding=root-console-login&aws=hide");
        assert_eq!(r.filter.finding.as_deref(), Some("root-console-login"));
        assert!(r.filter.hide_aws);
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
        // A Sigma rule id is a UUID; any text survives the trip.
        let f = Filter {
            finding: Some("5f0a8f5e-1b2c-4d3e-9f00-aa&b=c d".into()),
            ..Filter::default()
        };
        assert_eq!(parse(&to_hash(&View::Overview, &f)).filter, f);
        assert_eq!(parse("#/?finding=").filter.finding, None);
    }

    /// Found by the `route` fuzz target: values holding the list syntax's own characters.
    #[test]
    fn regression_params_values_with_quotes_and_commas() {
        let f = Filter {
            fields: vec![("a".into(), "x'\",[]%+y'".into())],
            ..Filter::default()
        };
        let r = parse(&to_hash(&View::Overview, &f));
        assert_eq!(r.filter, f, "{:?}", r.errors);
    }

    /// Found by the `route` fuzz target: `params` values are trimmed like every other value.
    #[test]
    fn regression_params_value_with_trailing_tab() {
        let r = parse("#/?params=['eventSource']&value=['s3.amazonaws.com\t']");
        assert_eq!(r.filter.service.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
    }

    /// Found by the `route` fuzz target: an empty `actor=` must not unset the page's actor.
    #[test]
    fn regression_empty_actor_parameter_on_a_user_page() {
        let r = parse("#/users/alice?actor&aws=hide");
        assert_eq!(r.filter.actor.as_deref(), Some("alice"));
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
    }

    /// Found by the `route` fuzz target: a name with `/` in it must stay one segment.
    #[test]
    fn regression_slash_in_user_name_round_trips() {
        let r = parse("#/users/a%2fb?eventName=X");
        assert_eq!(r.view, View::User("a/b".into()));
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
    }

    #[test]
    fn person_parameter_round_trips() {
        let r = parse("#/?person=alice%20smith&service=s3");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.filter.person.as_deref(), Some("alice smith"));
        assert!(r.filter.needs_chains());
        assert_eq!(r.filter.columns_only().person, None);
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
        assert_eq!(parse("#/?person=").filter.person, None);
        let r = parse("#/users/bob?person=alice");
        assert_eq!(
            (r.filter.actor.as_deref(), r.filter.person.as_deref()),
            (Some("bob"), Some("alice"))
        );
        assert_eq!(parse(&to_hash(&r.view, &r.filter)), r);
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("a%20b+c%2f%zz%"), "a b c/%zz%");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }
}
