//! Log-file integrity from CloudTrail digest files: each log file's SHA-256 (over its
//! uncompressed bytes) against the digest that lists it, the chain of digests through
//! `previousDigestHashValue`, and coverage (listed but not loaded, loaded but not listed,
//! hours with no digest). Signatures are not checked here: CloudTrail keeps them in the
//! digest object's S3 metadata, which files copied to disk do not carry.

use crate::core::time::{format_time, parse_event_time};
use serde::Deserialize;
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
    pub previous_digest_s3_object: Option<String>,
    pub previous_digest_hash_value: Option<String>,
    pub log_files: Vec<ListedFile>,
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
    let mut streams: HashMap<(String, String), Vec<(&LoadedFile, &DigestFile)>> = HashMap::new();
    for (f, d) in &digests {
        streams.entry(digest_stream(d)).or_default().push((f, d));
    }
    let mut keys: Vec<_> = streams.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let mut chain = streams.remove(&key).unwrap_or_default();
        chain.sort_by_key(|(_, d)| parse_event_time(&d.digest_end_time).unwrap_or(i64::MIN));
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
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
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
}
