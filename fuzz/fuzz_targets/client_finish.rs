//! A fixed pending `Unlock` (rebuilt per input from a fixed seed: it is single use) and
//! arbitrary bytes as the key server's `GateResponse`: finish never panics, and the unlock
//! succeeds only with the genuine response.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{GateResponse, P256, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    let Ok(response) = GateResponse::<S>::from_bytes(data) else {
        return;
    };
    let f = fixture::fixture::<S>();
    let (unlock, _requests) = fixture::pending_unlock(f);
    let mut rng = fixture::rng(13);
    if let Ok(vault) = unlock.finish(&[Some(response)], &mut rng) {
        assert_eq!(
            data,
            f.unlock_response.as_slice(),
            "a forged response unlocked"
        );
        assert_eq!(vault.vault_id(), f.header.vault_id());
    }
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
