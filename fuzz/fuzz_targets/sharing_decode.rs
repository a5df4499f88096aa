//! Arbitrary bytes as a sharing `Share` and as `Commitments`: never panics; what decodes
//! re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::sharing::{Commitments, Share};

fuzz_target!(|data: &[u8]| {
    if let Ok(share) = Share::from_bytes(data) {
        assert_eq!(&share.to_secret_bytes()[..], data);
    }
    if let Ok(commitments) = Commitments::from_bytes(data) {
        assert_eq!(commitments.to_bytes(), data);
    }
});
