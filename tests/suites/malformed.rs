//! The negative catalogue of one suite: see `tests/malformed.rs`.

use super::raw::{self, bad_elements};
use super::{common, fixture, qk};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use qk::Error;
use qk::codec::DecodeError;
use qk::gate::{GateMode, GateRequest, GateResponse, PasswordParams, Purpose};
use qk::group::EncodingError;
use qk::keyserver::{KeySet, Operation, PasswordSetup, TagChange, UnlockProof, UserRecord};
use qk::oprf::{self, EvaluationRequest, EvaluationResponse, VoprfClient};
use qk::policy::{Policy, PolicyDecodeError, PolicyError};
use qk::sharing::{self, Commitments, HolderId, Share};
use qk::vault::{
    CARD_TEXT_PREFIX, Capsule, CardError, RecoveryKit, SealedUnit, ShareCard, UnitRead, Unlock,
    VaultHeader, VaultShare,
};

// ---- the valid baselines ------------------------------------------------------------------

const PASSWORD: &[u8] = b"correct horse battery staple";

/// Valid encodings of every object, from several flows: the fuzz fixture (2-of-3, VOPRF,
/// password guard on, two key versions), a 3-of-4 vault with two key servers behind POPRF
/// password gates, POPRF-gated units read in one batch, and key servers whose guard is off
/// or burned.
#[derive(Default)]
struct World {
    policies: Vec<Vec<u8>>,
    headers: Vec<Vec<u8>>,
    /// Device shares and card bytes.
    shares: Vec<Vec<u8>>,
    /// Card bytes and their text.
    cards: Vec<(Vec<u8>, String)>,
    capsules: Vec<Vec<u8>>,
    units: Vec<Vec<u8>>,
    requests: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
    kits: Vec<Vec<u8>>,
    key_sets: Vec<Vec<u8>>,
    setups: Vec<Vec<u8>>,
    proofs: Vec<Vec<u8>>,
    tag_changes: Vec<Vec<u8>>,
    records: Vec<Vec<u8>>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build_world)
}

/// The bytes of a gate request for `purpose` at `version` in `mode`, with `n` blinded
/// elements.
fn raw_request(purpose: Purpose, version: u32, mode: &GateMode, n: usize, seed: u64) -> Vec<u8> {
    let mut r = rng(seed);
    let blinded: Vec<_> = (0..n)
        .map(|i| VoprfClient::blind(&[i as u8; 8], &mut r).unwrap().1)
        .collect();
    let mut out = b"QK\x02\x05".to_vec();
    out.push(super::SUITE.to_byte());
    out.push(purpose.to_byte());
    out.extend_from_slice(&version.to_be_bytes());
    out.push(mode.mode().to_byte());
    if let Some(info) = mode.info() {
        out.push(info.len() as u8);
        out.extend_from_slice(info);
    }
    out.extend_from_slice(&EvaluationRequest::new(blinded).unwrap().to_bytes());
    out
}

fn build_world() -> World {
    let mut w = World::default();

    // The fuzz fixture.
    let f = fixture::fixture::<super::Suite>();
    w.policies.push(f.header.policy().to_bytes());
    w.headers.push(f.header.to_bytes());
    w.shares.push(f.device.to_secret_bytes().to_vec());
    let card = f.card.to_secret_bytes().to_vec();
    w.shares.push(card.clone());
    w.cards.push((card, f.card.to_secret_text().to_string()));
    w.capsules.extend(f.capsules.iter().map(Capsule::to_bytes));
    w.units.extend([f.unit.clone(), f.gated_unit.clone()]);
    w.requests.push(f.unlock_request.clone());
    w.responses.push(f.unlock_response.clone());
    w.kits.push(
        RecoveryKit::new(f.header.clone(), f.capsules.clone())
            .unwrap()
            .to_bytes(),
    );
    w.key_sets.push(f.keys.to_bytes());
    w.setups.push(f.password_setup.clone());
    w.proofs.push(f.unlock_proof.clone());
    w.tag_changes.push(f.tag_change.clone());
    w.records.push(f.record.to_secret_bytes().to_vec());

    // 3-of-4 {laptop, server A, server B, escrow}, POPRF password gates.
    let (policy, servers) = three_of_four_two_servers();
    let label = GateMode::poprf(b"vault gate").unwrap();
    let enrolled = enroll(policy, &servers, label, Some(PASSWORD), 10);
    w.policies.push(enrolled.header.policy().to_bytes());
    w.headers.push(enrolled.header.to_bytes());
    w.shares
        .push(enrolled.device_shares[0].to_secret_bytes().to_vec());
    let card = enrolled.cards[0].to_secret_bytes().to_vec();
    w.shares.push(card.clone());
    w.cards
        .push((card, enrolled.cards[0].to_secret_text().to_string()));
    w.capsules
        .extend(enrolled.capsules.iter().map(Capsule::to_bytes));
    w.kits.push(
        RecoveryKit::new(enrolled.header.clone(), enrolled.capsules.clone())
            .unwrap()
            .to_bytes(),
    );
    // An unlock with the password: one request (one guess) per capsule.
    let mut r = rng(11);
    let (unlock, requests) = Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &trust(&servers),
        Some(PASSWORD),
        &mut r,
    )
    .unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| route(&servers, q).answer(q).unwrap())
        .collect();
    for (q, response) in requests.iter().zip(&responses) {
        w.requests.push(q.request.to_bytes());
        w.responses.push(response.to_bytes());
    }
    let some: Vec<Option<GateResponse>> = responses.into_iter().map(Some).collect();
    let vault = unlock.finish(&some, &mut r).unwrap();
    servers[0]
        .confirm(&vault.unlock_proof(servers[0].key_id))
        .unwrap();
    w.key_sets.push(servers[0].key_set().to_bytes());
    w.records.push(
        servers[0]
            .record
            .borrow()
            .as_ref()
            .unwrap()
            .to_secret_bytes()
            .to_vec(),
    );
    w.proofs.push(
        vault
            .unlock_proof(servers[1].key_id)
            .to_secret_bytes()
            .to_vec(),
    );
    w.tag_changes.push(
        vault
            .tag_change(servers[1].key_id, &f.vault)
            .to_secret_bytes()
            .to_vec(),
    );

    // Three units behind POPRF gates at server A, read in one batched request.
    let unit_label = GateMode::poprf(b"vendor:acme").unwrap();
    let pin = servers[0].pin(1, Purpose::UnitGate, &unit_label);
    let units: Vec<SealedUnit> = (0..3u8)
        .map(|i| {
            let (seal, q) = vault
                .seal_gated_unit(
                    &[b'u', i],
                    &[i; 20],
                    servers[0].key_id,
                    pin.clone(),
                    unit_label.clone(),
                    &mut r,
                )
                .unwrap();
            let response = servers[0].answer(&q).unwrap();
            seal.finish(&vault, &response, &mut r).unwrap()
        })
        .collect();
    w.units.push(units[0].to_bytes());
    let (_, requests) = UnitRead::start(&units, &mut r).unwrap();
    assert_eq!(requests[0].request.evaluation_request().len(), 3);
    w.requests.push(requests[0].request.to_bytes());
    w.responses
        .push(servers[0].answer(&requests[0]).unwrap().to_bytes());

    // A key server where the guard is off, and one where it burned after its one guess.
    let off = Server::new("keys.example", 3);
    w.key_sets.push(off.key_set().to_bytes());
    w.records.push(
        off.record
            .borrow()
            .as_ref()
            .unwrap()
            .to_secret_bytes()
            .to_vec(),
    );
    let burned = Server::new("keys.example", 4);
    let setup = PasswordSetup::new(1, &vault.unlock_tag("keys.example")).unwrap();
    w.setups.push(setup.to_bytes());
    burned.set_password(&setup).unwrap();
    let guess = raw_request(Purpose::PasswordCapsule, 1, &GateMode::Voprf, 1, 12);
    let answer = burned.call(Operation::Evaluate(&guess)).unwrap();
    assert_eq!(
        GateResponse::from_bytes(&answer)
            .unwrap()
            .guesses_remaining(),
        Some(0)
    );
    w.requests.push(guess);
    w.responses.push(answer);
    w.key_sets.push(burned.key_set().to_bytes());
    w.records.push(
        burned
            .record
            .borrow()
            .as_ref()
            .unwrap()
            .to_secret_bytes()
            .to_vec(),
    );

    // Servers alone may unlock (flag set).
    w.policies.push(
        Policy::builder(2)
            .device(1, "phone")
            .key_server(2, "a", "a.example")
            .key_server(3, "b", "b.example")
            .servers_alone_may_unlock()
            .build()
            .unwrap()
            .to_bytes(),
    );
    w
}

// ---- fuzz seeds -------------------------------------------------------------------------

/// The input of `fuzz/fuzz_targets/keyserver_handle.rs`: a start byte, then operations.
mod handle_input {
    pub const START_FIXTURE: u8 = 0;
    pub const START_EMPTY: u8 = 1;

    pub fn evaluate(out: &mut Vec<u8>, body: &[u8]) {
        out.push(0);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    pub fn get_keys(out: &mut Vec<u8>) {
        out.push(1);
    }
    pub fn add_version(out: &mut Vec<u8>) {
        out.push(2);
    }
    pub fn drop_version(out: &mut Vec<u8>, version: u8) {
        out.extend_from_slice(&[3, version]);
    }
    /// 4 SetPassword, 5 ConfirmUnlock, 6 ChangeTag, each with a raw body.
    pub fn body(out: &mut Vec<u8>, op: u8, body: &[u8]) {
        out.extend_from_slice(&[op, body.len() as u8]);
        out.extend_from_slice(body);
    }
    /// A password guess built by the target (see its docs for `param`).
    pub fn guess(out: &mut Vec<u8>, param: u8) {
        out.extend_from_slice(&[7, param]);
    }
    /// The fixture vault's unlock proof (`other` = the other vault's).
    pub fn proof(out: &mut Vec<u8>, other: bool) {
        out.extend_from_slice(&[8, u8::from(other)]);
    }
    /// A password setup with the vault's tag and `max` guesses.
    pub fn setup(out: &mut Vec<u8>, max: u8) {
        out.extend_from_slice(&[9, max]);
    }
}

#[test]
#[ignore = "writes fuzz/seeds/; run by hand after a wire-format change"]
fn write_fuzz_seeds() {
    use std::collections::BTreeMap;
    // The seeds are P-256 objects (the fuzz targets try every input in both suites).
    if super::SUITE != quorumkey::suite::SuiteId::P256 {
        return;
    }
    let w = world();
    let f = fixture::fixture::<super::Suite>();
    let mut seeds: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    let mut add =
        |target: &'static str, bytes: Vec<u8>| seeds.entry(target).or_default().push(bytes);
    // round_trip selector bytes (see fuzz/fuzz_targets/round_trip.rs).
    let mut all: Vec<(u8, Vec<u8>)> = Vec::new();
    for p in &w.policies {
        add("policy_decode", p.clone());
        all.push((0, p.clone()));
    }
    for h in &w.headers {
        let commitments = h[at_commitments(h)..].to_vec();
        add("header_decode", h.clone());
        add("sharing_decode", commitments.clone());
        all.extend([(1, commitments), (5, h.clone())]);
    }
    for s in &w.shares {
        add("share_decode", s.clone());
        add("sharing_decode", s[56..].to_vec());
        all.extend([(2, s[56..].to_vec()), (3, s.clone())]);
    }
    for (bytes, text) in &w.cards {
        add("card_bytes", bytes.clone());
        add("card_text", text.as_bytes().to_vec());
        // Regression: the padding bit was ignored.
        add("card_text", card_text(bytes, true).into_bytes());
        all.push((4, bytes.clone()));
    }
    for c in &w.capsules {
        add("capsule_decode", c.clone());
        all.push((6, c.clone()));
    }
    // capsule_open unlocks the fixture's vault: its own capsule, and the same capsule made
    // a password capsule at the Argon2id floor (it opens nothing, through the password path).
    for c in &f.capsules {
        let bytes = c.to_bytes();
        let flag = at(&capsule_fields(&bytes), "password flag");
        add(
            "capsule_open",
            insert(&with(&bytes, flag, 1), flag + 1, &floor_params()),
        );
        add("capsule_open", bytes);
    }
    for u in &w.units {
        add("unit_decode", u.clone());
        add("unit_open", u.clone());
        all.push((7, u.clone()));
    }
    for k in &w.kits {
        add("recovery_kit_decode", k.clone());
        all.push((12, k.clone()));
    }
    for q in &w.requests {
        let request = GateRequest::from_bytes(q).unwrap();
        let eval = request.evaluation_request().to_bytes();
        add("gate_request_decode", q.clone());
        add("keyserver_evaluate", q.clone());
        add("oprf_request_decode", eval.clone());
        let info = request.mode().info().unwrap_or(&[]);
        let mut server_seed = vec![info.len() as u8];
        server_seed.extend_from_slice(info);
        server_seed.extend_from_slice(&eval);
        add("oprf_server_evaluate", server_seed);
        all.extend([(8, q.clone()), (10, eval)]);
    }
    for q in &w.responses {
        let eval = GateResponse::from_bytes(q)
            .unwrap()
            .evaluation_response()
            .to_bytes();
        add("gate_response_decode", q.clone());
        add("client_finish", q.clone());
        add("oprf_response_decode", eval.clone());
        add("oprf_client_finalize", eval.clone());
        for which in 0..3u8 {
            let mut seed = vec![which];
            seed.extend_from_slice(q);
            add("change_finish", seed);
        }
        all.extend([(9, q.clone()), (11, eval)]);
    }
    for k in &w.key_sets {
        add("key_set_decode", k.clone());
        all.push((13, k.clone()));
    }
    for (which, list) in [(14u8, &w.setups), (15, &w.proofs), (16, &w.tag_changes)] {
        for b in list {
            add("password_message_decode", b.clone());
            all.push((which, b.clone()));
        }
    }
    for r in &w.records {
        add("user_record_decode", r.clone());
        all.push((17, r.clone()));
    }
    for (which, bytes) in all {
        let mut seed = vec![which];
        seed.extend_from_slice(&bytes);
        add("round_trip", seed);
    }
    // keyserver_handle: the flows a client drives, from the fixture's record and from none.
    {
        use handle_input::*;
        let mut unlock = vec![START_FIXTURE];
        evaluate(&mut unlock, &f.unlock_request);
        guess(&mut unlock, 0);
        proof(&mut unlock, false);
        get_keys(&mut unlock);
        add("keyserver_handle", unlock);
        let mut burn = vec![START_FIXTURE];
        for i in 0..fixture::MAX_GUESSES + 1 {
            guess(&mut burn, i & 0x10);
        }
        proof(&mut burn, false);
        setup(&mut burn, 3);
        guess(&mut burn, 0);
        add("keyserver_handle", burn);
        let mut rotate = vec![START_FIXTURE];
        add_version(&mut rotate);
        guess(&mut rotate, 3);
        drop_version(&mut rotate, 1);
        guess(&mut rotate, 1);
        body(&mut rotate, 6, &f.tag_change);
        proof(&mut rotate, true);
        add("keyserver_handle", rotate);
        let mut fresh = vec![START_EMPTY];
        add_version(&mut fresh);
        guess(&mut fresh, 0x40);
        body(&mut fresh, 4, &f.password_setup);
        guess(&mut fresh, 0x20);
        guess(&mut fresh, 0x80);
        body(&mut fresh, 5, &f.unlock_proof);
        add("keyserver_handle", fresh);
        let mut raw = vec![START_FIXTURE];
        for q in &w.requests {
            evaluate(&mut raw, q);
        }
        add("keyserver_handle", raw);
    }
    // The fixture's genuine unlock response is among the seeds.
    assert!(seeds["client_finish"].contains(&f.unlock_response));
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
/// Length of an element in this suite.
const E: usize = raw::ELEMENT_LEN;
/// The group order in this suite's scalar encoding: the smallest non-canonical scalar.
const ORDER: [u8; 32] = raw::ORDER;

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
    nth(fields, name, 0)
}

/// The offset of the `n`th field named `name` (from 0).
fn nth(fields: &[(&'static str, usize)], name: &str, n: usize) -> usize {
    let mut offset = 0;
    let mut seen = 0;
    for &(field, len) in fields {
        if field == name {
            if seen == n {
                return offset;
            }
            seen += 1;
        }
        offset += len;
    }
    panic!("no field {name} number {n}");
}

fn has(fields: &[(&'static str, usize)], name: &str) -> bool {
    fields.iter().any(|f| f.0 == name)
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

fn insert(bytes: &[u8], offset: usize, extra: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b.splice(offset..offset, extra.iter().copied());
    b
}

fn remove(bytes: &[u8], offset: usize, len: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b.drain(offset..offset + len);
    b
}

fn extended(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b.push(0);
    b
}

/// The scalar-level malformations of a non-zero scalar field.
fn bad_scalars() -> Vec<(&'static str, [u8; 32], EncodingError)> {
    let n_plus_1 = raw::ORDER_PLUS_1;
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

/// Every object type byte of format version 2 (01..=0c).
const OBJECT_TYPES: std::ops::RangeInclusive<u8> = 0x01..=0x0c;

/// The wrong-magic / wrong-version / wrong-type cases of a prefixed object. Version 1 (the
/// format this one replaced) is refused by number, like any other version but 2.
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
    for version in [0u8, 1, 3, 0xff] {
        reject(
            &format!("{name} version {version}"),
            &decode,
            &with(bytes, 2, version),
            e(DecodeError::UnknownVersion(version)),
        );
    }
    for other in OBJECT_TYPES.chain([0, 0x0d, 0xff]) {
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

/// What every prefixed object shares: accepted as is, every truncation, one byte more,
/// and the prefix cases.
fn framing_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, Error>,
    bytes: &[u8],
    fields: &[(&'static str, usize)],
    object: &'static str,
) {
    assert_eq!(total(fields), bytes.len(), "{name}: layout");
    accept(name, &decode, bytes);
    truncations(name, &decode, bytes, &expand(fields, vault(object)));
    reject(
        name,
        &decode,
        &extended(bytes),
        vault(object)(DecodeError::TrailingBytes { count: 1 }),
    );
    prefix_cases(name, &decode, bytes, object);
}

fn done(table: &str) {
    println!("{table}: {} cases so far", CASES.load(Ordering::Relaxed));
}

// ---- layouts (spec/wire-format.md), computed from valid encodings ------------------------

fn policy_fields(p: &[u8]) -> Fields {
    let mut f = vec![("threshold", 1), ("policy flags", 1), ("holder count", 1)];
    let mut i = 3;
    for _ in 0..p[2] {
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

fn at_commitments(header: &[u8]) -> usize {
    let t = header[25] as usize;
    header.len() - (1 + E * t)
}

fn header_fields(h: &[u8]) -> (Fields, Fields, usize) {
    let mut head: Fields = PREFIX.to_vec();
    head.extend([("suite", 1), ("vault id", 16), ("epoch", 4)]);
    let policy_at = total(&head);
    let t = h[policy_at] as usize;
    let policy = policy_fields(&h[policy_at..at_commitments(h)]);
    (head, policy, t)
}

fn gate_mode_fields(f: &mut Fields, bytes: &[u8]) {
    let mode = bytes[total(f)];
    f.push(("gate mode", 1));
    if mode == 2 {
        f.push(("gate info", 1 + bytes[total(f)] as usize));
    }
}

fn capsule_fields(c: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("vault id", 16), ("epoch", 4), ("holder id", 1)]);
    let key_id_len = c[total(&f)] as usize;
    f.extend([
        ("key id", 1 + key_id_len),
        ("key version", 4),
        ("server key", E),
    ]);
    gate_mode_fields(&mut f, c);
    let password = c[total(&f)];
    f.push(("password flag", 1));
    if password == 1 {
        f.extend([
            ("argon2 memory", 4),
            ("argon2 passes", 4),
            ("argon2 lanes", 1),
        ]);
    }
    f.extend([("gate input", 32), ("nonce", 24), ("ciphertext", 48)]);
    assert_eq!(total(&f), c.len());
    f
}

fn unit_fields(u: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.push(("vault id", 16));
    f.push(("unit id", 1 + u[total(&f)] as usize));
    f.push(("unit version", 4));
    let gate = u[total(&f)];
    f.push(("unit gate", 1));
    if gate == 1 {
        f.push(("gate key id", 1 + u[total(&f)] as usize));
        f.extend([("gate key version", 4), ("gate server key", E)]);
        gate_mode_fields(&mut f, u);
        f.push(("gate input", 32));
    }
    f.extend([("nonce", 24), ("ciphertext length", 4)]);
    let at = total(&f);
    let ct = u32::from_be_bytes(u[at - 4..at].try_into().unwrap()) as usize;
    f.push(("ciphertext", ct));
    assert_eq!(total(&f), u.len());
    f
}

/// The gate request's fields before the RFC 9497 evaluation request.
/// Gate requests and responses: the suite byte follows the prefix, then the purpose.
const PURPOSE_AT: usize = 5;
/// Key sets: the suite byte follows the prefix, then the version count.
const KEY_SET_COUNT_AT: usize = 5;

/// A suite byte this implementation does not know, in every object that carries one.
fn suite_cases<T>(
    name: &str,
    decode: impl Fn(&[u8]) -> Result<T, Error>,
    bytes: &[u8],
    object: &'static str,
) {
    for value in [0u8, raw::OTHER_SUITE, 0xff] {
        reject(
            name,
            &decode,
            &with(bytes, 4, value),
            vault(object)(DecodeError::UnknownSuite(value)),
        );
    }
}

fn gate_request_fields(q: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("suite", 1), ("purpose", 1), ("key version", 4)]);
    gate_mode_fields(&mut f, q);
    f
}

/// The gate response's fields before the RFC 9497 evaluation response.
fn gate_response_fields(q: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("suite", 1), ("purpose", 1), ("key version", 4)]);
    if q[PURPOSE_AT] == Purpose::PasswordCapsule.to_byte() {
        f.push(("guesses remaining", 1));
    }
    f
}

fn key_set_fields(k: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("suite", 1), ("version count", 1)]);
    for _ in 0..k[KEY_SET_COUNT_AT] {
        f.extend([("key version", 4), ("current generation", 1)]);
        let n = k[total(&f)];
        f.push(("key count", 1));
        for _ in 0..n {
            f.extend([("purpose", 1), ("key mode", 1), ("public key", E)]);
        }
    }
    let guard = k[total(&f)];
    f.push(("guard state", 1));
    if guard != 0 {
        f.extend([("max guesses", 1), ("guesses remaining", 1)]);
    }
    assert_eq!(total(&f), k.len());
    f
}

fn record_fields(r: &[u8]) -> Fields {
    let mut f: Fields = PREFIX.to_vec();
    f.extend([("revision", 8), ("key count", 1)]);
    for _ in 0..r[12] {
        f.extend([("key version", 4), ("generation", 4), ("material", 32)]);
        let password = r[total(&f)];
        f.push(("password material flag", 1));
        if password == 1 {
            f.push(("password material", 32));
        }
    }
    let guard = r[total(&f)];
    f.push(("guard flag", 1));
    if guard == 1 {
        f.extend([("max guesses", 1), ("attempts", 1), ("tag commitment", 32)]);
    }
    assert_eq!(total(&f), r.len());
    f
}

// ---- the tables --------------------------------------------------------------------------

/// A policy's bytes written by hand: `(id, kind, label, key id)` per holder.
fn policy_bytes(t: u8, flags: u8, holders: &[(u8, u8, &str, &str)]) -> Vec<u8> {
    let mut out = vec![t, flags, holders.len() as u8];
    for &(id, kind, label, key_id) in holders {
        out.extend_from_slice(&[id, kind, label.len() as u8]);
        out.extend_from_slice(label.as_bytes());
        if kind == 2 {
            out.push(key_id.len() as u8);
            out.extend_from_slice(key_id.as_bytes());
        }
    }
    out
}

#[test]
fn policy() {
    let decode = Policy::from_bytes;
    let d = PolicyDecodeError::Decode;
    let p = PolicyDecodeError::Policy;
    for bytes in &world().policies {
        let fields = policy_fields(bytes);
        accept("policy", decode, bytes);
        truncations("policy", decode, bytes, &expand(&fields, d));
        reject(
            "policy extended",
            decode,
            &extended(bytes),
            d(DecodeError::TrailingBytes { count: 1 }),
        );
        let count = bytes[2];
        // Threshold.
        reject(
            "t = 0",
            decode,
            &with(bytes, 0, 0),
            p(PolicyError::ThresholdTooSmall { threshold: 0 }),
        );
        reject(
            "t = 1",
            decode,
            &with(bytes, 0, 1),
            p(PolicyError::ThresholdTooSmall { threshold: 1 }),
        );
        reject(
            "t > count",
            decode,
            &with(bytes, 0, count + 1),
            p(PolicyError::ThresholdAboveHolders {
                threshold: count + 1,
                holders: count as usize,
            }),
        );
        // Flags: only 0x01 is defined, and unknown bits are the first rule checked.
        for flags in [0x02u8, 0x03, 0x80, 0xff] {
            reject(
                "unknown flags",
                decode,
                &with(bytes, 1, flags),
                p(PolicyError::UnknownFlags { flags }),
            );
        }
        reject(
            "unknown flags before t = 1",
            decode,
            &with(&with(bytes, 0, 1), 1, 0x02),
            p(PolicyError::UnknownFlags { flags: 0x02 }),
        );
        // The flag allows servers to reach t; it does not require them to.
        accept("servers-alone flag", decode, &with(bytes, 1, 0x01));
        // Count mismatch: one holder more than encoded, one fewer.
        reject(
            "count + 1",
            decode,
            &with(bytes, 2, count + 1),
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
            &with(bytes, 2, count - 1),
            d(DecodeError::TrailingBytes { count: last }),
        );
        // Ids: zero, duplicate, descending.
        let first_id = at(&fields, "holder id");
        reject(
            "zero id",
            decode,
            &with(bytes, first_id, 0),
            p(PolicyError::ZeroHolderId),
        );
        let second_id = nth(&fields, "holder id", 1);
        let id1 = bytes[first_id];
        reject(
            "duplicate id",
            decode,
            &with(bytes, second_id, id1),
            PolicyDecodeError::HoldersNotAscending { id: holder(id1) },
        );
        reject(
            "descending ids",
            decode,
            &with(bytes, first_id, bytes[second_id] + 1),
            PolicyDecodeError::HoldersNotAscending {
                id: holder(bytes[second_id]),
            },
        );
        // Unknown holder kind.
        for kind in [0u8, 4, 0xff] {
            reject(
                "unknown kind",
                decode,
                &with(bytes, first_id + 1, kind),
                d(DecodeError::UnknownValue {
                    field: "holder kind",
                    value: kind,
                }),
            );
        }
        // Label and key id of the first key-server holder: lengths, not UTF-8.
        text_field_cases(decode, bytes, first_id + 2, "holder label", 32, d);
        text_field_cases(decode, bytes, at(&fields, "key id"), "key id", 64, d);
    }
    // Key-server holders alone reaching t: several servers, or one counted twice. Allowed
    // only with the flag.
    let two_servers = [
        (1, 1, "phone", ""),
        (2, 2, "a", "a.example"),
        (3, 2, "b", "b.example"),
    ];
    let one_twice = [
        (1, 1, "phone", ""),
        (2, 2, "keys", "keys.example"),
        (3, 2, "keys again", "keys.example"),
    ];
    for holders in [&two_servers, &one_twice] {
        reject(
            "servers reach t without the flag",
            decode,
            &policy_bytes(2, 0, holders),
            p(PolicyError::ServersReachThreshold),
        );
        accept(
            "servers reach t with the flag",
            decode,
            &policy_bytes(2, 1, holders),
        );
    }
    // Devices reaching t, alone or as well as the servers: the device rule comes first.
    reject(
        "devices reach t",
        decode,
        &policy_bytes(2, 0, &[(1, 1, "a", ""), (2, 1, "b", ""), (3, 3, "c", "")]),
        p(PolicyError::DevicesReachThreshold),
    );
    reject(
        "devices and servers reach t",
        decode,
        &policy_bytes(
            2,
            0,
            &[
                (1, 1, "a", ""),
                (2, 1, "b", ""),
                (3, 2, "s", "a.example"),
                (4, 2, "t", "b.example"),
            ],
        ),
        p(PolicyError::DevicesReachThreshold),
    );
    reject(
        "devices reach t, flag set",
        decode,
        &policy_bytes(2, 1, &[(1, 1, "a", ""), (2, 1, "b", ""), (3, 3, "c", "")]),
        p(PolicyError::DevicesReachThreshold),
    );
    reject(
        "empty policy",
        decode,
        &[],
        d(DecodeError::Truncated { field: "threshold" }),
    );
    reject(
        "no flags",
        decode,
        &[2],
        d(DecodeError::Truncated {
            field: "policy flags",
        }),
    );
    reject(
        "no count",
        decode,
        &[2, 0],
        d(DecodeError::Truncated {
            field: "holder count",
        }),
    );
    reject(
        "no holders",
        decode,
        &[2, 0, 0],
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
    for header in &world().headers {
        let t = header[25] as usize;
        let bytes = header[at_commitments(header)..].to_vec();
        accept("commitments", decode, &bytes);
        let mut errors = vec![sharing::Error::CommitmentsLength {
            expected: 1 + 2 * E,
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
                expected: 1 + E * (t + 1),
                found: bytes.len(),
            },
        );
        for index in [0, t - 1] {
            let offset = 1 + E * index;
            for (name, element, error) in bad_elements(&bytes[offset..offset + E]) {
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
    for share in &world().shares {
        let bytes = share[56..].to_vec();
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
    framing_cases(name, &decode, bytes, &fields, "share");
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
    for bytes in &world().shares {
        vault_share_cases(
            "vault share",
            |b| VaultShare::from_bytes(b).map(drop),
            bytes,
        );
        vault_share_cases("card bytes", |b| ShareCard::from_bytes(b).map(drop), bytes);
    }
    done("vault share, card bytes");
}

// -- share card text ----------------------------------------------------------------------

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The card text of `share_bytes` per spec/wire-format.md §6, written independently, with
/// the checksum context and prefix of a format version. `pad` sets the final character's
/// padding bit.
fn card_text_of(share_bytes: &[u8], pad: bool, context: &str, prefix: &str) -> String {
    let mut payload = share_bytes.to_vec();
    payload.extend_from_slice(&blake3::derive_key(context, share_bytes)[..4]);
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
    format!("{prefix}{}", groups.join("-"))
}

/// The version 2 card text.
fn card_text(share_bytes: &[u8], pad: bool) -> String {
    card_text_of(
        share_bytes,
        pad,
        "quorumkey v2 card checksum",
        CARD_TEXT_PREFIX,
    )
}

#[test]
fn share_card_text() {
    let decode = |t: &[u8]| ShareCard::from_text(std::str::from_utf8(t).unwrap()).map(drop);
    let card = |e| Error::Card(e);
    let prefix = CARD_TEXT_PREFIX;
    let n = prefix.len();
    for (bytes, text) in &world().cards {
        let text = text.as_str();
        assert_eq!(&card_text(bytes, false), text);
        accept("card text", decode, text.as_bytes());
        // Documented leniencies: case, whitespace, no hyphens, O→0, I/L→1.
        accept("lower case", decode, text.to_lowercase().as_bytes());
        let spaced = format!("{prefix}{}", text[n..].replace('-', " \n\t "));
        accept("spaced", decode, spaced.as_bytes());
        let bare = format!("{prefix}{}", text[n..].replace('-', ""));
        accept("no hyphens", decode, bare.as_bytes());
        accept(
            "leading whitespace",
            decode,
            format!("\n  {text}").as_bytes(),
        );
        let ambiguous = text[n..]
            .replace('0', "O")
            .replacen('1', "I", 1)
            .replace('1', "l");
        accept("O, I, L", decode, format!("{prefix}{ambiguous}").as_bytes());
        // Every prefix.
        let mut errors = Vec::new();
        for len in 0..text.len() {
            errors.push(if len < n {
                card(CardError::Prefix)
            } else {
                let found = text[n..len].chars().filter(|c| *c != '-').count();
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
            &text.as_bytes()[n..],
            card(CardError::Prefix),
        );
        for other in ["QK3-", "QK0-", "QKX-"] {
            reject(
                "other prefix",
                decode,
                text.replacen(prefix, other, 1).as_bytes(),
                card(CardError::Prefix),
            );
        }
        reject(
            "prefix without hyphen",
            decode,
            text.replacen(prefix, prefix.trim_end_matches('-'), 1)
                .as_bytes(),
            card(CardError::Prefix),
        );
        for (c, position) in [('U', 0usize), ('*', 10), ('é', 148), ('_', 77)] {
            let mut chars: Vec<char> = text[n..].chars().filter(|c| *c != '-').collect();
            chars[position] = c;
            let t = format!("{prefix}{}", chars.iter().collect::<String>());
            reject(
                "bad character",
                decode,
                t.as_bytes(),
                card(CardError::Character { position }),
            );
        }
        // A mistyped character: the checksum catches it.
        for position in [0usize, 40, 100, 147] {
            let mut chars: Vec<char> = text[n..].chars().filter(|c| *c != '-').collect();
            chars[position] = if chars[position] == 'Z' { 'Y' } else { 'Z' };
            let t = format!("{prefix}{}", chars.iter().collect::<String>());
            reject("checksum", decode, t.as_bytes(), card(CardError::Checksum));
        }
        // The padding bit of the last character must be zero (regression: it was ignored,
        // so two texts read as the same card).
        reject(
            "padding bit set",
            decode,
            card_text(bytes, true).as_bytes(),
            card(CardError::Padding),
        );
        // A version 1 card: its prefix was `QK1-` and its checksum used the v1 context.
        // Refused by the prefix once this version's differs, else by the checksum.
        let v1 = card_text_of(
            &with(bytes, 2, 1),
            false,
            "quorumkey v1 card checksum",
            "QK1-",
        );
        let v1_error = if prefix == "QK1-" {
            CardError::Checksum
        } else {
            CardError::Prefix
        };
        reject("version 1 card", decode, v1.as_bytes(), card(v1_error));
        // A correct checksum over malformed share bytes: the share decoder's errors.
        let vs = vault("share");
        for (name, b, want) in [
            (
                "wrong type",
                with(bytes, 3, 1),
                vs(DecodeError::WrongObjectType {
                    expected: 2,
                    found: 1,
                }),
            ),
            (
                "version 1 bytes",
                with(bytes, 2, 1),
                vs(DecodeError::UnknownVersion(1)),
            ),
            ("bad magic", with(bytes, 0, 0), vs(DecodeError::BadMagic)),
            (
                "zero id",
                with(bytes, 56, 0),
                Error::Sharing(sharing::Error::ZeroHolderId),
            ),
            (
                "value n",
                splice(bytes, 57, &ORDER),
                Error::Sharing(sharing::Error::ShareValue(
                    EncodingError::NonCanonicalScalar,
                )),
            ),
            (
                "value 0",
                splice(bytes, 57, &[0; 32]),
                Error::Sharing(sharing::Error::ShareValue(EncodingError::ZeroScalar)),
            ),
        ] {
            reject(name, decode, card_text(&b, false).as_bytes(), want);
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
    let pp = |x| Error::PolicyDecode(PolicyDecodeError::Policy(x));
    for bytes in &world().headers {
        let (head, policy, t) = header_fields(bytes);
        let commitments_at = at_commitments(bytes);
        accept("header", decode, bytes);
        let mut errors = expand(&head, &e);
        errors.extend(expand(&policy, pd));
        errors.push(Error::Sharing(sharing::Error::CommitmentsLength {
            expected: 1 + 2 * E,
            found: 0,
        }));
        errors.extend((1..1 + E * t).map(|found| {
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: 1 + E * t,
                found,
            })
        }));
        truncations("header", decode, bytes, &errors);
        reject(
            "extended",
            decode,
            &extended(bytes),
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: 1 + E * t,
                found: 2 + E * t,
            }),
        );
        prefix_cases("header", decode, bytes, "vault header");
        for suite in [0u8, raw::OTHER_SUITE, 0xff] {
            reject(
                "suite",
                decode,
                &with(bytes, 4, suite),
                e(DecodeError::UnknownSuite(suite)),
            );
        }
        // Policy errors come through as Error::PolicyDecode.
        let policy_at = total(&head);
        reject(
            "policy t = 1",
            decode,
            &with(bytes, policy_at, 1),
            pp(PolicyError::ThresholdTooSmall { threshold: 1 }),
        );
        reject(
            "policy flags",
            decode,
            &with(bytes, policy_at + 1, 0x40),
            pp(PolicyError::UnknownFlags { flags: 0x40 }),
        );
        reject(
            "policy zero id",
            decode,
            &with(bytes, policy_at + 3, 0),
            pp(PolicyError::ZeroHolderId),
        );
        reject(
            "policy unknown kind",
            decode,
            &with(bytes, policy_at + 4, 9),
            pd(DecodeError::UnknownValue {
                field: "holder kind",
                value: 9,
            }),
        );
        // Commitment count ≠ policy threshold (a valid commitment list of t + 1 points).
        let mut more = bytes.clone();
        more[commitments_at] = t as u8 + 1;
        let c0 = bytes[commitments_at + 1..commitments_at + 1 + E].to_vec();
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
        // Fewer commitments than t (t - 1 ≥ 2 only in the 3-of-4 vault).
        if t > 2 {
            let mut fewer = bytes[..bytes.len() - E].to_vec();
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
            let offset = commitments_at + 1 + E * index;
            for (name, element, error) in bad_elements(&bytes[offset..offset + E]) {
                let want = match error {
                    EncodingError::IdentityElement => sharing::Error::IdentityCommitment { index },
                    _ => sharing::Error::InvalidCommitment { index },
                };
                reject(
                    name,
                    decode,
                    &splice(bytes, offset, &element),
                    Error::Sharing(want),
                );
            }
        }
    }
    done("header");
}

// -- capsule --------------------------------------------------------------------------------

/// The Argon2id parameter fields: (field, width, values refused, least, largest).
fn argon2_out_of_range() -> [(&'static str, usize, Vec<u32>, u32, u32); 3] {
    let m = (
        PasswordParams::MIN_MEMORY_KIB,
        PasswordParams::MAX_MEMORY_KIB,
    );
    let t = (
        PasswordParams::MIN_ITERATIONS,
        PasswordParams::MAX_ITERATIONS,
    );
    let p = u32::from(PasswordParams::MAX_LANES);
    [
        (
            "argon2 memory",
            4,
            vec![0, 1024, m.0 - 1, m.1 + 1, u32::MAX],
            m.0,
            m.1,
        ),
        ("argon2 passes", 4, vec![0, 1, t.1 + 1, u32::MAX], t.0, t.1),
        ("argon2 lanes", 1, vec![0, p + 1, 0xff], 1, p),
    ]
}

/// The encoding of the Argon2id floor (19 MiB, 2 passes, 1 lane): 9 bytes.
fn floor_params() -> Vec<u8> {
    let floor = fast();
    [
        &floor.memory_kib().to_be_bytes()[..],
        &floor.iterations().to_be_bytes(),
        &[floor.lanes()],
    ]
    .concat()
}

fn put_number(width: usize, value: u32) -> Vec<u8> {
    value.to_be_bytes()[4 - width..].to_vec()
}

#[test]
fn capsule() {
    let decode = Capsule::from_bytes;
    let e = vault("capsule");
    let mut password_capsules = 0;
    for bytes in &world().capsules {
        let fields = capsule_fields(bytes);
        framing_cases("capsule", decode, bytes, &fields, "capsule");
        reject(
            "zero holder id",
            decode,
            &with(bytes, at(&fields, "holder id"), 0),
            e(DecodeError::UnknownValue {
                field: "holder id",
                value: 0,
            }),
        );
        text_field_cases(decode, bytes, at(&fields, "key id"), "key id", 64, &e);
        let pk = at(&fields, "server key");
        for (name, element, error) in bad_elements(&bytes[pk..pk + E]) {
            reject(
                name,
                decode,
                &splice(bytes, pk, &element),
                e(DecodeError::Element {
                    field: "server key",
                    error,
                }),
            );
        }
        let mode = at(&fields, "gate mode");
        // 00 is RFC 9497's base mode OPRF: never a gate's.
        for value in [0u8, 3, 0xff] {
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
        if bytes[mode] == 2 {
            reject(
                "empty gate info",
                decode,
                &with(bytes, mode + 1, 0),
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
                &with(bytes, flag, value),
                e(DecodeError::UnknownValue {
                    field: "password flag",
                    value,
                }),
            );
        }
        if bytes[flag] == 1 {
            password_capsules += 1;
            // Without its flag, the 9 parameter bytes shift everything: 9 bytes too many.
            reject(
                "password flag cleared",
                decode,
                &with(bytes, flag, 0),
                e(DecodeError::TrailingBytes { count: 9 }),
            );
            // Each parameter below its floor or above its ceiling.
            for (field, width, values, min, max) in argon2_out_of_range() {
                let offset = at(&fields, field);
                for value in values {
                    reject(
                        field,
                        decode,
                        &splice(bytes, offset, &put_number(width, value)),
                        e(DecodeError::OutOfRange {
                            field,
                            value,
                            min,
                            max,
                        }),
                    );
                }
                // The floor and the ceiling themselves decode (the AEAD is what fails).
                for value in [min, max] {
                    accept(
                        field,
                        decode,
                        &splice(bytes, offset, &put_number(width, value)),
                    );
                }
            }
            // Memory is checked first, then passes, then lanes.
            let memory = at(&fields, "argon2 memory");
            let all_bad = splice(bytes, memory, &[0, 0, 0, 0, 0, 0, 0, 0, 0]);
            reject(
                "all parameters zero",
                decode,
                &all_bad,
                e(DecodeError::OutOfRange {
                    field: "argon2 memory",
                    value: 0,
                    min: PasswordParams::MIN_MEMORY_KIB,
                    max: PasswordParams::MAX_MEMORY_KIB,
                }),
            );
        } else {
            // The flag set on a capsule without parameters: the floor's 9 bytes read from
            // the gate input leave the ciphertext 9 bytes short.
            reject(
                "password flag set",
                decode,
                &splice(&with(bytes, flag, 1), flag + 1, &floor_params()),
                e(DecodeError::Truncated {
                    field: "ciphertext",
                }),
            );
        }
    }
    assert!(password_capsules > 0, "the world has password capsules");
    done("capsule");
}

// -- sealed unit ------------------------------------------------------------------------------

fn unit_cases(name: &str, bytes: &[u8]) {
    let decode = SealedUnit::from_bytes;
    let e = vault("sealed unit");
    let fields = unit_fields(bytes);
    framing_cases(name, decode, bytes, &fields, "sealed unit");
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
    let version = at(&fields, "unit version");
    reject(
        "unit version 0",
        decode,
        &splice(bytes, version, &[0; 4]),
        e(DecodeError::OutOfRange {
            field: "unit version",
            value: 0,
            min: 1,
            max: u32::MAX,
        }),
    );
    accept(
        "unit version u32::MAX",
        decode,
        &splice(bytes, version, &u32::MAX.to_be_bytes()),
    );
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
        for (case, element, error) in bad_elements(&bytes[pk..pk + E]) {
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
        if bytes[mode] == 2 {
            reject(
                "empty gate info",
                decode,
                &with(bytes, mode + 1, 0),
                e(DecodeError::FieldLength {
                    field: "gate info",
                    length: 0,
                    max: 255,
                }),
            );
        }
    }
}

#[test]
fn sealed_unit() {
    let units = &world().units;
    assert!(
        units.iter().any(|u| has(&unit_fields(u), "gate input")),
        "gated units are among the baselines"
    );
    for bytes in units {
        unit_cases("unit", bytes);
    }
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
    for (case, element, error) in bad_elements(&bytes[2..2 + E]) {
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
    let shifted = bytes[2 + E * (count + 1)];
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
    let mode_at = 2 + E * count;
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
    for (case, element, error) in bad_elements(&bytes[2..2 + E]) {
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

/// A batch message (request or response, from its count at `at`) with its first element
/// repeated until it holds `n`.
fn with_elements(bytes: &[u8], at: usize, n: usize) -> Vec<u8> {
    let count = usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]));
    let element = bytes[at + 2..at + 2 + E].to_vec();
    let extra: Vec<u8> = element.repeat(n - count);
    let out = splice(bytes, at, &(n as u16).to_be_bytes());
    insert(&out, at + 2 + E * count, &extra)
}

fn budget(purpose: Purpose, found: usize) -> Error {
    Error::ElementBudget {
        purpose,
        max: purpose.element_budget(),
        found,
    }
}

/// `GateRequest::peek` (the rate limiter's header-only read) agrees with `from_bytes` on every
/// request of the world, refuses every truncation and extension, and unlike `from_bytes`
/// does not decode the points: a corrupted element still peeks, with the same count.
#[test]
fn gate_request_peek_reads_the_header_only() {
    for bytes in &world().requests {
        let request = GateRequest::from_bytes(bytes).unwrap();
        let expected = (request.purpose(), request.evaluation_request().len());
        assert_eq!(GateRequest::peek(bytes).unwrap(), expected);
        for len in 0..bytes.len() {
            assert!(
                GateRequest::peek(&bytes[..len]).is_err(),
                "truncated to {len}"
            );
        }
        assert_eq!(
            GateRequest::peek(&extended(bytes)).unwrap_err(),
            Error::Oprf(oprf::Error::TrailingBytes)
        );
        let mut corrupted = bytes.clone();
        let last = corrupted.len() - 1;
        for value in 0..=255u8 {
            corrupted[last] = value;
            if GateRequest::from_bytes(&corrupted).is_err() {
                break;
            }
        }
        assert!(GateRequest::from_bytes(&corrupted).is_err());
        assert_eq!(GateRequest::peek(&corrupted).unwrap(), expected);
    }
}

#[test]
fn gate_request_and_oprf_request() {
    let decode = GateRequest::from_bytes;
    let e = vault("gate request");
    let password = Purpose::PasswordCapsule.to_byte();
    let mut purposes = std::collections::BTreeSet::new();
    for bytes in &world().requests {
        let fields = gate_request_fields(bytes);
        let eval_at = total(&fields);
        let count = usize::from(u16::from_be_bytes([bytes[eval_at], bytes[eval_at + 1]]));
        purposes.insert((bytes[PURPOSE_AT], count > 1));
        let mut errors = expand(&fields, &e);
        errors.extend(vec![
            Error::Oprf(oprf::Error::Truncated);
            bytes.len() - eval_at
        ]);
        accept("gate request", decode, bytes);
        truncations("gate request", decode, bytes, &errors);
        reject(
            "extended",
            decode,
            &extended(bytes),
            Error::Oprf(oprf::Error::TrailingBytes),
        );
        prefix_cases("gate request", decode, bytes, "gate request");
        suite_cases("gate request suite", decode, bytes, "gate request");
        for value in [0u8, 4, 0xff] {
            reject(
                "purpose",
                decode,
                &with(bytes, PURPOSE_AT, value),
                e(DecodeError::UnknownValue {
                    field: "purpose",
                    value,
                }),
            );
        }
        let mode = at(&fields, "gate mode");
        for value in [0u8, 3, 0xff] {
            reject(
                "mode",
                decode,
                &with(bytes, mode, value),
                e(DecodeError::UnknownValue {
                    field: "gate mode",
                    value,
                }),
            );
        }
        if bytes[mode] == 2 {
            reject(
                "empty info",
                decode,
                &with(bytes, mode + 1, 0),
                e(DecodeError::FieldLength {
                    field: "gate info",
                    length: 0,
                    max: 255,
                }),
            );
        }
        for (case, element, error) in bad_elements(&bytes[eval_at + 2..eval_at + 2 + E]) {
            reject(
                case,
                decode,
                &splice(bytes, eval_at + 2, &element),
                Error::Oprf(oprf::Error::Encoding(error)),
            );
        }
        reject(
            "empty batch",
            decode,
            &splice(bytes, eval_at, &[0, 0]),
            Error::Oprf(oprf::Error::EmptyBatch),
        );
        // The element budget: one element per password request (one guess), 256 else.
        let purpose = Purpose::from_byte(bytes[PURPOSE_AT]).unwrap();
        if purpose == Purpose::PasswordCapsule {
            for n in [2, 256] {
                reject(
                    "password request over budget",
                    decode,
                    &with_elements(bytes, eval_at, n),
                    budget(purpose, n),
                );
            }
        } else {
            accept("full batch", decode, &with_elements(bytes, eval_at, 256));
            // Relabelled as a password request: within budget only with one element.
            let relabelled = with(bytes, PURPOSE_AT, password);
            if count > 1 {
                reject(
                    "relabelled batch",
                    decode,
                    &relabelled,
                    budget(Purpose::PasswordCapsule, count),
                );
            } else {
                accept("relabelled single", decode, &relabelled);
            }
        }
        reject(
            "257 elements",
            decode,
            &with_elements(bytes, eval_at, 257),
            Error::Oprf(oprf::Error::BatchTooLarge),
        );
        oprf_request_cases(
            "oprf request",
            EvaluationRequest::from_bytes,
            &bytes[eval_at..],
        );
    }
    // Every purpose, and batches, are among the baselines.
    for want in [(1, false), (2, false), (3, true)] {
        assert!(purposes.contains(&want), "{want:?}");
    }
    done("gate request, oprf request");
}

#[test]
fn gate_response_and_oprf_response() {
    let decode = GateResponse::from_bytes;
    let e = vault("gate response");
    let mut guesses_seen = 0;
    for bytes in &world().responses {
        let fields = gate_response_fields(bytes);
        let eval_at = total(&fields);
        let mut errors = expand(&fields, &e);
        errors.extend(vec![
            Error::Oprf(oprf::Error::Truncated);
            bytes.len() - eval_at
        ]);
        accept("gate response", decode, bytes);
        truncations("gate response", decode, bytes, &errors);
        reject(
            "extended",
            decode,
            &extended(bytes),
            Error::Oprf(oprf::Error::TrailingBytes),
        );
        prefix_cases("gate response", decode, bytes, "gate response");
        suite_cases("gate response suite", decode, bytes, "gate response");
        for value in [0u8, 4, 0xff] {
            reject(
                "purpose",
                decode,
                &with(bytes, PURPOSE_AT, value),
                e(DecodeError::UnknownValue {
                    field: "purpose",
                    value,
                }),
            );
        }
        let purpose = Purpose::from_byte(bytes[PURPOSE_AT]).unwrap();
        if purpose == Purpose::PasswordCapsule {
            guesses_seen += 1;
            let guesses = at(&fields, "guesses remaining");
            // Any count of guesses decodes; what it means is the client's business.
            for left in [0u8, 1, 0xff] {
                accept("guesses", decode, &with(bytes, guesses, left));
            }
            for n in [2, 256] {
                reject(
                    "password response over budget",
                    decode,
                    &with_elements(bytes, eval_at, n),
                    budget(purpose, n),
                );
            }
            // Relabelled as a capsule response: the guesses byte becomes the count's high
            // byte (count 00 01 → g·256).
            for (g, want) in [
                (0u8, oprf::Error::EmptyBatch),
                (1, oprf::Error::Truncated),
                (2, oprf::Error::BatchTooLarge),
            ] {
                let relabelled = with(&with(bytes, PURPOSE_AT, 1), guesses, g);
                reject("relabelled", decode, &relabelled, Error::Oprf(want));
            }
        } else {
            // Relabelled as a password response: the count's high byte (00) is read as the
            // guesses, and the count as (low byte, first element byte): > 256 with P-256's
            // element tag; in ristretto255 the first byte is anything.
            let relabelled = with(bytes, PURPOSE_AT, Purpose::PasswordCapsule.to_byte());
            let count = u16::from_be_bytes([bytes[eval_at + 1], bytes[eval_at + 2]]);
            if count > 256 {
                reject(
                    "relabelled",
                    decode,
                    &relabelled,
                    Error::Oprf(oprf::Error::BatchTooLarge),
                );
            } else {
                assert!(decode(&relabelled).is_err(), "relabelled response accepted");
            }
            accept("full batch", decode, &with_elements(bytes, eval_at, 256));
        }
        for (case, element, error) in bad_elements(&bytes[eval_at + 2..eval_at + 2 + E]) {
            reject(
                case,
                decode,
                &splice(bytes, eval_at + 2, &element),
                Error::Oprf(oprf::Error::Encoding(error)),
            );
        }
        reject(
            "proof c = n",
            decode,
            &splice(bytes, bytes.len() - 64, &ORDER),
            Error::Oprf(oprf::Error::Encoding(EncodingError::NonCanonicalScalar)),
        );
        oprf_response_cases(
            "oprf response",
            EvaluationResponse::from_bytes,
            &bytes[eval_at..],
        );
    }
    assert!(guesses_seen > 0);
    done("gate response, oprf response");
}

// -- recovery kit -----------------------------------------------------------------------------

#[test]
fn recovery_kit() {
    let decode = RecoveryKit::from_bytes;
    let e = vault("recovery kit");
    let w = world();
    for bytes in &w.kits {
        let kit = RecoveryKit::from_bytes(bytes).unwrap();
        let header = kit.header().to_bytes();
        let capsules: Vec<Vec<u8>> = kit.capsules().iter().map(Capsule::to_bytes).collect();
        let mut fields: Fields = PREFIX.to_vec();
        fields.extend([
            ("header length", 4),
            ("header", header.len()),
            ("capsule count", 1),
        ]);
        for c in &capsules {
            fields.extend([("capsule length", 2), ("capsule", c.len())]);
        }
        framing_cases("kit", decode, bytes, &fields, "recovery kit");
        let count_at = at(&fields, "capsule count");
        let n = capsules.len() as u8;
        reject(
            "count + 1",
            decode,
            &with(bytes, count_at, n + 1),
            e(DecodeError::Truncated {
                field: "capsule length",
            }),
        );
        reject(
            "count - 1",
            decode,
            &with(bytes, count_at, n - 1),
            e(DecodeError::TrailingBytes {
                count: 2 + capsules.last().unwrap().len(),
            }),
        );
        reject(
            "header length + 1",
            decode,
            &splice(bytes, 4, &(header.len() as u32 + 1).to_be_bytes()),
            // The header swallows the capsule count byte: its commitments are one too long.
            Error::Sharing(sharing::Error::CommitmentsLength {
                expected: header.len() - at_commitments(&header),
                found: header.len() - at_commitments(&header) + 1,
            }),
        );
        reject(
            "header length huge",
            decode,
            &splice(bytes, 4, &u32::MAX.to_be_bytes()),
            e(DecodeError::Truncated { field: "header" }),
        );
        // The parts' own errors come through unwrapped.
        reject(
            "header suite",
            decode,
            &with(bytes, 8 + 4, 9),
            vault("vault header")(DecodeError::UnknownSuite(9)),
        );
        reject(
            "header version 1",
            decode,
            &with(bytes, 8 + 2, 1),
            vault("vault header")(DecodeError::UnknownVersion(1)),
        );
        let cap = at(&fields, "capsule");
        reject(
            "capsule type",
            decode,
            &with(bytes, cap + 3, 1),
            vault("capsule")(DecodeError::WrongObjectType {
                expected: 3,
                found: 1,
            }),
        );
        reject(
            "capsule version 1",
            decode,
            &with(bytes, cap + 2, 1),
            vault("capsule")(DecodeError::UnknownVersion(1)),
        );
        let cap_len = at(&fields, "capsule length");
        let c0 = capsules[0].len() as u16;
        reject(
            "capsule length - 1",
            decode,
            &splice(bytes, cap_len, &(c0 - 1).to_be_bytes()),
            vault("capsule")(DecodeError::Truncated {
                field: "ciphertext",
            }),
        );
        let capsule_fields = capsule_fields(&capsules[0]);
        if has(&capsule_fields, "argon2 memory") {
            let memory = cap + at(&capsule_fields, "argon2 memory");
            reject(
                "capsule argon2 memory",
                decode,
                &splice(bytes, memory, &1024u32.to_be_bytes()),
                vault("capsule")(DecodeError::OutOfRange {
                    field: "argon2 memory",
                    value: 1024,
                    min: PasswordParams::MIN_MEMORY_KIB,
                    max: PasswordParams::MAX_MEMORY_KIB,
                }),
            );
        }
        // Capsules that do not belong to the header.
        let holder_at = cap + at(&capsule_fields, "holder id");
        let id = bytes[holder_at];
        let epoch_at = cap + at(&capsule_fields, "epoch");
        reject(
            "stale capsule",
            decode,
            &splice(bytes, epoch_at, &7u32.to_be_bytes()),
            Error::StaleEpoch {
                holder: holder(id),
                found: 7,
                expected: 0,
            },
        );
        let vault_at = cap + at(&capsule_fields, "vault id");
        reject(
            "other vault",
            decode,
            &with(bytes, vault_at, bytes[vault_at] ^ 1),
            Error::WrongVault { holder: holder(id) },
        );
        reject(
            "unknown holder",
            decode,
            &with(bytes, holder_at, 9),
            Error::UnknownHolder(holder(9)),
        );
        // Holder 1 is a device in every baseline policy.
        reject(
            "device holder",
            decode,
            &with(bytes, holder_at, 1),
            Error::WrongHolderKind(holder(1)),
        );
        // Key id differing from the policy's (same length).
        let key_id_at = cap + at(&capsule_fields, "key id") + 1;
        reject(
            "other key id",
            decode,
            &with(bytes, key_id_at, bytes[key_id_at] ^ 0x20),
            Error::KeyIdMismatch { holder: holder(id) },
        );
    }
    // A capsule of the second vault in a kit for the first one's header.
    let kit0 = RecoveryKit::from_bytes(&w.kits[0]).unwrap();
    let kit1 = RecoveryKit::from_bytes(&w.kits[1]).unwrap();
    let kit_bytes = |capsules: &[&Capsule]| {
        let header = kit0.header().to_bytes();
        let mut bytes = b"QK\x02\x07".to_vec();
        bytes.extend_from_slice(&(header.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&header);
        bytes.push(capsules.len() as u8);
        for c in capsules {
            let c = c.to_bytes();
            bytes.extend_from_slice(&(c.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&c);
        }
        bytes
    };
    let stranger = &kit1.capsules()[0];
    reject(
        "capsule of another vault",
        decode,
        &kit_bytes(&[stranger]),
        Error::WrongVault {
            holder: stranger.holder(),
        },
    );
    // Documented leniency (spec/wire-format.md §10): a capsule given twice is accepted by the
    // kit; Unlock::start rejects the pair with DuplicateHolder.
    let own = &kit0.capsules()[0];
    accept("capsule twice", decode, &kit_bytes(&[own, own]));
    accept("no capsule", decode, &kit_bytes(&[]));
    done("recovery kit");
}

// -- key set ----------------------------------------------------------------------------------

#[test]
fn key_set() {
    let decode = KeySet::from_bytes;
    let e = vault("key set");
    let mut guards = std::collections::BTreeSet::new();
    for bytes in &world().key_sets {
        let fields = key_set_fields(bytes);
        framing_cases("key set", decode, bytes, &fields, "key set");
        suite_cases("key set suite", decode, bytes, "key set");
        let count = bytes[KEY_SET_COUNT_AT];
        for value in [0u8, 9, 0xff] {
            reject(
                "version count",
                decode,
                &with(bytes, KEY_SET_COUNT_AT, value),
                e(DecodeError::FieldLength {
                    field: "version count",
                    length: usize::from(value),
                    max: 8,
                }),
            );
        }
        // One version more than encoded: the guard's 1 or 3 bytes are no key version.
        reject(
            "version count + 1",
            decode,
            &with(bytes, KEY_SET_COUNT_AT, count + 1),
            e(DecodeError::Truncated {
                field: "key version",
            }),
        );
        let guard = at(&fields, "guard state");
        if count > 1 {
            // One fewer: the last version's number (00…) is read as guard state "off", so a
            // set listing password keys (6 per version) no longer has the keys of its guard.
            let last = nth(&fields, "key version", usize::from(count) - 1);
            let keys = bytes[at(&fields, "key count")];
            reject(
                "version count - 1",
                decode,
                &with(bytes, KEY_SET_COUNT_AT, count - 1),
                e(if keys == 6 {
                    DecodeError::OutOfRange {
                        field: "key count",
                        value: 6,
                        min: 4,
                        max: 4,
                    }
                } else {
                    DecodeError::TrailingBytes {
                        count: bytes.len() - last - 1,
                    }
                }),
            );
            // Versions must be strictly ascending.
            let second = nth(&fields, "key version", 1);
            let first = bytes[at(&fields, "key version")..][..4].to_vec();
            for version in [first.clone(), vec![0; 4]] {
                reject(
                    "versions not ascending",
                    decode,
                    &splice(bytes, second, &version),
                    e(DecodeError::NotAscending {
                        field: "key version",
                    }),
                );
            }
        }
        let current = at(&fields, "current generation");
        for value in [2u8, 0xff] {
            reject(
                "current flag",
                decode,
                &with(bytes, current, value),
                e(DecodeError::UnknownValue {
                    field: "current generation",
                    value,
                }),
            );
        }
        let key_count = at(&fields, "key count");
        for value in [0u8, 7, 0xff] {
            reject(
                "key count",
                decode,
                &with(bytes, key_count, value),
                e(DecodeError::FieldLength {
                    field: "key count",
                    length: usize::from(value),
                    max: 6,
                }),
            );
        }
        let purpose = at(&fields, "purpose");
        for value in [0u8, 4, 0xff] {
            reject(
                "purpose",
                decode,
                &with(bytes, purpose, value),
                e(DecodeError::UnknownValue {
                    field: "purpose",
                    value,
                }),
            );
        }
        let mode = at(&fields, "key mode");
        // 00 is base mode OPRF: never a gate's key.
        for value in [0u8, 3, 0xff] {
            reject(
                "key mode",
                decode,
                &with(bytes, mode, value),
                e(DecodeError::UnknownValue {
                    field: "key mode",
                    value,
                }),
            );
        }
        // Keys strictly ascending by (purpose, mode): the first two are (01, 01), (01, 02).
        assert_eq!(
            (
                bytes[purpose],
                bytes[mode],
                bytes[nth(&fields, "key mode", 1)]
            ),
            (1, 1, 2)
        );
        let order = e(DecodeError::NotAscending { field: "key" });
        reject(
            "keys repeated",
            decode,
            &with(bytes, nth(&fields, "key mode", 1), 1),
            order,
        );
        reject("keys out of order", decode, &with(bytes, mode, 2), order);
        let pk = at(&fields, "public key");
        for (case, element, error) in bad_elements(&bytes[pk..pk + E]) {
            reject(
                case,
                decode,
                &splice(bytes, pk, &element),
                e(DecodeError::Element {
                    field: "public key",
                    error,
                }),
            );
        }
        for value in [3u8, 0xff] {
            reject(
                "guard state",
                decode,
                &with(bytes, guard, value),
                e(DecodeError::UnknownValue {
                    field: "guard state",
                    value,
                }),
            );
        }
        guards.insert(bytes[guard]);
        match bytes[guard] {
            0 => reject(
                "guard on without its numbers",
                decode,
                &with(bytes, guard, 1),
                e(DecodeError::Truncated {
                    field: "max guesses",
                }),
            ),
            1 => {
                let (max, left) = (bytes[guard + 1], bytes[guard + 2]);
                let range = |value: u8, max: u8| {
                    e(DecodeError::OutOfRange {
                        field: "guesses remaining",
                        value: u32::from(value),
                        min: 1,
                        max: u32::from(max),
                    })
                };
                reject(
                    "max guesses 0",
                    decode,
                    &with(bytes, guard + 1, 0),
                    range(left, 0),
                );
                reject(
                    "no guess left while active",
                    decode,
                    &with(bytes, guard + 2, 0),
                    range(0, max),
                );
                reject(
                    "more left than the max",
                    decode,
                    &with(bytes, guard + 2, max + 1),
                    range(max + 1, max),
                );
                // An active guard's set lists password keys, which neither an "off" nor a
                // "burned" guard has: the key list is checked once the guard is read.
                let password_keys_without_a_live_guard = e(DecodeError::OutOfRange {
                    field: "key count",
                    value: 6,
                    min: 4,
                    max: 4,
                });
                reject(
                    "guard off with numbers",
                    decode,
                    &with(bytes, guard, 0),
                    password_keys_without_a_live_guard,
                );
                reject(
                    "burned, with password keys",
                    decode,
                    &splice(bytes, guard, &[2, max, 0]),
                    password_keys_without_a_live_guard,
                );
            }
            _ => {
                let range = |value: u8| {
                    e(DecodeError::OutOfRange {
                        field: "guesses remaining",
                        value: u32::from(value),
                        min: 0,
                        max: 0,
                    })
                };
                reject(
                    "guesses left after the burn",
                    decode,
                    &with(bytes, guard + 2, 1),
                    range(1),
                );
                reject(
                    "burned at max 0",
                    decode,
                    &with(bytes, guard + 1, 0),
                    range(0),
                );
            }
        }
    }
    assert_eq!(guards.into_iter().collect::<Vec<_>>(), [0, 1, 2]);
    done("key set");
}

// -- password setup, unlock proof, tag change -----------------------------------------------------

#[test]
fn password_setup() {
    let decode = PasswordSetup::from_bytes;
    let e = vault("password setup");
    for bytes in &world().setups {
        let mut fields: Fields = PREFIX.to_vec();
        fields.extend([("max guesses", 1), ("tag commitment", 32)]);
        framing_cases("password setup", decode, bytes, &fields, "password setup");
        reject(
            "max guesses 0",
            decode,
            &with(bytes, 4, 0),
            e(DecodeError::OutOfRange {
                field: "max guesses",
                value: 0,
                min: 1,
                max: 255,
            }),
        );
        // The decoder takes any limit; the key server enforces its own (see below).
        accept("max guesses 255", decode, &with(bytes, 4, 255));
    }
    done("password setup");
}

#[test]
fn unlock_proof_and_tag_change() {
    for bytes in &world().proofs {
        let mut fields: Fields = PREFIX.to_vec();
        fields.push(("unlock tag", 32));
        framing_cases(
            "unlock proof",
            UnlockProof::from_bytes,
            bytes,
            &fields,
            "unlock proof",
        );
    }
    for bytes in &world().tag_changes {
        let mut fields: Fields = PREFIX.to_vec();
        fields.extend([("old unlock tag", 32), ("new tag commitment", 32)]);
        framing_cases(
            "tag change",
            TagChange::from_bytes,
            bytes,
            &fields,
            "tag change",
        );
    }
    done("unlock proof, tag change");
}

// -- user record ------------------------------------------------------------------------------

#[test]
fn user_record() {
    let decode = UserRecord::from_bytes;
    let e = vault("user record");
    let flag_error = |value| {
        e(DecodeError::UnknownValue {
            field: "password material flag",
            value,
        })
    };
    let mut kinds = std::collections::BTreeSet::new();
    for bytes in &world().records {
        let fields = record_fields(bytes);
        framing_cases("user record", decode, bytes, &fields, "user record");
        accept(
            "revision u64::MAX",
            decode,
            &splice(bytes, 4, &u64::MAX.to_be_bytes()),
        );
        let count = bytes[12];
        for value in [0u8, 9, 0xff] {
            reject(
                "key count",
                decode,
                &with(bytes, 12, value),
                e(DecodeError::FieldLength {
                    field: "key count",
                    length: usize::from(value),
                    max: 8,
                }),
            );
        }
        // One key more than encoded: the guard's bytes (1, or 35) are read as a key.
        let guard = at(&fields, "guard flag");
        let field = match bytes.len() - guard {
            0..4 => "key version",
            4..8 => "generation",
            _ => "material",
        };
        reject(
            "key count + 1",
            decode,
            &with(bytes, 12, count + 1),
            e(DecodeError::Truncated { field }),
        );
        let flag = at(&fields, "password material flag");
        for value in [2u8, 0xff] {
            reject(
                "password material flag",
                decode,
                &with(bytes, flag, value),
                flag_error(value),
            );
        }
        for value in [2u8, 0xff] {
            reject(
                "guard flag",
                decode,
                &with(bytes, guard, value),
                e(DecodeError::UnknownValue {
                    field: "guard flag",
                    value,
                }),
            );
        }
        if count > 1 {
            let second = nth(&fields, "key version", 1);
            let first = bytes[at(&fields, "key version")..][..4].to_vec();
            for version in [first, vec![0; 4]] {
                reject(
                    "versions not ascending",
                    decode,
                    &splice(bytes, second, &version),
                    e(DecodeError::NotAscending {
                        field: "key version",
                    }),
                );
            }
        }
        let with_material = has(&fields, "password material");
        if bytes[guard] == 0 {
            kinds.insert("off");
            // Password material without a guard.
            let material = insert(&with(bytes, flag, 1), flag + 1, &[7; 32]);
            reject("material without guard", decode, &material, flag_error(1));
            continue;
        }
        let (max, attempts) = (bytes[guard + 1], bytes[guard + 2]);
        let attempts_range = |value: u8, max: u8| {
            e(DecodeError::OutOfRange {
                field: "attempts",
                value: u32::from(value),
                min: 0,
                max: u32::from(max),
            })
        };
        reject(
            "max guesses 0",
            decode,
            &with(bytes, guard + 1, 0),
            e(DecodeError::OutOfRange {
                field: "max guesses",
                value: 0,
                min: 1,
                max: 255,
            }),
        );
        reject(
            "attempts above max",
            decode,
            &with(bytes, guard + 2, max + 1),
            attempts_range(max + 1, max),
        );
        reject(
            "no guard, but its bytes",
            decode,
            &with(bytes, guard, 0),
            if with_material {
                flag_error(1)
            } else {
                e(DecodeError::TrailingBytes { count: 34 })
            },
        );
        if attempts < max {
            kinds.insert("live");
            assert!(with_material);
            // Burned (attempts = max) while the material is still there.
            reject(
                "burned with material",
                decode,
                &with(bytes, guard + 2, max),
                flag_error(1),
            );
            // A live guard where one version lacks its password material.
            let missing = remove(&with(bytes, flag, 0), flag + 1, 32);
            reject("live without material", decode, &missing, flag_error(0));
        } else {
            kinds.insert("burned");
            assert!(!with_material);
            // Live again (one attempt fewer) without material.
            reject(
                "live without material",
                decode,
                &with(bytes, guard + 2, max - 1),
                flag_error(0),
            );
        }
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    done("user record");
}

// -- the key server's entry point ------------------------------------------------------------

/// Malformed bodies and inputs given to `KeyServer::handle`: each is refused with the
/// decoder's (or the check's) exact error, before anything is evaluated or written.
#[test]
fn keyserver_operations() {
    let f = fixture::fixture::<super::Suite>();
    let w = world();
    let call = |operation: Operation<'_>| {
        f.server
            .handle(fixture::USER, Some(&f.record), operation, &mut rng(0))
            .map(drop)
    };
    let evaluate = |b: &[u8]| call(Operation::Evaluate(b));
    let set_password = |b: &[u8]| call(Operation::SetPassword(b));
    let confirm = |b: &[u8]| call(Operation::ConfirmUnlock(b));
    let change_tag = |b: &[u8]| call(Operation::ChangeTag(b));

    let version_one = |object| vault(object)(DecodeError::UnknownVersion(1));
    reject(
        "v1 gate request",
        evaluate,
        &with(&f.unlock_request, 2, 1),
        version_one("gate request"),
    );
    let guess = raw_request(Purpose::PasswordCapsule, 1, &GateMode::Voprf, 1, 90);
    let at = total(&gate_request_fields(&guess));
    reject(
        "two guesses in one request",
        evaluate,
        &with_elements(&guess, at, 2),
        budget(Purpose::PasswordCapsule, 2),
    );
    reject(
        "unknown key version",
        evaluate,
        &splice(&guess, PURPOSE_AT + 1, &99u32.to_be_bytes()),
        Error::UnknownKeyVersion { version: 99 },
    );
    reject(
        "mode OPRF",
        evaluate,
        &with(&guess, PURPOSE_AT + 5, 0),
        vault("gate request")(DecodeError::UnknownValue {
            field: "gate mode",
            value: 0,
        }),
    );
    let setup = &f.password_setup;
    reject(
        "truncated setup",
        set_password,
        &setup[..setup.len() - 1],
        vault("password setup")(DecodeError::Truncated {
            field: "tag commitment",
        }),
    );
    reject(
        "setup for 0 guesses",
        set_password,
        &with(setup, 4, 0),
        vault("password setup")(DecodeError::OutOfRange {
            field: "max guesses",
            value: 0,
            min: 1,
            max: 255,
        }),
    );
    reject(
        "setup for more guesses than allowed",
        set_password,
        &with(setup, 4, 11),
        Error::MaxGuesses {
            requested: 11,
            limit: qk::keyserver::DEFAULT_MAX_GUESSES,
        },
    );
    reject(
        "v1 setup",
        set_password,
        &with(setup, 2, 1),
        version_one("password setup"),
    );
    reject(
        "v1 proof",
        confirm,
        &with(&f.unlock_proof, 2, 1),
        version_one("unlock proof"),
    );
    reject(
        "proof given as a tag change",
        change_tag,
        &f.unlock_proof,
        vault("tag change")(DecodeError::WrongObjectType {
            expected: 0x0b,
            found: 0x0a,
        }),
    );
    reject(
        "extended tag change",
        change_tag,
        &extended(&f.tag_change),
        vault("tag change")(DecodeError::TrailingBytes { count: 1 }),
    );
    reject(
        "v1 tag change",
        change_tag,
        &with(&f.tag_change, 2, 1),
        version_one("tag change"),
    );
    // Well-formed, but a tag that is not the vault's.
    reject(
        "wrong tag",
        confirm,
        &splice(&f.unlock_proof, 4, &[0; 32]),
        Error::UnlockTagMismatch,
    );
    // The user id framing the keys: 1..=255 bytes.
    let user = |b: &[u8]| {
        f.server
            .handle(b, Some(&f.record), Operation::GetKeys, &mut rng(0))
            .map(drop)
    };
    for length in [0usize, 256] {
        reject(
            "user id length",
            user,
            &vec![b'u'; length],
            Error::UserIdLength { length },
        );
    }
    accept("user id of 255 bytes", user, &[b'u'; 255]);
    // Every baseline request is evaluated or refused for a reason that is not its framing.
    for q in &w.requests {
        if let Err(error) = evaluate(q) {
            panic!("baseline request refused: {error:?}");
        }
    }
    done("key server operations");
}

/// One object given to another object's decoder: `WrongObjectType` everywhere.
#[test]
fn objects_swapped() {
    let w = world();
    let objects: Vec<(u8, &[u8])> = vec![
        (1, &w.headers[0]),
        (2, &w.shares[0]),
        (3, &w.capsules[0]),
        (4, &w.units[0]),
        (5, &w.requests[0]),
        (6, &w.responses[0]),
        (7, &w.kits[0]),
        (8, &w.key_sets[0]),
        (9, &w.setups[0]),
        (0x0a, &w.proofs[0]),
        (0x0b, &w.tag_changes[0]),
        (0x0c, &w.records[0]),
    ];
    for (kind, bytes) in &objects {
        assert_eq!(bytes[3], *kind);
    }
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
        (8, "key set", |b| KeySet::from_bytes(b).map(drop)),
        (9, "password setup", |b| {
            PasswordSetup::from_bytes(b).map(drop)
        }),
        (0x0a, "unlock proof", |b| {
            UnlockProof::from_bytes(b).map(drop)
        }),
        (0x0b, "tag change", |b| TagChange::from_bytes(b).map(drop)),
        (0x0c, "user record", |b| UserRecord::from_bytes(b).map(drop)),
    ];
    for (expected, object, decode) in &decoders {
        for (found, bytes) in &objects {
            if found == expected {
                accept(object, decode, bytes);
            } else {
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
        // The same object from format version 1: refused by its version first.
        let own = objects.iter().find(|(k, _)| k == expected).unwrap().1;
        reject(
            "version 1",
            decode,
            &with(own, 2, 1),
            Error::Decode {
                object,
                error: DecodeError::UnknownVersion(1),
            },
        );
    }
    done("swapped objects");
}
