//! Negative and property tests for `quorumkey::oprf` (no `danger` feature needed).

use proptest::prelude::*;
use quorumkey::group::{ELEMENT_LEN, EncodingError};
use quorumkey::oprf::{
    BlindedElement, Error, EvaluatedElement, EvaluationRequest, EvaluationResponse, MAX_BATCH,
    Mode, OprfClient, PROOF_LEN, PoprfClient, Proof, ServerKey, VoprfClient,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn server(seed: u8) -> ServerKey {
    ServerKey::derive(Mode::Voprf, &[seed; 32], b"negative tests").unwrap()
}

/// A VOPRF batch: states, inputs, request, response.
fn voprf_batch(
    key: &ServerKey,
    n: usize,
) -> (
    Vec<VoprfClient>,
    Vec<Vec<u8>>,
    EvaluationRequest,
    EvaluationResponse,
) {
    let mut r = rng(9);
    let inputs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; i + 1]).collect();
    let (states, blinded): (Vec<_>, Vec<_>) = inputs
        .iter()
        .map(|i| VoprfClient::blind(i, &mut r).unwrap())
        .unzip();
    let req = EvaluationRequest::new(blinded).unwrap();
    let resp = key.respond_voprf(&req, &mut r);
    (states, inputs, req, resp)
}

#[test]
fn voprf_round_trip_and_direct_evaluate() {
    let key = server(1);
    let (states, inputs, _, resp) = voprf_batch(&key, 5);
    let outs = VoprfClient::finalize_batch(states, &inputs, &resp, key.public_key()).unwrap();
    for (o, i) in outs.iter().zip(&inputs) {
        assert_eq!(*o, key.evaluate(Mode::Voprf, i).unwrap());
    }
}

#[test]
fn proof_from_a_different_key_fails() {
    let key = server(1);
    let other = server(2);
    let mut r = rng(1);
    let (state, blinded) = VoprfClient::blind(b"x", &mut r).unwrap();
    let (evaluated, proof) = key.blind_evaluate_voprf(&blinded, &mut r);
    assert_eq!(
        state.finalize(b"x", &evaluated, &proof, other.public_key()),
        Err(Error::Verify)
    );
    // And a response computed by the other key, checked against the pinned key.
    let (states, inputs, req, _) = voprf_batch(&key, 3);
    let forged = other.respond_voprf(&req, &mut r);
    assert_eq!(
        VoprfClient::finalize_batch(states, &inputs, &forged, key.public_key()),
        Err(Error::Verify)
    );
}

#[test]
fn tampered_evaluation_element_fails() {
    let key = server(1);
    let mut r = rng(2);
    let (state, blinded) = VoprfClient::blind(b"x", &mut r).unwrap();
    let (_, proof) = key.blind_evaluate_voprf(&blinded, &mut r);
    // A valid element that is not skS·C: the evaluation of another blinded element.
    let (_, other_blinded) = VoprfClient::blind(b"y", &mut r).unwrap();
    let wrong = key.blind_evaluate_oprf(&other_blinded);
    assert_eq!(
        state.finalize(b"x", &wrong, &proof, key.public_key()),
        Err(Error::Verify)
    );
}

#[test]
fn tampered_proof_fails() {
    let key = server(1);
    let mut r = rng(3);
    let (state, blinded) = VoprfClient::blind(b"x", &mut r).unwrap();
    let (evaluated, proof) = key.blind_evaluate_voprf(&blinded, &mut r);
    let mut bytes = proof.to_bytes();
    bytes[PROOF_LEN - 1] ^= 1;
    let bad = Proof::from_bytes(&bytes).unwrap();
    assert_eq!(
        state.finalize(b"x", &evaluated, &bad, key.public_key()),
        Err(Error::Verify)
    );
}

#[test]
fn swapped_batch_order_fails() {
    let key = server(1);
    let (states, inputs, _, resp) = voprf_batch(&key, 3);
    let mut elements = resp.elements().to_vec();
    elements.swap(0, 1);
    let swapped = EvaluationResponse::new(Mode::Voprf, elements, resp.proof().copied()).unwrap();
    assert_eq!(
        VoprfClient::finalize_batch(states, &inputs, &swapped, key.public_key()),
        Err(Error::Verify)
    );
}

#[test]
fn poprf_wrong_info_fails() {
    let key = server(1);
    let mut r = rng(4);
    // Client and server disagree on info: the proof is for another tweaked key.
    let (state, blinded) = PoprfClient::blind(b"x", b"unit 1", key.public_key(), &mut r).unwrap();
    let (evaluated, proof) = key
        .blind_evaluate_poprf(&blinded, b"unit 2", &mut r)
        .unwrap();
    assert_eq!(
        state.finalize(b"x", b"unit 1", &evaluated, &proof),
        Err(Error::Verify)
    );
    // Finalize with an info other than the blinded one.
    let (state, blinded) = PoprfClient::blind(b"x", b"unit 1", key.public_key(), &mut r).unwrap();
    let (evaluated, proof) = key
        .blind_evaluate_poprf(&blinded, b"unit 1", &mut r)
        .unwrap();
    assert_eq!(
        state.finalize(b"x", b"unit 2", &evaluated, &proof),
        Err(Error::InfoMismatch)
    );
}

#[test]
fn poprf_batch_mixed_info_refused() {
    let key = server(1);
    let mut r = rng(5);
    let (s1, b1) = PoprfClient::blind(b"a", b"i1", key.public_key(), &mut r).unwrap();
    let (s2, b2) = PoprfClient::blind(b"b", b"i2", key.public_key(), &mut r).unwrap();
    let req = EvaluationRequest::new(vec![b1, b2]).unwrap();
    let resp = key.respond_poprf(&req, b"i1", &mut r).unwrap();
    assert_eq!(
        PoprfClient::finalize_batch(vec![s1, s2], &[b"a", b"b"], b"i1", &resp),
        Err(Error::InfoMismatch)
    );
}

#[test]
fn identity_blinded_element_refused() {
    let zero = [0u8; ELEMENT_LEN];
    assert_eq!(
        BlindedElement::from_bytes(&zero),
        Err(Error::Encoding(EncodingError::IdentityElement))
    );
    let mut req = vec![0, 1];
    req.extend_from_slice(&zero);
    assert_eq!(
        EvaluationRequest::from_bytes(&req),
        Err(Error::Encoding(EncodingError::IdentityElement))
    );
    let mut bad = [0u8; ELEMENT_LEN];
    bad[0] = 0x02;
    bad[1..].fill(0xff); // x ≥ p
    assert_eq!(
        BlindedElement::from_bytes(&bad),
        Err(Error::Encoding(EncodingError::InvalidElement))
    );
}

#[test]
fn request_decoding_rejections() {
    let key = server(1);
    let (_, _, req, _) = voprf_batch(&key, 2);
    let bytes = req.to_bytes();
    assert_eq!(bytes.len(), 2 + 2 * ELEMENT_LEN);
    assert_eq!(&bytes[..2], &[0, 2]);
    assert_eq!(EvaluationRequest::from_bytes(&bytes).unwrap(), req);
    assert_eq!(EvaluationRequest::from_bytes(&[]), Err(Error::Truncated));
    assert_eq!(EvaluationRequest::from_bytes(&[0]), Err(Error::Truncated));
    assert_eq!(
        EvaluationRequest::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::Truncated)
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        EvaluationRequest::from_bytes(&longer),
        Err(Error::TrailingBytes)
    );
    assert_eq!(
        EvaluationRequest::from_bytes(&[0, 0]),
        Err(Error::EmptyBatch)
    );
    let too_many = ((MAX_BATCH + 1) as u16).to_be_bytes();
    assert_eq!(
        EvaluationRequest::from_bytes(&too_many),
        Err(Error::BatchTooLarge)
    );
    assert_eq!(EvaluationRequest::new(vec![]), Err(Error::EmptyBatch));
    let b = req.elements()[0];
    assert_eq!(
        EvaluationRequest::new(vec![b; MAX_BATCH + 1]),
        Err(Error::BatchTooLarge)
    );
    assert!(EvaluationRequest::new(vec![b; MAX_BATCH]).is_ok());
}

#[test]
fn response_decoding_rejections() {
    let key = server(1);
    let (_, _, req, resp) = voprf_batch(&key, 2);
    let bytes = resp.to_bytes();
    assert_eq!(bytes.len(), 2 + 2 * ELEMENT_LEN + 1 + PROOF_LEN);
    assert_eq!(bytes[2 + 2 * ELEMENT_LEN], 0x01);
    assert_eq!(EvaluationResponse::from_bytes(&bytes).unwrap(), resp);
    let mode_at = 2 + 2 * ELEMENT_LEN;
    // Truncations at every boundary.
    assert_eq!(
        EvaluationResponse::from_bytes(&bytes[..1]),
        Err(Error::Truncated)
    );
    assert_eq!(
        EvaluationResponse::from_bytes(&bytes[..mode_at - 1]),
        Err(Error::Truncated)
    );
    assert_eq!(
        EvaluationResponse::from_bytes(&bytes[..mode_at]),
        Err(Error::Truncated)
    );
    assert_eq!(
        EvaluationResponse::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::Truncated)
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        EvaluationResponse::from_bytes(&longer),
        Err(Error::TrailingBytes)
    );
    // Unknown mode byte.
    let mut unknown = bytes.clone();
    unknown[mode_at] = 0x03;
    assert_eq!(
        EvaluationResponse::from_bytes(&unknown),
        Err(Error::UnknownMode(3))
    );
    // Non-canonical proof scalars (c, then s).
    let mut nc = bytes.clone();
    nc[mode_at + 1..mode_at + 33].fill(0xff);
    assert_eq!(
        EvaluationResponse::from_bytes(&nc),
        Err(Error::Encoding(EncodingError::NonCanonicalScalar))
    );
    let mut ns = bytes.clone();
    ns[mode_at + 33..].fill(0xff);
    assert_eq!(
        EvaluationResponse::from_bytes(&ns),
        Err(Error::Encoding(EncodingError::NonCanonicalScalar))
    );
    // OPRF mode: no proof, nothing after the mode byte.
    let oprf = key.respond_oprf(&req).to_bytes();
    assert_eq!(oprf.len(), mode_at + 1);
    assert_eq!(oprf[mode_at], 0x00);
    assert!(EvaluationResponse::from_bytes(&oprf).is_ok());
    let mut with_proof = oprf.clone();
    with_proof.extend_from_slice(&[0u8; PROOF_LEN]);
    assert_eq!(
        EvaluationResponse::from_bytes(&with_proof),
        Err(Error::TrailingBytes)
    );
    // Identity element inside a response.
    let mut ident = bytes.clone();
    ident[2..2 + ELEMENT_LEN].fill(0);
    assert_eq!(
        EvaluationResponse::from_bytes(&ident),
        Err(Error::Encoding(EncodingError::IdentityElement))
    );
    // Counts.
    assert_eq!(
        EvaluationResponse::from_bytes(&[0, 0, 1]),
        Err(Error::EmptyBatch)
    );
    // Proof presence in constructors.
    let e: Vec<EvaluatedElement> = resp.elements().to_vec();
    assert_eq!(
        EvaluationResponse::new(Mode::Voprf, e.clone(), None),
        Err(Error::ProofPresence)
    );
    assert_eq!(
        EvaluationResponse::new(Mode::Oprf, e, resp.proof().copied()),
        Err(Error::ProofPresence)
    );
    assert_eq!(
        Proof::from_bytes(&[0u8; PROOF_LEN - 1]),
        Err(Error::Encoding(EncodingError::Length {
            expected: PROOF_LEN,
            found: PROOF_LEN - 1
        }))
    );
}

#[test]
fn count_and_mode_mismatch_at_finalize() {
    let key = server(1);
    let (states, inputs, _, _) = voprf_batch(&key, 3);
    let (_, _, _, resp2) = voprf_batch(&key, 2);
    assert_eq!(
        VoprfClient::finalize_batch(states, &inputs, &resp2, key.public_key()),
        Err(Error::BatchSizeMismatch {
            expected: 3,
            found: 2
        })
    );
    let (states, inputs, req, _) = voprf_batch(&key, 3);
    assert_eq!(
        VoprfClient::finalize_batch(
            states,
            &inputs[..2],
            &key.respond_voprf(&req, &mut rng(1)),
            key.public_key()
        ),
        Err(Error::BatchSizeMismatch {
            expected: 3,
            found: 2
        })
    );
    let (states, inputs, req, _) = voprf_batch(&key, 3);
    let oprf = key.respond_oprf(&req);
    assert_eq!(
        VoprfClient::finalize_batch(states, &inputs, &oprf, key.public_key()),
        Err(Error::ModeMismatch {
            expected: Mode::Voprf,
            found: Mode::Oprf
        })
    );
}

#[test]
fn length_limits() {
    let key = server(1);
    let mut r = rng(6);
    let max = vec![0u8; 65535];
    let over = vec![0u8; 65536];
    assert!(VoprfClient::blind(&max, &mut r).is_ok());
    assert_eq!(
        VoprfClient::blind(&over, &mut r).err(),
        Some(Error::InputTooLong)
    );
    assert_eq!(
        OprfClient::blind(&over, &mut r).err(),
        Some(Error::InputTooLong)
    );
    assert_eq!(
        PoprfClient::blind(b"x", &over, key.public_key(), &mut r).err(),
        Some(Error::InfoTooLong)
    );
    assert_eq!(
        PoprfClient::blind(&over, b"i", key.public_key(), &mut r).err(),
        Some(Error::InputTooLong)
    );
    assert_eq!(
        key.evaluate(Mode::Oprf, &over).err(),
        Some(Error::InputTooLong)
    );
    assert_eq!(
        key.evaluate_poprf(b"x", &over).err(),
        Some(Error::InfoTooLong)
    );
    assert_eq!(
        ServerKey::derive(Mode::Voprf, &[1; 32], &over).err(),
        Some(Error::InfoTooLong)
    );
    let (_, blinded) = PoprfClient::blind(b"x", b"i", key.public_key(), &mut r).unwrap();
    assert_eq!(
        key.blind_evaluate_poprf(&blinded, &over, &mut r).err(),
        Some(Error::InfoTooLong)
    );
    // Finalize re-checks the input.
    let (state, blinded) = OprfClient::blind(b"x", &mut r).unwrap();
    let e = key.blind_evaluate_oprf(&blinded);
    assert_eq!(state.finalize(&over, &e).err(), Some(Error::InputTooLong));
}

#[test]
fn secrets_are_redacted_and_keys_import() {
    let key = server(1);
    let secret_hex = hex::encode(key.to_secret_bytes().as_slice());
    let dbg = format!("{key:?}");
    assert!(
        dbg.contains("redacted") && !dbg.contains(&secret_hex),
        "{dbg}"
    );
    let out = key.evaluate(Mode::Oprf, b"x").unwrap();
    assert_eq!(format!("{out:?}"), "Output(<redacted>)");
    let (state, _) = VoprfClient::blind(b"x", &mut rng(1)).unwrap();
    assert!(format!("{state:?}").contains("<redacted>"));
    let again = ServerKey::from_secret_bytes(key.to_secret_bytes().as_slice()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert_eq!(
        ServerKey::from_secret_bytes(&[0; 32]).err(),
        Some(Error::Encoding(EncodingError::ZeroScalar))
    );
    assert!(ServerKey::evaluate(&key, Mode::Poprf, b"x").is_err());
    assert_eq!(Mode::from_byte(7), Err(Error::UnknownMode(7)));
    assert_eq!(format!("{}", Error::Verify), "proof verification failed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn prop_all_modes_match_direct_evaluate(
        input in proptest::collection::vec(any::<u8>(), 0..64),
        info in proptest::collection::vec(any::<u8>(), 0..32),
        seed in any::<[u8; 32]>(),
    ) {
        let mut r = ChaCha20Rng::from_seed(seed);
        let key = ServerKey::generate(&mut r);
        let pk = *key.public_key();

        let (s, b) = OprfClient::blind(&input, &mut r).unwrap();
        let e = key.blind_evaluate_oprf(&b);
        prop_assert_eq!(s.finalize(&input, &e).unwrap(), key.evaluate(Mode::Oprf, &input).unwrap());

        let (s, b) = VoprfClient::blind(&input, &mut r).unwrap();
        let (e, p) = key.blind_evaluate_voprf(&b, &mut r);
        prop_assert_eq!(s.finalize(&input, &e, &p, &pk).unwrap(), key.evaluate(Mode::Voprf, &input).unwrap());

        let (s, b) = PoprfClient::blind(&input, &info, &pk, &mut r).unwrap();
        let (e, p) = key.blind_evaluate_poprf(&b, &info, &mut r).unwrap();
        prop_assert_eq!(s.finalize(&input, &info, &e, &p).unwrap(), key.evaluate_poprf(&input, &info).unwrap());
    }

    #[test]
    fn prop_messages_round_trip(n in 1usize..6, seed in any::<[u8; 32]>(), mode in 0u8..3) {
        let mut r = ChaCha20Rng::from_seed(seed);
        let key = ServerKey::generate(&mut r);
        let blinded: Vec<BlindedElement> = (0..n)
            .map(|i| OprfClient::blind(&[i as u8], &mut r).unwrap().1)
            .collect();
        let req = EvaluationRequest::new(blinded).unwrap();
        let bytes = req.to_bytes();
        prop_assert_eq!(bytes.len(), 2 + n * ELEMENT_LEN);
        prop_assert_eq!(EvaluationRequest::from_bytes(&bytes).unwrap(), req.clone());
        let resp = match Mode::from_byte(mode).unwrap() {
            Mode::Oprf => key.respond_oprf(&req),
            Mode::Voprf => key.respond_voprf(&req, &mut r),
            Mode::Poprf => key.respond_poprf(&req, b"info", &mut r).unwrap(),
        };
        let bytes = resp.to_bytes();
        let decoded = EvaluationResponse::from_bytes(&bytes).unwrap();
        prop_assert_eq!(decoded.to_bytes(), bytes);
        prop_assert_eq!(decoded, resp);
    }

    #[test]
    fn prop_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = EvaluationRequest::from_bytes(&bytes);
        let _ = EvaluationResponse::from_bytes(&bytes);
        let _ = Proof::from_bytes(&bytes);
    }
}

#[test]
fn poprf_zero_tweak_is_inverse_error() {
    use p256::NistP256;
    use p256::elliptic_curve::consts::U48;
    use p256::hash2curve::{ExpandMsgXmd, hash_to_scalar};
    // A key with skS = −HashToScalar(framedInfo) makes t = 0 for this info.
    let info = b"zero tweak";
    let ctx = quorumkey::oprf::context_string(Mode::Poprf);
    let len = (info.len() as u16).to_be_bytes();
    let m = hash_to_scalar::<NistP256, ExpandMsgXmd<sha2::Sha256>, U48>(
        &[b"Info", &len, info],
        &[b"HashToScalar-", &ctx],
    )
    .unwrap();
    let sk = -m;
    let key = ServerKey::from_secret_bytes(&quorumkey::group::encode_scalar(&sk)).unwrap();
    let mut r = rng(7);
    let (_, blinded) = OprfClient::blind(b"x", &mut r).unwrap();
    assert_eq!(
        key.blind_evaluate_poprf(&blinded, info, &mut r).err(),
        Some(Error::Inverse)
    );
    assert_eq!(key.evaluate_poprf(b"x", info).err(), Some(Error::Inverse));
    // The client sees tweakedKey = identity and refuses (RFC 9497 InvalidInputError).
    assert_eq!(
        PoprfClient::blind(b"x", info, key.public_key(), &mut r).err(),
        Some(Error::InvalidInput)
    );
    // Another info works with the same key.
    assert!(key.blind_evaluate_poprf(&blinded, b"other", &mut r).is_ok());
}
