//! AWS Signature Version 4, so the bucket browser can call S3 with the user's temporary
//! credentials straight from the page: no SDK, no server of ours. Pure functions over
//! strings (canonical request, string to sign, signing key, `Authorization` header and
//! presigned query), tested against AWS's published test-suite vectors.

use sha2::{Digest, Sha256};

/// SHA-256 of the empty payload, which every GET signs.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload hash S3 accepts when the body is not hashed (presigned URLs).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Temporary or long-term AWS credentials; kept only in memory by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The secret and token must never reach a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<hidden>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

/// What is signed: the request as sent, with a raw (not yet encoded) path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The `Host` header value (with `:port` when not the scheme's default).
    pub host: String,
    /// The path as the server sees it, decoded (`/my key.json`); encoded once when signed.
    pub path: String,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Extra headers to sign besides `host` (for example `x-amz-date`).
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: String,
}

/// Where and for what a signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    pub region: String,
    pub service: String,
}

impl Scope {
    /// `YYYYMMDD/region/service/aws4_request`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date(),
            self.region,
            self.service
        )
    }

    fn date(&self) -> &str {
        self.amz_date.get(..8).unwrap_or(&self.amz_date)
    }
}

/// Formats Unix seconds as SigV4's `YYYYMMDDTHHMMSSZ`.
pub fn amz_date(unix_seconds: i64) -> String {
    let (y, m, d) = super::time::civil_from_days(unix_seconds.div_euclid(86_400));
    let s = unix_seconds.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Percent-encodes every byte but the unreserved `A-Z a-z 0-9 - _ . ~` (and `/` when
/// `keep_slash`), as SigV4 requires: upper-case hex, spaces as `%20`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query string: each name and value encoded, sorted by name then value.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Header names lower-cased, values trimmed with inner runs of spaces collapsed, sorted;
/// repeated names joined with commas.
fn canonical_headers(req: &Request) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = std::iter::once(("host".to_owned(), req.host.clone()))
        .chain(
            req.headers
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        v.split_whitespace().collect::<Vec<_>>().join(" "),
                    )
                }),
        )
        .collect();
    // A stable sort keeps the order of repeated headers, whose values are then joined.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<(String, String)> = Vec::new();
    for (k, v) in all {
        match merged.last_mut() {
            Some((last, value)) if *last == k => {
                value.push(',');
                value.push_str(&v);
            }
            _ => merged.push((k, v)),
        }
    }
    merged
}

/// `host;x-amz-date;…`: the names of the signed headers.
pub fn signed_headers(req: &Request) -> String {
    canonical_headers(req)
        .into_iter()
        .map(|(k, _)| k)
        .collect::<Vec<_>>()
        .join(";")
}

/// The canonical request (task 1 of the SigV4 process).
pub fn canonical_request(req: &Request) -> String {
    let path = if req.path.is_empty() { "/" } else { &req.path };
    let headers: String = canonical_headers(req)
        .iter()
        .map(|(k, v)| format!("{k}:{v}\n"))
        .collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(path, true),
        canonical_query(&req.query),
        headers,
        signed_headers(req),
        req.payload_hash
    )
}

/// Lower-case hex of SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 (RFC 2104) over the `sha2` hash: the only primitive SigV4 needs.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The string to sign (task 2).
pub fn string_to_sign(scope: &Scope, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        scope.amz_date,
        scope.credential_scope(),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The signing key (task 3): HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, scope: &Scope) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), scope.date().as_bytes());
    let k_region = hmac_sha256(&k_date, scope.region.as_bytes());
    let k_service = hmac_sha256(&k_region, scope.service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The hex signature of a request.
pub fn signature(req: &Request, creds: &Credentials, scope: &Scope) -> String {
    let sts = string_to_sign(scope, &canonical_request(req));
    hex(&hmac_sha256(
        &signing_key(&creds.secret_access_key, scope),
        sts.as_bytes(),
    ))
}

/// The `Authorization` header value for a request whose headers already carry
/// `x-amz-date` (and whatever else is to be signed).
pub fn authorization(req: &Request, creds: &Credentials, scope: &Scope) -> String {
    format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
        creds.access_key_id,
        scope.credential_scope(),
        signed_headers(req),
        signature(req, creds, scope)
    )
}

/// Signs an S3 request with headers: adds `x-amz-date`, `x-amz-content-sha256`, the
/// session token if any, and returns the headers to send (besides `host`, which the
/// browser sets) including `authorization`.
pub fn sign_s3_headers(
    mut req: Request,
    creds: &Credentials,
    scope: &Scope,
) -> Vec<(String, String)> {
    req.headers
        .push(("x-amz-date".to_owned(), scope.amz_date.clone()));
    req.headers
        .push(("x-amz-content-sha256".to_owned(), req.payload_hash.clone()));
    if let Some(token) = &creds.session_token {
        req.headers
            .push(("x-amz-security-token".to_owned(), token.clone()));
    }
    let auth = authorization(&req, creds, scope);
    let mut out = req.headers;
    out.push(("authorization".to_owned(), auth));
    out
}

/// The query string of a presigned URL (`X-Amz-Algorithm=…&X-Amz-Signature=…`), valid
/// for `expires_seconds`; only `host` is signed and the payload is unsigned, as S3 does.
pub fn presign_query(
    mut req: Request,
    creds: &Credentials,
    scope: &Scope,
    expires_seconds: u32,
) -> String {
    req.payload_hash = UNSIGNED_PAYLOAD.to_owned();
    let credential = format!("{}/{}", creds.access_key_id, scope.credential_scope());
    req.query.extend([
        ("X-Amz-Algorithm".to_owned(), ALGORITHM.to_owned()),
        ("X-Amz-Credential".to_owned(), credential),
        ("X-Amz-Date".to_owned(), scope.amz_date.clone()),
        ("X-Amz-Expires".to_owned(), expires_seconds.to_string()),
        ("X-Amz-SignedHeaders".to_owned(), signed_headers(&req)),
    ]);
    if let Some(token) = &creds.session_token {
        req.query
            .push(("X-Amz-Security-Token".to_owned(), token.clone()));
    }
    let sig = signature(&req, creds, scope);
    format!("{}&X-Amz-Signature={sig}", canonical_query(&req.query))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The AWS SigV4 test suite: credentials, date, region and service of every case.
    fn suite_creds() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn suite_scope() -> Scope {
        Scope {
            amz_date: "20150830T123600Z".into(),
            region: "us-east-1".into(),
            service: "service".into(),
        }
    }

    fn suite_request(method: &str, path: &str, query: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            host: "example.amazonaws.com".into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            headers: vec![("X-Amz-Date".into(), "20150830T123600Z".into())],
            payload_hash: EMPTY_SHA256.into(),
        }
    }

    fn suite_authz(signed: &str, sig: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={sig}")
    }

    #[test]
    fn get_vanilla() {
        let req = suite_request("GET", "/", &[]);
        assert_eq!(
            canonical_request(&req),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&suite_scope(), &canonical_request(&req)),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
    }

    #[test]
    fn get_vanilla_query_order_key_case() {
        let req = suite_request("GET", "/", &[("Param2", "value2"), ("Param1", "value1")]);
        assert_eq!(
            canonical_request(&req),
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&suite_scope(), &canonical_request(&req)),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        );
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            )
        );
    }

    #[test]
    fn get_unreserved() {
        let path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let req = suite_request("GET", path, &[]);
        assert!(canonical_request(&req).starts_with(&format!("GET\n{path}\n\n")));
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;x-amz-date",
                "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
            )
        );
    }

    #[test]
    fn get_utf8() {
        let req = suite_request("GET", "/\u{1234}", &[]);
        assert!(canonical_request(&req).starts_with("GET\n/%E1%88%B4\n\n"));
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;x-amz-date",
                "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
            )
        );
    }

    #[test]
    fn post_x_www_form_urlencoded() {
        let mut req = suite_request("POST", "/", &[]);
        req.headers.insert(
            0,
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        );
        req.payload_hash = sha256_hex(b"Param1=value1");
        assert_eq!(
            req.payload_hash,
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        );
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "content-type;host;x-amz-date",
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
            )
        );
    }

    #[test]
    fn post_vanilla_and_header_value_trim() {
        let req = suite_request("POST", "/", &[]);
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;x-amz-date",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
            )
        );
        let mut req = suite_request("GET", "/", &[]);
        req.headers.push(("My-Header1".into(), " value1".into()));
        req.headers
            .push(("My-Header2".into(), "\"a   b   c\"".into()));
        assert_eq!(
            authorization(&req, &suite_creds(), &suite_scope()),
            suite_authz(
                "host;my-header1;my-header2;x-amz-date",
                "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
            )
        );
    }

    // The examples on the S3 "Signature Version 4" pages use these credentials.
    fn s3_creds() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn s3_scope() -> Scope {
        Scope {
            amz_date: "20130524T000000Z".into(),
            region: "us-east-1".into(),
            service: "s3".into(),
        }
    }

    #[test]
    fn s3_presigned_url_example() {
        let req = Request {
            method: "GET".into(),
            host: "examplebucket.s3.amazonaws.com".into(),
            path: "/test.txt".into(),
            query: vec![],
            headers: vec![],
            payload_hash: String::new(),
        };
        let q = presign_query(req, &s3_creds(), &s3_scope(), 86_400);
        assert_eq!(
            q,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn s3_list_objects_header_example() {
        // GET Bucket (List Objects) example from the S3 header-signing page.
        let req = Request {
            method: "GET".into(),
            host: "examplebucket.s3.amazonaws.com".into(),
            path: "/".into(),
            query: vec![
                ("max-keys".into(), "2".into()),
                ("prefix".into(), "J".into()),
            ],
            headers: vec![],
            payload_hash: EMPTY_SHA256.into(),
        };
        let headers = sign_s3_headers(req, &s3_creds(), &s3_scope());
        let auth = &headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn session_token_is_signed_and_sent() {
        let mut creds = s3_creds();
        creds.session_token = Some("TOKEN/with+chars".into());
        let req = Request {
            method: "GET".into(),
            host: "b.s3.amazonaws.com".into(),
            path: "/".into(),
            query: vec![],
            headers: vec![],
            payload_hash: EMPTY_SHA256.into(),
        };
        let headers = sign_s3_headers(req, &creds, &s3_scope());
        assert!(headers
            .iter()
            .any(|(k, v)| k == "x-amz-security-token" && v == "TOKEN/with+chars"));
        let auth = &headers.last().map(|(_, v)| v.clone()).unwrap_or_default();
        assert!(auth
            .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"));
        assert!(!format!("{creds:?}").contains("TOKEN"));
        assert!(!format!("{creds:?}").contains("EXAMPLEKEY"));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (RFC 4231 case 6).
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn amz_date_formats_unix_seconds() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
    }
}
