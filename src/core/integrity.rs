//! Log-file integrity from CloudTrail digest files: each log file's SHA-256 (over its
//! uncompressed bytes) against the digest that lists it, the chain of digests through
//! `previousDigestHashValue`, and coverage (listed but not loaded, loaded but not listed,
//! hours with no digest); and, when the user supplies the trail's public keys and the
//! digests' signatures (CloudTrail keeps those in the digest objects' S3 metadata, which
//! files copied to disk do not carry), each digest's SHA256withRSA signature and the chain
//! of signatures through `previousDigestSignature`, exactly as `aws cloudtrail
//! validate-logs` checks them.

use crate::rsa::{base64_decode, hex_decode, keys_from_pem, RsaPublicKey};
use crate::time::{format_time, parse_event_time};
use serde::{Deserialize, Deserializer};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One log file as a digest lists it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct ListedFile {
    pub s3_object: String,
    pub hash_value: String,
    pub hash_algorithm: String,
}

/// The parts of a digest file that verification uses.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct DigestFile {
    pub aws_account_id: String,
    pub digest_start_time: String,
    pub digest_end_time: String,
    pub digest_s3_object: String,
    pub digest_s3_bucket: String,
    pub digest_public_key_fingerprint: String,
    pub digest_signature_algorithm: String,
    pub previous_digest_s3_object: Option<String>,
    pub previous_digest_hash_value: Option<String>,
    /// Absent: `None`; JSON `null` (the first digest of a chain): `Some(None)`.
    #[serde(deserialize_with = "present")]
    pub previous_digest_signature: Option<Option<String>>,
    pub log_files: Vec<ListedFile>,
}

/// Tells a field that is present but `null` from one that is absent (absent: the default).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl DigestFile {
    /// Parses a digest's JSON (uncompressed).
    pub fn parse(json: &[u8]) -> Result<DigestFile, String> {
        serde_json::from_slice(json).map_err(|e| format!("not a readable digest file: {e}"))
    }
}

/// A loaded file, as the checker sees it: its path and the SHA-256 of its uncompressed bytes.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: String,
    pub sha256: String,
    /// The uncompressed bytes, when the file is a digest.
    pub digest: Option<DigestFile>,
}

/// What is known about one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Loaded, listed, and the hash matches.
    Verified,
    /// Loaded and listed, but the hash differs: the file is not what CloudTrail wrote.
    Mismatched,
    /// Listed in a digest but not loaded.
    Missing,
    /// Loaded but listed in no loaded digest.
    Unlisted,
}

impl Status {
    /// The value of `data-status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Mismatched => "mismatched",
            Status::Missing => "missing",
            Status::Unlisted => "unlisted",
        }
    }
}

/// One row of the integrity report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The file's name (the last part of its S3 key or path).
    pub name: String,
    /// The loaded path, when loaded.
    pub path: Option<String>,
    pub status: Status,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    pub digests: usize,
    pub files: Vec<FileCheck>,
    /// Broken links in the digest chain, in words.
    pub chain_breaks: Vec<String>,
    /// Periods with no digest, in words.
    pub gaps: Vec<String>,
}

impl IntegrityReport {
    /// How many files have each status.
    pub fn count(&self, status: Status) -> usize {
        self.files.iter().filter(|f| f.status == status).count()
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `AWSLogs/<acct>/CloudTrail-Digest/<region>/...` → (account, region) of a digest.
fn digest_stream(d: &DigestFile) -> (String, String) {
    let parts: Vec<&str> = d.digest_s3_object.split('/').collect();
    let region = parts
        .iter()
        .position(|p| *p == "CloudTrail-Digest")
        .and_then(|i| parts.get(i + 1))
        .copied()
        .unwrap_or("");
    (d.aws_account_id.clone(), region.to_owned())
}

/// The loaded digests grouped per (account, region) stream, streams in order, each in
/// time order.
type Chain<'a> = Vec<(&'a LoadedFile, &'a DigestFile)>;

fn chains(files: &[LoadedFile]) -> Vec<((String, String), Chain<'_>)> {
    let mut streams: HashMap<(String, String), Chain<'_>> = HashMap::new();
    for f in files {
        if let Some(d) = &f.digest {
            streams.entry(digest_stream(d)).or_default().push((f, d));
        }
    }
    let mut out: Vec<_> = streams.into_iter().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, chain) in &mut out {
        chain.sort_by_key(|(_, d)| parse_event_time(&d.digest_end_time).unwrap_or(i64::MIN));
    }
    out
}

/// Verifies the loaded log files against the loaded digests. `files` holds every loaded
/// file; those with `digest` set are digests, the others log files.
pub fn verify(files: &[LoadedFile]) -> IntegrityReport {
    let mut report = IntegrityReport::default();
    let digests: Vec<(&LoadedFile, &DigestFile)> = files
        .iter()
        .filter_map(|f| f.digest.as_ref().map(|d| (f, d)))
        .collect();
    report.digests = digests.len();
    let logs: HashMap<&str, &LoadedFile> = files
        .iter()
        .filter(|f| f.digest.is_none())
        .map(|f| (file_name(&f.path), f))
        .collect();
    let mut listed: HashMap<String, String> = HashMap::new();
    for (_, d) in &digests {
        for l in &d.log_files {
            listed.insert(
                file_name(&l.s3_object).to_owned(),
                l.hash_value.to_lowercase(),
            );
        }
    }
    let mut names: Vec<&String> = listed.keys().collect();
    names.sort();
    for name in names {
        let want = &listed[name];
        let check = match logs.get(name.as_str()) {
            Some(f) if f.sha256 == *want => FileCheck {
                name: name.clone(),
                path: Some(f.path.clone()),
                status: Status::Verified,
            },
            Some(f) => FileCheck {
                name: name.clone(),
                path: Some(f.path.clone()),
                status: Status::Mismatched,
            },
            None => FileCheck {
                name: name.clone(),
                path: None,
                status: Status::Missing,
            },
        };
        report.files.push(check);
    }
    let mut unlisted: Vec<&&LoadedFile> = logs
        .iter()
        .filter(|(name, _)| !listed.contains_key(**name))
        .map(|(_, f)| f)
        .collect();
    unlisted.sort_by(|a, b| a.path.cmp(&b.path));
    for f in unlisted {
        report.files.push(FileCheck {
            name: file_name(&f.path).to_owned(),
            path: Some(f.path.clone()),
            status: Status::Unlisted,
        });
    }

    // Chain and gaps, per account and region, in time order.
    for (key, chain) in chains(files) {
        for pair in chain.windows(2) {
            let ((prev_file, prev), (_, next)) = (pair[0], pair[1]);
            if let Some(want) = &next.previous_digest_hash_value {
                if want.to_lowercase() != prev_file.sha256 {
                    report.chain_breaks.push(format!(
                        "{}: its previousDigestHashValue does not match the digest before it ({})",
                        file_name(&next.digest_s3_object),
                        file_name(&prev.digest_s3_object)
                    ));
                }
            }
            let (end, start) = (
                parse_event_time(&prev.digest_end_time),
                parse_event_time(&next.digest_start_time),
            );
            if let (Some(end), Some(start)) = (end, start) {
                if start > end {
                    report.gaps.push(format!(
                        "{} {}: no digest from {} to {}",
                        key.0,
                        key.1,
                        format_time(end),
                        format_time(start)
                    ));
                }
            }
        }
    }
    report
}

/// The only signature algorithm CloudTrail uses for digests.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";

/// A trail public key as the user supplied it.
#[derive(Debug, Clone)]
pub struct TrailKey {
    pub key: RsaPublicKey,
    /// From `list-public-keys`; `None` for a PEM key, which is then tried on every digest.
    pub fingerprint: Option<String>,
    /// Validity window from `list-public-keys`, as given.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// One key of `aws cloudtrail list-public-keys` output.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedKey {
    value: String,
    fingerprint: Option<String>,
    validity_start_time: Option<serde_json::Value>,
    validity_end_time: Option<serde_json::Value>,
}

/// The whole output of `aws cloudtrail list-public-keys`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedKeys {
    public_key_list: Vec<ListedKey>,
}

/// Reads public keys from text: the JSON output of `aws cloudtrail list-public-keys`
/// (base64 DER values with fingerprints), PEM blocks (`PUBLIC KEY` or `RSA PUBLIC KEY`),
/// or one bare base64 DER key. Returns the keys read and a message per key that was not.
pub fn parse_public_keys(text: &str) -> (Vec<TrailKey>, Vec<String>) {
    let text = text.trim();
    let (mut keys, mut errors) = (Vec::new(), Vec::new());
    if text.is_empty() {
        return (keys, errors);
    }
    if text.starts_with('{') || text.starts_with('[') {
        let listed = serde_json::from_str::<ListedKeys>(text)
            .map(|l| l.public_key_list)
            .or_else(|_| serde_json::from_str::<Vec<ListedKey>>(text))
            .or_else(|_| serde_json::from_str::<ListedKey>(text).map(|k| vec![k]));
        match listed {
            Err(e) => errors.push(format!(
                "public keys: not the JSON of `aws cloudtrail list-public-keys` ({e})"
            )),
            Ok(list) => {
                for (i, k) in list.into_iter().enumerate() {
                    let time = |v: Option<serde_json::Value>| {
                        v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    };
                    match base64_decode(&k.value).and_then(|der| RsaPublicKey::from_der(&der)) {
                        Ok(key) => keys.push(TrailKey {
                            key,
                            fingerprint: k.fingerprint.map(|f| f.to_lowercase()),
                            valid_from: time(k.validity_start_time),
                            valid_to: time(k.validity_end_time),
                        }),
                        Err(e) => errors.push(format!("public key {}: {e}", i + 1)),
                    }
                }
            }
        }
    } else if text.contains("-----BEGIN") {
        let found = keys_from_pem(text);
        if found.is_empty() {
            errors.push("public keys: no PUBLIC KEY or RSA PUBLIC KEY block in the PEM".into());
        }
        for (i, k) in found.into_iter().enumerate() {
            match k {
                Ok(key) => keys.push(TrailKey {
                    key,
                    fingerprint: None,
                    valid_from: None,
                    valid_to: None,
                }),
                Err(e) => errors.push(format!("PEM key {}: {e}", i + 1)),
            }
        }
    } else {
        match base64_decode(text).and_then(|der| RsaPublicKey::from_der(&der)) {
            Ok(key) => keys.push(TrailKey {
                key,
                fingerprint: None,
                valid_from: None,
                valid_to: None,
            }),
            Err(e) => errors.push(format!("public key: {e}")),
        }
    }
    (keys, errors)
}

/// A digest's signature as read from its S3 object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSignature {
    /// The S3 key the signature was read from (without `s3://bucket/`).
    pub key: String,
    /// The bucket, when the line named one (`s3://bucket/key`).
    pub bucket: Option<String>,
    /// The signature, hex as in `x-amz-meta-signature`.
    pub hex: String,
    /// `x-amz-meta-signature-algorithm`, when given.
    pub algorithm: Option<String>,
}

/// Signatures by digest file name (the last part of the S3 key).
pub type Signatures = HashMap<String, DigestSignature>;

/// Reads `<digest S3 key> <hex signature> [algorithm]` lines (what
/// `scripts/digest-signatures.sh` writes; `s3://bucket/key` also works; blank lines and
/// `#` comments are skipped). Returns the signatures and a message per unreadable line.
pub fn parse_signatures(text: &str) -> (Signatures, Vec<String>) {
    let (mut found, mut errors) = (Signatures::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (Some(key), Some(hex)) = (parts.first(), parts.get(1)) else {
            errors.push(format!(
                "signatures line {}: expected `<digest S3 key> <hex signature>`",
                i + 1
            ));
            continue;
        };
        if parts.len() > 3 {
            errors.push(format!("signatures line {}: too many fields", i + 1));
            continue;
        }
        let (bucket, key) = match key.strip_prefix("s3://").and_then(|k| k.split_once('/')) {
            Some((bucket, key)) => (Some(bucket.to_owned()), key.to_owned()),
            None => (None, (*key).to_owned()),
        };
        found.insert(
            file_name(&key).to_owned(),
            DigestSignature {
                key,
                bucket,
                hex: hex.to_lowercase(),
                algorithm: parts.get(2).map(|a| (*a).to_owned()),
            },
        );
    }
    (found, errors)
}

/// The outcome of checking one digest's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureStatus {
    /// Signed by one of the supplied keys over exactly this digest.
    Valid,
    /// The signature does not verify, or the digest cannot be checked as CloudTrail signs it.
    Invalid,
    /// No signature was supplied for this digest.
    NoSignature,
    /// A signature, but no supplied key that could have made it.
    NoKey,
}

impl SignatureStatus {
    /// The value of `data-status`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureStatus::Valid => "valid",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::NoSignature => "no-signature",
            SignatureStatus::NoKey => "no-key",
        }
    }
}

/// One digest's signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// The digest's file name.
    pub digest: String,
    pub status: SignatureStatus,
    /// Why, in words.
    pub detail: String,
}

/// Every digest's signature check and the breaks in the chain of signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureReport {
    pub checks: Vec<SignatureCheck>,
    pub chain_breaks: Vec<String>,
}

impl SignatureReport {
    /// How many digests have each status.
    pub fn count(&self, status: SignatureStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// The bytes CloudTrail signs for a digest (as `aws cloudtrail validate-logs` rebuilds
/// them): end time, `bucket/key`, hex SHA-256 of the uncompressed digest, and the previous
/// digest's signature (`null` for the first), separated by newlines.
pub fn string_to_sign(d: &DigestFile, digest_sha256: &str, previous: Option<&str>) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        d.digest_end_time,
        d.digest_s3_bucket,
        d.digest_s3_object,
        digest_sha256,
        previous.unwrap_or("null")
    )
}

/// Checks one digest's signature.
fn check_signature(
    f: &LoadedFile,
    d: &DigestFile,
    keys: &[TrailKey],
    sig: Option<&DigestSignature>,
) -> (SignatureStatus, String) {
    use SignatureStatus::*;
    let Some(sig) = sig else {
        return (NoSignature, "no signature supplied".into());
    };
    let algorithm = sig
        .algorithm
        .as_deref()
        .or(Some(d.digest_signature_algorithm.as_str()).filter(|a| !a.is_empty()));
    if let Some(a) = algorithm.filter(|a| *a != SIGNATURE_ALGORITHM) {
        return (Invalid, format!("unsupported signature algorithm {a}"));
    }
    let required = [
        (
            "digestPublicKeyFingerprint",
            d.digest_public_key_fingerprint.is_empty(),
        ),
        ("digestS3Bucket", d.digest_s3_bucket.is_empty()),
        ("digestS3Object", d.digest_s3_object.is_empty()),
        (
            "previousDigestSignature",
            d.previous_digest_signature.is_none(),
        ),
        ("digestEndTime", d.digest_end_time.is_empty()),
        ("digestStartTime", d.digest_start_time.is_empty()),
    ];
    if let Some((field, _)) = required.iter().find(|(_, missing)| *missing) {
        return (Invalid, format!("invalid format: no {field}"));
    }
    // The signature must come from the object the digest says it is (validate-logs
    // reports a digest found elsewhere as moved).
    let moved = (sig.key.contains('/') && sig.key != d.digest_s3_object)
        || sig
            .bucket
            .as_deref()
            .is_some_and(|b| b != d.digest_s3_bucket);
    if moved {
        return (
            Invalid,
            format!(
                "the signature was read from {}, but the digest says it is s3://{}/{}",
                sig.key, d.digest_s3_bucket, d.digest_s3_object
            ),
        );
    }
    let Some(signature) = hex_decode(&sig.hex) else {
        return (Invalid, "the signature is not hex".into());
    };
    let fingerprint = d.digest_public_key_fingerprint.to_lowercase();
    let candidates: Vec<&TrailKey> = keys
        .iter()
        .filter(|k| k.fingerprint.as_ref().is_none_or(|f| *f == fingerprint))
        .collect();
    if candidates.is_empty() {
        return (
            NoKey,
            format!("no public key supplied with fingerprint {fingerprint}"),
        );
    }
    let previous = d
        .previous_digest_signature
        .as_ref()
        .and_then(|p| p.as_deref());
    let message = string_to_sign(d, &f.sha256, previous);
    if candidates
        .iter()
        .any(|k| k.key.verify_sha256(message.as_bytes(), &signature))
    {
        (Valid, "signature verified".into())
    } else {
        (
            Invalid,
            "signature verification failed: the digest or its signature was changed, or it was signed by another key".into(),
        )
    }
}

/// The signature supplied for a digest: by the file name of its S3 key, or of its path.
fn signature_of<'a>(
    signatures: &'a Signatures,
    f: &LoadedFile,
    d: &DigestFile,
) -> Option<&'a DigestSignature> {
    signatures
        .get(file_name(&d.digest_s3_object))
        .or_else(|| signatures.get(file_name(&f.path)))
}

/// The positions in `files` of the digests, in report order (per stream, in time order),
/// so a caller can check them a few at a time with [`check_digest_signature`].
pub fn signature_order(files: &[LoadedFile]) -> Vec<usize> {
    // The same order as `chains`: streams sorted, then a stable sort by end time.
    let mut order: Vec<((String, String), i64, usize)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let d = f.digest.as_ref()?;
            let time = parse_event_time(&d.digest_end_time).unwrap_or(i64::MIN);
            Some((digest_stream(d), time, i))
        })
        .collect();
    order.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    order.into_iter().map(|(_, _, i)| i).collect()
}

/// Checks one digest's signature (`None` if the file is not a digest).
pub fn check_digest_signature(
    f: &LoadedFile,
    keys: &[TrailKey],
    signatures: &Signatures,
) -> Option<SignatureCheck> {
    let d = f.digest.as_ref()?;
    let (status, detail) = check_signature(f, d, keys, signature_of(signatures, f, d));
    let name = if d.digest_s3_object.is_empty() {
        file_name(&f.path)
    } else {
        file_name(&d.digest_s3_object)
    };
    Some(SignatureCheck {
        digest: name.to_owned(),
        status,
        detail,
    })
}

/// Breaks in the chain of signatures: a digest whose `previousDigestSignature` is not the
/// signature supplied for the digest before it in its stream.
pub fn signature_chain_breaks(files: &[LoadedFile], signatures: &Signatures) -> Vec<String> {
    let mut breaks = Vec::new();
    for (_, chain) in chains(files) {
        for pair in chain.windows(2) {
            let ((prev_file, prev), (next_file, next)) = (pair[0], pair[1]);
            let claimed = next
                .previous_digest_signature
                .as_ref()
                .and_then(|p| p.as_deref());
            if let (Some(claimed), Some(actual)) =
                (claimed, signature_of(signatures, prev_file, prev))
            {
                if claimed.to_lowercase() != actual.hex {
                    breaks.push(format!(
                        "{}: its previousDigestSignature is not the signature of the digest before it ({})",
                        file_name(&next_file.path),
                        file_name(&prev_file.path)
                    ));
                }
            }
        }
    }
    breaks
}

/// Verifies every loaded digest's signature with the supplied keys, and the chain of
/// signatures, in one call.
pub fn verify_signatures(
    files: &[LoadedFile],
    keys: &[TrailKey],
    signatures: &Signatures,
) -> SignatureReport {
    SignatureReport {
        checks: signature_order(files)
            .into_iter()
            .filter_map(|i| check_digest_signature(&files[i], keys, signatures))
            .collect(),
        chain_breaks: signature_chain_breaks(files, signatures),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(path: &str, content: &str) -> LoadedFile {
        LoadedFile {
            path: path.into(),
            sha256: sha256_hex(content.as_bytes()),
            digest: None,
        }
    }

    fn digest(hour: u32, files: &[(&str, &str)], previous: Option<&LoadedFile>) -> LoadedFile {
        let j = json!({
            "awsAccountId": "1",
            "digestStartTime": format!("2024-01-01T{:02}:00:00Z", hour),
            "digestEndTime": format!("2024-01-01T{:02}:00:00Z", hour + 1),
            "digestS3Object": format!("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/1_CloudTrail-Digest_us-east-1_t_us-east-1_20240101T{:02}0000Z.json.gz", hour + 1),
            "previousDigestHashValue": previous.map(|p| p.sha256.clone()),
            "logFiles": files.iter().map(|(name, content)| json!({
                "s3Object": format!("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/{name}"),
                "hashValue": sha256_hex(content.as_bytes()),
                "hashAlgorithm": "SHA-256",
            })).collect::<Vec<_>>(),
        })
        .to_string();
        LoadedFile {
            path: format!("digest-{hour}.json"),
            sha256: sha256_hex(j.as_bytes()),
            digest: Some(DigestFile::parse(j.as_bytes()).unwrap()),
        }
    }

    #[test]
    fn verified_mismatched_missing_unlisted_chain_and_gap() {
        let d0 = digest(
            0,
            &[("a.json.gz", "A"), ("b.json.gz", "B"), ("c.json.gz", "C")],
            None,
        );
        let d1 = digest(1, &[], Some(&d0));
        // Hour 2 has no digest: a gap; hour 3's digest chains to a digest that is not d1.
        let d3 = digest(3, &[], Some(&d0));
        let files = vec![
            log("x/a.json.gz", "A"),
            log("x/b.json.gz", "tampered"),
            log("x/z.json.gz", "Z"),
            d0,
            d1,
            d3,
        ];
        let r = verify(&files);
        let status = |n: &str| r.files.iter().find(|f| f.name == n).map(|f| f.status);
        assert_eq!(status("a.json.gz"), Some(Status::Verified));
        assert_eq!(status("b.json.gz"), Some(Status::Mismatched));
        assert_eq!(status("c.json.gz"), Some(Status::Missing));
        assert_eq!(status("z.json.gz"), Some(Status::Unlisted));
        assert_eq!(r.digests, 3);
        assert_eq!(r.chain_breaks.len(), 1, "{:?}", r.chain_breaks);
        assert_eq!(r.gaps.len(), 1, "{:?}", r.gaps);
        assert!(r.gaps[0].contains("2024-01-01T02:00:00Z to 2024-01-01T03:00:00Z"));
    }

    #[test]
    fn aws_docs_digest_samples_parse() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("../shared/fixtures/awsdocs-examples/extracted");
        for name in [
            "cloudtrail-log-file-validation-digest-file-structure__02_digest.json",
            "cloudtrail-log-file-validation-digest-file-structure__03_digest.json",
        ] {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let d = DigestFile::parse(&bytes).unwrap();
            assert_eq!(d.aws_account_id, "111122223333");
            assert_eq!(digest_stream(&d).1, "us-east-2");
        }
    }

    /// The signed chain made by `tests/data/signatures/make.sh` with openssl.
    const SIGNED: [&str; 3] = [
        include_str!("../../tests/data/signatures/digest-1.json"),
        include_str!("../../tests/data/signatures/digest-2.json"),
        include_str!("../../tests/data/signatures/digest-3.json"),
    ];
    const SIGNATURES: &str = include_str!("../../tests/data/signatures/signatures.txt");
    const KEYS_JSON: &str = include_str!("../../tests/data/signatures/list-public-keys.json");
    const KEY_PEM: &str = include_str!("../../tests/data/signatures/trail-spki.pem");
    const OTHER_PEM: &str = include_str!("../../tests/data/signatures/other-spki.pem");

    fn signed_digests(contents: &[String]) -> Vec<LoadedFile> {
        contents
            .iter()
            .enumerate()
            .map(|(i, c)| LoadedFile {
                path: format!("local/copy-{}.json", i + 1),
                sha256: sha256_hex(c.as_bytes()),
                digest: Some(DigestFile::parse(c.as_bytes()).unwrap()),
            })
            .collect()
    }

    fn statuses(r: &SignatureReport) -> Vec<&'static str> {
        r.checks.iter().map(|c| c.status.as_str()).collect()
    }

    fn originals() -> Vec<String> {
        SIGNED.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn signed_chain_verifies_with_json_and_pem_keys() {
        let files = signed_digests(&originals());
        let (sigs, bad) = parse_signatures(SIGNATURES);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(sigs.len(), 3);
        for text in [KEYS_JSON, KEY_PEM] {
            let (keys, errors) = parse_public_keys(text);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(keys.len(), 1);
            let r = verify_signatures(&files, &keys, &sigs);
            assert_eq!(statuses(&r), ["valid", "valid", "valid"], "{r:?}");
            assert!(r.chain_breaks.is_empty(), "{:?}", r.chain_breaks);
        }
        // The JSON key carries its fingerprint and validity.
        let (keys, _) = parse_public_keys(KEYS_JSON);
        assert!(keys[0]
            .fingerprint
            .as_deref()
            .is_some_and(|f| f.len() == 32));
        assert_eq!(
            keys[0].valid_from.as_deref(),
            Some("2024-01-01T00:00:00+00:00")
        );
    }

    #[test]
    fn the_signed_string_is_the_one_validate_logs_builds() {
        let d = DigestFile::parse(SIGNED[0].as_bytes()).unwrap();
        assert_eq!(d.previous_digest_signature, Some(None));
        let s = string_to_sign(&d, "abc", None);
        assert_eq!(
            s,
            format!(
                "2024-01-01T01:00:00Z\ntrail-bucket/{}\nabc\nnull",
                d.digest_s3_object
            )
        );
        let d2 = DigestFile::parse(SIGNED[1].as_bytes()).unwrap();
        assert!(matches!(&d2.previous_digest_signature, Some(Some(s)) if s.len() == 512));
        let absent = DigestFile::parse(b"{}").unwrap();
        assert_eq!(absent.previous_digest_signature, None);
    }

    #[test]
    fn tampered_digest_wrong_key_swapped_signature_and_missing_pieces() {
        let (keys, _) = parse_public_keys(KEY_PEM);
        let (sigs, _) = parse_signatures(SIGNATURES);
        // One byte of the second digest changed: its hash changes, so its signature fails;
        // the hash chain breaks too, but the signature chain does not.
        let mut tampered = originals();
        tampered[1] = tampered[1].replace("\"logFiles\":[]", "\"logFiles\":[ ]");
        let r = verify_signatures(&signed_digests(&tampered), &keys, &sigs);
        assert_eq!(statuses(&r), ["valid", "invalid", "valid"]);
        assert!(r.chain_breaks.is_empty());
        // Another key: every signature fails.
        let (other, _) = parse_public_keys(OTHER_PEM);
        let files = signed_digests(&originals());
        let r = verify_signatures(&files, &other, &sigs);
        assert_eq!(statuses(&r), ["invalid", "invalid", "invalid"]);
        // Signatures of the second and third digests swapped: both fail, and the third's
        // previousDigestSignature no longer matches the signature given for the second.
        let lines: Vec<&str> = SIGNATURES.lines().collect();
        let hex = |l: &str| l.split_whitespace().nth(1).unwrap().to_owned();
        let swapped = format!(
            "{}\n{} {}\n{} {}\n",
            lines[0],
            lines[1].split_whitespace().next().unwrap(),
            hex(lines[2]),
            lines[2].split_whitespace().next().unwrap(),
            hex(lines[1]),
        );
        let (swapped, _) = parse_signatures(&swapped);
        let r = verify_signatures(&files, &keys, &swapped);
        assert_eq!(statuses(&r), ["valid", "invalid", "invalid"]);
        assert_eq!(r.chain_breaks.len(), 1, "{:?}", r.chain_breaks);
        assert!(r.chain_breaks[0].contains("copy-3.json"));
        // No signature for the first; no key at all; a JSON key with another fingerprint.
        let (partial, _) = parse_signatures(&lines[1..].join("\n"));
        let r = verify_signatures(&files, &keys, &partial);
        assert_eq!(statuses(&r), ["no-signature", "valid", "valid"]);
        let r = verify_signatures(&files, &[], &sigs);
        assert_eq!(statuses(&r), ["no-key", "no-key", "no-key"]);
        let (mut json, _) = parse_public_keys(KEYS_JSON);
        json[0].fingerprint = Some("00".repeat(16));
        let r = verify_signatures(&files, &json, &sigs);
        assert_eq!(statuses(&r), ["no-key", "no-key", "no-key"]);
        // The signature file names another object: the digest was moved.
        let moved = SIGNATURES.replace("2024/01/01/", "2024/01/02/");
        let (moved, _) = parse_signatures(&moved);
        let r = verify_signatures(&files, &keys, &moved);
        assert_eq!(statuses(&r), ["invalid", "invalid", "invalid"]);
        assert!(r.checks[0].detail.contains("was read from"));
    }

    #[test]
    fn malformed_keys_and_signature_lines_are_messages() {
        for text in [
            "{",
            "{\"PublicKeyList\": 3}",
            "{\"PublicKeyList\": [{\"Value\": \"!!!\"}]}",
            "{\"PublicKeyList\": [{\"Value\": \"AAAA\"}]}",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
            "not a key",
        ] {
            let (keys, errors) = parse_public_keys(text);
            assert!(keys.is_empty(), "{text}");
            assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        }
        assert_eq!(parse_public_keys("  \n").1.len(), 0);
        let (sigs, errors) =
            parse_signatures("# comment\n\nonlykey\na b c d\ns3://bkt/x/y.json.gz ZZ\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        let s = &sigs["y.json.gz"];
        assert_eq!(
            (s.bucket.as_deref(), s.key.as_str()),
            (Some("bkt"), "x/y.json.gz")
        );
        // A signature that is not hex, an odd length, or the wrong size is invalid, not a panic.
        let (keys, _) = parse_public_keys(KEY_PEM);
        let files = signed_digests(&originals());
        let name =
            |i: usize| file_name(&files[i].digest.as_ref().unwrap().digest_s3_object).to_owned();
        for bad in ["zz", "abc", "00", &"ff".repeat(300)] {
            let (sigs, _) = parse_signatures(&format!("{} {bad}", name(0)));
            let r = verify_signatures(&files[..1], &keys, &sigs);
            assert_eq!(statuses(&r), ["invalid"], "{bad}");
        }
        let (sigs, _) = parse_signatures(&format!("{} 00 SHA1withRSA", name(0)));
        let r = verify_signatures(&files[..1], &keys, &sigs);
        assert!(r.checks[0].detail.contains("unsupported"));
        // A digest without the fields the signature covers is invalid.
        let bare = vec![LoadedFile {
            path: "d.json".into(),
            sha256: sha256_hex(b"{}"),
            digest: Some(DigestFile::parse(b"{}").unwrap()),
        }];
        let (sigs, _) = parse_signatures("d.json 00");
        let r = verify_signatures(&bare, &keys, &sigs);
        assert_eq!(statuses(&r), ["invalid"]);
        assert!(r.checks[0].detail.contains("invalid format"));
    }
}
