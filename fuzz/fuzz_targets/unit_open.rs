//! Arbitrary bytes as a sealed unit, opened with a fixed unlocked vault (gated units through
//! `UnitRead` and the fixed key server): never panics, and nothing opens unless the bytes
//! are one of the vault's genuine units.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, Ristretto255, SealedUnit, Suite, UnitRead};

fn check<S: Suite>(data: &[u8]) {
    let Ok(unit) = SealedUnit::<S>::from_bytes(data) else {
        return;
    };
    let f = fixture::fixture::<S>();
    if let Ok(plaintext) = f.vault.open_unit(&unit) {
        assert_eq!(data, f.unit.as_slice(), "a forged unit opened");
        assert_eq!(&**plaintext, f.plaintext);
    }
    let mut rng = fixture::rng(5);
    let Ok((read, requests)) = UnitRead::start(std::slice::from_ref(&unit), &mut rng) else {
        return;
    };
    let responses: Vec<_> = requests
        .iter()
        .map(|q| fixture::answer(f, q, &mut rng))
        .collect();
    if let Ok(results) = read.finish(&f.vault, &responses) {
        assert_eq!(results.len(), 1);
        if let Some(Ok(plaintext)) = results.first() {
            assert!(
                data == f.unit.as_slice() || data == f.gated_unit.as_slice(),
                "a forged unit opened"
            );
            assert_eq!(&***plaintext, f.plaintext);
        }
    }
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
