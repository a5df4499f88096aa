//! Test world shared by the vault and lifecycle tests: in-process key servers (each with an
//! in-memory record store for the test user) and the enroll/unlock round trips through them.
//!
//! Written once for every suite: the including module names the suite's API as `qk`
//! (`quorumkey`, or `qk::ristretto255`) and its suite as `SUITE`.
#![allow(dead_code)]

use super::{SUITE, qk};

use std::cell::RefCell;

use qk::Error;
use qk::gate::{GateMode, GateResponse, PasswordParams, ServerPin, ServerRequest};
use qk::keyserver::{
    AuditAction, AuditEvent, KeyServer, KeySet, Operation, PasswordSetup, TagChange, UnlockProof,
    UserRecord,
};
use qk::policy::Policy;
use qk::vault::{
    Capsule, Enrolled, Enrollment, KeyServerSetup, Password, Trust, Unlock, UnlockedVault,
    VaultHeader, VaultShare,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const USER: &[u8] = b"user-42";
/// The password tests stretch at the floor (19 MiB, 2 passes) to keep the suite quick.
pub fn fast() -> PasswordParams {
    PasswordParams::new(19 * 1024, 2, 1).unwrap()
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn password(secret: &[u8]) -> Password<'_> {
    Password::new(secret).with_params(fast())
}

/// One key server in the test world, holding the test user's record in memory and the
/// audit events it released.
pub struct Server {
    pub key_id: &'static str,
    pub server: KeyServer,
    pub record: RefCell<Option<UserRecord>>,
    pub audit: RefCell<Vec<AuditEvent>>,
    /// A server that is down answers nothing.
    pub down: std::cell::Cell<bool>,
}

impl Server {
    /// A key server with seed `[seed; 32]` and a record for USER at key version 1.
    pub fn new(key_id: &'static str, seed: u8) -> Self {
        let server = Self {
            key_id,
            server: KeyServer::new([seed; 32]),
            record: RefCell::new(None),
            audit: RefCell::new(Vec::new()),
            down: std::cell::Cell::new(false),
        };
        server.call(Operation::AddKeyVersion).unwrap();
        server
    }

    /// Runs one operation the way a real server does: handle, store the update, release.
    pub fn call(&self, operation: Operation<'_>) -> Result<Vec<u8>, Error> {
        let mut rng = rng(0x5e_u64 ^ self.revision());
        let current = self.record.borrow().clone();
        let outcome = self
            .server
            .handle_in(SUITE, USER, current.as_ref(), operation, &mut rng)?;
        let stored = outcome.record_update().cloned();
        if let Some(update) = &stored {
            // Compare-and-set: the revision moves by exactly one.
            assert_eq!(update.revision(), self.revision() + 1);
            *self.record.borrow_mut() = Some(update.clone());
        }
        let released = outcome.release(stored.as_ref())?;
        if let Some(event) = released.audit {
            assert_eq!(event.user_id, USER);
            self.audit.borrow_mut().push(event);
        }
        Ok(released.body)
    }

    pub fn revision(&self) -> u64 {
        self.record
            .borrow()
            .as_ref()
            .map_or(0, UserRecord::revision)
    }

    pub fn key_set(&self) -> KeySet {
        KeySet::from_bytes(&self.call(Operation::GetKeys).unwrap()).unwrap()
    }

    pub fn add_version(&self) -> KeySet {
        KeySet::from_bytes(&self.call(Operation::AddKeyVersion).unwrap()).unwrap()
    }

    pub fn drop_version(&self, version: u32) -> Result<KeySet, Error> {
        KeySet::from_bytes(&self.call(Operation::DropKeyVersion(version))?)
    }

    pub fn set_password(&self, setup: &PasswordSetup) -> Result<KeySet, Error> {
        KeySet::from_bytes(&self.call(Operation::SetPassword(&setup.to_bytes()))?)
    }

    pub fn confirm(&self, proof: &UnlockProof) -> Result<KeySet, Error> {
        KeySet::from_bytes(&self.call(Operation::ConfirmUnlock(&proof.to_secret_bytes()))?)
    }

    pub fn change_tag(&self, change: &TagChange) -> Result<KeySet, Error> {
        KeySet::from_bytes(&self.call(Operation::ChangeTag(&change.to_secret_bytes()))?)
    }

    pub fn pin(&self, version: u32, purpose: qk::gate::Purpose, mode: &GateMode) -> ServerPin {
        self.key_set().pin(version, purpose, mode.mode()).unwrap()
    }

    /// The same key server, down: it answers no request.
    pub fn down(key_id: &'static str, seed: u8) -> Self {
        let server = Self::new(key_id, seed);
        server.down.set(true);
        server
    }

    /// Evaluates a request through the whole server path (bytes in, bytes out).
    pub fn answer(&self, request: &ServerRequest) -> Result<GateResponse, Error> {
        if self.down.get() {
            return Err(Error::UnitGateRefused);
        }
        let body = self.call(Operation::Evaluate(&request.request.to_bytes()))?;
        let event = self.audit.borrow().last().cloned().unwrap();
        match event.action {
            AuditAction::Evaluated { element_count, .. } => {
                assert_eq!(element_count, request.request.evaluation_request().len());
            }
            other => panic!("unexpected audit action {other:?}"),
        }
        Ok(GateResponse::from_bytes(&body).unwrap())
    }

    /// The evaluations this server released.
    pub fn evaluations(&self) -> usize {
        self.audit
            .borrow()
            .iter()
            .filter(|e| matches!(e.action, AuditAction::Evaluated { .. }))
            .count()
    }
}

pub fn route<'a>(servers: &'a [Server], request: &ServerRequest) -> &'a Server {
    servers.iter().find(|s| s.key_id == request.key_id).unwrap()
}

/// What an app trusts at unlock: every test server's current key set.
pub fn trust(servers: &[Server]) -> Trust {
    servers
        .iter()
        .fold(Trust::new(), |t, s| t.key_set(s.key_id, s.key_set()))
}

/// Enrolls `policy` at the test servers (version 1), with the password guard set up first
/// when a password is given, and the unlock proof sent after.
pub fn enroll(
    policy: Policy,
    servers: &[Server],
    mode: GateMode,
    secret: Option<&[u8]>,
    seed: u64,
) -> Enrolled {
    let mut rng = rng(seed);
    let key_ids: Vec<&'static str> = policy
        .key_servers()
        .filter_map(|h| servers.iter().find(|s| Some(s.key_id) == h.kind().key_id()))
        .map(|s| s.key_id)
        .collect();
    let enrollment = Enrollment::new(policy, &mut rng).unwrap();
    if secret.is_some() {
        for key_id in &key_ids {
            let server = servers.iter().find(|s| s.key_id == *key_id).unwrap();
            if !matches!(
                server.key_set().guard(),
                qk::keyserver::GuardStatus::Active { .. }
            ) {
                server
                    .set_password(&enrollment.password_setup(key_id, 10).unwrap())
                    .unwrap();
            }
        }
    }
    let setups: Vec<KeyServerSetup> = enrollment
        .header()
        .policy()
        .key_servers()
        .map(|h| {
            let server = servers
                .iter()
                .find(|s| Some(s.key_id) == h.kind().key_id())
                .unwrap();
            KeyServerSetup::newest(h.id(), &server.key_set(), mode.clone(), secret.is_some())
                .unwrap()
        })
        .collect();
    let (pending, requests) = enrollment
        .request_gates(&setups, secret.map(password), &mut rng)
        .unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|r| route(servers, r).answer(r).unwrap())
        .collect();
    let enrolled = pending.finish(&responses, &mut rng).unwrap();
    if secret.is_some() {
        for key_id in &key_ids {
            let server = servers.iter().find(|s| s.key_id == *key_id).unwrap();
            server
                .confirm(&enrolled.vault.unlock_proof(key_id))
                .unwrap();
        }
    }
    enrolled
}

/// Unlocks through the test servers, trusting their key sets; after a password unlock the
/// proof goes to each server that evaluated a password capsule, as an app does.
pub fn unlock(
    header: &VaultHeader,
    shares: &[VaultShare],
    capsules: &[Capsule],
    servers: &[Server],
    password: Option<&[u8]>,
    seed: u64,
) -> Result<UnlockedVault, Error> {
    unlock_trusting(
        &trust(servers),
        header,
        shares,
        capsules,
        servers,
        password,
        seed,
    )
}

/// [`unlock`] with the caller's [`Trust`].
pub fn unlock_trusting(
    trust: &Trust,
    header: &VaultHeader,
    shares: &[VaultShare],
    capsules: &[Capsule],
    servers: &[Server],
    password: Option<&[u8]>,
    seed: u64,
) -> Result<UnlockedVault, Error> {
    let mut rng = rng(seed);
    let (unlock, requests) = Unlock::start(header, shares, capsules, trust, password, &mut rng)?;
    let responses: Vec<Option<GateResponse>> = requests
        .iter()
        .map(|r| {
            // A server missing from the test world is unreachable: no response.
            let server = servers.iter().find(|s| s.key_id == r.key_id)?;
            server.answer(r).ok()
        })
        .collect();
    let vault = unlock.finish(&responses, &mut rng)?;
    if password.is_some() {
        for capsule in capsules.iter().filter(|c| c.needs_password()) {
            if let Some(server) = servers.iter().find(|s| s.key_id == capsule.key_id()) {
                server.confirm(&vault.unlock_proof(server.key_id))?;
            }
        }
    }
    Ok(vault)
}

/// `Unlock::start` with what an enrolled device keeps: the header, its shares, the capsules.
pub fn start_unlock(
    enrolled: &Enrolled,
    password: Option<&[u8]>,
    rng: &mut ChaCha20Rng,
) -> Result<(Unlock, Vec<ServerRequest>), Error> {
    Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &Trust::new(),
        password,
        rng,
    )
}

pub fn two_of_three() -> Policy {
    Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "keys", "keys.example")
        .custodian(3, "recovery card")
        .build()
        .unwrap()
}

/// 3-of-4 {laptop, server A, server B, escrow}, with its two key servers.
pub fn three_of_four_two_servers() -> (Policy, [Server; 2]) {
    let policy = Policy::builder(3)
        .device(1, "laptop")
        .key_server(2, "server A", "a.example")
        .key_server(3, "server B", "b.example")
        .custodian(4, "escrow")
        .build()
        .unwrap();
    (
        policy,
        [Server::new("a.example", 1), Server::new("b.example", 2)],
    )
}
