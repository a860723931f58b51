//! Reading CloudTrail logs straight from S3, minus the browser: pasted presigned URL
//! lists, where a bucket's objects live (endpoint, host, path), a lister that walks
//! CloudTrail's `AWSLogs/[o-…/]<account>/CloudTrail/<region>/YYYY/MM/DD/` layout with
//! ListObjectsV2 (following every continuation token), a small XML reader for S3's
//! answers, and S3's failures turned into messages a user can act on.

use super::sigv4::{self, Credentials, Request, Scope};
use std::fmt;

// ---------------------------------------------------------------------------------------
// Pasted URL lists
// ---------------------------------------------------------------------------------------

/// The URLs in pasted text or a `.txt` file: one or more per line, with any surrounding
/// whitespace, quotes, brackets or trailing commas (a pasted JSON array works); duplicates
/// are dropped, order kept.
pub fn parse_url_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in text.split_whitespace() {
        let url = token.trim_matches(|c: char| {
            matches!(
                c,
                '"' | '\'' | '`' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';'
            )
        });
        let lower = url.to_ascii_lowercase();
        if (lower.starts_with("https://") || lower.starts_with("http://"))
            && !out.iter().any(|u| u == url)
        {
            out.push(url.to_owned());
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL's parts that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// `https://host:port`.
    pub origin: String,
    pub host: String,
    /// The path, still encoded.
    pub path: String,
}

/// Splits an `http(s)://host/path?query` URL; `None` if it is not one.
pub fn split_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    if host.is_empty() {
        return None;
    }
    let path_and_more = &rest[end..];
    let path_end = path_and_more
        .find(['?', '#'])
        .unwrap_or(path_and_more.len());
    Some(UrlParts {
        origin: format!("{}://{host}", scheme.to_ascii_lowercase()),
        host: host.to_owned(),
        path: path_and_more[..path_end].to_owned(),
    })
}

/// The object key a URL points at, for naming it to the user: the decoded path, without
/// the bucket when the URL is path-style (`s3.<region>.amazonaws.com/<bucket>/<key>`, or
/// a custom endpoint such as `127.0.0.1:9000/<bucket>/<key>`).
pub fn object_key(url: &str) -> String {
    let Some(parts) = split_url(url) else {
        return url.to_owned();
    };
    let path = percent_decode(parts.path.trim_start_matches('/'));
    let host = parts
        .host
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let virtual_hosted =
        host.ends_with(".amazonaws.com") && !(host.starts_with("s3.") || host.starts_with("s3-"));
    if virtual_hosted {
        path
    } else {
        path.split_once('/')
            .map_or(path.clone(), |(_, key)| key.to_owned())
    }
}

// ---------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------

/// Replaces XML's five named entities and numeric character references.
pub fn xml_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The raw inner text of every `<tag>…</tag>` in `xml`, in order (S3's answers do not
/// nest an element inside one of the same name).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<Key>` or `<Key attr…>`, not `<KeyCount>`.
        match after.chars().next() {
            Some('>') | Some(' ') | Some('\t') | Some('\n') | Some('\r') => {}
            Some('/') => {
                // `<Tag/>`: empty.
                out.push("");
                rest = after;
                continue;
            }
            _ => {
                rest = after;
                continue;
            }
        }
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    out
}

/// The unescaped text of the first `<tag>` in `xml`.
fn text(xml: &str, tag: &str) -> Option<String> {
    elements(xml, tag).first().map(|t| xml_unescape(t.trim()))
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub key: String,
    pub size: u64,
}

/// One page of a ListObjectsV2 answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<S3Object>,
    /// `CommonPrefixes` (with a delimiter): the "folders" one level down.
    pub prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_token: Option<String>,
}

/// Parses a ListObjectsV2 answer, or the S3 error it carries instead.
pub fn parse_list(xml: &str) -> Result<ListPage, S3Error> {
    if !xml.contains("<ListBucketResult") {
        return Err(S3Error::parse(0, xml).unwrap_or(S3Error {
            status: 0,
            code: "MalformedListing".into(),
            message: "the answer to the listing was not a ListObjectsV2 result".into(),
        }));
    }
    let objects = elements(xml, "Contents")
        .into_iter()
        .filter_map(|c| {
            Some(S3Object {
                key: text(c, "Key")?,
                size: text(c, "Size").and_then(|s| s.parse().ok()).unwrap_or(0),
            })
        })
        .collect();
    let prefixes = elements(xml, "CommonPrefixes")
        .into_iter()
        .filter_map(|c| text(c, "Prefix"))
        .collect();
    Ok(ListPage {
        objects,
        prefixes,
        is_truncated: text(xml, "IsTruncated").is_some_and(|t| t == "true"),
        next_token: text(xml, "NextContinuationToken").filter(|t| !t.is_empty()),
    })
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// An error answer from S3 (`<Error><Code>…</Code><Message>…</Message></Error>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    /// HTTP status (0 when unknown).
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl S3Error {
    /// Reads an S3 error body; `None` if it is not one.
    pub fn parse(status: u16, body: &str) -> Option<S3Error> {
        let error = elements(body, "Error").into_iter().next()?;
        Some(S3Error {
            status,
            code: text(error, "Code").unwrap_or_default(),
            message: text(error, "Message").unwrap_or_default(),
        })
    }
}

/// Why fetching one S3 object or listing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// S3 answered with an HTTP error status; `body` is what it said.
    Status { status: u16, body: String },
    /// The request failed without any answer: a CORS block, or the endpoint unreachable.
    NoResponse { detail: String },
    /// The answer started but stopped before its end.
    CutOff {
        received: u64,
        expected: Option<u64>,
    },
    /// The URL is not an http(s) URL.
    BadUrl,
}

impl FetchFailure {
    /// Whether trying again may help: network failures and 5xx (including 503 SlowDown);
    /// never a 4xx, which will fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchFailure::Status { status, .. } => *status >= 500,
            FetchFailure::NoResponse { .. } | FetchFailure::CutOff { .. } => true,
            FetchFailure::BadUrl => false,
        }
    }
}

/// The CORS configuration a log bucket needs so a page at `origin` may read it, as
/// `aws s3api put-bucket-cors --cors-configuration` takes it.
pub fn cors_rule(origin: &str) -> String {
    format!(
        concat!(
            r#"{{"CORSRules":[{{"AllowedOrigins":["{origin}"],"AllowedMethods":["GET","HEAD"],"#,
            r#""AllowedHeaders":["authorization","x-amz-date","x-amz-content-sha256","x-amz-security-token","range"],"#,
            r#""ExposeHeaders":["Content-Length","Content-Encoding","ETag"],"MaxAgeSeconds":3000}}]}}"#
        ),
        origin = origin.replace('"', "")
    )
}

/// A failure in words a user can act on. `page_origin` is this page's origin (for the CORS
/// rule), `tries` how many attempts were made.
pub fn explain(failure: &FetchFailure, page_origin: &str, tries: u32) -> String {
    match failure {
        FetchFailure::BadUrl => "not an http(s) URL".to_owned(),
        FetchFailure::NoResponse { detail } => format!(
            "the browser got no answer it may read ({detail}; {tries} tries). Most often the bucket has no CORS rule \
             allowing this page's origin {page_origin}: apply this rule to the bucket (aws s3api put-bucket-cors \
             --bucket BUCKET --cors-configuration '<rule>'): {}. Otherwise the endpoint is unreachable from this network.",
            cors_rule(page_origin)
        ),
        FetchFailure::CutOff { received, expected } => match expected {
            Some(total) => format!(
                "the download was cut off after {received} of {total} bytes ({tries} tries); the records before the cut may be missing too. Load it again, or download it with the aws CLI"
            ),
            None => format!(
                "the download was cut off after {received} bytes ({tries} tries); load it again, or download it with the aws CLI"
            ),
        },
        FetchFailure::Status { status, body } => {
            let err = S3Error::parse(*status, body);
            let code = err.as_ref().map_or("", |e| e.code.as_str());
            let message = err.as_ref().map_or("", |e| e.message.as_str());
            let said = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status} {code}: {message}")
            };
            let lower = message.to_ascii_lowercase();
            let advice = if message.contains("Request has expired") {
                "the presigned URL has expired. Make new URLs with a longer expiry (scripts/presign-urls.sh --expires) and paste them again".to_owned()
            } else if code == "ExpiredToken" || code == "TokenRefreshRequired" {
                "the temporary credentials (session token) have expired. Get new ones (aws sts get-session-token, aws configure export-credentials or SSO) and try again".to_owned()
            } else if code.starts_with("KMS.") || (code == "AccessDenied" && lower.contains("kms")) {
                "the object is encrypted with an AWS KMS key that the identity which signed may not use. Grant it kms:Decrypt on the trail's KMS key (key policy or IAM), then sign again".to_owned()
            } else if code == "SignatureDoesNotMatch" {
                "S3 rejected the signature: the URL was changed after it was signed (copy it whole, with no line breaks or missing characters), or the secret key or region is wrong".to_owned()
            } else if code == "InvalidAccessKeyId" {
                "the access key ID is unknown to this endpoint: check it, and that the session token belongs to it".to_owned()
            } else if code == "NoSuchKey" || (*status == 404 && code != "NoSuchBucket") {
                "the object does not exist: it was deleted or moved, or the key is misspelt".to_owned()
            } else if code == "NoSuchBucket" {
                "the bucket does not exist at this endpoint: check its name and region".to_owned()
            } else if code == "PermanentRedirect"
                || (code == "AuthorizationHeaderMalformed" && lower.contains("region")) {
                "the bucket is in another region: set the bucket's region and try again".to_owned()
            } else if code == "AccessDenied" || *status == 403 {
                "access denied: the identity that signed lacks s3:GetObject (or s3:ListBucket for listing) on this bucket and prefix, or a bucket policy refuses it".to_owned()
            } else if code == "SlowDown" || *status == 503 {
                format!("S3 asked to slow down and still refused after {tries} tries; load it again in a moment")
            } else if *status >= 500 {
                format!("S3 had an internal error and still failed after {tries} tries; load it again in a moment")
            } else {
                "S3 refused the request".to_owned()
            };
            format!("{advice} ({said})")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Where the bucket is
// ---------------------------------------------------------------------------------------

/// A bucket and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    /// A custom S3-compatible endpoint (`http://127.0.0.1:9000`); empty for AWS.
    pub endpoint: String,
}

/// Why a bucket form is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    MissingBucket,
    MissingRegion,
    BadEndpoint(String),
    BadDate(String),
    DatesReversed,
    MissingCredentials,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::MissingBucket => write!(f, "give the bucket's name"),
            FormError::MissingRegion => {
                write!(f, "give the bucket's region (for example us-east-1)")
            }
            FormError::BadEndpoint(e) => write!(
                f,
                "the endpoint {e:?} is not an http(s) URL such as https://s3.example.com"
            ),
            FormError::BadDate(d) => write!(f, "{d:?} is not a date (YYYY-MM-DD)"),
            FormError::DatesReversed => write!(f, "the start date is after the end date"),
            FormError::MissingCredentials => {
                write!(f, "give an access key ID and a secret access key")
            }
        }
    }
}

impl Bucket {
    /// Checks the form's bucket fields.
    pub fn new(name: &str, region: &str, endpoint: &str) -> Result<Bucket, FormError> {
        let name = name
            .trim()
            .trim_start_matches("s3://")
            .trim_end_matches('/');
        if name.is_empty() {
            return Err(FormError::MissingBucket);
        }
        let region = region.trim();
        if region.is_empty() {
            return Err(FormError::MissingRegion);
        }
        let endpoint = endpoint.trim().trim_end_matches('/');
        if !endpoint.is_empty() && split_url(endpoint).is_none() {
            return Err(FormError::BadEndpoint(endpoint.to_owned()));
        }
        Ok(Bucket {
            name: name.to_owned(),
            region: region.to_owned(),
            endpoint: endpoint.to_owned(),
        })
    }

    /// Origin (`scheme://host`), `Host` value, and the path prefix of keys. Custom
    /// endpoints and bucket names with dots use path-style addressing.
    fn base(&self) -> (String, String, String) {
        if let Some(parts) = split_url(&self.endpoint) {
            return (parts.origin, parts.host, format!("/{}", self.name));
        }
        if self.name.contains('.') {
            let host = format!("s3.{}.amazonaws.com", self.region);
            return (format!("https://{host}"), host, format!("/{}", self.name));
        }
        let host = format!("{}.s3.{}.amazonaws.com", self.name, self.region);
        (format!("https://{host}"), host, String::new())
    }

    /// The origin requests go to (for the CSP and the no-leak check).
    pub fn origin(&self) -> String {
        self.base().0
    }

    /// A signed GET: the URL to fetch and the headers to send with it.
    pub fn signed_get(
        &self,
        key: Option<&str>,
        query: Vec<(String, String)>,
        creds: &Credentials,
        unix_seconds: i64,
    ) -> (String, Vec<(String, String)>) {
        let (origin, host, prefix) = self.base();
        let path = match key {
            Some(k) => format!("{prefix}/{k}"),
            None if prefix.is_empty() => "/".to_owned(),
            None => prefix,
        };
        let canonical_query = sigv4::canonical_query(&query);
        let url = if canonical_query.is_empty() {
            format!("{origin}{}", sigv4::uri_encode(&path, true))
        } else {
            format!(
                "{origin}{}?{canonical_query}",
                sigv4::uri_encode(&path, true)
            )
        };
        let scope = Scope {
            amz_date: sigv4::amz_date(unix_seconds),
            region: self.region.clone(),
            service: "s3".into(),
        };
        let req = Request {
            method: "GET".into(),
            host,
            path,
            query,
            headers: vec![],
            payload_hash: sigv4::EMPTY_SHA256.into(),
        };
        (url, sigv4::sign_s3_headers(req, creds, &scope))
    }
}

// ---------------------------------------------------------------------------------------
// The lister
// ---------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_day(s: &str) -> Result<i64, FormError> {
    let bad = || FormError::BadDate(s.to_owned());
    let t = super::time::parse_event_time(&format!("{}T00:00:00Z", s.trim())).ok_or_else(bad)?;
    Ok(t.div_euclid(86_400))
}

fn day_path(day: i64) -> String {
    let (y, m, d) = super::time::civil_from_days(day);
    format!("{y:04}/{m:02}/{d:02}")
}

/// What to list: the trail's prefix, a date range (days since 1970, inclusive) and
/// optional account and region filters (empty: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPlan {
    /// The trail's key prefix before `AWSLogs/` ("" or ending in `/`).
    pub prefix: String,
    pub from_day: i64,
    pub to_day: i64,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

impl ListPlan {
    /// Builds a plan from the form's text fields (filters separated by commas or spaces).
    pub fn new(
        prefix: &str,
        from: &str,
        to: &str,
        accounts: &str,
        regions: &str,
    ) -> Result<ListPlan, FormError> {
        let from_day = parse_day(from)?;
        let to_day = parse_day(to)?;
        if from_day > to_day {
            return Err(FormError::DatesReversed);
        }
        let mut prefix = prefix.trim().trim_start_matches('/').to_owned();
        // Accept a prefix pasted with AWSLogs/ at its end.
        if let Some(p) = prefix
            .strip_suffix("AWSLogs/")
            .or(prefix.strip_suffix("AWSLogs"))
        {
            prefix = p.to_owned();
        }
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let list = |s: &str| -> Vec<String> {
            s.split([',', ' ', '\n', '\t'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(ListPlan {
            prefix,
            from_day,
            to_day,
            accounts: list(accounts),
            regions: list(regions),
        })
    }
}

/// What one ListObjectsV2 call is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    /// `AWSLogs/`: accounts and organisation IDs.
    Root,
    /// `AWSLogs/o-…/`: accounts of an organisation trail.
    Org,
    /// `…/<account>/CloudTrail/`: regions.
    Account,
    /// `…/<region>/`: log files, from the first day to the last.
    Region,
}

/// One ListObjectsV2 call to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCall {
    level: Level,
    pub prefix: String,
    start_after: Option<String>,
    /// Keys at or past this are after the date range.
    end_before: Option<String>,
    pub continuation: Option<String>,
}

impl ListCall {
    /// The ListObjectsV2 query parameters.
    pub fn query(&self) -> Vec<(String, String)> {
        let mut q = vec![
            ("list-type".to_owned(), "2".to_owned()),
            ("prefix".to_owned(), self.prefix.clone()),
        ];
        if self.level != Level::Region {
            q.push(("delimiter".to_owned(), "/".to_owned()));
        }
        if let Some(token) = &self.continuation {
            q.push(("continuation-token".to_owned(), token.clone()));
        } else if let Some(after) = &self.start_after {
            q.push(("start-after".to_owned(), after.clone()));
        }
        q
    }
}

/// Walks a trail's layout call by call: the caller signs and sends [`Lister::next_call`],
/// and feeds the parsed page back with [`Lister::on_page`], until no call is left.
#[derive(Debug, Clone)]
pub struct Lister {
    plan: ListPlan,
    queue: std::collections::VecDeque<ListCall>,
    /// Log files found, in listing order.
    pub found: Vec<S3Object>,
    /// How many ListObjectsV2 calls were answered.
    pub calls: u32,
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The last path segment of a common prefix (`a/b/c/` → `c`).
fn last_segment(prefix: &str) -> &str {
    prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
}

impl Lister {
    /// Starts at the trail's `AWSLogs/`.
    pub fn new(plan: ListPlan) -> Lister {
        let root = ListCall {
            level: Level::Root,
            prefix: format!("{}AWSLogs/", plan.prefix),
            start_after: None,
            end_before: None,
            continuation: None,
        };
        Lister {
            plan,
            queue: [root].into_iter().collect(),
            found: Vec::new(),
            calls: 0,
        }
    }

    /// The next call to make, if any.
    pub fn next_call(&self) -> Option<&ListCall> {
        self.queue.front()
    }

    /// Total bytes of the files found.
    pub fn total_size(&self) -> u64 {
        self.found.iter().map(|o| o.size).sum()
    }

    fn account_wanted(&self, id: &str) -> bool {
        self.plan.accounts.is_empty() || self.plan.accounts.iter().any(|a| a == id)
    }

    fn region_wanted(&self, r: &str) -> bool {
        self.plan.regions.is_empty() || self.plan.regions.iter().any(|x| x == r)
    }

    fn account_call(prefix: &str) -> ListCall {
        ListCall {
            level: Level::Account,
            prefix: format!("{prefix}CloudTrail/"),
            start_after: None,
            end_before: None,
            continuation: None,
        }
    }

    /// Takes the answer to the call [`Lister::next_call`] returned; queues the next page
    /// of the same call (continuation token) and the calls one level down.
    pub fn on_page(&mut self, page: ListPage) {
        let Some(mut call) = self.queue.pop_front() else {
            return;
        };
        self.calls += 1;
        let mut past_end = false;
        match call.level {
            Level::Root | Level::Org => {
                for p in &page.prefixes {
                    let seg = last_segment(p);
                    if call.level == Level::Root && seg.starts_with("o-") {
                        self.queue.push_back(ListCall {
                            level: Level::Org,
                            prefix: p.clone(),
                            start_after: None,
                            end_before: None,
                            continuation: None,
                        });
                    } else if is_account_id(seg) && self.account_wanted(seg) {
                        self.queue.push_back(Self::account_call(p));
                    }
                }
            }
            Level::Account => {
                for p in &page.prefixes {
                    if self.region_wanted(last_segment(p)) {
                        self.queue.push_back(ListCall {
                            level: Level::Region,
                            prefix: p.clone(),
                            start_after: Some(format!("{p}{}", day_path(self.plan.from_day))),
                            end_before: Some(format!("{p}{}0", day_path(self.plan.to_day))),
                            continuation: None,
                        });
                    }
                }
            }
            Level::Region => {
                let start = call.start_after.clone().unwrap_or_default();
                let end = call.end_before.clone().unwrap_or_default();
                for o in page.objects {
                    if o.key >= end {
                        past_end = true;
                    } else if o.key > start && !o.key.ends_with('/') {
                        self.found.push(o);
                    }
                }
            }
        }
        if page.is_truncated && !past_end {
            if let Some(token) = page.next_token {
                call.continuation = Some(token);
                self.queue.push_front(call);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_lists_tolerate_quotes_whitespace_and_json() {
        let text = "  https://b.s3.amazonaws.com/a.json.gz?X-Amz-Signature=1 \n\n\t\"https://b.s3.amazonaws.com/b.json.gz?x=1\",\n'http://127.0.0.1:9/bk/c.json'\n[\"https://h/d\"]\nnot a url\nhttps://b.s3.amazonaws.com/a.json.gz?X-Amz-Signature=1\r\n";
        assert_eq!(
            parse_url_list(text),
            vec![
                "https://b.s3.amazonaws.com/a.json.gz?X-Amz-Signature=1",
                "https://b.s3.amazonaws.com/b.json.gz?x=1",
                "http://127.0.0.1:9/bk/c.json",
                "https://h/d",
            ]
        );
        assert!(parse_url_list("").is_empty());
        assert!(parse_url_list("ftp://x/y file:///etc/passwd").is_empty());
    }

    #[test]
    fn object_keys_from_virtual_hosted_and_path_style_urls() {
        assert_eq!(
            object_key("https://logs.s3.eu-west-1.amazonaws.com/AWSLogs/1/CloudTrail/x%20y.json.gz?X-Amz-Date=1"),
            "AWSLogs/1/CloudTrail/x y.json.gz"
        );
        assert_eq!(
            object_key("https://s3.eu-west-1.amazonaws.com/my.logs/AWSLogs/a.json.gz?q"),
            "AWSLogs/a.json.gz"
        );
        assert_eq!(
            object_key("http://127.0.0.1:5000/trail/AWSLogs/o-1/a.json.gz"),
            "AWSLogs/o-1/a.json.gz"
        );
        assert_eq!(object_key("nonsense"), "nonsense");
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn xml_entities_are_unescaped() {
        assert_eq!(
            xml_unescape("a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#38; &#x41; & &bogus;"),
            "a&b <c> \"d\" 'e' & A & &bogus;"
        );
    }

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>AWSLogs/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
<Contents><Key>AWSLogs/a&amp;b.json</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>123</Size></Contents>
<Contents><Key>AWSLogs/c.json</Key><Size>7</Size></Contents>
<CommonPrefixes><Prefix>AWSLogs/111122223333/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>AWSLogs/o-abc123/</Prefix></CommonPrefixes>
<NextContinuationToken>1/x+y==&amp;</NextContinuationToken></ListBucketResult>"#;

    #[test]
    fn list_pages_parse() {
        let page = parse_list(PAGE).unwrap();
        assert_eq!(
            page.objects,
            vec![
                S3Object {
                    key: "AWSLogs/a&b.json".into(),
                    size: 123
                },
                S3Object {
                    key: "AWSLogs/c.json".into(),
                    size: 7
                },
            ]
        );
        assert_eq!(
            page.prefixes,
            vec!["AWSLogs/111122223333/", "AWSLogs/o-abc123/"]
        );
        assert!(page.is_truncated);
        assert_eq!(page.next_token.as_deref(), Some("1/x+y==&"));
        let last = parse_list("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>").unwrap();
        assert_eq!(last, ListPage::default());
        let err =
            parse_list("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
                .unwrap_err();
        assert_eq!(err.code, "AccessDenied");
        assert!(parse_list("<html>oops</html>").is_err());
    }

    fn status(code: u16, body: &str) -> FetchFailure {
        FetchFailure::Status {
            status: code,
            body: body.into(),
        }
    }

    fn err(code: &str, msg: &str) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{msg}</Message><RequestId>R</RequestId></Error>")
    }

    #[test]
    fn failures_are_explained() {
        let o = "https://tools.example.com";
        let expired = explain(
            &status(403, &err("AccessDenied", "Request has expired")),
            o,
            1,
        );
        assert!(
            expired.starts_with("the presigned URL has expired"),
            "{expired}"
        );
        let sig = explain(&status(403, &err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")), o, 1);
        assert!(sig.starts_with("S3 rejected the signature"), "{sig}");
        let missing = explain(
            &status(404, &err("NoSuchKey", "The specified key does not exist.")),
            o,
            1,
        );
        assert!(
            missing.starts_with("the object does not exist"),
            "{missing}"
        );
        assert!(explain(&status(404, ""), o, 1).starts_with("the object does not exist"));
        let kms = explain(&status(403, &err("AccessDenied", "User: arn:aws:sts::1:assumed-role/r is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext")), o, 1);
        assert!(kms.contains("kms:Decrypt on the trail's KMS key"), "{kms}");
        let kms2 = explain(
            &status(400, &err("KMS.DisabledException", "arn is disabled.")),
            o,
            1,
        );
        assert!(kms2.contains("KMS key"), "{kms2}");
        let denied = explain(&status(403, &err("AccessDenied", "Access Denied")), o, 1);
        assert!(denied.starts_with("access denied"), "{denied}");
        let token = explain(
            &status(400, &err("ExpiredToken", "The provided token has expired.")),
            o,
            1,
        );
        assert!(token.contains("temporary credentials"), "{token}");
        let slow = explain(
            &status(503, &err("SlowDown", "Please reduce your request rate.")),
            o,
            4,
        );
        assert!(slow.contains("after 4 tries"), "{slow}");
        let cut = explain(
            &FetchFailure::CutOff {
                received: 100,
                expected: Some(250),
            },
            o,
            3,
        );
        assert!(
            cut.starts_with("the download was cut off after 100 of 250 bytes"),
            "{cut}"
        );
        let cors = explain(
            &FetchFailure::NoResponse {
                detail: "Failed to fetch".into(),
            },
            o,
            3,
        );
        assert!(cors.contains("CORS rule"), "{cors}");
        assert!(cors.contains(&cors_rule(o)), "{cors}");
        assert!(cors_rule(o).contains(r#""AllowedOrigins":["https://tools.example.com"]"#));
        let rule: serde_json::Value = serde_json::from_str(&cors_rule(o)).unwrap();
        assert_eq!(rule["CORSRules"][0]["AllowedMethods"][0], "GET");
    }

    #[test]
    fn retries_only_network_failures_and_5xx() {
        assert!(status(503, &err("SlowDown", "")).is_retryable());
        assert!(status(500, "").is_retryable());
        assert!(FetchFailure::NoResponse {
            detail: String::new()
        }
        .is_retryable());
        assert!(FetchFailure::CutOff {
            received: 1,
            expected: None
        }
        .is_retryable());
        for code in [400, 403, 404, 409] {
            assert!(!status(code, "").is_retryable(), "{code}");
        }
    }

    #[test]
    fn buckets_are_addressed_virtual_hosted_or_path_style() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("tok".into()),
        };
        let b = Bucket::new(" s3://logs/ ", "eu-west-1", "").unwrap();
        assert_eq!(b.origin(), "https://logs.s3.eu-west-1.amazonaws.com");
        let (url, headers) = b.signed_get(
            None,
            vec![
                ("prefix".into(), "AWSLogs/".into()),
                ("list-type".into(), "2".into()),
            ],
            &creds,
            0,
        );
        assert_eq!(
            url,
            "https://logs.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=AWSLogs%2F"
        );
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "x-amz-date",
                "x-amz-content-sha256",
                "x-amz-security-token",
                "authorization"
            ]
        );
        // The secret never appears in what is sent.
        assert!(!headers.iter().any(|(_, v)| v.contains("EXAMPLEKEY")));
        let dotted = Bucket::new("my.logs", "us-east-1", "").unwrap();
        let (url, _) = dotted.signed_get(Some("AWSLogs/a b.json"), vec![], &creds, 0);
        assert_eq!(
            url,
            "https://s3.us-east-1.amazonaws.com/my.logs/AWSLogs/a%20b.json"
        );
        let local = Bucket::new("trail", "us-east-1", "http://127.0.0.1:5000/").unwrap();
        let (url, _) = local.signed_get(Some("k.json"), vec![], &creds, 0);
        assert_eq!(url, "http://127.0.0.1:5000/trail/k.json");
        assert_eq!(Bucket::new("", "r", ""), Err(FormError::MissingBucket));
        assert_eq!(Bucket::new("b", " ", ""), Err(FormError::MissingRegion));
        assert!(matches!(
            Bucket::new("b", "r", "ftp://x"),
            Err(FormError::BadEndpoint(_))
        ));
    }

    #[test]
    fn plans_check_their_dates() {
        assert_eq!(
            ListPlan::new("", "2026-01-02", "2026-01-01", "", ""),
            Err(FormError::DatesReversed)
        );
        assert!(matches!(
            ListPlan::new("", "yesterday", "2026-01-01", "", ""),
            Err(FormError::BadDate(_))
        ));
        let p = ListPlan::new(
            "/trails/AWSLogs/",
            "2026-01-01",
            "2026-01-01",
            "111122223333, 444455556666",
            "us-east-1",
        )
        .unwrap();
        assert_eq!(p.prefix, "trails/");
        assert_eq!(p.accounts, vec!["111122223333", "444455556666"]);
    }

    /// A fake bucket answering ListObjectsV2 as S3 does (prefix, delimiter, start-after,
    /// continuation), `page` keys at a time.
    fn answer(keys: &[String], call: &ListCall, page: usize) -> ListPage {
        let q: std::collections::HashMap<String, String> = call.query().into_iter().collect();
        let prefix = &q["prefix"];
        let delimited = q.contains_key("delimiter");
        let after = q
            .get("continuation-token")
            .or(q.get("start-after"))
            .cloned()
            .unwrap_or_default();
        let mut entries: Vec<(String, bool)> = Vec::new();
        for k in keys.iter().filter(|k| k.starts_with(prefix.as_str())) {
            let rest = &k[prefix.len()..];
            match rest.find('/') {
                Some(i) if delimited => {
                    let p = format!("{prefix}{}", &rest[..=i]);
                    if entries.last().map(|e| &e.0) != Some(&p) {
                        entries.push((p, true));
                    }
                }
                _ => entries.push((k.clone(), false)),
            }
        }
        let rest: Vec<_> = entries.into_iter().filter(|(k, _)| *k > after).collect();
        let shown = &rest[..rest.len().min(page)];
        ListPage {
            objects: shown
                .iter()
                .filter(|e| !e.1)
                .map(|e| S3Object {
                    key: e.0.clone(),
                    size: 10,
                })
                .collect(),
            prefixes: shown.iter().filter(|e| e.1).map(|e| e.0.clone()).collect(),
            is_truncated: rest.len() > page,
            next_token: (rest.len() > page)
                .then(|| shown.last().map(|e| e.0.clone()).unwrap_or_default()),
        }
    }

    fn bucket_keys() -> Vec<String> {
        let mut keys = Vec::new();
        let days = ["2026/02/28", "2026/03/01", "2026/03/02", "2026/03/03"];
        for (base, acct) in [
            ("AWSLogs/111122223333", "111122223333"),
            ("AWSLogs/444455556666", "444455556666"),
            ("AWSLogs/o-aa11bb22cc/777788889999", "777788889999"),
        ] {
            for region in ["us-east-1", "eu-west-1"] {
                for day in days {
                    for n in 0..7 {
                        keys.push(format!("{base}/CloudTrail/{region}/{day}/{acct}_CloudTrail_{region}_{}T0000Z_{n}.json.gz", day.replace('/', "")));
                    }
                }
            }
            keys.push(format!(
                "{base}/CloudTrail-Digest/us-east-1/2026/03/01/d.json.gz"
            ));
        }
        keys.push("AWSLogs/not-an-account/CloudTrail/us-east-1/2026/03/01/x.json.gz".into());
        keys.sort();
        keys
    }

    fn run(plan: ListPlan, page: usize) -> Lister {
        let keys = bucket_keys();
        let mut lister = Lister::new(plan);
        let mut guard = 0;
        while let Some(call) = lister.next_call().cloned() {
            lister.on_page(answer(&keys, &call, page));
            guard += 1;
            assert!(guard < 10_000, "the lister does not finish");
        }
        lister
    }

    #[test]
    fn the_lister_walks_every_page_of_every_account_and_region() {
        let plan = ListPlan::new("", "2026-03-01", "2026-03-02", "", "").unwrap();
        // A page of 3 entries forces continuation tokens at every level.
        let small = run(plan.clone(), 3);
        let expected: Vec<String> = bucket_keys()
            .into_iter()
            .filter(|k| {
                k.contains("/CloudTrail/")
                    && (k.contains("/2026/03/01/") || k.contains("/2026/03/02/"))
                    && !k.contains("not-an-account")
            })
            .collect();
        let mut got: Vec<String> = small.found.iter().map(|o| o.key.clone()).collect();
        got.sort();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 3 * 2 * 2 * 7);
        assert!(small.calls > 20);
        assert_eq!(small.total_size(), 10 * got.len() as u64);
        let big = run(plan, 1000);
        assert_eq!(big.found.len(), got.len());
    }

    #[test]
    fn the_lister_filters_accounts_and_regions() {
        let plan =
            ListPlan::new("", "2026-02-28", "2026-03-03", "777788889999", "eu-west-1").unwrap();
        let l = run(plan, 5);
        assert_eq!(l.found.len(), 4 * 7);
        assert!(l.found.iter().all(|o| o
            .key
            .starts_with("AWSLogs/o-aa11bb22cc/777788889999/CloudTrail/eu-west-1/")));
    }
}
