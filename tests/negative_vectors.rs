//! Negative vectors: bytes (and card texts, and unlock inputs) that every implementation
//! must refuse, each with the error the reference implementation reports, checked in as
//! `spec/vectors/negative.json`.
//!
//! Every case is a small edit of a valid object of `spec/vectors/protocol.json`, so the
//! rest of the object is well formed and the one broken rule is the one named. The error
//! is given as `code` (`Error::code()`, stable across bindings and in HTTP error bodies)
//! and `error` (the `Debug` of the reference implementation's error, which names the
//! object, the field and the value).
//!
//! `checked_in_negative_vectors_are_current` fails when the file is stale (regenerate with
//! `QUORUMKEY_WRITE_VECTORS=1 cargo test --test negative_vectors`);
//! `every_negative_vector_is_refused_as_recorded` replays the file through the decoders.
#![cfg(feature = "alloc")]

use quorumkey::Error;
use quorumkey::gate::{GateRequest, GateResponse};
use quorumkey::keyserver::{KeySet, PasswordSetup, TagChange, UnlockProof, UserRecord};
use quorumkey::policy::Policy;
use quorumkey::vault::{
    CARD_TEXT_PREFIX, Capsule, RecoveryKit, SealedUnit, ShareCard, Trust, Unlock, VaultHeader,
    VaultShare,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};

const PROTOCOL: &str = include_str!("../spec/vectors/protocol.json");
const CHECKED_IN: &str = include_str!("../spec/vectors/negative.json");

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// Decodes `bytes` as `object`; `Ok` if accepted.
fn decode(object: &str, bytes: &[u8]) -> Result<(), Error> {
    match object {
        "policy" => Policy::from_bytes(bytes)
            .map(drop)
            .map_err(Error::PolicyDecode),
        "vault header" => VaultHeader::from_bytes(bytes).map(drop),
        "share" => VaultShare::from_bytes(bytes).map(drop),
        "capsule" => Capsule::from_bytes(bytes).map(drop),
        "sealed unit" => SealedUnit::from_bytes(bytes).map(drop),
        "gate request" => GateRequest::from_bytes(bytes).map(drop),
        "gate response" => GateResponse::from_bytes(bytes).map(drop),
        "recovery kit" => RecoveryKit::from_bytes(bytes).map(drop),
        "key set" => KeySet::from_bytes(bytes).map(drop),
        "password setup" => PasswordSetup::from_bytes(bytes).map(drop),
        "unlock proof" => UnlockProof::from_bytes(bytes).map(drop),
        "tag change" => TagChange::from_bytes(bytes).map(drop),
        "user record" => UserRecord::from_bytes(bytes).map(drop),
        other => panic!("no decoder for {other}"),
    }
}

/// `Unlock::start` on the inputs of an unlock case.
fn unlock(case: &Value) -> Result<(), Error> {
    let header = VaultHeader::from_bytes(&unhex(&case["header"]))?;
    let shares = case["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| VaultShare::from_bytes(&unhex(s)))
        .collect::<Result<Vec<_>, _>>()?;
    let capsules = case["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Capsule::from_bytes(&unhex(c)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut trust = Trust::new();
    if let Some(digest) = case["trusted_header_digest"].as_str() {
        trust = trust.header(&hex::decode(digest).unwrap().try_into().unwrap());
    }
    let password = case["password"].as_str().map(|p| hex::decode(p).unwrap());
    let mut rng = ChaCha20Rng::from_seed([0; 32]);
    Unlock::start(
        &header,
        &shares,
        &capsules,
        &trust,
        password.as_deref(),
        &mut rng,
    )
    .map(drop)
}

fn outcome(case: &Value) -> Result<(), Error> {
    match case["object"].as_str().unwrap() {
        "card text" => ShareCard::from_text(case["text"].as_str().unwrap()).map(drop),
        "unlock" => unlock(case),
        object => decode(object, &unhex(&case["hex"])),
    }
}

/// Records the error `case` is refused with (it must be refused).
fn refused(mut case: Value) -> Value {
    let error = outcome(&case).expect_err(case["case"].as_str().unwrap());
    case["code"] = error.code().into();
    case["error"] = format!("{error:?}").into();
    case
}

fn bytes_case(object: &str, name: &str, bytes: &[u8]) -> Value {
    refused(json!({ "object": object, "case": name, "hex": h(bytes) }))
}

/// `bytes` with `at` set to `value`.
fn set(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + value.len()].copy_from_slice(value);
    out
}

/// `bytes` with `range` replaced by `with`.
fn splice(bytes: &[u8], range: std::ops::Range<usize>, with: &[u8]) -> Vec<u8> {
    [&bytes[..range.start], with, &bytes[range.end..]].concat()
}

/// The cases every QK object shares: the prefix, truncation, a trailing byte.
fn framing(object: &str, valid: &[u8], cases: &mut Vec<Value>) {
    assert!(
        decode(object, valid).is_ok(),
        "{object}: the base object is valid"
    );
    cases.push(bytes_case(object, "format version 1", &set(valid, 2, &[1])));
    cases.push(bytes_case(object, "magic is not QK", &set(valid, 0, b"QX")));
    let other_type = if valid[3] == 0x01 { 0x02 } else { 0x01 };
    cases.push(bytes_case(
        object,
        "another object type",
        &set(valid, 3, &[other_type]),
    ));
    cases.push(bytes_case(
        object,
        "last byte missing",
        &valid[..valid.len() - 1],
    ));
    cases.push(bytes_case(
        object,
        "one trailing byte",
        &[valid, &[0]].concat(),
    ));
}

/// A policy holder entry: `id ‖ kind ‖ label [‖ key id]`.
fn holder(id: u8, kind: u8, label: &str, key_id: Option<&str>) -> Vec<u8> {
    let mut out = vec![id, kind, label.len() as u8];
    out.extend_from_slice(label.as_bytes());
    if let Some(key_id) = key_id {
        out.push(key_id.len() as u8);
        out.extend_from_slice(key_id.as_bytes());
    }
    out
}

fn generate() -> Value {
    let protocol: Value = serde_json::from_str(PROTOCOL).unwrap();
    let v0 = &protocol["vectors"][0];
    let v1 = &protocol["vectors"][1];
    let mut cases = Vec::new();

    // Policy and header (2-of-3 {phone, key server, recovery card}).
    let header = unhex(&v0["enroll"]["header"]);
    let policy = unhex(&v0["enroll"]["policy"]);
    let commitments = &header[25 + policy.len()..];
    let with_policy = |t: u8, flags: u8, holders: &[Vec<u8>]| {
        let mut p = vec![t, flags, holders.len() as u8];
        for h in holders {
            p.extend_from_slice(h);
        }
        p
    };
    let phone = holder(1, 0x01, "phone", None);
    let server = holder(2, 0x02, "key server", Some("keys.example"));
    let card = holder(3, 0x03, "recovery card", None);
    assert_eq!(
        with_policy(2, 0, &[phone.clone(), server.clone(), card.clone()]),
        policy
    );
    let policies: Vec<(&str, Vec<u8>)> = vec![
        (
            "threshold 1",
            with_policy(1, 0, &[phone.clone(), server.clone(), card.clone()]),
        ),
        (
            "threshold above the holders",
            with_policy(4, 0, &[phone.clone(), server.clone(), card.clone()]),
        ),
        (
            "unknown policy flag 0x02",
            with_policy(2, 0x02, &[phone.clone(), server.clone(), card.clone()]),
        ),
        (
            "holder id 0",
            with_policy(
                2,
                0,
                &[holder(0, 0x01, "phone", None), server.clone(), card.clone()],
            ),
        ),
        (
            "holder ids not ascending",
            with_policy(2, 0, &[phone.clone(), card.clone(), server.clone()]),
        ),
        (
            "holder id repeated",
            with_policy(
                2,
                0,
                &[
                    phone.clone(),
                    server.clone(),
                    holder(2, 0x03, "recovery card", None),
                ],
            ),
        ),
        (
            "unknown holder kind 0x04",
            with_policy(
                2,
                0,
                &[
                    phone.clone(),
                    server.clone(),
                    holder(3, 0x04, "recovery card", None),
                ],
            ),
        ),
        (
            "empty holder label",
            with_policy(
                2,
                0,
                &[holder(1, 0x01, "", None), server.clone(), card.clone()],
            ),
        ),
        (
            "holder label of 33 bytes",
            with_policy(
                2,
                0,
                &[
                    holder(1, 0x01, &"p".repeat(33), None),
                    server.clone(),
                    card.clone(),
                ],
            ),
        ),
        (
            "key id of 65 bytes",
            with_policy(
                2,
                0,
                &[
                    phone.clone(),
                    holder(2, 0x02, "key server", Some(&"k".repeat(65))),
                    card.clone(),
                ],
            ),
        ),
        (
            "devices alone reach the threshold",
            with_policy(
                2,
                0,
                &[
                    phone.clone(),
                    server.clone(),
                    holder(3, 0x01, "tablet", None),
                ],
            ),
        ),
        (
            "key servers alone reach the threshold without flag 0x01",
            with_policy(
                2,
                0,
                &[
                    phone.clone(),
                    server.clone(),
                    holder(3, 0x02, "second server", Some("keys2.example")),
                ],
            ),
        ),
    ];
    for (name, p) in &policies {
        cases.push(bytes_case("policy", name, p));
    }
    // The same policy is accepted with flag 0x01 ("servers alone may unlock").
    let servers_alone = with_policy(
        2,
        0x01,
        &[
            phone.clone(),
            server.clone(),
            holder(3, 0x02, "second server", Some("keys2.example")),
        ],
    );
    assert!(decode("policy", &servers_alone).is_ok());

    framing("vault header", &header, &mut cases);
    let prefix = &header[..25];
    cases.push(bytes_case(
        "vault header",
        "unknown suite 0x02",
        &set(&header, 4, &[2]),
    ));
    let (name, p) = &policies[11];
    cases.push(bytes_case(
        "vault header",
        name,
        &[prefix, p, commitments].concat(),
    ));
    let c1 = &commitments[34..67];
    cases.push(bytes_case(
        "vault header",
        "three commitments for threshold 2",
        &[prefix, &policy, &[3], &commitments[1..], c1].concat(),
    ));
    cases.push(bytes_case(
        "vault header",
        "commitment C_1 is the identity (33 zero bytes)",
        &[prefix, &policy, &commitments[..34], &[0; 33]].concat(),
    ));
    cases.push(bytes_case(
        "vault header",
        "commitment C_1 is not on the curve",
        &[prefix, &policy, &commitments[..34], &[0x02], &[0xff; 32]].concat(),
    ));
    cases.push(bytes_case(
        "vault header",
        "commitment C_0 uncompressed tag 0x04",
        &set(&header, 25 + policy.len() + 1, &[0x04]),
    ));

    // Vault share (device share; card bytes).
    let share = unhex(&v0["enroll"]["device_shares"][0]["bytes"]);
    framing("share", &share, &mut cases);
    cases.push(bytes_case("share", "holder id 0", &set(&share, 56, &[0])));
    cases.push(bytes_case(
        "share",
        "share value 0",
        &set(&share, 57, &[0; 32]),
    ));
    cases.push(bytes_case(
        "share",
        "share value not below the group order",
        &set(&share, 57, &[0xff; 32]),
    ));

    // Card text.
    let text = v0["enroll"]["cards"][0]["text"].as_str().unwrap();
    let payload = &text[CARD_TEXT_PREFIX.len()..];
    let text_case = |name: &str, text: String| {
        refused(json!({ "object": "card text", "case": name, "text": text }))
    };
    cases.push(text_case("prefix QK0-", format!("QK0-{payload}")));
    cases.push(text_case("prefix missing", payload.to_owned()));
    cases.push(text_case(
        "U is not in the alphabet",
        format!("{CARD_TEXT_PREFIX}U{}", &payload[1..]),
    ));
    cases.push(text_case(
        "underscore as a separator",
        format!("{CARD_TEXT_PREFIX}{}", payload.replacen('-', "_", 1)),
    ));
    cases.push(text_case(
        "one character missing",
        format!("{CARD_TEXT_PREFIX}{}", &payload[..payload.len() - 1]),
    ));
    cases.push(text_case(
        "one character too many",
        format!("{CARD_TEXT_PREFIX}{payload}0"),
    ));
    let last = payload.chars().last().unwrap();
    let padded = match last {
        '0' => '1',
        '8' => '9',
        c => panic!("the last character {c} carries one padding bit; pick its odd neighbour"),
    };
    cases.push(text_case(
        "padding bit of the last character set",
        format!(
            "{CARD_TEXT_PREFIX}{}{padded}",
            &payload[..payload.len() - 1]
        ),
    ));
    let swapped: String = payload
        .char_indices()
        .map(|(i, c)| {
            if i == 10 {
                if c == 'Z' { 'Y' } else { 'Z' }
            } else {
                c
            }
        })
        .collect();
    cases.push(text_case(
        "one character changed (checksum)",
        format!("{CARD_TEXT_PREFIX}{swapped}"),
    ));

    // Capsules: VOPRF without a password (v0), POPRF with a password (v1).
    let capsule = unhex(&v0["enroll"]["capsules"][0]["bytes"]);
    framing("capsule", &capsule, &mut cases);
    let key_id_len = capsule[25] as usize;
    let after_key_id = 26 + key_id_len; // u32 version ‖ 33 pkS ‖ mode
    let pk_at = after_key_id + 4;
    let mode_at = pk_at + 33;
    cases.push(bytes_case(
        "capsule",
        "holder id 0",
        &set(&capsule, 24, &[0]),
    ));
    cases.push(bytes_case(
        "capsule",
        "empty key id",
        &splice(&capsule, 25..after_key_id, &[0]),
    ));
    cases.push(bytes_case(
        "capsule",
        "key id not UTF-8",
        &set(&capsule, 26, &[0xff]),
    ));
    cases.push(bytes_case(
        "capsule",
        "pkS is 33 zero bytes",
        &set(&capsule, pk_at, &[0; 33]),
    ));
    cases.push(bytes_case(
        "capsule",
        "pkS with tag 0x05",
        &set(&capsule, pk_at, &[0x05]),
    ));
    cases.push(bytes_case(
        "capsule",
        "gate mode 0x00 (base OPRF)",
        &set(&capsule, mode_at, &[0x00]),
    ));
    cases.push(bytes_case(
        "capsule",
        "gate mode 0x03",
        &set(&capsule, mode_at, &[0x03]),
    ));
    cases.push(bytes_case(
        "capsule",
        "password flag 0x02",
        &set(&capsule, mode_at + 1, &[0x02]),
    ));
    let pw_capsule = unhex(&v1["enroll"]["capsules"][0]["bytes"]);
    assert!(decode("capsule", &pw_capsule).is_ok());
    let after_key_id = 26 + pw_capsule[25] as usize;
    let info_at = after_key_id + 4 + 33 + 1;
    let flag_at = info_at + 1 + pw_capsule[info_at] as usize;
    let params_at = flag_at + 1;
    cases.push(bytes_case(
        "capsule",
        "empty POPRF info",
        &splice(&pw_capsule, info_at..flag_at, &[0]),
    ));
    for (name, at, value) in [
        (
            "Argon2id memory 19455 KiB (below the floor)",
            0,
            19455u32.to_be_bytes().to_vec(),
        ),
        (
            "Argon2id memory 1048577 KiB (above the ceiling)",
            0,
            1_048_577u32.to_be_bytes().to_vec(),
        ),
        ("Argon2id 1 pass", 4, 1u32.to_be_bytes().to_vec()),
        ("Argon2id 17 passes", 4, 17u32.to_be_bytes().to_vec()),
        ("Argon2id 0 lanes", 8, vec![0]),
        ("Argon2id 17 lanes", 8, vec![17]),
    ] {
        cases.push(bytes_case(
            "capsule",
            name,
            &set(&pw_capsule, params_at + at, &value),
        ));
    }

    // Sealed unit.
    let unit = unhex(&v0["units"][0]["bytes"]);
    framing("sealed unit", &unit, &mut cases);
    let id_len = unit[20] as usize;
    let version_at = 21 + id_len;
    let gate_at = version_at + 4;
    let length_at = gate_at + 1 + 24;
    cases.push(bytes_case(
        "sealed unit",
        "empty unit id",
        &splice(&unit, 20..version_at, &[0]),
    ));
    cases.push(bytes_case(
        "sealed unit",
        "unit version 0",
        &set(&unit, version_at, &[0; 4]),
    ));
    cases.push(bytes_case(
        "sealed unit",
        "unit gate byte 0x02",
        &set(&unit, gate_at, &[0x02]),
    ));
    cases.push(bytes_case(
        "sealed unit",
        "ciphertext length 15 (shorter than the tag)",
        &set(&unit, length_at, &15u32.to_be_bytes()),
    ));
    cases.push(bytes_case(
        "sealed unit",
        "ciphertext length 65553 (plaintext above 64 KiB)",
        &set(&unit, length_at, &65_553u32.to_be_bytes()),
    ));
    let ct_len = u32::from_be_bytes(unit[length_at..length_at + 4].try_into().unwrap());
    cases.push(bytes_case(
        "sealed unit",
        "ciphertext length one past the end",
        &set(&unit, length_at, &(ct_len + 1).to_be_bytes()),
    ));

    // Gate requests: capsule VOPRF (v0), password capsule POPRF (v1).
    let request = unhex(&v0["enroll"]["gates"][0]["request"]);
    framing("gate request", &request, &mut cases);
    cases.push(bytes_case(
        "gate request",
        "purpose 0x00",
        &set(&request, 5, &[0]),
    ));
    cases.push(bytes_case(
        "gate request",
        "purpose 0x04",
        &set(&request, 5, &[4]),
    ));
    cases.push(bytes_case(
        "gate request",
        "gate mode 0x00 (base OPRF)",
        &set(&request, 10, &[0]),
    ));
    cases.push(bytes_case(
        "gate request",
        "no elements (count 0)",
        &[&request[..11], &[0, 0]].concat(),
    ));
    cases.push(bytes_case(
        "gate request",
        "count 257",
        &[&request[..11], &[1, 1], &request[13..].repeat(257)].concat(),
    ));
    cases.push(bytes_case(
        "gate request",
        "blinded element is 33 zero bytes",
        &set(&request, 13, &[0; 33]),
    ));
    let pw_request = unhex(&v1["enroll"]["gates"][0]["request"]);
    assert!(decode("gate request", &pw_request).is_ok());
    let count_at = pw_request.len() - 35;
    let element = &pw_request[count_at + 2..];
    cases.push(bytes_case(
        "gate request",
        "two elements in a password-capsule request (one guess per request)",
        &[&pw_request[..count_at], &[0, 2], element, element].concat(),
    ));
    cases.push(bytes_case(
        "gate request",
        "empty POPRF info",
        &[&pw_request[..11], &[0], &pw_request[count_at..]].concat(),
    ));
    // A request of each purpose is refused beyond 256 elements.
    cases.push(bytes_case(
        "gate request",
        "suite 0x02 (unknown to this implementation)",
        &set(&request, 4, &[2]),
    ));
    let unit_gate = set(&request, 5, &[0x03]);
    assert!(decode("gate request", &unit_gate).is_ok());

    // Gate responses.
    let response = unhex(&v0["enroll"]["gates"][0]["response"]);
    framing("gate response", &response, &mut cases);
    cases.push(bytes_case(
        "gate response",
        "purpose 0x05",
        &set(&response, 5, &[5]),
    ));
    cases.push(bytes_case(
        "gate response",
        "suite 0x00",
        &set(&response, 4, &[0]),
    ));
    let rfc_mode_at = response.len() - 65;
    cases.push(bytes_case(
        "gate response",
        "RFC 9497 mode byte 0x03",
        &set(&response, rfc_mode_at, &[3]),
    ));
    cases.push(bytes_case(
        "gate response",
        "proof scalar c not below the group order",
        &set(&response, rfc_mode_at + 1, &[0xff; 32]),
    ));
    let pw_response = unhex(&v1["enroll"]["gates"][0]["response"]);
    assert!(decode("gate response", &pw_response).is_ok());
    let element = &pw_response[13..46];
    cases.push(bytes_case(
        "gate response",
        "two elements in a password-capsule response",
        &[
            &pw_response[..11],
            &[0, 2],
            element,
            element,
            &pw_response[46..],
        ]
        .concat(),
    ));

    // Recovery kit: header ‖ capsules, each bound to the header.
    let kit = unhex(&v0["recovery_kit"]);
    framing("recovery kit", &kit, &mut cases);
    let with_capsule = |c: &[u8]| {
        let mut out = b"QK\x02\x07".to_vec();
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.push(1);
        out.extend_from_slice(&(c.len() as u16).to_be_bytes());
        out.extend_from_slice(c);
        out
    };
    assert_eq!(with_capsule(&capsule), kit);
    let mut other_key_id = capsule.clone();
    other_key_id[26 + key_id_len - 1] = b'X';
    cases.push(bytes_case(
        "recovery kit",
        "capsule names another key id than its policy holder",
        &with_capsule(&other_key_id),
    ));
    cases.push(bytes_case(
        "recovery kit",
        "capsule of another vault",
        &with_capsule(&set(&capsule, 4, &[capsule[4] ^ 1])),
    ));
    cases.push(bytes_case(
        "recovery kit",
        "capsule of epoch 1",
        &with_capsule(&set(&capsule, 20, &1u32.to_be_bytes())),
    ));
    cases.push(bytes_case(
        "recovery kit",
        "capsule for holder 3 (a custodian)",
        &with_capsule(&set(&capsule, 24, &[3])),
    ));
    cases.push(bytes_case(
        "recovery kit",
        "header length one past the end",
        &set(&kit, 4, &(kit.len() as u32).to_be_bytes()),
    ));

    // Key sets: no guard (v0), an active guard (v1).
    let sets = v0["key_servers"][0]["key_sets"].as_array().unwrap();
    let key_set = unhex(&sets.last().unwrap()["bytes"]);
    framing("key set", &key_set, &mut cases);
    cases.push(bytes_case(
        "key set",
        "suite 0x02 (unknown to this implementation)",
        &set(&key_set, 4, &[2]),
    ));
    cases.push(bytes_case(
        "key set",
        "no versions",
        &set(&key_set, 5, &[0]),
    ));
    cases.push(bytes_case(
        "key set",
        "current flag 0x02",
        &set(&key_set, 10, &[2]),
    ));
    cases.push(bytes_case(
        "key set",
        "key mode 0x00",
        &set(&key_set, 13, &[0]),
    ));
    let (first, second) = (&key_set[12..47], &key_set[47..82]);
    cases.push(bytes_case(
        "key set",
        "keys not in (purpose, mode) order",
        &[&key_set[..12], second, first, &key_set[82..]].concat(),
    ));
    cases.push(bytes_case(
        "key set",
        "guard state 0x03",
        &set(&key_set, key_set.len() - 1, &[3]),
    ));
    let guarded = unhex(
        &v1["key_servers"][0]["key_sets"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["bytes"],
    );
    assert!(decode("key set", &guarded).is_ok());
    cases.push(bytes_case(
        "key set",
        "active guard with 0 guesses remaining",
        &set(&guarded, guarded.len() - 1, &[0]),
    ));
    cases.push(bytes_case(
        "key set",
        "burned guard with guesses remaining",
        &set(&guarded, guarded.len() - 3, &[2]),
    ));

    // Password setup, unlock proof, tag change.
    let setup = unhex(&v1["enroll"]["unlock_tags"][0]["password_setup"]);
    framing("password setup", &setup, &mut cases);
    cases.push(bytes_case(
        "password setup",
        "max guesses 0",
        &set(&setup, 4, &[0]),
    ));
    let proof = unhex(&v1["enroll"]["unlock_proofs"][0]["bytes"]);
    framing("unlock proof", &proof, &mut cases);
    let change = [
        &b"QK\x02\x0b"[..],
        &proof[4..],
        &unhex(&v1["enroll"]["unlock_tags"][1]["tag_commitment"]),
    ]
    .concat();
    framing("tag change", &change, &mut cases);

    // User records: no guard (v0), a live guard (v1).
    let records = v0["key_servers"][0]["records"].as_array().unwrap();
    let record = unhex(&records.last().unwrap()["bytes"]);
    framing("user record", &record, &mut cases);
    cases.push(bytes_case(
        "user record",
        "no key versions",
        &set(&record, 12, &[0]),
    ));
    cases.push(bytes_case(
        "user record",
        "nine key versions",
        &set(&record, 12, &[9]),
    ));
    let flag_at = 13 + 40;
    cases.push(bytes_case(
        "user record",
        "password material without a password guard",
        &[
            &record[..flag_at],
            &[1],
            &[0x77; 32],
            &record[flag_at + 1..],
        ]
        .concat(),
    ));
    cases.push(bytes_case(
        "user record",
        "guard flag 0x02",
        &set(&record, record.len() - 1, &[2]),
    ));
    let records = v1["key_servers"][0]["records"].as_array().unwrap();
    let guarded = unhex(&records.last().unwrap()["bytes"]);
    assert!(decode("user record", &guarded).is_ok());
    let guard_at = guarded.len() - 35;
    cases.push(bytes_case(
        "user record",
        "attempts above max guesses",
        &set(&guarded, guard_at + 2, &[guarded[guard_at + 1] + 1]),
    ));
    cases.push(bytes_case(
        "user record",
        "max guesses 0",
        &set(&guarded, guard_at + 1, &[0, 0]),
    ));
    cases.push(bytes_case(
        "user record",
        "live guard but a key version without password material",
        &[&guarded[..flag_at], &[0], &guarded[flag_at + 33..]].concat(),
    ));

    // Unlock inputs refused before any request is made (spec/protocol.md §4.2 gives the order).
    let digest = v0["enroll"]["header_digest"].as_str().unwrap();
    let unlock_case = |name: &str,
                       v: &Value,
                       shares: Vec<Value>,
                       capsules: Vec<Value>,
                       trusted: Option<&str>,
                       password: Option<&[u8]>| {
        refused(json!({
            "object": "unlock",
            "case": name,
            "header": v["enroll"]["header"],
            "shares": shares,
            "capsules": capsules,
            "trusted_header_digest": trusted,
            "password": password.map(h),
        }))
    };
    let share0 = v0["enroll"]["device_shares"][0]["bytes"].clone();
    let capsule0 = v0["enroll"]["capsules"][0]["bytes"].clone();
    cases.push(unlock_case(
        "header is not the trusted one",
        v0,
        vec![share0.clone()],
        vec![capsule0.clone()],
        Some(&"00".repeat(32)),
        None,
    ));
    cases.push(unlock_case(
        "a password given for a capsule that takes none",
        v0,
        vec![share0.clone()],
        vec![capsule0.clone()],
        Some(digest),
        Some(b"1234"),
    ));
    cases.push(unlock_case(
        "no password for a password capsule",
        v1,
        vec![v1["enroll"]["device_shares"][0]["bytes"].clone()],
        vec![v1["enroll"]["capsules"][0]["bytes"].clone()],
        v1["enroll"]["header_digest"].as_str(),
        None,
    ));
    cases.push(unlock_case(
        "capsules only, with nothing trusted (the pins come from storage)",
        v0,
        vec![],
        vec![capsule0.clone()],
        None,
        None,
    ));
    cases.push(unlock_case(
        "the same share twice",
        v0,
        vec![share0.clone(), share0.clone()],
        vec![],
        Some(digest),
        None,
    ));
    cases.push(unlock_case(
        "a share of another dealing of the vault",
        v0,
        vec![json!(h(&set(&unhex(&share0), 20, &1u32.to_be_bytes())))],
        vec![capsule0.clone()],
        Some(digest),
        None,
    ));
    cases.push(unlock_case(
        "a capsule of holder 3 (a custodian)",
        v0,
        vec![share0.clone()],
        vec![json!(h(&set(&unhex(&capsule0), 24, &[3])))],
        Some(digest),
        None,
    ));

    json!({
        "description": "quorumkey protocol version 02 negative vectors (spec/wire-format.md; spec/protocol.md §8). Each case must be refused; `code` is the stable error code, `error` the reference implementation's error. Byte strings are hex. Generated by tests/negative_vectors.rs from the objects of protocol.json.",
        "cases": cases,
    })
}

#[test]
fn checked_in_negative_vectors_are_current() {
    let fresh = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("QUORUMKEY_WRITE_VECTORS").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/negative.json"),
            &fresh,
        )
        .unwrap();
        return;
    }
    assert!(
        fresh == CHECKED_IN,
        "spec/vectors/negative.json is stale: regenerate with QUORUMKEY_WRITE_VECTORS=1 and review the diff"
    );
}

#[test]
fn every_negative_vector_is_refused_as_recorded() {
    let vectors: Value = serde_json::from_str(CHECKED_IN).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() > 100);
    for case in cases {
        let error = outcome(case).expect_err(case["case"].as_str().unwrap());
        assert_eq!(
            (error.code(), format!("{error:?}")),
            (
                case["code"].as_str().unwrap(),
                case["error"].as_str().unwrap().to_owned()
            ),
            "{} / {}",
            case["object"],
            case["case"]
        );
    }
}
