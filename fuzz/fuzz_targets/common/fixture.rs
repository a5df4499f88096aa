//! A fixed, deterministic world shared by the stateful targets: one key server with the
//! user's record (key versions 1 and 2, password guard on with the vault's unlock tag), a
//! 2-of-3 vault {device, key server, custodian} enrolled in VOPRF mode under version 1, an
//! ungated and a gated unit, and the genuine unlock exchange. Built once per process
//! (seeded ChaCha20).
//!
//! `tests/malformed.rs` includes this file too, to write the fuzz seeds from the same
//! objects.
//!
//! One fixture per suite (`fixture::<P256>()`, `fixture::<Ristretto255>()`), built alike.
//! It names no suite itself, so `tests/malformed.rs` includes it without the
//! `ristretto255` feature.
#![allow(dead_code)]

use std::any::Any;
use std::sync::Mutex;

use quorumkey::gate::{GateMode, Purpose};
use quorumkey::generic::{
    Capsule, Enrollment, GateResponse, KeyServerSetup, KeySet, SealedUnit, ServerPin,
    ServerRequest, ShareCard, Suite, SuiteId, Trust, UnitRead, Unlock, UnlockedVault, VaultHeader,
    VaultShare,
};
use quorumkey::keyserver::{KeyServer, Operation, UserRecord};
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const USER: &[u8] = b"user-42";
pub const KEY_ID: &str = "keys.example";
/// The guard's limit in the fixture's record (small, so a fuzzer burns it in a few steps).
pub const MAX_GUESSES: u8 = 3;

pub struct Fixture<S: Suite> {
    pub server: KeyServer,
    /// The user's record as stored: versions 1 and 2, password guard on.
    pub record: UserRecord,
    /// The key set of `record`, in suite `S`.
    pub keys: KeySet<S>,
    pub header: VaultHeader<S>,
    pub device: VaultShare<S>,
    pub card: ShareCard<S>,
    pub capsules: Vec<Capsule<S>>,
    pub vault: UnlockedVault<S>,
    /// The ungated unit's bytes and plaintext.
    pub unit: Vec<u8>,
    /// The gated unit's bytes (VOPRF gate at the same server, key version 1).
    pub gated_unit: Vec<u8>,
    pub plaintext: &'static [u8],
    /// The RNG state the unlock starts from.
    pub unlock_rng: ChaCha20Rng,
    /// The genuine request and response of that unlock.
    pub unlock_request: Vec<u8>,
    pub unlock_response: Vec<u8>,
    /// Genuine bodies of the password operations: the setup that turned the guard on, the
    /// vault's unlock proof, a tag change from the vault's tag to another vault's, and that
    /// other vault's unlock proof (valid after the change).
    pub password_setup: Vec<u8>,
    pub unlock_proof: Vec<u8>,
    pub tag_change: Vec<u8>,
    pub other_unlock_proof: Vec<u8>,
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The key server's answer to `request` against `record`, the way a real server gives it:
/// handle, store the update (here: only in this call), release.
pub fn answer_with<S: Suite>(
    server: &KeyServer,
    record: &UserRecord,
    request: &[u8],
    rng: &mut ChaCha20Rng,
) -> Option<GateResponse<S>> {
    let outcome = server
        .handle(USER, Some(record), Operation::Evaluate(request), rng)
        .ok()?;
    let stored = outcome.record_update().cloned();
    let released = outcome.release(stored.as_ref()).ok()?;
    GateResponse::from_bytes(&released.body).ok()
}

/// The fixture server's answer to a client request.
pub fn answer<S: Suite>(
    f: &Fixture<S>,
    request: &ServerRequest<S>,
    rng: &mut ChaCha20Rng,
) -> Option<GateResponse<S>> {
    answer_with(&f.server, &f.record, &request.request.to_bytes(), rng)
}

/// Runs a record-changing operation and returns the stored update.
fn change(
    suite: SuiteId,
    server: &KeyServer,
    record: Option<&UserRecord>,
    operation: Operation<'_>,
    rng: &mut ChaCha20Rng,
) -> UserRecord {
    let outcome = server
        .handle_in(suite, USER, record, operation, rng)
        .expect("fixture operation");
    let update = outcome.record_update().expect("an update").clone();
    outcome.release(Some(&update)).expect("release");
    update
}

/// A pending unlock of the fixture's vault (device share + the capsule), rebuilt from a
/// fixed RNG state so every input sees the same blinds.
pub fn pending_unlock<S: Suite>(f: &Fixture<S>) -> (Unlock<S>, Vec<ServerRequest<S>>) {
    let mut r = f.unlock_rng.clone();
    Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        &f.capsules,
        &Trust::new(),
        None,
        &mut r,
    )
    .expect("the fixture's unlock starts")
}

/// The fixture of suite `S`, built on first use and kept for the process.
pub fn fixture<S: Suite>() -> &'static Fixture<S> {
    static BUILT: Mutex<Vec<&'static (dyn Any + Send + Sync)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = built.iter().find_map(|f| f.downcast_ref::<Fixture<S>>()) {
        return f;
    }
    let f: &'static Fixture<S> = Box::leak(Box::new(build::<S>()));
    built.push(f);
    f
}

/// The pin of `purpose` in VOPRF mode at `version` of the fixture's key set.
pub fn pin<S: Suite>(f: &Fixture<S>, version: u32, purpose: Purpose) -> ServerPin<S> {
    f.keys
        .pin(version, purpose, Mode::Voprf)
        .expect("the fixture's key set has the pin")
}

fn build<S: Suite>() -> Fixture<S> {
    let mut r = rng(1);
    let server = KeyServer::new([0x5e; 32]);
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", KEY_ID)
        .custodian(3, "recovery card")
        .build()
        .expect("policy");
    // The record: version 1, then the password guard with the vault's tag (set up before
    // any password evaluation, as an enrollment does).
    let record = change(S::ID, &server, None, Operation::AddKeyVersion, &mut r);
    let enrollment = Enrollment::<S>::new(policy, &mut r).expect("deal");
    let password_setup = enrollment
        .password_setup(KEY_ID, MAX_GUESSES)
        .expect("setup")
        .to_bytes();
    let record = change(
        S::ID,
        &server,
        Some(&record),
        Operation::SetPassword(&password_setup),
        &mut r,
    );
    let keys = server.key_set_for::<S>(USER, &record).expect("key set");
    let setup =
        [
            KeyServerSetup::newest(2.try_into().expect("holder"), &keys, GateMode::Voprf, false)
                .expect("setup"),
        ];
    let (pending, requests) = enrollment
        .request_gates(&setup, None, &mut r)
        .expect("request gates");
    let responses: Vec<GateResponse<S>> = requests
        .iter()
        .map(|q| {
            answer_with(&server, &record, &q.request.to_bytes(), &mut r).expect("enroll answer")
        })
        .collect();
    let enrolled = pending.finish(&responses, &mut r).expect("enroll finish");
    // Version 2 on top: what a rotation adds, and what re-seals and refreshes move to.
    let record = change(
        S::ID,
        &server,
        Some(&record),
        Operation::AddKeyVersion,
        &mut r,
    );
    let keys = server.key_set_for::<S>(USER, &record).expect("key set");
    let plaintext: &'static [u8] = b"alice / hunter2";
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", plaintext, &mut r)
        .expect("seal")
        .to_bytes();
    let unlock_rng = r.clone();
    // The gated unit and the tag change from separate RNGs, so the unlock above is fixed.
    let mut g = rng(2);
    let unit_pin = keys
        .pin(1, Purpose::UnitGate, Mode::Voprf)
        .expect("unit-gate pin");
    let (seal, request) = enrolled
        .vault
        .seal_gated_unit(
            b"vendor:gated",
            plaintext,
            KEY_ID,
            unit_pin,
            GateMode::Voprf,
            &mut g,
        )
        .expect("gated seal");
    let response =
        answer_with(&server, &record, &request.request.to_bytes(), &mut g).expect("gate answer");
    let gated_unit = seal
        .finish(&enrolled.vault, &response, &mut g)
        .expect("gated finish")
        .to_bytes();
    let other = Enrollment::<S>::new(enrolled.header.policy().clone(), &mut rng(4)).expect("deal");
    let tag_change = quorumkey::keyserver::TagChange::new(
        enrolled.vault.unlock_tag(KEY_ID),
        &other.unlock_tag(KEY_ID),
    )
    .to_secret_bytes()
    .to_vec();
    let unlock_proof = enrolled
        .vault
        .unlock_proof(KEY_ID)
        .to_secret_bytes()
        .to_vec();
    let other_unlock_proof = quorumkey::keyserver::UnlockProof::new(other.unlock_tag(KEY_ID))
        .to_secret_bytes()
        .to_vec();
    let device = enrolled
        .device_shares
        .first()
        .expect("device share")
        .clone();
    let card = enrolled.cards.first().expect("card").clone();
    let mut f = Fixture {
        server,
        record,
        keys,
        header: enrolled.header,
        device,
        card,
        capsules: enrolled.capsules,
        vault: enrolled.vault,
        unit,
        gated_unit,
        plaintext,
        unlock_rng,
        unlock_request: Vec::new(),
        unlock_response: Vec::new(),
        password_setup,
        unlock_proof,
        tag_change,
        other_unlock_proof,
    };
    let mut r = f.unlock_rng.clone();
    let (_, requests) = Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        &f.capsules,
        &Trust::new(),
        None,
        &mut r,
    )
    .expect("unlock start");
    let request = requests.first().expect("one request");
    f.unlock_request = request.request.to_bytes();
    f.unlock_response = answer(&f, request, &mut r)
        .expect("unlock answer")
        .to_bytes();
    self_check(&f);
    f
}

/// The fixture's success paths really succeed, so a target that never sees `Ok` is not
/// silently testing nothing.
fn self_check<S: Suite>(f: &Fixture<S>) {
    let (unlock, _) = pending_unlock(f);
    let response = GateResponse::<S>::from_bytes(&f.unlock_response).expect("response decodes");
    let vault = unlock
        .finish(&[Some(response)], &mut rng(0))
        .expect("the genuine response unlocks");
    let unit = SealedUnit::<S>::from_bytes(&f.unit).expect("unit decodes");
    assert_eq!(&**vault.open_unit(&unit).expect("unit opens"), f.plaintext);
    let gated = SealedUnit::<S>::from_bytes(&f.gated_unit).expect("gated decodes");
    let mut r = rng(0);
    let (read, requests) = UnitRead::start(std::slice::from_ref(&gated), &mut r).expect("read");
    let responses: Vec<_> = requests.iter().map(|q| answer(f, q, &mut r)).collect();
    let results = read.finish(&vault, &responses).expect("read finish");
    assert!(matches!(results.first(), Some(Ok(p)) if &***p == f.plaintext));
    // The genuine proof and tag change are accepted by the fixture's record.
    for body in [
        Operation::ConfirmUnlock(&f.unlock_proof),
        Operation::ChangeTag(&f.tag_change),
    ] {
        assert!(
            f.server
                .handle_in(S::ID, USER, Some(&f.record), body, &mut rng(0))
                .is_ok(),
            "the genuine password operation is accepted"
        );
    }
    assert_eq!(
        UserRecord::from_bytes(&f.record.to_secret_bytes())
            .ok()
            .as_ref(),
        Some(&f.record)
    );
}
