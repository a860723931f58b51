//! Bytes in, events out: format sniffing, gzip, and splitting JSON into records.
//!
//! A [`FileIngest`] takes one file's bytes chunk by chunk (so it can run in a time-budgeted
//! loop or a worker), inflates gzip (multi-member too) as it goes, and a streaming
//! [`Splitter`] finds each record's bytes without parsing the whole file. Each record is
//! then parsed on its own, so one malformed record costs only itself, and every problem
//! names the file and, where it helps, the record index, byte offset and line.
//!
//! Shapes recognised by content: `{"Records":[...]}`, a bare array, JSON Lines (and any
//! sequence of top-level objects), LookupEvents output (`{"Events":[{"CloudTrailEvent":
//! "<json>"}]}`), a single record, digest files, and a UTF-8 BOM in front of any of them.

use crate::record::{flags, Event, RawRecord, Text};
use flate2::write::MultiGzDecoder;
use memchr::memchr2;
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::Write;

/// How much one file may inflate to, whatever its ratio.
pub const MAX_INFLATED_BYTES: u64 = 2 << 30;
/// Past this much inflated data, a file inflating more than [`BOMB_RATIO`] times its
/// compressed size is treated as a gzip bomb (CloudTrail logs inflate about 10 times).
const BOMB_FLOOR: u64 = 64 << 20;
const BOMB_RATIO: u64 = 200;
/// How much of a single top-level object may be buffered while its shape is undecided.
const MAX_OBJECT_BYTES: usize = 512 << 20;
/// Per-record problems listed individually per file; the rest are counted.
const MAX_LISTED_PROBLEMS: usize = 20;
/// Size of the pieces `ingest_bytes` feeds; the browser loop uses its own.
pub const CHUNK: usize = 64 << 10;

/// Where an event came from, so a later view can re-read that one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    /// Index of the file in the order files were loaded.
    pub file: u32,
    /// Byte offset of the record in the file's (inflated) JSON.
    pub offset: u64,
    /// Length of the record's JSON in bytes.
    pub len: u32,
}

/// Receives the events of a file as they are parsed.
pub trait EventSink {
    /// Adds an event; returns `false` if an event with the same key was already there.
    fn push(&mut self, event: &Event<'_>, dedup_key: u64, origin: Origin) -> bool;
}

/// What shape a file turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Format {
    #[default]
    Unknown,
    /// `{"Records":[...]}`, as CloudTrail delivers to S3.
    Records,
    /// A bare JSON array of records.
    Array,
    /// One or more top-level record objects (a single record, or JSON Lines).
    Objects,
    /// `aws cloudtrail lookup-events` output.
    LookupEvents,
    /// A CloudTrail digest file (no records).
    Digest,
}

impl Format {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Unknown => "unknown",
            Format::Records => "Records",
            Format::Array => "JSON array",
            Format::Objects => "JSON objects",
            Format::LookupEvents => "LookupEvents",
            Format::Digest => "digest",
        }
    }
}

/// One thing wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProblemKind {
    /// The file has no bytes (or only whitespace).
    Empty,
    /// The content is some other known kind of file.
    NotCloudTrail { what: Cow<'static, str> },
    /// The first bytes are neither gzip nor JSON.
    NotJson { first_bytes: String },
    /// The gzip stream is corrupt.
    Gzip { detail: String },
    /// The gzip stream stops before its end.
    GzipTruncated,
    /// Inflating went past the limits: a gzip bomb, or a file too large to hold.
    TooLarge { inflated: u64, compressed: u64 },
    /// A structural JSON error outside any record; reading stops there.
    Syntax {
        offset: u64,
        line: u64,
        detail: String,
    },
    /// The JSON stops in the middle.
    Truncated {
        offset: u64,
        line: u64,
        record: Option<u64>,
    },
    /// Bytes after the last JSON value.
    TrailingData { offset: u64, line: u64 },
    /// `Records` or `Events` is present but not an array.
    NotAnArray { key: Cow<'static, str> },
    /// One record is not valid JSON.
    BadRecord {
        index: u64,
        offset: u64,
        line: u64,
        detail: String,
    },
    /// An array element that is not a CloudTrail record.
    NotARecord { index: u64, line: u64 },
    /// JSON that contains no CloudTrail records at all.
    NoRecords { objects: u64 },
    /// Two records with no comma between them; both were loaded.
    MissingComma { index: u64, line: u64 },
    /// Raw control characters inside strings were replaced so the record could load.
    ControlCharacters { index: u64, line: u64 },
    /// Bytes that are not UTF-8 were replaced with U+FFFD so the record could load.
    InvalidUtf8 { index: u64, line: u64 },
    /// More per-record problems than are listed.
    More { count: u64 },
    /// The browser could not read the file or folder.
    Unreadable { detail: String },
    /// The load stopped before this file: memory is nearly full.
    MemoryLimit {
        events: u64,
        megabytes: u64,
        files_done: u64,
        files_total: u64,
    },
}

/// A problem, naming its file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    pub file: String,
    pub kind: ProblemKind,
}

impl Problem {
    /// Whether the file still loaded everything it had (the problem was repaired).
    pub fn is_warning(&self) -> bool {
        matches!(
            self.kind,
            ProblemKind::MissingComma { .. }
                | ProblemKind::ControlCharacters { .. }
                | ProblemKind::InvalidUtf8 { .. }
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        match &self.kind {
            ProblemKind::Empty => write!(f, "the file is empty"),
            ProblemKind::NotCloudTrail { what } => write!(f, "{what}"),
            ProblemKind::NotJson { first_bytes } => write!(
                f,
                "not a CloudTrail log: neither gzip nor JSON (starts with bytes {first_bytes})"
            ),
            ProblemKind::Gzip { detail } if detail.contains("checksum") => write!(
                f,
                "corrupt gzip data ({detail}): the file was damaged or cut off at its very end; its records were loaded but may not be what was written"
            ),
            ProblemKind::Gzip { detail } => {
                write!(f, "corrupt gzip data ({detail}); records before the damage were loaded")
            }
            ProblemKind::GzipTruncated => write!(
                f,
                "the gzip data is cut off before its end (incomplete download?); records before the cut were loaded"
            ),
            ProblemKind::TooLarge {
                inflated,
                compressed,
            } => write!(
                f,
                "{} MB of compressed data inflated to over {} MB, which looks like a gzip bomb (CloudTrail logs inflate about 10 times); stopped there, records before it were loaded",
                compressed / 1_000_000,
                inflated / 1_000_000
            ),
            ProblemKind::Syntax {
                offset,
                line,
                detail,
            } => write!(
                f,
                "invalid JSON at byte {offset} (line {line}): {detail}; records before it were loaded"
            ),
            ProblemKind::Truncated {
                offset,
                line,
                record,
            } => match record {
                Some(r) => write!(
                    f,
                    "the JSON ends in the middle of record {r} (byte {offset}, line {line}); the file looks truncated"
                ),
                None => write!(
                    f,
                    "the JSON ends unexpectedly at byte {offset} (line {line}); the file looks truncated"
                ),
            },
            ProblemKind::TrailingData { offset, line } => write!(
                f,
                "unexpected data after the JSON at byte {offset} (line {line}); ignored"
            ),
            ProblemKind::NotAnArray { key } => {
                write!(f, "\"{key}\" is not an array, so it holds no records")
            }
            ProblemKind::BadRecord {
                index,
                offset,
                line,
                detail,
            } => write!(
                f,
                "record {index} (byte {offset}, line {line}) is not valid JSON: {detail}; skipped"
            ),
            ProblemKind::NotARecord { index, line } => write!(
                f,
                "element {index} (line {line}) is not a CloudTrail record; skipped"
            ),
            ProblemKind::NoRecords { objects } => write!(
                f,
                "valid JSON but no CloudTrail records ({objects} object(s) without eventTime, eventName or eventSource)"
            ),
            ProblemKind::MissingComma { index, line } => write!(
                f,
                "missing comma before record {index} (line {line}); both records were loaded"
            ),
            ProblemKind::ControlCharacters { index, line } => write!(
                f,
                "record {index} (line {line}) has raw control characters in a string; they were replaced with spaces and the record loaded"
            ),
            ProblemKind::InvalidUtf8 { index, line } => write!(
                f,
                "record {index} (line {line}) has bytes that are not UTF-8; they were replaced with U+FFFD and the record loaded"
            ),
            ProblemKind::More { count } => write!(f, "and {count} more problems like these"),
            ProblemKind::Unreadable { detail } => write!(f, "could not be read: {detail}"),
            ProblemKind::MemoryLimit {
                events,
                megabytes,
                files_done,
                files_total,
            } => write!(
                f,
                "not loaded, nor the {} file(s) after it: memory is nearly full ({events} events from {files_done} of {files_total} files are loaded, using about {megabytes} MB; a browser tab holds at most 4 GB of WebAssembly memory, often less). Everything loaded so far is shown. To see the rest, load a narrower selection: a shorter date range, or one account or region at a time (the folders under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/)",
                files_total.saturating_sub(*files_done + 1)
            ),
        }
    }
}

/// The outcome of loading one file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub file: u32,
    pub name: String,
    /// Bytes read from the source (compressed size for gzip).
    pub bytes: u64,
    /// Bytes of JSON after inflating.
    pub inflated: u64,
    pub gzip: bool,
    pub format: Format,
    /// Records found (good ones, including duplicates).
    pub records: u64,
    /// Events added to the store (records minus duplicates).
    pub added: u64,
    pub duplicates: u64,
    pub insights: u64,
    pub digests: u64,
    /// Records or elements that could not be loaded.
    pub bad_records: u64,
    pub problems: Vec<Problem>,
}

/// What the splitter hands out: the bytes of one JSON value at a known place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// An element of a `Records` array: a record even if no CloudTrail field is readable.
    Record,
    /// An element of a bare top-level array: a record only if it has CloudTrail fields.
    Element,
    /// An element of a LookupEvents `Events` array.
    LookupEntry,
    /// A whole top-level object that is not a container of records.
    Object,
    /// A top-level object with digest-file keys.
    Digest,
}

/// One JSON value found by the splitter.
#[derive(Debug)]
pub struct Piece<'a> {
    pub kind: PieceKind,
    /// Position among its siblings (array index, or top-level value number).
    pub index: u64,
    /// Byte offset of the value's first byte in the inflated stream.
    pub offset: u64,
    /// Line (1-based) of the value's first byte.
    pub line: u64,
    pub bytes: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Records,
    Events,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    /// Between top-level values.
    Between,
    /// In a top-level object, expecting a key.
    ObjKey,
    /// In a top-level object, a key was read, expecting `:`.
    ObjAfterKey(Key),
    /// In a top-level object, after `:`, expecting a value.
    ObjBeforeValue(Key),
    /// In a top-level object, inside or after a value.
    ObjValue,
    /// In a top-level array.
    Array,
}

/// Streaming splitter: finds record-sized JSON values without parsing the whole input.
///
/// It tracks only what it must (bracket nesting, strings, and the keys of a top-level
/// object), copying each record's bytes once; validation is left to the record parser.
#[derive(Debug)]
pub struct Splitter {
    offset: u64,
    line: u64,
    stack: Vec<u8>,
    in_string: bool,
    escape: bool,
    top: Top,
    key: Vec<u8>,
    capturing_key: bool,
    digest_keys: bool,
    /// Depth of the array whose elements are pieces (0: none).
    elem_depth: usize,
    elem_kind: PieceKind,
    collecting: bool,
    elem_closed: bool,
    elem_start: u64,
    elem_line: u64,
    elem_index: u64,
    buf: Vec<u8>,
    buffering_top: bool,
    top_buf: Vec<u8>,
    top_start: u64,
    top_line: u64,
    top_values: u64,
    bom_checked: bool,
    dead: bool,
    /// Whether the inside of a record is skimmed in bulk (off only in tests, which check
    /// that both ways split every input alike).
    skim: bool,
    /// Shapes seen, for the report.
    pub format: Format,
    /// Structural problems (per-record ones are the caller's).
    pub problems: Vec<ProblemKind>,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            offset: 0,
            line: 1,
            stack: Vec::new(),
            in_string: false,
            escape: false,
            top: Top::Between,
            key: Vec::new(),
            capturing_key: false,
            digest_keys: false,
            elem_depth: 0,
            elem_kind: PieceKind::Record,
            collecting: false,
            elem_closed: false,
            elem_start: 0,
            elem_line: 0,
            elem_index: 0,
            buf: Vec::new(),
            buffering_top: false,
            top_buf: Vec::new(),
            top_start: 0,
            top_line: 0,
            top_values: 0,
            bom_checked: false,
            dead: false,
            skim: true,
            format: Format::Unknown,
            problems: Vec::new(),
        }
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Splitter {
    /// Whether a structural error stopped reading.
    pub fn stopped(&self) -> bool {
        self.dead
    }

    /// Feeds the next bytes; complete values are passed to `out` as they are found.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if !self.bom_checked && !chunk.is_empty() {
            // A BOM split across chunks is not worth handling: CloudTrail never writes one
            // and hand-made files put it in the first bytes of the first chunk.
            self.bom_checked = true;
            if let Some(rest) = chunk.strip_prefix(b"\xEF\xBB\xBF") {
                chunk = rest;
                self.offset += 3;
            }
        }
        let base = self.offset;
        let mut i = 0;
        while i < chunk.len() && !self.dead {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    self.string_bytes(&chunk[i..=i]);
                    i += 1;
                    continue;
                }
                match memchr2(b'"', b'\\', &chunk[i..]) {
                    None => {
                        self.string_bytes(&chunk[i..]);
                        i = chunk.len();
                    }
                    Some(k) => {
                        let j = i + k;
                        self.string_bytes(&chunk[i..=j]);
                        if chunk[j] == b'\\' {
                            self.escape = true;
                        } else {
                            self.in_string = false;
                            if self.capturing_key {
                                self.capturing_key = false;
                                // The closing quote was copied with the key; drop it.
                                self.key.pop();
                                self.end_key();
                            }
                        }
                        i = j + 1;
                    }
                }
                continue;
            }
            if self.skim
                && self.collecting
                && !self.buffering_top
                && self.elem_depth != 0
                && self.stack.len() > self.elem_depth
            {
                i = self.skim_record(chunk, i, base, out);
                continue;
            }
            self.structural(chunk[i], base + i as u64, chunk, out);
            i += 1;
        }
        self.offset = base + chunk.len() as u64;
    }

    /// Reads on from `i` inside a record, below its own level and outside any string, up
    /// to the record's closing bracket or the end of the chunk; returns where it stopped.
    ///
    /// There only nesting, strings and line breaks matter (what [`Self::structural`] does
    /// at depth 0 and 1 cannot happen), so this is a tight loop that copies the bytes it
    /// passes in one piece: the bulk of a file goes through here, not byte by byte.
    fn skim_record(
        &mut self,
        chunk: &[u8],
        mut i: usize,
        base: u64,
        out: &mut dyn FnMut(Piece<'_>),
    ) -> usize {
        let start = i;
        while i < chunk.len() {
            let c = chunk[i];
            match c {
                b'"' => {
                    // The string's end: the next quote not escaped by a backslash.
                    let mut j = i + 1;
                    loop {
                        match memchr2(b'"', b'\\', &chunk[j..]) {
                            None => {
                                self.in_string = true;
                                self.buf.extend_from_slice(&chunk[start..]);
                                return chunk.len();
                            }
                            Some(k) if chunk[j + k] == b'"' => {
                                i = j + k + 1;
                                break;
                            }
                            Some(k) if j + k + 1 == chunk.len() => {
                                // The escaped byte comes in the next chunk.
                                self.in_string = true;
                                self.escape = true;
                                self.buf.extend_from_slice(&chunk[start..]);
                                return chunk.len();
                            }
                            Some(k) => j += k + 2,
                        }
                    }
                }
                b'{' | b'[' => {
                    self.stack.push(c);
                    i += 1;
                }
                b'}' | b']' => {
                    let expected = if self.stack.last() == Some(&b'{') {
                        b'}'
                    } else {
                        b']'
                    };
                    if c != expected {
                        // Reported (with its position) by the byte-by-byte path.
                        self.buf.extend_from_slice(&chunk[start..i]);
                        self.structural(c, base + i as u64, chunk, out);
                        return i + 1;
                    }
                    self.stack.pop();
                    i += 1;
                    if self.stack.len() == self.elem_depth {
                        self.elem_closed = true;
                        break;
                    }
                }
                b'\n' => {
                    self.line += 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        self.buf.extend_from_slice(&chunk[start..i]);
        i
    }

    fn string_bytes(&mut self, s: &[u8]) {
        if self.collecting {
            self.buf.extend_from_slice(s);
        }
        if self.buffering_top {
            self.top_buf.extend_from_slice(s);
        }
        if self.capturing_key && self.key.len() < 64 {
            self.key.extend_from_slice(s);
        }
    }

    fn end_key(&mut self) {
        let key = match self.key.as_slice() {
            b"Records" => Key::Records,
            b"Events" => Key::Events,
            b"logFiles" | b"digestStartTime" | b"digestEndTime" | b"previousDigestSignature" => {
                self.digest_keys = true;
                Key::Other
            }
            _ => Key::Other,
        };
        self.top = Top::ObjAfterKey(key);
    }

    fn emit_element(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        self.collecting = false;
        self.elem_closed = false;
        let end = self
            .buf
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        out(Piece {
            kind: self.elem_kind,
            index: self.elem_index,
            offset: self.elem_start,
            line: self.elem_line,
            bytes: &self.buf[..end],
        });
        self.elem_index += 1;
        self.buf.clear();
    }

    fn fail(&mut self, kind: ProblemKind) {
        self.problems.push(kind);
        self.dead = true;
        self.collecting = false;
        self.buffering_top = false;
    }

    fn structural(&mut self, c: u8, pos: u64, chunk: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            if c == b'\n' {
                self.line += 1;
            }
            if self.collecting {
                self.buf.push(c);
            }
            if self.buffering_top {
                self.top_buf.push(c);
            }
            return;
        }
        let depth = self.stack.len();
        if self.elem_depth != 0 && depth == self.elem_depth {
            match c {
                b',' => {
                    if self.collecting {
                        self.emit_element(out);
                    }
                    return;
                }
                b']' => {
                    if self.collecting {
                        self.emit_element(out);
                    }
                }
                _ => {
                    if self.collecting && self.elem_closed {
                        self.emit_element(out);
                        self.problems.push(ProblemKind::MissingComma {
                            index: self.elem_index,
                            line: self.line,
                        });
                    }
                    if !self.collecting {
                        self.collecting = true;
                        self.elem_closed = false;
                        self.elem_start = pos;
                        self.elem_line = self.line;
                    }
                }
            }
        }
        if self.collecting {
            self.buf.push(c);
        }
        if self.buffering_top {
            if self.top_buf.len() >= MAX_OBJECT_BYTES {
                self.fail(ProblemKind::Syntax {
                    offset: pos,
                    line: self.line,
                    detail: "a single JSON object larger than 512 MiB that holds no Records array"
                        .to_owned(),
                });
                return;
            }
            self.top_buf.push(c);
        }
        match c {
            b'"' => {
                if depth == 0 {
                    self.garbage(pos, chunk);
                    return;
                }
                self.in_string = true;
                if depth == 1 {
                    match self.top {
                        Top::ObjKey => {
                            self.capturing_key = true;
                            self.key.clear();
                        }
                        Top::ObjBeforeValue(k) => self.value_start(k, c),
                        _ => {}
                    }
                }
            }
            b'{' | b'[' => {
                if depth == 0 {
                    self.top_values += 1;
                    if c == b'[' {
                        self.top = Top::Array;
                        self.elem_depth = 1;
                        self.elem_kind = PieceKind::Element;
                        self.elem_index = 0;
                        self.format = Format::Array;
                    } else {
                        self.top = Top::ObjKey;
                        self.digest_keys = false;
                        self.buffering_top = true;
                        self.top_buf.clear();
                        self.top_buf.push(c);
                        self.top_start = pos;
                        self.top_line = self.line;
                    }
                } else if depth == 1 {
                    if let Top::ObjBeforeValue(k) = self.top {
                        self.value_start(k, c);
                    }
                }
                self.stack.push(c);
            }
            b'}' | b']' => {
                let Some(open) = self.stack.pop() else {
                    self.garbage(pos, chunk);
                    return;
                };
                let expected = if open == b'{' { b'}' } else { b']' };
                if c != expected {
                    self.fail(ProblemKind::Syntax {
                        offset: pos,
                        line: self.line,
                        detail: format!(
                            "'{}' where '{}' was expected{}",
                            c as char,
                            expected as char,
                            if self.collecting {
                                format!(" (inside record {})", self.elem_index)
                            } else {
                                String::new()
                            }
                        ),
                    });
                    return;
                }
                let depth = self.stack.len();
                if self.collecting && depth == self.elem_depth {
                    self.elem_closed = true;
                }
                if self.elem_depth != 0 && depth + 1 == self.elem_depth {
                    // The array of records itself closed.
                    self.elem_depth = 0;
                }
                if depth == 0 {
                    self.end_top_value(out);
                }
            }
            b':' => {
                if depth == 1 {
                    if let Top::ObjAfterKey(k) = self.top {
                        self.top = Top::ObjBeforeValue(k);
                    }
                }
            }
            b',' => {
                if depth == 1 && self.top != Top::Array {
                    self.top = Top::ObjKey;
                }
            }
            _ => {
                if depth == 0 {
                    self.garbage(pos, chunk);
                } else if depth == 1 {
                    if let Top::ObjBeforeValue(k) = self.top {
                        self.value_start(k, c);
                    }
                }
            }
        }
    }

    /// The first byte of a value at depth 1 of a top-level object.
    fn value_start(&mut self, key: Key, c: u8) {
        self.top = Top::ObjValue;
        let (kind, name, format) = match key {
            Key::Records => (PieceKind::Record, "Records", Format::Records),
            Key::Events => (PieceKind::LookupEntry, "Events", Format::LookupEvents),
            Key::Other => return,
        };
        if c == b'[' {
            self.elem_depth = 2;
            self.elem_kind = kind;
            self.elem_index = 0;
            self.buffering_top = false;
            self.top_buf = Vec::new();
            self.format = format;
        } else {
            self.problems
                .push(ProblemKind::NotAnArray { key: name.into() });
        }
    }

    fn end_top_value(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if self.buffering_top {
            self.buffering_top = false;
            let kind = if self.digest_keys {
                PieceKind::Digest
            } else {
                PieceKind::Object
            };
            if self.format == Format::Unknown {
                self.format = if self.digest_keys {
                    Format::Digest
                } else {
                    Format::Objects
                };
            }
            out(Piece {
                kind,
                index: self.top_values - 1,
                offset: self.top_start,
                line: self.top_line,
                bytes: &self.top_buf,
            });
            self.top_buf.clear();
        }
        self.top = Top::Between;
    }

    fn garbage(&mut self, pos: u64, chunk: &[u8]) {
        if self.top_values == 0 {
            let at = (pos - self.offset) as usize;
            let first = &chunk[at.min(chunk.len())..];
            self.fail(ProblemKind::NotJson {
                first_bytes: hex_prefix(first),
            });
        } else {
            self.problems.push(ProblemKind::TrailingData {
                offset: pos,
                line: self.line,
            });
            self.dead = true;
        }
    }

    /// Hands out a record that is complete but not yet followed by `,` or `]` (used when
    /// reading stops early, so the last whole record is not lost).
    pub fn flush_complete(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if self.collecting && self.elem_closed {
            self.emit_element(out);
        }
    }

    /// Ends the input; reports a value left open.
    pub fn finish(&mut self) {
        if self.dead {
            return;
        }
        if !self.stack.is_empty() || self.in_string {
            let record = self.collecting.then_some(self.elem_index);
            self.fail(ProblemKind::Truncated {
                offset: self.offset,
                line: self.line,
                record,
            });
        } else if self.top_values == 0 {
            self.problems.push(ProblemKind::Empty);
        }
    }
}

/// A LookupEvents entry: the record is a JSON string inside it.
#[derive(Deserialize)]
struct LookupEntry<'a> {
    #[serde(borrow, rename = "CloudTrailEvent", default)]
    cloud_trail_event: Text<'a>,
}

/// 64-bit key for de-duplication: the `eventID`, or else the record's content.
///
/// Records without an `eventID` are rare (eventVersion 1.0, hand-made files), so they are
/// canonicalised through `serde_json::Value` (sorted keys, no whitespace): pretty and
/// compact copies, or copies with keys in another order, are the same record.
fn dedup_key(event_id: &str, bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if event_id.is_empty() {
        1u8.hash(&mut h);
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => v.to_string().hash(&mut h),
            Err(_) => bytes.hash(&mut h),
        }
    } else {
        0u8.hash(&mut h);
        event_id.hash(&mut h);
    }
    h.finish()
}

/// A whole gzip file inflated (`None` when the bytes are not gzip).
pub fn inflate_all(file: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    if !file.starts_with(&[0x1f, 0x8b]) {
        return None;
    }
    let mut out = Vec::with_capacity(inflated_size_hint(file));
    // A damaged tail still leaves the records before it readable.
    let _ = flate2::read::MultiGzDecoder::new(file).read_to_end(&mut out);
    Some(out)
}

/// The inflated size a gzip file states in its last four bytes (its last member's size,
/// modulo 4 GiB), bounded by what a file of this size may plausibly inflate to: room made
/// once instead of the output being copied as it doubles (a tenth of a search's time).
fn inflated_size_hint(file: &[u8]) -> usize {
    let stated = file
        .len()
        .checked_sub(4)
        .and_then(|at| file.get(at..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map_or(0, |tail| u32::from_le_bytes(tail) as usize);
    stated
        .min(file.len().saturating_mul(64))
        .min(BOMB_FLOOR as usize)
}

/// One record from inflated bytes, LookupEvents entries unwrapped to the record inside.
pub fn extract_record_value(bytes: &[u8], origin: Origin) -> Result<serde_json::Value, String> {
    let end = origin.offset as usize + origin.len as usize;
    let slice = bytes
        .get(origin.offset as usize..end)
        .ok_or("the file is shorter than when it was loaded (did it change?)")?;
    let mut value: serde_json::Value = serde_json::from_slice(slice)
        .or_else(|_| serde_json::from_slice(&scrub_control_characters(slice)))
        .map_err(|e| format!("the record could not be read again: {e}"))?;
    if let Some(inner) = value.get("CloudTrailEvent").and_then(|v| v.as_str()) {
        if let Ok(v) = serde_json::from_str(inner) {
            value = v;
        }
    }
    Ok(value)
}

/// Re-reads one record from its file's bytes (as loaded: gzip or plain) as pretty JSON.
pub fn extract_record(file: &[u8], origin: Origin) -> Result<String, String> {
    let inflated = inflate_all(file);
    let value = extract_record_value(inflated.as_deref().unwrap_or(file), origin)?;
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

/// The de-duplication key of a record with this `eventID` (to find it in the store).
pub fn event_id_key(event_id: &str) -> u64 {
    dedup_key(event_id, b"")
}

/// Replaces raw control characters with spaces (they are invalid inside JSON strings).
fn scrub_control_characters(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b < 0x20 { b' ' } else { b })
        .collect()
}

/// Whether `inflated` bytes from `compressed` bytes look like a gzip bomb.
fn is_bomb(inflated: u64, compressed: u64) -> bool {
    inflated > MAX_INFLATED_BYTES
        || (inflated > BOMB_FLOOR && inflated > compressed.saturating_mul(BOMB_RATIO))
}

enum Layer {
    /// Still reading the first bytes to decide.
    Sniffing(Vec<u8>),
    Plain,
    Gzip(Box<MultiGzDecoder<Vec<u8>>>),
    /// Stopped: the rest of the file is ignored.
    Stopped,
}

/// Loads one file, chunk by chunk, into an [`EventSink`].
pub struct FileIngest {
    layer: Layer,
    splitter: Splitter,
    report: FileReport,
    non_records: u64,
    listed: usize,
    unlisted: u64,
}

impl FileIngest {
    /// Starts loading file number `file` called `name`.
    pub fn new(file: u32, name: impl Into<String>) -> Self {
        FileIngest {
            layer: Layer::Sniffing(Vec::new()),
            splitter: Splitter::default(),
            report: FileReport {
                file,
                name: name.into(),
                ..FileReport::default()
            },
            non_records: 0,
            listed: 0,
            unlisted: 0,
        }
    }

    /// The report so far (counts grow as chunks are pushed).
    pub fn report(&self) -> &FileReport {
        &self.report
    }

    /// Whether the rest of the file would be ignored (a fatal problem was found).
    pub fn stopped(&self) -> bool {
        matches!(self.layer, Layer::Stopped) || self.splitter.stopped()
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn EventSink) {
        self.report.bytes += chunk.len() as u64;
        match &mut self.layer {
            Layer::Sniffing(head) => {
                head.extend_from_slice(chunk);
                if head.len() < 4 {
                    return;
                }
                let head = std::mem::take(head);
                self.decide(&head, sink);
            }
            Layer::Plain => self.split(chunk, sink),
            Layer::Gzip(_) => self.inflate(chunk, sink),
            Layer::Stopped => {}
        }
    }

    fn decide(&mut self, head: &[u8], sink: &mut dyn EventSink) {
        let known = |what: &'static str| ProblemKind::NotCloudTrail { what: what.into() };
        let problem = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(known("a ZIP archive, not a CloudTrail log: unzip it and drop the extracted files or folder"))
        } else if head.starts_with(b"\x89PNG") {
            Some(known("a PNG image, not a CloudTrail log"))
        } else if head.starts_with(b"BZh") {
            Some(known(
                "bzip2-compressed, which is not supported: decompress it (bunzip2) first",
            ))
        } else if head.starts_with(b"\x28\xb5\x2f\xfd") {
            Some(known(
                "zstd-compressed, which is not supported: decompress it (unzstd) first",
            ))
        } else if head.starts_with(b"\xfd7zXZ") {
            Some(known(
                "xz-compressed, which is not supported: decompress it (unxz) first",
            ))
        } else if head.starts_with(b"%PDF") {
            Some(known("a PDF document, not a CloudTrail log"))
        } else {
            None
        };
        if let Some(kind) = problem {
            self.problem(kind);
            self.layer = Layer::Stopped;
            return;
        }
        if head.starts_with(b"\x1f\x8b") {
            self.report.gzip = true;
            self.layer = Layer::Gzip(Box::new(MultiGzDecoder::new(Vec::new())));
            self.inflate(head, sink);
        } else {
            self.layer = Layer::Plain;
            self.split(head, sink);
        }
    }

    fn inflate(&mut self, chunk: &[u8], sink: &mut dyn EventSink) {
        let Layer::Gzip(dec) = &mut self.layer else {
            return;
        };
        // Feed in slices so that one push never inflates more than a few MB at once.
        let mut result = Ok(());
        let mut out = Vec::new();
        for part in chunk.chunks(16 << 10) {
            result = dec.write_all(part);
            out.append(dec.get_mut());
            if result.is_err() {
                break;
            }
            if is_bomb(self.report.inflated + out.len() as u64, self.report.bytes) {
                break;
            }
        }
        self.split(&out, sink);
        if is_bomb(self.report.inflated, self.report.bytes) {
            let mut splitter = std::mem::take(&mut self.splitter);
            splitter.flush_complete(&mut |piece| self.piece(piece, sink));
            self.splitter = splitter;
            self.problem(ProblemKind::TooLarge {
                inflated: self.report.inflated,
                compressed: self.report.bytes,
            });
            self.layer = Layer::Stopped;
        } else if let Err(e) = result {
            self.problem(ProblemKind::Gzip {
                detail: e.to_string(),
            });
            self.layer = Layer::Stopped;
        }
    }

    fn split(&mut self, bytes: &[u8], sink: &mut dyn EventSink) {
        self.report.inflated += bytes.len() as u64;
        let mut splitter = std::mem::take(&mut self.splitter);
        splitter.feed(bytes, &mut |piece| self.piece(piece, sink));
        self.splitter = splitter;
    }

    fn problem(&mut self, kind: ProblemKind) {
        self.report.problems.push(Problem {
            file: self.report.name.clone(),
            kind,
        });
    }

    /// Lists a per-record problem, or only counts it past the limit.
    fn record_problem(&mut self, kind: ProblemKind) {
        if self.listed < MAX_LISTED_PROBLEMS {
            self.listed += 1;
            self.problem(kind);
        } else {
            self.unlisted += 1;
        }
    }

    fn piece(&mut self, piece: Piece<'_>, sink: &mut dyn EventSink) {
        match piece.kind {
            PieceKind::Digest => self.report.digests += 1,
            PieceKind::Record | PieceKind::Element | PieceKind::Object => {
                self.record(&piece, piece.bytes, sink)
            }
            PieceKind::LookupEntry => match serde_json::from_slice::<LookupEntry>(piece.bytes) {
                Ok(entry) => match entry.cloud_trail_event.str() {
                    Some(inner) => {
                        let inner = inner.to_owned();
                        self.record(&piece, inner.as_bytes(), sink);
                    }
                    // Some LookupEvents output (Insights) holds the records themselves.
                    None => self.record(&piece, piece.bytes, sink),
                },
                Err(e) => self.bad_json(&piece, &e),
            },
        }
    }

    fn bad_json(&mut self, piece: &Piece<'_>, e: &serde_json::Error) {
        self.report.bad_records += 1;
        // serde_json counts lines within the record; make them file lines.
        let line = piece.line + e.line().saturating_sub(1) as u64;
        let detail = e.to_string();
        let detail = detail
            .split(" at line ")
            .next()
            .unwrap_or(&detail)
            .to_owned();
        self.record_problem(ProblemKind::BadRecord {
            index: piece.index,
            offset: piece.offset,
            line,
            detail,
        });
    }

    fn record(&mut self, piece: &Piece<'_>, bytes: &[u8], sink: &mut dyn EventSink) {
        // Two repairs keep a record that a strict parser would drop: raw control characters
        // in strings, and bytes that are not UTF-8. Each is reported as a warning.
        let repaired;
        let parsed = match serde_json::from_slice::<RawRecord>(bytes) {
            Err(e) => {
                let message = e.to_string();
                let repair = if message.starts_with("control character") {
                    Some((
                        scrub_control_characters(bytes),
                        ProblemKind::ControlCharacters {
                            index: piece.index,
                            line: piece.line,
                        },
                    ))
                } else if message.starts_with("invalid unicode code point") {
                    Some((
                        String::from_utf8_lossy(bytes).into_owned().into_bytes(),
                        ProblemKind::InvalidUtf8 {
                            index: piece.index,
                            line: piece.line,
                        },
                    ))
                } else {
                    None
                };
                match repair {
                    Some((fixed, warning)) => {
                        repaired = fixed;
                        let again = serde_json::from_slice::<RawRecord>(&repaired);
                        if again.is_ok() {
                            self.record_problem(warning);
                        }
                        again
                    }
                    None => Err(e),
                }
            }
            ok => ok,
        };
        let raw = match parsed {
            Ok(raw) => raw,
            Err(e) => return self.bad_json(piece, &e),
        };
        // Inside a Records or Events array every object is a record, read leniently even
        // when none of its fields is readable; elsewhere, an object needs CloudTrail fields.
        let trusted = matches!(piece.kind, PieceKind::Record | PieceKind::LookupEntry);
        if !trusted && !raw.looks_like_cloudtrail() {
            self.non_records += 1;
            if piece.kind != PieceKind::Object {
                self.report.bad_records += 1;
                self.record_problem(ProblemKind::NotARecord {
                    index: piece.index,
                    line: piece.line,
                });
            }
            return;
        }
        let event = Event::from_raw(&raw);
        self.report.records += 1;
        if event.flags & flags::INSIGHT != 0 {
            self.report.insights += 1;
        }
        let origin = Origin {
            file: self.report.file,
            offset: piece.offset,
            len: u32::try_from(piece.bytes.len()).unwrap_or(u32::MAX),
        };
        if sink.push(&event, dedup_key(event.event_id, bytes), origin) {
            self.report.added += 1;
        } else {
            self.report.duplicates += 1;
        }
    }

    /// Ends the file and returns its report.
    pub fn finish(mut self, sink: &mut dyn EventSink) -> FileReport {
        match std::mem::replace(&mut self.layer, Layer::Stopped) {
            Layer::Sniffing(head) => {
                if head.is_empty() {
                    self.problem(ProblemKind::Empty);
                    return self.report;
                }
                self.decide(&head, sink);
                return self.finish(sink);
            }
            Layer::Gzip(mut dec) => {
                let result = dec.try_finish();
                let rest = std::mem::take(dec.get_mut());
                self.split(&rest, sink);
                if let Err(e) = result {
                    let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof
                        || e.to_string().contains("end of file")
                    {
                        ProblemKind::GzipTruncated
                    } else {
                        ProblemKind::Gzip {
                            detail: e.to_string(),
                        }
                    };
                    self.problem(kind);
                    // The JSON is cut off too; that message would only repeat this one.
                    self.splitter.finish();
                    self.splitter.problems.retain(|p| {
                        !matches!(p, ProblemKind::Truncated { .. } | ProblemKind::Empty)
                    });
                } else {
                    self.splitter.finish();
                }
            }
            Layer::Plain => self.splitter.finish(),
            Layer::Stopped => {}
        }
        let structural = std::mem::take(&mut self.splitter.problems);
        for kind in structural {
            self.problem(kind);
        }
        if self.report.records == 0 && self.non_records > 0 {
            // A whole array of non-CloudTrail objects is one problem, not one per object.
            let listed = self
                .report
                .problems
                .iter()
                .filter(|p| matches!(p.kind, ProblemKind::NotARecord { .. }))
                .count() as u64;
            self.report
                .problems
                .retain(|p| !matches!(p.kind, ProblemKind::NotARecord { .. }));
            self.unlisted = self.unlisted.saturating_sub(self.non_records - listed);
            self.report.bad_records = self.report.bad_records.saturating_sub(self.non_records);
        }
        if self.unlisted > 0 {
            self.problem(ProblemKind::More {
                count: self.unlisted,
            });
        }
        if self.splitter.format != Format::Unknown {
            self.report.format = self.splitter.format;
        }
        let has_fatal = self.report.problems.iter().any(|p| !p.is_warning());
        if self.report.records == 0 && self.report.digests == 0 && !has_fatal {
            self.problem(ProblemKind::NoRecords {
                objects: self.non_records,
            });
        }
        self.report
    }
}

/// Loads a whole file held in memory (tests, the native tools).
pub fn ingest_bytes(file: u32, name: &str, bytes: &[u8], sink: &mut dyn EventSink) -> FileReport {
    let mut ingest = FileIngest::new(file, name);
    for chunk in bytes.chunks(CHUNK) {
        ingest.push(chunk, sink);
        if ingest.stopped() {
            break;
        }
    }
    ingest.finish(sink)
}

/// The total bytes for the progress bar while sizes are learned file by file: the sizes
/// known so far plus their average for each file not yet sized. A `File`'s size asks the
/// browser for the file's metadata (0.1 to 0.2 ms each: sizing 2,000 files up front held
/// the page for 300 ms or more), so it is asked once per file, as the file is read.
#[derive(Debug, Default, Clone, Copy)]
pub struct SizeEstimate {
    known: u64,
    sized: usize,
    files: usize,
}

impl SizeEstimate {
    pub fn new(files: usize) -> Self {
        SizeEstimate {
            files,
            ..SizeEstimate::default()
        }
    }

    pub fn learn(&mut self, size: u64) {
        self.known += size;
        self.sized += 1;
    }

    pub fn total(&self) -> u64 {
        if self.sized == 0 {
            return 0;
        }
        let rest = self.files.saturating_sub(self.sized) as u64;
        self.known + self.known / self.sized as u64 * rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_estimate_extrapolates_until_every_file_is_sized() {
        let mut e = SizeEstimate::new(4);
        assert_eq!(e.total(), 0, "nothing known yet");
        e.learn(100);
        assert_eq!(e.total(), 400, "100 known + 3 files at the average of 100");
        e.learn(300);
        assert_eq!(e.total(), 800, "400 known + 2 files at 200");
        e.learn(0);
        e.learn(50);
        assert_eq!(e.total(), 450, "every file sized: exact");
    }

    /// A sink that keeps event names, for splitter and ingest tests.
    #[derive(Default)]
    struct Names(Vec<String>, std::collections::HashSet<u64>);

    impl EventSink for Names {
        fn push(&mut self, event: &Event<'_>, key: u64, _: Origin) -> bool {
            if !self.1.insert(key) {
                return false;
            }
            self.0.push(event.event_name.to_owned());
            true
        }
    }

    fn load(bytes: &[u8]) -> (Vec<String>, FileReport) {
        let mut sink = Names::default();
        let report = ingest_bytes(0, "f.json", bytes, &mut sink);
        (sink.0, report)
    }

    fn load_chunked(bytes: &[u8], size: usize) -> (Vec<String>, FileReport) {
        let mut sink = Names::default();
        let mut ingest = FileIngest::new(0, "f.json");
        for c in bytes.chunks(size) {
            ingest.push(c, &mut sink);
        }
        let report = ingest.finish(&mut sink);
        (sink.0, report)
    }

    const TWO: &str = r#"{"Records":[{"eventName":"A","eventID":"1"},{"eventName":"B","eventID":"2","x":"a\"]}\\"}]}"#;

    #[test]
    fn records_any_chunking() {
        for size in [1, 2, 3, 7, 64, 1000] {
            let (names, report) = load_chunked(TWO.as_bytes(), size);
            assert_eq!(names, ["A", "B"], "chunk size {size}");
            assert_eq!(report.format, Format::Records);
            assert!(report.problems.is_empty(), "{:?}", report.problems);
        }
    }

    /// A piece as handed out: kind, index, offset, line and bytes.
    type Handed = (PieceKind, u64, u64, u64, Vec<u8>);

    /// Everything a splitter hands out for `bytes` fed in pieces of `size`.
    fn split(bytes: &[u8], size: usize, skim: bool) -> (Vec<Handed>, Vec<ProblemKind>, Format) {
        let mut splitter = Splitter {
            skim,
            ..Splitter::default()
        };
        let mut pieces = Vec::new();
        for c in bytes.chunks(size) {
            splitter.feed(c, &mut |p| {
                pieces.push((p.kind, p.index, p.offset, p.line, p.bytes.to_vec()))
            });
        }
        splitter.flush_complete(&mut |p| {
            pieces.push((p.kind, p.index, p.offset, p.line, p.bytes.to_vec()))
        });
        splitter.finish();
        (pieces, splitter.problems, splitter.format)
    }

    #[test]
    fn skimming_records_splits_like_reading_byte_by_byte() {
        let demo: Vec<u8> = crate::demo::generate(crate::demo::DemoConfig {
            events: 300,
            ..Default::default()
        })
        .flat_map(|f| f.json)
        .collect();
        let pretty = serde_json::to_vec_pretty(
            &serde_json::from_str::<serde_json::Value>(TWO).unwrap_or_default(),
        )
        .unwrap_or_default();
        let inputs: Vec<Vec<u8>> = vec![
            TWO.as_bytes().to_vec(),
            pretty,
            demo,
            // Escapes (a backslash last in a chunk, escaped quotes and backslashes), nested
            // arrays and objects, brackets inside strings, line breaks between values.
            br#"{"Records":[{"a":"x\\","b":["]",{"c":"\"}"}],"d":{"e":[[1],[2,{"f":"\\\""}]]}},
{"eventName":"B"}
]}"#
            .to_vec(),
            // A mismatched bracket inside a record, a truncated record, a missing comma.
            br#"{"Records":[{"eventName":"A","x":{"y":[1,2}}]}"#.to_vec(),
            br#"{"Records":[{"eventName":"A"},{"eventName":"B","x":{"y":"#.to_vec(),
            b"[{\"eventName\":\"A\",\"x\":{\"y\":1}}\n{\"eventName\":\"B\"}]".to_vec(),
            br#"{"Events":[{"CloudTrailEvent":"{\"eventName\":\"C\"}","x":{"y":[]}}]}"#.to_vec(),
            br#"[{"x":{"y":[{}]}}] trailing"#.to_vec(),
        ];
        for (n, input) in inputs.iter().enumerate() {
            let whole = split(input, input.len().max(1), false);
            for size in [1, 2, 3, 5, 8, 13, 64, 1000, 1 << 16] {
                assert_eq!(
                    split(input, size, true),
                    whole,
                    "input {n}, pieces of {size} bytes"
                );
            }
        }
    }

    #[test]
    fn bare_array_json_lines_single_and_bom() {
        let (n, r) = load(br#"[{"eventName":"A"},{"eventName":"B"}]"#);
        assert_eq!((n.len(), r.format), (2, Format::Array));
        let (n, r) = load(b"{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n");
        assert_eq!((n.len(), r.format), (2, Format::Objects));
        let (n, _) = load(b"\xEF\xBB\xBF{\"eventName\":\"A\",\"eventID\":\"x\"}");
        assert_eq!(n, ["A"]);
    }

    #[test]
    fn lookup_events() {
        let inner = r#"{"eventName":"ConsoleLogin","eventID":"e1"}"#;
        let doc = serde_json::json!({"Events":[{"EventId":"e1","CloudTrailEvent": inner}], "NextToken":"x"});
        let (n, r) = load(doc.to_string().as_bytes());
        assert_eq!(n, ["ConsoleLogin"]);
        assert_eq!(r.format, Format::LookupEvents);
    }

    #[test]
    fn digest_is_counted_not_loaded() {
        let (n, r) = load(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#);
        assert!(n.is_empty());
        assert_eq!(r.digests, 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn malformed_record_costs_only_itself() {
        let (n, r) =
            load(br#"{"Records":[{"eventName":"A"},{"eventName":"B",},{"eventName":"C"}]}"#);
        assert_eq!(n, ["A", "C"]);
        assert_eq!(r.bad_records, 1);
        assert!(
            matches!(r.problems[0].kind, ProblemKind::BadRecord { index: 1, .. }),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn missing_comma_keeps_both() {
        let (n, r) = load(b"[{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}]");
        assert_eq!(n, ["A", "B"]);
        assert!(matches!(
            r.problems[0].kind,
            ProblemKind::MissingComma { .. }
        ));
    }

    #[test]
    fn truncated_and_not_json() {
        let (n, r) = load(br#"{"Records":[{"eventName":"A"},{"eventName":"B""#);
        assert_eq!(n, ["A"]);
        assert!(matches!(
            r.problems[0].kind,
            ProblemKind::Truncated {
                record: Some(1),
                ..
            }
        ));
        let (_, r) = load(b"hello world");
        assert!(matches!(r.problems[0].kind, ProblemKind::NotJson { .. }));
        let (_, r) = load(b"PK\x03\x04rest");
        assert!(r.problems[0].to_string().contains("unzip"));
        let (_, r) = load(b"");
        assert_eq!(r.problems[0].kind, ProblemKind::Empty);
        let (_, r) = load(br#"{"Records":"not an array"}"#);
        assert_eq!(
            r.problems[0].kind,
            ProblemKind::NotAnArray {
                key: "Records".into()
            }
        );
        let (n, r) = load(br#"[{"eventName":"A"}] trailing"#);
        assert_eq!(n, ["A"]);
        assert!(matches!(
            r.problems[0].kind,
            ProblemKind::TrailingData { .. }
        ));
        let (_, r) = load(br#"{"Type":"Notification"}"#);
        assert_eq!(r.problems[0].kind, ProblemKind::NoRecords { objects: 1 });
    }

    #[test]
    fn invalid_utf8_is_repaired() {
        let (n, r) = load(b"[{\"eventName\":\"A\xff\xfeB\",\"eventID\":\"u1\"}]");
        assert_eq!(n, ["A\u{FFFD}\u{FFFD}B"]);
        assert!(matches!(
            r.problems[0].kind,
            ProblemKind::InvalidUtf8 { index: 0, .. }
        ));
    }

    #[test]
    fn deep_nesting_and_huge_strings_do_not_crash() {
        let deep = format!(
            "[{{\"eventName\":\"D\",\"x\":{}{}}}]",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let (n, _) = load(deep.as_bytes());
        assert_eq!(n, ["D"]);
        let big = format!(
            "[{{\"eventName\":\"B\",\"errorMessage\":\"{}\"}}]",
            "x".repeat(50 << 20)
        );
        let (n, r) = load(big.as_bytes());
        assert_eq!(n, ["B"]);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn control_characters_are_repaired() {
        let (n, r) = load(b"{\"eventName\":\"A\",\"errorMessage\":\"a\x01b\"}");
        assert_eq!(n, ["A"]);
        assert!(r.problems[0].is_warning());
    }

    #[test]
    fn dedup_ignores_whitespace_and_key_order_without_event_id() {
        assert_eq!(
            dedup_key("", br#"{"a": "x y", "b": 1}"#),
            dedup_key("", b"{\"b\":1,\"a\":\n\"x y\"}")
        );
        assert_ne!(
            dedup_key("", br#"{"a":"x y"}"#),
            dedup_key("", br#"{"a":"xy"}"#)
        );
    }

    #[test]
    fn records_are_re_read_from_their_origin() {
        use flate2::write::GzEncoder;
        let mut store = crate::store::Store::new();
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(TWO.as_bytes()).unwrap();
        let gz = e.finish().unwrap();
        ingest_bytes(0, "f", &gz, &mut store);
        let json = extract_record(&gz, store.origin[1]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["eventName"], "B");
        assert_eq!(v["x"], "a\"]}\\");
        assert!(extract_record(b"short", store.origin[1]).is_err());
    }

    #[test]
    fn gzip_bomb_stops_with_a_message() {
        use flate2::write::GzEncoder;
        // 200 MB of spaces after one record: a few hundred KB compressed.
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b"[{\"eventName\":\"A\"}").unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..200 {
            e.write_all(&spaces).unwrap();
        }
        e.write_all(b"]").unwrap();
        let gz = e.finish().unwrap();
        assert!(gz.len() < 1 << 20, "{}", gz.len());
        let (n, r) = load(&gz);
        assert_eq!(n, ["A"]);
        assert!(
            matches!(r.problems[0].kind, ProblemKind::TooLarge { .. }),
            "{:?}",
            r.problems
        );
        assert!(r.problems[0].to_string().contains("gzip bomb"));
    }

    #[test]
    fn inflated_size_hint_is_the_stated_size_within_bounds() {
        use flate2::write::GzEncoder;
        let json = br#"{"Records":[{"eventName":"A"}]}"#.repeat(100);
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&json).unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(inflated_size_hint(&gz), json.len());
        assert_eq!(inflate_all(&gz).as_deref(), Some(&json[..]));
        // A lying trailer cannot make a small file ask for gigabytes.
        let mut lying = gz.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(inflated_size_hint(&lying), gz.len() * 64);
        assert_eq!(inflated_size_hint(b"\x1f\x8b"), 0);
    }

    #[test]
    fn gzip_single_and_multi_member() {
        use flate2::write::GzEncoder;
        let gz = |s: &str| {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(s.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let mut multi = gz("{\"eventName\":\"A\"}\n");
        multi.extend(gz("{\"eventName\":\"B\"}\n"));
        for size in [1, 5, 100] {
            let (n, r) = load_chunked(&multi, size);
            assert_eq!(n, ["A", "B"]);
            assert!(r.gzip && r.problems.is_empty(), "{:?}", r.problems);
        }
        let full = gz(TWO);
        let (n, r) = load(&full[..full.len() - 12]);
        assert!(n.len() <= 2);
        assert!(
            r.problems
                .iter()
                .any(|p| p.kind == ProblemKind::GzipTruncated),
            "{:?}",
            r.problems
        );
    }
}
