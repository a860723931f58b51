//! Loading from S3: a queue of presigned URLs or bucket objects fetched a few at a time,
//! each body handed on as a source for the usual ingest, each failure explained and the
//! rest carrying on; and the bucket listing, signed here with credentials that live only
//! in this module's memory for the page's life.

use super::fetch::{self, page_origin, unix_now};
use crate::core::s3::{explain, object_key, parse_list, Bucket, FetchFailure, ListPlan, Lister};
use crate::core::sigv4::Credentials;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Requests in flight at once: enough to hide latency, few enough not to trigger SlowDown.
pub const CONCURRENCY: usize = 6;

thread_local! {
    /// The bucket browser's credentials: memory only, never storage, URL or logs.
    static CREDENTIALS: RefCell<Option<Credentials>> = const { RefCell::new(None) };
}

/// Keeps credentials in memory for signing.
pub fn set_credentials(creds: Credentials) {
    CREDENTIALS.with(|c| *c.borrow_mut() = Some(creds));
}

/// Drops the credentials; queued bucket objects then fail instead of being signed.
pub fn forget_credentials() {
    CREDENTIALS.with(|c| *c.borrow_mut() = None);
}

/// Whether credentials are held.
pub fn has_credentials() -> bool {
    CREDENTIALS.with(|c| c.borrow().is_some())
}

fn sign_get(
    bucket: &Bucket,
    key: Option<&str>,
    query: Vec<(String, String)>,
) -> Result<(String, Vec<(String, String)>), String> {
    CREDENTIALS.with(|c| {
        let creds = c.borrow();
        let creds = creds
            .as_ref()
            .ok_or("the credentials were forgotten; enter them again")?;
        Ok(bucket.signed_get(key, query, creds, unix_now()))
    })
}

/// Something to fetch.
#[derive(Debug, Clone)]
pub enum Job {
    /// A presigned URL, fetched as it is.
    Url(String),
    /// An object of the bucket being browsed, signed with the held credentials.
    Object { bucket: Bucket, key: String },
}

impl Job {
    /// The object key, to name the source.
    pub fn key(&self) -> String {
        match self {
            Job::Url(url) => object_key(url),
            Job::Object { key, .. } => key.clone(),
        }
    }
}

/// A request in flight, for per-URL progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    pub id: usize,
    pub key: String,
    pub bytes: u64,
    pub total: Option<u64>,
    /// Which try this is (1 for the first).
    pub attempt: u32,
}

/// Where the fetch loop reports to; the UI implements it over its signals.
pub trait FetchTarget: Clone + 'static {
    /// The requests in flight changed.
    fn active(&self, active: &[Active]);
    /// One object arrived whole.
    fn fetched(&self, key: String, bytes: Vec<u8>);
    /// One object failed for good; `message` says why and what to do.
    fn failed(&self, key: String, message: String);
    /// `count` jobs were dropped unfetched after a cancel.
    fn dropped(&self, count: usize);
    /// Whether the user asked to stop.
    fn cancelled(&self) -> bool;
}

/// Fetches every job with [`CONCURRENCY`] workers and returns at once; the target hears
/// the rest.
pub fn start(jobs: Vec<Job>, target: impl FetchTarget) {
    let queue: Rc<RefCell<VecDeque<(usize, Job)>>> =
        Rc::new(RefCell::new(jobs.into_iter().enumerate().collect()));
    let active: Rc<RefCell<Vec<Active>>> = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..CONCURRENCY {
        let (queue, active, target) = (queue.clone(), active.clone(), target.clone());
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                if target.cancelled() {
                    let left = queue.borrow_mut().drain(..).count();
                    if left > 0 {
                        target.dropped(left);
                    }
                    break;
                }
                let Some((id, job)) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let key = job.key();
                active.borrow_mut().push(Active {
                    id,
                    key: key.clone(),
                    bytes: 0,
                    total: None,
                    attempt: 1,
                });
                target.active(&active.borrow());
                let update = |f: &dyn Fn(&mut Active)| {
                    if let Some(a) = active.borrow_mut().iter_mut().find(|a| a.id == id) {
                        f(a);
                    }
                    target.active(&active.borrow());
                };
                let (url, signed) = match &job {
                    Job::Url(url) => (url.clone(), false),
                    Job::Object { bucket, key } => match sign_get(bucket, Some(key), vec![]) {
                        Ok((url, _)) => (url, true),
                        Err(e) => {
                            active.borrow_mut().retain(|a| a.id != id);
                            target.failed(key.clone(), e);
                            continue;
                        }
                    },
                };
                let sign = || -> Result<Vec<(String, String)>, String> {
                    match &job {
                        Job::Object { bucket, key } if signed => {
                            sign_get(bucket, Some(key), vec![]).map(|(_, h)| h)
                        }
                        _ => Ok(Vec::new()),
                    }
                };
                let result = fetch::get(
                    &url,
                    &sign,
                    &|bytes, total| {
                        update(&|a| {
                            a.bytes = bytes;
                            a.total = total;
                        })
                    },
                    &|attempt| update(&|a| a.attempt = attempt),
                    &|| target.cancelled(),
                )
                .await;
                active.borrow_mut().retain(|a| a.id != id);
                target.active(&active.borrow());
                match result {
                    Ok(bytes) => target.fetched(key, bytes),
                    Err(_) if target.cancelled() => target.dropped(1),
                    Err((failure, tries)) => {
                        target.failed(key, explain(&failure, &page_origin(), tries));
                    }
                }
            }
        });
    }
}

/// Lists the trail's log files in the date range, page after page, with the held
/// credentials; `on_page` hears the files found so far after each call.
pub async fn list(
    bucket: &Bucket,
    plan: ListPlan,
    on_page: &dyn Fn(&Lister),
    cancelled: &dyn Fn() -> bool,
) -> Result<Lister, String> {
    let mut lister = Lister::new(plan);
    while let Some(call) = lister.next_call().cloned() {
        if cancelled() {
            return Err("listing cancelled".into());
        }
        let query = call.query();
        let (url, _) = sign_get(bucket, None, query.clone())?;
        let sign = || sign_get(bucket, None, query.clone()).map(|(_, h)| h);
        let body = fetch::get(&url, &sign, &|_, _| {}, &|_| {}, cancelled)
            .await
            .map_err(|(failure, tries)| {
                format!(
                    "listing {}: {}",
                    call.prefix,
                    explain(&failure, &page_origin(), tries)
                )
            })?;
        let text = String::from_utf8_lossy(&body);
        let page = parse_list(&text).map_err(|e| {
            format!(
                "listing {}: {}",
                call.prefix,
                explain(
                    &FetchFailure::Status {
                        status: e.status,
                        body: text.to_string()
                    },
                    &page_origin(),
                    1
                )
            )
        })?;
        lister.on_page(page);
        on_page(&lister);
    }
    Ok(lister)
}
