//! Bytes → format sniffing → gzip → splitting → record decoding → events → store, fed in
//! pieces whose sizes come from the input itself, then the aggregates over the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailglass::core::ingest::{EventSink, FileIngest};
use trailglass::core::query;
use trailglass::core::store::Store;

fuzz_target!(|data: &[u8]| {
    let (split, bytes) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s).max(1), rest),
        None => (1, data),
    };
    let mut store = Store::new();
    let mut ingest = FileIngest::new(0, "fuzz");
    for piece in bytes.chunks(split * 7) {
        ingest.push(piece, &mut store as &mut dyn EventSink);
    }
    let report = ingest.finish(&mut store);
    for p in &report.problems {
        let _ = p.to_string();
    }
    let all = store.all_rows();
    let _ = query::overview(&store, &all);
    let _ = query::by_actor(&store, &all);
    let _ = query::timeline(&store, &all, 50);
    for i in 0..store.len() {
        let _ = trailglass::core::ingest::extract_record(bytes, store.origin[i]);
    }
});
