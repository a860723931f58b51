//! The browser entry point: installs the panic screen first, then mounts the UI.

#[cfg(target_arch = "wasm32")]
fn main() {
    // The same wasm runs in the ingest workers (`assets/worker.js`), which have no page.
    if web_sys::window().is_none() {
        return;
    }
    trailglass::web::install_panic_hook();
    leptos::mount::mount_to_body(trailglass::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The app runs in the browser: build it with `trunk build --release` (see README).");
}
