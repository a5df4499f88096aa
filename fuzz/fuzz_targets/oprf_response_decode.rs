//! Arbitrary bytes as an `EvaluationResponse`: never panics; what decodes re-encodes to
//! the same bytes. Also the standalone proof and element decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{EvaluatedElement, EvaluationResponse, P256, Proof, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(resp) = EvaluationResponse::<S>::from_bytes(data) {
        assert_eq!(resp.to_bytes(), data);
    }
    if let Ok(p) = Proof::<S>::from_bytes(data) {
        assert_eq!(p.to_bytes().as_slice(), data);
    }
    if let Ok(e) = EvaluatedElement::<S>::from_bytes(data) {
        assert_eq!(e.to_bytes().as_ref(), data);
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
