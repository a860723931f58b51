//! Fetching from S3 in the browser: one GET with `mode: cors`, no cookies, no HTTP cache, no header
//! that was not signed, its body streamed so progress and a body cut off mid-way are both
//! seen, and retries with back-off for what may pass (network failures, 5xx, 503
//! SlowDown), never for a 4xx. What the answers mean is decided in `core::s3`.

use super::js_error;
use crate::core::s3::FetchFailure;
use gloo_net::http::Request;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, RequestCache, RequestCredentials, RequestMode};

/// Attempts per request, the first included.
pub const MAX_TRIES: u32 = 4;
/// Wait before the second try; doubled for each further try.
const FIRST_BACKOFF_MS: i32 = 300;

/// This page's origin (`https://host`), for CORS advice.
pub fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Unix seconds now (the browser's clock), for signing.
pub fn unix_now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// One GET; `on_bytes` hears how many body bytes have arrived (and the expected total when
/// known). Returns the body, or why it failed.
pub async fn get_once(
    url: &str,
    headers: &[(String, String)],
    on_bytes: &dyn Fn(u64, Option<u64>),
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<u8>, FetchFailure> {
    // no-store: logs are not written to the browser's HTTP cache, and a retry after a cut
    // starts afresh instead of resuming a cached partial body.
    let mut builder = Request::get(url)
        .mode(RequestMode::Cors)
        .credentials(RequestCredentials::Omit)
        .cache(RequestCache::NoStore);
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    let response = builder.send().await.map_err(|e| FetchFailure::NoResponse {
        detail: e.to_string(),
    })?;
    let status = response.status();
    if !(200..300).contains(&status) {
        // An error body is small XML; if even it cannot be read, the status still says much.
        let body = response.text().await.unwrap_or_default();
        return Err(FetchFailure::Status { status, body });
    }
    // With Content-Encoding the length is of the compressed body, not of what arrives.
    let expected = if response.headers().get("content-encoding").is_some() {
        None
    } else {
        response
            .headers()
            .get("content-length")
            .and_then(|l| l.trim().parse::<u64>().ok())
    };
    let Some(stream) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::with_capacity(expected.unwrap_or(0).min(64 << 20) as usize);
    loop {
        if cancelled() {
            let _ = reader.cancel();
            return Err(FetchFailure::NoResponse {
                detail: "cancelled".into(),
            });
        }
        let chunk = match JsFuture::from(reader.read()).await {
            Ok(chunk) => chunk,
            Err(_) => {
                return Err(FetchFailure::CutOff {
                    received: body.len() as u64,
                    expected,
                })
            }
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) {
            if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
                body.extend(bytes.to_vec());
            }
        }
        on_bytes(body.len() as u64, expected);
    }
    if let Some(total) = expected {
        if (body.len() as u64) < total {
            return Err(FetchFailure::CutOff {
                received: body.len() as u64,
                expected,
            });
        }
    }
    Ok(body)
}

/// A GET retried with back-off while the failure may pass; `sign` makes the headers for
/// each try (a fresh date). Returns the body, or the last failure and the tries made.
pub async fn get(
    url: &str,
    sign: &dyn Fn() -> Result<Vec<(String, String)>, String>,
    on_bytes: &dyn Fn(u64, Option<u64>),
    on_retry: &dyn Fn(u32),
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<u8>, (FetchFailure, u32)> {
    let mut tries = 0;
    loop {
        tries += 1;
        let headers = sign().map_err(|detail| (FetchFailure::NoResponse { detail }, tries))?;
        match get_once(url, &headers, on_bytes, cancelled).await {
            Ok(body) => return Ok(body),
            Err(failure) => {
                if cancelled() || !failure.is_retryable() || tries >= MAX_TRIES {
                    return Err((failure, tries));
                }
                on_retry(tries + 1);
                sleep(FIRST_BACKOFF_MS << (tries - 1)).await;
            }
        }
    }
}

/// Reads a browser file as text (a `.txt` list of URLs).
pub async fn file_text(file: &web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| js_error(&e))?;
    Ok(text.as_string().unwrap_or_default())
}
