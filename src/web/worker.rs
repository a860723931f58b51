//! The wasm side of an ingest worker (`assets/worker.js` drives it): one file at a time is
//! fed into a store of its own, then packed for the page (see `core::store::part`).

use crate::core::ingest::{FileIngest, Problem, ProblemKind};
use crate::core::store::Store;
use wasm_bindgen::prelude::*;

/// Bytes handed to the ingest per push (the same granularity as the page's loop).
const FEED_SIZE: usize = 64 * 1024;

/// Loads one file inside a worker.
#[wasm_bindgen]
pub struct WorkerIngest {
    ingest: FileIngest,
    store: Store,
    unreadable: Option<String>,
}

#[wasm_bindgen]
impl WorkerIngest {
    /// Starts file number `file` (the page's numbering) called `name`.
    #[wasm_bindgen(constructor)]
    pub fn new(file: u32, name: String) -> WorkerIngest {
        let mut store = Store::new();
        store.add_file(&name);
        WorkerIngest {
            ingest: FileIngest::new(file, name),
            store,
            unreadable: None,
        }
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(FEED_SIZE) {
            self.ingest.push(chunk, &mut self.store);
            if self.ingest.stopped() {
                break;
            }
        }
    }

    /// Whether the rest of the file would be ignored.
    pub fn stopped(&self) -> bool {
        self.ingest.stopped()
    }

    /// The browser could not read the rest of the file.
    pub fn unreadable(&mut self, detail: String) {
        self.unreadable = Some(detail);
    }

    /// Ends the file: its events and report, packed.
    pub fn finish(self) -> Vec<u8> {
        let WorkerIngest {
            ingest,
            mut store,
            unreadable,
        } = self;
        let mut report = ingest.finish(&mut store);
        if let Some(detail) = unreadable {
            report.problems.push(Problem {
                file: report.name.clone(),
                kind: ProblemKind::Unreadable { detail },
            });
        }
        store.pack(&report)
    }
}

/// Whole-record search inside a worker: re-reads the given rows of one file (its bytes as
/// loaded; `offsets`/`lens` locate each row's record), keeps the records that match the
/// field = value pairs (`fields`, a JSON array of pairs) and the free text, and returns
/// `{rows: Uint32Array, errors: string[]}`. With `with_records` (for the findings, which
/// need the records themselves) also `records`: the matching records as compact JSON, one
/// after another, and `lens`: each one's length in bytes. With `sketch` also `sketch`: the
/// file's n-gram sketch, packed (see `core::sketch`), for the page to keep.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn search_file(
    bytes: &[u8],
    file: u32,
    rows: &[u32],
    offsets: &[f64],
    lens: &[u32],
    fields: &str,
    text: Option<String>,
    with_records: bool,
    sketch: bool,
) -> JsValue {
    use crate::core::fields::{record_matches, RawPrefilter};
    use crate::core::ingest::Origin;
    let fields: Vec<(String, String)> = serde_json::from_str(fields).unwrap_or_default();
    let origins: Vec<(u32, Origin)> = rows
        .iter()
        .zip(offsets.iter().zip(lens))
        .map(|(&row, (&offset, &len))| {
            let origin = Origin {
                file,
                offset: offset as u64,
                len,
            };
            (row, origin)
        })
        .collect();
    let text = text.as_deref();
    let prefilter = RawPrefilter::new(&fields, text);
    let inflated = crate::core::ingest::inflate_all(bytes);
    let bytes = inflated.as_deref().unwrap_or(bytes);
    let (records, errors) =
        crate::core::export::records_of_file_where(bytes, &origins, prefilter.as_ref());
    let matching: Vec<&(u32, serde_json::Value)> = records
        .iter()
        .filter(|(_, rec)| record_matches(rec, &fields, text))
        .collect();
    let hits: Vec<u32> = matching.iter().map(|(row, _)| *row).collect();
    let out = js_sys::Object::new();
    if with_records {
        let mut packed = Vec::new();
        let mut sizes = Vec::with_capacity(matching.len());
        for (_, rec) in &matching {
            let start = packed.len();
            // Writing a Value to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut packed, rec);
            sizes.push((packed.len() - start) as u32);
        }
        let _ = js_sys::Reflect::set(
            &out,
            &"records".into(),
            &js_sys::Uint8Array::from(packed.as_slice()),
        );
        let _ = js_sys::Reflect::set(
            &out,
            &"lens".into(),
            &js_sys::Uint32Array::from(sizes.as_slice()),
        );
    }
    if sketch {
        let packed = crate::core::sketch::FileSketch::of(bytes).to_bytes();
        let _ = js_sys::Reflect::set(
            &out,
            &"sketch".into(),
            &js_sys::Uint8Array::from(packed.as_slice()),
        );
    }
    let _ = js_sys::Reflect::set(
        &out,
        &"rows".into(),
        &js_sys::Uint32Array::from(hits.as_slice()),
    );
    let list: js_sys::Array = errors.iter().map(|e| JsValue::from_str(e)).collect();
    let _ = js_sys::Reflect::set(&out, &"errors".into(), &list);
    out.into()
}
