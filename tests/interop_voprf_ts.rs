//! Interoperability with Cloudflare's voprf-ts, the TypeScript RFC 9497 implementation a
//! Node.js key server or a browser client would use, run as a live peer.
//!
//! Each direction is exercised in all three modes with a batch: our client against a
//! voprf-ts server, a voprf-ts client against our server, and both sides' direct
//! `Evaluate`. Messages cross as bytes in the layout of spec/oprf.md §3, so these tests
//! also pin that layout to voprf-ts's `serialize`/`deserialize`.
//!
//! Then a whole quorumkey key server in JavaScript (`tests/interop/voprf-ts/keyserver.mjs`,
//! written from spec/ alone on voprf-ts: it reads the user record, derives the protocol 02
//! keys, parses gate requests and writes gate responses, without counting guesses) enrolls
//! and unlocks vaults, interchangeably with [`KeyServer`](quorumkey::keyserver::KeyServer),
//! and refuses the negative vectors' gate requests and user records.
//!
//! Needs Node.js ≥ 20 and the peer's package installed:
//!
//! ```sh
//! npm ci --prefix tests/interop/voprf-ts
//! cargo test --test interop_voprf_ts -- --ignored
//! ```

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use quorumkey as qk;
/// The suite `common` runs its key servers in.
const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
mod common;

use common::{Server, USER, start_unlock, two_of_three};
use quorumkey::gate::{GateMode, GateResponse, Purpose, ServerRequest};
use quorumkey::keyserver::{Operation, UserRecord};
use quorumkey::oprf::{
    BlindedElement, Error, EvaluationRequest, EvaluationResponse, Mode, OprfClient, Output,
    PoprfClient, PublicKey, ServerKey, VoprfClient,
};
use quorumkey::vault::{Enrolled, Enrollment, KeyServerSetup, Password, UnlockedVault};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{Value, json};

const INFO: &[u8] = b"quorumkey interop info";

/// The voprf-ts peer: `tests/interop/voprf-ts/peer.mjs`, one JSON request per line.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start() -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/voprf-ts/peer.mjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start node (Node.js ≥ 20 must be on PATH)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one request and returns the reply, or the peer's error text.
    fn call(&mut self, request: Value) -> Result<Value, String> {
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let reply: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("peer replied {line:?}: {e}"));
        match reply.get("error") {
            Some(error) => Err(error.as_str().unwrap_or_default().to_owned()),
            None => Ok(reply),
        }
    }

    fn hex_field(reply: &Value, field: &str) -> Vec<u8> {
        hex::decode(reply[field].as_str().unwrap()).unwrap()
    }

    /// A voprf-ts server with `key` in `mode`: `op` is `blindEvaluate` (on request bytes,
    /// giving response bytes) or `evaluate` (on an input, giving the output).
    fn server(&mut self, op: &str, mode: Mode, key: &ServerKey, bytes: &[u8]) -> Vec<u8> {
        let (arg, result) = match op {
            "blindEvaluate" => ("request", "response"),
            _ => ("input", "output"),
        };
        let mut request = json!({
            "op": op, "mode": name(mode), "sk": hex::encode(*key.to_secret_bytes()),
            "info": hex::encode(INFO),
        });
        request[arg] = hex::encode(bytes).into();
        Self::hex_field(&self.call(request).unwrap(), result)
    }

    /// voprf-ts `client.blind(inputs)`: (its finalize data, the request bytes).
    fn blind(&mut self, mode: Mode, pk: &PublicKey, inputs: &[Vec<u8>]) -> (String, Vec<u8>) {
        let inputs: Vec<String> = inputs.iter().map(hex::encode).collect();
        let reply = self
            .call(json!({
                "op": "blind", "mode": name(mode), "pk": hex::encode(pk.to_bytes()),
                "inputs": inputs,
            }))
            .unwrap();
        let fin = reply["finData"].as_str().unwrap().to_owned();
        (fin, Self::hex_field(&reply, "request"))
    }

    /// voprf-ts `client.finalize(finData, evaluation[, info])`: the outputs, or its error.
    fn finalize(
        &mut self,
        mode: Mode,
        pk: &PublicKey,
        fin: &str,
        response: &[u8],
    ) -> Result<Vec<Vec<u8>>, String> {
        let reply = self.call(json!({
            "op": "finalize", "mode": name(mode), "pk": hex::encode(pk.to_bytes()),
            "info": hex::encode(INFO), "finData": fin, "response": hex::encode(response),
        }))?;
        Ok(reply["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| hex::decode(o.as_str().unwrap()).unwrap())
            .collect())
    }
}

/// The JavaScript key server of `keyserver.mjs`, with master seed `seed` (generation 1),
/// serving USER, whose record it is given as bytes.
impl Peer {
    /// Its public key for USER at `version`, `purpose` and `mode`.
    fn gate_key(
        &mut self,
        seed: &[u8; 32],
        record: &[u8],
        version: u32,
        purpose: Purpose,
        mode: Mode,
    ) -> Vec<u8> {
        let reply = self
            .call(json!({
                "op": "gateKey", "seed": hex::encode(seed), "user": hex::encode(USER),
                "record": hex::encode(record), "version": version,
                "purpose": purpose.to_byte(), "mode": name(mode),
            }))
            .unwrap();
        Self::hex_field(&reply, "pk")
    }

    /// Its answer to a gate request, reading USER's `record`.
    fn gate(
        &mut self,
        seed: &[u8; 32],
        record: &[u8],
        request: &ServerRequest,
    ) -> Result<GateResponse, String> {
        let reply = self.call(json!({
            "op": "gate", "seed": hex::encode(seed), "user": hex::encode(USER),
            "record": hex::encode(record), "request": hex::encode(request.request.to_bytes()),
        }))?;
        Ok(GateResponse::from_bytes(&Self::hex_field(&reply, "response")).unwrap())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn name(mode: Mode) -> &'static str {
    match mode {
        Mode::Oprf => "oprf",
        Mode::Voprf => "voprf",
        Mode::Poprf => "poprf",
    }
}

const MODES: [Mode; 3] = [Mode::Oprf, Mode::Voprf, Mode::Poprf];

fn key(mode: Mode, seed: u8) -> ServerKey {
    ServerKey::derive(mode, &[seed; 32], b"interop with voprf-ts").unwrap()
}

/// Inputs of several lengths, the empty one included.
fn inputs() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"vendor credential".to_vec(),
        vec![0xa5; 200],
        (0..=255).collect(),
    ]
}

/// Our direct evaluation, the reference both sides must reach.
fn direct(mode: Mode, key: &ServerKey, input: &[u8]) -> Output {
    match mode {
        Mode::Poprf => key.evaluate_poprf(input, INFO),
        _ => key.evaluate(mode, input),
    }
    .unwrap()
}

/// Our client's states for one batch, one type per mode.
enum States {
    Oprf(Vec<OprfClient>),
    Voprf(Vec<VoprfClient>),
    Poprf(Vec<PoprfClient>),
}

/// One batch blinded by our client: the request bytes and what finalizes the answer.
struct OurRound {
    request: Vec<u8>,
    states: States,
    inputs: Vec<Vec<u8>>,
    pk: PublicKey,
}

impl OurRound {
    fn blind(mode: Mode, pk: &PublicKey, inputs: &[Vec<u8>], rng: &mut ChaCha20Rng) -> Self {
        fn all<S, B: FnMut(&[u8]) -> Result<(S, BlindedElement), Error>>(
            inputs: &[Vec<u8>],
            mut blind: B,
        ) -> (Vec<S>, Vec<u8>) {
            let (states, blinded): (Vec<S>, Vec<_>) =
                inputs.iter().map(|i| blind(i).unwrap()).unzip();
            (states, EvaluationRequest::new(blinded).unwrap().to_bytes())
        }
        let (states, request) = match mode {
            Mode::Oprf => {
                let (s, r) = all(inputs, |i| OprfClient::blind(i, &mut *rng));
                (States::Oprf(s), r)
            }
            Mode::Voprf => {
                let (s, r) = all(inputs, |i| VoprfClient::blind(i, &mut *rng));
                (States::Voprf(s), r)
            }
            Mode::Poprf => {
                let (s, r) = all(inputs, |i| PoprfClient::blind(i, INFO, pk, &mut *rng));
                (States::Poprf(s), r)
            }
        };
        Self {
            request,
            states,
            inputs: inputs.to_vec(),
            pk: *pk,
        }
    }

    fn finish(self, response: &[u8]) -> Result<Vec<Output>, Error> {
        let response = EvaluationResponse::from_bytes(response)?;
        match self.states {
            States::Oprf(s) => OprfClient::finalize_batch(s, &self.inputs, &response),
            States::Voprf(s) => VoprfClient::finalize_batch(s, &self.inputs, &response, &self.pk),
            States::Poprf(s) => PoprfClient::finalize_batch(s, &self.inputs, INFO, &response),
        }
    }
}

/// Our server's answer to request bytes, as bytes.
fn our_response(mode: Mode, key: &ServerKey, request: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let request = EvaluationRequest::from_bytes(request).unwrap();
    match mode {
        Mode::Oprf => key.respond_oprf(&request),
        Mode::Voprf => key.respond_voprf(&request, rng),
        Mode::Poprf => key.respond_poprf(&request, INFO, rng).unwrap(),
    }
    .to_bytes()
}

#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn direct_evaluation_agrees() {
    let mut peer = Peer::start();
    for mode in MODES {
        let key = key(mode, 1);
        for input in inputs() {
            assert_eq!(
                peer.server("evaluate", mode, &key, &input),
                direct(mode, &key, &input).as_secret_bytes().to_vec(),
                "{mode:?}, input of {} bytes",
                input.len()
            );
        }
    }
}

#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn our_client_with_a_voprf_ts_server() {
    let mut peer = Peer::start();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let inputs = inputs();
    for mode in MODES {
        let key = key(mode, 2);
        let round = OurRound::blind(mode, key.public_key(), &inputs, &mut rng);
        let response = peer.server("blindEvaluate", mode, &key, &round.request);
        let outputs = round.finish(&response).unwrap();
        for (output, input) in outputs.iter().zip(&inputs) {
            assert_eq!(*output, direct(mode, &key, input), "{mode:?}");
        }
    }
}

#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn voprf_ts_client_with_our_server() {
    let mut peer = Peer::start();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let inputs = inputs();
    for mode in MODES {
        let key = key(mode, 3);
        let (fin, request) = peer.blind(mode, key.public_key(), &inputs);
        let response = our_response(mode, &key, &request, &mut rng);
        let outputs = peer
            .finalize(mode, key.public_key(), &fin, &response)
            .unwrap();
        assert_eq!(outputs.len(), inputs.len());
        for (output, input) in outputs.iter().zip(&inputs) {
            assert_eq!(
                *output,
                direct(mode, &key, input).as_secret_bytes().to_vec(),
                "{mode:?}"
            );
        }
    }
}

/// A server answering with another key is caught on both sides, in both verifiable modes.
#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn a_wrong_key_is_caught_both_ways() {
    let mut peer = Peer::start();
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let inputs = inputs();
    for mode in [Mode::Voprf, Mode::Poprf] {
        let pinned = key(mode, 4);
        let other = key(mode, 5);

        let round = OurRound::blind(mode, pinned.public_key(), &inputs, &mut rng);
        let forged = peer.server("blindEvaluate", mode, &other, &round.request);
        assert_eq!(round.finish(&forged), Err(Error::Verify), "{mode:?}");

        let (fin, request) = peer.blind(mode, pinned.public_key(), &inputs);
        let forged = our_response(mode, &other, &request, &mut rng);
        assert!(
            peer.finalize(mode, pinned.public_key(), &fin, &forged)
                .is_err(),
            "{mode:?}: voprf-ts accepted a proof under another key"
        );
    }
}

/// Unlocks `enrolled` (device share + capsule) with the JavaScript key server answering
/// from `record`; a request it refuses goes unanswered.
fn unlock_through_js(
    peer: &mut Peer,
    seed: &[u8; 32],
    record: &[u8],
    enrolled: &Enrolled,
    password: Option<&[u8]>,
    rng: &mut ChaCha20Rng,
) -> Result<UnlockedVault, quorumkey::Error> {
    let (unlock, requests) = start_unlock(enrolled, password, rng)?;
    let responses: Vec<Option<GateResponse>> = requests
        .iter()
        .map(|r| peer.gate(seed, record, r).ok())
        .collect();
    unlock.finish(&responses, rng)
}

/// The record bytes `server` stores for USER.
fn record_bytes(server: &Server) -> Vec<u8> {
    server
        .record
        .borrow()
        .as_ref()
        .unwrap()
        .to_secret_bytes()
        .to_vec()
}

/// `record` after `operation`, as the reference key server would store it (not stored).
fn changed(server: &Server, record: &[u8], operation: Operation<'_>) -> Vec<u8> {
    let record = UserRecord::from_bytes(record).unwrap();
    let outcome = server
        .server
        .handle(USER, Some(&record), operation, &mut common::rng(9))
        .unwrap();
    outcome.record_update().unwrap().to_secret_bytes().to_vec()
}

/// A key server in JavaScript, written from spec/ on voprf-ts, serves real vaults: the same
/// per-user keys as [`KeyServer`](quorumkey::keyserver::KeyServer) for every purpose and
/// mode, enrollment through it (with the password guard set up at the reference server,
/// whose record it reads), unlock through it and through ours, and it refuses a dropped key
/// version and a burned password.
#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn a_javascript_key_server_serves_vaults() {
    let mut peer = Peer::start();
    const SEED: u8 = 7;
    let seed = [SEED; 32];
    let modes = [GateMode::Voprf, GateMode::poprf(b"vault gate").unwrap()];
    for (i, mode) in modes.into_iter().enumerate() {
        for password in [None, Some(&b"1234"[..])] {
            let label = format!("{mode:?}, password {password:?}");
            let seed_offset = 10 * i as u64 + u64::from(password.is_some());
            // Enroll through the JavaScript server, the guard set up at ours first.
            let ours = Server::new("keys.example", SEED);
            let mut rng = common::rng(20 + seed_offset);
            let enrollment = Enrollment::new(two_of_three(), &mut rng).unwrap();
            if password.is_some() {
                ours.set_password(&enrollment.password_setup("keys.example", 10).unwrap())
                    .unwrap();
            }
            let record = record_bytes(&ours);

            // DeriveKeyPair(seed, "quorumkey v2 key" ‖ purpose ‖ user ‖ version ‖ materials).
            for purpose in Purpose::ALL {
                if purpose == Purpose::PasswordCapsule && password.is_none() {
                    continue;
                }
                assert_eq!(
                    peer.gate_key(&seed, &record, 1, purpose, mode.mode()),
                    ours.pin(1, purpose, &mode).public_key.to_bytes().to_vec(),
                    "{label}: {purpose:?}"
                );
            }

            let setups = [KeyServerSetup::newest(
                quorumkey::sharing::HolderId::new(2).unwrap(),
                &ours.key_set(),
                mode.clone(),
                password.is_some(),
            )
            .unwrap()];
            let secret = password.map(|p| Password::new(p).with_params(common::fast()));
            let (pending, requests) = enrollment.request_gates(&setups, secret, &mut rng).unwrap();
            let responses: Vec<GateResponse> = requests
                .iter()
                .map(|r| peer.gate(&seed, &record, r).unwrap())
                .collect();
            if password.is_some() {
                assert_eq!(responses[0].guesses_remaining(), Some(9), "{label}");
            }
            let enrolled = pending.finish(&responses, &mut rng).unwrap();
            let unit = enrolled
                .vault
                .seal_unit(b"vendor:acme", b"alice:hunter2", &mut rng)
                .unwrap();

            // Unlock through it, device share + capsule; not with version 1 dropped.
            let dropped = changed(&ours, &record, Operation::AddKeyVersion);
            let dropped = changed(&ours, &dropped, Operation::DropKeyVersion(1));
            assert_eq!(
                unlock_through_js(&mut peer, &seed, &dropped, &enrolled, password, &mut rng).err(),
                Some(quorumkey::Error::NotEnoughShares { needed: 2, got: 1 }),
                "{label}: a dropped key version was served"
            );
            let vault = unlock_through_js(&mut peer, &seed, &record, &enrolled, password, &mut rng)
                .unwrap();
            assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice:hunter2");

            // And through ours: the two servers are interchangeable.
            let vault = common::unlock(
                &enrolled.header,
                &enrolled.device_shares,
                &enrolled.capsules,
                core::slice::from_ref(&ours),
                password,
                30 + seed_offset,
            )
            .unwrap();
            assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice:hunter2");

            // A burned guard: ten guesses counted by ours, then the JavaScript server refuses.
            if password.is_some() {
                let mut burned = record_bytes(&ours);
                for _ in 0..10 {
                    let (_, requests) = start_unlock(&enrolled, password, &mut rng).unwrap();
                    burned = changed(
                        &ours,
                        &burned,
                        Operation::Evaluate(&requests[0].request.to_bytes()),
                    );
                }
                let (_, requests) = start_unlock(&enrolled, password, &mut rng).unwrap();
                let refused = peer.gate(&seed, &burned, &requests[0]).unwrap_err();
                assert!(refused.contains("password_burned"), "{label}: {refused}");
            }

            // A vault enrolled through ours unlocks through the JavaScript server.
            let other = Server::new("keys.example", SEED);
            let enrolled = common::enroll(
                two_of_three(),
                core::slice::from_ref(&other),
                mode.clone(),
                password,
                40 + seed_offset,
            );
            let record = record_bytes(&other);
            assert!(
                unlock_through_js(&mut peer, &seed, &record, &enrolled, password, &mut rng).is_ok(),
                "{label}"
            );
        }
    }
}

/// The JavaScript key server refuses every gate request and user record that
/// spec/vectors/negative.json says must be refused, and accepts the valid ones of
/// protocol.json: its parsers, written from wire-format.md, are as strict as ours.
#[test]
#[ignore = "needs Node.js and `npm ci --prefix tests/interop/voprf-ts`"]
fn the_javascript_key_server_refuses_the_negative_vectors() {
    let mut peer = Peer::start();
    let negative: Value =
        serde_json::from_str(include_str!("../spec/vectors/negative.json")).unwrap();
    let mut refused = 0;
    for case in negative["cases"].as_array().unwrap() {
        let op = match case["object"].as_str().unwrap() {
            "gate request" => "parseGateRequest",
            "user record" => "parseUserRecord",
            _ => continue,
        };
        let result = peer.call(json!({ "op": op, "bytes": case["hex"] }));
        assert!(
            result.is_err(),
            "{} accepted: {}",
            case["object"],
            case["case"]
        );
        refused += 1;
    }
    assert!(refused > 20);
    let protocol: Value =
        serde_json::from_str(include_str!("../spec/vectors/protocol.json")).unwrap();
    for v in protocol["vectors"].as_array().unwrap() {
        for ks in v["key_servers"].as_array().unwrap() {
            for record in ks["records"].as_array().unwrap() {
                peer.call(json!({ "op": "parseUserRecord", "bytes": record["bytes"] }))
                    .unwrap();
            }
        }
        for gate in v["enroll"]["gates"].as_array().unwrap() {
            peer.call(json!({ "op": "parseGateRequest", "bytes": gate["request"] }))
                .unwrap();
        }
    }
}
