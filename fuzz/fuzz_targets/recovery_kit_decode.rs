//! Arbitrary bytes as a `RecoveryKit`: never panics; what decodes re-encodes to the same
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, RecoveryKit, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(kit) = RecoveryKit::<S>::from_bytes(data) {
        assert_eq!(kit.to_bytes(), data);
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
