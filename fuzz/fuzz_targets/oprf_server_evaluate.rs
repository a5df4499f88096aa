//! Arbitrary bytes as a request, evaluated with a fixed key in every mode: never panics,
//! and every accepted request yields a response of the same size that round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{
    EvaluationRequest, EvaluationResponse, P256, Ristretto255, ServerKey, Suite,
};

/// A secret key canonical in both suites (below both group orders, read big-endian for
/// P-256 and little-endian for ristretto255).
const SK: [u8; 32] = [
    0x05, 0x97, 0x49, 0xd7, 0x50, 0x71, 0x3a, 0xfe, 0x24, 0x5d, 0x2d, 0x39, 0xcc, 0xfa, 0xae, 0x83,
    0x81, 0xc5, 0x3c, 0xe9, 0x2d, 0x09, 0x8a, 0x93, 0x75, 0xee, 0x70, 0x73, 0x9c, 0x7a, 0xc0, 0x0f,
];
/// A proof nonce canonical in both suites.
const NONCE: [u8; 32] = [0x02; 32];

fn check<S: Suite>(data: &[u8]) {
    let Ok(key) = ServerKey::<S>::from_secret_bytes(&SK) else {
        return;
    };
    // First byte picks the POPRF info length; the rest is the request.
    let (info, request) = match data.split_first() {
        Some((&n, rest)) if usize::from(n) <= rest.len() => rest.split_at(usize::from(n)),
        _ => (&[][..], data),
    };
    let Ok(req) = EvaluationRequest::<S>::from_bytes(request) else {
        return;
    };
    let oprf = key.respond_oprf(&req);
    assert_eq!(oprf.len(), req.len());
    if let Ok(voprf) = key.respond_voprf_with_nonce(&req, &NONCE) {
        assert_eq!(voprf.len(), req.len());
        let bytes = voprf.to_bytes();
        assert_eq!(
            EvaluationResponse::<S>::from_bytes(&bytes).ok(),
            Some(voprf)
        );
    }
    if let Ok(poprf) = key.respond_poprf_with_nonce(&req, info, &NONCE) {
        assert_eq!(poprf.len(), req.len());
    }
    if let Some(first) = req.elements().first() {
        let _ = key.blind_evaluate_oprf(first);
        let _ = key.blind_evaluate_voprf_with_nonce(first, &NONCE);
        let _ = key.blind_evaluate_poprf_with_nonce(first, info, &NONCE);
    }
}

// Every input is tried in each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
