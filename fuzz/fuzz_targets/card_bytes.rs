//! Arbitrary bytes as a `ShareCard`: never panics; what decodes re-encodes to the same
//! bytes, and its text form reads back to the same card.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::ShareCard;

fuzz_target!(|data: &[u8]| {
    if let Ok(card) = ShareCard::from_bytes(data) {
        assert_eq!(&card.to_secret_bytes()[..], data);
        let text = card.to_secret_text();
        assert_eq!(ShareCard::from_text(&text).ok(), Some(card));
    }
});
