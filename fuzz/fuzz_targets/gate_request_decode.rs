//! Arbitrary bytes as a `GateRequest`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::GateRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = GateRequest::from_bytes(data) {
        assert_eq!(request.to_bytes(), data);
    }
});
