//! Arbitrary bytes as a capsule, used in a full unlock of a fixed vault (header, device
//! share, in-process key server with the user's record): never panics, and the unlock
//! succeeds only with the genuine capsule.
//!
//! A password capsule is tried only at the Argon2id floor: its own parameters could ask for
//! 1 GiB and 16 passes per input, and that cost is not what this target is about.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::PasswordParams;
use quorumkey::generic::{Capsule, P256, Ristretto255, Suite, Trust, Unlock};

const PASSWORD: &[u8] = b"correct horse battery staple";

fn check<S: Suite>(data: &[u8]) {
    let Ok(capsule) = Capsule::<S>::from_bytes(data) else {
        return;
    };
    if let Some(params) = capsule.password_params() {
        let floor = PasswordParams::new(
            PasswordParams::MIN_MEMORY_KIB,
            PasswordParams::MIN_ITERATIONS,
            1,
        )
        .expect("the floor is accepted");
        if *params != floor {
            return;
        }
    }
    let f = fixture::fixture::<S>();
    let mut rng = fixture::rng(3);
    let password = capsule.needs_password().then_some(PASSWORD);
    // The device share anchors the header: the capsule's pin is not checked against a key
    // set, so a forged capsule gets as far as the key server.
    let Ok((unlock, requests)) = Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        std::slice::from_ref(&capsule),
        &Trust::new(),
        password,
        &mut rng,
    ) else {
        return;
    };
    let responses: Vec<_> = requests
        .iter()
        .map(|q| fixture::answer(f, q, &mut rng))
        .collect();
    if let Ok(vault) = unlock.finish(&responses, &mut rng) {
        assert_eq!(
            Some(data),
            f.capsules.first().map(|c| c.to_bytes()).as_deref(),
            "a forged capsule opened"
        );
        assert_eq!(vault.vault_id(), f.header.vault_id());
    }
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
