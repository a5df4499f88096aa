//! Arbitrary bytes as a capsule, used in a full unlock of a fixed vault (header, device
//! share, in-process key server): never panics, and the unlock succeeds only with the
//! genuine capsule.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::{Capsule, Unlock};

const PASSWORD: &[u8] = b"correct horse battery staple";

fuzz_target!(|data: &[u8]| {
    let Ok(capsule) = Capsule::from_bytes(data) else {
        return;
    };
    let f = fixture::fixture();
    let mut rng = fixture::rng(3);
    let password = capsule.needs_password().then_some(PASSWORD);
    let Ok((unlock, requests)) = Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        std::slice::from_ref(&capsule),
        password,
        &mut rng,
    ) else {
        return;
    };
    let responses: Vec<_> = requests
        .iter()
        .map(|q| fixture::answer(&f.server, q, &mut rng))
        .collect();
    if let Ok(vault) = unlock.finish(&responses, &mut rng) {
        assert_eq!(
            Some(data),
            f.capsules.first().map(|c| c.to_bytes()).as_deref()
        );
        assert_eq!(vault.vault_id(), f.header.vault_id());
    }
});
