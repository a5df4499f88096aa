//! The negative catalogue: every class of malformation of every wire type, each with the
//! exact typed error the decoder must return (spec/wire-format.md). Valid baselines come
//! from spec/vectors/protocol.json; mutations are at offsets computed from the wire format.
//!
//! Also home of the fuzz seed generator (`write_fuzz_seeds`, ignored):
//! `cargo test --test malformed -- --ignored write_fuzz_seeds` rewrites `fuzz/seeds/`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use quorumkey::Error;
use quorumkey::codec::DecodeError;
use quorumkey::gate::{GateMode, GateRequest, GateResponse, ServerPin};
use quorumkey::group::EncodingError;
use quorumkey::oprf::{self, EvaluationRequest, EvaluationResponse, Mode};
use quorumkey::policy::{Policy, PolicyDecodeError, PolicyError};
use quorumkey::sharing::{self, Commitments, HolderId, Share};
use quorumkey::vault::{
    Capsule, CardError, RecoveryKit, SealedUnit, ShareCard, VaultHeader, VaultShare,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../spec/vectors/protocol.json");

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn vectors() -> Vec<Value> {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

// ---- fuzz seeds -------------------------------------------------------------------------

/// The fuzz fixture (fuzz/fuzz_targets/common/fixture.rs) rebuilt here: vector 0's run, then
/// a gated unit sealed with `rng(2)`. Returns (gated unit, unlock response).
fn fuzz_fixture_objects(v0: &Value) -> (Vec<u8>, Vec<u8>) {
    let server = Server::new("keys.example", 0x5e);
    let mut r = rng(1);
    let policy = quorumkey::policy::Policy::from_bytes(&unhex(&v0["policy"])).unwrap();
    let pin = server.pin(1, &GateMode::Voprf);
    let setup = [quorumkey::vault::KeyServerSetup {
        holder: 2.try_into().unwrap(),
        pin: pin.clone(),
        mode: GateMode::Voprf,
    }];
    let (enrollment, requests) =
        quorumkey::vault::Enrollment::start(policy, &setup, None, &mut r).unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| server.answer(q, &mut r).unwrap())
        .collect();
    let enrolled = enrollment.finish(&responses, &mut r).unwrap();
    assert_eq!(hex::encode(enrolled.header.to_bytes()), v0["header"]);
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut r)
        .unwrap();
    assert_eq!(hex::encode(unit.to_bytes()), v0["unit"]["bytes"]);
    let (_, requests) = start_unlock(&enrolled, None, &mut r).unwrap();
    let response = server.answer(&requests[0], &mut r).unwrap().to_bytes();
    assert_eq!(hex::encode(&response), v0["unlock"]["responses"][0]);
    let mut g = rng(2);
    let (seal, request) = enrolled
        .vault
        .seal_gated_unit(
            b"vendor:gated",
            b"alice / hunter2",
            "keys.example",
            ServerPin {
                key_version: 1,
                public_key: server.server.public_key(USER, 1, Mode::Voprf).unwrap(),
            },
            GateMode::Voprf,
            &mut g,
        )
        .unwrap();
    let answer = server.answer(&request, &mut g).unwrap();
    let gated = seal.finish(&enrolled.vault, &answer, &mut g).unwrap();
    (gated.to_bytes(), response)
}

#[test]
#[ignore = "writes fuzz/seeds/; run by hand after a wire-format change"]
fn write_fuzz_seeds() {
    use std::collections::BTreeMap;
    let vs = vectors();
    let (gated_unit, unlock_response) = fuzz_fixture_objects(&vs[0]);
    let mut seeds: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    let mut add =
        |target: &'static str, bytes: Vec<u8>| seeds.entry(target).or_default().push(bytes);
    // round_trip selector bytes (see fuzz/fuzz_targets/round_trip.rs).
    let mut all: Vec<(u8, Vec<u8>)> = Vec::new();
    for v in &vs {
        let policy = unhex(&v["policy"]);
        let header = unhex(&v["header"]);
        let t = header[25] as usize;
        let commitments = header[header.len() - (1 + 33 * t)..].to_vec();
        add("policy_decode", policy.clone());
        add("header_decode", header.clone());
        add("sharing_decode", commitments.clone());
        all.extend([(0, policy), (1, commitments), (5, header.clone())]);
        for s in v["shares"].as_array().unwrap() {
            let bytes = unhex(&s["bytes"]);
            add("share_decode", bytes.clone());
            add("sharing_decode", bytes[56..].to_vec());
            all.extend([(2, bytes[56..].to_vec()), (3, bytes.clone())]);
            if let Some(text) = s["card_text"].as_str() {
                add("card_bytes", bytes.clone());
                add("card_text", text.as_bytes().to_vec());
                // Regression: the padding bit was ignored.
                add("card_text", card_text(&bytes, true).into_bytes());
                all.push((4, bytes.clone()));
            }
        }
        let mut capsules = Vec::new();
        for c in v["capsules"].as_array().unwrap() {
            let bytes = unhex(&c["bytes"]);
            add("capsule_decode", bytes.clone());
            add("capsule_open", bytes.clone());
            all.push((6, bytes.clone()));
            capsules.push(Capsule::from_bytes(&bytes).unwrap());
        }
        let kit = RecoveryKit::new(
            quorumkey::vault::VaultHeader::from_bytes(&header).unwrap(),
            capsules,
        )
        .unwrap()
        .to_bytes();
        add("recovery_kit_decode", kit.clone());
        all.push((12, kit));
        let unit = unhex(&v["unit"]["bytes"]);
        add("unit_decode", unit.clone());
        add("unit_open", unit.clone());
        all.push((7, unit));
        for phase in ["enroll", "unlock"] {
            for q in v[phase]["requests"].as_array().unwrap() {
                let bytes = unhex(q);
                let request = GateRequest::from_bytes(&bytes).unwrap();
                let eval = request.evaluation_request().to_bytes();
                add("gate_request_decode", bytes.clone());
                add("keyserver_evaluate", bytes.clone());
                add("oprf_request_decode", eval.clone());
                let info = request.mode().info().unwrap_or(&[]);
                let mut server_seed = vec![info.len() as u8];
                server_seed.extend_from_slice(info);
                server_seed.extend_from_slice(&eval);
                add("oprf_server_evaluate", server_seed);
                all.extend([(8, bytes), (10, eval)]);
            }
            for q in v[phase]["responses"].as_array().unwrap() {
                let bytes = unhex(q);
                let eval = GateResponse::from_bytes(&bytes)
                    .unwrap()
                    .evaluation_response()
                    .to_bytes();
                add("gate_response_decode", bytes.clone());
                add("client_finish", bytes.clone());
                add("oprf_response_decode", eval.clone());
                add("oprf_client_finalize", eval.clone());
                all.extend([(9, bytes), (11, eval)]);
            }
        }
    }
    add("unit_decode", gated_unit.clone());
    add("unit_open", gated_unit.clone());
    all.push((7, gated_unit));
    for (which, bytes) in all {
        let mut seed = vec![which];
        seed.extend_from_slice(&bytes);
        add("round_trip", seed);
    }
    // The fixture's genuine unlock response is vector 0's (asserted above).
    assert!(seeds["client_finish"].contains(&unlock_response));
    // Rewrites the `seed-*` files; other files (crash reproducers named `regression-*`) stay.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, list) in seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for old in std::fs::read_dir(&dir).unwrap() {
            let old = old.unwrap().path();
            if old
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                std::fs::remove_file(old).unwrap();
            }
        }
        let mut list = list;
        list.sort();
        list.dedup();
        for (i, bytes) in list.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), bytes).unwrap();
        }
    }
}

// ---- the catalogue's machinery ----------------------------------------------------------

/// Cases checked so far (printed by each table; the report sums them).
static CASES: AtomicUsize = AtomicUsize::new(0);

/// One field of a layout: its name (as the decoder reports it) and length in bytes.
type Fields = Vec<(&'static str, usize)>;

const PREFIX: [(&str, usize); 3] = [("magic", 2), ("version", 1), ("object type", 1)];
/// The group order n (big-endian): the smallest non-canonical scalar.
const ORDER: [u8; 32] =
    hex_literal(b"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

const fn hex_literal(h: &[u8; 64]) -> [u8; 32] {
    const fn nib(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nib(h[2 * i]) << 4 | nib(h[2 * i + 1]);
        i += 1;
    }
    out
}

/// Checks one case: `decode(bytes)` fails with exactly `want`.
#[track_caller]
fn reject<T, E: PartialEq + std::fmt::Debug>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, E>,
    bytes: &[u8],
    want: E,
) {
    CASES.fetch_add(1, Ordering::Relaxed);
    assert_eq!(decode(bytes).err(), Some(want), "case: {name}");
}

/// A short text field whose length byte is at `at`: a length of 0, of `max + 1` and of 255,
/// then a first byte that cannot start UTF-8 text (a continuation byte, a lead byte
/// followed by ASCII, and the never-valid `fe`, `ff`), each with its exact error.
fn text_field_cases<T, E: PartialEq + std::fmt::Debug>(
    decode: impl Fn(&[u8]) -> Result<T, E>,
    bytes: &[u8],
    at: usize,
    field: &'static str,
    max: usize,
    wrap: impl Fn(DecodeError) -> E,
) {
    let too_long = u8::try_from(max + 1).unwrap();
    for length in [0, too_long, 0xff] {
        reject(
            &format!("{field} of {length} bytes"),
            &decode,
            &with(bytes, at, length),
            wrap(DecodeError::FieldLength {
                field,
                length: usize::from(length),
                max,
            }),
        );
    }
    for byte in [0x80, 0xc3, 0xfe, 0xff] {
        reject(
            &format!("{field} starting {byte:02x}"),
            &decode,
            &with(bytes, at + 1, byte),
            wrap(DecodeError::NotUtf8 { field }),
        );
    }
}

/// Checks that `decode` accepts `bytes` (a valid baseline or a documented leniency).
#[track_caller]
fn accept<T, E: std::fmt::Debug>(name: &str, decode: impl Fn(&[u8]) -> Result<T, E>, bytes: &[u8]) {
    CASES.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = decode(bytes) {
        panic!("case {name}: rejected with {e:?}");
    }
}

/// Every prefix `bytes[..len]`, `len < bytes.len()`, fails with `errors[len]`.
#[track_caller]
fn truncations<T, E: PartialEq + std::fmt::Debug + Clone>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, E>,
    bytes: &[u8],
    errors: &[E],
) {
    assert_eq!(
        errors.len(),
        bytes.len(),
        "{name}: layout does not cover the bytes"
    );
    for len in 0..bytes.len() {
        reject(
            &format!("{name} truncated to {len}"),
            &decode,
            &bytes[..len],
            errors[len].clone(),
        );
    }
}

/// The error for a prefix ending inside each byte of `fields`.
fn expand<E>(fields: &[(&'static str, usize)], wrap: impl Fn(DecodeError) -> E) -> Vec<E> {
    fields
        .iter()
        .flat_map(|&(field, n)| (0..n).map(move |_| field))
        .map(|field| wrap(DecodeError::Truncated { field }))
        .collect()
}

/// The offset of the first field named `name`.
fn at(fields: &[(&'static str, usize)], name: &str) -> usize {
    let mut offset = 0;
    for &(field, n) in fields {
        if field == name {
            return offset;
        }
        offset += n;
    }
    panic!("no field {name}");
}

fn total(fields: &[(&'static str, usize)]) -> usize {
    fields.iter().map(|f| f.1).sum()
}

fn with(bytes: &[u8], offset: usize, value: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[offset] = value;
    b
}

fn splice(bytes: &[u8], offset: usize, replacement: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[offset..offset + replacement.len()].copy_from_slice(replacement);
    b
}

fn extended(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b.push(0);
    b
}

/// 33 bytes that are a well-formed compressed encoding of an x with no point on P-256.
fn off_curve() -> [u8; 33] {
    for x in 1u8.. {
        let mut e = [0u8; 33];
        e[0] = 0x02;
        e[32] = x;
        if quorumkey::group::decode_element(&e) == Err(EncodingError::InvalidElement) {
            return e;
        }
    }
    unreachable!()
}

/// The element-level malformations: (name, bytes, error).
fn bad_elements(valid: &[u8]) -> Vec<(&'static str, Vec<u8>, EncodingError)> {
    let mut uncompressed_tag = valid.to_vec();
    uncompressed_tag[0] = 0x04;
    // SEC1 "compact" tag: p256 decodes it; the wire format must not (regression, see
    // spec/wire-format.md §1).
    let mut compact_tag = valid.to_vec();
    compact_tag[0] = 0x05;
    let mut bad_tag = valid.to_vec();
    bad_tag[0] = 0x07;
    vec![
        (
            "identity (33 zero bytes)",
            vec![0u8; 33],
            EncodingError::IdentityElement,
        ),
        (
            "off-curve x",
            off_curve().to_vec(),
            EncodingError::InvalidElement,
        ),
        (
            "uncompressed tag 04",
            uncompressed_tag,
            EncodingError::InvalidElement,
        ),
        ("compact tag 05", compact_tag, EncodingError::InvalidElement),
        ("unknown tag 07", bad_tag, EncodingError::InvalidElement),
    ]
}

/// The scalar-level malformations of a non-zero scalar field.
fn bad_scalars() -> Vec<(&'static str, [u8; 32], EncodingError)> {
    let mut n_plus_1 = ORDER;
    n_plus_1[31] += 1;
    vec![
        ("scalar = n", ORDER, EncodingError::NonCanonicalScalar),
        (
            "scalar = n + 1",
            n_plus_1,
            EncodingError::NonCanonicalScalar,
        ),
        (
            "scalar = 2^256 - 1",
            [0xff; 32],
            EncodingError::NonCanonicalScalar,
        ),
        ("scalar = 0", [0; 32], EncodingError::ZeroScalar),
    ]
}

fn vault(object: &'static str) -> impl Fn(DecodeError) -> Error {
    move |error| Error::Decode { object, error }
}

fn holder(id: u8) -> HolderId {
    HolderId::new(id).unwrap()
}

/// The wrong-magic / wrong-version / wrong-type cases of a prefixed object.
fn prefix_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, Error>,
    bytes: &[u8],
    object: &'static str,
) {
    let e = vault(object);
    let kind = bytes[3];
    reject(
        name,
        &decode,
        &with(bytes, 0, b'X'),
        e(DecodeError::BadMagic),
    );
    reject(
        name,
        &decode,
        &with(bytes, 1, b'k'),
        e(DecodeError::BadMagic),
    );
    reject(
        name,
        &decode,
        &with(bytes, 2, 0),
        e(DecodeError::UnknownVersion(0)),
    );
    reject(
        name,
        &decode,
        &with(bytes, 2, 2),
        e(DecodeError::UnknownVersion(2)),
    );
    for other in [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 0xff] {
        if other != kind {
            reject(
                name,
                &decode,
                &with(bytes, 3, other),
                e(DecodeError::WrongObjectType {
                    expected: kind,
                    found: other,
                }),
            );
        }
    }
}

fn done(table: &str) {
    println!("{table}: {} cases so far", CASES.load(Ordering::Relaxed));
}

// ---- layouts (spec/wire-format.md), computed from valid encodings ------------------------

fn policy_fields(p: &[u8]) -> Fields {
    let mut f = vec![("threshold", 1), ("holder count", 1)];
    let mut i = 2;
    for _ in 0..p[1] {
        let kind = p[i + 1];
        f.push(("holder id", 1));
        f.push(("holder kind", 1));
        i += 2;
        let l = p[i] as usize;
        f.push(("holder label", 1 + l));
        i += 1 + l;
        if kind == 2 {
            let l = p[i] as usize;
            f.push(("key id", 1 + l));
            i += 1 + l;
        }
    }
    assert_eq!(i, p.len());
    f
}

fn header_fields(h: &[u8]) -> (Fields, Fields, usize) {
    let mut head: Fields = PREFIX.to_vec();
    head.extend([("suite", 1), ("vault id", 16), ("epoch", 4)]);
    let policy_at = total(&head);
    let t = h[policy_at] as usize;
    let policy = policy_fields(&h[policy_at..h.len() - (1 + 33 * t)]);
    (head, policy, t)
}

fn capsule_fields(c: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("vault id", 16), ("epoch", 4), ("holder id", 1)]);
    let key_id_len = c[total(&f)] as usize;
    f.extend([
        ("key id", 1 + key_id_len),
        ("key version", 4),
        ("server key", 33),
    ]);
    let mode = c[total(&f)];
    f.push(("gate mode", 1));
    if mode == 2 {
        f.push(("gate info", 1 + c[total(&f)] as usize));
    }
    f.extend([
        ("password flag", 1),
        ("gate input", 32),
        ("nonce", 24),
        ("ciphertext", 48),
    ]);
    assert_eq!(total(&f), c.len());
    f
}

fn unit_fields(u: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.push(("vault id", 16));
    f.push(("unit id", 1 + u[total(&f)] as usize));
    let gate = u[total(&f)];
    f.push(("unit gate", 1));
    if gate == 1 {
        f.push(("gate key id", 1 + u[total(&f)] as usize));
        f.extend([("gate key version", 4), ("gate server key", 33)]);
        let mode = u[total(&f)];
        f.push(("gate mode", 1));
        if mode == 2 {
            f.push(("gate info", 1 + u[total(&f)] as usize));
        }
        f.push(("gate input", 32));
    }
    f.extend([("nonce", 24), ("ciphertext length", 4)]);
    let at = total(&f);
    let ct = u32::from_be_bytes(u[at - 4..at].try_into().unwrap()) as usize;
    f.push(("ciphertext", ct));
    assert_eq!(total(&f), u.len());
    f
}

fn gate_request_fields(q: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("key version", 4), ("gate mode", 1)]);
    if q[8] == 2 {
        f.push(("gate info", 1 + q[9] as usize));
    }
    f
}

// ---- the tables --------------------------------------------------------------------------

#[test]
fn policy() {
    let decode = Policy::from_bytes;
    let d = PolicyDecodeError::Decode;
    let p = PolicyDecodeError::Policy;
    for v in vectors() {
        let bytes = unhex(&v["policy"]);
        let fields = policy_fields(&bytes);
        accept("policy", decode, &bytes);
        truncations("policy", decode, &bytes, &expand(&fields, d));
        reject(
            "policy extended",
            decode,
            &extended(&bytes),
            d(DecodeError::TrailingBytes { count: 1 }),
        );
        let count = bytes[1];
        // Threshold.
        reject(
            "t = 0",
            decode,
            &with(&bytes, 0, 0),
            p(PolicyError::ThresholdTooSmall { threshold: 0 }),
        );
        reject(
            "t = 1",
            decode,
            &with(&bytes, 0, 1),
            p(PolicyError::ThresholdTooSmall { threshold: 1 }),
        );
        reject(
            "t > count",
            decode,
            &with(&bytes, 0, count + 1),
            p(PolicyError::ThresholdAboveHolders {
                threshold: count + 1,
                holders: count as usize,
            }),
        );
        // Count mismatch: one holder more than encoded, one fewer.
        reject(
            "count + 1",
            decode,
            &with(&bytes, 1, count + 1),
            d(DecodeError::Truncated { field: "holder id" }),
        );
        let last = fields
            .iter()
            .rev()
            .take_while(|f| f.0 != "holder id")
            .map(|f| f.1)
            .sum::<usize>()
            + 1;
        reject(
            "count - 1",
            decode,
            &with(&bytes, 1, count - 1),
            d(DecodeError::TrailingBytes { count: last }),
        );
        // Ids: zero, duplicate, descending.
        let first_id = at(&fields, "holder id");
        reject(
            "zero id",
            decode,
            &with(&bytes, first_id, 0),
            p(PolicyError::ZeroHolderId),
        );
        let second_id = first_id + 2 + 1 + bytes[first_id + 2] as usize;
        let id1 = bytes[first_id];
        reject(
            "duplicate id",
            decode,
            &with(&bytes, second_id, id1),
            PolicyDecodeError::HoldersNotAscending { id: holder(id1) },
        );
        reject(
            "descending ids",
            decode,
            &with(&bytes, first_id, bytes[second_id] + 1),
            PolicyDecodeError::HoldersNotAscending {
                id: holder(bytes[second_id]),
            },
        );
        // Unknown holder kind.
        for kind in [0u8, 4, 0xff] {
            reject(
                "unknown kind",
                decode,
                &with(&bytes, first_id + 1, kind),
                d(DecodeError::UnknownValue {
                    field: "holder kind",
                    value: kind,
                }),
            );
        }
        // Label and key id of the first key-server holder: lengths, not UTF-8.
        text_field_cases(decode, &bytes, first_id + 2, "holder label", 32, d);
        text_field_cases(decode, &bytes, at(&fields, "key id"), "key id", 64, d);
    }
    // A policy of two devices and a custodian at t = 2.
    let devices = Policy::builder(3)
        .device(1, "a")
        .device(2, "b")
        .custodian(3, "c")
        .build()
        .unwrap();
    let mut bytes = devices.to_bytes();
    bytes[0] = 2;
    reject(
        "devices reach t",
        decode,
        &bytes,
        p(PolicyError::DevicesReachThreshold),
    );
    reject(
        "empty policy",
        decode,
        &[],
        d(DecodeError::Truncated { field: "threshold" }),
    );
    reject(
        "no holders",
        decode,
        &[2, 0],
        p(PolicyError::ThresholdAboveHolders {
            threshold: 2,
            holders: 0,
        }),
    );
    done("policy");
}

#[test]
fn commitments() {
    let decode = Commitments::from_bytes;
    for v in vectors() {
        let header = unhex(&v["header"]);
        let t = header[25] as usize;
        let bytes = header[header.len() - (1 + 33 * t)..].to_vec();
        accept("commitments", decode, &bytes);
        let mut errors = vec![sharing::Error::CommitmentsLength {
            expected: 67,
            found: 0,
        }];
        errors.extend(
            (1..bytes.len()).map(|found| sharing::Error::CommitmentsLength {
                expected: bytes.len(),
                found,
            }),
        );
        truncations("commitments", decode, &bytes, &errors);
        reject(
            "commitments extended",
            decode,
            &extended(&bytes),
            sharing::Error::CommitmentsLength {
                expected: bytes.len(),
                found: bytes.len() + 1,
            },
        );
        for count in [0u8, 1] {
            reject(
                "count below 2",
                decode,
                &with(&bytes, 0, count),
                sharing::Error::CommitmentCount {
                    count: count as usize,
                },
            );
        }
        reject(
            "count + 1",
            decode,
            &with(&bytes, 0, t as u8 + 1),
            sharing::Error::CommitmentsLength {
                expected: 1 + 33 * (t + 1),
                found: bytes.len(),
            },
        );
        for index in [0, t - 1] {
            let offset = 1 + 33 * index;
            for (name, element, error) in bad_elements(&bytes[offset..offset + 33]) {
                let want = match error {
                    EncodingError::IdentityElement => sharing::Error::IdentityCommitment { index },
                    _ => sharing::Error::InvalidCommitment { index },
                };
                reject(name, decode, &splice(&bytes, offset, &element), want);
            }
        }
    }
    done("commitments");
}

#[test]
fn sharing_share() {
    let decode = Share::from_bytes;
    for v in vectors() {
        for s in v["shares"].as_array().unwrap() {
            let bytes = unhex(&s["bytes"])[56..].to_vec();
            accept("share", decode, &bytes);
            let errors: Vec<_> = (0..bytes.len())
                .map(|found| sharing::Error::ShareLength { found })
                .collect();
            truncations("share", decode, &bytes, &errors);
            reject(
                "share extended",
                decode,
                &extended(&bytes),
                sharing::Error::ShareLength { found: 34 },
            );
            reject(
                "zero id",
                decode,
                &with(&bytes, 0, 0),
                sharing::Error::ZeroHolderId,
            );
            for (name, scalar, error) in bad_scalars() {
                reject(
                    name,
                    decode,
                    &splice(&bytes, 1, &scalar),
                    sharing::Error::ShareValue(error),
                );
            }
        }
    }
    done("sharing share");
}

fn vault_share_fields() -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([
        ("vault id", 16),
        ("epoch", 4),
        ("header digest", 32),
        ("share", 33),
    ]);
    f
}

fn vault_share_cases(name: &str, decode: impl Fn(&[u8]) -> Result<(), Error>, bytes: &[u8]) {
    let fields = vault_share_fields();
    accept(name, &decode, bytes);
    truncations(name, &decode, bytes, &expand(&fields, vault("share")));
    reject(
        name,
        &decode,
        &extended(bytes),
        vault("share")(DecodeError::TrailingBytes { count: 1 }),
    );
    prefix_cases(name, &decode, bytes, "share");
    let id = at(&fields, "share");
    reject(
        name,
        &decode,
        &with(bytes, id, 0),
        Error::Sharing(sharing::Error::ZeroHolderId),
    );
    for (case, scalar, error) in bad_scalars() {
        reject(
            case,
            &decode,
            &splice(bytes, id + 1, &scalar),
            Error::Sharing(sharing::Error::ShareValue(error)),
        );
    }
}

#[test]
fn vault_share_and_card_bytes() {
    for v in vectors() {
        for s in v["shares"].as_array().unwrap() {
            let bytes = unhex(&s["bytes"]);
            vault_share_cases(
                "vault share",
                |b| VaultShare::from_bytes(b).map(drop),
                &bytes,
            );
            vault_share_cases("card bytes", |b| ShareCard::from_bytes(b).map(drop), &bytes);
        }
    }
    done("vault share, card bytes");
}

// -- share card text ----------------------------------------------------------------------

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The card text of `share_bytes` per spec/wire-format.md §6, written independently.
/// `pad` sets the final character's padding bit.
fn card_text(share_bytes: &[u8], pad: bool) -> String {
    let mut payload = share_bytes.to_vec();
    payload.extend_from_slice(&blake3::derive_key("quorumkey v1 card checksum", share_bytes)[..4]);
    let mut bits: Vec<u8> = payload
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    while !bits.len().is_multiple_of(5) {
        bits.push(u8::from(pad));
    }
    let chars: Vec<char> = bits
        .chunks(5)
        .map(|c| ALPHABET[c.iter().fold(0usize, |a, &b| a << 1 | b as usize)] as char)
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    format!("QK1-{}", groups.join("-"))
}

#[test]
fn share_card_text() {
    let decode = |t: &[u8]| ShareCard::from_text(std::str::from_utf8(t).unwrap()).map(drop);
    let card = |e| Error::Card(e);
    for v in vectors() {
        for s in v["shares"].as_array().unwrap() {
            let Some(text) = s["card_text"].as_str() else {
                continue;
            };
            let bytes = unhex(&s["bytes"]);
            assert_eq!(card_text(&bytes, false), text);
            accept("card text", decode, text.as_bytes());
            // Documented leniencies: case, whitespace, no hyphens, O→0, I/L→1.
            accept("lower case", decode, text.to_lowercase().as_bytes());
            let spaced = format!("QK1-{}", text[4..].replace('-', " \n\t "));
            accept("spaced", decode, spaced.as_bytes());
            let bare = format!("QK1-{}", text[4..].replace('-', ""));
            accept("no hyphens", decode, bare.as_bytes());
            accept(
                "leading whitespace",
                decode,
                format!("\n  {text}").as_bytes(),
            );
            let ambiguous = text[4..]
                .replace('0', "O")
                .replacen('1', "I", 1)
                .replace('1', "l");
            accept("O, I, L", decode, format!("QK1-{ambiguous}").as_bytes());
            // Every prefix.
            let mut errors = Vec::new();
            for len in 0..text.len() {
                errors.push(if len < 4 {
                    card(CardError::Prefix)
                } else {
                    let found = text[4..len].chars().filter(|c| *c != '-').count();
                    card(CardError::Length {
                        expected: 149,
                        found,
                    })
                });
            }
            truncations("card text", decode, text.as_bytes(), &errors);
            reject(
                "extended",
                decode,
                format!("{text}0").as_bytes(),
                card(CardError::Length {
                    expected: 149,
                    found: 150,
                }),
            );
            reject(
                "prefix missing",
                decode,
                &text.as_bytes()[4..],
                card(CardError::Prefix),
            );
            reject(
                "prefix QK2-",
                decode,
                text.replacen("QK1", "QK2", 1).as_bytes(),
                card(CardError::Prefix),
            );
            reject(
                "prefix QK1 no hyphen",
                decode,
                text.replacen("QK1-", "QK1", 1).as_bytes(),
                card(CardError::Prefix),
            );
            for (c, position) in [('U', 0usize), ('*', 10), ('é', 148), ('_', 77)] {
                let mut chars: Vec<char> = text[4..].chars().filter(|c| *c != '-').collect();
                chars[position] = c;
                let t = format!("QK1-{}", chars.iter().collect::<String>());
                reject(
                    "bad character",
                    decode,
                    t.as_bytes(),
                    card(CardError::Character { position }),
                );
            }
            // A mistyped character: the checksum catches it.
            for position in [0usize, 40, 100, 147] {
                let mut chars: Vec<char> = text[4..].chars().filter(|c| *c != '-').collect();
                chars[position] = if chars[position] == 'Z' { 'Y' } else { 'Z' };
                let t = format!("QK1-{}", chars.iter().collect::<String>());
                reject("checksum", decode, t.as_bytes(), card(CardError::Checksum));
            }
            // The padding bit of the last character must be zero (regression: it was ignored,
            // so two texts read as the same card).
            reject(
                "padding bit set",
                decode,
                card_text(&bytes, true).as_bytes(),
                card(CardError::Padding),
            );
            // A correct checksum over malformed share bytes: the share decoder's errors.
            let vs = vault("share");
            for (name, b, want) in [
                (
                    "wrong type",
                    with(&bytes, 3, 1),
                    vs(DecodeError::WrongObjectType {
                        expected: 2,
                        found: 1,
                    }),
                ),
                ("bad magic", with(&bytes, 0, 0), vs(DecodeError::BadMagic)),
                (
                    "zero id",
                    with(&bytes, 56, 0),
                    Error::Sharing(sharing::Error::ZeroHolderId),
                ),
                (
                    "value n",
                    splice(&bytes, 57, &ORDER),
                    Error::Sharing(sharing::Error::ShareValue(
                        EncodingError::NonCanonicalScalar,
                    )),
                ),
                (
                    "value 0",
                    splice(&bytes, 57, &[0; 32]),
                    Error::Sharing(sharing::Error::ShareValue(EncodingError::ZeroScalar)),
                ),
            ] {
                reject(name, decode, card_text(&b, false).as_bytes(), want);
            }
        }
    }
    reject("empty", decode, b"", card(CardError::Prefix));
    done("card text");
}

// -- header ---------------------------------------------------------------------------------

#[test]
fn header() {
    let decode = VaultHeader::from_bytes;
    let e = vault("vault header");
    let pd = |x| Error::PolicyDecode(PolicyDecodeError::Decode(x));
    for v in vectors() {
        let bytes = unhex(&v["header"]);
        let (head, policy, t) = header_fields(&bytes);
        let commitments_at = bytes.len() - (1 + 33 * t);
        accept("header", decode, &bytes);
        let mut errors = expand(&head, &e);
        errors.extend(expand(&policy, pd));
        errors.push(Error::Sharing(sharing::Error::CommitmentsLength {
            expected: 67,
            found: 0,
        }));
        errors.extend((1..1 + 33 * t).map(|found| {
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: 1 + 33 * t,
                found,
            })
        }));
        truncations("header", decode, &bytes, &errors);
        reject(
            "extended",
            decode,
            &extended(&bytes),
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: 1 + 33 * t,
                found: 2 + 33 * t,
            }),
        );
        prefix_cases("header", decode, &bytes, "vault header");
        for suite in [0u8, 2, 0xff] {
            reject(
                "suite",
                decode,
                &with(&bytes, 4, suite),
                e(DecodeError::UnknownSuite(suite)),
            );
        }
        // Policy errors come through as Error::PolicyDecode.
        let policy_at = total(&head);
        reject(
            "policy t = 1",
            decode,
            &with(&bytes, policy_at, 1),
            Error::PolicyDecode(PolicyDecodeError::Policy(PolicyError::ThresholdTooSmall {
                threshold: 1,
            })),
        );
        reject(
            "policy zero id",
            decode,
            &with(&bytes, policy_at + 2, 0),
            Error::PolicyDecode(PolicyDecodeError::Policy(PolicyError::ZeroHolderId)),
        );
        reject(
            "policy unknown kind",
            decode,
            &with(&bytes, policy_at + 3, 9),
            pd(DecodeError::UnknownValue {
                field: "holder kind",
                value: 9,
            }),
        );
        // Commitment count ≠ policy threshold (a valid commitment list of t + 1 points).
        let mut more = bytes.clone();
        more[commitments_at] = t as u8 + 1;
        let c0 = bytes[commitments_at + 1..commitments_at + 34].to_vec();
        more.extend_from_slice(&c0);
        reject(
            "t + 1 commitments",
            decode,
            &more,
            Error::CommitmentCount {
                expected: t as u8,
                found: t as u8 + 1,
            },
        );
        // Fewer commitments than t (t - 1 ≥ 2 only in the 3-of-4 vector).
        if t > 2 {
            let mut fewer = bytes[..bytes.len() - 33].to_vec();
            fewer[commitments_at] = t as u8 - 1;
            reject(
                "t - 1 commitments",
                decode,
                &fewer,
                Error::CommitmentCount {
                    expected: t as u8,
                    found: t as u8 - 1,
                },
            );
        }
        for index in [0, t - 1] {
            let offset = commitments_at + 1 + 33 * index;
            for (name, element, error) in bad_elements(&bytes[offset..offset + 33]) {
                let want = match error {
                    EncodingError::IdentityElement => sharing::Error::IdentityCommitment { index },
                    _ => sharing::Error::InvalidCommitment { index },
                };
                reject(
                    name,
                    decode,
                    &splice(&bytes, offset, &element),
                    Error::Sharing(want),
                );
            }
        }
    }
    done("header");
}

// -- capsule --------------------------------------------------------------------------------

#[test]
fn capsule() {
    let decode = Capsule::from_bytes;
    let e = vault("capsule");
    for v in vectors() {
        for c in v["capsules"].as_array().unwrap() {
            let bytes = unhex(&c["bytes"]);
            let fields = capsule_fields(&bytes);
            accept("capsule", decode, &bytes);
            truncations("capsule", decode, &bytes, &expand(&fields, &e));
            reject(
                "extended",
                decode,
                &extended(&bytes),
                e(DecodeError::TrailingBytes { count: 1 }),
            );
            prefix_cases("capsule", decode, &bytes, "capsule");
            reject(
                "zero holder id",
                decode,
                &with(&bytes, at(&fields, "holder id"), 0),
                e(DecodeError::UnknownValue {
                    field: "holder id",
                    value: 0,
                }),
            );
            text_field_cases(decode, &bytes, at(&fields, "key id"), "key id", 64, &e);
            let pk = at(&fields, "server key");
            for (name, element, error) in bad_elements(&bytes[pk..pk + 33]) {
                reject(
                    name,
                    decode,
                    &splice(&bytes, pk, &element),
                    e(DecodeError::Element {
                        field: "server key",
                        error,
                    }),
                );
            }
            let mode = at(&fields, "gate mode");
            for value in [0u8, 3, 0xff] {
                reject(
                    "gate mode",
                    decode,
                    &with(&bytes, mode, value),
                    e(DecodeError::UnknownValue {
                        field: "gate mode",
                        value,
                    }),
                );
            }
            if bytes[mode] == 2 {
                reject(
                    "empty gate info",
                    decode,
                    &with(&bytes, mode + 1, 0),
                    e(DecodeError::FieldLength {
                        field: "gate info",
                        length: 0,
                        max: 255,
                    }),
                );
            }
            let flag = at(&fields, "password flag");
            for value in [2u8, 0xff] {
                reject(
                    "password flag",
                    decode,
                    &with(&bytes, flag, value),
                    e(DecodeError::UnknownValue {
                        field: "password flag",
                        value,
                    }),
                );
            }
        }
    }
    done("capsule");
}

// -- sealed unit ------------------------------------------------------------------------------

fn unit_cases(name: &str, bytes: &[u8]) {
    let decode = SealedUnit::from_bytes;
    let e = vault("sealed unit");
    let fields = unit_fields(bytes);
    accept(name, decode, bytes);
    truncations(name, decode, bytes, &expand(&fields, &e));
    reject(
        name,
        decode,
        &extended(bytes),
        e(DecodeError::TrailingBytes { count: 1 }),
    );
    prefix_cases(name, decode, bytes, "sealed unit");
    let unit_id = at(&fields, "unit id");
    for len in [0u8, 65, 0xff] {
        reject(
            "unit id length",
            decode,
            &with(bytes, unit_id, len),
            e(DecodeError::FieldLength {
                field: "unit id",
                length: len as usize,
                max: 64,
            }),
        );
    }
    let gate = at(&fields, "unit gate");
    for value in [2u8, 0xff] {
        reject(
            "unit gate",
            decode,
            &with(bytes, gate, value),
            e(DecodeError::UnknownValue {
                field: "unit gate",
                value,
            }),
        );
    }
    let len_at = at(&fields, "ciphertext length");
    let max = 65536 + 16;
    for length in [0usize, 15, max + 1, u32::MAX as usize] {
        reject(
            "ciphertext length",
            decode,
            &splice(bytes, len_at, &(length as u32).to_be_bytes()),
            e(DecodeError::FieldLength {
                field: "ciphertext",
                length,
                max,
            }),
        );
    }
    let ct = bytes.len() - len_at - 4;
    reject(
        "ciphertext length + 1",
        decode,
        &splice(bytes, len_at, &(ct as u32 + 1).to_be_bytes()),
        e(DecodeError::Truncated {
            field: "ciphertext",
        }),
    );
    reject(
        "ciphertext length - 1",
        decode,
        &splice(bytes, len_at, &(ct as u32 - 1).to_be_bytes()),
        e(DecodeError::TrailingBytes { count: 1 }),
    );
    if bytes[gate] == 1 {
        text_field_cases(
            decode,
            bytes,
            at(&fields, "gate key id"),
            "gate key id",
            64,
            &e,
        );
        let pk = at(&fields, "gate server key");
        for (case, element, error) in bad_elements(&bytes[pk..pk + 33]) {
            reject(
                case,
                decode,
                &splice(bytes, pk, &element),
                e(DecodeError::Element {
                    field: "gate server key",
                    error,
                }),
            );
        }
        let mode = at(&fields, "gate mode");
        for value in [0u8, 3] {
            reject(
                "gate mode",
                decode,
                &with(bytes, mode, value),
                e(DecodeError::UnknownValue {
                    field: "gate mode",
                    value,
                }),
            );
        }
    }
}

#[test]
fn sealed_unit() {
    let vs = vectors();
    for v in &vs {
        unit_cases("ungated unit", &unhex(&v["unit"]["bytes"]));
    }
    let (gated, _) = fuzz_fixture_objects(&vs[0]);
    unit_cases("gated unit", &gated);
    done("sealed unit");
}

// -- gate request / response, OPRF messages ---------------------------------------------------

/// What every RFC 9497 batch message shares: the valid bytes accepted, every truncation,
/// one byte more, and a count of 0, 257 and 0xffff. Returns the encoded count.
fn oprf_batch_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, oprf::Error>,
    bytes: &[u8],
) -> usize {
    use oprf::Error as O;
    accept(name, &decode, bytes);
    truncations(name, &decode, bytes, &vec![O::Truncated; bytes.len()]);
    reject(name, &decode, &extended(bytes), O::TrailingBytes);
    for (case, count, error) in [
        ("count 0", 0u16, O::EmptyBatch),
        ("count 257", 257, O::BatchTooLarge),
        ("count 0xffff", 0xffff, O::BatchTooLarge),
    ] {
        reject(
            case,
            &decode,
            &splice(bytes, 0, &count.to_be_bytes()),
            error,
        );
    }
    usize::from(u16::from_be_bytes([bytes[0], bytes[1]]))
}

fn oprf_request_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, oprf::Error>,
    bytes: &[u8],
) {
    use oprf::Error as O;
    let count = oprf_batch_cases(name, &decode, bytes) as u16;
    reject(
        "count + 1",
        &decode,
        &splice(bytes, 0, &(count + 1).to_be_bytes()),
        O::Truncated,
    );
    if count > 1 {
        reject(
            "count - 1",
            &decode,
            &splice(bytes, 0, &(count - 1).to_be_bytes()),
            O::TrailingBytes,
        );
    }
    for (case, element, error) in bad_elements(&bytes[2..35]) {
        reject(
            case,
            &decode,
            &splice(bytes, 2, &element),
            O::Encoding(error),
        );
    }
}

fn oprf_response_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, oprf::Error>,
    bytes: &[u8],
) {
    use oprf::Error as O;
    let count = oprf_batch_cases(name, &decode, bytes);
    // One element more than encoded: the mode byte and proof are read as an element's bytes,
    // and the rest is too short for mode + proof.
    let shifted = bytes[2 + 33 * (count + 1)];
    let want = match shifted {
        0 => O::TrailingBytes,
        1 | 2 => O::Truncated,
        other => O::UnknownMode(other),
    };
    reject(
        "count + 1",
        &decode,
        &splice(bytes, 0, &(count as u16 + 1).to_be_bytes()),
        want,
    );
    let mode_at = 2 + 33 * count;
    for mode in [3u8, 0xff] {
        reject(
            "unknown mode",
            &decode,
            &with(bytes, mode_at, mode),
            O::UnknownMode(mode),
        );
    }
    // Mode OPRF carries no proof: the proof bytes are trailing.
    reject(
        "mode OPRF with a proof",
        &decode,
        &with(bytes, mode_at, 0),
        O::TrailingBytes,
    );
    for (case, element, error) in bad_elements(&bytes[2..35]) {
        reject(
            case,
            &decode,
            &splice(bytes, 2, &element),
            O::Encoding(error),
        );
    }
    // Proof scalars c and s: canonical (zero is allowed by the encoding; it fails the proof).
    for offset in [mode_at + 1, mode_at + 33] {
        for (case, scalar, error) in bad_scalars() {
            if error == EncodingError::ZeroScalar {
                accept(
                    "zero proof scalar",
                    &decode,
                    &splice(bytes, offset, &scalar),
                );
            } else {
                reject(
                    case,
                    &decode,
                    &splice(bytes, offset, &scalar),
                    O::Encoding(error),
                );
            }
        }
    }
}

#[test]
fn gate_request_and_oprf_request() {
    let decode = GateRequest::from_bytes;
    let e = vault("gate request");
    for v in vectors() {
        for phase in ["enroll", "unlock"] {
            for q in v[phase]["requests"].as_array().unwrap() {
                let bytes = unhex(q);
                let fields = gate_request_fields(&bytes);
                let eval_at = total(&fields);
                let mut errors = expand(&fields, &e);
                errors.extend(vec![
                    Error::Oprf(oprf::Error::Truncated);
                    bytes.len() - eval_at
                ]);
                accept("gate request", decode, &bytes);
                truncations("gate request", decode, &bytes, &errors);
                reject(
                    "extended",
                    decode,
                    &extended(&bytes),
                    Error::Oprf(oprf::Error::TrailingBytes),
                );
                prefix_cases("gate request", decode, &bytes, "gate request");
                for value in [0u8, 3, 0xff] {
                    reject(
                        "mode",
                        decode,
                        &with(&bytes, 8, value),
                        e(DecodeError::UnknownValue {
                            field: "gate mode",
                            value,
                        }),
                    );
                }
                if bytes[8] == 2 {
                    reject(
                        "empty info",
                        decode,
                        &with(&bytes, 9, 0),
                        e(DecodeError::FieldLength {
                            field: "gate info",
                            length: 0,
                            max: 255,
                        }),
                    );
                }
                for (case, element, error) in bad_elements(&bytes[eval_at + 2..eval_at + 35]) {
                    reject(
                        case,
                        decode,
                        &splice(&bytes, eval_at + 2, &element),
                        Error::Oprf(oprf::Error::Encoding(error)),
                    );
                }
                reject(
                    "empty batch",
                    decode,
                    &splice(&bytes, eval_at, &[0, 0]),
                    Error::Oprf(oprf::Error::EmptyBatch),
                );
                oprf_request_cases(
                    "oprf request",
                    EvaluationRequest::from_bytes,
                    &bytes[eval_at..],
                );
            }
        }
    }
    done("gate request, oprf request");
}

#[test]
fn gate_response_and_oprf_response() {
    let decode = GateResponse::from_bytes;
    let e = vault("gate response");
    for v in vectors() {
        for phase in ["enroll", "unlock"] {
            for q in v[phase]["responses"].as_array().unwrap() {
                let bytes = unhex(q);
                let mut fields: Fields = PREFIX.to_vec();
                fields.push(("key version", 4));
                let mut errors = expand(&fields, &e);
                errors.extend(vec![Error::Oprf(oprf::Error::Truncated); bytes.len() - 8]);
                accept("gate response", decode, &bytes);
                truncations("gate response", decode, &bytes, &errors);
                reject(
                    "extended",
                    decode,
                    &extended(&bytes),
                    Error::Oprf(oprf::Error::TrailingBytes),
                );
                prefix_cases("gate response", decode, &bytes, "gate response");
                for (case, element, error) in bad_elements(&bytes[10..43]) {
                    reject(
                        case,
                        decode,
                        &splice(&bytes, 10, &element),
                        Error::Oprf(oprf::Error::Encoding(error)),
                    );
                }
                reject(
                    "proof c = n",
                    decode,
                    &splice(&bytes, bytes.len() - 64, &ORDER),
                    Error::Oprf(oprf::Error::Encoding(EncodingError::NonCanonicalScalar)),
                );
                oprf_response_cases("oprf response", EvaluationResponse::from_bytes, &bytes[8..]);
            }
        }
    }
    done("gate response, oprf response");
}

// -- recovery kit -----------------------------------------------------------------------------

#[test]
fn recovery_kit() {
    let decode = RecoveryKit::from_bytes;
    let e = vault("recovery kit");
    let vs = vectors();
    for v in &vs {
        let header = unhex(&v["header"]);
        let capsules: Vec<Vec<u8>> = v["capsules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| unhex(&c["bytes"]))
            .collect();
        let kit = RecoveryKit::new(
            VaultHeader::from_bytes(&header).unwrap(),
            capsules
                .iter()
                .map(|c| Capsule::from_bytes(c).unwrap())
                .collect(),
        )
        .unwrap();
        let bytes = kit.to_bytes();
        let mut fields: Fields = PREFIX.to_vec();
        fields.extend([
            ("header length", 4),
            ("header", header.len()),
            ("capsule count", 1),
        ]);
        for c in &capsules {
            fields.extend([("capsule length", 2), ("capsule", c.len())]);
        }
        accept("kit", decode, &bytes);
        truncations("kit", decode, &bytes, &expand(&fields, &e));
        reject(
            "extended",
            decode,
            &extended(&bytes),
            e(DecodeError::TrailingBytes { count: 1 }),
        );
        prefix_cases("kit", decode, &bytes, "recovery kit");
        let count_at = at(&fields, "capsule count");
        let n = capsules.len() as u8;
        reject(
            "count + 1",
            decode,
            &with(&bytes, count_at, n + 1),
            e(DecodeError::Truncated {
                field: "capsule length",
            }),
        );
        reject(
            "count - 1",
            decode,
            &with(&bytes, count_at, n - 1),
            e(DecodeError::TrailingBytes {
                count: 2 + capsules.last().unwrap().len(),
            }),
        );
        reject(
            "header length + 1",
            decode,
            &splice(&bytes, 4, &(header.len() as u32 + 1).to_be_bytes()),
            // The header swallows the capsule count byte: its commitments are one too long.
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: header.len() - at_commitments(&header),
                found: header.len() - at_commitments(&header) + 1,
            }),
        );
        reject(
            "header length huge",
            decode,
            &splice(&bytes, 4, &u32::MAX.to_be_bytes()),
            e(DecodeError::Truncated { field: "header" }),
        );
        // The parts' own errors come through unwrapped.
        reject(
            "header suite",
            decode,
            &with(&bytes, 8 + 4, 9),
            vault("vault header")(DecodeError::UnknownSuite(9)),
        );
        let cap = at(&fields, "capsule");
        reject(
            "capsule type",
            decode,
            &with(&bytes, cap + 3, 1),
            vault("capsule")(DecodeError::WrongObjectType {
                expected: 3,
                found: 1,
            }),
        );
        let cap_len = at(&fields, "capsule length");
        let c0 = capsules[0].len() as u16;
        reject(
            "capsule length - 1",
            decode,
            &splice(&bytes, cap_len, &(c0 - 1).to_be_bytes()),
            vault("capsule")(DecodeError::Truncated {
                field: "ciphertext",
            }),
        );
        // Capsules that do not belong to the header.
        let epoch_at = cap + 4 + 16;
        reject(
            "stale capsule",
            decode,
            &splice(&bytes, epoch_at, &7u32.to_be_bytes()),
            Error::StaleEpoch {
                holder: holder(capsules[0][24]),
                found: 7,
                expected: 0,
            },
        );
        reject(
            "other vault",
            decode,
            &with(&bytes, cap + 4, bytes[cap + 4] ^ 1),
            Error::WrongVault {
                holder: holder(capsules[0][24]),
            },
        );
        reject(
            "unknown holder",
            decode,
            &with(&bytes, cap + 24, 9),
            Error::UnknownHolder(holder(9)),
        );
        // Holder 1 is a device in both vectors.
        reject(
            "device holder",
            decode,
            &with(&bytes, cap + 24, 1),
            Error::WrongHolderKind(holder(1)),
        );
        // Key id differing from the policy's (same length).
        let mut other_key_id = bytes.clone();
        other_key_id[cap + 26] ^= 0x20;
        reject(
            "other key id",
            decode,
            &other_key_id,
            Error::WrongHolderKind(holder(capsules[0][24])),
        );
    }
    // A capsule of vector 1 in a kit for vector 0's header.
    let mut bytes = b"QK\x01\x07".to_vec();
    let header = unhex(&vs[0]["header"]);
    let capsule = unhex(&vs[1]["capsules"][0]["bytes"]);
    bytes.extend_from_slice(&(header.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&header);
    bytes.push(1);
    bytes.extend_from_slice(&(capsule.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&capsule);
    reject(
        "capsule of another vault",
        decode,
        &bytes,
        Error::WrongVault { holder: holder(2) },
    );
    // Documented leniency (spec/wire-format.md §10): a capsule given twice is accepted by the
    // kit; Unlock::start rejects the pair with DuplicateHolder.
    let capsule = unhex(&vs[0]["capsules"][0]["bytes"]);
    let mut twice = b"QK\x01\x07".to_vec();
    twice.extend_from_slice(&(header.len() as u32).to_be_bytes());
    twice.extend_from_slice(&header);
    twice.push(2);
    for _ in 0..2 {
        twice.extend_from_slice(&(capsule.len() as u16).to_be_bytes());
        twice.extend_from_slice(&capsule);
    }
    accept("capsule twice", decode, &twice);
    done("recovery kit");
}

fn at_commitments(header: &[u8]) -> usize {
    let t = header[25] as usize;
    header.len() - (1 + 33 * t)
}

/// One object given to another object's decoder: `WrongObjectType` everywhere.
#[test]
fn objects_swapped() {
    let v = &vectors()[0];
    let objects: Vec<(u8, Vec<u8>)> = vec![
        (1, unhex(&v["header"])),
        (2, unhex(&v["shares"][0]["bytes"])),
        (3, unhex(&v["capsules"][0]["bytes"])),
        (4, unhex(&v["unit"]["bytes"])),
        (5, unhex(&v["unlock"]["requests"][0])),
        (6, unhex(&v["unlock"]["responses"][0])),
    ];
    type Decoder = fn(&[u8]) -> Result<(), Error>;
    let decoders: Vec<(u8, &str, Decoder)> = vec![
        (1, "vault header", |b| VaultHeader::from_bytes(b).map(drop)),
        (2, "share", |b| VaultShare::from_bytes(b).map(drop)),
        (3, "capsule", |b| Capsule::from_bytes(b).map(drop)),
        (4, "sealed unit", |b| SealedUnit::from_bytes(b).map(drop)),
        (5, "gate request", |b| GateRequest::from_bytes(b).map(drop)),
        (6, "gate response", |b| {
            GateResponse::from_bytes(b).map(drop)
        }),
        (7, "recovery kit", |b| RecoveryKit::from_bytes(b).map(drop)),
    ];
    for (expected, object, decode) in &decoders {
        for (found, bytes) in &objects {
            if found != expected {
                reject(
                    "swapped",
                    decode,
                    bytes,
                    Error::Decode {
                        object,
                        error: DecodeError::WrongObjectType {
                            expected: *expected,
                            found: *found,
                        },
                    },
                );
            }
        }
    }
    done("swapped objects");
}
