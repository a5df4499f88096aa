//! Arbitrary bytes as a `GateResponse`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::GateResponse;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = GateResponse::from_bytes(data) {
        assert_eq!(response.to_bytes(), data);
    }
});
