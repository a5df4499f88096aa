//! The native side of the npm package's benchmark (`test/bench/bench.mjs`): the same
//! operations as the package measures, on the same crate with the same features (`alloc`,
//! no basepoint table) and, when built with `--profile wasm-server`, the same compile
//! settings as the Node.js module (opt-level 3, fat LTO, one codegen unit, panic=abort).
//!
//! * one P-256 VOPRF round trip: a gated unit's read (`UnitRead::start`), the key server's
//!   evaluation as the package's key-server role does it (the stored record decoded,
//!   `KeyServer::handle`, the audit event chained, released), `UnitRead::finish`;
//! * client-side unlock of a 2-of-3 vault {device, key server, card} without password:
//!   `Unlock::start` + `Unlock::finish` (the key server's evaluation excluded);
//! * the same with a password at the default Argon2id parameters (64 MiB, t=3, p=1).
//!
//! Prints the medians (ms) of `N` rounds (first argument, default 30; 3 for the password)
//! and the best rounds as one JSON line: `{"voprf", "voprfBest", "voprfClient",
//! "voprfServer", "unlock", "unlockBest", "password"}`.
//!
//! `cargo run -p quorumkey-js --example native_bench --profile wasm-server -- 30`

use std::time::Instant;

use quorumkey::gate::{GateMode, GateResponse, Purpose};
use quorumkey::keyserver::{KeyServer, KeySet, Operation, PasswordSetup, UserRecord};
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use quorumkey::vault::{Enrollment, KeyServerSetup, Password, Trust, UnitRead, Unlock};
use rand_core::UnwrapErr;

type Error = Box<dyn std::error::Error>;

const KEY_ID: &str = "keys.example.com";
const USER: &[u8] = b"bench";

/// The key server as the package's key-server role runs it: the record kept as bytes (the
/// database row), decoded for its revision and again by `handle`, the update encoded and
/// stored before the answer is released, and each audit event chained.
struct Server {
    keys: KeyServer,
    stored: Option<Vec<u8>>,
    chain: [u8; 32],
    seq: u64,
}

impl Server {
    fn call(&mut self, op: Operation<'_>) -> Result<Vec<u8>, Error> {
        let mut rng = UnwrapErr(getrandom::SysRng);
        let _revision = self
            .stored
            .as_deref()
            .map(UserRecord::from_bytes)
            .transpose()?
            .map(|r| r.revision());
        let record = self
            .stored
            .as_deref()
            .map(UserRecord::from_bytes)
            .transpose()?;
        let outcome = self.keys.handle(USER, record.as_ref(), op, &mut rng)?;
        let update = outcome.record_update().cloned();
        if let Some(update) = &update {
            self.stored = Some(update.to_secret_bytes().to_vec());
        }
        if let Some(event) = outcome.audit_event() {
            self.seq += 1;
            self.chain = event.chain(&self.chain, self.seq, self.seq);
        }
        Ok(outcome.release(update.as_ref())?.body)
    }

    fn evaluate(&mut self, body: &[u8]) -> Result<GateResponse, Error> {
        Ok(GateResponse::from_bytes(
            &self.call(Operation::Evaluate(body))?,
        )?)
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn best(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn main() -> Result<(), Error> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(30);
    let mut rng = UnwrapErr(getrandom::SysRng);
    let mut server = Server {
        keys: KeyServer::new([9; 32]),
        stored: None,
        chain: [0; 32],
        seq: 0,
    };
    let keys = KeySet::from_bytes(&server.call(Operation::AddKeyVersion)?)?;
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "ks", KEY_ID)
        .custodian(3, "card")
        .build()?;

    // Enroll without a password, then a gated unit.
    let setup = KeyServerSetup::newest(2.try_into()?, &keys, GateMode::Voprf, false)?;
    let (pending, requests) = Enrollment::new(policy.clone(), &mut rng)?.request_gates(
        std::slice::from_ref(&setup),
        None,
        &mut rng,
    )?;
    let response = server.evaluate(&requests[0].request.to_bytes())?;
    let enrolled = pending.finish(&[response], &mut rng)?;
    let pin = keys
        .newest_pin(Purpose::UnitGate, Mode::Voprf)
        .ok_or("no unit-gate key")?;
    let (seal, request) =
        enrolled
            .vault
            .seal_gated_unit(b"g", b"x", KEY_ID, pin, GateMode::Voprf, &mut rng)?;
    let response = server.evaluate(&request.request.to_bytes())?;
    let gated = [seal.finish(&enrolled.vault, &response, &mut rng)?];

    // One VOPRF round trip: blind, evaluate, finalize.
    let (mut total, mut client, mut evaluation) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds + 3 {
        let t0 = Instant::now();
        let (read, requests) = UnitRead::start(&gated, &mut rng)?;
        let blind = ms(t0);
        let t1 = Instant::now();
        let response = server.evaluate(&requests[0].request.to_bytes())?;
        let server_ms = ms(t1);
        let t2 = Instant::now();
        read.finish(&enrolled.vault, &[Some(response)])?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let finalize = ms(t2);
        if i >= 3 {
            total.push(blind + server_ms + finalize);
            client.push(blind + finalize);
            evaluation.push(server_ms);
        }
    }

    // Client-side unlock, no password (the evaluation excluded).
    let trust = Trust::new();
    let mut unlock = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let (pending, requests) = Unlock::start(
            &enrolled.header,
            &enrolled.device_shares,
            &enrolled.capsules,
            &trust,
            None,
            &mut rng,
        )?;
        let start = ms(t0);
        let response = server.evaluate(&requests[0].request.to_bytes())?;
        let t1 = Instant::now();
        pending.finish(&[Some(response)], &mut rng)?.lock();
        unlock.push(start + ms(t1));
    }

    // With a password at the default Argon2id parameters.
    let enrollment = Enrollment::new(policy, &mut rng)?;
    let guard = PasswordSetup::new(10, &enrollment.unlock_tag(KEY_ID))?;
    let keys = KeySet::from_bytes(&server.call(Operation::SetPassword(&guard.to_bytes()))?)?;
    let setup = KeyServerSetup::newest(2.try_into()?, &keys, GateMode::Voprf, true)?;
    let secret = b"correct horse battery staple";
    let (pending, requests) = enrollment.request_gates(
        std::slice::from_ref(&setup),
        Some(Password::new(secret)),
        &mut rng,
    )?;
    let response = server.evaluate(&requests[0].request.to_bytes())?;
    let with_password = pending.finish(&[response], &mut rng)?;
    let proof = with_password.vault.unlock_proof(KEY_ID).to_secret_bytes();
    server.call(Operation::ConfirmUnlock(&proof))?;
    let mut password = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let (pending, requests) = Unlock::start(
            &with_password.header,
            &with_password.device_shares,
            &with_password.capsules,
            &trust,
            Some(secret),
            &mut rng,
        )?;
        let start = ms(t0);
        let response = server.evaluate(&requests[0].request.to_bytes())?;
        let t1 = Instant::now();
        let vault = pending.finish(&[Some(response)], &mut rng)?;
        password.push(start + ms(t1));
        server.call(Operation::ConfirmUnlock(
            &vault.unlock_proof(KEY_ID).to_secret_bytes(),
        ))?;
    }

    println!(
        "{{\"voprf\":{:.3},\"voprfBest\":{:.3},\"voprfClient\":{:.3},\"voprfServer\":{:.3},\"unlock\":{:.3},\"unlockBest\":{:.3},\"password\":{:.3}}}",
        median(&total),
        best(&total),
        median(&client),
        median(&evaluation),
        median(&unlock),
        best(&unlock),
        median(&password)
    );
    Ok(())
}
