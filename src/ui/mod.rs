//! Leptos components: they read [`state::AppState`], render, and dispatch loads. No
//! business logic lives here; numbers come from `core::query`, drawings from `chart`.

mod chain;
mod export;
mod findings;
mod investigate;
mod overview;
mod s3;
pub mod state;

use crate::core::demo::{generate, DemoConfig};
use crate::core::ingest::{Problem, ProblemKind};
use crate::web::files::{self, Source};
use crate::web::{load, now_ms, yield_now};
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{AppState, Phase};
use std::cell::RefCell;

thread_local! {
    /// Sources dropped while a load is running; the running load picks them up.
    static PENDING: RefCell<Vec<Source>> = const { RefCell::new(Vec::new()) };
}

/// Queues sources and starts loading if nothing is loading yet.
pub fn start_load(state: AppState, sources: Vec<Source>) {
    // A .txt among the files is a list of presigned URLs to fetch, not a log.
    let (url_lists, sources): (Vec<_>, Vec<_>) = sources
        .into_iter()
        .partition(|s| s.path().to_ascii_lowercase().ends_with(".txt"));
    if !url_lists.is_empty() {
        s3::load_url_files(state, url_lists);
    }
    if sources.is_empty() {
        return;
    }
    PENDING.with(|p| p.borrow_mut().extend(sources));
    if state.phase.get_untracked() != Phase::Loading {
        state.phase.set(Phase::Loading);
        spawn_local(drain(state));
    }
}

/// Loads queued sources until the queue is empty or the user cancels.
async fn drain(state: AppState) {
    state.cancel.set(false);
    loop {
        let batch = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        if batch.is_empty() || state.cancel.get_untracked() {
            break;
        }
        // Workers parse in parallel; where they cannot start, the page loads the files.
        if let Err(batch) = crate::web::pool::run(batch, &state).await {
            load::run(batch, &state).await;
        }
    }
    PENDING.with(|p| p.borrow_mut().clear());
    // The redraw in a task of its own, not after the last merge.
    yield_now().await;
    state.refresh();
    // Digests loaded: check every log file against them, so tampered files are marked.
    let files = state.checkable_files.get_untracked();
    if files.iter().any(|(_, digest)| *digest) {
        spawn_local(async move {
            let check = crate::web::files::check_integrity(&files).await;
            state
                .mismatched_files
                .set(check.mismatched.into_iter().collect());
            state.integrity.set(Some(check.report));
            // New digests: a signature check made before them no longer covers them all.
            let same = state.digests.with_untracked(|d| {
                d.len() == check.digests.len()
                    && d.iter()
                        .zip(&check.digests)
                        .all(|(a, b)| a.path == b.path && a.sha256 == b.sha256)
            });
            if !same {
                state.digests.set(check.digests);
                state.signatures.set(None);
            }
        });
    }
    let nothing =
        state.store.with_value(|s| s.is_empty()) && state.summary.get_untracked().files == 0;
    state
        .phase
        .set(if nothing { Phase::Empty } else { Phase::Ready });
}

/// Generates the demo data set in the page (yielding as it goes) and loads it.
pub fn load_demo(state: AppState) {
    if state.phase.get_untracked() == Phase::Loading {
        return;
    }
    state.phase.set(Phase::Loading);
    spawn_local(async move {
        let mut slice = now_ms();
        for file in generate(DemoConfig::default()) {
            let source = Source::Memory {
                path: format!("demo/{}", file.path.trim_end_matches(".gz")),
                bytes: file.json,
            };
            PENDING.with(|p| p.borrow_mut().push(source));
            if now_ms() - slice > 10.0 {
                yield_now().await;
                slice = now_ms();
            }
        }
        drain(state).await;
    });
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    crate::web::register_store_reader(move |f| {
        state.store.try_with_value(|s| f(s));
    });
    state.watch_deep_filters();
    state.watch_findings();
    chain::watch_chains(state);
    // The hash is the source of truth for the view and filters.
    let _listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let route = crate::core::route::parse(&state::current_hash());
        if state.route.with_untracked(|r| *r != route) {
            state.route.set(route);
        }
    });
    if web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|h| h == "#demo" || h == "#/demo")
    {
        load_demo(state);
    }
    view! {
        <div class="tg-app" data-testid="app" data-state=move || state.phase.get().as_str()>
            <header class="tg-header">
                <h1 class="tg-logo">"Trailglass"</h1>
                <p class="tg-tagline">"Who did what, where, when — from CloudTrail logs, in your browser."</p>
                <nav class="tg-nav" aria-label="Views">
                    <a href="#/">"Overview"</a>
                    <a href="#/users">"Actors"</a>
                    <a href="#/services">"Services"</a>
                    <a href="#/parameters">"Fields"</a>
                    <a href="#/integrity">"Integrity"</a>
                    <a href="#/findings" data-testid="nav-findings">"Findings"</a>
                </nav>
                <span class="tg-privacy" title="Files are read and analysed in this tab. The page contacts only its own origin, and S3 when you load from S3; a Content-Security-Policy enforces it.">
                    "Local only: nothing leaves this tab"
                </span>
            </header>
            <Loader/>
            <s3::S3Panel/>
            <LoadProgress/>
            <Problems/>
            <Show when=move || state.phase.get() != Phase::Empty>
                <investigate::FilterBar/>
                <investigate::ListPage/>
                <chain::PersonNote/>
                <investigate::ActorPanel/>
                <chain::ActorChains/>
            </Show>
            <overview::Overview/>
            <Show when=move || state.phase.get() != Phase::Empty>
                <investigate::EventTable/>
                <investigate::EventDetail/>
                <investigate::ComparePanel/>
                <export::ExportPanel/>
            </Show>
        </div>
    }
}

/// Drop zone and pickers.
#[component]
fn Loader() -> impl IntoView {
    let state = expect_context::<AppState>();
    let dragging = RwSignal::new(false);
    let on_files = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(list) = input.files() {
            start_load(state, files::from_file_list(&list));
        }
        // Allow picking the same files again later.
        input.set_value("");
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(dt) = ev.data_transfer() else { return };
        let (entries, loose) = files::dropped_entries(&dt);
        spawn_local(async move {
            let (sources, errors) = files::walk(entries, loose).await;
            if !errors.is_empty() {
                state.problems.update(|p| {
                    p.extend(errors.into_iter().map(|(file, detail)| Problem {
                        file,
                        kind: ProblemKind::Unreadable { detail },
                    }))
                });
            }
            start_load(state, sources);
        });
    };
    let folder_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        // Not a standard attribute, so it is set on the element directly.
        if let Some(input) = folder_ref.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    view! {
        <section
            class="tg-drop"
            class:tg-drop--active=move || dragging.get()
            class:tg-drop--compact=move || state.phase.get() != Phase::Empty
            data-testid="drop-zone"
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <p class="tg-drop__title">"Drop CloudTrail log files or folders here"</p>
            <p class="tg-drop__hint">
                ".json.gz as delivered to S3, plain JSON, JSON Lines, LookupEvents output — even a whole "
                <code>"aws s3 sync"</code> " folder."
            </p>
            <div class="tg-drop__buttons">
                <label class="tg-button">
                    "Choose files"
                    <input type="file" multiple data-testid="file-input" class="tg-visually-hidden" on:change=on_files/>
                </label>
                <label class="tg-button">
                    "Choose folder"
                    <input type="file" multiple node_ref=folder_ref data-testid="folder-input" class="tg-visually-hidden" on:change=on_files/>
                </label>
                <button class="tg-button tg-button--primary" data-testid="demo-button" on:click=move |_| load_demo(state)>
                    "Try demo data"
                </button>
            </div>
        </section>
    }
}

/// Progress bar with files, bytes and events, and a cancel button.
#[component]
fn LoadProgress() -> impl IntoView {
    let state = expect_context::<AppState>();
    let percent = move || {
        let p = state.progress.get();
        if p.bytes_total == 0 {
            0.0
        } else {
            p.bytes_done as f64 * 100.0 / p.bytes_total as f64
        }
    };
    view! {
        <Show when=move || state.phase.get() == Phase::Loading>
            <section class="tg-progress" data-testid="progress" aria-live="polite">
                <div class="tg-progress__bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                    aria-valuenow=move || format!("{:.0}", percent())>
                    <div class="tg-progress__fill" style:width=move || format!("{:.1}%", percent())></div>
                </div>
                <p class="tg-progress__text">
                    {move || {
                        let p = state.progress.get();
                        format!(
                            "{} of {} files · {} of {} · {} events",
                            p.files_done,
                            p.files_total,
                            overview::bytes(p.bytes_done),
                            overview::bytes(p.bytes_total),
                            crate::chart::thousands(p.events as u64),
                        )
                    }}
                </p>
                <button class="tg-button" data-testid="cancel-button" on:click=move |_| state.cancel.set(true)>
                    "Cancel"
                </button>
            </section>
        </Show>
    }
}

/// Every problem with every file, each naming its file.
#[component]
fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <Show when=move || !state.problems.with(Vec::is_empty)>
            <section class="tg-problems" data-testid="problems">
                <h2>
                    {move || {
                        let n = state.problems.with(Vec::len);
                        format!("{n} problem{} while loading", if n == 1 { "" } else { "s" })
                    }}
                </h2>
                <p class="tg-problems__hint">"Everything else loaded. Each line names the file and, where it helps, the record."</p>
                <ul>
                    {move || {
                        state
                            .problems
                            .get()
                            .into_iter()
                            .map(|p| {
                                let class = if p.is_warning() { "tg-problem tg-problem--warning" } else { "tg-problem" };
                                view! { <li class=class data-testid="file-problem">{p.to_string()}</li> }
                            })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}

/// Files that could not be read again for a search, the findings or the key trail (a
/// dropped file changed or removed on disk since it was loaded): each named, with what
/// that leaves out. Nothing when every file was read.
#[component]
pub fn Unreadable(
    /// `data-testid` of the note.
    testid: &'static str,
    /// What the files' events are left out of ("this search", "the findings", …).
    what: &'static str,
    #[prop(into)] files: Signal<Vec<String>>,
) -> impl IntoView {
    /// Files listed before the rest are counted.
    const SHOWN: usize = 10;
    view! {
        <Show when=move || files.with(|f| !f.is_empty())>
            <div class="tg-unreadable" data-testid=testid role="status">
                <p>
                    {move || {
                        let n = files.with(Vec::len);
                        format!(
                            "{n} file{} could not be read again, so {} events are left out of {what}. Load {} again to include {}:",
                            if n == 1 { "" } else { "s" },
                            if n == 1 { "its" } else { "their" },
                            if n == 1 { "it" } else { "them" },
                            if n == 1 { "it" } else { "them" },
                        )
                    }}
                </p>
                <ul class="tg-route-errors">
                    {move || files.with(|f| {
                        let mut items: Vec<String> = f.iter().take(SHOWN).cloned().collect();
                        if f.len() > SHOWN {
                            items.push(format!("… and {} more", f.len() - SHOWN));
                        }
                        items.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()
                    })}
                </ul>
            </div>
        </Show>
    }
}
