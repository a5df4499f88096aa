//! Arbitrary bytes as a `GateResponse`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{GateResponse, P256, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(response) = GateResponse::<S>::from_bytes(data) {
        assert_eq!(response.to_bytes(), data);
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
