//! The only module that touches the browser: reading dropped files and folders, yielding
//! to the event loop, and showing a panic as an error screen instead of a dead page.

pub mod fetch;
pub mod files;
pub mod load;
pub mod pool;
pub mod remote;
pub mod worker;

use crate::core::store::Store;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Turns a JavaScript error value into a readable string (the one place that does).
pub fn js_error(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Milliseconds since the page started (0 where no performance clock exists).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

thread_local! {
    static TIMINGS: RefCell<Vec<(&'static str, f64, u32)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f`, noting how long it took under `label` (the last time, and how many times),
/// so the benchmark can say where a redraw spends its time (`render_timings()`).
pub fn timed<T>(label: &'static str, f: impl FnOnce() -> T) -> T {
    let t0 = now_ms();
    let out = f();
    record_timing(label, now_ms() - t0);
    out
}

/// Records `ms` spent on `label` (see [`timed`]), for work measured in pieces.
pub fn record_timing(label: &'static str, ms: f64) {
    TIMINGS.with(|t| {
        let mut t = t.borrow_mut();
        match t.iter_mut().find(|e| e.0 == label) {
            Some(e) => {
                e.1 = ms;
                e.2 += 1;
            }
            None => t.push((label, ms, 1)),
        }
    });
}

/// The timings noted by [`timed`] since the last call, as JSON `{label: [ms, times]}`,
/// longest first (`window.wasmBindings.render_timings()`).
#[wasm_bindgen]
pub fn render_timings() -> String {
    let mut all = TIMINGS.with(|t| std::mem::take(&mut *t.borrow_mut()));
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    let map: serde_json::Map<String, serde_json::Value> = all
        .into_iter()
        .map(|(k, ms, n)| {
            (
                k.to_owned(),
                serde_json::json!([(ms * 10.0).round() / 10.0, n]),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// How many files the last whole-record search skipped by their n-gram sketches, and the
/// bytes the sketches hold, as JSON (`window.wasmBindings.search_stats()`).
#[wasm_bindgen]
pub fn search_stats() -> String {
    serde_json::json!({
        "skippedFiles": files::last_search_skipped(),
        "sketchBytes": files::sketch_bytes(),
    })
    .to_string()
}

/// Lets the browser render and handle input, then resumes (a macrotask, not clamped like
/// `setTimeout`, so a loop that yields every ~10 ms loses little time).
pub async fn yield_now() {
    let promise = js_sys::Promise::new(
        &mut |resolve, _reject| match web_sys::MessageChannel::new() {
            Ok(channel) => {
                channel.port1().set_onmessage(Some(&resolve));
                if channel.port2().post_message(&JsValue::NULL).is_err() {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            Err(_) => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        },
    );
    let _ = JsFuture::from(promise).await;
}

/// Replaces the page with an error screen that shows `message` and offers to copy it.
/// Built with text nodes only: a panic message can contain event text.
pub fn show_fatal_error(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let build = || -> Result<(), JsValue> {
        let screen = document.create_element("div")?;
        screen.set_class_name("tg-fatal");
        screen.set_attribute("data-testid", "crash-screen")?;
        screen.set_attribute("role", "alert")?;
        let title = document.create_element("h1")?;
        title.set_text_content(Some("Trailglass stopped because of an internal error"));
        let hint = document.create_element("p")?;
        hint.set_text_content(Some(
            "Your data stayed in this tab and was not sent anywhere. Reload the page to start again; \
             if this keeps happening, copy the diagnostics below into a bug report.",
        ));
        let details = document.create_element("pre")?;
        details.set_attribute("data-testid", "fatal-details")?;
        let user_agent = web_sys::window()
            .and_then(|w| w.navigator().user_agent().ok())
            .unwrap_or_default();
        let diagnostics = format!(
            "{message}\n\nTrailglass {}\n{user_agent}",
            env!("CARGO_PKG_VERSION")
        );
        details.set_text_content(Some(&diagnostics));
        let button = document.create_element("button")?;
        button.set_text_content(Some("Copy diagnostics"));
        button.set_attribute("data-testid", "copy-diagnostics")?;
        let copy = Closure::<dyn Fn()>::new(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&diagnostics);
            }
        });
        button.add_event_listener_with_callback("click", copy.as_ref().unchecked_ref())?;
        // The screen lives for the rest of the page's life.
        copy.forget();
        screen.append_child(&title)?;
        screen.append_child(&hint)?;
        screen.append_child(&details)?;
        screen.append_child(&button)?;
        body.set_text_content(None);
        body.append_child(&screen)?;
        Ok(())
    };
    let _ = build();
}

/// Installs the panic hook: console output plus the error screen.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_fatal_error(&info.to_string());
    }));
}

/// Offers `text` to the user as a file download (a Blob URL; nothing leaves the page).
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| js_error(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_error(&e))?;
    let result = download_url(name, &url);
    // The click has started the download; the URL can go.
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}

/// Starts a download of `url` (a blob: or data: URL made in the page) as `name`.
fn download_url(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| js_error(&e))?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// Renders an SVG string to a PNG (twice the size, for sharpness) and downloads it.
pub async fn download_png(name: &str, svg: &str, width: u32, height: u32) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let image = web_sys::HtmlImageElement::new().map_err(|e| js_error(&e))?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        image.set_onload(Some(&resolve));
        image.set_onerror(Some(&reject));
    });
    let encoded = js_sys::encode_uri_component(svg);
    image.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    JsFuture::from(loaded)
        .await
        .map_err(|_| "the chart could not be rendered as an image".to_owned())?;
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|e| js_error(&e))?
        .unchecked_into();
    canvas.set_width(width * 2);
    canvas.set_height(height * 2);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(|e| js_error(&e))?
        .ok_or("no 2D canvas")?
        .unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(width * 2), f64::from(height * 2));
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &image,
        0.0,
        0.0,
        f64::from(width * 2),
        f64::from(height * 2),
    )
    .map_err(|e| js_error(&e))?;
    let url = canvas
        .to_data_url_with_type("image/png")
        .map_err(|e| js_error(&e))?;
    download_url(name, &url)
}

/// Panics on purpose, so the browser tests can check the crash screen
/// (`window.wasmBindings.trigger_panic_for_test()`); nothing in the UI calls it.
#[wasm_bindgen]
pub fn trigger_panic_for_test() {
    // A deliberate panic: the point of this function.
    #[allow(clippy::panic)]
    {
        panic!("deliberate panic for the crash-screen test");
    }
}

/// Runs a function on the app's store; the UI registers one at start.
type StoreReader = Box<dyn Fn(&mut dyn FnMut(&Store))>;

thread_local! {
    /// How [`bench_answers`] reaches the store the UI owns.
    static STORE_READER: RefCell<Option<StoreReader>> = const { RefCell::new(None) };
}

/// Lets [`bench_answers`] read the app's store (called once by the UI when it starts).
pub fn register_store_reader(read: impl Fn(&mut dyn FnMut(&Store)) + 'static) {
    STORE_READER.with(|r| *r.borrow_mut() = Some(Box::new(read)));
}

/// Events per service, actor ARN and UTC hour of everything loaded, as JSON, so the
/// side-by-side benchmark and its browser test can compare Trailglass's answers with
/// other engines' (`window.wasmBindings.bench_answers()`); nothing in the UI calls it.
#[wasm_bindgen]
pub fn bench_answers() -> String {
    let mut json = crate::core::query::tallies(&Store::new()).to_json();
    STORE_READER.with(|r| {
        if let Some(read) = r.borrow().as_ref() {
            read(&mut |store| json = crate::core::query::tallies(store).to_json());
        }
    });
    json
}
