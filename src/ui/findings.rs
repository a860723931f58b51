//! The Findings view (`#/findings`): every rule that fired, most severe first, with why it
//! matters, who, when, and a link to its events; plus the rules' thresholds. The numbers
//! come from `core::detect`, run by [`super::state::AppState::watch_findings`].

use super::state::{AppState, Phase};
use crate::chart::thousands;
use crate::core::detect::{Finding, Settings};
use crate::core::filter::Filter;
use crate::core::route::{self, View};
use crate::core::time::format_time;
use leptos::prelude::*;

/// Whether detection is waiting for a load, running, or done for the current data.
fn status(state: AppState) -> &'static str {
    let v = state.version.get();
    if state.phase.get() != Phase::Ready {
        return "waiting";
    }
    let current = state.findings.with(|d| {
        d.as_ref().is_some_and(|d| {
            d.version == v
                && d.sigma_version == state.sigma_version.get()
                && state.detect_settings.with(|s| *s == d.settings)
        })
    });
    if current {
        "done"
    } else {
        "running"
    }
}

/// The link that opens a finding's events as a filtered view.
pub fn events_link(rule: &str) -> String {
    route::to_hash(
        &View::Overview,
        &Filter {
            finding: Some(rule.to_owned()),
            ..Filter::default()
        },
    )
}

/// The Findings page.
#[component]
pub fn FindingsView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let findings = Memo::new(move |_| {
        state
            .findings
            .with(|d| d.as_ref().map(|d| d.findings.clone()).unwrap_or_default())
    });
    view! {
        <section class="tg-card tg-findings" data-testid="findings" data-status=move || status(state)>
            <h2>"Findings"</h2>
            <p class="tg-notes">
                "Rules that fired over the loaded events, most severe first. Only successful calls count for rules about changes; denied calls feed the access-denied rule."
            </p>
            // ---- Progress while candidate records are re-read ----
            {move || state.detect_progress.get().map(|(done, total)| view! {
                <p class="tg-notes" data-testid="findings-progress" aria-live="polite">
                    {if total == 0 {
                        "Checking rules: choosing the events to re-read…".to_string()
                    } else {
                        format!("Checking rules: read {} of {} candidate events…", thousands(done as u64), thousands(total as u64))
                    }}
                </p>
            })}
            {move || (status(state) == "done" && findings.with(Vec::is_empty)).then(|| view! {
                <p class="tg-notes" data-testid="findings-none">"No rule fired."</p>
            })}
            <super::Unreadable testid="findings-unreadable" what="the findings" files=Signal::derive(move || {
                let v = state.version.get();
                state.findings.with(|d| match d {
                    Some(d) if d.version == v => d.unreadable.clone(),
                    _ => Vec::new(),
                })
            })/>
            // ---- One card per fired rule ----
            <div class="tg-findings__list">
                {move || findings.get().into_iter().map(|f| view! { <FindingCard finding=f/> }).collect_view()}
            </div>
            <SettingsForm/>
            <SigmaPanel/>
        </section>
    }
}

/// One fired rule.
#[component]
fn FindingCard(
    /// The finding to show.
    finding: Finding,
) -> impl IntoView {
    let count = finding.rows.len();
    let severity = finding.severity.as_str();
    let when = match (finding.first, finding.last) {
        (Some(a), Some(b)) if a == b => format_time(a),
        (Some(a), Some(b)) => format!("{} → {}", format_time(a), format_time(b)),
        _ => "time unknown".to_owned(),
    };
    let actors = if finding.actors.is_empty() {
        "(no actor)".to_owned()
    } else {
        finding.actors.join(", ")
    };
    let link = events_link(&finding.rule);
    view! {
        <article class=format!("tg-finding tg-finding--{severity}") data-testid="finding"
            data-rule=finding.rule.clone() data-count=count.to_string() data-severity=severity>
            <header class="tg-finding__head">
                <span class="tg-finding__severity">{severity}</span>
                <h3 class="tg-finding__title">{finding.title.clone()}</h3>
                <code class="tg-finding__id">{finding.rule.clone()}</code>
            </header>
            <p class="tg-finding__reason" data-testid="finding-reason">{finding.reason.clone()}</p>
            <dl class="tg-finding__facts">
                <dt>"Actors"</dt><dd data-testid="finding-actors">{actors}</dd>
                <dt>"When (UTC)"</dt><dd data-testid="finding-time">{when}</dd>
                {finding.author.clone().map(|a| view! { <dt>"Rule author"</dt><dd data-testid="finding-author">{a}</dd> })}
            </dl>
            <a class="tg-button" data-testid="finding-events" href=link>
                {format!("Show {} event{}", thousands(count as u64), if count == 1 { "" } else { "s" })}
            </a>
        </article>
    }
}

/// One editable threshold: label, test id, and how to read and write it.
struct Knob {
    label: &'static str,
    testid: &'static str,
    read: fn(&Settings) -> i64,
    write: fn(&mut Settings, i64),
}

const KNOBS: &[Knob] = &[
    Knob {
        label: "Failed sign-ins from one IP that make a burst",
        testid: "setting-failed-login-burst",
        read: |s| s.failed_login_burst as i64,
        write: |s, v| s.failed_login_burst = v.max(1) as usize,
    },
    Knob {
        label: "…within (seconds)",
        testid: "setting-failed-login-window",
        read: |s| s.failed_login_window,
        write: |s, v| s.failed_login_window = v.max(0),
    },
    Knob {
        label: "Access-denied errors of one actor that make a burst",
        testid: "setting-access-denied-burst",
        read: |s| s.access_denied_burst as i64,
        write: |s, v| s.access_denied_burst = v.max(1) as usize,
    },
    Knob {
        label: "…within (seconds)",
        testid: "setting-access-denied-window",
        read: |s| s.access_denied_window,
        write: |s, v| s.access_denied_window = v.max(0),
    },
    Knob {
        label: "User or key deleted within (seconds) of creation",
        testid: "setting-short-lived-window",
        read: |s| s.short_lived_window,
        write: |s, v| s.short_lived_window = v.max(0),
    },
    Knob {
        label: "Rare region: at most this many events",
        testid: "setting-rare-region-max",
        read: |s| s.rare_region_max_events as i64,
        write: |s, v| s.rare_region_max_events = v.max(0) as usize,
    },
    Knob {
        label: "…when at least this many events are loaded",
        testid: "setting-rare-region-min-total",
        read: |s| s.rare_region_min_total as i64,
        write: |s, v| s.rare_region_min_total = v.max(0) as usize,
    },
];

/// The thresholds of the built-in rules; a change re-runs detection.
#[component]
fn SettingsForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <details class="tg-findings__settings" data-testid="findings-settings">
            <summary>"Thresholds"</summary>
            <div class="tg-findings__knobs">
                {KNOBS.iter().map(|k| {
                    let (read, write) = (k.read, k.write);
                    view! {
                        <label class="tg-findings__knob">
                            <span>{k.label}</span>
                            <input type="number" min="0" data-testid=k.testid
                                prop:value=move || state.detect_settings.with(|s| read(s).to_string())
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).trim().parse::<i64>() {
                                        state.detect_settings.update(|s| write(s, v));
                                    }
                                }/>
                        </label>
                    }
                }).collect_view()}
            </div>
            <button class="tg-button" data-testid="settings-reset"
                on:click=move |_| state.detect_settings.set(Settings::default())>
                "Defaults"
            </button>
        </details>
    }
}

/// The overview tile: how many rules fired (a link to the Findings page).
#[component]
pub fn FindingsTile() -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = move || match status(state) {
        "done" => state
            .findings
            .with(|d| d.as_ref().map_or(0, |d| d.findings.len()))
            .to_string(),
        _ => "…".to_owned(),
    };
    view! {
        <a class="tg-tile tg-tile--link" href="#/findings">
            <span class="tg-tile__label">"Findings"</span>
            <span class="tg-tile__value" data-testid="kpi-findings">{text}</span>
        </a>
    }
}

/// Adds parsed Sigma rules to the loaded ones and lists those that could not be used.
fn add_sigma(state: AppState, text: &str, source: &str) {
    let (rules, errors) = crate::core::sigma::parse_rules(text, source);
    let mut all: Vec<_> = state.sigma.with_untracked(|s| s.rules().to_vec());
    // A rule loaded again replaces its earlier copy rather than counting twice.
    all.retain(|r| !rules.iter().any(|n| n.id == r.id));
    all.extend(rules);
    state.sigma.set(crate::core::sigma::RuleSet::new(all));
    state.sigma_errors.update(|e| e.extend(errors));
    state.sigma_version.update(|v| *v += 1);
}

/// Sigma rules: paste or pick SigmaHQ YAML; matches appear as findings above.
#[component]
fn SigmaPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = RwSignal::new(String::new());
    let on_files = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        input.set_value("");
        leptos::task::spawn_local(async move {
            for file in files {
                let name = file.name();
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(v) => add_sigma(state, &v.as_string().unwrap_or_default(), &name),
                    Err(e) => state.sigma_errors.update(|errs| {
                        errs.push(crate::core::sigma::SigmaError {
                            source: name.clone(),
                            title: String::new(),
                            reason: format!(
                                "the file could not be read: {}",
                                crate::web::js_error(&e)
                            ),
                        })
                    }),
                }
            }
        });
    };
    view! {
        <section class="tg-sigma" data-testid="sigma">
            <h3>"Sigma rules"</h3>
            <p class="tg-notes">
                "Paste or pick SigmaHQ rules for "<code>"product: aws, service: cloudtrail"</code>
                ". Matches appear above as findings, with the rule's level as severity and its author credited. Rules using anything unsupported are listed below with the reason."
            </p>
            <textarea data-testid="sigma-text" aria-label="Sigma rules (YAML)" spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="tg-drop__buttons">
                <button class="tg-button tg-button--primary" data-testid="sigma-load-button"
                    on:click=move |_| {
                        let t = text.get_untracked();
                        if !t.trim().is_empty() {
                            add_sigma(state, &t, "pasted");
                        }
                    }>
                    "Load pasted rules"
                </button>
                <label class="tg-button">
                    "Choose .yml files"
                    <input type="file" multiple accept=".yml,.yaml" data-testid="sigma-input" class="tg-visually-hidden" on:change=on_files/>
                </label>
                <button class="tg-button" data-testid="sigma-clear"
                    on:click=move |_| {
                        state.sigma.set(Default::default());
                        state.sigma_errors.set(Vec::new());
                        state.sigma_version.update(|v| *v += 1);
                    }>
                    "Remove Sigma rules"
                </button>
            </div>
            <p class="tg-notes" data-testid="sigma-count">
                {move || {
                    let n = state.sigma.with(|s| s.rules().len());
                    format!("{n} Sigma rule{} loaded", if n == 1 { "" } else { "s" })
                }}
            </p>
            <ul class="tg-sigma__errors">
                {move || state.sigma_errors.get().into_iter().map(|e| view! {
                    <li data-testid="sigma-error">{e.to_string()}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
