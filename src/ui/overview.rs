//! The overview: tiles, the charts, and a complete table behind each chart, all over the
//! events that pass the current filters. Clicking a bar or a table row adds its filter.

use super::state::{AppState, Phase};
use crate::chart::{self, thousands};
use crate::core::filter::{Client, ErrorFilter, Filter, IpPattern};
use crate::core::query::{self, Overview, Row, Timeline};
use crate::core::store::Store;
use crate::core::time::{format_minute, format_time};
use leptos::prelude::*;

/// Bars shown in the actor and service charts before the rest fold into "others".
const TOP_N: usize = 12;
/// Bars in the smaller breakdown charts.
const TOP_SMALL: usize = 8;
/// The most bins the timeline is split into.
const MAX_BINS: usize = 96;
/// Width of every bar chart's SVG (its height depends on the number of bars).
const BAR_WIDTH: u32 = 640;
/// Width of the smaller breakdown charts' SVG.
const SMALL_BAR_WIDTH: u32 = 400;
/// Size of the timeline's SVG.
const TIMELINE_SIZE: (u32, u32) = (900, 260);

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

/// How a click on a breakdown row narrows the filter.
#[derive(Clone, Copy)]
pub enum Pick {
    Actor,
    Service,
    Region,
    Error,
    Client,
    Ip,
    EventName,
}

impl Pick {
    /// Sets the filter for the row with this key.
    pub fn apply(self, f: &mut Filter, key: &str) {
        match self {
            Pick::Actor => f.actor = Some(key.to_owned()),
            Pick::Service => f.service = Some(key.to_owned()),
            Pick::Region => f.region = Some(key.to_owned()),
            Pick::Error => {
                f.error = Some(if key.is_empty() {
                    ErrorFilter::None
                } else {
                    ErrorFilter::Code(key.to_owned())
                })
            }
            Pick::Client => f.client = Client::parse(key),
            Pick::Ip => f.ip = IpPattern::parse(key),
            Pick::EventName => {
                f.event_name = Some(crate::core::filter::NamePattern(key.to_owned()))
            }
        }
    }
}

/// A memo over the store and the current selection. Its value for the whole store (no
/// filter) is kept per store version, so removing the last filter costs no recount.
fn derive<T: PartialEq + Clone + Send + Sync + 'static>(
    state: AppState,
    label: &'static str,
    f: impl Fn(&Store, &[u32]) -> T + Send + Sync + 'static,
) -> Memo<T> {
    let unfiltered = StoredValue::new(None::<(u64, T)>);
    Memo::new(move |_| {
        let version = state.version.get();
        state.selection.with(|rows| {
            state.store.with_value(|s| {
                let whole = rows.len() == s.len();
                if whole {
                    let kept = unfiltered.with_value(|u| {
                        u.as_ref()
                            .filter(|(v, _)| *v == version)
                            .map(|(_, t)| t.clone())
                    });
                    if let Some(t) = kept {
                        return t;
                    }
                }
                let t = crate::web::timed(label, || f(s, rows));
                if whole {
                    unfiltered.set_value(Some((version, t.clone())));
                }
                t
            })
        })
    })
}

fn timeline_of(s: &Store, rows: &[u32]) -> Timeline {
    query::timeline(s, rows, MAX_BINS)
}

fn by_region(s: &Store, rows: &[u32]) -> Vec<Row> {
    query::by_column(s, rows, &s.region, str::to_owned)
}

fn by_error(s: &Store, rows: &[u32]) -> Vec<Row> {
    query::by_column(s, rows, &s.error_code, |e| {
        if e.is_empty() {
            "(no error)".to_owned()
        } else {
            e.to_owned()
        }
    })
}

fn by_ip(s: &Store, rows: &[u32]) -> Vec<Row> {
    query::by_column(s, rows, &s.source_ip, str::to_owned)
}

fn by_event_name(s: &Store, rows: &[u32]) -> Vec<Row> {
    query::by_column(s, rows, &s.event_name, str::to_owned)
}

/// Rows the warm-up computes the views over: enough that every loop runs long.
const WARM_ROWS: usize = 50_000;

/// Computes every view of the overview over the first rows loaded so far and throws the
/// results away. The load calls it while it waits for workers: V8 first runs a wasm
/// function through its baseline compiler and optimizes it only after it has run a
/// while, and these functions run once per load, over every row; unwarmed, their first
/// run at the end of a million-event load took 1.5-28x as long as the next
/// (`all_rows` 8.5 ms then 0.3, the tiles 15.8 then 10.2).
pub fn warm_up(s: &Store) {
    let all = crate::core::filter::select(s, &Filter::default());
    let rows = &all[..all.len().min(WARM_ROWS)];
    let _ = query::overview(s, rows);
    let actors = query::by_actor(s, rows);
    let services = query::by_service(s, rows);
    let _ = query::matrix(
        s,
        rows,
        &actors[..actors.len().min(15)],
        &services[..services.len().min(12)],
    );
    let time = timeline_of(s, rows);
    let _ = chart::to_svg(TIMELINE_SIZE.0, TIMELINE_SIZE.1, |a| {
        chart::timeline_chart(a, &time)
    });
    for view in [by_region, by_error, by_ip, by_event_name, query::by_client] {
        let _ = bar_svg(
            &query::top_n(&view(s, rows), TOP_SMALL),
            SMALL_BAR_WIDTH,
            chart::BAR,
        );
    }
    let _ = bar_svg(&query::top_n(&actors, TOP_N), BAR_WIDTH, chart::BAR);
}

/// Shows its children `after` tasks after it is mounted (default one), so a view that
/// appears with a large load (every chart at once) is drawn in steps, each well under
/// 50 ms, rather than one long task that freezes the page.
#[component]
fn Later(#[prop(default = 1)] after: u32, children: ChildrenFn) -> impl IntoView {
    let shown = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        for _ in 0..after {
            crate::web::yield_now().await;
        }
        shown.try_set(true);
    });
    view! { <Show when=move || shown.get()>{children()}</Show> }
}

/// Tiles, charts and tables for the filtered events.
#[component]
pub fn Overview() -> impl IntoView {
    let state = expect_context::<AppState>();
    // ---- Derived data: recomputed when the store or the selection changes. ----
    let overview = derive(state, "overview", query::overview);
    let actors = derive(state, "by actor", query::by_actor);
    let services = derive(state, "by service", query::by_service);
    let timeline = derive(state, "timeline", timeline_of);
    let regions = derive(state, "by region", by_region);
    let errors = derive(state, "by error", by_error);
    let clients = derive(state, "by client", query::by_client);
    let ips = derive(state, "by ip", by_ip);
    let names = derive(state, "by event name", by_event_name);
    // Shown once a load has finished, and kept while another one runs.
    let has_data = move || {
        state.phase.get() == Phase::Ready || {
            state.version.track();
            state.store.with_value(|s| !s.is_empty())
        }
    };

    // ---- Charts: drawn to SVG by plotters; text in them is escaped by the backend. ----
    let timeline_svg = Memo::new(move |_| {
        timeline.with(|t| {
            crate::web::timed("timeline chart", || {
                chart::to_svg(TIMELINE_SIZE.0, TIMELINE_SIZE.1, |a| {
                    chart::timeline_chart(a, t)
                })
                .unwrap_or_default()
            })
        })
    });
    // ---- Brush: drag across the timeline to select a time range (a click takes one bin). ----
    let brush = RwSignal::new(None::<(f64, f64)>);
    let bin_at = move |x: f64| -> Option<usize> {
        // The plot area starts after the y label area (56) and the margin (8).
        let w = f64::from(TIMELINE_SIZE.0);
        let plot = (x * w - 64.0) / (w - 72.0);
        let n = timeline.with_untracked(|t| t.reads.len());
        (n > 0).then(|| ((plot.clamp(0.0, 0.999_999)) * n as f64) as usize)
    };
    let on_down = move |ev: web_sys::MouseEvent| {
        if let Some(x) = svg_fraction_x(&ev) {
            brush.set(Some((x, x)));
        }
    };
    let on_move = move |ev: web_sys::MouseEvent| {
        if let (Some((a, _)), Some(x)) = (brush.get_untracked(), svg_fraction_x(&ev)) {
            brush.set(Some((a, x)));
        }
    };
    let on_up = move |ev: web_sys::MouseEvent| {
        let Some((a, _)) = brush.get_untracked() else {
            return;
        };
        brush.set(None);
        let Some(b) = svg_fraction_x(&ev) else { return };
        let (Some(i), Some(j)) = (bin_at(a.min(b)), bin_at(a.max(b))) else {
            return;
        };
        let (from, to) = timeline.with_untracked(|t| (t.bin_start(i), t.bin_start(j + 1) - 1));
        state.update_filter(|f| {
            f.from = Some(from);
            f.to = Some(to);
        });
    };
    let brush_style = move || match brush.get() {
        Some((a, b)) if (a - b).abs() > 0.002 => format!(
            "left:{:.2}%;width:{:.2}%",
            a.min(b) * 100.0,
            (a - b).abs() * 100.0
        ),
        _ => "display:none".to_owned(),
    };

    view! {
        <Show when=has_data>
            // Each part in its own task: at a million events each takes 5-30 ms.
            <Later>
            <section class="tg-tiles" aria-label="Totals">
                <Tile label="Events" testid="kpi-events" value=Signal::derive(move || thousands(overview.get().events))/>
                <Tile label="Actors" testid="kpi-actors" value=Signal::derive(move || thousands(overview.get().actors))/>
                <Tile label="Services" testid="kpi-services" value=Signal::derive(move || thousands(overview.get().services))/>
                <Tile label="Regions" testid="kpi-regions" value=Signal::derive(move || thousands(overview.get().regions))/>
                <Tile label="Error events" testid="kpi-errors" value=Signal::derive(move || thousands(overview.get().errors))/>
                <super::findings::FindingsTile/>
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
            </Later>
            <div class="tg-grid">
                <Later after=2>
                <BarCard title="Events per actor" testid="chart-actors" table="table-actors" first="Actor" rows=actors top=TOP_N pick=Pick::Actor color=chart::BAR/>
                </Later>
                <Later after=3>
                <BarCard title="Events per service" testid="chart-services" table="table-services" first="Service" rows=services top=TOP_N pick=Pick::Service color=chart::READ/>
                </Later>
            </div>
            <Later after=4>
            <Heatmap actors=actors services=services/>
            </Later>
            <Later after=5>
            <section class="tg-card" data-testid="chart-timeline">
                <h2>
                    "Events over time "
                    <span class="tg-legend"><i class="tg-legend__write"></i>"writes "<i class="tg-legend__read"></i>"reads"</span>
                    <span class="tg-hint">"drag across it (or click a bar) to zoom in"</span>
                    <ChartDownloads name="timeline" svg=timeline_svg size=Signal::derive(move || TIMELINE_SIZE)/>
                </h2>
                <div class="tg-brush-wrap" data-testid="timeline-brush"
                    on:mousedown=on_down on:mousemove=on_move on:mouseup=on_up
                    on:mouseleave=move |_| brush.set(None)>
                    <div class="tg-chart tg-chart--wide tg-chart--clickable" inner_html=move || timeline_svg.get()></div>
                    <div class="tg-brush" style=brush_style></div>
                </div>
                <details class="tg-table-toggle">
                    <summary>{move || timeline.with(|t| format!("Table: {} bins of {}", t.reads.len(), bin_name(t.bin)))}</summary>
                    <TimelineTable timeline=timeline/>
                </details>
            </section>
            </Later>
            <div class="tg-grid tg-grid--small">
                <Later after=6>
                <BarCard title="Regions" testid="chart-regions" table="table-regions" first="Region" rows=regions top=TOP_SMALL pick=Pick::Region color=chart::BAR/>
                </Later>
                <Later after=7>
                <BarCard title="Error codes" testid="chart-errors" table="table-errors" first="Error code" rows=errors top=TOP_SMALL pick=Pick::Error color=chart::WRITE/>
                </Later>
                <Later after=8>
                <BarCard title="Clients" testid="chart-clients" table="table-clients" first="Client" rows=clients top=TOP_SMALL pick=Pick::Client color=chart::READ/>
                </Later>
                <Later after=9>
                <BarCard title="Top source IPs" testid="chart-ips" table="table-ips" first="Source IP" rows=ips top=TOP_SMALL pick=Pick::Ip color=chart::BAR/>
                </Later>
                <Later after=10>
                <BarCard title="Event names" testid="chart-event-names" table="table-event-names" first="Event name" rows=names top=TOP_SMALL pick=Pick::EventName color=chart::READ/>
                </Later>
            </div>
        </Show>
    }
}

/// Where a click fell across the element, as a fraction of its width.
fn svg_fraction_x(ev: &web_sys::MouseEvent) -> Option<f64> {
    let el = event_target::<web_sys::Element>(ev);
    let el = el.closest(".tg-brush-wrap").ok()??;
    let rect = el.get_bounding_client_rect();
    (rect.width() > 0.0).then(|| (f64::from(ev.client_x()) - rect.left()) / rect.width())
}

/// Where a click fell down the element's SVG, in SVG units, given the SVG's height.
fn svg_y(ev: &web_sys::MouseEvent, svg_height: u32) -> Option<f64> {
    let el = event_target::<web_sys::Element>(ev);
    let svg = el.closest("svg").ok()??;
    let rect = svg.get_bounding_client_rect();
    (rect.height() > 0.0)
        .then(|| (f64::from(ev.client_y()) - rect.top()) * f64::from(svg_height) / rect.height())
}

fn bar_height(bars: usize) -> u32 {
    40 + 26 * bars.max(1) as u32
}

fn bar_svg(bars: &[(String, u64)], width: u32, color: plotters::style::RGBColor) -> String {
    chart::to_svg(width, bar_height(bars.len()), |a| {
        chart::bar_chart(a, bars, color)
    })
    .unwrap_or_default()
}

fn bin_name(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3600 == 0 => format!("{} hour(s)", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// A bar chart of the top rows, clickable, with the complete table behind it.
#[component]
fn BarCard(
    /// The card's heading.
    title: &'static str,
    /// `data-testid` of the card.
    testid: &'static str,
    /// `data-testid` of the table.
    table: &'static str,
    /// Header of the table's first column.
    first: &'static str,
    rows: Memo<Vec<Row>>,
    /// Bars before the rest fold into "others".
    top: usize,
    /// The filter a click adds.
    pick: Pick,
    color: plotters::style::RGBColor,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let bars = Memo::new(move |_| rows.with(|r| query::top_n(r, top)));
    // Small cards get a narrower drawing so their text stays legible when scaled.
    let width = if top > TOP_SMALL {
        BAR_WIDTH
    } else {
        SMALL_BAR_WIDTH
    };
    let svg = Memo::new(move |_| {
        bars.with(|b| crate::web::timed("bar charts", || bar_svg(b, width, color)))
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let n = bars.with_untracked(Vec::len);
        let Some(y) = svg_y(&ev, bar_height(n)) else {
            return;
        };
        // Plot area: top margin 8, bottom margin 8 plus the x label area 24.
        let plot_height = f64::from(bar_height(n)) - 40.0;
        let i = ((y - 8.0) / plot_height * n as f64).floor();
        if i < 0.0 || i as usize >= n.min(top) {
            return;
        }
        if let Some(key) = rows.with_untracked(|r| r.get(i as usize).map(|r| r.key.clone())) {
            state.update_filter(|f| pick.apply(f, &key));
        }
    };
    view! {
        <section class="tg-card" data-testid=testid>
            <h2>{title}<ChartDownloads name=testid svg=svg size=Signal::derive(move || (width, bar_height(bars.with(Vec::len))))/></h2>
            <div class="tg-chart tg-chart--clickable" inner_html=move || svg.get() on:click=on_click></div>
            <details class="tg-table-toggle">
                <summary>{move || format!("Table: all {} rows", rows.with(Vec::len))}</summary>
                <RowTable testid=table first=first rows=rows pick=pick/>
            </details>
        </section>
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

/// A complete table of rows: label, count, errors, and the key behind the label. Clicking
/// a row adds its filter (an actor filter also shows that actor's identity panel); actor
/// rows carry the full identity as hover text.
#[component]
pub fn RowTable(
    /// The `data-testid` of the table.
    testid: &'static str,
    /// Header of the first column.
    first: &'static str,
    rows: Memo<Vec<Row>>,
    /// The filter a click adds.
    pick: Pick,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <table class="tg-table" data-testid=testid>
            <thead><tr><th>{first}</th><th>"Events"</th><th>"Errors"</th><th>"Key"</th></tr></thead>
            <tbody>
                {move || rows.get().into_iter().map(|r| {
                    let key = r.key.clone();
                    let on_click = move |_| {
                        state.update_filter(|f| pick.apply(f, &key));
                    };
                    view! {
                        <tr title=r.detail class="tg-row--clickable" on:click=on_click>
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

/// Actor × service matrix: who used what, at a glance; click a cell to filter on both.
#[component]
fn Heatmap(
    /// Events per actor over the selection (the heat map shows the top 15).
    actors: Memo<Vec<Row>>,
    /// Events per service over the selection (the top 12).
    services: Memo<Vec<Row>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let matrix = Memo::new(move |_| {
        actors.with(|a| {
            services.with(|sv| {
                state.selection.with(|rows| {
                    state.store.with_value(|s| {
                        crate::web::timed("heat map", || {
                            query::matrix(s, rows, &a[..a.len().min(15)], &sv[..sv.len().min(12)])
                        })
                    })
                })
            })
        })
    });
    view! {
        <section class="tg-card" data-testid="heatmap">
            <h2>"Actors × services"</h2>
            <div class="tg-heat-scroll">
                <table class="tg-heat">
                    <thead>
                        <tr>
                            <th></th>
                            {move || matrix.with(|m| m.services.iter().map(|(label, key)| view! {
                                <th title=key.clone()><span>{label.clone()}</span></th>
                            }).collect_view())}
                        </tr>
                    </thead>
                    <tbody>
                        {move || matrix.with(|m| m.actors.iter().enumerate().map(|(ai, (label, akey))| {
                            let cells = m.services.iter().enumerate().map(|(si, (slabel, skey))| {
                                let n = m.counts[ai][si];
                                let alpha = if m.max == 0 || n == 0 { 0.0 } else { 0.12 + 0.88 * (n as f64).ln_1p() / (m.max as f64).ln_1p() };
                                let (akey, skey) = (akey.clone(), skey.clone());
                                let title = format!("{label} on {slabel}: {n} events");
                                view! {
                                    <td class="tg-heat__cell" title=title data-count=n
                                        style:background-color=format!("rgba(47, 158, 143, {alpha:.2})")
                                        on:click=move |_| state.update_filter(|f| {
                                            f.actor = Some(akey.clone());
                                            f.service = Some(skey.clone());
                                        })>
                                        {if n == 0 { String::new() } else { thousands(n) }}
                                    </td>
                                }
                            }).collect_view();
                            view! { <tr><th class="tg-heat__actor" title=label.clone()>{label.clone()}</th>{cells}</tr> }
                        }).collect_view())}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Download buttons for one chart (SVG as drawn, PNG rendered from it in the page).
#[component]
fn ChartDownloads(
    /// File name without extension.
    name: &'static str,
    svg: Memo<String>,
    /// Size of the drawing in SVG units.
    size: Signal<(u32, u32)>,
) -> impl IntoView {
    let svg_download = move |_| {
        let text = svg.get_untracked();
        let _ = crate::web::download(&format!("{name}.svg"), "image/svg+xml", &text);
    };
    let png_download = move |_| {
        let text = svg.get_untracked();
        let (w, h) = size.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = crate::web::download_png(&format!("{name}.png"), &text, w, h).await;
        });
    };
    view! {
        <span class="tg-downloads">
            <button class="tg-chip-button" title="Download this chart as SVG" on:click=svg_download>"SVG"</button>
            <button class="tg-chip-button" title="Download this chart as PNG" on:click=png_download>"PNG"</button>
        </span>
    }
}
