//! Getting events out: CSV from the store's columns (safe to open in a spreadsheet), and
//! the original records as `{"Records":[...]}` or JSON Lines, re-read from their files.

use crate::ingest::{extract_record_value, Origin};
use crate::store::{Store, NO_TIME};
use crate::time::format_time;
use serde_json::Value;

/// Columns of the CSV export, in order.
pub const CSV_COLUMNS: [&str; 11] = [
    "Event time",
    "Event name",
    "Actor",
    "Service",
    "Region",
    "Source IP",
    "Access key",
    "Error code",
    "Read-only",
    "Event ID",
    "Resources",
];

/// One CSV cell: quoted when needed, and defused when a spreadsheet would read it as a
/// formula (a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front).
pub fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) || defused != defused.trim() {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// The selected rows as CSV (header first, CRLF line ends as RFC 4180 asks).
pub fn csv(store: &Store, rows: &[u32]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for &r in rows {
        let i = r as usize;
        let actor = store
            .actors
            .get(store.actor[i] as usize)
            .map(|a| a.label.as_str())
            .unwrap_or("");
        let resources: Vec<&str> = store
            .resources(i)
            .map(|(n, _)| store.strings.get(n))
            .collect();
        let time = if store.time[i] == NO_TIME {
            String::new()
        } else {
            format_time(store.time[i])
        };
        let read_only = if store.flags[i] & crate::record::flags::READ_ONLY != 0 {
            "true"
        } else {
            "false"
        };
        let cells = [
            time.as_str(),
            store.strings.get(store.event_name[i]),
            actor,
            store.strings.get(store.event_source[i]),
            store.strings.get(store.region[i]),
            store.strings.get(store.source_ip[i]),
            store.strings.get(store.access_key[i]),
            store.strings.get(store.error_code[i]),
            read_only,
            &store.event_id(i),
            &resources.join(" "),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Re-reads the records of one file's rows (the file's bytes as loaded); failures are
/// returned as messages naming the row.
pub fn records_of_file(file: &[u8], origins: &[(u32, Origin)]) -> (Vec<(u32, Value)>, Vec<String>) {
    records_of_file_where(file, origins, None)
}

/// Like [`records_of_file`], but skips (without parsing) the records whose raw JSON the
/// prefilter rules out: a whole-record search then parses only likely matches.
pub fn records_of_file_where(
    file: &[u8],
    origins: &[(u32, Origin)],
    prefilter: Option<&crate::fields::RawPrefilter>,
) -> (Vec<(u32, Value)>, Vec<String>) {
    let inflated = crate::ingest::inflate_all(file);
    let bytes = inflated.as_deref().unwrap_or(file);
    let scan = prefilter.map(|p| p.scan(bytes));
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for &(row, origin) in origins {
        if let Some(scan) = &scan {
            let start = origin.offset as usize;
            if !scan.may_match(start..start + origin.len as usize) {
                continue;
            }
        }
        match extract_record_value(bytes, origin) {
            Ok(v) => good.push((row, v)),
            Err(e) => bad.push(format!("event {row}: {e}")),
        }
    }
    (good, bad)
}

/// `{"Records":[...]}`, loadable back into Trailglass.
pub fn records_json(records: &[Value]) -> String {
    let mut out = String::from("{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('\n');
        out.push_str(&r.to_string());
    }
    out.push_str("\n]}\n");
    out
}

/// One record per line.
pub fn records_jsonl(records: &[Value]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&r.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("plain"), "plain");
    }

    #[test]
    fn csv_has_every_selected_row() {
        let doc = br#"[{"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventName":"=cmd|' /C calc'!A0","eventSource":"s3.amazonaws.com",
            "requestParameters":{"bucketName":"b1"},"userIdentity":{"type":"IAMUser","userName":"alice","accessKeyId":"AKIA1"}},
            {"eventID":"e2","eventName":"GetObject"}]"#;
        let mut store = Store::new();
        ingest_bytes(0, "t", doc, &mut store);
        let text = csv(&store, &store.all_rows());
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert!(lines[1].starts_with("2024-01-01T00:00:00Z,'=cmd|' /C calc'!A0,alice,s3.amazonaws.com,,,AKIA1,,false,e1,b1"), "{}", lines[1]);
        assert!(lines[2].contains(",true,e2,"), "{}", lines[2]);
    }

    #[test]
    fn json_exports_load_back() {
        let records = vec![
            serde_json::json!({"eventID":"1","eventName":"A"}),
            serde_json::json!({"eventID":"2","eventName":"B"}),
        ];
        for text in [records_json(&records), records_jsonl(&records)] {
            let mut store = Store::new();
            let r = ingest_bytes(0, "export", text.as_bytes(), &mut store);
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            assert_eq!(store.len(), 2);
        }
    }
}
