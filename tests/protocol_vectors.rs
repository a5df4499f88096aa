//! Protocol vectors: a deterministic run of enroll, unlock, share card, capsule and unit
//! (test-only seeded RNG), checked in as `spec/vectors/protocol.json`.
//!
//! The test fails when the checked-in file is stale. To regenerate after an intended
//! change of the wire format or the derivations, run
//! `QUORUMKEY_WRITE_VECTORS=1 cargo test --test protocol_vectors` and review the diff.
//!
//! It also re-derives every key of `spec/protocol.md` §6 from the vectors with BLAKE3 and
//! XChaCha20-Poly1305 directly — not through the crate's vault code — and decrypts the
//! capsules and units, so the vectors, the spec and the code must agree.

mod common;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use common::*;
use p256::elliptic_curve::PrimeField;
use quorumkey::gate::{GateMode, GateResponse};
use quorumkey::oprf::{Mode, ServerKey};
use quorumkey::policy::Policy;
use quorumkey::vault::{Enrollment, KeyServerSetup, RecoveryKit};
use serde_json::{Value, json};

const CHECKED_IN: &str = include_str!("../spec/vectors/protocol.json");

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn scenario(
    name: &str,
    policy: Policy,
    mode: GateMode,
    password: Option<&[u8]>,
    seed: u64,
) -> Value {
    let seed_byte = 0x5e;
    let server = Server::new("keys.example", seed_byte);
    let mut r = rng(seed);
    let setups: Vec<KeyServerSetup> = policy
        .key_servers()
        .map(|holder| KeyServerSetup {
            holder: holder.id(),
            pin: server.pin(1, &mode),
            mode: mode.clone(),
        })
        .collect();
    let (enrollment, requests) =
        Enrollment::start(policy.clone(), &setups, password, &mut r).unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| server.answer(q, &mut r).unwrap())
        .collect();
    let enrolled = enrollment.finish(&responses, &mut r).unwrap();
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut r)
        .unwrap();

    let (unlock, unlock_requests) = start_unlock(&enrolled, password, &mut r).unwrap();
    let unlock_responses: Vec<Option<GateResponse>> = unlock_requests
        .iter()
        .map(|q| server.answer(q, &mut r).ok())
        .collect();
    let vault = unlock.finish(&unlock_responses, &mut r).unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice / hunter2");

    // A unit behind its own POPRF gate, labelled for the audit log.
    let gate_mode = GateMode::poprf(b"vendor:globex").unwrap();
    let (seal, gate_request) = vault
        .seal_gated_unit(
            b"vendor:globex",
            b"bob / s3cret",
            "keys.example",
            server.pin(1, &gate_mode),
            gate_mode,
            &mut r,
        )
        .unwrap();
    let gate_response = server.answer(&gate_request, &mut r).unwrap();
    let gated = seal.finish(&vault, &gate_response, &mut r).unwrap();
    let kit = RecoveryKit::new(enrolled.header.clone(), enrolled.capsules.clone()).unwrap();

    let mut shares: Vec<Value> = enrolled
        .device_shares
        .iter()
        .map(|s| json!({ "holder": s.holder().get(), "kind": "device", "bytes": h(&*s.to_secret_bytes()) }))
        .collect();
    shares.extend(enrolled.cards.iter().map(|c| {
        json!({
            "holder": c.share().holder().get(),
            "kind": "custodian",
            "bytes": h(&*c.to_secret_bytes()),
            "card_text": c.to_secret_text().as_str(),
        })
    }));
    let capsules: Vec<Value> = enrolled
        .capsules
        .iter()
        .map(|c| json!({ "holder": c.holder().get(), "bytes": h(&c.to_bytes()) }))
        .collect();
    json!({
        "name": name,
        "rng": format!("ChaCha20Rng::seed_from_u64({seed})"),
        "key_server": {
            "master_seed": h(&[seed_byte; 32]),
            "user_id": h(USER),
            "key_version": 1,
            "mode": mode.mode().to_byte(),
            "public_key": h(&server.pin(1, &mode).public_key.to_bytes()),
        },
        "password": password.map(h),
        "policy": h(&policy.to_bytes()),
        "header": h(&enrolled.header.to_bytes()),
        "header_digest": h(enrolled.header.digest()),
        "shares": shares,
        "capsules": capsules,
        "enroll": {
            "requests": requests.iter().map(|q| h(&q.request.to_bytes())).collect::<Vec<_>>(),
            "responses": responses.iter().map(|q| h(&q.to_bytes())).collect::<Vec<_>>(),
        },
        "unlock": {
            "requests": unlock_requests.iter().map(|q| h(&q.request.to_bytes())).collect::<Vec<_>>(),
            "responses": unlock_responses.iter().map(|q| h(&q.as_ref().unwrap().to_bytes())).collect::<Vec<_>>(),
        },
        "unit": { "unit_id": h(b"vendor:acme"), "plaintext": h(b"alice / hunter2"), "bytes": h(&unit.to_bytes()) },
        "gated_unit": {
            "unit_id": h(b"vendor:globex"),
            "info": h(b"vendor:globex"),
            "plaintext": h(b"bob / s3cret"),
            "bytes": h(&gated.to_bytes()),
            "request": h(&gate_request.request.to_bytes()),
            "response": h(&gate_response.to_bytes()),
        },
        "recovery_kit": h(&kit.to_bytes()),
    })
}

fn generate() -> Value {
    let two_of_three = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", "keys.example")
        .custodian(3, "recovery card")
        .build()
        .unwrap();
    let three_of_four = Policy::builder(3)
        .device(1, "laptop")
        .key_server(2, "server A", "keys.example")
        .key_server(3, "server B", "keys.example")
        .custodian(4, "escrow")
        .build()
        .unwrap();
    json!({
        "description": "quorumkey v1 protocol vectors (spec/protocol.md). Generated by tests/protocol_vectors.rs with a seeded test RNG; all byte strings are hex.",
        "vectors": [
            scenario("2-of-3 device, key server, recovery card; VOPRF", two_of_three, GateMode::Voprf, None, 1),
            scenario("3-of-4 two key-server holders; POPRF with info and a password", three_of_four,
                GateMode::poprf(b"quorumkey capsule").unwrap(), Some(b"correct horse battery staple"), 2),
        ],
    })
}

#[test]
fn checked_in_vectors_are_current() {
    let fresh = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("QUORUMKEY_WRITE_VECTORS").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/protocol.json"),
            &fresh,
        )
        .unwrap();
        return;
    }
    assert!(
        fresh == CHECKED_IN,
        "spec/vectors/protocol.json is stale: regenerate with QUORUMKEY_WRITE_VECTORS=1 and review the diff"
    );
}

// ---- independent re-derivation from the spec -------------------------------------------

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn scalar(bytes: &[u8]) -> p256::Scalar {
    Option::from(p256::Scalar::from_repr(
        <[u8; 32]>::try_from(bytes).unwrap().into(),
    ))
    .unwrap()
}

/// Decrypts `bytes = ad ‖ ciphertext ‖ tag` where the ciphertext is the last `ct_len` bytes
/// before the tag and the nonce is the 24 bytes named by `nonce_at`.
fn aead_open(key: &[u8; 32], nonce: &[u8], ad: &[u8], sealed: &[u8]) -> Vec<u8> {
    let (ct, tag) = sealed.split_at(sealed.len() - 16);
    let mut buf = ct.to_vec();
    XChaCha20Poly1305::new(key.into())
        .decrypt_inout_detached(
            nonce.try_into().unwrap(),
            ad,
            buf.as_mut_slice().into(),
            tag.try_into().unwrap(),
        )
        .expect("AEAD opens with the spec's key and associated data");
    buf
}

#[test]
fn vectors_follow_the_spec_derivations() {
    let vectors: Value = serde_json::from_str(CHECKED_IN).unwrap();
    for v in vectors["vectors"].as_array().unwrap() {
        let header = unhex(&v["header"]);
        // §3.2: header digest.
        let digest = blake3::derive_key("quorumkey v1 header", &header);
        assert_eq!(h(&digest), v["header_digest"].as_str().unwrap());
        let vault_id = &header[5..21];
        let threshold = header[25] as usize;

        // §3.4: capsules open with KDF(oprf_output ‖ digest ‖ holder), output computed by the
        // server's unblinded Evaluate of the framed gate input.
        let ks = &v["key_server"];
        let mode = Mode::from_byte(ks["mode"].as_u64().unwrap() as u8).unwrap();
        let mut info = unhex(&ks["user_id"]);
        info.extend_from_slice(&1u32.to_be_bytes());
        let key = ServerKey::derive(
            mode,
            unhex(&ks["master_seed"]).as_slice().try_into().unwrap(),
            &info,
        )
        .unwrap();
        assert_eq!(
            h(&key.public_key().to_bytes()),
            ks["public_key"].as_str().unwrap()
        );
        let mut points: Vec<(u8, p256::Scalar)> = Vec::new();
        for c in v["capsules"].as_array().unwrap() {
            let bytes = unhex(&c["bytes"]);
            let holder = c["holder"].as_u64().unwrap() as u8;
            let sealed = &bytes[bytes.len() - 48..];
            let before = &bytes[..bytes.len() - 48];
            let nonce = &before[before.len() - 24..];
            let gate_input = &before[before.len() - 56..before.len() - 24];
            let password_flag = before[before.len() - 57];
            let mut input = gate_input.to_vec();
            if password_flag == 1 {
                input.extend_from_slice(&blake3::derive_key(
                    "quorumkey v1 password",
                    &unhex(&v["password"]),
                ));
            }
            let output = match mode {
                Mode::Poprf => key.evaluate_poprf(&input, b"quorumkey capsule").unwrap(),
                _ => key.evaluate(mode, &input).unwrap(),
            };
            let mut material = output.as_secret_bytes().to_vec();
            material.extend_from_slice(&digest);
            material.push(holder);
            let capsule_key = blake3::derive_key("quorumkey v1 capsule", &material);
            let value = aead_open(&capsule_key, nonce, before, sealed);
            points.push((holder, scalar(&value)));
        }
        // §3.3: vault shares.
        for s in v["shares"].as_array().unwrap() {
            let bytes = unhex(&s["bytes"]);
            assert_eq!(&bytes[..4], b"QK\x01\x02");
            assert_eq!(&bytes[4..20], vault_id);
            assert_eq!(&bytes[24..56], &digest);
            points.push((bytes[56], scalar(&bytes[57..89])));
        }
        // §4.2: Lagrange at 0 of t shares gives s, and s·G == C_0.
        let used = &points[..threshold];
        let mut s = p256::Scalar::ZERO;
        for (i, (xi, yi)) in used.iter().enumerate() {
            let mut l = p256::Scalar::ONE;
            for (j, (xj, _)) in used.iter().enumerate() {
                if i != j {
                    let (xi, xj) = (
                        p256::Scalar::from(*xi as u64),
                        p256::Scalar::from(*xj as u64),
                    );
                    l *= xj * (xj - xi).invert().unwrap();
                }
            }
            s += l * yi;
        }
        let c0 = (p256::ProjectivePoint::GENERATOR * s).to_affine();
        let c0 = p256::elliptic_curve::group::GroupEncoding::to_bytes(&c0);
        let commitments_at = header.len() - 33 * threshold;
        assert_eq!(&header[commitments_at..commitments_at + 33], c0.as_slice());

        // §3.5: root key and unit key open the unit.
        let mut material = s.to_repr().to_vec();
        material.extend_from_slice(vault_id);
        let root = blake3::derive_key("quorumkey v1 root", &material);
        let unit = unhex(&v["unit"]["bytes"]);
        let unit_id = unhex(&v["unit"]["unit_id"]);
        let mut material = root.to_vec();
        material.push(unit_id.len() as u8);
        material.extend_from_slice(&unit_id);
        let unit_key = blake3::derive_key("quorumkey v1 unit", &material);
        let ct_at = 4 + 16 + 1 + unit_id.len() + 1 + 24 + 4;
        let nonce = &unit[ct_at - 28..ct_at - 4];
        let plaintext = aead_open(&unit_key, nonce, &unit[..ct_at], &unit[ct_at..]);
        assert_eq!(h(&plaintext), v["unit"]["plaintext"].as_str().unwrap());

        // §3.5 per-unit gate: unit key = KDF(R ‖ len ‖ id ‖ gate_output), POPRF with `info`.
        let gated = &v["gated_unit"];
        let unit = unhex(&gated["bytes"]);
        let unit_id = unhex(&gated["unit_id"]);
        let info = unhex(&gated["info"]);
        let poprf_key = ServerKey::derive(
            Mode::Poprf,
            unhex(&ks["master_seed"]).as_slice().try_into().unwrap(),
            &{
                let mut i = unhex(&ks["user_id"]);
                i.extend_from_slice(&1u32.to_be_bytes());
                i
            },
        )
        .unwrap();
        // The ciphertext (plaintext + 16-byte tag) ends the unit, behind its u32 length.
        let sealed_len = unhex(&gated["plaintext"]).len() + 16;
        let ct_at = unit.len() - sealed_len;
        assert_eq!(
            u32::from_be_bytes(unit[ct_at - 4..ct_at].try_into().unwrap()) as usize,
            sealed_len
        );
        let gate_input = &unit[ct_at - 4 - 24 - 32..ct_at - 4 - 24];
        let nonce = &unit[ct_at - 4 - 24..ct_at - 4];
        let output = poprf_key.evaluate_poprf(gate_input, &info).unwrap();
        let mut material = root.to_vec();
        material.push(unit_id.len() as u8);
        material.extend_from_slice(&unit_id);
        material.extend_from_slice(output.as_secret_bytes());
        let unit_key = blake3::derive_key("quorumkey v1 unit", &material);
        let plaintext = aead_open(&unit_key, nonce, &unit[..ct_at], &unit[ct_at..]);
        assert_eq!(h(&plaintext), gated["plaintext"].as_str().unwrap());

        // Recovery kit: header ‖ capsules, as wire-format §10 says.
        let kit = unhex(&v["recovery_kit"]);
        assert_eq!(&kit[..4], b"QK\x01\x07");
        assert_eq!(
            u32::from_be_bytes(kit[4..8].try_into().unwrap()) as usize,
            header.len()
        );
        assert_eq!(&kit[8..8 + header.len()], header.as_slice());
    }
}
