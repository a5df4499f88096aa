//! The end-to-end demo: a key server speaking `spec/http-api.md` on 127.0.0.1, and a client
//! that enrolls a 2-of-3 vault {device, key server, recovery card} behind a PIN, seals two
//! vendor credentials (one behind its own gate), locks, unlocks, recovers without the
//! device, revokes the lost device (rekey + every unit moved), rotates the server key —
//! and then watches a thief with a stolen device and the user's login count a wrong PIN down
//! to the last guess, after which the password key is burned for good.
//!
//! Run: `cargo run --example demo` (an embedded key server), or against a running
//! `quorumkey-server`, whose tokens are good for one request each, minting one per request:
//!
//! ```text
//! cargo run -p quorumkey-server -- serve &
//! cargo run --example demo -- --server http://127.0.0.1:8440 \
//!     --token-command "cargo run -q -p quorumkey-server -- dev-token --user alice"
//! ```
//!
//! (`--token TOKEN` sends one fixed token instead, for key servers that accept it again.)

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quorumkey::gate::{GateMode, GateResponse, Purpose, ServerRequest};
use quorumkey::keyserver::{
    AuditAction, AuditEvent, GuardStatus, KeyServer, KeySet, Operation, UserRecord, http_status,
};
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use quorumkey::vault::{
    Capsule, Enrollment, GateTarget, KeyServerSetup, Password, PendingEnrollment, RecoveryKit,
    SealedUnit, ShareCard, Trust, UnitIndex, UnitRead, Unlock, UnlockedVault, VaultHeader,
    VaultShare,
};

type Error = Box<dyn std::error::Error + Send + Sync>;

const KEY_ID: &str = "keys.demo.example";
const PIN: &[u8] = b"2468";

// ---------------------------------------------------------------------------------------
// The embedded key server: spec/http-api.md over the core's `KeyServer::handle`
// ---------------------------------------------------------------------------------------

/// What the key server keeps: its master seed (in production: a KMS/HSM, outside the
/// database), one record per user (the database), and the audit log. Sessions stand in for
/// the JWTs the standalone server verifies.
struct ServerState {
    keys: KeyServer,
    sessions: HashMap<String, Vec<u8>>,
    records: HashMap<Vec<u8>, UserRecord>,
    audit: Vec<(AuditEvent, [u8; 32])>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short_hex(bytes: &[u8]) -> String {
    let h = hex(bytes);
    if h.len() > 24 {
        format!("{}…{} ({} B)", &h[..12], &h[h.len() - 8..], bytes.len())
    } else {
        h
    }
}

fn respond(request: tiny_http::Request, status: u16, body: Vec<u8>, json: bool) {
    let kind = if json {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let header = tiny_http::Header::from_bytes("Content-Type", kind).expect("static header");
    let _ = request.respond(
        tiny_http::Response::from_data(body)
            .with_status_code(status)
            .with_header(header),
    );
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#).into_bytes()
}

fn handle(state: &Mutex<ServerState>, mut request: tiny_http::Request) {
    let mut state = state.lock().expect("one request at a time");
    let user = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Bearer "))
        .and_then(|token| state.sessions.get(token).cloned());
    let Some(user) = user else {
        return respond(request, 401, error_body("unauthorized", "no session"), true);
    };
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(16 * 1024 + 1)
        .read_to_end(&mut body)
        .is_err()
        || body.len() > 16 * 1024
    {
        return respond(
            request,
            413,
            error_body("body_too_large", "16 KiB at most"),
            true,
        );
    }
    let url = request.url().to_string();
    let operation = match (request.method(), url.as_str()) {
        (tiny_http::Method::Post, "/v1/evaluate") => Operation::Evaluate(&body),
        (tiny_http::Method::Get, "/v1/keys") => Operation::GetKeys,
        (tiny_http::Method::Post, "/v1/keys") => Operation::AddKeyVersion,
        (tiny_http::Method::Delete, path) if path.starts_with("/v1/keys/") => {
            match path.trim_start_matches("/v1/keys/").parse() {
                Ok(v) => Operation::DropKeyVersion(v),
                Err(_) => {
                    return respond(request, 400, error_body("invalid_version", "u32"), true);
                }
            }
        }
        (tiny_http::Method::Post, "/v1/password") => Operation::SetPassword(&body),
        (tiny_http::Method::Post, "/v1/password/unlocked") => Operation::ConfirmUnlock(&body),
        (tiny_http::Method::Post, "/v1/password/tag") => Operation::ChangeTag(&body),
        _ => return respond(request, 404, error_body("not_found", "no such path"), true),
    };
    let created =
        matches!(operation, Operation::AddKeyVersion) && !state.records.contains_key(&user);
    let ServerState {
        keys,
        records,
        audit,
        ..
    } = &mut *state;
    let outcome = match keys.handle(&user, records.get(&user), operation, &mut rand::rng()) {
        Ok(outcome) => outcome,
        Err(e) => {
            let status = http_status(&e);
            return respond(request, status, error_body(e.code(), &e.to_string()), true);
        }
    };
    // The guess is counted (the record stored) before the answer is released.
    let stored = outcome.record_update().cloned();
    if let Some(update) = &stored {
        records.insert(user.clone(), update.clone());
    }
    match outcome.release(stored.as_ref()) {
        Ok(released) => {
            if let Some(event) = released.audit {
                let previous = audit.last().map_or([0; 32], |(_, link)| *link);
                let seq = audit.len() as u64 + 1;
                let link = event.chain(&previous, seq, seq * 1000);
                audit.push((event, link));
            }
            respond(
                request,
                if created { 201 } else { 200 },
                released.body,
                false,
            );
        }
        Err(e) => respond(request, 503, error_body(e.code(), "busy"), true),
    }
}

fn start_server(state: Arc<Mutex<ServerState>>) -> Result<SocketAddr, Error> {
    let server = tiny_http::Server::http("127.0.0.1:0")?;
    let addr = server.server_addr().to_ip().ok_or("no ip address")?;
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            handle(&state, request);
        }
    });
    Ok(addr)
}

// ---------------------------------------------------------------------------------------
// The client (in the real app: browser / Tauri / Capacitor code using the npm package)
// ---------------------------------------------------------------------------------------

/// Where the bearer token of each request comes from.
enum Token {
    /// The same token every time.
    Fixed(String),
    /// A shell command that prints a fresh token (for key servers whose tokens are single
    /// use).
    Command(String),
}

impl Token {
    fn get(&self) -> Result<String, Error> {
        match self {
            Self::Fixed(token) => Ok(token.clone()),
            Self::Command(command) => {
                let out = std::process::Command::new("sh")
                    .args(["-c", command])
                    .output()?;
                if !out.status.success() {
                    return Err(format!("token command failed: {}", out.status).into());
                }
                Ok(String::from_utf8(out.stdout)?.trim().to_string())
            }
        }
    }
}

struct Client {
    base: String,
    token: Token,
    agent: ureq::Agent,
    /// What the server was sent: kept to show it is only random-looking points.
    sent: Vec<Vec<u8>>,
}

/// A refusal by the key server: status and error code.
#[derive(Debug)]
struct Refused(u16, String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

impl std::error::Error for Refused {}

impl Client {
    fn call(&self, method: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token.get()?);
        let mut response = match method {
            "GET" => self.agent.get(&url).header("Authorization", &auth).call()?,
            "DELETE" => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call()?,
            _ => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/octet-stream")
                .send(body)?,
        };
        let status = response.status().as_u16();
        let bytes = response.body_mut().read_to_vec()?;
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            let code = text
                .split("\"code\":\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("?");
            return Err(Refused(status, code.to_string()).into());
        }
        Ok(bytes)
    }

    /// The user's key set: what the client pins and trusts (TLS to the key server, in
    /// production).
    fn keys(&self) -> Result<KeySet, Error> {
        Ok(KeySet::from_bytes(&self.call("GET", "/v1/keys", &[])?)?)
    }

    fn add_version(&self) -> Result<KeySet, Error> {
        Ok(KeySet::from_bytes(&self.call("POST", "/v1/keys", &[])?)?)
    }

    fn drop_version(&self, version: u32) -> Result<(), Error> {
        self.call("DELETE", &format!("/v1/keys/{version}"), &[])?;
        Ok(())
    }

    /// What the app trusts: the key set it fetched over its authenticated channel.
    fn trust(&self) -> Result<Trust, Error> {
        Ok(Trust::new().key_set(KEY_ID, self.keys()?))
    }

    /// Sends each request; `None` where the server refused.
    fn exchange(
        &mut self,
        requests: &[ServerRequest],
    ) -> Result<Vec<Result<GateResponse, Refused>>, Error> {
        let mut out = Vec::new();
        for request in requests {
            assert_eq!(request.key_id, KEY_ID, "one server in this demo");
            let bytes = request.request.to_bytes();
            self.sent.push(bytes.clone());
            match self.call("POST", "/v1/evaluate", &bytes) {
                Ok(body) => out.push(Ok(GateResponse::from_bytes(&body)?)),
                Err(e) => match e.downcast::<Refused>() {
                    Ok(refused) => out.push(Err(*refused)),
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(out)
    }

    fn all(&mut self, requests: &[ServerRequest]) -> Result<Vec<GateResponse>, Error> {
        self.exchange(requests)?
            .into_iter()
            .map(|r| r.map_err(Error::from))
            .collect()
    }

    /// Unlocks trusting the user's current key set: a capsule pinned to a key the server
    /// no longer lists (a dropped version) is refused before any request.
    fn unlock(
        &mut self,
        header: &VaultHeader,
        shares: &[VaultShare],
        capsules: &[Capsule],
        pin: Option<&[u8]>,
    ) -> Result<UnlockedVault, Error> {
        let trust = self.trust()?;
        self.unlock_trusting(&trust, header, shares, capsules, pin)
    }

    fn unlock_trusting(
        &mut self,
        trust: &Trust,
        header: &VaultHeader,
        shares: &[VaultShare],
        capsules: &[Capsule],
        pin: Option<&[u8]>,
    ) -> Result<UnlockedVault, Error> {
        let mut rng = rand::rng();
        let (unlock, requests) = Unlock::start(header, shares, capsules, trust, pin, &mut rng)?;
        let mut responses = Vec::with_capacity(requests.len());
        for answer in self.exchange(&requests)? {
            match answer {
                Ok(response) => responses.push(Some(response)),
                Err(refused) => {
                    println!("   (the key server refused: {refused})");
                    responses.push(None);
                }
            }
        }
        let vault = unlock.finish(&responses, &mut rng)?;
        if pin.is_some() {
            // A proven unlock resets the guess counter.
            let proof = vault.unlock_proof(KEY_ID);
            self.call("POST", "/v1/password/unlocked", &proof.to_secret_bytes())?;
        }
        Ok(vault)
    }

    fn enroll(
        &mut self,
        pending: (PendingEnrollment, Vec<ServerRequest>),
    ) -> Result<quorumkey::vault::Enrolled, Error> {
        let (pending, requests) = pending;
        let responses = self.all(&requests)?;
        Ok(pending.finish(&responses, &mut rand::rng())?)
    }

    fn read(&mut self, vault: &UnlockedVault, units: &[SealedUnit]) -> Result<Vec<String>, Error> {
        let (read, requests) = UnitRead::start(units, &mut rand::rng())?;
        let responses: Vec<Option<GateResponse>> = self
            .exchange(&requests)?
            .into_iter()
            .map(Result::ok)
            .collect();
        Ok(read
            .finish(vault, &responses)?
            .into_iter()
            .map(|r| match r {
                Ok(p) => String::from_utf8_lossy(&p).into_owned(),
                Err(e) => format!("<{e}>"),
            })
            .collect())
    }
}

fn guard_line(keys: &KeySet) -> String {
    match keys.guard() {
        GuardStatus::Off => "no PIN".into(),
        GuardStatus::Active {
            max_guesses,
            guesses_remaining,
        } => format!("{guesses_remaining} of {max_guesses} guesses left"),
        GuardStatus::Burned { max_guesses } => {
            format!("burned after {max_guesses} guesses: the PIN key is destroyed")
        }
    }
}

fn args() -> (Option<String>, Option<Token>) {
    let mut server = std::env::var("QUORUMKEY_SERVER_URL").ok();
    let mut token = std::env::var("QUORUMKEY_TOKEN").ok().map(Token::Fixed);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--server" => server = it.next(),
            "--token" => token = it.next().map(Token::Fixed),
            "--token-command" => token = it.next().map(Token::Command),
            _ => {}
        }
    }
    (server, token)
}

fn main() -> Result<(), Error> {
    let mut rng = rand::rng();
    let (external, token) = args();
    let state = Arc::new(Mutex::new(ServerState {
        keys: KeyServer::generate(&mut rng),
        sessions: HashMap::from([("token-alice".to_string(), b"alice@example.com".to_vec())]),
        records: HashMap::new(),
        audit: Vec::new(),
    }));
    let base = match &external {
        Some(url) => {
            println!("key server: {url} (standalone)");
            url.trim_end_matches('/').to_string()
        }
        None => {
            let addr = start_server(state.clone())?;
            println!("key server listening on http://{addr} (embedded)");
            format!("http://{addr}")
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut client = Client {
        base,
        token: token.unwrap_or_else(|| Token::Fixed("token-alice".into())),
        agent,
        sent: Vec::new(),
    };

    // 1. Enroll a 2-of-3 vault behind a PIN.
    println!("\n1. enroll 2-of-3 {{phone, key server, recovery card}} behind a PIN");
    let keys = match client.keys() {
        Ok(keys) => keys,
        Err(_) => client.add_version()?,
    };
    let policy = |device: u8, label: &str| {
        Policy::builder(2)
            .device(device, label)
            .key_server(2, "key server", KEY_ID)
            .custodian(3, "recovery card")
            .require_key_server()
            .build()
    };
    let enrollment = Enrollment::new(policy(1, "alice's phone")?, &mut rng)?;
    // The PIN guard goes up before the first guess is counted: 10 guesses between unlocks.
    if !matches!(keys.guard(), GuardStatus::Active { .. }) {
        let setup = enrollment.password_setup(KEY_ID, 10)?;
        client.call("POST", "/v1/password", &setup.to_bytes())?;
    }
    let keys = client.keys()?;
    let setup = [KeyServerSetup::newest(
        2.try_into()?,
        &keys,
        GateMode::Voprf,
        true,
    )?];
    println!(
        "   pinned key v{} (PIN purpose): {}",
        setup[0].pin.key_version,
        hex(&setup[0].pin.public_key.to_bytes())
    );
    let enrolled =
        client.enroll(enrollment.request_gates(&setup, Some(Password::new(PIN)), &mut rng)?)?;
    let proof = enrolled.vault.unlock_proof(KEY_ID);
    client.call("POST", "/v1/password/unlocked", &proof.to_secret_bytes())?;
    let card_text = enrolled.cards[0].to_secret_text();
    println!("   recovery card to print: {}", &*card_text);
    println!("   PIN guard: {}", guard_line(&client.keys()?));

    // 2. Seal two vendor credentials: acme under the root key, globex behind its own gate
    //    (every read of it is one evaluation, with its label in the server's audit log).
    println!("\n2. seal two vendor credentials (globex behind its own POPRF gate)");
    let acme = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut rng)?;
    let label = GateMode::poprf(b"vendor:globex")?;
    let unit_pin = client
        .keys()?
        .newest_pin(Purpose::UnitGate, Mode::Poprf)
        .ok_or("no unit-gate key")?;
    let (seal, request) = enrolled.vault.seal_gated_unit(
        b"vendor:globex",
        b"alice@globex / s3cret!",
        KEY_ID,
        unit_pin,
        label,
        &mut rng,
    )?;
    let response = client.all(std::slice::from_ref(&request))?.remove(0);
    let globex = seal.finish(&enrolled.vault, &response, &mut rng)?;
    let mut index = UnitIndex::new(enrolled.header.vault_id());
    index.observe(&acme)?;
    index.observe(&globex)?;

    // What each party stores.
    let header_bytes = enrolled.header.to_bytes();
    let device_share = enrolled.device_shares[0].to_secret_bytes().to_vec();
    let capsule_bytes = enrolled.capsules[0].to_bytes();
    let units = [acme.to_bytes(), globex.to_bytes()];
    println!(
        "   device stores: header {}, its share (secret, {} B), capsule {}, unit index",
        short_hex(&header_bytes),
        device_share.len(),
        short_hex(&capsule_bytes)
    );
    println!(
        "   app backend may store (all public): header, capsule, units {} and {}",
        short_hex(&units[0]),
        short_hex(&units[1])
    );

    // 3. Lock.
    println!("\n3. lock");
    enrolled.vault.lock();

    // 4. Unlock through the server with the PIN, open both credentials.
    println!("\n4. unlock with phone + key server + PIN");
    let header = VaultHeader::from_bytes(&header_bytes)?;
    let device = VaultShare::from_bytes(&device_share)?;
    let capsule = Capsule::from_bytes(&capsule_bytes)?;
    let vault = client.unlock(
        &header,
        std::slice::from_ref(&device),
        std::slice::from_ref(&capsule),
        Some(PIN),
    )?;
    let stored: Vec<SealedUnit> = units
        .iter()
        .map(|u| SealedUnit::from_bytes(u))
        .collect::<Result<_, _>>()?;
    for unit in &stored {
        index.check(unit)?;
    }
    let opened = client.read(&vault, &stored)?;
    println!("   vendor:acme   → {:?}", opened[0]);
    println!("   vendor:globex → {:?} (one gate evaluation)", opened[1]);
    vault.lock();

    // 5. Recovery without the device: recovery card + key server (capsule from the kit).
    println!("\n5. phone lost: recover with the recovery card + recovery kit + PIN");
    let kit = RecoveryKit::new(header.clone(), vec![capsule.clone()])?.to_bytes();
    let kit = RecoveryKit::from_bytes(&kit)?;
    let card = ShareCard::from_text(&card_text)?;
    let recovered = client.unlock(
        kit.header(),
        &[card.into_share()],
        kit.capsules(),
        Some(PIN),
    )?;
    println!("   recovered: ok");

    // 6. Revoke the lost phone: rekey (new secret) to a new phone under key v2 and move
    //    every unit, the gated one too. What spec/threat-model.md recommends: a refresh would
    //    keep the secret, and the lost phone's share with the old card would still open
    //    everything.
    println!("\n6. revoke the lost phone: rekey to a new phone under key v2, move every unit");
    let keys = client.add_version()?;
    let v2 = keys.newest().ok_or("no key version")?.version();
    let setup = [KeyServerSetup::newest(
        2.try_into()?,
        &keys,
        GateMode::Voprf,
        true,
    )?];
    let target = GateTarget {
        key_id: KEY_ID.into(),
        pin: keys
            .newest_pin(Purpose::UnitGate, Mode::Poprf)
            .ok_or("no unit-gate key")?,
        mode: GateMode::poprf(b"vendor:globex")?,
    };
    let (revocation, requests) = recovered.revoke(
        kit.header(),
        kit.capsules(),
        policy(4, "alice's new phone")?,
        &setup,
        Some(Password::new(PIN)),
        &stored,
        &[target],
        &mut rng,
    )?;
    let responses = client.all(&requests)?;
    let revoked = revocation.finish(&responses, &mut rng)?;
    // The new vault has a new root key, so a new unlock tag: the old one authorises it.
    let change = recovered.tag_change(KEY_ID, &revoked.enrolled.vault);
    client.call("POST", "/v1/password/tag", &change.to_secret_bytes())?;
    // Two-phase: the new material must unlock before the old is given up.
    let fresh = &revoked.enrolled;
    let check = client.unlock(
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        Some(PIN),
    )?;
    let mut index = UnitIndex::new(fresh.header.vault_id());
    for unit in &revoked.units {
        index.observe(unit)?;
    }
    println!(
        "   new phone unlocks at epoch {}: units {:?}",
        fresh.header.epoch(),
        client.read(&check, &revoked.units)?
    );
    client.drop_version(1)?;
    // Whoever found the phone does not trust alice's key set: the server refuses anyway.
    match client.unlock_trusting(
        &Trust::new(),
        &header,
        std::slice::from_ref(&device),
        std::slice::from_ref(&capsule),
        Some(PIN),
    ) {
        Err(e) => println!("   lost phone's share + old capsule: refused ({e})"),
        Ok(_) => return Err("revoked material unlocked".into()),
    }
    let thief = client.unlock(
        &header,
        &[
            device.clone(),
            ShareCard::from_text(&card_text)?.into_share(),
        ],
        &[],
        None,
    )?;
    let written_after = check.seal_unit(b"vendor:initech", b"alice / new!", &mut rng)?;
    println!(
        "   lost phone's share + old card together rebuild the old secret, but open \
         nothing sealed since: {}",
        thief.open_unit(&written_after).is_err() && thief.open_unit(&revoked.units[0]).is_err()
    );

    // 7. Key rotation v2 → v3: re-seal the capsule, move the gated unit; delete v2.
    println!("\n7. key rotation v{v2} → v3; un-migrated capsule after v{v2} is deleted");
    let keys = client.add_version()?;
    let setup = KeyServerSetup::newest(2.try_into()?, &keys, GateMode::Voprf, true)?;
    let (reseal, request) = check.reseal(
        &fresh.header,
        &fresh.capsules[0],
        &setup,
        Some(Password::new(PIN)),
        &mut rng,
    )?;
    let response = client.all(std::slice::from_ref(&request))?.remove(0);
    let migrated = reseal.finish(&response, &mut rng)?;
    client.call(
        "POST",
        "/v1/password/unlocked",
        &check.unlock_proof(KEY_ID).to_secret_bytes(),
    )?;
    let target = GateTarget {
        key_id: KEY_ID.into(),
        pin: keys
            .newest_pin(Purpose::UnitGate, Mode::Poprf)
            .ok_or("no unit-gate key")?,
        mode: GateMode::poprf(b"vendor:globex")?,
    };
    let (migration, requests) =
        quorumkey::vault::UnitMigration::start(&revoked.units, &[target], &mut rng)?;
    let moved = migration.finish(&check, &check, &client.all(&requests)?, &mut rng)?;
    client.drop_version(v2)?;
    let ok = client
        .unlock(
            &fresh.header,
            &fresh.device_shares,
            std::slice::from_ref(&migrated),
            Some(PIN),
        )
        .is_ok();
    println!(
        "   re-sealed capsule (v{}) unlocks: {ok}; moved units: {:?}",
        migrated.key_version(),
        client.read(&check, &moved)?
    );
    match client.unlock_trusting(
        &Trust::new(),
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        Some(PIN),
    ) {
        Err(e) => println!("   un-migrated capsule (v{v2}) after deletion: refused ({e})"),
        Ok(_) => return Err("shredded capsule opened".into()),
    }

    // 8. A thief with the new phone and alice's login tries PINs. Each guess is one
    //    request, counted by the server before it answers; after the 10th the PIN key is
    //    destroyed.
    println!("\n8. a thief with the new phone and alice's login guesses PINs");
    for guess in 0..12u32 {
        let pin = format!("{:04}", 1000 + guess);
        match client.unlock_trusting(
            &Trust::new(),
            &fresh.header,
            &fresh.device_shares,
            std::slice::from_ref(&migrated),
            Some(pin.as_bytes()),
        ) {
            Ok(_) => return Err("a wrong PIN unlocked".into()),
            Err(e) => match e.downcast_ref::<quorumkey::Error>() {
                Some(quorumkey::Error::WrongPassword {
                    guesses_remaining: Some(left),
                    ..
                }) => println!(
                    "   PIN {pin}: wrong; {left} guess{} left",
                    if *left == 1 { "" } else { "es" }
                ),
                _ => {
                    println!("   PIN {pin}: {e} — {}", guard_line(&client.keys()?));
                    break;
                }
            },
        }
    }
    match client.unlock_trusting(
        &Trust::new(),
        &fresh.header,
        &fresh.device_shares,
        std::slice::from_ref(&migrated),
        Some(PIN),
    ) {
        Err(e) => println!("   even the right PIN now: {e}"),
        Ok(_) => return Err("a burned key answered".into()),
    }
    // Alice still has her phone and her recovery card: t = 2 without the server. She sets
    // a new PIN (fresh key material: nothing old opens with it) and re-seals.
    let alice = client.unlock(
        &fresh.header,
        &[
            fresh.device_shares[0].clone(),
            fresh.cards[0].share().clone(),
        ],
        &[],
        None,
    )?;
    let setup = alice.password_setup(KEY_ID, 10)?;
    client.call("POST", "/v1/password", &setup.to_bytes())?;
    let keys = client.add_version()?;
    let setup = KeyServerSetup::newest(2.try_into()?, &keys, GateMode::Voprf, true)?;
    let (reseal, request) = alice.reseal(
        &fresh.header,
        &migrated,
        &setup,
        Some(Password::new(b"8642")),
        &mut rng,
    )?;
    let response = client.all(std::slice::from_ref(&request))?.remove(0);
    let renewed = reseal.finish(&response, &mut rng)?;
    client.call(
        "POST",
        "/v1/password/unlocked",
        &alice.unlock_proof(KEY_ID).to_secret_bytes(),
    )?;
    let ok = client
        .unlock(
            &fresh.header,
            &fresh.device_shares,
            std::slice::from_ref(&renewed),
            Some(b"8642"),
        )
        .is_ok();
    println!(
        "   alice, with phone + card, set a new PIN: unlocks again: {ok}; {}",
        guard_line(&client.keys()?)
    );

    // What the server saw.
    println!("\nwhat the key server saw:");
    for (i, bytes) in client.sent.iter().take(2).enumerate() {
        let request = quorumkey::gate::GateRequest::from_bytes(bytes)?;
        for element in request.evaluation_request().elements() {
            println!(
                "   request {i} ({} v{}): blinded element {} (uniformly random)",
                request.purpose().name(),
                request.key_version(),
                hex(&element.to_bytes())
            );
        }
    }
    if external.is_none() {
        let state = state.lock().map_err(|_| "server state poisoned")?;
        let mut previous = [0u8; 32];
        let mut chain_ok = true;
        for (seq, (event, link)) in state.audit.iter().enumerate() {
            let seq = seq as u64 + 1;
            chain_ok &= event.chain(&previous, seq, seq * 1000) == *link;
            previous = *link;
        }
        for (event, _) in state.audit.iter().filter(|(e, _)| {
            matches!(
                e.action,
                AuditAction::Evaluated {
                    purpose: Purpose::UnitGate,
                    ..
                }
            )
        }) {
            if let AuditAction::Evaluated {
                key_version,
                info,
                element_count,
                ..
            } = &event.action
            {
                println!(
                    "   audit: {} unit gate v{key_version} label={:?} elements={element_count}",
                    String::from_utf8_lossy(&event.user_id),
                    info.as_deref().map(String::from_utf8_lossy),
                );
            }
        }
        println!(
            "   … {} audit events, hash chain verifies: {chain_ok}; per user the server \
             stores one record: {:?}",
            state.audit.len(),
            state.records.values().next()
        );
    }
    println!("\ndemo finished: ok");
    Ok(())
}
