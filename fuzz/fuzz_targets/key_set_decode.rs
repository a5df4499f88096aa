//! Arbitrary bytes as a `KeySet` (what a client pins keys from): never panics; what decodes
//! re-encodes to the same bytes, its versions are strictly ascending with the newest last,
//! every version's keys are found by `pin`, and an active guard has 1..=max guesses left.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::Purpose;
use quorumkey::generic::{KeySet, P256, Ristretto255, Suite};
use quorumkey::keyserver::GuardStatus;
use quorumkey::oprf::Mode;

fn check<S: Suite>(data: &[u8]) {
    let Ok(keys) = KeySet::<S>::from_bytes(data) else {
        return;
    };
    assert_eq!(keys.to_bytes(), data);
    let versions = keys.versions();
    assert!((1..=8).contains(&versions.len()));
    assert!(versions.windows(2).all(|w| w[0].version() < w[1].version()));
    assert_eq!(
        keys.newest().map(|v| v.version()),
        versions.last().map(|v| v.version())
    );
    for v in versions {
        for purpose in Purpose::ALL {
            for mode in [Mode::Voprf, Mode::Poprf] {
                assert_eq!(
                    keys.pin(v.version(), purpose, mode).map(|p| p.public_key),
                    v.public_key(purpose, mode).copied()
                );
            }
        }
    }
    if let GuardStatus::Active {
        max_guesses,
        guesses_remaining,
    } = keys.guard()
    {
        assert!((1..=max_guesses).contains(&guesses_remaining));
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
