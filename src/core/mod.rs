//! The pure core: everything from bytes to aggregates, with no browser crates, so it is
//! tested natively with `cargo test` and can run unchanged in a page or a worker.

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
pub mod sql;
pub mod store;
pub mod time;
