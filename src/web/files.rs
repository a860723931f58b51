//! Files to load, from a file input, a folder input, or a drag-and-drop of files and
//! folders (walked recursively, as `aws s3 sync` leaves them).

use super::js_error;
use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileList, FileSystemDirectoryEntry, FileSystemDirectoryReader,
    FileSystemEntry, FileSystemFileEntry,
};

/// Something to load: a browser file, or bytes made in the page (the demo).
pub enum Source {
    File { path: String, file: File },
    Memory { path: String, bytes: Vec<u8> },
}

thread_local! {
    /// Every loaded source by file number, so a record can be re-read on demand.
    static SOURCES: std::cell::RefCell<Vec<Option<Source>>> = const { std::cell::RefCell::new(Vec::new()) };
}

thread_local! {
    /// Each file's n-gram sketch once a worker has read it again (the findings pass after a
    /// load reads them all), so whole-record searches skip the files it rules out.
    static SKETCHES: std::cell::RefCell<Vec<Option<crate::core::sketch::FileSketch>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keeps the sketch a worker made of file `file` (packed bytes it did not write are dropped).
fn keep_sketch(file: u32, packed: &[u8]) {
    let sketch = crate::core::sketch::FileSketch::from_bytes(packed);
    SKETCHES.with(|s| {
        let mut s = s.borrow_mut();
        let i = file as usize;
        if s.len() <= i {
            s.resize_with(i + 1, || None);
        }
        s[i] = sketch;
    });
}

/// At most this many bytes of sketches are kept (18 B an event: seven million events'
/// worth); past it, files are searched by reading them, as without sketches, so the
/// sketches never push a tab near the memory guard's limit.
const SKETCH_BUDGET: usize = 128 << 20;

/// Whether a search should ask a worker for this file's sketch.
/// (`room`: whether the kept sketches are under [`SKETCH_BUDGET`].)
fn wants_sketch(file: u32, room: bool) -> bool {
    room && SKETCHES.with(|s| s.borrow().get(file as usize).is_none_or(Option::is_none))
}

/// Bytes held by the kept sketches.
pub fn sketch_bytes() -> usize {
    SKETCHES.with(|s| {
        s.borrow()
            .iter()
            .flatten()
            .map(crate::core::sketch::FileSketch::heap_bytes)
            .sum()
    })
}

/// The rows whose files the prefilter cannot rule out by their sketches, and how many
/// files it ruled out.
fn rows_not_ruled_out(
    rows: &[(u32, crate::core::ingest::Origin)],
    prefilter: &crate::core::fields::RawPrefilter,
) -> (Vec<(u32, crate::core::ingest::Origin)>, usize) {
    let out: Vec<bool> = SKETCHES.with(|s| {
        s.borrow()
            .iter()
            .map(|k| k.as_ref().is_some_and(|k| prefilter.rules_out_file(k)))
            .collect()
    });
    let kept = rows
        .iter()
        .filter(|(_, o)| !out.get(o.file as usize).copied().unwrap_or(false))
        .copied()
        .collect();
    (kept, out.iter().filter(|&&o| o).count())
}

/// Keeps a loaded source for later re-reading.
pub fn keep(file: u32, source: Source) {
    // A new source under this number: an old sketch no longer describes it.
    SKETCHES.with(|s| {
        if let Some(k) = s.borrow_mut().get_mut(file as usize) {
            *k = None;
        }
    });
    SOURCES.with(|s| {
        let mut s = s.borrow_mut();
        let i = file as usize;
        if s.len() <= i {
            s.resize_with(i + 1, || None);
        }
        s[i] = Some(source);
    });
}

/// Runs `f` on a kept source without copying it.
pub fn with_kept<R>(file: u32, f: impl FnOnce(&Source) -> R) -> Option<R> {
    SOURCES.with(|s| {
        s.borrow()
            .get(file as usize)
            .and_then(|x| x.as_ref().map(f))
    })
}

/// A handle on a kept source (a cheap copy for files; a copy of the bytes otherwise).
pub fn kept(file: u32) -> Option<Source> {
    SOURCES.with(|s| {
        s.borrow().get(file as usize).and_then(|x| {
            x.as_ref().map(|src| match src {
                Source::File { path, file } => Source::File {
                    path: path.clone(),
                    file: file.clone(),
                },
                Source::Memory { path, bytes } => Source::Memory {
                    path: path.clone(),
                    bytes: bytes.clone(),
                },
            })
        })
    })
}

/// Re-reads one record of a kept source as pretty JSON.
pub async fn read_record(origin: crate::core::ingest::Origin) -> Result<String, String> {
    let source = kept(origin.file).ok_or("the file of this event is no longer available")?;
    let bytes = match source {
        Source::Memory { bytes, .. } => bytes,
        Source::File { file, .. } => {
            let buf = JsFuture::from(file.array_buffer())
                .await
                .map_err(|e| format!("the file could not be read again: {}", js_error(&e)))?;
            js_sys::Uint8Array::new(&buf).to_vec()
        }
    };
    crate::core::ingest::extract_record(&bytes, origin)
}

impl Source {
    /// The path shown in reports (relative path inside a dropped folder where known).
    pub fn path(&self) -> &str {
        match self {
            Source::File { path, .. } | Source::Memory { path, .. } => path,
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Source::File { file, .. } => file.size() as u64,
            Source::Memory { bytes, .. } => bytes.len() as u64,
        }
    }
}

/// The path of a file picked through an input (`webkitRelativePath` for folders).
fn input_path(file: &File) -> String {
    js_sys::Reflect::get(file, &JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// The files of an `<input type="file">`, sorted by path.
pub fn from_file_list(list: &FileList) -> Vec<Source> {
    let mut out: Vec<Source> = (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| Source::File {
            path: input_path(&file),
            file,
        })
        .collect();
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

/// Takes the dropped entries now: the browser empties the `DataTransfer` once the drop
/// handler returns, so this part must run synchronously.
pub fn dropped_entries(dt: &DataTransfer) -> (Vec<FileSystemEntry>, Vec<File>) {
    let items = dt.items();
    let mut entries = Vec::new();
    let mut loose = Vec::new();
    for i in 0..items.length() {
        let Some(item) = items.get(i) else { continue };
        if item.kind() != "file" {
            continue;
        }
        match item.webkit_get_as_entry() {
            Ok(Some(entry)) => entries.push(entry),
            _ => {
                if let Ok(Some(file)) = item.get_as_file() {
                    loose.push(file);
                }
            }
        }
    }
    (entries, loose)
}

fn read_batch(reader: &FileSystemDirectoryReader) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(e) = reader.read_entries_with_callback_and_callback(&resolve, &reject) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    JsFuture::from(promise)
}

fn entry_file(entry: &FileSystemFileEntry) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    JsFuture::from(promise)
}

/// Walks dropped files and folders; returns the files sorted by path, and the paths that
/// could not be read with the reason.
pub async fn walk(
    entries: Vec<FileSystemEntry>,
    loose: Vec<File>,
) -> (Vec<Source>, Vec<(String, String)>) {
    let mut out: Vec<Source> = loose
        .into_iter()
        .map(|file| Source::File {
            path: file.name(),
            file,
        })
        .collect();
    let mut errors = Vec::new();
    let mut stack = entries;
    while let Some(entry) = stack.pop() {
        let path = entry.full_path().trim_start_matches('/').to_owned();
        if entry.is_directory() {
            let reader = entry
                .unchecked_ref::<FileSystemDirectoryEntry>()
                .create_reader();
            // readEntries returns at most ~100 entries per call; call until it is empty.
            loop {
                match read_batch(&reader).await {
                    Ok(batch) => {
                        let batch: Array = batch.unchecked_into();
                        if batch.length() == 0 {
                            break;
                        }
                        stack.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
                    }
                    Err(e) => {
                        errors.push((path.clone(), format!("folder: {}", js_error(&e))));
                        break;
                    }
                }
            }
        } else if entry.is_file() {
            match entry_file(entry.unchecked_ref::<FileSystemFileEntry>()).await {
                Ok(file) => out.push(Source::File {
                    path,
                    file: file.unchecked_into(),
                }),
                Err(e) => errors.push((path, js_error(&e))),
            }
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    (out, errors)
}

/// Re-reads the records of the given rows (in that order) from their kept sources,
/// yielding between files; returns (row, record) pairs and a message per record that failed.
pub async fn read_records(
    rows: &[(u32, crate::core::ingest::Origin)],
) -> (Vec<(u32, serde_json::Value)>, Vec<String>) {
    read_records_where(rows, None).await
}

/// Like [`read_records`], but returns only the records the prefilter cannot rule out from
/// their raw bytes (the rest are never parsed).
pub async fn read_records_where(
    rows: &[(u32, crate::core::ingest::Origin)],
    prefilter: Option<&crate::core::fields::RawPrefilter>,
) -> (Vec<(u32, serde_json::Value)>, Vec<String>) {
    use std::collections::BTreeMap;
    let mut by_file: BTreeMap<u32, Vec<(u32, crate::core::ingest::Origin)>> = BTreeMap::new();
    for &(row, origin) in rows {
        by_file.entry(origin.file).or_default().push((row, origin));
    }
    let mut found: std::collections::HashMap<u32, serde_json::Value> = Default::default();
    let mut errors = Vec::new();
    for (file, origins) in by_file {
        let Some(source) = kept(file) else {
            errors.push(format!("file {file}: no longer available"));
            continue;
        };
        let bytes = match source {
            Source::Memory { bytes, .. } => bytes,
            Source::File { file: f, path } => match JsFuture::from(f.array_buffer()).await {
                Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                Err(e) => {
                    errors.push(format!(
                        "{path}: could not be read again ({})",
                        js_error(&e)
                    ));
                    continue;
                }
            },
        };
        let (good, bad) = crate::core::export::records_of_file_where(&bytes, &origins, prefilter);
        found.extend(good);
        errors.extend(bad);
        super::yield_now().await;
    }
    let records = rows
        .iter()
        .filter_map(|(row, _)| found.remove(row).map(|v| (*row, v)))
        .collect();
    (records, errors)
}

/// The result of [`check_integrity`].
pub struct IntegrityCheck {
    pub report: crate::core::integrity::IntegrityReport,
    /// The numbers of the files whose hash did not match.
    pub mismatched: Vec<u32>,
    /// The digests, hashed and parsed, for signature checks.
    pub digests: Vec<crate::core::integrity::LoadedFile>,
}

/// Checks every kept log file against every kept digest: re-reads, inflates and hashes
/// each file (yielding between files).
pub async fn check_integrity(files: &[(u32, bool)]) -> IntegrityCheck {
    use crate::core::integrity::{sha256_hex, verify, DigestFile, LoadedFile, Status};
    let mut loaded = Vec::new();
    let mut numbers = Vec::new();
    for &(file, is_digest) in files {
        let Some(source) = kept(file) else { continue };
        let path = source.path().to_owned();
        let bytes = match source {
            Source::Memory { bytes, .. } => bytes,
            Source::File { file: f, .. } => match JsFuture::from(f.array_buffer()).await {
                Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                Err(_) => continue,
            },
        };
        let inflated = crate::core::ingest::inflate_all(&bytes).unwrap_or(bytes);
        let digest = if is_digest {
            DigestFile::parse(&inflated).ok()
        } else {
            None
        };
        loaded.push(LoadedFile {
            path,
            sha256: sha256_hex(&inflated),
            digest,
        });
        numbers.push(file);
        super::yield_now().await;
    }
    let report = verify(&loaded);
    let mismatched = report
        .files
        .iter()
        .filter(|c| c.status == Status::Mismatched)
        .filter_map(|c| {
            let path = c.path.as_deref()?;
            let i = loaded.iter().position(|l| l.path == path)?;
            numbers.get(i).copied()
        })
        .collect();
    let digests = loaded.into_iter().filter(|l| l.digest.is_some()).collect();
    IntegrityCheck {
        report,
        mismatched,
        digests,
    }
}

/// Reads a small picked file (the Identity Center CSV, public keys, signatures) as text.
pub async fn read_text(file: &File) -> Result<String, String> {
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("{}: could not be read ({})", file.name(), js_error(&e)))?;
    text.as_string()
        .ok_or_else(|| format!("{}: is not text", file.name()))
}

/// Groups rows by file for the worker pool; rows whose file is gone get a message.
fn search_files(
    rows: &[(u32, crate::core::ingest::Origin)],
    errors: &mut Vec<String>,
) -> Vec<super::pool::SearchFile> {
    use std::collections::BTreeMap;
    let mut by_file: BTreeMap<u32, Vec<(u32, crate::core::ingest::Origin)>> = BTreeMap::new();
    for &(row, origin) in rows {
        by_file.entry(origin.file).or_default().push((row, origin));
    }
    let mut files = Vec::new();
    let room = sketch_bytes() < SKETCH_BUDGET;
    for (file, rows) in by_file {
        match with_kept(file, |s| s.path().to_owned()) {
            Some(path) => files.push(super::pool::SearchFile {
                file,
                path,
                rows,
                sketch: wants_sketch(file, room),
            }),
            None => errors.push(format!("file {file}: no longer available")),
        }
    }
    files
}

thread_local! {
    /// How many files the last whole-record search skipped by their sketches.
    static LAST_SKIPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many files the last whole-record search skipped by their sketches (for the
/// benchmark and the browser tests).
pub fn last_search_skipped() -> usize {
    LAST_SKIPPED.with(std::cell::Cell::get)
}

/// Whole-record search over `rows`: the rows whose records match every field = value pair
/// and the free text, and the files that could not be read. Runs in a pool of workers
/// (each re-reads its files and answers with rows, so the page stays free) or, without
/// worker support, on the page a file at a time. `stale` stops it early (the answer is
/// then incomplete and must be dropped).
pub async fn search_records(
    rows: &[(u32, crate::core::ingest::Origin)],
    fields: &[(String, String)],
    text: Option<&str>,
    stale: impl Fn() -> bool,
) -> (Vec<u32>, Vec<String>) {
    use crate::core::fields::{record_matches, RawPrefilter};
    let mut errors = Vec::new();
    let prefilter = RawPrefilter::new(fields, text);
    // Files whose sketches show they hold no match are not read at all.
    let (rows, skipped) = match &prefilter {
        Some(p) => rows_not_ruled_out(rows, p),
        None => (rows.to_vec(), 0),
    };
    LAST_SKIPPED.with(|s| s.set(skipped));
    let rows = rows.as_slice();
    let files = search_files(rows, &mut errors);
    if files.is_empty() {
        return (Vec::new(), errors);
    }
    let mut hits = Vec::new();
    let mut more = Vec::new();
    let in_workers = super::pool::search(files, fields, text, false, &stale, |file, answer| {
        hits.extend(answer.rows);
        more.extend(answer.errors);
        if let Some(packed) = answer.sketch {
            keep_sketch(file.file, &packed);
        }
    })
    .await;
    if in_workers {
        errors.extend(more);
        return (hits, errors);
    }
    // On the page, which reports missing files itself.
    let (records, errors) = read_records_where(rows, prefilter.as_ref()).await;
    let hits = records
        .into_iter()
        .filter(|(_, rec)| record_matches(rec, fields, text))
        .map(|(row, _)| row)
        .collect();
    (hits, errors)
}

/// Re-reads the records of `rows` and hands them to `each` a file at a time (in no
/// particular order), for work that needs whole records (the findings, the key trail).
/// Workers re-read and inflate the files, so the page only parses the records it gets;
/// without worker support the page reads them itself, yielding between files. `stale`
/// stops it early. Returns a message per file or record that could not be read.
pub async fn for_each_record(
    rows: &[(u32, crate::core::ingest::Origin)],
    stale: impl Fn() -> bool,
    mut each: impl FnMut(Vec<(u32, serde_json::Value)>),
) -> Vec<String> {
    let mut errors = Vec::new();
    let files = search_files(rows, &mut errors);
    if files.is_empty() {
        return errors;
    }
    let mut more = Vec::new();
    let in_workers = super::pool::search(files, &[], None, true, &stale, |file, answer| {
        more.extend(answer.errors);
        if let Some(packed) = &answer.sketch {
            keep_sketch(file.file, packed);
        }
        let Some((bytes, lens)) = answer.records else {
            return;
        };
        let mut got = Vec::with_capacity(lens.len());
        let mut at = 0usize;
        for (&row, &len) in answer.rows.iter().zip(&lens) {
            let end = at + len as usize;
            match bytes.get(at..end).map(serde_json::from_slice) {
                Some(Ok(value)) => got.push((row, value)),
                _ => more.push(format!("{}: event {row} came back unreadable", file.path)),
            }
            at = end;
        }
        each(got);
    })
    .await;
    if in_workers {
        errors.extend(more);
        return errors;
    }
    // On the page, which reports missing files itself: a file at a time (read_records
    // yields after each).
    errors.clear();
    let mut start = 0;
    while start < rows.len() && !stale() {
        let mut end = start + 1;
        while end < rows.len() && rows[end].1.file == rows[start].1.file {
            end += 1;
        }
        let (got, more) = read_records(&rows[start..end]).await;
        errors.extend(more);
        each(got);
        start = end;
    }
    errors
}
