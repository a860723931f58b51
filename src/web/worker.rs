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
