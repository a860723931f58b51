//! Who was really behind a session, and the least privilege it needed: the role chains on
//! the actor page and in the event detail, the "everything this person did" link, the
//! Identity Center names CSV, and the least-privilege policy panel. The tracing itself is
//! `core::chain`; this module re-reads the issuing calls' records (time-budgeted, never
//! while loading) and renders.

use super::state::{AppState, ChainState, Phase};
use crate::core::chain::{self, Chain, ChainIndex, IdcNames};
use crate::core::filter::{actor_matches, select, Filter};
use crate::core::policy::least_privilege;
use crate::core::route::View;
use crate::core::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Traces the chains when a view needs them (an actor page, the event detail, the person
/// filter): re-reads the issuing calls, file by file, yielding about every 10 ms, and
/// never while files are loading. Call once, in the app.
pub fn watch_chains(state: AppState) {
    Effect::new(move |_| {
        let v = state.version.get();
        let needed = state
            .route
            .with(|r| r.filter.actor.is_some() || r.filter.person.is_some())
            || state.selected_event.get().is_some();
        if !needed || state.phase.get() != Phase::Ready || state.chains_busy.get() {
            return;
        }
        if state
            .chains
            .with_untracked(|c| c.as_ref().is_some_and(|c| c.version == v))
        {
            return;
        }
        // The issuing calls, found from columns.
        let rows: Vec<(u32, crate::core::ingest::Origin)> = state.store.with_value(|s| {
            chain::issuing_rows(s)
                .into_iter()
                .map(|row| (row, s.origin[row as usize]))
                .collect()
        });
        state.chains_busy.set(true);
        spawn_local(async move {
            let mut index = ChainIndex::new();
            let stale = move || {
                state.version.get_untracked() != v || state.phase.get_untracked() != Phase::Ready
            };
            // Re-read in workers where they run; the records come back a file at a time.
            let unreadable = crate::web::files::for_each_record(&rows, stale, |records| {
                for (row, record) in &records {
                    index.add(*row, record);
                }
            })
            .await;
            if !stale() {
                state.chains.set(Some(ChainState {
                    version: v,
                    index: std::sync::Arc::new(index),
                    unreadable,
                }));
            }
            state.chains_busy.set(false);
        });
    });
}

/// The traced index for the current store version, if ready.
fn ready_index(state: AppState) -> Option<std::sync::Arc<ChainIndex>> {
    let v = state.version.get();
    state.chains.with(|c| {
        c.as_ref()
            .filter(|c| c.version == v)
            .map(|c| c.index.clone())
    })
}

/// One chain, rendered: its line, why it stops if it does, and the person link.
#[derive(Debug, Clone, PartialEq)]
struct ChainLine {
    text: String,
    gap: Option<String>,
    person: Option<String>,
}

fn line(store: &Store, names: &IdcNames, c: &Chain) -> ChainLine {
    ChainLine {
        text: c.text(store, names),
        gap: c.gap.as_ref().map(ToString::to_string),
        person: c.person_query(store, names),
    }
}

/// A list of chains (`data-testid="actor-chain"`), each with its gap, and one link per
/// person: "Everything <person> did, through any role".
fn chain_list(state: AppState, lines: Vec<ChainLine>) -> impl IntoView {
    let mut people: Vec<String> = lines.iter().filter_map(|l| l.person.clone()).collect();
    people.sort();
    people.dedup();
    view! {
        <ul class="tg-chains" data-testid="actor-chain">
            {lines.into_iter().map(|l| view! {
                <li data-testid="chain-line">
                    <span class="tg-chain__text">{l.text}</span>
                    {l.gap.map(|g| view! { <span class="tg-notes" data-testid="chain-gap">{format!(" — unresolved: {g}")}</span> })}
                </li>
            }).collect_view()}
        </ul>
        <p class="tg-chain__people">
            {people.into_iter().map(|p| {
                let label = format!("Everything {p} did, through any role");
                let attr = p.clone();
                view! {
                    <button class="tg-chip-button" data-testid="person-link" data-person=attr
                        on:click=move |_| state.navigate(&View::Overview, &Filter { person: Some(p.clone()), ..Filter::default() })>
                        {label}
                    </button>
                }
            }).collect_view()}
        </p>
    }
}

/// On an actor page: who was behind the actor's sessions, the Identity Center CSV input,
/// and the least-privilege policy.
#[component]
pub fn ActorChains() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_actor = move || state.route.with(|r| r.filter.actor.is_some());
    let lines = move || {
        let index = ready_index(state)?;
        let rows = state.selection.get();
        let names = state.idc_names.get();
        Some(state.store.with_value(|s| {
            chain::chains_of_rows(s, &index, &rows)
                .iter()
                .map(|c| line(s, &names, c))
                .collect::<Vec<_>>()
        }))
    };
    let coverage = move || {
        let index = ready_index(state)?;
        Some(state.store.with_value(|s| chain::coverage(s, &index)))
    };
    view! {
        <Show when=on_actor>
            <section class="tg-card" data-testid="chains-panel">
                <h2>"Who was behind these sessions"</h2>
                {move || match lines() {
                    None => view! { <p class="tg-notes" data-testid="chain-tracing">"Tracing role sessions to the calls that issued their keys…"</p> }.into_any(),
                    Some(lines) => chain_list(state, lines).into_any(),
                }}
                <super::Unreadable testid="chain-unreadable" what="the trail of issued keys" files=Signal::derive(move || {
                    let v = state.version.get();
                    state.chains.with(|c| match c {
                        Some(c) if c.version == v => c.unreadable.clone(),
                        _ => Vec::new(),
                    })
                })/>
                <p class="tg-notes" data-testid="chain-coverage">
                    {move || coverage().map(|c| format!(
                        "In all loaded data: {} temporary keys used, {} issued by a call in the data, {} traced to the person who started the chain.",
                        c.temporary_keys, c.issued_here, c.complete
                    ))}
                </p>
                <IdcCsvInput/>
            </section>
            <PolicyPanel/>
        </Show>
    }
}

/// The chain behind the selected event, in the event detail.
#[component]
pub fn EventChain() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lines = move || {
        let row = state.selected_event.get()?;
        let index = ready_index(state)?;
        let names = state.idc_names.get();
        Some(state.store.with_value(|s| {
            (row < s.len() as u32).then(|| vec![line(s, &names, &chain::resolve(s, &index, row))])
        }))
    };
    view! {
        <div class="tg-event-chain" data-testid="event-chain">
            <h3>"Who was behind it"</h3>
            {move || match lines() {
                None => view! { <p class="tg-notes">"Tracing…"</p> }.into_any(),
                Some(None) => ().into_any(),
                Some(Some(lines)) => chain_list(state, lines).into_any(),
            }}
        </div>
    }
}

/// A note under the filter bar while the person filter waits for the chains, and what it
/// selected once they are traced.
#[component]
pub fn PersonNote() -> impl IntoView {
    let state = expect_context::<AppState>();
    let person = move || state.route.with(|r| r.filter.person.clone());
    view! {
        {move || person().map(|p| {
            let ready = move || ready_index(state).is_some();
            view! {
                <p class="tg-notes" data-testid="person-note" data-ready=move || ready().to_string()>
                    {move || if ready() {
                        format!("Everything {p} did: their own calls and those of every role session traced back to them ({} events).", state.selection.with(Vec::len))
                    } else {
                        format!("Tracing role sessions to find everything {p} did…")
                    }}
                </p>
            }
        })}
    }
}

/// Loads a `userId,name` CSV naming Identity Center users; reports each bad line.
#[component]
fn IdcCsvInput() -> impl IntoView {
    let state = expect_context::<AppState>();
    let messages = RwSignal::new(Vec::<String>::new());
    let on_file = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|l| l.get(0)) else {
            return;
        };
        input.set_value("");
        spawn_local(async move {
            match crate::web::files::read_text(&file).await {
                Ok(text) => {
                    let (names, errors) = IdcNames::parse(&text);
                    let mut out = vec![format!("{} Identity Center names loaded.", names.len())];
                    out.extend(errors.iter().map(ToString::to_string));
                    state.idc_names.set(names);
                    messages.set(out);
                }
                Err(e) => messages.set(vec![e]),
            }
        });
    };
    view! {
        <div class="tg-idc">
            <label class="tg-button">
                "Names for Identity Center users (CSV: userId,name)"
                <input type="file" accept=".csv,text/csv,text/plain" class="tg-visually-hidden" data-testid="idc-csv-input" on:change=on_file/>
            </label>
            <ul class="tg-route-errors" data-testid="idc-csv-messages">
                {move || messages.get().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The scope of the policy: the selected events, or every session of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Selection,
    Role(String),
}

/// The IAM policy of exactly the actions used, with notes and a download button.
#[component]
fn PolicyPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let scope = RwSignal::new(Scope::Selection);
    // Roles behind the selected actors (issuer ARNs of assumed-role sessions).
    let roles = Memo::new(move |_| {
        state.version.track();
        let query = state
            .route
            .with(|r| r.filter.actor.clone())
            .unwrap_or_default();
        state.store.with_value(|s| {
            let mut roles: Vec<String> = (0..s.actors.len())
                .filter(|&a| actor_matches(s, a, &query))
                .map(|a| s.actors[a].issuer_arn.clone())
                .filter(|arn| arn.contains(":role/"))
                .collect();
            roles.sort();
            roles.dedup();
            roles
        })
    });
    let report = Memo::new(move |_| {
        let scope = scope.get();
        match scope {
            Scope::Selection => state
                .selection
                .with(|rows| state.store.with_value(|s| least_privilege(s, rows))),
            Scope::Role(arn) => {
                let filter = state.route.with(|r| Filter {
                    actor: None,
                    ..r.filter.clone()
                });
                state.version.track();
                state.store.with_value(|s| {
                    let rows: Vec<u32> = select(s, &filter.columns_only())
                        .into_iter()
                        .filter(|&r| {
                            s.actors
                                .get(s.actor[r as usize] as usize)
                                .is_some_and(|a| a.issuer_arn == arn)
                        })
                        .collect();
                    least_privilege(s, &rows)
                })
            }
        }
    });
    let download = move |_| {
        let name = match scope.get_untracked() {
            Scope::Selection => state
                .route
                .with_untracked(|r| r.filter.actor.clone())
                .unwrap_or_else(|| "actor".to_owned()),
            Scope::Role(arn) => arn.rsplit('/').next().unwrap_or("role").to_owned(),
        };
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let json = report.with_untracked(|r| r.json.clone());
        if let Err(e) = crate::web::download(
            &format!("least-privilege-{safe}.json"),
            "application/json",
            &json,
        ) {
            state.problems.update(|p| {
                p.push(crate::core::ingest::Problem {
                    file: "least-privilege policy".to_owned(),
                    kind: crate::core::ingest::ProblemKind::Unreadable { detail: e },
                })
            });
        }
    };
    view! {
        <section class="tg-card" data-testid="policy-panel">
            <div class="tg-event-detail__head">
                <h2>"Least privilege from what was really used"</h2>
                <select class="tg-input tg-input--select" data-testid="policy-scope"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        scope.set(if v.is_empty() { Scope::Selection } else { Scope::Role(v) });
                    }>
                    <option value="" selected=true>"These events"</option>
                    {move || roles.get().into_iter().map(|arn| {
                        let label = format!("Every session of role {}", arn.rsplit('/').next().unwrap_or(&arn));
                        view! { <option value=arn.clone()>{label}</option> }
                    }).collect_view()}
                </select>
                <button class="tg-button" data-testid="policy-download" on:click=download>"Download policy"</button>
            </div>
            <pre class="tg-json" data-testid="policy-json">{move || report.with(|r| r.json.clone())}</pre>
            <ul class="tg-notes" data-testid="policy-notes">
                {move || report.with(|r| r.notes.clone()).into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </section>
    }
}
