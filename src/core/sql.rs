//! The current filters as SQL, for data larger than a browser holds: Athena over the
//! standard CloudTrail table (columns as in the AWS documentation's CREATE TABLE) and
//! CloudTrail Lake. Every value is quoted as a SQL string literal.

use crate::filter::{Client, ErrorFilter, Filter};
use crate::time::format_time;

/// A SQL string literal (single quotes doubled).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A LIKE pattern literal matching `s` literally, with `%` added where asked.
fn like(prefix: &str, s: &str, suffix: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{} ESCAPE '\\'", lit(&format!("{prefix}{escaped}{suffix}")))
}

fn service_source(s: &str) -> String {
    let s = s.trim();
    if s.contains('.') {
        s.to_owned()
    } else {
        format!("{s}.amazonaws.com")
    }
}

/// User-agent conditions for a client kind (same rules as [`Client::classify`], roughly).
fn client_condition(c: Client, ua: &str) -> String {
    let any = |pats: &[&str]| {
        let parts: Vec<String> = pats
            .iter()
            .map(|p| format!("lower({ua}) LIKE {}", lit(p)))
            .collect();
        format!("({})", parts.join(" OR "))
    };
    match c {
        Client::Console => any(&[
            "console.%",
            "signin.amazonaws.com%",
            "mozilla/%",
            "%s3console%",
            "%awslambdaconsole%",
        ]),
        Client::Cli => any(&["aws-cli/%"]),
        Client::Sdk => any(&["boto%", "%aws-sdk%", "%botocore%", "apn/%"]),
        Client::Terraform => any(&["%terraform%"]),
        Client::AwsService => any(&["%.amazonaws.com", "aws internal%", "aws-internal%"]),
        Client::Other => format!(
            "NOT {}",
            any(&[
                "console.%",
                "signin.amazonaws.com%",
                "mozilla/%",
                "aws-cli/%",
                "boto%",
                "%aws-sdk%",
                "%terraform%",
                "%.amazonaws.com",
                "aws internal%"
            ])
        ),
    }
}

/// The filters as conditions for Athena's `cloudtrail_logs_<bucket>` table.
fn athena_conditions(f: &Filter) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(t) = f.from {
        w.push(format!("eventtime >= {}", lit(&format_time(t))));
    }
    if let Some(t) = f.to {
        w.push(format!("eventtime <= {}", lit(&format_time(t))));
    }
    if let Some(a) = &f.actor {
        w.push(format!(
            "(useridentity.username = {0} OR useridentity.arn = {0} OR useridentity.arn LIKE {1} OR useridentity.principalid LIKE {2} OR useridentity.sessioncontext.sessionissuer.username = {0})",
            lit(a),
            like("%/", a, ""),
            like("%:", a, "")
        ));
    }
    if let Some(s) = &f.service {
        w.push(format!("eventsource = {}", lit(&service_source(s))));
    }
    if let Some(p) = &f.event_name {
        match p.0.strip_suffix('*') {
            Some(prefix) => w.push(format!("eventname LIKE {}", like("", prefix, "%"))),
            None => w.push(format!("eventname = {}", lit(&p.0))),
        }
    }
    if let Some(r) = &f.region {
        w.push(format!("awsregion = {}", lit(r)));
    }
    if let Some(ip) = &f.ip {
        let max = if ip.addr.is_ipv4() { 32 } else { 128 };
        if ip.prefix == max {
            w.push(format!("sourceipaddress = {}", lit(&ip.addr.to_string())));
        } else {
            w.push(format!(
                "contains({}, TRY_CAST(sourceipaddress AS IPADDRESS))",
                lit(&ip.to_string())
            ));
        }
    }
    if let Some(k) = &f.access_key {
        w.push(format!("useridentity.accesskeyid = {}", lit(k)));
    }
    if let Some(id) = &f.event_id {
        w.push(format!("eventid = {}", lit(id)));
    }
    if let Some(r) = &f.resource {
        let pat = like("%", &r.to_lowercase(), "%");
        w.push(format!(
            "(lower(requestparameters) LIKE {pat} OR any_match(resources, r -> lower(r.arn) LIKE {pat}))"
        ));
    }
    if let Some(t) = &f.resource_type {
        w.push(format!("any_match(resources, r -> r.type = {})", lit(t)));
    }
    match &f.error {
        Some(ErrorFilter::Any) => w.push("errorcode IS NOT NULL".to_owned()),
        Some(ErrorFilter::None) => w.push("errorcode IS NULL".to_owned()),
        Some(ErrorFilter::Code(c)) => w.push(format!("errorcode = {}", lit(c))),
        None => {}
    }
    if let Some(ro) = f.read_only {
        w.push(format!("readonly = {}", lit(&ro.to_string())));
    }
    if let Some(c) = f.client {
        w.push(client_condition(c, "useragent"));
    }
    if f.hide_aws {
        w.push("(useridentity.type IS NULL OR useridentity.type <> 'AWSService')".to_owned());
    }
    for (path, value) in &f.fields {
        w.push(athena_field(path, value));
    }
    if let Some(t) = &f.text {
        let pat = like("%", &t.to_lowercase(), "%");
        w.push(format!(
            "(lower(eventname) LIKE {pat} OR lower(useridentity.arn) LIKE {pat} OR lower(useragent) LIKE {pat} OR lower(sourceipaddress) LIKE {pat} OR lower(errorcode) LIKE {pat} OR lower(errormessage) LIKE {pat} OR lower(requestparameters) LIKE {pat} OR lower(responseelements) LIKE {pat} OR lower(additionaleventdata) LIKE {pat})"
        ));
    }
    w
}

/// A field path = value condition: JSON columns through `json_extract_scalar`, struct
/// columns by their lower-case names; a bare name searches the JSON columns.
fn athena_field(path: &str, value: &str) -> String {
    const JSON_COLUMNS: [(&str, &str); 3] = [
        ("requestParameters", "requestparameters"),
        ("responseElements", "responseelements"),
        ("additionalEventData", "additionaleventdata"),
    ];
    // `items.0.x` in a dot path is `items[0].x` in a JSON path.
    let json_path = |rest: &str| {
        let mut out = String::from("$");
        for seg in rest.split('.') {
            if seg.parse::<usize>().is_ok() {
                out.push_str(&format!("[{seg}]"));
            } else {
                out.push_str(&format!(".{seg}"));
            }
        }
        out
    };
    if !path.contains('.') {
        let parts: Vec<String> = JSON_COLUMNS
            .iter()
            .map(|(_, col)| {
                format!(
                    "json_extract_scalar({col}, {}) = {}",
                    lit(&format!("$.{path}")),
                    lit(value)
                )
            })
            .collect();
        return format!("({})", parts.join(" OR "));
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match JSON_COLUMNS.iter().find(|(name, _)| *name == head) {
        Some((_, col)) => format!(
            "json_extract_scalar({col}, {}) = {}",
            lit(&json_path(rest)),
            lit(value)
        ),
        None => format!("{} = {}", path.to_lowercase(), lit(value)),
    }
}

/// A leading comment when the filter has a part SQL cannot express: the person filter
/// follows role chains through re-read issuing calls, which one query cannot do.
fn left_out(f: &Filter) -> String {
    match &f.person {
        // Control characters would end the comment line and let the value run as SQL.
        Some(p) => format!(
            "-- person = {}: role chains are traced in the page; SQL cannot follow them, so this query leaves that filter out.\n",
            p.replace(|c: char| c.is_control(), " ")
        ),
        None => String::new(),
    }
}

/// Athena SQL for the filters, over `cloudtrail_logs_<bucket>` (`table` names it).
pub fn athena(f: &Filter, table: &str) -> String {
    let w = athena_conditions(f);
    let mut sql = left_out(f);
    sql += &format!(
        "SELECT eventtime, eventname, useridentity.type, useridentity.arn, eventsource, awsregion,\n       sourceipaddress, useragent, errorcode, readonly, eventid, requestparameters\nFROM {table}"
    );
    if !w.is_empty() {
        sql.push_str("\nWHERE ");
        sql.push_str(&w.join("\n  AND "));
    }
    sql.push_str("\nORDER BY eventtime DESC\nLIMIT 1000;");
    sql
}

/// CloudTrail Lake SQL for the filters, over an event data store (`store` is its ID).
pub fn cloudtrail_lake(f: &Filter, store: &str) -> String {
    let mut w = Vec::new();
    let ts = |t: i64| {
        let s = format_time(t);
        lit(&format!("{} {}", &s[..10], &s[11..19]))
    };
    if let Some(t) = f.from {
        w.push(format!("eventTime >= {}", ts(t)));
    }
    if let Some(t) = f.to {
        w.push(format!("eventTime <= {}", ts(t)));
    }
    if let Some(a) = &f.actor {
        w.push(format!(
            "(userIdentity.username = {0} OR userIdentity.arn = {0} OR userIdentity.arn LIKE {1})",
            lit(a),
            lit(&format!("%/{a}"))
        ));
    }
    if let Some(s) = &f.service {
        w.push(format!("eventSource = {}", lit(&service_source(s))));
    }
    if let Some(p) = &f.event_name {
        match p.0.strip_suffix('*') {
            Some(prefix) => w.push(format!("eventName LIKE {}", lit(&format!("{prefix}%")))),
            None => w.push(format!("eventName = {}", lit(&p.0))),
        }
    }
    if let Some(r) = &f.region {
        w.push(format!("awsRegion = {}", lit(r)));
    }
    if let Some(ip) = &f.ip {
        w.push(format!(
            "sourceIPAddress = {} -- CIDR ranges need an exact address in Lake",
            lit(&ip.addr.to_string())
        ));
    }
    if let Some(k) = &f.access_key {
        w.push(format!("userIdentity.accessKeyId = {}", lit(k)));
    }
    if let Some(id) = &f.event_id {
        w.push(format!("eventID = {}", lit(id)));
    }
    if let Some(r) = &f.resource {
        w.push(format!(
            "element_at(resources, 1).arn LIKE {}",
            lit(&format!("%{r}%"))
        ));
    }
    if let Some(t) = &f.resource_type {
        w.push(format!("element_at(resources, 1).type = {}", lit(t)));
    }
    match &f.error {
        Some(ErrorFilter::Any) => w.push("errorCode IS NOT NULL".to_owned()),
        Some(ErrorFilter::None) => w.push("errorCode IS NULL".to_owned()),
        Some(ErrorFilter::Code(c)) => w.push(format!("errorCode = {}", lit(c))),
        None => {}
    }
    if let Some(ro) = f.read_only {
        w.push(format!("readOnly = {ro}"));
    }
    if let Some(c) = f.client {
        w.push(client_condition(c, "userAgent"));
    }
    if f.hide_aws {
        w.push("userIdentity.type <> 'AWSService'".to_owned());
    }
    for (path, value) in &f.fields {
        match path.split_once('.') {
            Some(("requestParameters", key)) if !key.contains('.') => w.push(format!(
                "element_at(requestParameters, {}) = {}",
                lit(key),
                lit(value)
            )),
            Some(_) => w.push(format!("{path} = {}", lit(value))),
            None => w.push(format!(
                "element_at(requestParameters, {}) = {}",
                lit(path),
                lit(value)
            )),
        }
    }
    if let Some(t) = &f.text {
        w.push(format!(
            "(eventName LIKE {0} OR userIdentity.arn LIKE {0} OR userAgent LIKE {0} OR sourceIPAddress LIKE {0} OR errorMessage LIKE {0})",
            lit(&format!("%{t}%"))
        ));
    }
    let mut sql = left_out(f);
    sql += &format!(
        "SELECT eventTime, eventName, userIdentity.arn, eventSource, awsRegion, sourceIPAddress, errorCode, eventID\nFROM {store}"
    );
    if !w.is_empty() {
        sql.push_str("\nWHERE ");
        sql.push_str(&w.join("\n  AND "));
    }
    sql.push_str("\nORDER BY eventTime DESC\nLIMIT 1000;");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{IpPattern, NamePattern};
    use crate::time::parse_event_time;

    fn athena_where(f: Filter) -> String {
        athena(&f, "cloudtrail_logs_b")
    }

    #[test]
    fn no_filter_no_where() {
        let sql = athena_where(Filter::default());
        assert!(!sql.contains("WHERE"));
        assert!(sql.contains("FROM cloudtrail_logs_b"));
    }

    #[test]
    fn each_filter_in_athena() {
        let cases: Vec<(Filter, &str)> = vec![
            (
                Filter {
                    from: parse_event_time("2024-01-01T00:00:00Z"),
                    ..Filter::default()
                },
                "eventtime >= '2024-01-01T00:00:00Z'",
            ),
            (
                Filter {
                    to: parse_event_time("2024-01-02T00:00:00Z"),
                    ..Filter::default()
                },
                "eventtime <= '2024-01-02T00:00:00Z'",
            ),
            (
                Filter {
                    actor: Some("o'brien".into()),
                    ..Filter::default()
                },
                "useridentity.username = 'o''brien'",
            ),
            (
                Filter {
                    service: Some("ec2".into()),
                    ..Filter::default()
                },
                "eventsource = 'ec2.amazonaws.com'",
            ),
            (
                Filter {
                    event_name: Some(NamePattern("Delete*".into())),
                    ..Filter::default()
                },
                "eventname LIKE 'Delete%' ESCAPE '\\'",
            ),
            (
                Filter {
                    event_name: Some(NamePattern("Run_Instances".into())),
                    ..Filter::default()
                },
                "eventname = 'Run_Instances'",
            ),
            (
                Filter {
                    region: Some("eu-west-1".into()),
                    ..Filter::default()
                },
                "awsregion = 'eu-west-1'",
            ),
            (
                Filter {
                    ip: IpPattern::parse("10.0.0.0/8"),
                    ..Filter::default()
                },
                "contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS))",
            ),
            (
                Filter {
                    ip: IpPattern::parse("1.2.3.4"),
                    ..Filter::default()
                },
                "sourceipaddress = '1.2.3.4'",
            ),
            (
                Filter {
                    access_key: Some("AKIA1".into()),
                    ..Filter::default()
                },
                "useridentity.accesskeyid = 'AKIA1'",
            ),
            (
                Filter {
                    event_id: Some("e1".into()),
                    ..Filter::default()
                },
                "eventid = 'e1'",
            ),
            (
                Filter {
                    resource: Some("My_Bucket".into()),
                    ..Filter::default()
                },
                "lower(requestparameters) LIKE '%my\\_bucket%' ESCAPE '\\'",
            ),
            (
                Filter {
                    resource_type: Some("AWS::S3::Bucket".into()),
                    ..Filter::default()
                },
                "any_match(resources, r -> r.type = 'AWS::S3::Bucket')",
            ),
            (
                Filter {
                    error: Some(ErrorFilter::Any),
                    ..Filter::default()
                },
                "errorcode IS NOT NULL",
            ),
            (
                Filter {
                    error: Some(ErrorFilter::None),
                    ..Filter::default()
                },
                "errorcode IS NULL",
            ),
            (
                Filter {
                    error: Some(ErrorFilter::Code("AccessDenied".into())),
                    ..Filter::default()
                },
                "errorcode = 'AccessDenied'",
            ),
            (
                Filter {
                    read_only: Some(false),
                    ..Filter::default()
                },
                "readonly = 'false'",
            ),
            (
                Filter {
                    client: Some(Client::Cli),
                    ..Filter::default()
                },
                "lower(useragent) LIKE 'aws-cli/%'",
            ),
            (
                Filter {
                    hide_aws: true,
                    ..Filter::default()
                },
                "useridentity.type <> 'AWSService'",
            ),
        ];
        for (f, want) in cases {
            let sql = athena_where(f.clone());
            assert!(sql.contains(want), "{f:?}\n{sql}");
            let lake = cloudtrail_lake(&f, "EDS_ID");
            assert!(lake.contains("WHERE"), "{f:?}\n{lake}");
        }
    }

    #[test]
    fn combined_filters_are_anded() {
        let f = Filter {
            service: Some("s3".into()),
            region: Some("us-east-1".into()),
            ..Filter::default()
        };
        let sql = athena_where(f);
        assert!(
            sql.contains("eventsource = 's3.amazonaws.com'\n  AND awsregion = 'us-east-1'"),
            "{sql}"
        );
    }

    #[test]
    fn person_filter_is_named_as_left_out() {
        let f = Filter {
            person: Some("alice\nDROP TABLE x".into()),
            service: Some("s3".into()),
            ..Filter::default()
        };
        for sql in [athena(&f, "t"), cloudtrail_lake(&f, "s")] {
            let first = sql.lines().next().unwrap_or("");
            assert!(
                first.starts_with("-- person = alice DROP TABLE x: role chains"),
                "{sql}"
            );
            assert!(
                sql.lines().nth(1).is_some_and(|l| l.starts_with("SELECT")),
                "{sql}"
            );
        }
        assert!(athena(&Filter::default(), "t").starts_with("SELECT"));
    }
}
