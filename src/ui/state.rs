//! Application state: the store and the signals views read. Loading writes here through
//! [`LoadTarget`]; views only read.

use crate::core::filter::{select, Filter};
use crate::core::ingest::{FileReport, Problem};
use crate::core::route::{self, Route, View};
use crate::core::store::Store;
use crate::web::load::{LoadTarget, Progress};
use leptos::prelude::*;

/// Where the app is: nothing loaded, loading, or showing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Empty,
    Loading,
    Ready,
}

impl Phase {
    /// The value of the root's `data-state` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Empty => "empty",
            Phase::Loading => "loading",
            Phase::Ready => "ready",
        }
    }
}

/// Totals over every file loaded so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSummary {
    pub files: u64,
    pub gzip_files: u64,
    pub bytes: u64,
    pub inflated: u64,
    pub records: u64,
    pub duplicates: u64,
    pub digests: u64,
    pub insights: u64,
    pub bad_records: u64,
    pub files_with_problems: u64,
}

/// Everything the views read, cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct AppState {
    pub store: StoredValue<Store>,
    /// Bumped whenever the store changes, so derived views recompute.
    pub version: RwSignal<u64>,
    pub phase: RwSignal<Phase>,
    pub progress: RwSignal<Progress>,
    pub summary: RwSignal<LoadSummary>,
    pub problems: RwSignal<Vec<Problem>>,
    /// Set by the cancel button; read by the load loop.
    pub cancel: RwSignal<bool>,
    /// The page and filters, parsed from the location hash (the hash is the source of truth).
    pub route: RwSignal<Route>,
    /// Rows passing the current filters, in load order.
    pub selection: Memo<Vec<u32>>,
    /// The event whose full record is shown (a store row).
    pub selected_event: RwSignal<Option<u32>>,
    /// Loaded files by role, for the integrity check: (file number, is a digest).
    pub checkable_files: RwSignal<Vec<(u32, bool)>>,
    /// The last integrity report, and the files whose hash did not match their digest.
    pub integrity: RwSignal<Option<crate::core::integrity::IntegrityReport>>,
    pub mismatched_files: RwSignal<std::collections::HashSet<u32>>,
    /// The loaded digests (kept for signature checks) and the last signature check.
    pub digests: RwSignal<Vec<crate::core::integrity::LoadedFile>>,
    pub signatures: RwSignal<Option<SignatureOutcome>>,
    /// Events picked for side-by-side comparison (at most 5 rows).
    pub compare: RwSignal<Vec<u32>>,
    /// The result of the last whole-record search (field = value, free text).
    pub deep: RwSignal<Option<DeepMatch>>,
    /// How many records a whole-record search is reading now (0: none running).
    pub deep_busy: RwSignal<usize>,
    /// The last detection run (built-in rules), for one store version and settings.
    pub findings: RwSignal<Option<Detection>>,
    /// Detection progress while it runs: (candidate records read, candidates).
    pub detect_progress: RwSignal<Option<(usize, usize)>>,
    /// Thresholds of the built-in rules, edited on the Findings page.
    pub detect_settings: RwSignal<crate::core::detect::Settings>,
    /// Sigma rules loaded by the user, the ones that could not be used, and a counter
    /// bumped whenever the set changes.
    pub sigma: RwSignal<crate::core::sigma::RuleSet>,
    pub sigma_errors: RwSignal<Vec<crate::core::sigma::SigmaError>>,
    pub sigma_version: RwSignal<u64>,
    /// Issued keys traced from the re-read issuing calls, for one store version
    /// (see `ui::chain`); `None` until traced.
    pub chains: RwSignal<Option<ChainState>>,
    /// Whether the issuing calls are being re-read now.
    pub chains_busy: RwSignal<bool>,
    /// Names for Identity Center user IDs, from an uploaded CSV.
    pub idc_names: RwSignal<crate::core::chain::IdcNames>,
}

/// Findings of one detection run, and what they were computed for.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub version: u64,
    pub settings: crate::core::detect::Settings,
    pub sigma_version: u64,
    pub findings: Vec<crate::core::detect::Finding>,
    /// Files whose candidate records could not be read again (their events were not
    /// checked), each message naming the file.
    pub unreadable: Vec<String>,
}

impl AppState {
    /// A fresh, empty state.
    pub fn new() -> Self {
        let store = StoredValue::new(Store::new());
        let version = RwSignal::new(0u64);
        let route = RwSignal::new(route::parse(&current_hash()));
        let deep = RwSignal::new(None::<DeepMatch>);
        let findings = RwSignal::new(None::<Detection>);
        let chains = RwSignal::new(None::<ChainState>);
        let idc_names = RwSignal::new(crate::core::chain::IdcNames::default());
        let mismatched_files = RwSignal::new(std::collections::HashSet::<u32>::new());
        let selection = Memo::new(move |_| {
            let v = version.get();
            let filter = route.with(|r| r.filter.clone());
            let mut base = store.with_value(|s| crate::web::timed("select", || select(s, &filter)));
            if filter.mismatched_only {
                // The one filter the store cannot answer: it needs the integrity report.
                mismatched_files.with(|m| {
                    store.with_value(|s| base.retain(|&r| m.contains(&s.origin[r as usize].file)))
                });
            }
            if let Some(rule) = &filter.finding {
                // The rows of one finding; nothing until detection has answered.
                let rows: std::collections::HashSet<u32> = findings.with(|d| {
                    d.as_ref()
                        .filter(|d| d.version == v)
                        .and_then(|d| d.findings.iter().find(|f| &f.rule == rule))
                        .map(|f| f.rows.iter().copied().collect())
                        .unwrap_or_default()
                });
                base.retain(|r| rows.contains(r));
            }
            // The person filter needs the traced chains; until they are, show nothing.
            let base = match &filter.person {
                None => base,
                Some(person) => chains.with(|c| match c {
                    Some(c) if c.version == v => idc_names.with(|names| {
                        store.with_value(|s| {
                            let theirs =
                                crate::core::chain::person_rows(s, &c.index, names, person);
                            base.into_iter()
                                .filter(|&r| theirs.get(r as usize).copied().unwrap_or(false))
                                .collect()
                        })
                    }),
                    _ => Vec::new(),
                }),
            };
            if !filter.needs_records() {
                return base;
            }
            // Until the whole-record search has answered, show nothing rather than numbers
            // that ignore part of the filter.
            deep.with(|d| match d {
                Some(d) if d.filter == filter && d.version == v => {
                    let hits: std::collections::HashSet<u32> = d.rows.iter().copied().collect();
                    base.into_iter().filter(|r| hits.contains(r)).collect()
                }
                _ => Vec::new(),
            })
        });
        AppState {
            store,
            version,
            phase: RwSignal::new(Phase::Empty),
            progress: RwSignal::new(Progress::default()),
            summary: RwSignal::new(LoadSummary::default()),
            problems: RwSignal::new(Vec::new()),
            cancel: RwSignal::new(false),
            route,
            selection,
            selected_event: RwSignal::new(None),
            deep,
            deep_busy: RwSignal::new(0),
            findings,
            detect_progress: RwSignal::new(None),
            detect_settings: RwSignal::new(Default::default()),
            sigma: RwSignal::new(Default::default()),
            sigma_errors: RwSignal::new(Vec::new()),
            sigma_version: RwSignal::new(0),
            compare: RwSignal::new(Vec::new()),
            checkable_files: RwSignal::new(Vec::new()),
            integrity: RwSignal::new(None),
            chains,
            chains_busy: RwSignal::new(false),
            idc_names,
            mismatched_files,
            digests: RwSignal::new(Vec::new()),
            signatures: RwSignal::new(None),
        }
    }

    /// Runs whole-record searches when the filter asks for one (call once, in the app).
    pub fn watch_deep_filters(self) {
        Effect::new(move |_| {
            let v = self.version.get();
            let filter = self.route.with(|r| r.filter.clone());
            if !filter.needs_records() {
                // A search left for a filter without one is no longer waited for.
                if self.deep_busy.get_untracked() != 0 {
                    self.deep_busy.set(0);
                }
                return;
            }
            if self.phase.get() == Phase::Loading {
                return;
            }
            let done = self.deep.with_untracked(|d| {
                d.as_ref()
                    .is_some_and(|d| d.filter == filter && d.version == v)
            });
            if done {
                return;
            }
            let rows: Vec<_> = self.store.with_value(|s| {
                select(s, &filter.columns_only())
                    .into_iter()
                    .map(|r| (r, s.origin[r as usize]))
                    .collect()
            });
            self.deep_busy.set(rows.len().max(1));
            leptos::task::spawn_local(async move {
                let stale = || {
                    self.route.with_untracked(|r| r.filter != filter)
                        || self.version.get_untracked() != v
                };
                let (hits, unreadable) = crate::web::files::search_records(
                    &rows,
                    &filter.fields,
                    filter.text.as_deref(),
                    stale,
                )
                .await;
                let current = self.route.with_untracked(|r| r.filter == filter)
                    && self.version.get_untracked() == v;
                if current {
                    self.deep.set(Some(DeepMatch {
                        filter,
                        version: v,
                        rows: hits,
                        unreadable,
                    }));
                    self.deep_busy.set(0);
                }
            });
        });
    }

    /// Runs the built-in detections after each load (never while loading) and whenever
    /// their settings change (call once, in the app). Candidate records are re-read from
    /// their files a few files at a time, yielding so the page stays responsive.
    pub fn watch_findings(self) {
        Effect::new(move |_| {
            let v = self.version.get();
            let settings = self.detect_settings.get();
            let sigma_version = self.sigma_version.get();
            if self.phase.get() != Phase::Ready {
                self.detect_progress.set(None);
                return;
            }
            let done = self.findings.with_untracked(|d| {
                d.as_ref().is_some_and(|d| {
                    d.version == v && d.settings == settings && d.sigma_version == sigma_version
                })
            });
            if done {
                return;
            }
            let sigma = self.sigma.get_untracked();
            self.detect_progress.set(Some((0, 0)));
            // Each step in its own task, after the views that this change redraws: at a
            // million events, choosing candidates and setting up the detector take 20-40 ms
            // each, which added to the redraw made one long task.
            leptos::task::spawn_local(async move {
                let stale = move || {
                    self.version.get_untracked() != v
                        || self.detect_settings.with_untracked(|s| *s != settings)
                        || self.sigma_version.get_untracked() != sigma_version
                };
                crate::web::yield_now().await;
                if stale() {
                    return;
                }
                let mut detector = self
                    .store
                    .with_value(|s| crate::core::detect::Detector::new(s, &settings));
                crate::web::yield_now().await;
                if stale() {
                    return;
                }
                let mut rows = self.store.with_value(|s| detector.candidates(s));
                crate::web::yield_now().await;
                if stale() {
                    return;
                }
                let rows: Vec<_> = self.store.with_value(|s| {
                    rows.extend(crate::core::detect::sigma_candidates(s, &sigma));
                    rows.sort_unstable();
                    rows.dedup();
                    rows.into_iter()
                        .map(|r| (r, s.origin[r as usize]))
                        .collect()
                });
                self.detect_progress.set(Some((0, rows.len())));
                let mut sigma_rows = Vec::new();
                // Workers re-read the files; each file's records come back here, and the
                // rules run over them (a file's worth at a time: a few milliseconds).
                let total = rows.len();
                let mut done = 0;
                let unreadable = crate::web::files::for_each_record(&rows, stale, |got| {
                    self.store.with_value(|s| {
                        detector.feed(s, &got);
                        crate::core::detect::sigma_feed(s, &got, &sigma, &mut sigma_rows);
                    });
                    done += got.len();
                    self.detect_progress.set(Some((done.min(total), total)));
                })
                .await;
                if stale() {
                    return;
                }
                let findings = self.store.with_value(|s| {
                    let mut all = detector.finish(s);
                    all.extend(crate::core::detect::sigma_finish(s, &sigma, sigma_rows));
                    crate::core::detect::sort_findings(&mut all);
                    all
                });
                if stale() {
                    return;
                }
                self.findings.set(Some(Detection {
                    version: v,
                    settings,
                    sigma_version,
                    findings,
                    unreadable,
                }));
                self.detect_progress.set(None);
            });
        });
    }

    /// Goes to a view with filters by setting the location hash (the `hashchange`
    /// listener then updates [`AppState::route`]).
    pub fn navigate(&self, view: &View, filter: &Filter) {
        let hash = route::to_hash(view, filter);
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&hash);
        }
        // Also update now: setting the same hash fires no event.
        self.route.set(route::parse(&hash));
    }

    /// Changes the current filters, keeping the view.
    pub fn update_filter(&self, change: impl FnOnce(&mut Filter)) {
        let (view, mut filter) = self
            .route
            .with_untracked(|r| (r.view.clone(), r.filter.clone()));
        change(&mut filter);
        self.navigate(&view, &filter);
    }

    /// Marks the store changed so views redraw.
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// The chain index traced for one store version.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub version: u64,
    pub index: std::sync::Arc<crate::core::chain::ChainIndex>,
    /// Files whose issuing calls could not be read again, each message naming the file.
    pub unreadable: Vec<String>,
}

/// The last digest-signature check: the report, how many keys were used, and every
/// message about the keys and signatures supplied.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureOutcome {
    pub report: crate::core::integrity::SignatureReport,
    pub keys: usize,
    pub messages: Vec<String>,
}

/// Rows that passed a whole-record search, for one filter and store version.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepMatch {
    pub filter: Filter,
    pub version: u64,
    pub rows: Vec<u32>,
    /// Files that could not be read again (their events are left out), each message
    /// naming the file.
    pub unreadable: Vec<String>,
}

/// The location hash, or "" outside a browser window.
pub fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

impl Default for AppState {
    fn default() -> Self {
        AppState::new()
    }
}

impl LoadTarget for AppState {
    fn with_store(&self, f: &mut dyn FnMut(&mut Store)) {
        self.store.update_value(|s| f(s));
    }

    fn progress(&self, p: &Progress) {
        // Only the progress bar updates while loading: recomputing every chart over a
        // growing store would cost main-thread time the load needs (and long tasks).
        self.progress.set(p.clone());
    }

    fn file_done(&self, r: FileReport) {
        self.summary.update(|s| {
            s.files += 1;
            s.gzip_files += u64::from(r.gzip);
            s.bytes += r.bytes;
            s.inflated += r.inflated;
            s.records += r.records;
            s.duplicates += r.duplicates;
            s.digests += r.digests;
            s.insights += r.insights;
            s.bad_records += r.bad_records;
            s.files_with_problems += u64::from(!r.problems.is_empty());
        });
        if r.digests > 0 || r.records > 0 {
            self.checkable_files
                .update(|f| f.push((r.file, r.digests > 0 && r.records == 0)));
        }
        if !r.problems.is_empty() {
            self.problems.update(|p| p.extend(r.problems));
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.get_untracked()
    }

    fn warm_up(&self) {
        self.store.with_value(super::overview::warm_up);
    }
}
