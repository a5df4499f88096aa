//! Arbitrary bytes as a `SealedUnit`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::SealedUnit;

fuzz_target!(|data: &[u8]| {
    if let Ok(unit) = SealedUnit::from_bytes(data) {
        assert_eq!(unit.to_bytes(), data);
    }
});
