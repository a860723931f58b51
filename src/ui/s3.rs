//! The "From S3" panel: paste presigned URLs, or browse a bucket with temporary
//! credentials (list first, showing files and size, then load). Fetched bodies join the
//! same load queue as dropped files; failures join the problem list, each naming its key.
//! The panel folds away once data is loaded.

use super::overview::bytes;
use super::start_load;
use super::state::{AppState, Phase};
use crate::core::ingest::{Problem, ProblemKind};
use crate::core::s3::{parse_url_list, Bucket, FormError, ListPlan, S3Object};
use crate::core::sigv4::Credentials;
use crate::web::fetch::file_text;
use crate::web::files::Source;
use crate::web::remote::{self, Active, FetchTarget, Job};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;

/// What the panel shows about fetching and listing.
#[derive(Clone, Copy)]
pub struct RemoteState {
    /// Requests in flight, with their bytes so far.
    pub active: RwSignal<Vec<Active>>,
    /// Objects queued, fetched whole, and failed, since the page opened.
    pub queued: RwSignal<usize>,
    pub fetched: RwSignal<usize>,
    pub failed: RwSignal<usize>,
    pub fetched_bytes: RwSignal<u64>,
    /// Set by the panel's cancel button; read by the fetch loop.
    pub cancel: RwSignal<bool>,
    /// The last listing: bucket and files found.
    pub found: RwSignal<Option<(Bucket, Vec<S3Object>)>>,
    /// A message about the bucket form or listing (errors, "listing…").
    pub note: RwSignal<Option<String>>,
    pub listing: RwSignal<bool>,
}

impl RemoteState {
    fn new() -> Self {
        RemoteState {
            active: RwSignal::new(Vec::new()),
            queued: RwSignal::new(0),
            fetched: RwSignal::new(0),
            failed: RwSignal::new(0),
            fetched_bytes: RwSignal::new(0),
            cancel: RwSignal::new(false),
            found: RwSignal::new(None),
            note: RwSignal::new(None),
            listing: RwSignal::new(false),
        }
    }

    fn running(&self) -> bool {
        self.fetched.get() + self.failed.get() < self.queued.get()
    }
}

thread_local! {
    /// The panel's state, for loads started elsewhere (a dropped `.txt` of URLs).
    static REMOTE: Cell<Option<RemoteState>> = const { Cell::new(None) };
}

/// The fetch loop's view of the app: bodies go to the load queue, failures to problems.
#[derive(Clone, Copy)]
struct Target {
    app: AppState,
    remote: RemoteState,
}

impl FetchTarget for Target {
    fn active(&self, active: &[Active]) {
        self.remote.active.set(active.to_vec());
    }

    fn fetched(&self, key: String, body: Vec<u8>) {
        self.remote.fetched.update(|n| *n += 1);
        self.remote
            .fetched_bytes
            .update(|n| *n += body.len() as u64);
        start_load(
            self.app,
            vec![Source::Memory {
                path: key,
                bytes: body,
            }],
        );
    }

    fn failed(&self, key: String, message: String) {
        self.remote.failed.update(|n| *n += 1);
        self.app.problems.update(|p| {
            p.push(Problem {
                file: key,
                kind: ProblemKind::Unreadable { detail: message },
            })
        });
    }

    fn dropped(&self, count: usize) {
        self.remote.queued.update(|n| *n = n.saturating_sub(count));
    }

    fn cancelled(&self) -> bool {
        self.remote.cancel.get_untracked()
    }
}

fn fetch_all(app: AppState, remote: RemoteState, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    if !remote.running() {
        remote.cancel.set(false);
    }
    remote.queued.update(|n| *n += jobs.len());
    remote::start(jobs, Target { app, remote });
}

/// Loads the URLs listed in `.txt` sources (dropped or picked).
pub fn load_url_files(app: AppState, lists: Vec<Source>) {
    let Some(remote) = REMOTE.with(Cell::get) else {
        return;
    };
    spawn_local(async move {
        for list in lists {
            let name = list.path().to_owned();
            let text = match &list {
                Source::File { file, .. } => file_text(file).await,
                Source::Memory { bytes, .. } => Ok(String::from_utf8_lossy(bytes).into_owned()),
            };
            let urls = match text {
                Ok(t) => parse_url_list(&t),
                Err(detail) => {
                    app.problems.update(|p| {
                        p.push(Problem {
                            file: name,
                            kind: ProblemKind::Unreadable { detail },
                        })
                    });
                    continue;
                }
            };
            if urls.is_empty() {
                app.problems.update(|p| {
                    p.push(Problem {
                        file: name,
                        kind: ProblemKind::Unreadable {
                            detail: "a .txt file with no http(s) URLs in it; skipped".into(),
                        },
                    })
                });
            }
            fetch_all(app, remote, urls.into_iter().map(Job::Url).collect());
        }
    });
}

/// The panel.
#[component]
pub fn S3Panel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let remote = RemoteState::new();
    REMOTE.with(|r| r.set(Some(remote)));

    // --- Presigned URLs ------------------------------------------------------------
    let urls = RwSignal::new(String::new());
    let load_urls = move |_| {
        let list = parse_url_list(&urls.get_untracked());
        if list.is_empty() {
            remote
                .note
                .set(Some("no http(s) URLs found in the text".into()));
            return;
        }
        remote.note.set(None);
        fetch_all(app, remote, list.into_iter().map(Job::Url).collect());
    };

    // --- Bucket browser ------------------------------------------------------------
    let bucket = RwSignal::new(String::new());
    let prefix = RwSignal::new(String::new());
    let region = RwSignal::new("us-east-1".to_owned());
    let endpoint = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let accounts = RwSignal::new(String::new());
    let regions = RwSignal::new(String::new());
    let access_key = RwSignal::new(String::new());
    let secret_key = RwSignal::new(String::new());
    let session_token = RwSignal::new(String::new());

    let form = move || -> Result<(Bucket, ListPlan), FormError> {
        let b = Bucket::new(
            &bucket.get_untracked(),
            &region.get_untracked(),
            &endpoint.get_untracked(),
        )?;
        let plan = ListPlan::new(
            &prefix.get_untracked(),
            &from.get_untracked(),
            &to.get_untracked(),
            &accounts.get_untracked(),
            &regions.get_untracked(),
        )?;
        let key_id = access_key.get_untracked().trim().to_owned();
        let secret = secret_key.get_untracked().trim().to_owned();
        if key_id.is_empty() || secret.is_empty() {
            return Err(FormError::MissingCredentials);
        }
        let token = session_token.get_untracked().trim().to_owned();
        remote::set_credentials(Credentials {
            access_key_id: key_id,
            secret_access_key: secret,
            session_token: (!token.is_empty()).then_some(token),
        });
        Ok((b, plan))
    };
    let list = move |_| {
        let (b, plan) = match form() {
            Ok(x) => x,
            Err(e) => {
                remote.note.set(Some(e.to_string()));
                return;
            }
        };
        remote.found.set(None);
        remote.listing.set(true);
        remote.cancel.set(false);
        remote.note.set(Some("listing…".into()));
        spawn_local(async move {
            let result = remote::list(
                &b,
                plan,
                &|l| {
                    remote.note.set(Some(format!(
                        "listing… {} files so far ({} requests)",
                        l.found.len(),
                        l.calls
                    )))
                },
                &|| remote.cancel.get_untracked(),
            )
            .await;
            remote.listing.set(false);
            match result {
                Ok(l) => {
                    remote.note.set(None);
                    remote.found.set(Some((b, l.found)));
                }
                Err(e) => remote.note.set(Some(e)),
            }
        });
    };
    let load_found = move |_| {
        let Some((b, objects)) = remote.found.get_untracked() else {
            return;
        };
        let jobs = objects
            .into_iter()
            .map(|o| Job::Object {
                bucket: b.clone(),
                key: o.key,
            })
            .collect();
        fetch_all(app, remote, jobs);
    };
    let forget = move |_| {
        remote::forget_credentials();
        access_key.set(String::new());
        secret_key.set(String::new());
        session_token.set(String::new());
        remote.note.set(Some(
            "credentials forgotten: they are no longer in this page's memory".into(),
        ));
    };

    let field = move |label: &'static str,
                      id: &'static str,
                      value: RwSignal<String>,
                      kind: &'static str,
                      hint: &'static str| {
        view! {
            <label class="tg-s3__field">
                <span>{label}</span>
                <input
                    type=kind
                    data-testid=id
                    placeholder=hint
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };

    // A memo, so the panel folds once when data first arrives and is not re-folded by
    // every later load after the user opened it again.
    let nothing_loaded = Memo::new(move |_| app.phase.get() == Phase::Empty);
    view! {
        <details class="tg-s3" data-testid="s3-panel" open=move || nothing_loaded.get()>
            <summary>"Load from S3: presigned URLs or a bucket"</summary>
            <div class="tg-s3__columns">
                <section class="tg-s3__urls">
                    <h3>"Presigned URLs"</h3>
                    <p class="tg-s3__hint">
                        "One per line (quotes and spaces are fine), or drop a .txt file of them. "
                        <code>"scripts/presign-urls.sh"</code>
                        " makes them with the aws CLI."
                    </p>
                    <textarea
                        data-testid="url-input"
                        rows="5"
                        spellcheck="false"
                        placeholder="https://my-trail-bucket.s3.eu-west-1.amazonaws.com/AWSLogs/…?X-Amz-Signature=…"
                        prop:value=move || urls.get()
                        on:input=move |ev| urls.set(event_target_value(&ev))
                    ></textarea>
                    <button class="tg-button tg-button--primary" data-testid="url-load-button" on:click=load_urls>
                        "Load URLs"
                    </button>
                </section>
                <section class="tg-s3__bucket">
                    <h3>"Bucket browser"</h3>
                    <p class="tg-s3__hint">
                        "Short-lived credentials (aws sts get-session-token, aws configure export-credentials, SSO) are kept in this tab's memory only and sent only, as a signature, to the bucket's endpoint."
                    </p>
                    <div class="tg-s3__grid">
                        {field("Bucket", "s3-bucket", bucket, "text", "my-trail-bucket")}
                        {field("Prefix (before AWSLogs/)", "s3-prefix", prefix, "text", "optional")}
                        {field("Region", "s3-region", region, "text", "us-east-1")}
                        {field("Endpoint (S3-compatible)", "s3-endpoint", endpoint, "url", "optional: https://s3.example.com")}
                        {field("From", "s3-from", from, "date", "YYYY-MM-DD")}
                        {field("To", "s3-to", to, "date", "YYYY-MM-DD")}
                        {field("Accounts", "s3-accounts", accounts, "text", "optional: 111122223333, …")}
                        {field("Regions", "s3-regions", regions, "text", "optional: us-east-1, …")}
                        {field("Access key ID", "s3-access-key", access_key, "text", "ASIA…")}
                        {field("Secret access key", "s3-secret-key", secret_key, "password", "")}
                        {field("Session token", "s3-session-token", session_token, "password", "optional")}
                    </div>
                    <div class="tg-s3__buttons">
                        <button class="tg-button" data-testid="s3-list-button" on:click=list disabled=move || remote.listing.get()>
                            "List files"
                        </button>
                        <button
                            class="tg-button tg-button--primary"
                            data-testid="s3-load-button"
                            on:click=load_found
                            disabled=move || remote.found.with(|f| f.as_ref().is_none_or(|(_, o)| o.is_empty()))
                        >
                            "Load them"
                        </button>
                        <button class="tg-button" data-testid="s3-forget-button" on:click=forget>
                            "Forget credentials"
                        </button>
                    </div>
                    {move || {
                        remote.found.with(|f| {
                            f.as_ref().map(|(_, objects)| {
                                let size: u64 = objects.iter().map(|o| o.size).sum();
                                view! {
                                    <p class="tg-s3__found" data-testid="s3-found" data-files=objects.len() data-bytes=size>
                                        {format!("{} log files, {} in all", objects.len(), bytes(size))}
                                    </p>
                                }
                            })
                        })
                    }}
                </section>
            </div>
            {move || remote.note.get().map(|n| view! { <p class="tg-s3__note" data-testid="s3-note">{n}</p> })}
        </details>
        <Show when=move || remote.queued.get() != 0>
            <section class="tg-s3__status" data-testid="fetch-status" data-running=move || remote.running().to_string()
                data-fetched=move || remote.fetched.get() data-failed=move || remote.failed.get()>
                <p>
                    {move || format!(
                        "From S3: {} of {} objects fetched ({}), {} failed",
                        remote.fetched.get(),
                        remote.queued.get(),
                        bytes(remote.fetched_bytes.get()),
                        remote.failed.get(),
                    )}
                </p>
                <ul class="tg-s3__active">
                    {move || remote.active.get().into_iter().map(|a| {
                        let progress = match a.total {
                            Some(t) => format!("{} of {}", bytes(a.bytes), bytes(t)),
                            None => bytes(a.bytes),
                        };
                        let attempt = if a.attempt > 1 { format!(" (try {})", a.attempt) } else { String::new() };
                        view! { <li data-testid="fetch-row"><code>{a.key}</code>{format!(" {progress}{attempt}")}</li> }
                    }).collect_view()}
                </ul>
                <Show when=move || remote.running()>
                    <button class="tg-button" data-testid="fetch-cancel-button" on:click=move |_| remote.cancel.set(true)>
                        "Cancel downloads"
                    </button>
                </Show>
            </section>
        </Show>
    }
}
