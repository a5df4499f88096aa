//! The other client-side consumers of a key server's answer — re-seal, gated-unit seal and
//! refresh (an enrollment) — each pending from a fixed RNG state, fed arbitrary bytes as
//! the `GateResponse` (the first byte picks the flow). `finish` never panics and never
//! succeeds: an arbitrary response cannot carry a valid proof for these blinded elements.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::{GateMode, Purpose};
use quorumkey::generic::{GateResponse, KeyServerSetup, P256, Ristretto255, Suite};

fn check<S: Suite>(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(response) = GateResponse::<S>::from_bytes(rest) else {
        return;
    };
    let f = fixture::fixture::<S>();
    // Changes move forward: to key version 2, newer than the capsule's version 1.
    let setup = KeyServerSetup {
        holder: 2.try_into().expect("holder"),
        pin: fixture::pin(f, 2, Purpose::Capsule),
        mode: GateMode::Voprf,
    };
    let mut rng = fixture::rng(31);
    match which % 3 {
        0 => {
            let capsule = f.capsules.first().expect("capsule");
            let (reseal, _) = f
                .vault
                .reseal(&f.header, capsule, &setup, None, &mut rng)
                .expect("reseal starts");
            assert!(
                reseal.finish(&response, &mut rng).is_err(),
                "forged re-seal"
            );
        }
        1 => {
            let (seal, _) = f
                .vault
                .seal_gated_unit(
                    b"u",
                    b"p",
                    fixture::KEY_ID,
                    fixture::pin(f, 2, Purpose::UnitGate),
                    GateMode::Voprf,
                    &mut rng,
                )
                .expect("gated seal starts");
            assert!(
                seal.finish(&f.vault, &response, &mut rng).is_err(),
                "forged gated seal"
            );
        }
        _ => {
            let (refresh, _) = f
                .vault
                .refresh(
                    &f.header,
                    &f.capsules,
                    f.header.policy().clone(),
                    std::slice::from_ref(&setup),
                    None,
                    &mut rng,
                )
                .expect("refresh starts");
            assert!(
                refresh.finish(&[response], &mut rng).is_err(),
                "forged refresh"
            );
        }
    }
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
