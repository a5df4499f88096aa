//! RFC 9497 Appendix A.3 (P256-SHA256), Appendix A.1 (ristretto255-SHA512, feature
//! `ristretto255`) and RFC 9380 Appendix J.1.1 / K.1 vectors, byte for byte, including
//! intermediate values. Needs `--features danger` (fixed blinds and proof nonces).

use quorumkey::group::encode_element;
use serde::Deserialize;

const RFC9380_H2C: &str = include_str!("vectors/rfc9380-p256-xmd-sha256-sswu-ro.json");
const RFC9380_XMD: &str = include_str!("vectors/rfc9380-expand-message-xmd-sha256-38.json");

#[derive(Deserialize)]
struct Suite {
    #[serde(rename = "groupDST")]
    group_dst: String,
    identifier: String,
    #[serde(rename = "keyInfo")]
    key_info: String,
    mode: u8,
    #[serde(rename = "pkSm")]
    pk_sm: Option<String>,
    seed: String,
    #[serde(rename = "skSm")]
    sk_sm: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    #[serde(rename = "Batch")]
    batch: usize,
    #[serde(rename = "Blind")]
    blind: String,
    #[serde(rename = "BlindedElement")]
    blinded_element: String,
    #[serde(rename = "EvaluationElement")]
    evaluation_element: String,
    #[serde(rename = "Info")]
    info: Option<String>,
    #[serde(rename = "Input")]
    input: String,
    #[serde(rename = "Output")]
    output: String,
    #[serde(rename = "Proof")]
    proof: Option<ProofVector>,
}

#[derive(Deserialize)]
struct ProofVector {
    proof: String,
    r: String,
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Comma-separated hex list (batch vectors).
fn hl(s: &str) -> Vec<Vec<u8>> {
    s.split(',').map(h).collect()
}

/// The RFC 9497 vectors of one suite, through that suite's `oprf` module.
macro_rules! rfc9497_suite {
    ($module:ident, $oprf:path, $file:literal) => {
        mod $module {
            use super::{Suite, h, hl};
            use $oprf::{
                BlindedElement, EvaluationRequest, EvaluationResponse, Mode, OprfClient,
                PoprfClient, Proof, SUITE_ID, ServerKey, VoprfClient, context_string,
            };

            const RFC9497: &str = include_str!($file);

            fn suites() -> Vec<Suite> {
                serde_json::from_str(RFC9497).unwrap()
            }

            fn key(suite: &Suite, mode: Mode) -> ServerKey {
                let seed: [u8; 32] = h(&suite.seed).try_into().unwrap();
                let key = ServerKey::derive(mode, &seed, &h(&suite.key_info)).unwrap();
                assert_eq!(key.to_secret_bytes().as_slice(), h(&suite.sk_sm).as_slice());
                if let Some(pk) = &suite.pk_sm {
                    assert_eq!(key.public_key().to_bytes().as_slice(), h(pk).as_slice());
                }
                key
            }

            #[test]
            fn suite_parameters() {
                let all = suites();
                assert_eq!(all.len(), 3);
                for (suite, mode) in all.iter().zip([Mode::Oprf, Mode::Voprf, Mode::Poprf]) {
                    assert_eq!(suite.mode, mode.to_byte());
                    assert_eq!(suite.identifier, SUITE_ID);
                    let mut dst = b"HashToGroup-".to_vec();
                    dst.extend_from_slice(&context_string(mode));
                    assert_eq!(dst, h(&suite.group_dst));
                }
            }

            #[test]
            fn oprf_vectors() {
                let suite = &suites()[0];
                let key = key(suite, Mode::Oprf);
                let mut count = 0;
                for v in &suite.vectors {
                    assert_eq!(v.batch, 1);
                    let input = h(&v.input);
                    let (client, blinded) =
                        OprfClient::deterministic_blind(&input, &h(&v.blind)).unwrap();
                    assert_eq!(
                        blinded.to_bytes().as_slice(),
                        h(&v.blinded_element).as_slice()
                    );
                    let evaluated = key.blind_evaluate_oprf(&blinded);
                    assert_eq!(
                        evaluated.to_bytes().as_slice(),
                        h(&v.evaluation_element).as_slice()
                    );
                    let out = client.finalize(&input, &evaluated).unwrap();
                    assert_eq!(out.as_secret_bytes().as_slice(), h(&v.output).as_slice());
                    assert_eq!(key.evaluate(Mode::Oprf, &input).unwrap(), out);

                    // The same through the wire messages.
                    let (client, blinded) =
                        OprfClient::deterministic_blind(&input, &h(&v.blind)).unwrap();
                    let req = EvaluationRequest::new(vec![blinded]).unwrap();
                    let req = EvaluationRequest::from_bytes(&req.to_bytes()).unwrap();
                    let resp = key.respond_oprf(&req);
                    let resp = EvaluationResponse::from_bytes(&resp.to_bytes()).unwrap();
                    let outs = OprfClient::finalize_batch(vec![client], &[&input], &resp).unwrap();
                    assert_eq!(
                        outs[0].as_secret_bytes().as_slice(),
                        h(&v.output).as_slice()
                    );
                    count += 1;
                }
                assert_eq!(count, 2);
            }

            #[test]
            fn voprf_vectors() {
                let suite = &suites()[1];
                let key = key(suite, Mode::Voprf);
                let pk = *key.public_key();
                let mut singles = 0;
                let mut batches = 0;
                for v in &suite.vectors {
                    let p = v.proof.as_ref().unwrap();
                    let inputs = hl(&v.input);
                    let blinds = hl(&v.blind);
                    assert_eq!(inputs.len(), v.batch);
                    let mut clients = Vec::new();
                    let mut blinded = Vec::new();
                    for (input, blind) in inputs.iter().zip(&blinds) {
                        let (c, b) = VoprfClient::deterministic_blind(input, blind).unwrap();
                        clients.push(c);
                        blinded.push(b);
                    }
                    let expected_blinded = hl(&v.blinded_element);
                    for (b, e) in blinded.iter().zip(&expected_blinded) {
                        assert_eq!(b.to_bytes().as_slice(), e.as_slice());
                    }
                    let outputs = hl(&v.output);
                    if v.batch == 1 {
                        let (evaluated, proof) = key
                            .blind_evaluate_voprf_with_nonce(&blinded[0], &h(&p.r))
                            .unwrap();
                        assert_eq!(
                            evaluated.to_bytes().as_slice(),
                            h(&v.evaluation_element).as_slice()
                        );
                        assert_eq!(proof.to_bytes().as_slice(), h(&p.proof).as_slice());
                        let client = clients.pop().unwrap();
                        let out = client
                            .finalize(&inputs[0], &evaluated, &proof, &pk)
                            .unwrap();
                        assert_eq!(out.as_secret_bytes().as_slice(), outputs[0].as_slice());
                        assert_eq!(key.evaluate(Mode::Voprf, &inputs[0]).unwrap(), out);
                        singles += 1;
                    } else {
                        let req = EvaluationRequest::new(blinded).unwrap();
                        let resp = key.respond_voprf_with_nonce(&req, &h(&p.r)).unwrap();
                        for (e, x) in resp.elements().iter().zip(hl(&v.evaluation_element)) {
                            assert_eq!(e.to_bytes().as_slice(), x.as_slice());
                        }
                        assert_eq!(
                            resp.proof().unwrap().to_bytes().as_slice(),
                            h(&p.proof).as_slice()
                        );
                        // Wire layout lock: u16 count ‖ elements ‖ mode ‖ c ‖ s (voprf-ts layout).
                        let mut wire = vec![0x00, 0x02];
                        wire.extend(hl(&v.evaluation_element).concat());
                        wire.push(0x01);
                        wire.extend(h(&p.proof));
                        assert_eq!(resp.to_bytes(), wire);
                        let mut req_wire = vec![0x00, 0x02];
                        req_wire.extend(expected_blinded.concat());
                        assert_eq!(req.to_bytes(), req_wire);
                        let resp = EvaluationResponse::from_bytes(&resp.to_bytes()).unwrap();
                        let outs =
                            VoprfClient::finalize_batch(clients, &inputs, &resp, &pk).unwrap();
                        for (o, x) in outs.iter().zip(&outputs) {
                            assert_eq!(o.as_secret_bytes().as_slice(), x.as_slice());
                        }
                        batches += 1;
                    }
                }
                assert_eq!((singles, batches), (2, 1));
            }

            #[test]
            fn poprf_vectors() {
                let suite = &suites()[2];
                let key = key(suite, Mode::Poprf);
                let pk = *key.public_key();
                let mut singles = 0;
                let mut batches = 0;
                for v in &suite.vectors {
                    let p = v.proof.as_ref().unwrap();
                    let info = h(v.info.as_ref().unwrap());
                    let inputs = hl(&v.input);
                    let blinds = hl(&v.blind);
                    assert_eq!(inputs.len(), v.batch);
                    let mut clients = Vec::new();
                    let mut blinded = Vec::new();
                    for (input, blind) in inputs.iter().zip(&blinds) {
                        let (c, b) =
                            PoprfClient::deterministic_blind(input, &info, &pk, blind).unwrap();
                        clients.push(c);
                        blinded.push(b);
                    }
                    for (b, e) in blinded.iter().zip(hl(&v.blinded_element)) {
                        assert_eq!(b.to_bytes().as_slice(), e.as_slice());
                    }
                    let outputs = hl(&v.output);
                    if v.batch == 1 {
                        let (evaluated, proof) = key
                            .blind_evaluate_poprf_with_nonce(&blinded[0], &info, &h(&p.r))
                            .unwrap();
                        assert_eq!(
                            evaluated.to_bytes().as_slice(),
                            h(&v.evaluation_element).as_slice()
                        );
                        assert_eq!(proof.to_bytes().as_slice(), h(&p.proof).as_slice());
                        let client = clients.pop().unwrap();
                        let out = client
                            .finalize(&inputs[0], &info, &evaluated, &proof)
                            .unwrap();
                        assert_eq!(out.as_secret_bytes().as_slice(), outputs[0].as_slice());
                        assert_eq!(key.evaluate_poprf(&inputs[0], &info).unwrap(), out);
                        singles += 1;
                    } else {
                        let req = EvaluationRequest::new(blinded).unwrap();
                        let resp = key.respond_poprf_with_nonce(&req, &info, &h(&p.r)).unwrap();
                        for (e, x) in resp.elements().iter().zip(hl(&v.evaluation_element)) {
                            assert_eq!(e.to_bytes().as_slice(), x.as_slice());
                        }
                        assert_eq!(
                            resp.proof().unwrap().to_bytes().as_slice(),
                            h(&p.proof).as_slice()
                        );
                        let resp = EvaluationResponse::from_bytes(&resp.to_bytes()).unwrap();
                        let outs =
                            PoprfClient::finalize_batch(clients, &inputs, &info, &resp).unwrap();
                        for (o, x) in outs.iter().zip(&outputs) {
                            assert_eq!(o.as_secret_bytes().as_slice(), x.as_slice());
                        }
                        batches += 1;
                    }
                }
                assert_eq!((singles, batches), (2, 1));
            }

            #[test]
            fn proof_encoding_round_trips_vectors() {
                for suite in suites().iter().skip(1) {
                    for v in &suite.vectors {
                        let bytes = h(&v.proof.as_ref().unwrap().proof);
                        assert_eq!(
                            Proof::from_bytes(&bytes).unwrap().to_bytes().as_slice(),
                            bytes.as_slice()
                        );
                        for b in hl(&v.blinded_element) {
                            assert_eq!(
                                BlindedElement::from_bytes(&b)
                                    .unwrap()
                                    .to_bytes()
                                    .as_slice(),
                                b.as_slice()
                            );
                        }
                    }
                }
            }
        }
    };
}

// RFC 9497 Appendix A.3.
rfc9497_suite!(
    p256_sha256,
    quorumkey::oprf,
    "vectors/rfc9497-p256-sha256.json"
);
// RFC 9497 Appendix A.1.
#[cfg(feature = "ristretto255")]
rfc9497_suite!(
    ristretto255_sha512,
    quorumkey::ristretto255::oprf,
    "vectors/rfc9497-ristretto255-sha512.json"
);

#[derive(Deserialize)]
struct H2cFile {
    dst: String,
    vectors: Vec<H2cVector>,
}

#[derive(Deserialize)]
struct H2cVector {
    #[serde(rename = "P")]
    p: H2cPoint,
    msg: String,
}

#[derive(Deserialize)]
struct H2cPoint {
    x: String,
    y: String,
}

#[test]
fn rfc9380_hash_to_curve_vectors() {
    let file: H2cFile = serde_json::from_str(RFC9380_H2C).unwrap();
    assert_eq!(file.vectors.len(), 5);
    for v in &file.vectors {
        let point =
            quorumkey::oprf::hash_to_curve_with_dst(v.msg.as_bytes(), file.dst.as_bytes()).unwrap();
        let x = h(v.p.x.trim_start_matches("0x"));
        let y = h(v.p.y.trim_start_matches("0x"));
        let mut expected = vec![if y[31] & 1 == 0 { 0x02 } else { 0x03 }];
        expected.extend_from_slice(&x);
        assert_eq!(
            encode_element(&point).as_slice(),
            expected.as_slice(),
            "msg {:?}",
            v.msg
        );
    }
}

#[derive(Deserialize)]
struct XmdFile {
    #[serde(rename = "DST")]
    dst: String,
    tests: Vec<XmdVector>,
}

#[derive(Deserialize)]
struct XmdVector {
    len_in_bytes: String,
    msg: String,
    uniform_bytes: String,
}

#[test]
fn rfc9380_expand_message_xmd_vectors() {
    use p256::elliptic_curve::consts::U16;
    use p256::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
    let file: XmdFile = serde_json::from_str(RFC9380_XMD).unwrap();
    assert_eq!(file.tests.len(), 10);
    for v in &file.tests {
        let len = usize::from_str_radix(v.len_in_bytes.trim_start_matches("0x"), 16).unwrap();
        let dst = [file.dst.as_bytes()];
        let mut expander = <ExpandMsgXmd<sha2::Sha256> as ExpandMsg<U16>>::expand_message(
            &[v.msg.as_bytes()],
            &dst,
            core::num::NonZero::new(u16::try_from(len).unwrap()).unwrap(),
        )
        .unwrap();
        let mut out = vec![0u8; len];
        expander.fill_bytes(&mut out).unwrap();
        assert_eq!(out, h(&v.uniform_bytes));
    }
}
