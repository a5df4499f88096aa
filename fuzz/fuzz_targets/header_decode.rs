//! Arbitrary bytes as a `VaultHeader`: never panics; what decodes re-encodes to the same
//! bytes, and its digest is that of those bytes' re-decoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, Ristretto255, Suite, VaultHeader};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(header) = VaultHeader::<S>::from_bytes(data) {
        assert_eq!(header.to_bytes(), data);
        assert_eq!(
            VaultHeader::<S>::from_bytes(&header.to_bytes()).ok(),
            Some(header)
        );
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
