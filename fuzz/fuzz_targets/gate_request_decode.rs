//! Arbitrary bytes as a `GateRequest`: never panics; what decodes re-encodes to the same
//! bytes; the header-only `peek` accepts whatever `from_bytes` accepts, with the same purpose
//! and element count.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{GateRequest, P256, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    let peeked = GateRequest::<S>::peek(data);
    if let Ok(request) = GateRequest::<S>::from_bytes(data) {
        assert_eq!(request.to_bytes(), data);
        assert_eq!(
            peeked.ok(),
            Some((request.purpose(), request.evaluation_request().len()))
        );
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
