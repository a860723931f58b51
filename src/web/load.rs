//! The load loop: reads sources piece by piece, feeds the core's incremental ingest, and
//! yields to the browser every few milliseconds so the page never freezes. The same core
//! API can later be driven from a Web Worker; only this transport would change.

use super::files::Source;
use super::{js_error, now_ms, yield_now};
use crate::core::ingest::{FileIngest, FileReport, Problem, ProblemKind};
use crate::core::store::{MemoryLimits, Store};
use js_sys::Uint8Array;
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    static LIMITS: Cell<MemoryLimits> = Cell::new(MemoryLimits::default());
}

/// Lowers the store's memory limit (bytes of estimate), so the browser tests can reach
/// the memory guard with a small load (`window.wasmBindings.set_memory_limit_for_test`).
#[wasm_bindgen]
pub fn set_memory_limit_for_test(store_bytes: f64) {
    LIMITS.with(|l| {
        l.set(MemoryLimits {
            store: store_bytes as u64,
            ..MemoryLimits::default()
        })
    });
}

/// Bytes of this wasm instance's linear memory.
pub(crate) fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}

/// The memory guard's verdict before the next file (see `Store::memory_guard`).
pub(crate) fn memory_guard(
    store: &Store,
    files_done: usize,
    files_total: usize,
) -> Option<ProblemKind> {
    let limits = LIMITS.with(Cell::get);
    store.memory_guard(wasm_memory_bytes(), limits, files_done, files_total)
}

/// How many events to make room for when a load is heading for `expected`: at most nine
/// tenths of what the memory limit allows (the guard still stops a load that outgrows it).
pub(crate) fn room_for(store: &Store, expected: usize) -> usize {
    let limits = LIMITS.with(Cell::get);
    let per_row = (store.approx_bytes() / store.len().max(1)).max(1) as u64;
    expected.min((limits.store / per_row * 9 / 10) as usize)
}

/// How long the loop may hold the main thread before yielding.
pub(crate) const BUDGET_MS: f64 = 10.0;
/// Bytes read from a browser file per read (bounded memory for large files).
const READ_SIZE: f64 = 4.0 * 1024.0 * 1024.0;
/// Bytes handed to the ingest between time checks.
const FEED_SIZE: usize = 32 * 1024;

/// Where the loop reports to; the UI implements it over its signals.
pub trait LoadTarget {
    /// Runs `f` on the store.
    fn with_store(&self, f: &mut dyn FnMut(&mut Store));
    /// Called at every yield with the numbers so far.
    fn progress(&self, p: &Progress);
    /// Called when a file is finished.
    fn file_done(&self, report: FileReport);
    /// Whether the user asked to stop.
    fn cancelled(&self) -> bool;
    /// Called a few times during a long load, in a task of its own: a chance to prepare
    /// the work the end of the load will do (see `ui::overview::warm_up`).
    fn warm_up(&self) {}
}

/// How far loading has come.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Events in the store.
    pub events: usize,
}

/// Loads every source into the store; stops early (keeping what was loaded) on cancel.
pub async fn run(sources: Vec<Source>, target: &impl LoadTarget) {
    let mut p = Progress {
        files_total: sources.len(),
        ..Progress::default()
    };
    let mut estimate = crate::core::ingest::SizeEstimate::new(sources.len());
    let mut slice_start = now_ms();
    target.progress(&p);
    for source in sources {
        if target.cancelled() {
            break;
        }
        let mut stop = None;
        target.with_store(&mut |s| stop = memory_guard(s, p.files_done, p.files_total));
        if let Some(kind) = stop {
            target.file_done(FileReport {
                name: source.path().to_owned(),
                problems: vec![Problem {
                    file: source.path().to_owned(),
                    kind,
                }],
                ..FileReport::default()
            });
            break;
        }
        let mut file_no = 0;
        target.with_store(&mut |s| file_no = s.add_file(source.path()));
        let mut ingest = FileIngest::new(file_no, source.path());
        let mut read_error = None;
        let size = source.size();
        estimate.learn(size);
        p.bytes_total = estimate.total();
        let mut offset = 0u64;
        while offset < size && !ingest.stopped() && !target.cancelled() {
            let piece = match &source {
                Source::Memory { bytes, .. } => {
                    let end = (offset as usize + READ_SIZE as usize).min(bytes.len());
                    bytes[offset as usize..end].to_vec()
                }
                Source::File { file, .. } => {
                    let end = (offset as f64 + READ_SIZE).min(size as f64);
                    let read = async {
                        let blob = file.slice_with_f64_and_f64(offset as f64, end)?;
                        JsFuture::from(blob.array_buffer()).await
                    };
                    match read.await {
                        Ok(buf) => Uint8Array::new(&buf).to_vec(),
                        Err(e) => {
                            read_error = Some(js_error(&e));
                            break;
                        }
                    }
                }
            };
            if piece.is_empty() {
                break;
            }
            for chunk in piece.chunks(FEED_SIZE) {
                target.with_store(&mut |s| ingest.push(chunk, s));
                offset += chunk.len() as u64;
                p.bytes_done += chunk.len() as u64;
                if now_ms() - slice_start > BUDGET_MS {
                    target.with_store(&mut |s| p.events = s.len());
                    target.progress(&p);
                    yield_now().await;
                    slice_start = now_ms();
                    if target.cancelled() || ingest.stopped() {
                        break;
                    }
                }
            }
        }
        // Count skipped bytes as done so the bar reaches the end.
        p.bytes_done += size - offset.min(size);
        let mut report = None;
        target.with_store(&mut |s| {
            report = Some(std::mem::replace(&mut ingest, FileIngest::new(0, "")).finish(s));
        });
        if let Some(mut report) = report {
            if let Some(e) = read_error {
                report.problems.push(Problem {
                    file: report.name.clone(),
                    kind: ProblemKind::Unreadable { detail: e },
                });
            }
            target.file_done(report);
        }
        super::files::keep(file_no, source);
        p.files_done += 1;
    }
    target.with_store(&mut |s| p.events = s.len());
    target.progress(&p);
}
