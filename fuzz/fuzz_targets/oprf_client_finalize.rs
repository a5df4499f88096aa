//! Fixed client states, arbitrary response bytes: decode + finalize in every mode never
//! panics. (A forged response passing verification would be a soundness bug; the target
//! asserts that no arbitrary VOPRF/POPRF response verifies.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{
    EvaluationResponse, OprfClient, P256, PoprfClient, PublicKey, Ristretto255, ServerKey, Suite,
    VoprfClient,
};
use quorumkey::oprf::Mode;

const INFO: &[u8] = b"fuzz info";
const BLIND: [u8; 32] = [0x33; 32];

fn check<S: Suite>(data: &[u8]) {
    let Ok(resp) = EvaluationResponse::<S>::from_bytes(data) else {
        return;
    };
    let Ok(key) = ServerKey::<S>::derive(Mode::Voprf, &[7; 32], b"fuzz") else {
        return;
    };
    let pk: PublicKey<S> = *key.public_key();
    // As many inputs as the response claims, up to 4, so counts can match.
    let n = resp.len().min(4);
    let inputs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8]).collect();
    let blind = |i: usize| {
        let mut b = BLIND;
        b[31] = i as u8 + 1;
        b
    };
    let oprf: Vec<OprfClient<S>> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            OprfClient::deterministic_blind(x, &blind(i))
                .ok()
                .map(|s| s.0)
        })
        .collect();
    let _ = OprfClient::finalize_batch(oprf, &inputs, &resp);
    let voprf: Vec<VoprfClient<S>> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            VoprfClient::deterministic_blind(x, &blind(i))
                .ok()
                .map(|s| s.0)
        })
        .collect();
    let verified = VoprfClient::finalize_batch(voprf, &inputs, &resp, &pk);
    assert!(verified.is_err(), "arbitrary VOPRF response verified");
    let poprf: Vec<PoprfClient<S>> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            PoprfClient::deterministic_blind(x, INFO, &pk, &blind(i))
                .ok()
                .map(|s| s.0)
        })
        .collect();
    let verified = PoprfClient::finalize_batch(poprf, &inputs, INFO, &resp);
    assert!(verified.is_err(), "arbitrary POPRF response verified");
    // Single-element finalize with the first element and proof, if any.
    if let (Some(e), Some(p)) = (resp.elements().first(), resp.proof())
        && let Ok((s, _)) = VoprfClient::deterministic_blind(b"x", &BLIND)
    {
        assert!(s.finalize(b"x", e, p, &pk).is_err());
    }
}

// Every input is tried in each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
