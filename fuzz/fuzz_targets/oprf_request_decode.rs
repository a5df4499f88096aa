//! Arbitrary bytes as an `EvaluationRequest`: never panics; what decodes re-encodes to
//! the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::oprf::EvaluationRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = EvaluationRequest::from_bytes(data) {
        assert_eq!(req.to_bytes(), data);
    }
});
