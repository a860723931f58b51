//! Investigation: the filter bar (chips, time presets, route messages), the identity panel
//! for actor pages, the event table (virtualised, sortable) and the event detail, which
//! re-reads the original record from its file.

use super::state::AppState;
use crate::chart::thousands;
use crate::core::filter::{actor_matches, ErrorFilter, Filter};
use crate::core::query::{self, SortKey};
use crate::core::record::service_name;
use crate::core::route::{self, View};
use crate::core::store::NO_TIME;
use crate::core::time::format_time;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Removes one filter from a [`Filter`].
type Remove = std::rc::Rc<dyn Fn(&mut Filter)>;

/// One active filter as a chip: its text, and how to remove it.
fn chips(f: &Filter) -> Vec<(String, Remove)> {
    let mut out: Vec<(String, Remove)> = Vec::new();
    let mut chip = |text: String, remove: Box<dyn Fn(&mut Filter)>| {
        out.push((text, std::rc::Rc::from(remove)));
    };
    if let Some(t) = f.from {
        chip(
            format!("from {}", format_time(t)),
            Box::new(|f| f.from = None),
        );
    }
    if let Some(t) = f.to {
        chip(format!("to {}", format_time(t)), Box::new(|f| f.to = None));
    }
    if let Some(v) = &f.actor {
        chip(format!("actor = {v}"), Box::new(|f| f.actor = None));
    }
    if let Some(v) = &f.service {
        chip(format!("service = {v}"), Box::new(|f| f.service = None));
    }
    if let Some(v) = &f.event_name {
        chip(
            format!("event = {}", v.0),
            Box::new(|f| f.event_name = None),
        );
    }
    if let Some(v) = &f.region {
        chip(format!("region = {v}"), Box::new(|f| f.region = None));
    }
    if let Some(v) = &f.ip {
        chip(format!("source IP in {v}"), Box::new(|f| f.ip = None));
    }
    if let Some(v) = &f.access_key {
        chip(
            format!("access key = {v}"),
            Box::new(|f| f.access_key = None),
        );
    }
    if let Some(v) = &f.event_id {
        chip(format!("event ID = {v}"), Box::new(|f| f.event_id = None));
    }
    if let Some(v) = &f.resource {
        chip(format!("resource ∋ {v}"), Box::new(|f| f.resource = None));
    }
    if let Some(v) = &f.resource_type {
        chip(
            format!("resource type = {v}"),
            Box::new(|f| f.resource_type = None),
        );
    }
    let error = match &f.error {
        Some(ErrorFilter::Any) => Some("any error".to_owned()),
        Some(ErrorFilter::None) => Some("no error".to_owned()),
        Some(ErrorFilter::Code(c)) => Some(format!("error = {c}")),
        None => None,
    };
    if let Some(text) = error {
        chip(text, Box::new(|f| f.error = None));
    }
    if let Some(ro) = f.read_only {
        let text = if ro { "reads only" } else { "writes only" };
        chip(text.to_owned(), Box::new(|f| f.read_only = None));
    }
    if let Some(c) = f.client {
        chip(
            format!("client = {}", c.as_str()),
            Box::new(|f| f.client = None),
        );
    }
    if f.hide_aws {
        chip(
            "AWS service activity hidden".to_owned(),
            Box::new(|f| f.hide_aws = false),
        );
    }
    if f.mismatched_only {
        chip(
            "only events from files that fail their digest".to_owned(),
            Box::new(|f| f.mismatched_only = false),
        );
    }
    if let Some(t) = &f.text {
        chip(format!("text “{t}”"), Box::new(|f| f.text = None));
    }
    if let Some(r) = &f.finding {
        chip(format!("finding = {r}"), Box::new(|f| f.finding = None));
    }
    if let Some(p) = &f.person {
        chip(
            format!("person = {p} (through any role)"),
            Box::new(|f| f.person = None),
        );
    }
    for (i, (k, v)) in f.fields.iter().enumerate() {
        chip(
            format!("{k} = {v}"),
            Box::new(move |f| {
                if i < f.fields.len() {
                    f.fields.remove(i);
                }
            }),
        );
    }
    out
}

/// Filters that can be added by typing: route parameter and label.
const FILTER_FIELDS: &[(&str, &str)] = &[
    ("eventName", "Event name"),
    ("actor", "Actor"),
    ("person", "Person (through any role)"),
    ("service", "Service"),
    ("region", "Region"),
    ("ip", "Source IP / CIDR"),
    ("accessKey", "Access key"),
    ("eventId", "Event ID"),
    ("resource", "Resource"),
    ("resourceType", "Resource type"),
    ("error", "Error (any, none, code)"),
    ("readOnly", "Read-only (true, false)"),
    ("client", "Client"),
    ("params", "Field path = value"),
];

/// Time presets relative to the newest loaded event.
const PRESETS: &[(&str, i64)] = &[
    ("30 min", 1800),
    ("1 h", 3600),
    ("3 h", 3 * 3600),
    ("12 h", 12 * 3600),
    ("24 h", 86_400),
    ("7 d", 7 * 86_400),
];

/// Active filters as removable chips, quick filters, and messages about the route.
#[component]
pub fn FilterBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let newest = Memo::new(move |_| {
        state.version.track();
        state.store.with_value(|s| {
            crate::web::timed("newest", || {
                s.time.iter().copied().filter(|&t| t != NO_TIME).max()
            })
        })
    });
    let errors = move || state.route.with(|r| r.errors.clone());
    // Events shown (after the filters) whose log file fails its digest.
    let tampered_shown = Memo::new(move |_| {
        state.mismatched_files.with(|m| {
            if m.is_empty() {
                // No tampered file (the usual case): no pass over the selection.
                return 0;
            }
            state.selection.with(|sel| {
                state.store.with_value(|s| {
                    crate::web::timed("tampered shown", || {
                        sel.iter()
                            .filter(|&&r| m.contains(&s.origin[r as usize].file))
                            .count()
                    })
                })
            })
        })
    });
    let tampered_shown = move || tampered_shown.get();
    let search = RwSignal::new(
        state
            .route
            .with_untracked(|r| r.filter.text.clone().unwrap_or_default()),
    );
    // ---- Add a filter by typing: the route parser does the work, so messages match. ----
    let field = RwSignal::new("eventName".to_owned());
    let value = RwSignal::new(String::new());
    let add_filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (k, v) = (field.get_untracked(), value.get_untracked());
        if v.trim().is_empty() {
            return;
        }
        let extra = if k == "params" {
            let (path, val) = v.split_once('=').unwrap_or((v.as_str(), ""));
            format!(
                "params={}&value={}",
                route::percent_encode(&format!("['{}']", path.trim())),
                route::percent_encode(&format!("['{}']", val.trim()))
            )
        } else {
            format!("{k}={}", route::percent_encode(v.trim()))
        };
        let current = state
            .route
            .with_untracked(|r| route::to_hash(&r.view, &r.filter));
        let sep = if current.contains('?') { '&' } else { '?' };
        let parsed = route::parse(&format!("{current}{sep}{extra}"));
        if parsed.errors.is_empty() {
            state.navigate(&parsed.view, &parsed.filter);
            value.set(String::new());
        } else {
            // Nothing is applied; the message says why.
            state.route.update(|r| r.errors = parsed.errors);
        }
    };
    let set_bound = move |end: bool, v: String| {
        let t = route::parse_bound(&v, end);
        state.update_filter(|f| if end { f.to = t } else { f.from = t });
    };
    let bound_value = move |end: bool| {
        state
            .route
            .with(|r| if end { r.filter.to } else { r.filter.from })
            .map(|t| format_time(t)[..19].to_owned())
            .unwrap_or_default()
    };
    view! {
        <section class="tg-filters" data-testid="filter-bar" data-searching=move || (state.deep_busy.get() > 0).to_string()>
            <div class="tg-filters__row">
                <span class="tg-filters__label">"Last"</span>
                {PRESETS.iter().map(|(label, secs)| {
                    let secs = *secs;
                    view! {
                        <button class="tg-chip-button" data-testid="time-preset" on:click=move |_| {
                            if let Some(end) = newest.get_untracked() {
                                state.update_filter(|f| {
                                    f.from = Some(end - secs + 1);
                                    f.to = Some(end);
                                });
                            }
                        }>{*label}</button>
                    }
                }).collect_view()}
                <button class="tg-chip-button" on:click=move |_| state.update_filter(|f| f.read_only = Some(false))>"Writes only"</button>
                <button class="tg-chip-button" on:click=move |_| state.update_filter(|f| f.error = Some(ErrorFilter::Any))>"Errors only"</button>
                <button class="tg-chip-button" on:click=move |_| state.update_filter(|f| f.hide_aws = true)>"Hide AWS services"</button>
                <form class="tg-search" on:submit=move |ev| {
                    ev.prevent_default();
                    let text = search.get_untracked().trim().to_owned();
                    state.update_filter(|f| f.text = (!text.is_empty()).then_some(text));
                }>
                    <input class="tg-input" type="search" data-testid="search-input" placeholder="Search every field of every record…"
                        prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
                </form>
            </div>
            <div class="tg-filters__row">
                <label class="tg-filters__label">"From (UTC) "
                    <input class="tg-input tg-input--time" type="datetime-local" step="1" data-testid="time-from"
                        prop:value=move || bound_value(false) on:change=move |ev| set_bound(false, event_target_value(&ev))/>
                </label>
                <label class="tg-filters__label">"to "
                    <input class="tg-input tg-input--time" type="datetime-local" step="1" data-testid="time-to"
                        prop:value=move || bound_value(true) on:change=move |ev| set_bound(true, event_target_value(&ev))/>
                </label>
                <form class="tg-add-filter" data-testid="add-filter" on:submit=add_filter>
                    <select class="tg-input tg-input--select" data-testid="add-filter-field" on:change=move |ev| field.set(event_target_value(&ev))>
                        {FILTER_FIELDS.iter().map(|(k, label)| view! { <option value=*k selected=*k == "eventName">{*label}</option> }).collect_view()}
                    </select>
                    <input class="tg-input" data-testid="add-filter-value" placeholder="value (eventName: Delete*, ip: 10.0.0.0/8, field: path=value)"
                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                    <button class="tg-chip-button" type="submit">"Add filter"</button>
                </form>
            </div>
            <Show when=move || { state.deep_busy.get() > 0 }>
                <p class="tg-notes" data-testid="deep-search">
                    {move || format!("Reading {} records to match the whole-record filters…", thousands(state.deep_busy.get() as u64))}
                </p>
            </Show>
            <super::Unreadable testid="search-unreadable" what="this search" files=Signal::derive(move || {
                let v = state.version.get();
                state.route.with(|r| {
                    state.deep.with(|d| match d {
                        Some(d) if d.filter == r.filter && d.version == v => d.unreadable.clone(),
                        _ => Vec::new(),
                    })
                })
            })/>
            <div class="tg-filters__row">
                {move || {
                    let list = state.route.with(|r| chips(&r.filter));
                    if list.is_empty() {
                        view! { <span class="tg-filters__none">"No filters: showing every event."</span> }.into_any()
                    } else {
                        view! {
                            {list.into_iter().map(|(text, remove)| view! {
                                <span class="tg-chip" data-testid="filter-chip">
                                    {text}
                                    <button class="tg-chip__x" aria-label="Remove this filter" on:click=move |_| state.update_filter(|f| remove(f))>"×"</button>
                                </span>
                            }).collect_view()}
                            <button class="tg-chip-button tg-chip-button--clear" data-testid="clear-filters"
                                on:click=move |_| state.navigate(&View::Overview, &Filter::default())>"Clear all"</button>
                            <span class="tg-filters__count" data-testid="filtered-count">
                                {move || format!("{} of {} events", thousands(state.selection.with(Vec::len) as u64), thousands(state.store.with_value(|s| { state.version.track(); s.len() }) as u64))}
                            </span>
                        }.into_any()
                    }
                }}
            </div>
            <Show when=move || !state.mismatched_files.with(|m| m.is_empty())>
                <p class="tg-problem" data-testid="tamper-warning">
                    {move || format!("⚠ {} file(s) do not match their CloudTrail digest: their events are marked ⚠ and may not be what AWS wrote. ", state.mismatched_files.with(|m| m.len()))}
                    <strong data-testid="tamper-count">{move || thousands(tampered_shown() as u64)}</strong>
                    {move || format!(" of the {} events shown come from them. ", thousands(state.selection.with(Vec::len) as u64))}
                    <button class="tg-chip-button" data-testid="tamper-filter"
                        on:click=move |_| state.update_filter(|f| f.mismatched_only = true)>"Show only these"</button>
                    " · " <a href="#/integrity">"Integrity"</a>
                </p>
            </Show>
            <Show when=move || !errors().is_empty()>
                <ul class="tg-route-errors" data-testid="route-errors">
                    {move || errors().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// The identities behind the actor filter (on actor pages and when an actor is picked).
#[component]
pub fn ActorPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let identities = move || {
        state.version.track();
        let query = state.route.with(|r| r.filter.actor.clone())?;
        let found: Vec<_> = state.store.with_value(|s| {
            (0..s.actors.len())
                .filter(|&a| actor_matches(s, a, &query))
                .map(|a| {
                    let keys: std::collections::BTreeSet<String> = (0..s.len())
                        .filter(|&i| s.actor[i] as usize == a)
                        .map(|i| s.strings.get(s.access_key[i]).to_owned())
                        .filter(|k| !k.is_empty())
                        .collect();
                    (s.actors[a].clone(), keys)
                })
                .collect()
        });
        Some(found)
    };
    view! {
        {move || identities().map(|found| view! {
            <section class="tg-card tg-detail" data-testid="actor-detail">
                <h2>{format!("{} identit{} match this actor", found.len(), if found.len() == 1 { "y" } else { "ies" })}</h2>
                {found.into_iter().map(|(a, keys)| {
                    let fields: Vec<(&str, String)> = vec![
                        ("Actor", a.label.clone()),
                        ("Type", a.kind_name.clone()),
                        ("Account", a.account.clone()),
                        ("ARN", a.arn.clone()),
                        ("Principal ID", a.principal_id.clone()),
                        ("Session issuer", a.issuer_arn.clone()),
                        ("Invoked by", a.invoked_by.clone()),
                        ("Identity provider", a.identity_provider.clone()),
                        ("Access keys used", keys.into_iter().collect::<Vec<_>>().join(", ")),
                        ("Cross-account", if a.cross_account { "yes".to_owned() } else { String::new() }),
                    ];
                    view! {
                        <dl>
                            {fields.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                                <dt>{k}</dt><dd>{v}</dd>
                            }).collect_view()}
                        </dl>
                    }
                }).collect_view()}
            </section>
        })}
    }
}

/// Height of one event-table row in pixels (the virtualisation depends on it).
const ROW_HEIGHT: f64 = 30.0;
/// Rows rendered beyond the visible ones, above and below.
const OVERSCAN: usize = 8;
/// Height of the scrolling area.
const VIEWPORT: f64 = 480.0;

/// The event table's columns: header, sort key, CSS grid width.
const COLUMNS: &[(&str, SortKey, &str)] = &[
    ("Time (UTC)", SortKey::Time, "11rem"),
    ("Event", SortKey::EventName, "12rem"),
    ("Actor", SortKey::Actor, "minmax(8rem, 1.4fr)"),
    ("Service", SortKey::Service, "7rem"),
    ("Region", SortKey::Region, "7rem"),
    ("Source IP", SortKey::SourceIp, "8rem"),
    ("Error", SortKey::Error, "8rem"),
    ("Resources", SortKey::Resource, "minmax(8rem, 1.2fr)"),
];

/// Every filtered event, virtualised (only visible rows are in the DOM) and sortable.
#[component]
pub fn EventTable() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sort = RwSignal::new((SortKey::Time, true));
    let scroll = RwSignal::new(0.0f64);
    let shown = RwSignal::new([true; 8]);
    let grid = move || {
        let cols: Vec<&str> = COLUMNS
            .iter()
            .zip(shown.get())
            .filter(|(_, on)| *on)
            .map(|((_, _, w), _)| *w)
            .collect();
        format!("grid-template-columns: {}", cols.join(" "))
    };
    // The whole store sorted by the chosen column once per load (and per column); a filter
    // then only restricts it. The sort runs in steps of a few milliseconds in tasks of its
    // own (at five million rows it takes 300-400 ms in all); until it is done the table
    // keeps the previous order of the same load, or shows nothing after a new load (the
    // previous order may name rows that are gone).
    let sorted: RwSignal<Option<(u64, SortKey, Vec<u32>)>> = RwSignal::new(None);
    Effect::new(move |_| {
        let v = state.version.get();
        let key = sort.with(|s| s.0);
        let fresh = sorted.with_untracked(|s| s.as_ref().is_some_and(|s| s.0 == v && s.1 == key));
        if fresh {
            return;
        }
        leptos::task::spawn_local(async move {
            // (The table may be gone by then: its signals are disposed.)
            let stale = move || {
                state.version.get_untracked() != v || sort.try_with_untracked(|s| s.0) != Some(key)
            };
            crate::web::yield_now().await;
            if stale() {
                return;
            }
            let mut spent = 0.0;
            let mut step = state.store.with_value(|s| {
                crate::web::timed("table keys", || query::StepSort::new(s, s.all_rows(), key))
            });
            loop {
                let t0 = crate::web::now_ms();
                let mut done = false;
                state.store.with_value(|s| {
                    while !done && crate::web::now_ms() - t0 < 8.0 {
                        done = step.step(s, 1 << 15);
                    }
                });
                spent += crate::web::now_ms() - t0;
                if done {
                    break;
                }
                crate::web::yield_now().await;
                if stale() {
                    return;
                }
            }
            crate::web::record_timing("table sort", spent);
            sorted.set(Some((v, key, step.into_rows())));
        });
    });
    let order = Memo::new(move |_| {
        let desc = sort.get().1;
        let v = state.version.get();
        let len = state.store.with_value(|s| s.len());
        let mut rows = sorted.with(|all| match all {
            Some((sv, _, all)) if *sv == v => state.selection.with(|sel| {
                crate::web::timed("table order", || {
                    if sel.len() == len {
                        all.clone()
                    } else {
                        query::restrict(all, sel, len)
                    }
                })
            }),
            _ => Vec::new(),
        });
        if desc {
            rows.reverse();
        }
        rows
    });
    let window = move || {
        let rows = order.with(Vec::len);
        query::virtual_window(
            scroll.get(),
            VIEWPORT,
            ROW_HEIGHT,
            rows,
            OVERSCAN,
            query::MAX_SCROLL_SPACE,
        )
    };
    let visible = move || {
        let w = window();
        order.with(|o| {
            (w.first..w.end.min(o.len()))
                .map(|i| (i, o[i], w.shift))
                .collect::<Vec<_>>()
        })
    };
    let row_view = move |(i, row, shift): (usize, u32, f64)| {
        let tampered = state
            .store
            .with_value(|s| s.origin.get(row as usize).map(|o| o.file))
            .is_some_and(|f| state.mismatched_files.with_untracked(|m| m.contains(&f)));
        let cells = state.store.with_value(|s| {
            let r = row as usize;
            let actor = s
                .actors
                .get(s.actor[r] as usize)
                .map(|a| a.label.clone())
                .unwrap_or_default();
            let resources: Vec<&str> = s.resources(r).map(|(n, _)| s.strings.get(n)).collect();
            let time = if s.time[r] == NO_TIME {
                "(no time)".to_owned()
            } else {
                format_time(s.time[r])
            };
            [
                // Events from a file that does not match its digest carry a warning sign.
                if tampered {
                    format!("⚠ {time}")
                } else {
                    time
                },
                s.strings.get(s.event_name[r]).to_owned(),
                actor,
                service_name(s.strings.get(s.event_source[r])),
                s.strings.get(s.region[r]).to_owned(),
                s.strings.get(s.source_ip[r]).to_owned(),
                s.strings.get(s.error_code[r]).to_owned(),
                resources.join(", "),
            ]
        });
        let on = shown.get_untracked();
        let style = format!("top:{}px;{}", i as f64 * ROW_HEIGHT + shift, grid());
        view! {
            <div class="tg-erow" role="row" data-testid="event-row" data-row=row
                class:tg-erow--selected=move || state.selected_event.get() == Some(row)
                class:tg-erow--tampered=tampered
                style=style
                on:click=move |_| state.selected_event.set(Some(row))>
                {cells.into_iter().zip(on).filter(|(_, on)| *on).map(|(c, _)| { let title = c.clone(); view! { <span role="cell" title=title>{c}</span> } }).collect_view()}
            </div>
        }
    };
    view! {
        <section class="tg-card" data-testid="events">
            <div class="tg-event-detail__head">
                <h2>{move || format!("Events ({})", thousands(order.with(Vec::len) as u64))}</h2>
                <details class="tg-columns" data-testid="column-chooser">
                    <summary>"Columns"</summary>
                    <div class="tg-columns__list">
                        {COLUMNS.iter().enumerate().map(|(i, (label, _, _))| view! {
                            <label>
                                <input type="checkbox" prop:checked=move || shown.get()[i]
                                    on:change=move |_| shown.update(|s| {
                                        s[i] = !s[i];
                                        if !s.iter().any(|&x| x) { s[i] = true; }
                                    })/>
                                {*label}
                            </label>
                        }).collect_view()}
                    </div>
                </details>
            </div>
            <div class="tg-etable" data-testid="event-table" role="table">
                <div class="tg-erow tg-erow--head" role="row" style=grid>
                    {COLUMNS.iter().enumerate().map(|(i, (label, key, _))| {
                        let key = *key;
                        let arrow = move || match sort.get() {
                            (k, true) if k == key => " ↓",
                            (k, false) if k == key => " ↑",
                            _ => "",
                        };
                        view! {
                            <button role="columnheader" class="tg-erow__sort" style:display=move || if shown.get()[i] { "block" } else { "none" }
                                on:click=move |_| {
                                sort.update(|s| *s = if s.0 == key { (key, !s.1) } else { (key, key == SortKey::Time) });
                            }>{*label}{arrow}</button>
                        }
                    }).collect_view()}
                </div>
                <div class="tg-etable__scroll" style:height=format!("{VIEWPORT}px")
                    on:scroll=move |ev| scroll.set(event_target::<web_sys::Element>(&ev).scroll_top() as f64)>
                    <div class="tg-etable__space" style:height=move || format!("{}px", window().space)>
                        {move || { shown.track(); state.mismatched_files.track(); visible().into_iter().map(row_view).collect_view() }}
                    </div>
                </div>
            </div>
        </section>
    }
}

/// Events that can be compared at once.
const MAX_COMPARE: usize = 5;

/// A JSON value as a collapsible tree (objects and arrays are `<details>`); text only.
fn tree_view(name: String, v: &serde_json::Value) -> AnyView {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let kids = map
                .iter()
                .map(|(k, c)| tree_view(k.clone(), c))
                .collect_view();
            view! {
                <details class="tg-tree__node" open>
                    <summary><span class="tg-tree__key">{name}</span>{format!(" {{{}}}", map.len())}</summary>
                    <div class="tg-tree__kids">{kids}</div>
                </details>
            }
            .into_any()
        }
        Value::Array(items) => {
            let kids = items
                .iter()
                .enumerate()
                .map(|(i, c)| tree_view(i.to_string(), c))
                .collect_view();
            view! {
                <details class="tg-tree__node" open>
                    <summary><span class="tg-tree__key">{name}</span>{format!(" [{}]", items.len())}</summary>
                    <div class="tg-tree__kids">{kids}</div>
                </details>
            }
            .into_any()
        }
        scalar => {
            let text = match scalar {
                Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            };
            view! {
                <div class="tg-tree__leaf"><span class="tg-tree__key">{name}</span>": "<span class="tg-tree__value">{text}</span></div>
            }
            .into_any()
        }
    }
}

/// The selected event: its actor, the resources it names, and the original record
/// (re-read from its file) as a collapsible tree and as pretty JSON.
#[component]
pub fn EventDetail() -> impl IntoView {
    let state = expect_context::<AppState>();
    let json = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        let Some(row) = state.selected_event.get() else {
            json.set(None);
            return;
        };
        let origin = state
            .store
            .with_value(|s| s.origin.get(row as usize).copied());
        json.set(Some(Ok("Reading the record from its file…".to_owned())));
        if let Some(origin) = origin {
            spawn_local(async move {
                let result = crate::web::files::read_record(origin).await;
                if state.selected_event.get_untracked() == Some(row) {
                    json.set(Some(result));
                }
            });
        }
    });
    let copy = move |_| {
        if let (Some(Ok(text)), Some(w)) = (json.get_untracked(), web_sys::window()) {
            let _ = w.navigator().clipboard().write_text(&text);
        }
    };
    let add_to_compare = move |_| {
        if let Some(row) = state.selected_event.get_untracked() {
            state.compare.update(|c| {
                if !c.contains(&row) {
                    if c.len() == MAX_COMPARE {
                        c.remove(0);
                    }
                    c.push(row);
                }
            });
        }
    };
    let context = move || {
        let row = state.selected_event.get()? as usize;
        state.store.with_value(|s| {
            let actor = s.actors.get(*s.actor.get(row)? as usize)?.describe();
            let resources: Vec<String> = s
                .resources(row)
                .map(|(n, t)| {
                    let (n, t) = (s.strings.get(n), s.strings.get(t));
                    if t.is_empty() {
                        n.to_owned()
                    } else {
                        format!("{n} ({t})")
                    }
                })
                .collect();
            Some((actor, resources))
        })
    };
    view! {
        <Show when=move || state.selected_event.get().is_some()>
            <section class="tg-card tg-event-detail">
                <div class="tg-event-detail__head">
                    <h2>"Event record"</h2>
                    <button class="tg-button" data-testid="compare-add" on:click=add_to_compare>"Add to compare"</button>
                    <button class="tg-button" on:click=copy>"Copy JSON"</button>
                    <button class="tg-button" on:click=move |_| state.selected_event.set(None)>"Close"</button>
                </div>
                {move || context().map(|(actor, resources)| view! {
                    <div class="tg-detail-grid">
                        <div><h3>"Actor"</h3><pre class="tg-json tg-json--small" data-testid="event-actor">{actor}</pre></div>
                        <div><h3>"Resources"</h3>
                            <ul class="tg-resources" data-testid="event-resources">
                                {if resources.is_empty() { vec!["(none named)".to_owned()] } else { resources }.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ul>
                        </div>
                    </div>
                })}
                <super::chain::EventChain/>
                {move || match json.get() {
                    Some(Err(e)) => view! { <p class="tg-problem" data-testid="event-detail-error">{e}</p> }.into_any(),
                    Some(Ok(text)) => {
                        let tree = serde_json::from_str::<serde_json::Value>(&text)
                            .ok()
                            .map(|v| tree_view("record".to_owned(), &v));
                        view! {
                            <div class="tg-tree" data-testid="event-tree">{tree}</div>
                            <details class="tg-table-toggle">
                                <summary>"Raw JSON"</summary>
                                <pre class="tg-json" data-testid="event-detail">{text}</pre>
                            </details>
                        }.into_any()
                    }
                    None => ().into_any(),
                }}
            </section>
        </Show>
    }
}

/// Up to five events side by side, fields that differ highlighted.
#[component]
pub fn ComparePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let table = RwSignal::new(None::<(Vec<String>, Vec<(String, Vec<String>)>)>);
    Effect::new(move |_| {
        let rows = state.compare.get();
        if rows.len() < 2 {
            table.set(None);
            return;
        }
        let picked: Vec<_> = state
            .store
            .with_value(|s| rows.iter().map(|&r| (r, s.origin[r as usize])).collect());
        spawn_local(async move {
            let (records, _) = crate::web::files::read_records(&picked).await;
            let mut columns = Vec::new();
            let mut values: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for (i, (_, record)) in records.iter().enumerate() {
                columns.push(format!(
                    "event {} ({})",
                    i + 1,
                    record
                        .get("eventName")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                ));
                crate::core::fields::flatten(record, &mut |path, value| {
                    let cells = values
                        .entry(path.to_owned())
                        .or_insert_with(|| vec![String::new(); records.len()]);
                    cells[i] = value.to_owned();
                });
            }
            table.set(Some((columns, values.into_iter().collect())));
        });
    });
    view! {
        <Show when=move || !state.compare.with(Vec::is_empty)>
            <section class="tg-card" data-testid="compare">
                <div class="tg-event-detail__head">
                    <h2>{move || format!("Compare ({} of {MAX_COMPARE} events)", state.compare.with(Vec::len))}</h2>
                    <button class="tg-button" on:click=move |_| state.compare.set(Vec::new())>"Clear"</button>
                </div>
                {move || match table.get() {
                    None => view! { <p class="tg-notes">"Pick another event and press “Add to compare”."</p> }.into_any(),
                    Some((columns, rows)) => view! {
                        <div class="tg-heat-scroll">
                            <table class="tg-table tg-compare">
                                <thead><tr><th>"Field"</th>{columns.into_iter().map(|c| view! { <th>{c}</th> }).collect_view()}</tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|(path, cells)| {
                                        let differs = cells.iter().any(|c| *c != cells[0]);
                                        view! {
                                            <tr data-testid="compare-row" data-differs=differs.to_string() class:tg-compare--differs=differs>
                                                <td class="tg-key">{path}</td>
                                                {cells.into_iter().map(|c| { let t = c.clone(); view! { <td title=t>{c}</td> } }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}

/// The list pages `#/users` and `#/services`: the full table, open.
#[component]
pub fn ListPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let view_kind = move || state.route.with(|r| r.view.clone());
    let rows = Memo::new(move |_| {
        state.version.track();
        let kind = state.route.with(|r| r.view.clone());
        state.selection.with(|sel| {
            state.store.with_value(|s| match kind {
                View::Users => query::by_actor(s, sel),
                View::Services => query::by_service(s, sel),
                _ => Vec::new(),
            })
        })
    });
    view! {
        {move || match view_kind() {
            View::Users => Some(view! {
                <section class="tg-card" data-testid="users-page">
                    <h2>"Actors"</h2>
                    <super::overview::RowTable testid="list-users" first="Actor" rows=rows pick=super::overview::Pick::Actor/>
                </section>
            }.into_any()),
            View::Services => Some(view! {
                <section class="tg-card" data-testid="services-page">
                    <h2>"Services"</h2>
                    <super::overview::RowTable testid="list-services" first="Service" rows=rows pick=super::overview::Pick::Service/>
                </section>
            }.into_any()),
            View::Parameters => Some(view! { <DiscoveredFields/> }.into_any()),
            View::Integrity => Some(view! { <IntegrityView/> }.into_any()),
            View::Findings => Some(view! { <super::findings::FindingsView/> }.into_any()),
            _ => None,
        }}
    }
}

/// Values shown per discovered field.
const TOP_VALUES: usize = 8;

/// Every field path in the filtered events, how often it is present, and its top values;
/// clicking a value filters on it. Reads the records again from their files.
#[component]
fn DiscoveredFields() -> impl IntoView {
    let state = expect_context::<AppState>();
    let summary = RwSignal::new(None::<(usize, Vec<crate::core::fields::FieldSummary>)>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        let rows: Vec<_> = state.selection.with(|sel| {
            state
                .store
                .with_value(|s| sel.iter().map(|&r| (r, s.origin[r as usize])).collect())
        });
        busy.set(true);
        spawn_local(async move {
            let (records, _) = crate::web::files::read_records(&rows).await;
            let mut stats = crate::core::fields::FieldStats::default();
            for (_, r) in &records {
                stats.add(r);
            }
            summary.set(Some((records.len(), stats.summary(TOP_VALUES))));
            busy.set(false);
        });
    });
    view! {
        <section class="tg-card" data-testid="parameters-page">
            <h2>"Discovered fields"</h2>
            <p class="tg-notes">
                {move || if busy.get() { "Reading the records…".to_owned() } else {
                    summary.with(|s| s.as_ref().map(|(n, f)| format!("{} fields in {} events. Click a value to filter on it.", f.len(), thousands(*n as u64))).unwrap_or_default())
                }}
            </p>
            <table class="tg-table tg-fields" data-testid="fields-table">
                <thead><tr><th>"Field"</th><th>"Events"</th><th>"Top values"</th></tr></thead>
                <tbody>
                    {move || summary.get().map(|(n, fields)| fields.into_iter().map(|f| {
                        let pct = if n == 0 { 0.0 } else { f.events as f64 * 100.0 / n as f64 };
                        let path = f.path.clone();
                        view! {
                            <tr data-testid="field-row">
                                <td class="tg-key" title=f.path.clone()>{f.path.clone()}</td>
                                <td class="tg-num">{format!("{pct:.0}%")}</td>
                                <td class="tg-fields__values">
                                    {f.top.into_iter().map(|(value, count)| {
                                        let (path, v) = (path.clone(), value.clone());
                                        view! {
                                            <button class="tg-chip-button" data-testid="field-value" title=value.clone()
                                                on:click=move |_| state.update_filter(|f| f.fields.push((path.clone(), v.clone())))>
                                                {crate::chart::truncate(if value.is_empty() { "(empty)" } else { &value }, 40)}
                                                " · " {count}
                                            </button>
                                        }
                                    }).collect_view()}
                                </td>
                            </tr>
                        }
                    }).collect_view())}
                </tbody>
            </table>
        </section>
    }
}

/// Log-file integrity: each log file verified against the loaded digests.
#[component]
fn IntegrityView() -> impl IntoView {
    use crate::core::integrity::Status;
    let state = expect_context::<AppState>();
    view! {
        <section class="tg-card" data-testid="integrity">
            <h2>"Log-file integrity"</h2>
            {move || match state.integrity.get() {
                None => view! {
                    <p class="tg-notes">
                        "No digest files are loaded. Load the trail's CloudTrail-Digest files (AWSLogs/<account>/CloudTrail-Digest/…) with its logs to check that every log file is the one CloudTrail wrote."
                    </p>
                }.into_any(),
                Some(r) => view! {
                    <p class="tg-notes" data-testid="integrity-summary">
                        {format!(
                            "{} digests: {} verified, {} mismatched, {} missing, {} unlisted. ",
                            r.digests, r.count(Status::Verified), r.count(Status::Mismatched), r.count(Status::Missing), r.count(Status::Unlisted)
                        )}
                        {move || signature_totals(state.signatures.with(|o| o.as_ref().map(|o| o.report.clone())))}
                    </p>
                    <SignaturePanel/>
                    <ul class="tg-route-errors" data-testid="integrity-chain">
                        {r.chain_breaks.iter().chain(&r.gaps).map(|m| view! { <li>{m.clone()}</li> }).collect_view()}
                    </ul>
                    <table class="tg-table">
                        <thead><tr><th>"Log file"</th><th>"Status"</th><th>"Loaded as"</th></tr></thead>
                        <tbody>
                            {r.files.iter().map(|f| view! {
                                <tr data-testid="integrity-file" data-status=f.status.as_str() class=format!("tg-integrity--{}", f.status.as_str())>
                                    <td class="tg-key" title=f.name.clone()>{f.name.clone()}</td>
                                    <td>{f.status.as_str()}</td>
                                    <td class="tg-key">{f.path.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// The sentence after the hash totals: signature totals once checked.
fn signature_totals(report: Option<crate::core::integrity::SignatureReport>) -> String {
    use crate::core::integrity::SignatureStatus as S;
    match report {
        None => "Hashes verified, signatures not checked (CloudTrail keeps them in S3 object metadata, which copied files do not carry: supply the trail's public keys and the signatures below).".to_owned(),
        Some(r) => format!(
            "Hashes verified; signatures: {} valid, {} invalid, {} without signature, {} without key{}.",
            r.count(S::Valid),
            r.count(S::Invalid),
            r.count(S::NoSignature),
            r.count(S::NoKey),
            match r.chain_breaks.len() {
                0 => String::new(),
                n => format!(", {n} break(s) in the signature chain"),
            }
        ),
    }
}

/// Public keys and signatures in, one signature status per digest out.
#[component]
fn SignaturePanel() -> impl IntoView {
    use crate::core::integrity::{
        check_digest_signature, parse_public_keys, parse_signatures, signature_chain_breaks,
        signature_order,
    };
    let state = expect_context::<AppState>();
    let keys_text = RwSignal::new(String::new());
    let sigs_text = RwSignal::new(String::new());
    let load_into = move |target: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            let files: Vec<web_sys::File> = input
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            input.set_value("");
            spawn_local(async move {
                let mut text = String::new();
                for f in files {
                    match crate::web::files::read_text(&f).await {
                        Ok(t) => text.push_str(&t),
                        Err(e) => text.push_str(&format!("# {e}")),
                    }
                    text.push('\n');
                }
                target.set(text);
            });
        }
    };
    let busy = RwSignal::new(false);
    let verify = move |_| {
        if busy.get_untracked() {
            return;
        }
        let (keys, mut messages) = keys_text.with(|t| parse_public_keys(t));
        let (sigs, bad_lines) = sigs_text.with(|t| parse_signatures(t));
        messages.extend(bad_lines);
        if keys.is_empty() {
            messages.push("No public key: paste the trail's public keys (PEM, or the JSON of aws cloudtrail list-public-keys).".to_owned());
        }
        if sigs.is_empty() {
            messages
                .push("No signature: paste the output of scripts/digest-signatures.sh.".to_owned());
        }
        busy.set(true);
        spawn_local(async move {
            // An RSA verification costs about a millisecond: check a slice of digests,
            // then yield, so a year of hourly digests does not freeze the page.
            let files = state.digests.get_untracked();
            let mut checks = Vec::new();
            let mut slice = crate::web::now_ms();
            for i in signature_order(&files) {
                checks.extend(check_digest_signature(&files[i], &keys, &sigs));
                if crate::web::now_ms() - slice > 10.0 {
                    crate::web::yield_now().await;
                    slice = crate::web::now_ms();
                }
            }
            let report = crate::core::integrity::SignatureReport {
                checks,
                chain_breaks: signature_chain_breaks(&files, &sigs),
            };
            state.signatures.set(Some(super::state::SignatureOutcome {
                report,
                keys: keys.len(),
                messages,
            }));
            busy.set(false);
        });
    };
    view! {
        <details class="tg-signatures" data-testid="signatures" open>
            <summary>"Digest signatures (SHA256withRSA)"</summary>
            <p class="tg-notes">
                "Public keys: the output of " <code>"aws cloudtrail list-public-keys --start-time … --region <home region>"</code>
                " (JSON), or PEM. Signatures: the output of " <code>"scripts/digest-signatures.sh s3://<bucket>[/<prefix>]"</code>
                ", which reads each digest's " <code>"x-amz-meta-signature"</code> " with " <code>"aws s3api head-object"</code> "."
            </p>
            <label class="tg-sql-label">"Public keys "
                <input type="file" data-testid="public-key-file" on:change=load_into(keys_text)/>
            </label>
            <textarea class="tg-sql" rows="4" data-testid="public-key-input" spellcheck="false"
                placeholder="-----BEGIN PUBLIC KEY----- … or {\"PublicKeyList\": [ … ]}"
                prop:value=move || keys_text.get() on:input=move |ev| keys_text.set(event_target_value(&ev))></textarea>
            <label class="tg-sql-label">"Signatures "
                <input type="file" data-testid="signatures-file" on:change=load_into(sigs_text)/>
            </label>
            <textarea class="tg-sql" rows="4" data-testid="signatures-input" spellcheck="false"
                placeholder="AWSLogs/…/CloudTrail-Digest/…json.gz 3a5f… SHA256withRSA"
                prop:value=move || sigs_text.get() on:input=move |ev| sigs_text.set(event_target_value(&ev))></textarea>
            <p><button class="tg-button" data-testid="verify-signatures" on:click=verify prop:disabled=move || busy.get()>
                {move || if busy.get() { "Verifying…" } else { "Verify signatures" }}
            </button></p>
            {move || state.signatures.get().map(|o| view! {
                <ul class="tg-route-errors" data-testid="signature-problems">
                    {o.messages.iter().chain(&o.report.chain_breaks).map(|m| view! { <li>{m.clone()}</li> }).collect_view()}
                </ul>
                <p class="tg-notes">{format!("{} public key(s) used.", o.keys)}</p>
                <table class="tg-table">
                    <thead><tr><th>"Digest"</th><th>"Signature"</th><th>"Detail"</th></tr></thead>
                    <tbody>
                        {o.report.checks.iter().map(|c| view! {
                            <tr data-testid="digest-signature" data-status=c.status.as_str() class=format!("tg-signature--{}", c.status.as_str())>
                                <td class="tg-key" title=c.digest.clone()>{c.digest.clone()}</td>
                                <td>{c.status.as_str()}</td>
                                <td>{c.detail.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </details>
    }
}
