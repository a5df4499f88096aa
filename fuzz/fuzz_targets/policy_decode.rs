//! Arbitrary bytes as a `Policy`: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::policy::Policy;

fuzz_target!(|data: &[u8]| {
    if let Ok(policy) = Policy::from_bytes(data) {
        assert_eq!(policy.to_bytes(), data);
    }
});
