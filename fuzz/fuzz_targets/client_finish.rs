//! A fixed pending `Unlock` (rebuilt per input from a fixed seed: it is single use) and
//! arbitrary bytes as the key server's `GateResponse`: finish never panics, and the unlock
//! succeeds only with the genuine response.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::GateResponse;

fuzz_target!(|data: &[u8]| {
    let Ok(response) = GateResponse::from_bytes(data) else {
        return;
    };
    let f = fixture::fixture();
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
});
