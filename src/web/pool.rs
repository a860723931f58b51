//! Parallel ingest: a pool of Web Workers parses the files while the page only merges
//! their packed results (`core::store::part`) and renders.
//!
//! Each worker is `worker.js` (found relative to the page's base URL, so hosting under a
//! sub-path works) running this same wasm; it posts "ready" before it is sent anything.
//! Dropped `File`s are posted as handles (the bytes are read inside the worker, never
//! copied through the page); bytes made in the page (the demo, fetched S3 objects) are
//! transferred. Files are merged in the order they were given, so the store, its
//! de-duplication and every answer are the same as the page's own loop would make,
//! whatever the number of workers. When workers cannot start, [`run`] hands the sources
//! back and the caller uses `load::run` on the page.

use super::files::{keep, Source};
use super::load::{memory_guard, room_for, wasm_memory_bytes, LoadTarget, Progress, BUDGET_MS};
use super::{js_error, now_ms, yield_now};
use crate::core::ingest::{FileReport, Problem, ProblemKind, SizeEstimate};
use crate::core::store::Part;
use js_sys::{Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

thread_local! {
    /// Workers to start; `None` sizes the pool from `navigator.hardwareConcurrency`, 0
    /// turns workers off (the page's own loop does the work).
    static WORKERS: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Sets the number of ingest workers (0: none, load on the page), for the browser tests
/// and the benchmark (`window.wasmBindings.set_ingest_workers(n)`); negative restores the
/// default.
#[wasm_bindgen]
pub fn set_ingest_workers(n: i32) {
    WORKERS.with(|w| w.set(usize::try_from(n).ok()));
}

/// How many workers a load of `files` files gets.
fn pool_size(files: usize) -> usize {
    let configured = WORKERS.with(Cell::get);
    let n = configured.unwrap_or_else(|| {
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        // Every core parses: the page only merges (well under a tenth of the work), so on
        // a 2-core laptop two workers finish sooner than one (see BENCHMARKS.md).
        (cores as usize).clamp(1, 8)
    });
    n.min(files)
}

/// The URLs a worker needs: its script, and the page's own wasm-bindgen glue and wasm.
fn urls() -> Option<(String, String, String)> {
    let document = web_sys::window()?.document()?;
    let base = document.base_uri().ok()??;
    let href = |selector: &str| -> Option<String> {
        let el = document.query_selector(selector).ok()??;
        let href = el.get_attribute("href")?;
        web_sys::Url::new_with_base(&href, &base)
            .ok()
            .map(|u| u.href())
    };
    let glue = href("link[rel=modulepreload]")?;
    let wasm = href("link[rel=preload][type='application/wasm']")?;
    let script = web_sys::Url::new_with_base("worker.js", &base).ok()?;
    let query = web_sys::UrlSearchParams::new().ok()?;
    query.append("glue", &glue);
    query.append("wasm", &wasm);
    script.set_search(&String::from(query.to_string()));
    Some((script.href(), glue, wasm))
}

/// Files sent to a worker ahead of the one it is reading.
const AHEAD: usize = 8;
/// How often the progress bar is updated.
const PROGRESS_MS: f64 = 50.0;

/// What the workers said, in arrival order, and how to wake the loop.
#[derive(Default)]
struct Inbox {
    messages: RefCell<VecDeque<(usize, JsValue)>>,
    wake: RefCell<Option<js_sys::Function>>,
}

impl Inbox {
    fn deliver(&self, worker: usize, data: JsValue) {
        self.messages.borrow_mut().push_back((worker, data));
        if let Some(wake) = self.wake.borrow_mut().take() {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    /// Waits for a message, or 100 ms (so a cancel is seen even when no worker talks).
    async fn wait(&self) {
        if !self.messages.borrow().is_empty() {
            return;
        }
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 100);
            }
            *self.wake.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
        self.wake.borrow_mut().take();
    }
}

struct Slot {
    worker: Worker,
    ready: bool,
    dead: bool,
    /// The jobs it was sent, oldest (the one it is reading) first.
    busy: VecDeque<usize>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Slot {
    fn start(script: &str, index: usize, inbox: &Rc<Inbox>) -> Option<Slot> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(script, &options).ok()?;
        let to = inbox.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            to.deliver(index, e.data());
        });
        let to = inbox.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                let message = Object::new();
                let _ = Reflect::set(&message, &"type".into(), &"broken".into());
                let _ = Reflect::set(&message, &"error".into(), &e.message().into());
                to.deliver(index, message.into());
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Slot {
            worker,
            ready: false,
            dead: false,
            busy: VecDeque::new(),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn stop(&mut self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.dead = true;
        self.ready = false;
    }
}

fn field(data: &JsValue, name: &str) -> JsValue {
    Reflect::get(data, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A job's outcome: the packed part, or why its worker failed.
type Outcome = Result<Vec<u8>, String>;

struct Job {
    source: Option<Source>,
    file_no: u32,
    name: String,
    /// Known once its worker has read it (or at once for bytes in memory).
    size: Option<u64>,
    /// Bytes read so far, as the worker last said.
    read: u64,
}

impl Job {
    /// Takes the file's size from a worker's message the first time one carries it.
    fn learn_size(&mut self, data: &JsValue, estimate: &mut SizeEstimate) {
        if let (None, Some(size)) = (self.size, field(data, "size").as_f64()) {
            self.size = Some(size as u64);
            estimate.learn(size as u64);
        }
    }
}

/// Loads every source through a pool of workers. `Err` hands back the sources when no
/// worker could start (no Worker support, no glue URL, a broken worker script), so the
/// caller can load them on the page instead.
pub async fn run(sources: Vec<Source>, target: &impl LoadTarget) -> Result<(), Vec<Source>> {
    let size = pool_size(sources.len());
    let Some((script, _, _)) = urls().filter(|_| size > 0) else {
        LAST_POOL.with(|c| c.set(0));
        return Err(sources);
    };
    let inbox = Rc::new(Inbox::default());
    let mut slots: Vec<Slot> = (0..size)
        .filter_map(|i| Slot::start(&script, i, &inbox))
        .collect();
    if slots.is_empty() {
        LAST_POOL.with(|c| c.set(0));
        return Err(sources);
    }
    LAST_POOL.with(|c| c.set(slots.len() as u32));
    let started = now_ms();
    let mut stats = Stats {
        workers: slots.len() as u32,
        files: sources.len(),
        ..Stats::default()
    };
    let mut p = Progress {
        files_total: sources.len(),
        ..Progress::default()
    };
    target.progress(&p);
    // Sizes are learned as files are read (see `SizeEstimate`); bytes in memory now.
    let mut estimate = SizeEstimate::new(sources.len());
    let mut jobs: Vec<Job> = sources
        .into_iter()
        .map(|s| Job {
            size: match &s {
                Source::Memory { bytes, .. } => {
                    estimate.learn(bytes.len() as u64);
                    Some(bytes.len() as u64)
                }
                Source::File { .. } => None,
            },
            name: s.path().to_owned(),
            source: Some(s),
            file_no: 0,
            read: 0,
        })
        .collect();
    let mut next_job = 0;
    let mut next_merge = 0;
    let mut done: BTreeMap<usize, Outcome> = BTreeMap::new();
    let mut bytes_merged = 0u64;
    let mut ever_ready = false;
    let mut guard_stop = false;
    let mut slice_start = now_ms();
    let mut last_progress = slice_start;
    let mut retry: VecDeque<usize> = VecDeque::new();
    // When to make room for the whole load (see `Store::reserve_rows`): once a few files
    // give a rate of events per byte, and again a quarter of the way in.
    let mut reserve_at: Vec<usize> = vec![(jobs.len() / 20).max(16), jobs.len() / 4];
    // The room being made: (events, next column), one column per turn of the loop so no
    // task copies more than one column.
    let mut reserving: Option<(usize, usize)> = None;
    // Whether to warm up the views (at the same points, once the room is made).
    let mut warm = false;
    loop {
        if target.cancelled() {
            break;
        }
        if let Some((rows, column)) = reserving {
            let mut more = false;
            target.with_store(&mut |s| more = s.reserve_rows_step(rows, column));
            reserving = more.then_some((rows, column + 1));
        } else if warm {
            warm = false;
            let t0 = now_ms();
            target.warm_up();
            stats.warm_up += now_ms() - t0;
        }
        let messages: Vec<_> = inbox.messages.borrow_mut().drain(..).collect();
        for (i, data) in messages {
            let Some(slot) = slots.get_mut(i) else {
                continue;
            };
            if slot.dead {
                continue;
            }
            let kind = field(&data, "type").as_string().unwrap_or_default();
            match kind.as_str() {
                "ready" => {
                    if !ever_ready {
                        stats.first_ready = now_ms() - started;
                    }
                    slot.ready = true;
                    ever_ready = true;
                }
                "progress" => {
                    if let Some(job) = slot.busy.front().and_then(|&j| jobs.get_mut(j)) {
                        job.read = field(&data, "bytes").as_f64().unwrap_or(0.0) as u64;
                        job.learn_size(&data, &mut estimate);
                    }
                }
                "done" => {
                    stats.worker_busy += field(&data, "ms").as_f64().unwrap_or(0.0);
                    if let Some(j) = slot.busy.pop_front() {
                        if let Some(job) = jobs.get_mut(j) {
                            job.learn_size(&data, &mut estimate);
                        }
                        let part = Uint8Array::new(&field(&data, "part")).to_vec();
                        done.insert(j, Ok(part));
                    }
                }
                // "failed": the file broke the worker's wasm (a panic aborts it);
                // "broken": the worker itself failed (script, start-up, out of memory).
                _ => {
                    let error = field(&data, "error")
                        .as_string()
                        .unwrap_or_else(|| "the worker stopped".to_owned());
                    if let Some(j) = slot.busy.pop_front() {
                        done.insert(j, Err(error));
                    }
                    // Files it had not started go to another worker.
                    retry.extend(slot.busy.drain(..));
                    slot.stop();
                    // Replace it while there is work left (a bad file must not cost the
                    // rest of the load its parallelism), unless none ever started.
                    if ever_ready && (next_job < jobs.len() || !retry.is_empty()) {
                        if let Some(fresh) = Slot::start(&script, i, &inbox) {
                            *slot = fresh;
                        }
                    }
                }
            }
        }
        if !ever_ready && slots.iter().all(|s| s.dead) {
            // No worker ever started (a CSP or a host that does not serve worker.js):
            // nothing was sent yet, so the page's loop can take every file.
            let rest = jobs.into_iter().filter_map(|j| j.source).collect();
            LAST_POOL.with(|c| c.set(0));
            return Err(rest);
        }
        // Keep every worker a few files ahead (reading a file has a latency of its own),
        // unless memory is nearly full.
        for slot in slots.iter_mut().filter(|s| s.ready && !s.dead) {
            while slot.busy.len() < AHEAD {
                if let Some(j) = retry.pop_front() {
                    match post(&slot.worker, j, &jobs[j]) {
                        Ok(()) => slot.busy.push_back(j),
                        Err(e) => {
                            done.insert(j, Err(e));
                        }
                    }
                    continue;
                }
                if next_job >= jobs.len() || guard_stop {
                    break;
                }
                let mut over = false;
                target.with_store(&mut |s| {
                    over = memory_guard(s, p.files_done, p.files_total).is_some();
                });
                if over {
                    // Files already with a worker are still merged; the message is made
                    // when they are, so its numbers are what the page shows.
                    guard_stop = true;
                    break;
                }
                let job = &mut jobs[next_job];
                target.with_store(&mut |s| job.file_no = s.add_file(&job.name));
                match post(&slot.worker, next_job, job) {
                    Ok(()) => slot.busy.push_back(next_job),
                    Err(e) => {
                        done.insert(next_job, Err(e));
                    }
                }
                next_job += 1;
            }
        }
        // Merge finished files in order.
        while let Some(outcome) = done.remove(&next_merge) {
            let job = &mut jobs[next_merge];
            let t0 = now_ms();
            let report = merge(target, job, outcome);
            stats.merge += now_ms() - t0;
            target.file_done(report);
            if let Some(source) = job.source.take() {
                keep(job.file_no, source);
            }
            bytes_merged += job.size.unwrap_or(job.read);
            p.files_done += 1;
            next_merge += 1;
            if reserve_at.first() == Some(&p.files_done) {
                reserve_at.remove(0);
                warm = true;
                let total = estimate.total() as f64;
                target.with_store(&mut |s| {
                    let rate = s.len() as f64 / bytes_merged.max(1) as f64;
                    let rows = room_for(s, (rate * total * 1.1) as usize);
                    if !s.has_room_for(rows) {
                        reserving = Some((rows, 0));
                    }
                });
            }
            if now_ms() - slice_start > BUDGET_MS {
                break;
            }
        }
        let reading: u64 = jobs[next_merge..next_job]
            .iter()
            .map(|j| j.size.map_or(j.read, |size| j.read.min(size)))
            .sum();
        p.bytes_done = bytes_merged + reading;
        p.bytes_total = estimate.total().max(p.bytes_done);
        if now_ms() - last_progress > PROGRESS_MS {
            target.with_store(&mut |s| p.events = s.len());
            target.progress(&p);
            last_progress = now_ms();
        }
        let idle = slots.iter().all(|s| s.busy.is_empty()) && retry.is_empty();
        if next_merge >= jobs.len() || (guard_stop && idle && next_merge >= next_job) {
            break;
        }
        if now_ms() - slice_start > BUDGET_MS || done.contains_key(&next_merge) {
            yield_now().await;
        } else {
            inbox.wait().await;
        }
        slice_start = now_ms();
    }
    if guard_stop && !target.cancelled() {
        if let Some(first) = jobs.get(next_job) {
            let mut kind = None;
            target.with_store(&mut |s| {
                kind = Some(s.memory_stop(wasm_memory_bytes(), p.files_done, p.files_total))
            });
            target.file_done(FileReport {
                name: first.name.clone(),
                problems: kind
                    .into_iter()
                    .map(|kind| Problem {
                        file: first.name.clone(),
                        kind,
                    })
                    .collect(),
                ..FileReport::default()
            });
        }
    }
    stats.total = now_ms() - started;
    STATS.with(|s| *s.borrow_mut() = stats);
    // Finished, stopped or cancelled: the workers' memory goes back to the browser.
    for slot in &mut slots {
        slot.stop();
    }
    target.with_store(&mut |s| p.events = s.len());
    target.progress(&p);
    Ok(())
}

/// Sends one file to a worker: a `File` as a handle, bytes by transfer.
fn post(worker: &Worker, id: usize, job: &Job) -> Result<(), String> {
    let message = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&message, &JsValue::from_str(k), v);
    let result = (|| -> Result<(), JsValue> {
        set("type", &"load".into())?;
        set("id", &(id as f64).into())?;
        set("fileNo", &job.file_no.into())?;
        set("name", &job.name.as_str().into())?;
        match &job.source {
            Some(Source::File { file, .. }) => {
                set("file", file)?;
                worker.post_message(&message)
            }
            Some(Source::Memory { bytes, .. }) => {
                let copy = Uint8Array::from(bytes.as_slice());
                let buffer = copy.buffer();
                set("bytes", &buffer)?;
                worker.post_message_with_transfer(&message, &js_sys::Array::of1(&buffer))
            }
            None => Ok(()),
        }
    })();
    result.map_err(|e| js_error(&e))
}

/// Merges one finished file into the store and returns its report, with the duplicates
/// of files merged before it counted.
fn merge(target: &impl LoadTarget, job: &Job, outcome: Outcome) -> FileReport {
    let failed = |detail: String| FileReport {
        file: job.file_no,
        name: job.name.clone(),
        bytes: job.size.unwrap_or(0),
        problems: vec![Problem {
            file: job.name.clone(),
            kind: ProblemKind::Unreadable { detail },
        }],
        ..FileReport::default()
    };
    let bytes = match outcome {
        Ok(bytes) => bytes,
        Err(e) => return failed(format!("the worker reading it failed ({e})")),
    };
    let part = match Part::unpack(&bytes) {
        Ok(part) => part,
        Err(e) => return failed(e),
    };
    let mut added = 0;
    target.with_store(&mut |s| added = s.absorb(&part, job.file_no));
    let mut report = part.report.clone();
    report.duplicates += report.added.saturating_sub(added);
    report.added = added;
    report
}

thread_local! {
    static LAST_POOL: Cell<u32> = const { Cell::new(0) };
    static STATS: RefCell<Stats> = RefCell::new(Stats::default());
}

/// Where the last worker load spent its time (milliseconds), for the benchmark.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Stats {
    workers: u32,
    files: usize,
    /// From the start to the first worker's "ready".
    first_ready: f64,
    /// Summed over workers: reading and parsing files, packing them.
    worker_busy: f64,
    /// On the page: copying, unpacking and merging parts.
    merge: f64,
    /// On the page: warming up the views (`LoadTarget::warm_up`).
    warm_up: f64,
    /// On the page: the whole loop, start to end.
    total: f64,
}

/// The last worker load's timings as JSON (`window.wasmBindings.ingest_stats()`).
#[wasm_bindgen]
pub fn ingest_stats() -> String {
    STATS.with(|s| serde_json::to_string(&*s.borrow()).unwrap_or_default())
}

/// How many workers the last load used (0: it ran on the page), for the browser tests
/// (`window.wasmBindings.ingest_workers_used()`).
#[wasm_bindgen]
pub fn ingest_workers_used() -> u32 {
    LAST_POOL.with(Cell::get)
}

/// Inflates gzip bytes and returns the inflated size (0 if they are not gzip): the
/// benchmark's floor, "only inflating the same bytes in wasm" (`scripts/bench-browser.mjs`).
#[wasm_bindgen]
pub fn bench_inflate(bytes: &[u8]) -> f64 {
    crate::core::ingest::inflate_all(bytes).map_or(0.0, |v| v.len() as f64)
}

/// Bytes of the page's wasm memory, for the benchmark's memory figure.
#[wasm_bindgen]
pub fn wasm_memory_bytes_now() -> f64 {
    wasm_memory_bytes() as f64
}

/// One file of a whole-record search: its source and the rows to check in it.
pub struct SearchFile {
    /// The file's number (its source is kept by `files::keep`).
    pub file: u32,
    pub path: String,
    pub rows: Vec<(u32, crate::core::ingest::Origin)>,
    /// Whether the worker should also answer with the file's n-gram sketch.
    pub sketch: bool,
}

/// One file's answer to a whole-record search.
#[derive(Default)]
pub struct Answer {
    /// The rows whose records matched.
    pub rows: Vec<u32>,
    /// When asked for: those records as compact JSON, one after another, and each one's
    /// length in bytes.
    pub records: Option<(Vec<u8>, Vec<u32>)>,
    /// When asked for: the file's n-gram sketch, packed.
    pub sketch: Option<Vec<u8>>,
    /// What could not be read, each message naming the file.
    pub errors: Vec<String>,
}

/// Runs a whole-record search (field = value pairs and free text; with neither, every
/// row matches) in a pool of workers, the files spread across them as for a load, and
/// hands each file's [`Answer`] to `each` as it comes (in no particular order). With
/// `with_records` the answers carry the matching records too. Returns `false` when no
/// worker could start (nothing was answered: the caller reads on the page). `stale` is
/// asked between messages: when it says the answer is no longer wanted, the workers are
/// stopped at once (the answers are then incomplete: the caller, which asked, drops them).
pub async fn search(
    files: Vec<SearchFile>,
    fields: &[(String, String)],
    text: Option<&str>,
    with_records: bool,
    stale: impl Fn() -> bool,
    mut each: impl FnMut(&SearchFile, Answer),
) -> bool {
    let size = pool_size(files.len());
    let Some((script, _, _)) = urls().filter(|_| size > 0) else {
        return false;
    };
    let inbox = Rc::new(Inbox::default());
    let mut slots: Vec<Slot> = (0..size)
        .filter_map(|i| Slot::start(&script, i, &inbox))
        .collect();
    let fields = serde_json::to_string(fields).unwrap_or_else(|_| "[]".to_owned());
    let mut next = 0;
    let mut finished = 0;
    let mut ever_ready = false;
    let mut retry: VecDeque<usize> = VecDeque::new();
    while finished < files.len() {
        if stale() {
            break;
        }
        let messages: Vec<_> = inbox.messages.borrow_mut().drain(..).collect();
        for (i, data) in messages {
            let Some(slot) = slots.get_mut(i).filter(|s| !s.dead) else {
                continue;
            };
            match field(&data, "type")
                .as_string()
                .unwrap_or_default()
                .as_str()
            {
                "ready" => {
                    slot.ready = true;
                    ever_ready = true;
                }
                "found" => {
                    let Some(j) = slot.busy.pop_front() else {
                        continue;
                    };
                    finished += 1;
                    let records = field(&data, "records");
                    let sketch = field(&data, "sketch");
                    let answer = Answer {
                        rows: js_sys::Uint32Array::new(&field(&data, "rows")).to_vec(),
                        records: (!records.is_undefined()).then(|| {
                            (
                                Uint8Array::new(&records).to_vec(),
                                js_sys::Uint32Array::new(&field(&data, "lens")).to_vec(),
                            )
                        }),
                        sketch: (!sketch.is_undefined()).then(|| Uint8Array::new(&sketch).to_vec()),
                        errors: js_sys::Array::from(&field(&data, "errors"))
                            .iter()
                            .filter_map(|e| e.as_string())
                            .collect(),
                    };
                    each(&files[j], answer);
                }
                _ => {
                    // A worker failed: its current file is reported, the rest go to
                    // another worker (or a fresh one).
                    let error = field(&data, "error")
                        .as_string()
                        .unwrap_or_else(|| "the worker stopped".to_owned());
                    if let Some(j) = slot.busy.pop_front() {
                        finished += 1;
                        let errors = vec![format!(
                            "{}: the worker reading it failed ({error})",
                            files[j].path
                        )];
                        each(
                            &files[j],
                            Answer {
                                errors,
                                ..Answer::default()
                            },
                        );
                    }
                    retry.extend(slot.busy.drain(..));
                    slot.stop();
                    if ever_ready {
                        if let Some(fresh) = Slot::start(&script, i, &inbox) {
                            *slot = fresh;
                        }
                    }
                }
            }
        }
        if !ever_ready && slots.iter().all(|s| s.dead) {
            return false;
        }
        for slot in slots.iter_mut().filter(|s| s.ready && !s.dead) {
            while slot.busy.len() < AHEAD {
                let j = match retry.pop_front() {
                    Some(j) => j,
                    None if next < files.len() => {
                        next += 1;
                        next - 1
                    }
                    None => break,
                };
                match post_search(&slot.worker, j, &files[j], &fields, text, with_records) {
                    Ok(()) => slot.busy.push_back(j),
                    Err(e) => {
                        finished += 1;
                        let errors = vec![format!("{}: {e}", files[j].path)];
                        each(
                            &files[j],
                            Answer {
                                errors,
                                ..Answer::default()
                            },
                        );
                    }
                }
            }
        }
        if finished < files.len() {
            inbox.wait().await;
        }
    }
    for slot in &mut slots {
        slot.stop();
    }
    true
}

/// Sends one file of a search to a worker: a `File` as a handle, bytes as a copy (the page
/// keeps its own).
fn post_search(
    worker: &Worker,
    id: usize,
    job: &SearchFile,
    fields: &str,
    text: Option<&str>,
    with_records: bool,
) -> Result<(), String> {
    let message = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&message, &JsValue::from_str(k), v);
    let rows: Vec<u32> = job.rows.iter().map(|r| r.0).collect();
    let offsets: Vec<f64> = job.rows.iter().map(|r| r.1.offset as f64).collect();
    let lens: Vec<u32> = job.rows.iter().map(|r| r.1.len).collect();
    let result = (|| -> Result<(), JsValue> {
        set("type", &"search".into())?;
        set("id", &(id as f64).into())?;
        set("fileNo", &job.file.into())?;
        set("name", &job.path.as_str().into())?;
        set("rows", &js_sys::Uint32Array::from(rows.as_slice()))?;
        set("offsets", &js_sys::Float64Array::from(offsets.as_slice()))?;
        set("lens", &js_sys::Uint32Array::from(lens.as_slice()))?;
        set("fields", &fields.into())?;
        set("text", &text.map_or(JsValue::NULL, JsValue::from_str))?;
        set("withRecords", &with_records.into())?;
        set("sketch", &job.sketch.into())?;
        let transfer = js_sys::Array::new();
        let source = super::files::with_kept(job.file, |source| match source {
            Source::File { file, .. } => set("file", file),
            Source::Memory { bytes, .. } => {
                let copy = Uint8Array::from(bytes.as_slice()).buffer();
                transfer.push(&copy);
                set("bytes", &copy)
            }
        });
        match source {
            Some(set) => set?,
            None => return Err(JsValue::from_str("no longer available")),
        };
        worker.post_message_with_transfer(&message, &transfer)
    })();
    result.map_err(|e| js_error(&e))
}
