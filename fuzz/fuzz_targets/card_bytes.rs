//! Arbitrary bytes as a `ShareCard`: never panics; what decodes re-encodes to the same
//! bytes, and its text form reads back to the same card.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, Ristretto255, ShareCard, Suite};

fn check<S: Suite>(data: &[u8]) {
    if let Ok(card) = ShareCard::<S>::from_bytes(data) {
        assert_eq!(&card.to_secret_bytes()[..], data);
        let text = card.to_secret_text();
        assert_eq!(ShareCard::<S>::from_text(&text).ok(), Some(card));
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
