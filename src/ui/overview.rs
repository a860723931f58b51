//! The overview: tiles, the three charts, and a complete table behind each chart.

use super::state::{AppState, Phase};
use crate::chart::{self, thousands};
use crate::core::query::{self, Overview, Row, Timeline};
use crate::core::time::{format_minute, format_time};
use leptos::prelude::*;

/// Bars shown in the actor and service charts before the rest fold into "others".
const TOP_N: usize = 12;
/// The most bins the timeline is split into.
const MAX_BINS: usize = 96;

/// `1536` → `1.5 KB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Tiles, charts and tables for everything loaded.
#[component]
pub fn Overview() -> impl IntoView {
    let state = expect_context::<AppState>();
    // ---- Derived data: recomputed when the store changes (version bump). ----
    let overview = Memo::new(move |_| {
        state.version.track();
        state.store.with_value(query::overview)
    });
    let actors = Memo::new(move |_| {
        state.version.track();
        state.store.with_value(query::by_actor)
    });
    let services = Memo::new(move |_| {
        state.version.track();
        state.store.with_value(query::by_service)
    });
    let timeline = Memo::new(move |_| {
        state.version.track();
        state.store.with_value(|s| query::timeline(s, MAX_BINS))
    });
    let has_data = move || overview.with(|o| o.events > 0) || state.phase.get() == Phase::Ready;

    // ---- Charts: drawn to SVG by plotters; text in them is escaped by the backend. ----
    let actor_svg =
        Memo::new(move |_| actors.with(|rows| bar_svg(&query::top_n(rows, TOP_N), chart::BAR)));
    let service_svg =
        Memo::new(move |_| services.with(|rows| bar_svg(&query::top_n(rows, TOP_N), chart::READ)));
    let timeline_svg = Memo::new(move |_| {
        timeline
            .with(|t| chart::to_svg(900, 260, |a| chart::timeline_chart(a, t)).unwrap_or_default())
    });

    view! {
        <Show when=has_data>
            <section class="tg-tiles" aria-label="Totals">
                <Tile label="Events" testid="kpi-events" value=Signal::derive(move || thousands(overview.get().events))/>
                <Tile label="Actors" testid="kpi-actors" value=Signal::derive(move || thousands(overview.get().actors))/>
                <Tile label="Services" testid="kpi-services" value=Signal::derive(move || thousands(overview.get().services))/>
                <Tile label="Regions" testid="kpi-regions" value=Signal::derive(move || thousands(overview.get().regions))/>
                <Tile label="Error events" testid="kpi-errors" value=Signal::derive(move || thousands(overview.get().errors))/>
                <div class="tg-tile tg-tile--wide" data-testid="kpi-range">
                    <span class="tg-tile__label">"First → last event (UTC)"</span>
                    <span class="tg-tile__value tg-tile__value--small">
                        {move || {
                            let o = overview.get();
                            match (o.first, o.last) {
                                (Some(a), Some(b)) => format!("{} → {}", format_minute(a), format_minute(b)),
                                _ => "—".to_owned(),
                            }
                        }}
                    </span>
                </div>
            </section>
            <LoadNotes overview=overview/>
            <div class="tg-grid">
                <section class="tg-card" data-testid="chart-actors">
                    <h2>"Events per actor"</h2>
                    <div class="tg-chart" inner_html=move || actor_svg.get()></div>
                    <details class="tg-table-toggle">
                        <summary>{move || format!("Table: all {} actors", actors.with(Vec::len))}</summary>
                        <RowTable testid="table-actors" first="Actor" rows=actors selectable=true/>
                    </details>
                </section>
                <section class="tg-card" data-testid="chart-services">
                    <h2>"Events per service"</h2>
                    <div class="tg-chart" inner_html=move || service_svg.get()></div>
                    <details class="tg-table-toggle">
                        <summary>{move || format!("Table: all {} services", services.with(Vec::len))}</summary>
                        <RowTable testid="table-services" first="Service" rows=services selectable=false/>
                    </details>
                </section>
            </div>
            <ActorDetail/>
            <section class="tg-card" data-testid="chart-timeline">
                <h2>
                    "Events over time "
                    <span class="tg-legend"><i class="tg-legend__write"></i>"writes "<i class="tg-legend__read"></i>"reads"</span>
                </h2>
                <div class="tg-chart tg-chart--wide" inner_html=move || timeline_svg.get()></div>
                <details class="tg-table-toggle">
                    <summary>{move || timeline.with(|t| format!("Table: {} bins of {}", t.reads.len(), bin_name(t.bin)))}</summary>
                    <TimelineTable timeline=timeline/>
                </details>
            </section>
        </Show>
    }
}

fn bar_svg(bars: &[(String, u64)], color: plotters::style::RGBColor) -> String {
    let height = 40 + 26 * bars.len().max(1) as u32;
    chart::to_svg(640, height, |a| chart::bar_chart(a, bars, color)).unwrap_or_default()
}

fn bin_name(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3600 == 0 => format!("{} hour(s)", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// One number with its label.
#[component]
fn Tile(
    /// What the number counts.
    label: &'static str,
    /// The `data-testid` of the number.
    testid: &'static str,
    /// The formatted number.
    value: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="tg-tile">
            <span class="tg-tile__label">{label}</span>
            <span class="tg-tile__value" data-testid=testid>{move || value.get()}</span>
        </div>
    }
}

/// A line about what was loaded: files, duplicates skipped, digests, Insights, bad times.
#[component]
fn LoadNotes(overview: Memo<Overview>) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <p class="tg-notes" data-testid="load-notes">
            {move || {
                let s = state.summary.get();
                let o = overview.get();
                let mut parts = vec![format!(
                    "{} files ({} gzip), {} read, {} of JSON",
                    thousands(s.files), thousands(s.gzip_files), bytes(s.bytes), bytes(s.inflated)
                )];
                if s.duplicates > 0 {
                    parts.push(format!("{} duplicate records skipped", thousands(s.duplicates)));
                }
                if s.digests > 0 {
                    parts.push(format!("{} digest files set aside", thousands(s.digests)));
                }
                if o.insights > 0 {
                    parts.push(format!("{} Insights events", thousands(o.insights)));
                }
                if o.bad_times > 0 {
                    parts.push(format!("{} events with an unreadable eventTime (not on the timeline)", thousands(o.bad_times)));
                }
                if s.bad_records > 0 {
                    parts.push(format!("{} records could not be read", thousands(s.bad_records)));
                }
                parts.join(" · ")
            }}
        </p>
    }
}

/// A complete table of rows: label, count, errors, and the key behind the label.
#[component]
fn RowTable(
    /// The `data-testid` of the table.
    testid: &'static str,
    /// Header of the first column.
    first: &'static str,
    rows: Memo<Vec<Row>>,
    /// Whether clicking a row shows that actor's identity.
    selectable: bool,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <table class="tg-table" data-testid=testid>
            <thead><tr><th>{first}</th><th>"Events"</th><th>"Errors"</th><th>"Key"</th></tr></thead>
            <tbody>
                {move || rows.get().into_iter().map(|r| {
                    let key = r.key.clone();
                    let on_click = move |_| {
                        if selectable {
                            state.selected_actor.set(Some(key.clone()));
                        }
                    };
                    view! {
                        <tr title=r.detail class:tg-row--clickable=selectable on:click=on_click>
                            <td>{r.label}</td>
                            <td class="tg-num">{r.count}</td>
                            <td class="tg-num">{r.errors}</td>
                            <td class="tg-key">{r.key}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The timeline's numbers, bin by bin.
#[component]
fn TimelineTable(timeline: Memo<Timeline>) -> impl IntoView {
    view! {
        <table class="tg-table" data-testid="table-timeline">
            <thead><tr><th>"From (UTC)"</th><th>"Events"</th><th>"Writes"</th><th>"Reads"</th></tr></thead>
            <tbody>
                {move || timeline.with(|t| (0..t.reads.len()).map(|i| {
                    let (r, w) = (t.reads[i], t.writes[i]);
                    view! {
                        <tr>
                            <td>{format_time(t.bin_start(i))}</td>
                            <td class="tg-num">{r + w}</td>
                            <td class="tg-num">{w}</td>
                            <td class="tg-num">{r}</td>
                        </tr>
                    }
                }).collect_view())}
            </tbody>
        </table>
    }
}

/// The full identity of the actor picked in the table.
#[component]
fn ActorDetail() -> impl IntoView {
    let state = expect_context::<AppState>();
    let identity = move || {
        let key = state.selected_actor.get()?;
        state
            .store
            .with_value(|s| s.actors.iter().find(|a| a.key == key).cloned())
    };
    view! {
        {move || identity().map(|a| {
            let fields: Vec<(&str, String)> = vec![
                ("Type", a.kind_name.clone()),
                ("Account", a.account.clone()),
                ("ARN", a.arn.clone()),
                ("Principal ID", a.principal_id.clone()),
                ("Session issuer", a.issuer_arn.clone()),
                ("Invoked by", a.invoked_by.clone()),
                ("Identity provider", a.identity_provider.clone()),
                ("Cross-account", if a.cross_account { "yes".to_owned() } else { String::new() }),
            ];
            view! {
                <section class="tg-card tg-detail" data-testid="actor-detail">
                    <h2>{a.label.clone()}</h2>
                    <dl>
                        {fields.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                            <dt>{k}</dt><dd>{v}</dd>
                        }).collect_view()}
                    </dl>
                    <button class="tg-button" on:click=move |_| state.selected_actor.set(None)>"Close"</button>
                </section>
            }
        })}
    }
}
