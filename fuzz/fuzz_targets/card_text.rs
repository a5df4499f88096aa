//! Arbitrary text as a share card: never panics. What parses is canonical up to the
//! leniencies of spec/wire-format.md §6 (case, whitespace, `-`, `O`→`0`, `I`/`L`→`1`): the
//! normalized input equals the normalized canonical text, and the card round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, Ristretto255, ShareCard, Suite};
use quorumkey::vault::CARD_TEXT_PREFIX;

fn normalize(text: &str) -> String {
    let body = &text.trim_start()[CARD_TEXT_PREFIX.len()..];
    body.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fn check<S: Suite>(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(card) = ShareCard::<S>::from_text(text) {
        let canonical = card.to_secret_text();
        assert_eq!(
            normalize(text),
            normalize(&canonical),
            "non-canonical card text accepted"
        );
        assert_eq!(
            ShareCard::<S>::from_text(&canonical).ok(),
            Some(card.clone())
        );
        assert_eq!(
            ShareCard::<S>::from_bytes(&card.to_secret_bytes()[..]).ok(),
            Some(card)
        );
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
