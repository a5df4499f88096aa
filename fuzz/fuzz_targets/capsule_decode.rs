//! Arbitrary bytes as a `Capsule`: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::Capsule;

fuzz_target!(|data: &[u8]| {
    if let Ok(capsule) = Capsule::from_bytes(data) {
        assert_eq!(capsule.to_bytes(), data);
    }
});
