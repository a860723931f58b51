//! Trailglass reads AWS CloudTrail logs in the browser.
//!
//! Data flows one way: **source → bytes → records → events → store → views**.
//!
//! - [`core`]: pure Rust, no browser crates (the `trailglass-core` crate in `src/core`).
//!   [`core::ingest`] sniffs formats, inflates gzip and splits JSON into records; [`core::record`] turns each into a typed event with its
//!   actor ([`core::actor`]); [`core::store`] keeps events columnar and interned;
//!   [`core::query`] aggregates them; [`core::demo`] generates realistic data.
//! - [`chart`]: plotters drawing functions, generic over the backend.
//! - `web` (wasm only): the only module that touches the browser: files, folders, yielding.
//! - `ui` (wasm only): Leptos components that read state, render and dispatch.

pub mod chart;
pub use trailglass_core as core;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
