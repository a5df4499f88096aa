//! Arbitrary bytes as a `RecoveryKit`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::RecoveryKit;

fuzz_target!(|data: &[u8]| {
    if let Ok(kit) = RecoveryKit::from_bytes(data) {
        assert_eq!(kit.to_bytes(), data);
    }
});
