//! The protocol vectors of one suite: see `tests/protocol_vectors.rs`.

use std::convert::Infallible;

use super::qk;
use super::raw::{self, element, poly, scalar};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use qk::gate::{GateMode, GateRequest, GateResponse, PasswordParams, Purpose, ServerRequest};
use qk::keyserver::{KeyServer, KeySet, Operation, UserRecord};
use qk::oprf::{Mode, ServerKey, hash_to_group};

/// An OPRF output of the suite (`Nh` bytes).
type Output = <super::Suite as quorumkey::suite::Suite>::OutputBytes;
use qk::policy::Policy;
use qk::sharing::HolderId;
use qk::vault::{
    CARD_TEXT_PREFIX, Enrollment, KeyServerSetup, Password, RecoveryKit, ShareCard, Trust,
    UnitRead, Unlock,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};
use serde_json::{Value, json};

const CHECKED_IN: &str = super::CHECKED_IN;

/// The user every vector's key servers serve.
const USER: &[u8] = b"user-42";
/// The audit chain's timestamps: 2026-01-01T00:00:00Z, then one second per event.
const T0_MS: u64 = 1_767_225_600_000;
/// The password of the password vectors, stretched at the Argon2id floor to stay cheap.
const PASSWORD: &[u8] = b"correct horse battery staple";

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

// ---- recorded randomness ----------------------------------------------------------------

/// One party's RNG: `ChaCha20Rng::from_seed(seed)` (the ChaCha20 keystream under key `seed`,
/// nonce 0, block counter from 0), recording every draw until the caller names it.
struct Recorder {
    party: String,
    seed: [u8; 32],
    rng: ChaCha20Rng,
    unnamed: Vec<Vec<u8>>,
    log: Vec<Value>,
    stream: Vec<u8>,
}

impl Recorder {
    fn new(party: &str, seed: [u8; 32]) -> Self {
        Self {
            party: party.to_owned(),
            seed,
            rng: ChaCha20Rng::from_seed(seed),
            unnamed: Vec::new(),
            log: Vec::new(),
            stream: Vec::new(),
        }
    }

    /// Names the draws made since the last call, one name per draw (the count must match:
    /// that is the documented draw order of `call`), and returns their bytes.
    fn took(&mut self, call: &str, whats: &[&str]) -> Vec<Vec<u8>> {
        let draws = std::mem::take(&mut self.unnamed);
        assert_eq!(
            draws.iter().map(Vec::len).collect::<Vec<_>>().len(),
            whats.len(),
            "{}: {call} drew {:?}, expected {whats:?}",
            self.party,
            draws.iter().map(Vec::len).collect::<Vec<_>>()
        );
        for (what, bytes) in whats.iter().zip(&draws) {
            self.log
                .push(json!({ "call": call, "what": what, "bytes": h(bytes) }));
        }
        draws
    }

    fn summary(&self) -> Value {
        assert!(self.unnamed.is_empty(), "{}: unnamed draws", self.party);
        json!({
            "party": self.party,
            "seed": h(&self.seed),
            "draws": self.log,
        })
    }
}

impl TryRng for Recorder {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("quorumkey draws bytes only")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("quorumkey draws bytes only")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(
            dst.len() % 4,
            0,
            "every draw is a whole number of 32-bit words"
        );
        self.rng.fill_bytes(dst);
        self.unnamed.push(dst.to_vec());
        self.stream.extend_from_slice(dst);
        Ok(())
    }
}

impl TryCryptoRng for Recorder {}

// ---- a key server with its store and audit log --------------------------------------------

struct Ks {
    key_id: &'static str,
    master_seed: [u8; 32],
    server: KeyServer,
    record: Option<UserRecord>,
    rng: Recorder,
    records: Vec<Value>,
    key_sets: Vec<Value>,
    audit: Vec<Value>,
    chain: [u8; 32],
    /// `(version, material, password material)` as drawn.
    materials: Vec<(u32, Vec<u8>, Option<Vec<u8>>)>,
}

impl Ks {
    fn new(key_id: &'static str, master_seed: [u8; 32], rng_seed: [u8; 32]) -> Self {
        Self {
            key_id,
            master_seed,
            server: KeyServer::new(master_seed),
            record: None,
            rng: Recorder::new(&format!("key server {key_id}"), rng_seed),
            records: Vec::new(),
            key_sets: Vec::new(),
            audit: Vec::new(),
            chain: [0; 32],
            materials: Vec::new(),
        }
    }

    /// Handles `op` as a deployed server does: handle, store the update, release; names
    /// the draws `whats` and logs the record, key set and audit event.
    fn call(&mut self, name: &str, op: Operation<'_>, whats: &[&str]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let outcome = self
            .server
            .handle_in(super::SUITE, USER, self.record.as_ref(), op, &mut self.rng)
            .unwrap();
        let draws = self.rng.took(&format!("KeyServer::handle({name})"), whats);
        let update = outcome.record_update().cloned();
        if let Some(update) = &update {
            self.records.push(json!({
                "after": name,
                "revision": update.revision(),
                "bytes": h(&update.to_secret_bytes()),
            }));
            self.record = Some(update.clone());
        }
        let released = outcome.release(update.as_ref()).unwrap();
        if let Some(event) = released.audit {
            let seq = self.audit.len() as u64 + 1;
            let time_ms = T0_MS + 1000 * seq;
            let link = event.chain(&self.chain, seq, time_ms);
            self.audit.push(json!({
                "seq": seq,
                "time_ms": time_ms,
                "action": event.action.name(),
                "bytes": h(&event.to_bytes()),
                "chain": h(&link),
            }));
            self.chain = link;
        }
        if KeySet::from_bytes(&released.body).is_ok() {
            self.key_sets
                .push(json!({ "after": name, "bytes": h(&released.body) }));
        }
        (released.body, draws)
    }

    fn key_set(&mut self) -> KeySet {
        KeySet::from_bytes(&self.call("GetKeys", Operation::GetKeys, &[]).0).unwrap()
    }

    /// Evaluates a gate request; one draw, the proof nonce.
    fn evaluate(&mut self, request: &ServerRequest) -> (Vec<u8>, GateResponse, Vec<u8>) {
        let bytes = request.request.to_bytes();
        let (body, mut draws) =
            self.call("Evaluate", Operation::Evaluate(&bytes), &["proof nonce"]);
        let response = GateResponse::from_bytes(&body).unwrap();
        (bytes, response, draws.remove(0))
    }

    /// The user's key for `(version, purpose, mode)`, derived here from the drawn materials
    /// by the info layout of spec/protocol.md §3.6, checked against the served key set.
    fn key(&self, version: u32, purpose: Purpose, mode: Mode) -> (Value, ServerKey) {
        let (_, material, password) = self
            .materials
            .iter()
            .find(|(v, _, _)| *v == version)
            .unwrap();
        let mut info = b"quorumkey v2 key".to_vec();
        info.push(purpose.to_byte());
        info.push(USER.len() as u8);
        info.extend_from_slice(USER);
        info.extend_from_slice(&version.to_be_bytes());
        info.extend_from_slice(material);
        if purpose == Purpose::PasswordCapsule {
            info.extend_from_slice(password.as_ref().unwrap());
        }
        let key = ServerKey::derive(mode, &self.master_seed, &info).unwrap();
        let served = self
            .server
            .public_key_for::<super::Suite>(
                USER,
                self.record.as_ref().unwrap(),
                version,
                purpose,
                mode,
            )
            .unwrap();
        assert_eq!(served, *key.public_key());
        let value = json!({
            "version": version,
            "purpose": purpose.to_byte(),
            "mode": mode.to_byte(),
            "info": h(&info),
            "public_key": h(&key.public_key().to_bytes()),
        });
        (value, key)
    }

    fn summary(&self, keys: Vec<Value>) -> Value {
        json!({
            "key_id": self.key_id,
            "master_seed": h(&self.master_seed),
            "user_id": h(USER),
            "keys": keys,
            "key_sets": self.key_sets,
            "records": self.records,
            "audit": self.audit,
            "randomness": self.rng.summary(),
        })
    }
}

// ---- independent arithmetic --------------------------------------------------------------

/// `QK 02 type ‖ suite`: the first bytes of an object that names its suite.
fn prefix(object_type: u8) -> Vec<u8> {
    vec![b'Q', b'K', 0x02, object_type, super::SUITE.to_byte()]
}

fn kdf(context: &str, parts: &[&[u8]]) -> [u8; 32] {
    blake3::derive_key(context, &parts.concat())
}

/// XChaCha20-Poly1305 decryption of `sealed = ciphertext ‖ tag`.
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

fn argon2id(password: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> [u8; 32] {
    let params = argon2::Params::new(m, t, p, Some(32)).unwrap();
    let mut out = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(password, salt, &mut out)
        .unwrap();
    out
}

/// One gate evaluation, element by element: checks each blinded element of the request is
/// `blind · HashToGroup(oprf_input)` and computes the OPRF outputs with the server's key.
fn gate(
    key: &ServerKey,
    mode: &GateMode,
    inputs: &[Vec<u8>],
    blinds: &[Vec<u8>],
    request: &[u8],
    nonce: &[u8],
    response: &GateResponse,
) -> (Value, Vec<Output>) {
    let parsed = GateRequest::from_bytes(request).unwrap();
    let blinded = parsed.evaluation_request().elements();
    let evaluated = response.evaluation_response().elements();
    let mut elements = Vec::new();
    let mut outputs = Vec::new();
    for (i, (input, blind)) in inputs.iter().zip(blinds).enumerate() {
        let point = hash_to_group(mode.mode(), input).unwrap() * raw::from_draw(blind);
        assert_eq!(element(&point), blinded[i].to_bytes().to_vec());
        let output = match mode.info() {
            Some(info) => key.evaluate_poprf(input, info),
            None => key.evaluate(mode.mode(), input),
        }
        .unwrap();
        let output = *output.as_secret_bytes();
        elements.push(json!({
            "oprf_input": h(input),
            "blind": h(&raw::value(blind)),
            "blinded_element": h(&blinded[i].to_bytes()),
            "evaluated_element": h(&evaluated[i].to_bytes()),
            "oprf_output": h(&output),
        }));
        outputs.push(output);
    }
    let value = json!({
        "purpose": parsed.purpose().to_byte(),
        "key_version": parsed.key_version(),
        "mode": mode.mode().to_byte(),
        "info": mode.info().map(h),
        "elements": elements,
        "request": h(request),
        "proof_nonce": h(&raw::value(nonce)),
        "proof": h(&response.evaluation_response().proof().unwrap().to_bytes()),
        "guesses_remaining": response.guesses_remaining(),
        "response": h(&response.to_bytes()),
    });
    (value, outputs)
}

/// The parts of a capsule: `(associated data, nonce, ciphertext ‖ tag)`.
fn capsule_parts(bytes: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (ad, sealed) = bytes.split_at(bytes.len() - 48);
    (ad, &ad[ad.len() - 24..], sealed)
}

/// The parts of a sealed unit of `plaintext_len` bytes: `(associated data, nonce, sealed)`;
/// the associated data ends with `nonce (24) ‖ u32 ciphertext length`.
fn unit_parts(bytes: &[u8], plaintext_len: usize) -> (&[u8], &[u8], &[u8]) {
    let sealed_len = plaintext_len + 16;
    let (ad, sealed) = bytes.split_at(bytes.len() - sealed_len);
    assert_eq!(
        u32::from_be_bytes(ad[ad.len() - 4..].try_into().unwrap()) as usize,
        sealed_len
    );
    (ad, &ad[ad.len() - 28..ad.len() - 4], sealed)
}

/// The text variants every reader must accept as the same card (spec/wire-format.md §6):
/// lower case, other ASCII whitespace as separators, `O`/`I`/`L` for `0`/`1`/`1`.
fn card_variants(text: &str) -> Vec<String> {
    let (prefix, payload) = text.split_at(CARD_TEXT_PREFIX.len());
    let lower = text.to_ascii_lowercase();
    let spaced = format!(
        "{prefix}\n{}\r\n",
        payload.replace('-', " ").replacen(' ', "\t", 3)
    );
    let bare = format!("  {prefix}{}", payload.replace('-', ""));
    let lookalike = format!(
        "{prefix}{}",
        payload
            .replace('0', "O")
            .replacen('1', "I", 1)
            .replace('1', "l")
    );
    vec![lower, spaced, bare, lookalike]
}

// ---- scenarios -------------------------------------------------------------------------

fn holder(id: u8) -> HolderId {
    HolderId::new(id).unwrap()
}

/// 2-of-3 {phone, key server, recovery card}: enroll (VOPRF capsule, no password), seal and
/// update a unit, three units behind their own gates (one POPRF, two VOPRF read in one
/// batch), unlock with the device share and the capsule, and the recovery kit.
fn two_of_three() -> Value {
    let mut client = Recorder::new("client", [0x11; 32]);
    let mut ks = Ks::new("keys.example", [0x5e; 32], [0x12; 32]);

    // Key server: the user's record, key version 1.
    let (body, draws) = ks.call(
        "AddKeyVersion",
        Operation::AddKeyVersion,
        &["material of key version 1"],
    );
    ks.materials.push((1, draws[0].clone(), None));
    let keys = KeySet::from_bytes(&body).unwrap();

    // Enroll, step 1: deal.
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", "keys.example")
        .custodian(3, "recovery card")
        .build()
        .unwrap();
    let enrollment = Enrollment::new(policy.clone(), &mut client).unwrap();
    let d = client.took("Enrollment::new", &["s", "vault_id", "a_1"]);
    let header = enrollment.header().clone();
    let coefficients = [raw::from_draw(&d[0]), raw::from_draw(&d[2])];
    let vault_id = d[1].clone();

    // Step 2 (no password: nothing to set up); step 3: the gates.
    let setup = KeyServerSetup::newest(holder(2), &keys, GateMode::Voprf, false).unwrap();
    let (pending, requests) = enrollment
        .request_gates(&[setup], None, &mut client)
        .unwrap();
    let g = client.took(
        "Enrollment::request_gates",
        &["gate_input of holder 2", "blind of holder 2"],
    );
    let (request, response, nonce) = ks.evaluate(&requests[0]);
    let enrolled = pending
        .finish(std::slice::from_ref(&response), &mut client)
        .unwrap();
    let weights = client.took(
        "PendingEnrollment::finish",
        &[
            "capsule nonce of holder 2",
            "batch weight of holder 1",
            "batch weight of holder 2",
            "batch weight of holder 3",
        ],
    );
    let (capsule_key_value, capsule_key) = ks.key(1, Purpose::Capsule, Mode::Voprf);
    let (enroll_gate, outputs) = gate(
        &capsule_key,
        &GateMode::Voprf,
        &[g[0].clone()],
        &[g[1].clone()],
        &request,
        &nonce,
        &response,
    );
    let digest = kdf("quorumkey v2 header", &[&header.to_bytes()]);
    assert_eq!(&digest, header.digest());
    let capsule = &enrolled.capsules[0];
    let key = kdf("quorumkey v2 capsule", &[&outputs[0], &digest, &[2]]);
    let capsule_bytes = capsule.to_bytes();
    let (ad, capsule_nonce, sealed) = capsule_parts(&capsule_bytes);
    assert_eq!(capsule_nonce, weights[0].as_slice());
    assert_eq!(
        aead_open(&key, capsule_nonce, ad, sealed),
        raw::encode(&poly(&coefficients, 2))
    );

    let vault = &enrolled.vault;
    let root = kdf("quorumkey v2 root", &[&raw::value(&d[0]), &vault_id]);

    // A unit, and its next version.
    let unit = vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut client)
        .unwrap();
    let n1 = client.took("UnlockedVault::seal_unit", &["unit nonce"]);
    let updated = vault
        .update_unit(&unit, b"alice / correct horse", &mut client)
        .unwrap();
    let n2 = client.took("UnlockedVault::update_unit", &["unit nonce"]);
    let unit_key = kdf("quorumkey v2 unit", &[&root, &[11], b"vendor:acme"]);
    let mut units = Vec::new();
    for (u, pt, nonce) in [
        (&unit, &b"alice / hunter2"[..], &n1[0]),
        (&updated, &b"alice / correct horse"[..], &n2[0]),
    ] {
        let bytes = u.to_bytes();
        let (ad, n, sealed) = unit_parts(&bytes, pt.len());
        assert_eq!(n, nonce.as_slice());
        assert_eq!(aead_open(&unit_key, n, ad, sealed), pt);
        units.push(json!({
            "unit_id": h(b"vendor:acme"),
            "version": u.version(),
            "plaintext": h(pt),
            "nonce": h(nonce),
            "unit_key": h(&unit_key),
            "bytes": h(&bytes),
        }));
    }

    // Units behind their own gates: one POPRF with a public label, two VOPRF.
    let gated_specs: [(&[u8], &[u8], GateMode); 3] = [
        (
            b"vendor:globex",
            b"bob / s3cret",
            GateMode::poprf(b"vendor:globex").unwrap(),
        ),
        (b"vendor:initech", b"carol / tps", GateMode::Voprf),
        (b"vendor:umbrella", b"dave / t-virus", GateMode::Voprf),
    ];
    let mut gated = Vec::new();
    let mut gated_units = Vec::new();
    for (unit_id, plaintext, mode) in &gated_specs {
        let pin = keys.newest_pin(Purpose::UnitGate, mode.mode()).unwrap();
        let (seal, request) = vault
            .seal_gated_unit(
                unit_id,
                plaintext,
                "keys.example",
                pin,
                mode.clone(),
                &mut client,
            )
            .unwrap();
        let g = client.took(
            "UnlockedVault::seal_gated_unit",
            &["unit gate_input", "blind"],
        );
        let (request_bytes, response, nonce) = ks.evaluate(&request);
        let sealed_unit = seal.finish(vault, &response, &mut client).unwrap();
        let n = client.took("GatedSeal::finish", &["unit nonce"]);
        let (key_value, key) = ks.key(1, Purpose::UnitGate, mode.mode());
        let (gate_value, outputs) = gate(
            &key,
            mode,
            &[g[0].clone()],
            &[g[1].clone()],
            &request_bytes,
            &nonce,
            &response,
        );
        let unit_key = kdf(
            "quorumkey v2 unit",
            &[&root, &[unit_id.len() as u8], unit_id, &outputs[0]],
        );
        let bytes = sealed_unit.to_bytes();
        let (ad, n_at, sealed) = unit_parts(&bytes, plaintext.len());
        assert_eq!(n_at, n[0].as_slice());
        assert_eq!(aead_open(&unit_key, n_at, ad, sealed), *plaintext);
        gated.push(json!({
            "unit_id": h(unit_id),
            "version": 1,
            "plaintext": h(plaintext),
            "server_key": key_value,
            "seal_gate": gate_value,
            "nonce": h(&n[0]),
            "unit_key": h(&unit_key),
            "bytes": h(&bytes),
        }));
        gated_units.push(sealed_unit);
    }
    // Reading them: one request per (server, key, mode, info): the POPRF unit alone, the two
    // VOPRF units in one batch with one proof.
    let (read, read_requests) = UnitRead::start(&gated_units, &mut client).unwrap();
    let blinds = client.took(
        "UnitRead::start",
        &[
            "blind of vendor:globex",
            "blind of vendor:initech",
            "blind of vendor:umbrella",
        ],
    );
    let mut read_gates = Vec::new();
    let mut read_responses = Vec::new();
    let mut at = 0;
    for (request, (_, _, mode)) in read_requests.iter().zip([&gated_specs[0], &gated_specs[1]]) {
        let count = request.request.evaluation_request().len();
        let (request_bytes, response, nonce) = ks.evaluate(request);
        let (_, key) = ks.key(1, Purpose::UnitGate, mode.mode());
        let gate_inputs: Vec<Vec<u8>> = gated[at..at + count]
            .iter()
            .map(|g| unhex(&g["seal_gate"]["elements"][0]["oprf_input"]))
            .collect();
        let (value, _) = gate(
            &key,
            mode,
            &gate_inputs,
            &blinds[at..at + count],
            &request_bytes,
            &nonce,
            &response,
        );
        read_gates.push(value);
        read_responses.push(Some(response));
        at += count;
    }
    assert_eq!(at, 3);
    let opened = read.finish(vault, &read_responses).unwrap();
    for (result, (_, plaintext, _)) in opened.iter().zip(&gated_specs) {
        assert_eq!(&**result.as_ref().unwrap(), *plaintext);
    }

    // Unlock with the device share and the capsule, trusting the enrolled header and the
    // key server's key set.
    let trusted = ks.key_set();
    let trust = Trust::new()
        .header(&digest)
        .key_set("keys.example", trusted);
    let (unlock, unlock_requests) = Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &trust,
        None,
        &mut client,
    )
    .unwrap();
    let b = client.took("Unlock::start", &["blind of holder 2"]);
    let (request, response, nonce) = ks.evaluate(&unlock_requests[0]);
    let unlocked = unlock
        .finish(&[Some(response.clone())], &mut client)
        .unwrap();
    client.took(
        "Unlock::finish",
        &["batch weight of holder 1", "batch weight of holder 2"],
    );
    assert_eq!(
        &**unlocked.open_unit(&updated).unwrap(),
        b"alice / correct horse"
    );
    let (unlock_gate, unlock_outputs) = gate(
        &capsule_key,
        &GateMode::Voprf,
        &[g[0].clone()],
        &[b[0].clone()],
        &request,
        &nonce,
        &response,
    );
    assert_eq!(unlock_outputs, outputs);

    let kit = RecoveryKit::new(enrolled.header.clone(), enrolled.capsules.clone()).unwrap();
    let card = &enrolled.cards[0];
    let text = card.to_secret_text();
    let variants = card_variants(&text);
    for variant in &variants {
        assert_eq!(
            ShareCard::from_text(variant).unwrap(),
            *card,
            "{variant:?} reads as the card"
        );
    }
    let card_bytes = card.to_secret_bytes();
    let checksum = kdf("quorumkey v2 card checksum", &[&*card_bytes]);

    let shares: Vec<Value> = (1..=3u8)
        .map(|i| json!({ "holder": i, "value": h(&raw::encode(&poly(&coefficients, i))) }))
        .collect();
    let mut keys_used = vec![capsule_key_value];
    for mode in [Mode::Poprf, Mode::Voprf] {
        keys_used.push(ks.key(1, Purpose::UnitGate, mode).0);
    }
    json!({
        "name": "2-of-3 {phone, key server, recovery card}; VOPRF capsule; units with and without their own gates",
        "user_id": h(USER),
        "client_randomness": client.summary(),
        "key_servers": [ks.summary(keys_used)],
        "enroll": {
            "policy": h(&policy.to_bytes()),
            "secret": h(&raw::value(&d[0])),
            "vault_id": h(&vault_id),
            "coefficients": [h(&raw::value(&d[0])), h(&raw::value(&d[2]))],
            "commitments": coefficients.iter().map(|a| h(&element(&(raw::base(a))))).collect::<Vec<_>>(),
            "shares": shares,
            "header": h(&header.to_bytes()),
            "header_digest": h(&digest),
            "root_key": h(&root),
            "gates": [enroll_gate],
            "capsules": [{
                "holder": 2,
                "gate_input": h(&g[0]),
                "capsule_key": h(&key),
                "nonce": h(&weights[0]),
                "bytes": h(&capsule.to_bytes()),
            }],
            "batch_weights": [h(&weights[1]), h(&weights[2]), h(&weights[3])],
            "device_shares": enrolled.device_shares.iter().map(|s| json!({ "holder": s.holder().get(), "bytes": h(&*s.to_secret_bytes()) })).collect::<Vec<_>>(),
            "cards": [{
                "holder": card.share().holder().get(),
                "bytes": h(&*card_bytes),
                "checksum": h(&checksum[..4]),
                "text": text.as_str(),
                "also_accepted": variants,
            }],
        },
        "units": units,
        "gated_units": gated,
        "gated_read": read_gates,
        "unlock": {
            "trusted_header_digest": h(&digest),
            "gates": [unlock_gate],
        },
        "recovery_kit": h(&kit.to_bytes()),
    })
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// 3-of-4 {laptop, server A, server B, escrow}: the password guard set up at both servers
/// before the first evaluation, POPRF capsules behind a password stretched with Argon2id at
/// the floor parameters, the unlock proofs that reset the counters, and an unlock with the
/// password.
fn three_of_four_password() -> Value {
    let mut client = Recorder::new("client", [0x21; 32]);
    let mut servers = [
        Ks::new("a.example", [0xa1; 32], [0x22; 32]),
        Ks::new("b.example", [0xb1; 32], [0x23; 32]),
    ];
    for ks in &mut servers {
        let (_, draws) = ks.call(
            "AddKeyVersion",
            Operation::AddKeyVersion,
            &["material of key version 1"],
        );
        ks.materials.push((1, draws[0].clone(), None));
    }
    let policy = Policy::builder(3)
        .device(1, "laptop")
        .key_server(2, "server A", "a.example")
        .key_server(3, "server B", "b.example")
        .custodian(4, "escrow")
        .build()
        .unwrap();
    let mode = GateMode::poprf(b"quorumkey capsule").unwrap();
    let params = PasswordParams::new(PasswordParams::MIN_MEMORY_KIB, 2, 1).unwrap();

    // Step 1: deal.
    let enrollment = Enrollment::new(policy.clone(), &mut client).unwrap();
    let d = client.took("Enrollment::new", &["s", "vault_id", "a_1", "a_2"]);
    let header = enrollment.header().clone();
    let coefficients = [
        raw::from_draw(&d[0]),
        raw::from_draw(&d[2]),
        raw::from_draw(&d[3]),
    ];
    let vault_id = d[1].clone();
    let digest = kdf("quorumkey v2 header", &[&header.to_bytes()]);
    let root = kdf("quorumkey v2 root", &[&raw::value(&d[0]), &vault_id]);

    // Step 2: the password guard at each server, before any password evaluation.
    let mut tags = Vec::new();
    let mut setups = Vec::new();
    for (ks, id) in servers.iter_mut().zip([2u8, 3]) {
        let setup = enrollment.password_setup(ks.key_id, 10).unwrap();
        let tag = kdf(
            "quorumkey v2 unlock tag",
            &[&root, &[ks.key_id.len() as u8], ks.key_id.as_bytes()],
        );
        let commitment = kdf("quorumkey v2 unlock tag commitment", &[&tag]);
        assert_eq!(setup.tag_commitment(), &commitment);
        let (body, draws) = ks.call(
            "SetPassword",
            Operation::SetPassword(&setup.to_bytes()),
            &["password material of key version 1"],
        );
        ks.materials[0].2 = Some(draws[0].clone());
        let keys = KeySet::from_bytes(&body).unwrap();
        tags.push(json!({
            "key_id": ks.key_id,
            "unlock_tag": h(&tag),
            "tag_commitment": h(&commitment),
            "password_setup": h(&setup.to_bytes()),
        }));
        setups.push(KeyServerSetup::newest(holder(id), &keys, mode.clone(), true).unwrap());
    }

    // Step 3: the gates, behind the password.
    let password = Password::new(PASSWORD).with_params(params);
    let (pending, requests) = enrollment
        .request_gates(&setups, Some(password), &mut client)
        .unwrap();
    let g = client.took(
        "Enrollment::request_gates",
        &[
            "gate_input of holder 2",
            "blind of holder 2",
            "gate_input of holder 3",
            "blind of holder 3",
        ],
    );
    let mut answered = Vec::new();
    for (ks, request) in servers.iter_mut().zip(&requests) {
        answered.push(ks.evaluate(request));
    }
    let responses: Vec<GateResponse> = answered.iter().map(|(_, r, _)| r.clone()).collect();
    let enrolled = pending.finish(&responses, &mut client).unwrap();
    let f = client.took(
        "PendingEnrollment::finish",
        &[
            "capsule nonce of holder 2",
            "capsule nonce of holder 3",
            "batch weight of holder 1",
            "batch weight of holder 2",
            "batch weight of holder 3",
            "batch weight of holder 4",
        ],
    );
    let mut gates = Vec::new();
    let mut capsules = Vec::new();
    let mut keys_used = Vec::new();
    let mut gate_inputs = Vec::new();
    for (i, ((ks, (request, response, nonce)), capsule)) in servers
        .iter()
        .zip(&answered)
        .zip(&enrolled.capsules)
        .enumerate()
    {
        let holder_id = i as u8 + 2;
        let gate_input = &g[2 * i];
        let stretched = argon2id(PASSWORD, gate_input, PasswordParams::MIN_MEMORY_KIB, 2, 1);
        assert_eq!(
            *params
                .stretch(PASSWORD, gate_input.as_slice().try_into().unwrap())
                .unwrap(),
            stretched
        );
        let input = [gate_input.as_slice(), &stretched].concat();
        let (key_value, key) = ks.key(1, Purpose::PasswordCapsule, Mode::Poprf);
        keys_used.push(key_value);
        let (mut value, outputs) = gate(
            &key,
            &mode,
            std::slice::from_ref(&input),
            &[g[2 * i + 1].clone()],
            request,
            nonce,
            response,
        );
        value["argon2id"] = json!({
            "password": h(PASSWORD),
            "salt": h(gate_input),
            "memory_kib": PasswordParams::MIN_MEMORY_KIB,
            "passes": 2,
            "lanes": 1,
            "output": h(&stretched),
        });
        gates.push(value);
        let capsule_key = kdf(
            "quorumkey v2 capsule",
            &[&outputs[0], &digest, &[holder_id]],
        );
        let bytes = capsule.to_bytes();
        let (ad, n, sealed) = capsule_parts(&bytes);
        assert_eq!(n, f[i].as_slice());
        assert_eq!(
            aead_open(&capsule_key, n, ad, sealed),
            raw::encode(&poly(&coefficients, holder_id))
        );
        capsules.push(json!({
            "holder": holder_id,
            "gate_input": h(gate_input),
            "capsule_key": h(&capsule_key),
            "nonce": h(&f[i]),
            "bytes": h(&bytes),
        }));
        gate_inputs.push(input);
    }
    // The proofs of the enrollment's unlock reset both counters.
    let mut proofs = Vec::new();
    for ks in &mut servers {
        let proof = enrolled.vault.unlock_proof(ks.key_id).to_secret_bytes();
        ks.call("ConfirmUnlock", Operation::ConfirmUnlock(&proof), &[]);
        proofs.push(json!({ "key_id": ks.key_id, "bytes": h(&proof) }));
    }
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut client)
        .unwrap();
    let n = client.took("UnlockedVault::seal_unit", &["unit nonce"]);
    let unit_key = kdf("quorumkey v2 unit", &[&root, &[11], b"vendor:acme"]);
    let unit_bytes = unit.to_bytes();
    let (ad, nonce, sealed) = unit_parts(&unit_bytes, 15);
    assert_eq!(aead_open(&unit_key, nonce, ad, sealed), b"alice / hunter2");

    // Unlock: the laptop's share and both password capsules, one request (one guess) each.
    let mut trust = Trust::new().header(&digest);
    for ks in &mut servers {
        let keys = ks.key_set();
        trust = trust.key_set(ks.key_id, keys);
    }
    let (unlock, unlock_requests) = Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &trust,
        Some(PASSWORD),
        &mut client,
    )
    .unwrap();
    let b = client.took("Unlock::start", &["blind of holder 2", "blind of holder 3"]);
    let mut unlock_gates = Vec::new();
    let mut unlock_responses = Vec::new();
    for (i, (ks, request)) in servers.iter_mut().zip(&unlock_requests).enumerate() {
        let (request, response, nonce) = ks.evaluate(request);
        let (_, key) = ks.key(1, Purpose::PasswordCapsule, Mode::Poprf);
        let (value, _) = gate(
            &key,
            &mode,
            &[gate_inputs[i].clone()],
            &[b[i].clone()],
            &request,
            &nonce,
            &response,
        );
        unlock_gates.push(value);
        unlock_responses.push(Some(response));
    }
    let vault = unlock.finish(&unlock_responses, &mut client).unwrap();
    client.took(
        "Unlock::finish",
        &[
            "batch weight of holder 1",
            "batch weight of holder 2",
            "batch weight of holder 3",
        ],
    );
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice / hunter2");
    for ks in &mut servers {
        let proof = vault.unlock_proof(ks.key_id).to_secret_bytes();
        ks.call("ConfirmUnlock", Operation::ConfirmUnlock(&proof), &[]);
    }

    let shares: Vec<Value> = (1..=4u8)
        .map(|i| json!({ "holder": i, "value": h(&raw::encode(&poly(&coefficients, i))) }))
        .collect();
    let summaries: Vec<Value> = servers
        .iter()
        .zip(keys_used)
        .map(|(ks, key)| ks.summary(vec![key]))
        .collect();
    json!({
        "name": "3-of-4 {laptop, server A, server B, escrow}; POPRF password capsules (Argon2id at the floor), guard set up before the first guess",
        "user_id": h(USER),
        "client_randomness": client.summary(),
        "key_servers": summaries,
        "enroll": {
            "policy": h(&policy.to_bytes()),
            "secret": h(&raw::value(&d[0])),
            "vault_id": h(&vault_id),
            "coefficients": [h(&raw::value(&d[0])), h(&raw::value(&d[2])), h(&raw::value(&d[3]))],
            "commitments": coefficients.iter().map(|a| h(&element(&(raw::base(a))))).collect::<Vec<_>>(),
            "shares": shares,
            "header": h(&header.to_bytes()),
            "header_digest": h(&digest),
            "root_key": h(&root),
            "unlock_tags": tags,
            "gates": gates,
            "capsules": capsules,
            "batch_weights": [h(&f[2]), h(&f[3]), h(&f[4]), h(&f[5])],
            "unlock_proofs": proofs,
            "device_shares": enrolled.device_shares.iter().map(|s| json!({ "holder": s.holder().get(), "bytes": h(&*s.to_secret_bytes()) })).collect::<Vec<_>>(),
            "cards": enrolled.cards.iter().map(|c| json!({ "holder": c.share().holder().get(), "bytes": h(&*c.to_secret_bytes()), "text": c.to_secret_text().as_str() })).collect::<Vec<_>>(),
        },
        "units": [{
            "unit_id": h(b"vendor:acme"),
            "version": 1,
            "plaintext": h(b"alice / hunter2"),
            "nonce": h(&n[0]),
            "unit_key": h(&unit_key),
            "bytes": h(&unit_bytes),
        }],
        "unlock": {
            "password": h(PASSWORD),
            "trusted_header_digest": h(&digest),
            "gates": unlock_gates,
        },
    })
}

fn generate() -> Value {
    json!({
        "description": super::DESCRIPTION.to_owned() + " Generated by tests/protocol_vectors.rs; every byte string is hex. Each party's randomness is the ChaCha20 keystream of its seed, drawn in the order listed under `draws`.",
        "vectors": [two_of_three(), three_of_four_password()],
    })
}

#[test]
fn checked_in_vectors_are_current() {
    let fresh = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("QUORUMKEY_WRITE_VECTORS").is_some() {
        std::fs::write(
            format!("{}/{}", env!("CARGO_MANIFEST_DIR"), super::VECTORS_PATH),
            &fresh,
        )
        .unwrap();
        return;
    }
    assert!(
        fresh == CHECKED_IN,
        "{} is stale: regenerate with QUORUMKEY_WRITE_VECTORS=1 and review the diff",
        super::VECTORS_PATH
    );
}

// ---- re-derivation from the checked-in vectors alone --------------------------------------

/// The ChaCha20 keystream (RFC 8439 block function, 20 rounds) under `key`, nonce 0, block
/// counter from 0: what each party's RNG is documented to be.
fn chacha20_keystream(key: &[u8; 32], len: usize) -> Vec<u8> {
    fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(16);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(12);
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(8);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(7);
    }
    let mut out = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while out.len() < len {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        for (i, word) in key.chunks(4).enumerate() {
            state[4 + i] = u32::from_le_bytes(word.try_into().unwrap());
        }
        state[12] = counter;
        let mut s = state;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        for (w, i) in s.iter().zip(state) {
            out.extend_from_slice(&w.wrapping_add(i).to_le_bytes());
        }
        counter += 1;
    }
    out.truncate(len);
    out
}

/// The draws of one party, by name, after checking they are its keystream in order.
fn check_randomness(randomness: &Value) -> Vec<(String, Vec<u8>)> {
    let seed: [u8; 32] = unhex(&randomness["seed"]).try_into().unwrap();
    let draws: Vec<(String, Vec<u8>)> = randomness["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["what"].as_str().unwrap().to_owned(), unhex(&d["bytes"])))
        .collect();
    let stream: Vec<u8> = draws.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(stream, chacha20_keystream(&seed, stream.len()));
    draws
}

fn draw<'a>(draws: &'a [(String, Vec<u8>)], what: &str) -> &'a [u8] {
    &draws.iter().find(|(w, _)| w == what).unwrap().1
}

/// The materials of a user record (wire-format §14): `(version, material, password
/// material)` per key version, and the guard's `(max_guesses, attempts, commitment)`.
#[allow(clippy::type_complexity)]
fn parse_record(
    bytes: &[u8],
) -> (
    Vec<(u32, Vec<u8>, Option<Vec<u8>>)>,
    Option<(u8, u8, Vec<u8>)>,
) {
    assert_eq!(&bytes[..4], b"QK\x02\x0c");
    let count = bytes[12] as usize;
    let mut at = 13;
    let mut keys = Vec::new();
    for _ in 0..count {
        let version = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        let material = bytes[at + 8..at + 40].to_vec();
        at += 40;
        let password = match bytes[at] {
            0 => None,
            1 => Some(bytes[at + 1..at + 33].to_vec()),
            other => panic!("flag {other}"),
        };
        at += 1 + if password.is_some() { 32 } else { 0 };
        keys.push((version, material, password));
    }
    let guard = match bytes[at] {
        0 => {
            assert_eq!(at + 1, bytes.len());
            None
        }
        _ => {
            assert_eq!(at + 35, bytes.len());
            Some((bytes[at + 1], bytes[at + 2], bytes[at + 3..].to_vec()))
        }
    };
    (keys, guard)
}

/// Checks one gate's request and response layout (wire-format §7), each blinded element,
/// and each OPRF output; with `danger`, the whole response from the proof nonce.
fn check_gate(gate: &Value, key: &ServerKey) {
    let request = unhex(&gate["request"]);
    let response = unhex(&gate["response"]);
    let purpose = gate["purpose"].as_u64().unwrap() as u8;
    let mode = Mode::from_byte(gate["mode"].as_u64().unwrap() as u8).unwrap();
    let info = gate["info"].as_str().map(|i| hex::decode(i).unwrap());
    let elements = gate["elements"].as_array().unwrap();
    let mut head = prefix(0x05);
    head.push(purpose);
    head.extend_from_slice(&(gate["key_version"].as_u64().unwrap() as u32).to_be_bytes());
    head.push(mode.to_byte());
    if let Some(info) = &info {
        head.push(info.len() as u8);
        head.extend_from_slice(info);
    }
    head.extend_from_slice(&(elements.len() as u16).to_be_bytes());
    for e in elements {
        head.extend_from_slice(&unhex(&e["blinded_element"]));
    }
    assert_eq!(head, request, "gate request layout");
    let mut expected = prefix(0x06);
    expected.push(purpose);
    expected.extend_from_slice(&request[6..10]);
    if let Some(left) = gate["guesses_remaining"].as_u64() {
        assert_eq!(purpose, Purpose::PasswordCapsule.to_byte());
        expected.push(left as u8);
    }
    let evaluation_at = expected.len();
    expected.extend_from_slice(&(elements.len() as u16).to_be_bytes());
    for e in elements {
        expected.extend_from_slice(&unhex(&e["evaluated_element"]));
    }
    expected.push(mode.to_byte());
    expected.extend_from_slice(&unhex(&gate["proof"]));
    assert_eq!(expected, response, "gate response layout");
    for e in elements {
        let input = unhex(&e["oprf_input"]);
        let blinded = hash_to_group(mode, &input).unwrap() * scalar(&unhex(&e["blind"]));
        assert_eq!(element(&blinded), unhex(&e["blinded_element"]));
        let output = match &info {
            Some(info) => key.evaluate_poprf(&input, info),
            None => key.evaluate(mode, &input),
        }
        .unwrap();
        assert_eq!(output.as_secret_bytes().to_vec(), unhex(&e["oprf_output"]));
    }
    #[cfg(feature = "danger")]
    {
        use qk::oprf::EvaluationRequest;
        let count_at = request.len() - 2 - raw::ELEMENT_LEN * elements.len();
        let evaluation = EvaluationRequest::from_bytes(&request[count_at..]).unwrap();
        let nonce = unhex(&gate["proof_nonce"]);
        let again = match &info {
            Some(info) => key.respond_poprf_with_nonce(&evaluation, info, &nonce),
            None => key.respond_voprf_with_nonce(&evaluation, &nonce),
        }
        .unwrap();
        assert_eq!(
            again.to_bytes(),
            response[evaluation_at..],
            "proof from its nonce"
        );
    }
    #[cfg(not(feature = "danger"))]
    let _ = evaluation_at;
}

#[test]
fn vectors_follow_the_spec() {
    let vectors: Value = serde_json::from_str(CHECKED_IN).unwrap();
    for v in vectors["vectors"].as_array().unwrap() {
        let user = unhex(&v["user_id"]);
        let client = check_randomness(&v["client_randomness"]);
        let e = &v["enroll"];

        // §3.3 dealing: s, then the vault id, then a_1..a_{t-1}; shares and commitments.
        let secret = draw(&client, "s");
        let vault_id = draw(&client, "vault_id");
        assert_eq!(unhex(&e["secret"]), raw::value(secret));
        assert_eq!(unhex(&e["vault_id"]), vault_id);
        let coefficients: Vec<raw::Scalar> = e["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let a = unhex(a);
                if j > 0 {
                    assert_eq!(a, raw::value(draw(&client, &format!("a_{j}"))));
                }
                scalar(&a)
            })
            .collect();
        let t = coefficients.len();
        let header = unhex(&e["header"]);
        let policy = unhex(&e["policy"]);
        let mut expected = prefix(0x01);
        expected.extend_from_slice(vault_id);
        expected.extend_from_slice(&0u32.to_be_bytes());
        expected.extend_from_slice(&policy);
        expected.push(t as u8);
        for (a, c) in coefficients
            .iter()
            .zip(e["commitments"].as_array().unwrap())
        {
            let point = element(&(raw::base(a)));
            assert_eq!(point, unhex(c));
            expected.extend_from_slice(&point);
        }
        assert_eq!(expected, header, "header layout");
        let digest = kdf("quorumkey v2 header", &[&header]);
        assert_eq!(unhex(&e["header_digest"]), digest);
        for s in e["shares"].as_array().unwrap() {
            let x = s["holder"].as_u64().unwrap() as u8;
            assert_eq!(unhex(&s["value"]), raw::encode(&poly(&coefficients, x)));
        }
        let root = kdf("quorumkey v2 root", &[&raw::value(secret), vault_id]);
        assert_eq!(unhex(&e["root_key"]), root);

        // Vault shares and cards: QK 02 02 ‖ vault_id ‖ epoch ‖ digest ‖ id ‖ value.
        let cards = e["cards"].as_array().unwrap();
        for s in e["device_shares"].as_array().unwrap().iter().chain(cards) {
            let x = s["holder"].as_u64().unwrap() as u8;
            let mut expected = b"QK\x02\x02".to_vec();
            expected.extend_from_slice(vault_id);
            expected.extend_from_slice(&0u32.to_be_bytes());
            expected.extend_from_slice(&digest);
            expected.push(x);
            expected.extend_from_slice(&raw::encode(&poly(&coefficients, x)));
            assert_eq!(unhex(&s["bytes"]), expected);
        }
        for c in cards {
            let bytes = unhex(&c["bytes"]);
            let sum = &kdf("quorumkey v2 card checksum", &[&bytes])[..4];
            let text = c["text"].as_str().unwrap();
            assert_eq!(text, card_text(&[bytes.as_slice(), sum].concat()));
            for variant in c["also_accepted"].as_array().into_iter().flatten() {
                let card = ShareCard::from_text(variant.as_str().unwrap()).unwrap();
                assert_eq!(card.to_secret_bytes().to_vec(), bytes);
            }
        }

        // §3.6 key-server keys: DeriveKeyPair(seed, info), info from the record's materials.
        let mut keys: Vec<(String, u8, u8, ServerKey)> = Vec::new();
        for ks in v["key_servers"].as_array().unwrap() {
            let key_id = ks["key_id"].as_str().unwrap().to_owned();
            let draws = check_randomness(&ks["randomness"]);
            let seed: [u8; 32] = unhex(&ks["master_seed"]).try_into().unwrap();
            let records = ks["records"].as_array().unwrap();
            let (materials, _) = parse_record(&unhex(&records.last().unwrap()["bytes"]));
            assert_eq!(materials[0].1, draw(&draws, "material of key version 1"));
            for k in ks["keys"].as_array().unwrap() {
                let purpose = k["purpose"].as_u64().unwrap() as u8;
                let mode = Mode::from_byte(k["mode"].as_u64().unwrap() as u8).unwrap();
                let version = k["version"].as_u64().unwrap() as u32;
                let (_, material, password) =
                    materials.iter().find(|(v, _, _)| *v == version).unwrap();
                let mut info = b"quorumkey v2 key".to_vec();
                info.push(purpose);
                info.push(user.len() as u8);
                info.extend_from_slice(&user);
                info.extend_from_slice(&version.to_be_bytes());
                info.extend_from_slice(material);
                if purpose == Purpose::PasswordCapsule.to_byte() {
                    info.extend_from_slice(password.as_ref().unwrap());
                }
                assert_eq!(unhex(&k["info"]), info);
                let key = ServerKey::derive(mode, &seed, &info).unwrap();
                assert_eq!(
                    key.public_key().to_bytes().to_vec(),
                    unhex(&k["public_key"])
                );
                // The key set the client pins from lists it.
                let key_set = unhex(&ks["key_sets"].as_array().unwrap().last().unwrap()["bytes"]);
                let entry = [&[purpose, mode.to_byte()][..], &key.public_key().to_bytes()].concat();
                assert!(key_set.windows(entry.len()).any(|w| w == entry.as_slice()));
                keys.push((key_id.clone(), purpose, mode.to_byte(), key));
            }
            // The audit chain (wire-format §15) and its request digests.
            let digests: Vec<[u8; 32]> = requests(v)
                .iter()
                .map(|r| kdf("quorumkey v2 audit request", &[r]))
                .collect();
            let mut previous = [0u8; 32];
            for event in ks["audit"].as_array().unwrap() {
                let bytes = unhex(&event["bytes"]);
                assert_eq!(&bytes[1..1 + user.len()], user.as_slice());
                if event["action"] == "evaluated" {
                    let digest: [u8; 32] = bytes[bytes.len() - 32..].try_into().unwrap();
                    assert!(digests.contains(&digest), "the digest of a listed request");
                }
                let link = kdf(
                    "quorumkey v2 audit chain",
                    &[
                        &previous,
                        &event["seq"].as_u64().unwrap().to_be_bytes(),
                        &event["time_ms"].as_u64().unwrap().to_be_bytes(),
                        &bytes,
                    ],
                );
                assert_eq!(unhex(&event["chain"]), link);
                previous = link;
            }
        }
        let key_for = |gate: &Value, key_id: Option<&str>| -> &ServerKey {
            let purpose = gate["purpose"].as_u64().unwrap() as u8;
            let mode = gate["mode"].as_u64().unwrap() as u8;
            &keys
                .iter()
                .find(|(k, p, m, _)| *p == purpose && *m == mode && key_id.is_none_or(|id| id == k))
                .unwrap()
                .3
        };
        let key_ids: Vec<&str> = v["key_servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["key_id"].as_str().unwrap())
            .collect();

        // §6.1 the password: Argon2id(password, salt = gate input).
        for gate in e["gates"].as_array().unwrap() {
            if let Some(a) = gate.get("argon2id") {
                let out = argon2id(
                    &unhex(&a["password"]),
                    &unhex(&a["salt"]),
                    a["memory_kib"].as_u64().unwrap() as u32,
                    a["passes"].as_u64().unwrap() as u32,
                    a["lanes"].as_u64().unwrap() as u32,
                );
                assert_eq!(unhex(&a["output"]), out);
                let input = [unhex(&a["salt"]), out.to_vec()].concat();
                assert_eq!(unhex(&gate["elements"][0]["oprf_input"]), input);
            }
        }

        // §3.4 capsules: key = KDF(output ‖ digest ‖ holder); the plaintext is the share.
        for (i, (gate, capsule)) in e["gates"]
            .as_array()
            .unwrap()
            .iter()
            .zip(e["capsules"].as_array().unwrap())
            .enumerate()
        {
            check_gate(gate, key_for(gate, Some(key_ids[i.min(key_ids.len() - 1)])));
            let x = capsule["holder"].as_u64().unwrap() as u8;
            let output = unhex(&gate["elements"][0]["oprf_output"]);
            let key = kdf("quorumkey v2 capsule", &[&output, &digest, &[x]]);
            assert_eq!(unhex(&capsule["capsule_key"]), key);
            let bytes = unhex(&capsule["bytes"]);
            let (ad, nonce, sealed) = capsule_parts(&bytes);
            assert_eq!(
                unhex(&capsule["gate_input"]),
                ad[ad.len() - 56..ad.len() - 24]
            );
            assert_eq!(
                aead_open(&key, nonce, ad, sealed),
                raw::encode(&poly(&coefficients, x))
            );
        }
        for (i, gate) in v["unlock"]["gates"].as_array().unwrap().iter().enumerate() {
            check_gate(gate, key_for(gate, Some(key_ids[i.min(key_ids.len() - 1)])));
        }

        // §6.3 unlock tags, their commitments, the setup and proof messages.
        for tag in e["unlock_tags"].as_array().into_iter().flatten() {
            let key_id = tag["key_id"].as_str().unwrap();
            let t = kdf(
                "quorumkey v2 unlock tag",
                &[&root, &[key_id.len() as u8], key_id.as_bytes()],
            );
            assert_eq!(unhex(&tag["unlock_tag"]), t);
            let commitment = kdf("quorumkey v2 unlock tag commitment", &[&t]);
            assert_eq!(unhex(&tag["tag_commitment"]), commitment);
            assert_eq!(
                unhex(&tag["password_setup"]),
                [&b"QK\x02\x09\x0a"[..], &commitment].concat()
            );
        }
        for proof in e["unlock_proofs"].as_array().into_iter().flatten() {
            let key_id = proof["key_id"].as_str().unwrap();
            let t = kdf(
                "quorumkey v2 unlock tag",
                &[&root, &[key_id.len() as u8], key_id.as_bytes()],
            );
            assert_eq!(unhex(&proof["bytes"]), [&b"QK\x02\x0a"[..], &t].concat());
        }

        // §3.5 units: key = KDF(R ‖ u8(len) ‖ id [‖ gate output]).
        for unit in v["units"].as_array().unwrap() {
            let id = unhex(&unit["unit_id"]);
            let key = kdf("quorumkey v2 unit", &[&root, &[id.len() as u8], &id]);
            assert_eq!(unhex(&unit["unit_key"]), key);
            let plaintext = unhex(&unit["plaintext"]);
            let bytes = unhex(&unit["bytes"]);
            let (ad, nonce, sealed) = unit_parts(&bytes, plaintext.len());
            assert_eq!(&ad[..4], b"QK\x02\x04");
            assert_eq!(
                u32::from_be_bytes(ad[21 + id.len()..25 + id.len()].try_into().unwrap()),
                unit["version"].as_u64().unwrap() as u32
            );
            assert_eq!(aead_open(&key, nonce, ad, sealed), plaintext);
        }
        for unit in v["gated_units"].as_array().into_iter().flatten() {
            let gate = &unit["seal_gate"];
            check_gate(gate, key_for(gate, None));
            let id = unhex(&unit["unit_id"]);
            let output = unhex(&gate["elements"][0]["oprf_output"]);
            let key = kdf(
                "quorumkey v2 unit",
                &[&root, &[id.len() as u8], &id, &output],
            );
            assert_eq!(unhex(&unit["unit_key"]), key);
            let plaintext = unhex(&unit["plaintext"]);
            let bytes = unhex(&unit["bytes"]);
            let (ad, nonce, sealed) = unit_parts(&bytes, plaintext.len());
            assert_eq!(aead_open(&key, nonce, ad, sealed), plaintext);
        }
        for gate in v["gated_read"].as_array().into_iter().flatten() {
            check_gate(gate, key_for(gate, None));
        }

        // Recovery kit: QK 02 07 ‖ u32 len ‖ header ‖ u8 n ‖ n × (u16 len ‖ capsule).
        if let Some(kit) = v["recovery_kit"].as_str() {
            let kit = hex::decode(kit).unwrap();
            let mut expected = b"QK\x02\x07".to_vec();
            expected.extend_from_slice(&(header.len() as u32).to_be_bytes());
            expected.extend_from_slice(&header);
            let capsules = e["capsules"].as_array().unwrap();
            expected.push(capsules.len() as u8);
            for c in capsules {
                let c = unhex(&c["bytes"]);
                expected.extend_from_slice(&(c.len() as u16).to_be_bytes());
                expected.extend_from_slice(&c);
            }
            assert_eq!(kit, expected);
        }
    }
}

/// Every gate request listed anywhere in `v`.
fn requests(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("request", Value::String(r)) => vec![hex::decode(r).unwrap()],
                _ => requests(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(requests).collect(),
        _ => Vec::new(),
    }
}

/// The card text of spec/wire-format.md §6: the prefix, then Crockford base32 of
/// `bytes ‖ checksum`, most significant bit first, in groups of four joined by `-`.
fn card_text(payload: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits: Vec<u8> = payload
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let chars: Vec<char> = bits
        .chunks(5)
        .map(|c| {
            let v = c
                .iter()
                .chain(std::iter::repeat(&0))
                .take(5)
                .fold(0, |acc, b| acc << 1 | b);
            ALPHABET[v as usize] as char
        })
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    format!("{CARD_TEXT_PREFIX}{}", groups.join("-"))
}
