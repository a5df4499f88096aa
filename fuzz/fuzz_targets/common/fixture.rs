//! A fixed, deterministic world shared by the stateful targets: one key server, a 2-of-3
//! vault {device, key server, custodian} enrolled in VOPRF mode, an ungated and a gated
//! unit, and the genuine unlock exchange. Built once per process (seeded ChaCha20).
#![allow(dead_code)]

use std::sync::OnceLock;

use quorumkey::gate::{GateMode, GateResponse, ServerPin, ServerRequest};
use quorumkey::keyserver::KeyServer;
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use quorumkey::vault::{
    Capsule, Enrollment, KeyServerSetup, Unlock, UnlockedVault, VaultHeader, VaultShare,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const USER: &[u8] = b"user-42";
pub const KEY_ID: &str = "keys.example";
pub const ACTIVE: &[u32] = &[1];

pub struct Fixture {
    pub server: KeyServer,
    pub header: VaultHeader,
    pub device: VaultShare,
    pub capsules: Vec<Capsule>,
    pub vault: UnlockedVault,
    /// The ungated unit's bytes and plaintext.
    pub unit: Vec<u8>,
    /// The gated unit's bytes (VOPRF gate at the same server).
    pub gated_unit: Vec<u8>,
    pub plaintext: &'static [u8],
    /// The RNG state the unlock starts from (the one of vector 0 in
    /// spec/vectors/protocol.json, whose unlock response is then genuine here too).
    pub unlock_rng: ChaCha20Rng,
    /// The genuine response to that unlock.
    pub unlock_response: Vec<u8>,
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn answer(
    server: &KeyServer,
    request: &ServerRequest,
    rng: &mut ChaCha20Rng,
) -> Option<GateResponse> {
    server
        .evaluate(USER, ACTIVE, &request.request.to_bytes(), rng)
        .ok()
        .map(|(response, _)| response)
}

/// A pending unlock of the fixture's vault (device share + the capsule), rebuilt from a
/// fixed RNG state so every input sees the same blinds.
pub fn pending_unlock(f: &Fixture) -> (Unlock, Vec<ServerRequest>) {
    let mut r = f.unlock_rng.clone();
    Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        &f.capsules,
        None,
        &mut r,
    )
    .expect("the fixture's unlock starts")
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

/// The same steps, RNG and key server as vector 0 of spec/vectors/protocol.json
/// (tests/protocol_vectors.rs), so its objects are valid seeds for the stateful targets.
fn build() -> Fixture {
    let mut r = rng(1);
    let server = KeyServer::new([0x5e; 32]);
    let pin = ServerPin {
        key_version: 1,
        public_key: server.public_key(USER, 1, Mode::Voprf).expect("public key"),
    };
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", KEY_ID)
        .custodian(3, "recovery card")
        .build()
        .expect("policy");
    let setup = [KeyServerSetup {
        holder: 2.try_into().expect("holder"),
        pin: pin.clone(),
        mode: GateMode::Voprf,
    }];
    let (enrollment, requests) = Enrollment::start(policy, &setup, None, &mut r).expect("enroll");
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| answer(&server, q, &mut r).expect("enroll answer"))
        .collect();
    let enrolled = enrollment
        .finish(&responses, &mut r)
        .expect("enroll finish");
    let plaintext: &'static [u8] = b"alice / hunter2";
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", plaintext, &mut r)
        .expect("seal")
        .to_bytes();
    let unlock_rng = r.clone();
    // The gated unit from a separate RNG, so the unlock above stays that of vector 0.
    let mut g = rng(2);
    let (seal, request) = enrolled
        .vault
        .seal_gated_unit(
            b"vendor:gated",
            plaintext,
            KEY_ID,
            pin,
            GateMode::Voprf,
            &mut g,
        )
        .expect("gated seal");
    let response = answer(&server, &request, &mut g).expect("gate answer");
    let gated_unit = seal
        .finish(&enrolled.vault, &response, &mut g)
        .expect("gated finish")
        .to_bytes();
    let device = enrolled
        .device_shares
        .first()
        .expect("device share")
        .clone();
    let mut f = Fixture {
        server,
        header: enrolled.header,
        device,
        capsules: enrolled.capsules,
        vault: enrolled.vault,
        unit,
        gated_unit,
        plaintext,
        unlock_rng,
        unlock_response: Vec::new(),
    };
    let mut r = f.unlock_rng.clone();
    let (_, requests) = Unlock::start(
        &f.header,
        std::slice::from_ref(&f.device),
        &f.capsules,
        None,
        &mut r,
    )
    .expect("unlock start");
    let request = requests.first().expect("one request");
    f.unlock_response = answer(&f.server, request, &mut r)
        .expect("unlock answer")
        .to_bytes();
    self_check(&f);
    f
}

/// The fixture's success paths really succeed, so a target that never sees `Ok` is not
/// silently testing nothing.
fn self_check(f: &Fixture) {
    let (unlock, _) = pending_unlock(f);
    let response = GateResponse::from_bytes(&f.unlock_response).expect("response decodes");
    let vault = unlock
        .finish(&[Some(response)], &mut rng(0))
        .expect("the genuine response unlocks");
    let unit = quorumkey::vault::SealedUnit::from_bytes(&f.unit).expect("unit decodes");
    assert_eq!(&**vault.open_unit(&unit).expect("unit opens"), f.plaintext);
    let gated = quorumkey::vault::SealedUnit::from_bytes(&f.gated_unit).expect("gated decodes");
    let mut r = rng(0);
    let (read, requests) =
        quorumkey::vault::UnitRead::start(std::slice::from_ref(&gated), &mut r).expect("read");
    let responses: Vec<_> = requests
        .iter()
        .map(|q| answer(&f.server, q, &mut r))
        .collect();
    let results = read.finish(&vault, &responses).expect("read finish");
    assert!(matches!(results.first(), Some(Ok(p)) if &***p == f.plaintext));
}
