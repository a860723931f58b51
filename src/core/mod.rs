//! The pure core: everything from bytes to aggregates, with no browser crates, so it is
//! tested natively with `cargo test` and can run unchanged in a page or a worker.
//!
//! It is a crate of its own (`trailglass-core`, re-exported by the app as `core`): its
//! manifest lists no browser crate, so none can creep in, and the release profile builds it
//! at `opt-level = 3` while the UI is built for size. (At `opt-level = "s"` the hot loops of
//! ingest and search were not vectorised: lower-casing a file ran at 1 GB/s instead of 7.)

pub mod actor;
pub mod chain;
pub mod demo;
pub mod detect;
pub mod export;
pub mod fields;
pub mod filter;
pub mod ingest;
pub mod integrity;
pub mod policy;
pub mod query;
pub mod record;
pub mod route;
pub mod rsa;
pub mod s3;
pub mod sigma;
pub mod sigv4;
pub mod sketch;
pub mod sql;
pub mod store;
pub mod time;
