//! The hash-route parser: any text parses without panicking, and what it understood
//! survives a round trip through `to_hash`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailglass::core::route::{parse, to_hash};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let route = parse(text);
    let again = parse(&to_hash(&route.view, &route.filter));
    assert_eq!(again.view, route.view, "{text:?}");
    assert_eq!(again.filter, route.filter, "{text:?}");
    let _ = trailglass::core::sql::athena(&route.filter, "t");
    let _ = trailglass::core::sql::cloudtrail_lake(&route.filter, "s");
});
