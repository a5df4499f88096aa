//! The router fuzz target's seeds (`server/fuzz/seeds/router/`), built from objects the core
//! encodes, so they follow the wire format. The checked-in files must match; rewrite them
//! with `UPDATE_SNAPSHOTS=1` after a wire-format change.
//!
//! A seed is `method, path, authorization, content type` (one byte each, see
//! `fuzz_targets/router.rs`) and then the path suffix and body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use quorumkey::gate::Purpose;
use quorumkey::oprf::Mode;

/// The generator's compressed encoding: a valid blinded element, the same every time.
const G: [u8; 33] = [
    0x03, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96,
];

fn gate(purpose: Purpose, info: Option<&[u8]>, elements: u16) -> Vec<u8> {
    let mut bytes = common::gate_prefix();
    bytes.push(purpose.to_byte());
    bytes.extend_from_slice(&1u32.to_be_bytes());
    match info {
        None => bytes.push(Mode::Voprf.to_byte()),
        Some(info) => {
            bytes.push(Mode::Poprf.to_byte());
            bytes.push(u8::try_from(info.len()).unwrap());
            bytes.extend_from_slice(info);
        }
    }
    bytes.extend_from_slice(&elements.to_be_bytes());
    for _ in 0..elements {
        bytes.extend_from_slice(&G);
    }
    quorumkey::gate::GateRequest::from_bytes(&bytes).unwrap();
    bytes
}

/// A core-encoded object with its trailing secret-looking bytes zeroed (deterministic).
fn zero_tail(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len();
    bytes[n - 32..].fill(0);
    bytes
}

fn seed(head: [u8; 4], rest: &[u8]) -> Vec<u8> {
    let mut s = head.to_vec();
    s.extend_from_slice(rest);
    s
}

fn seeds() -> BTreeMap<&'static str, Vec<u8>> {
    let tag = common::unlock_tag();
    [
        (
            "evaluate_capsule",
            seed([1, 0, 1, 1], &gate(Purpose::Capsule, None, 1)),
        ),
        (
            "evaluate_poprf",
            seed([1, 0, 2, 1], &gate(Purpose::UnitGate, Some(b"acme"), 2)),
        ),
        (
            "evaluate_password",
            seed([1, 0, 1, 2], &gate(Purpose::PasswordCapsule, None, 1)),
        ),
        (
            "set_password",
            seed([1, 4, 1, 1], &zero_tail(common::password_setup(3, &tag))),
        ),
        (
            "unlocked",
            seed([1, 5, 1, 1], &zero_tail(common::unlock_proof(&tag))),
        ),
        ("get_keys", seed([0, 1, 1, 0], b"")),
        ("add_key", seed([1, 1, 2, 0], b"")),
        ("drop_key", seed([2, 2, 1, 0], b"")),
        ("audit_query", seed([0, 0x87, 1, 0], b"?after=2")),
        ("admin_user", seed([0, 9, 6, 0], b"")),
        ("directory", seed([0, 10, 0, 0], b"")),
        ("replayed", seed([0, 1, 4, 0], b"")),
        (
            "garbage_auth",
            seed([1, 0, 7, 1], b"Bearer eyJhbGciOiJub25lIn0.e30."),
        ),
    ]
    .into_iter()
    .collect()
}

#[test]
fn router_seeds_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/router");
    let seeds = seeds();
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    for (name, bytes) in &seeds {
        let stored = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            &stored == bytes,
            "fuzz/seeds/router/{name} is stale: rerun with UPDATE_SNAPSHOTS=1"
        );
    }
}
