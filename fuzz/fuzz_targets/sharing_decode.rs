//! Arbitrary bytes as a sharing `Share` and as `Commitments`: never panics; what decodes
//! re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{Commitments, P256, Ristretto255, Share, Suite};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(share) = Share::<S>::from_bytes(data) {
        assert_eq!(&share.to_secret_bytes()[..], data);
    }
    if let Ok(commitments) = Commitments::<S>::from_bytes(data) {
        assert_eq!(commitments.to_bytes(), data);
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
