//! Getting data and questions out: exports of the filtered events, and the filters as SQL
//! for Athena and CloudTrail Lake.

use super::state::AppState;
use crate::core::{export, sql};
use crate::web;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Export buttons and the SQL for the current filters.
#[component]
pub fn ExportPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let busy = RwSignal::new(false);
    let message = RwSignal::new(String::new());
    let table = RwSignal::new("cloudtrail_logs_my_trail_bucket".to_owned());
    let athena = move || state.route.with(|r| sql::athena(&r.filter, &table.get()));
    let lake = move || {
        state
            .route
            .with(|r| sql::cloudtrail_lake(&r.filter, "<event-data-store-id>"))
    };
    let report = move |what: &str, result: Result<(), String>| match result {
        Ok(()) => message.set(String::new()),
        Err(e) => message.set(format!("{what} failed: {e}")),
    };
    let export_csv = move |_| {
        let text = state
            .selection
            .with_untracked(|rows| state.store.with_value(|s| export::csv(s, rows)));
        report(
            "CSV export",
            web::download("trailglass-events.csv", "text/csv", &text),
        );
    };
    let export_records = move |lines: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        message.set("Re-reading the records from their files…".to_owned());
        let rows: Vec<_> = state.selection.with_untracked(|rows| {
            state
                .store
                .with_value(|s| rows.iter().map(|&r| (r, s.origin[r as usize])).collect())
        });
        spawn_local(async move {
            let (records, errors) = web::files::read_records(&rows).await;
            let records: Vec<_> = records.into_iter().map(|(_, v)| v).collect();
            let (name, text) = if lines {
                ("trailglass-events.jsonl", export::records_jsonl(&records))
            } else {
                ("trailglass-events.json", export::records_json(&records))
            };
            report("Export", web::download(name, "application/json", &text));
            if !errors.is_empty() {
                message.set(format!(
                    "{} of {} records could not be re-read: {}",
                    errors.len(),
                    rows.len(),
                    errors.into_iter().take(3).collect::<Vec<_>>().join("; ")
                ));
            }
            busy.set(false);
        });
    };
    view! {
        <section class="tg-card tg-export" data-testid="export">
            <h2>"Export and query elsewhere"</h2>
            <div class="tg-export__buttons">
                <button class="tg-button" data-testid="export-json" disabled=move || busy.get() on:click=move |_| export_records(false)>"JSON (Records)"</button>
                <button class="tg-button" data-testid="export-jsonl" disabled=move || busy.get() on:click=move |_| export_records(true)>"JSON Lines"</button>
                <button class="tg-button" data-testid="export-csv" on:click=export_csv>"CSV"</button>
                <span class="tg-notes" data-testid="export-message">{move || message.get()}</span>
            </div>
            <details class="tg-table-toggle">
                <summary>"The current filters as SQL (Athena, CloudTrail Lake)"</summary>
                <label class="tg-sql-label">"Athena table "
                    <input class="tg-input" prop:value=move || table.get()
                        on:input=move |ev| table.set(event_target_value(&ev))/>
                </label>
                <textarea class="tg-sql" data-testid="athena-sql" readonly rows="12" prop:value=athena></textarea>
                <p class="tg-notes">"CloudTrail Lake:"</p>
                <textarea class="tg-sql" data-testid="lake-sql" readonly rows="8" prop:value=lake></textarea>
            </details>
        </section>
    }
}
