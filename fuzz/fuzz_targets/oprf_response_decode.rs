//! Arbitrary bytes as an `EvaluationResponse`: never panics; what decodes re-encodes to
//! the same bytes. Also the standalone proof and element decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::oprf::{EvaluatedElement, EvaluationResponse, Proof};

fuzz_target!(|data: &[u8]| {
    if let Ok(resp) = EvaluationResponse::from_bytes(data) {
        assert_eq!(resp.to_bytes(), data);
    }
    if let Ok(p) = Proof::from_bytes(data) {
        assert_eq!(p.to_bytes().as_slice(), data);
    }
    if let Ok(e) = EvaluatedElement::from_bytes(data) {
        assert_eq!(e.to_bytes().as_slice(), data);
    }
});
