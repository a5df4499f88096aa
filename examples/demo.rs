//! The end-to-end demo: a key server on 127.0.0.1 over HTTP, and a client that enrolls a
//! 2-of-3 vault {device, key server, recovery card}, seals two vendor credentials, locks,
//! unlocks through the server, opens a credential, and recovers without the device.
//! Then: the device is lost, the vault is recovered and re-dealt to a new device, and the
//! lost device's old material is shown to fail; finally the server rotates its key and an
//! un-migrated capsule is shown to fail once the old version is deleted.
//!
//! Run: `cargo run --example demo`

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quorumkey::gate::{GateMode, GateResponse, ServerPin, ServerRequest};
use quorumkey::keyserver::{AuditEvent, KeyServer};
use quorumkey::oprf::{Mode, PublicKey};
use quorumkey::policy::Policy;
use quorumkey::vault::{
    Capsule, Enrolled, Enrollment, KeyServerSetup, SealedUnit, ShareCard, Unlock, UnlockedVault,
    VaultHeader, VaultShare,
};

type Error = Box<dyn std::error::Error + Send + Sync>;

const KEY_ID: &str = "keys.demo.example";
/// Evaluations a user may request per window (the server's rate limit).
const RATE_LIMIT: usize = 20;
const RATE_WINDOW: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The key server (an HTTP service)
// ---------------------------------------------------------------------------------------

/// What the key server keeps: its master seed (in production: a KMS/HSM), and per user the
/// active key versions. Sessions, rate limits and the audit log are the app's.
struct ServerState {
    keys: KeyServer,
    /// Login tokens → user id (the app's authentication, simplified).
    sessions: HashMap<String, Vec<u8>>,
    /// user id → active key versions: the only per-user record.
    versions: HashMap<Vec<u8>, Vec<u32>>,
    /// user id → times of recent evaluations (rate limit).
    recent: HashMap<Vec<u8>, Vec<Instant>>,
    audit: Vec<AuditEvent>,
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

fn respond(request: tiny_http::Request, status: u16, body: Vec<u8>) {
    let _ = request.respond(tiny_http::Response::from_data(body).with_status_code(status));
}

fn handle(state: &Mutex<ServerState>, mut request: tiny_http::Request) {
    let user = {
        let state = state.lock().unwrap();
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .and_then(|h| h.value.as_str().strip_prefix("Bearer "))
            .and_then(|token| state.sessions.get(token).cloned())
    };
    let Some(user) = user else {
        return respond(request, 401, b"not logged in".to_vec());
    };
    let url = request.url().to_string();
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(64 * 1024)
        .read_to_end(&mut body)
        .is_err()
    {
        return respond(request, 400, b"bad body".to_vec());
    }
    let mut state = state.lock().unwrap();
    match (request.method(), url.as_str()) {
        // The public key for pinning. In production the client gets this over the app's
        // own authenticated channel, not from the key server's answers.
        (tiny_http::Method::Get, path) if path.starts_with("/v1/public-key/") => {
            let version: u32 = path
                .trim_start_matches("/v1/public-key/")
                .parse()
                .unwrap_or(0);
            if !state
                .versions
                .get(&user)
                .is_some_and(|v| v.contains(&version))
            {
                return respond(request, 404, b"unknown key version".to_vec());
            }
            match state.keys.public_key(&user, version, Mode::Voprf) {
                Ok(pk) => respond(request, 200, pk.to_bytes().to_vec()),
                Err(e) => respond(request, 500, e.to_string().into_bytes()),
            }
        }
        (tiny_http::Method::Post, "/v1/evaluate") => {
            let now = Instant::now();
            let recent = state.recent.entry(user.clone()).or_default();
            recent.retain(|t| now.duration_since(*t) < RATE_WINDOW);
            if recent.len() >= RATE_LIMIT {
                return respond(request, 429, b"rate limited".to_vec());
            }
            recent.push(now);
            let active = state.versions.get(&user).cloned().unwrap_or_default();
            let result = state.keys.evaluate(&user, &active, &body, &mut rand::rng());
            match result {
                Ok((response, event)) => {
                    state.audit.push(event);
                    respond(request, 200, response.to_bytes());
                }
                Err(e @ quorumkey::Error::UnknownKeyVersion { .. }) => {
                    respond(request, 410, e.to_string().into_bytes())
                }
                Err(e) => respond(request, 400, e.to_string().into_bytes()),
            }
        }
        // Rotation: add a key version for this user (an admin action in a real system).
        (tiny_http::Method::Post, "/v1/rotate") => {
            let versions = state.versions.entry(user).or_default();
            let next = versions.iter().max().copied().unwrap_or(0) + 1;
            versions.push(next);
            respond(request, 200, next.to_be_bytes().to_vec());
        }
        // Retire a version: its capsules become unopenable (crypto-shredding).
        (tiny_http::Method::Post, path) if path.starts_with("/v1/retire/") => {
            let version: u32 = path.trim_start_matches("/v1/retire/").parse().unwrap_or(0);
            state
                .versions
                .entry(user)
                .or_default()
                .retain(|v| *v != version);
            respond(request, 200, Vec::new());
        }
        _ => respond(request, 404, b"no such endpoint".to_vec()),
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
// The client (in the real app: browser / Tauri / Capacitor code linking quorumkey via wasm)
// ---------------------------------------------------------------------------------------

struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
    /// What the server was sent: kept to show it is only random-looking points.
    sent: Vec<Vec<u8>>,
}

impl Client {
    fn post(&self, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send(body)?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_vec()?))
    }

    fn pin(&self, version: u32) -> Result<ServerPin, Error> {
        let mut response = self
            .agent
            .get(&format!("{}/v1/public-key/{version}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()?;
        let bytes = response.body_mut().read_to_vec()?;
        Ok(ServerPin {
            key_version: version,
            public_key: PublicKey::from_bytes(&bytes)?,
        })
    }

    /// Sends each request; `None` where the server refused.
    fn exchange(&mut self, requests: &[ServerRequest]) -> Result<Vec<Option<GateResponse>>, Error> {
        let mut out = Vec::new();
        for request in requests {
            assert_eq!(request.key_id, KEY_ID, "one server in this demo");
            let bytes = request.request.to_bytes();
            self.sent.push(bytes.clone());
            let (status, body) = self.post("/v1/evaluate", &bytes)?;
            if status == 200 {
                out.push(Some(GateResponse::from_bytes(&body)?));
            } else {
                println!(
                    "    server refused ({status}): {}",
                    String::from_utf8_lossy(&body)
                );
                out.push(None);
            }
        }
        Ok(out)
    }

    fn unlock(
        &mut self,
        header: &VaultHeader,
        shares: &[VaultShare],
        capsules: &[Capsule],
    ) -> Result<UnlockedVault, Error> {
        let mut rng = rand::rng();
        let (unlock, requests) = Unlock::start(header, shares, capsules, None, &mut rng)?;
        let responses = self.exchange(&requests)?;
        Ok(unlock.finish(&responses, &mut rng)?)
    }

    fn enroll(&mut self, start: (Enrollment, Vec<ServerRequest>)) -> Result<Enrolled, Error> {
        let (enrollment, requests) = start;
        let responses = self
            .exchange(&requests)?
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or("a key server refused the enrollment")?;
        Ok(enrollment.finish(&responses, &mut rand::rng())?)
    }
}

fn main() -> Result<(), Error> {
    let mut rng = rand::rng();
    let user = b"alice@example.com".to_vec();
    let state = Arc::new(Mutex::new(ServerState {
        keys: KeyServer::generate(&mut rng),
        sessions: HashMap::from([("token-alice".to_string(), user.clone())]),
        versions: HashMap::from([(user.clone(), vec![1])]),
        recent: HashMap::new(),
        audit: Vec::new(),
    }));
    let addr = start_server(state.clone())?;
    println!("key server listening on http://{addr}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut client = Client {
        base: format!("http://{addr}"),
        token: "token-alice".into(),
        agent,
        sent: Vec::new(),
    };

    // 1. Enroll a 2-of-3 vault.
    println!("\n1. enroll 2-of-3 {{device, key server, recovery card}}");
    let policy = Policy::builder(2)
        .device(1, "alice's phone")
        .key_server(2, "key server", KEY_ID)
        .custodian(3, "recovery card")
        .require_key_server()
        .build()?;
    let pin = client.pin(1)?;
    println!(
        "   pinned server key v1: {}",
        hex(&pin.public_key.to_bytes())
    );
    let setup = [KeyServerSetup {
        holder: 2.try_into()?,
        pin,
        mode: GateMode::Voprf,
    }];
    let enrolled = client.enroll(Enrollment::start(policy.clone(), &setup, None, &mut rng)?)?;
    let card_text = enrolled.cards[0].to_secret_text();
    println!("   recovery card to print: {}", &*card_text);

    // 2. Seal two vendor credentials.
    println!("\n2. seal two vendor credentials");
    let acme = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut rng)?;
    let globex = enrolled
        .vault
        .seal_unit(b"vendor:globex", b"alice@globex / s3cret!", &mut rng)?;

    // What each party stores.
    let header_bytes = enrolled.header.to_bytes();
    let device_share = enrolled.device_shares[0].to_secret_bytes().to_vec();
    let capsule_bytes = enrolled.capsules[0].to_bytes();
    let units = [acme.to_bytes(), globex.to_bytes()];
    println!(
        "   device stores: header {}, its share (secret, {} B), capsule {}",
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

    // 4. Unlock through the server, open a credential.
    println!("\n4. unlock with device share + key server");
    let header = VaultHeader::from_bytes(&header_bytes)?;
    let device = VaultShare::from_bytes(&device_share)?;
    let capsule = Capsule::from_bytes(&capsule_bytes)?;
    let vault = client.unlock(
        &header,
        std::slice::from_ref(&device),
        std::slice::from_ref(&capsule),
    )?;
    let opened = vault.open_unit(&SealedUnit::from_bytes(&units[0])?)?;
    println!(
        "   opened vendor:acme → {:?}",
        String::from_utf8_lossy(&opened)
    );
    vault.lock();

    // 5. Recovery without the device: recovery card + key server.
    println!("\n5. device lost: recover with recovery card + key server");
    let card = ShareCard::from_text(&card_text)?;
    let recovered = client.unlock(
        &header,
        &[card.into_share()],
        std::slice::from_ref(&capsule),
    )?;
    let opened = recovered.open_unit(&SealedUnit::from_bytes(&units[1])?)?;
    println!(
        "   opened vendor:globex → {:?}",
        String::from_utf8_lossy(&opened)
    );

    // 6. Re-deal to a new device under the server's next key version; then revoke.
    println!("\n6. re-deal to a new device (epoch 1) under key v2; server retires v1");
    let (_, body) = client.post("/v1/rotate", &[])?;
    let v2 = u32::from_be_bytes(body.as_slice().try_into()?);
    let setup = [KeyServerSetup {
        holder: 2.try_into()?,
        pin: client.pin(v2)?,
        mode: GateMode::Voprf,
    }];
    let redealt = client.enroll(recovered.redeal(&header, policy, &setup, None, &mut rng)?)?;
    // Two-phase: the new material must unlock before the old is given up.
    let check = client.unlock(&redealt.header, &redealt.device_shares, &redealt.capsules)?;
    println!(
        "   new device unlocks at epoch {}: ok; old unit still opens: {}",
        redealt.header.epoch(),
        check.open_unit(&SealedUnit::from_bytes(&units[0])?).is_ok()
    );
    client.post("/v1/retire/1", &[])?;
    match client.unlock(
        &header,
        std::slice::from_ref(&device),
        std::slice::from_ref(&capsule),
    ) {
        Err(e) => println!("   lost device's old share + old capsule: refused ({e})"),
        Ok(_) => return Err("revoked material unlocked".into()),
    }

    // 7. Key rotation: v3 added; on the next unlock the client re-seals its capsule under
    //    v3 (open under v2, seal under v3); a capsule left under v2 is shredded when v2 is
    //    deleted. The header, the device share and the card do not change.
    println!("\n7. key rotation v2 → v3; un-migrated capsule after v2 is deleted");
    let (_, body) = client.post("/v1/rotate", &[])?;
    let v3 = u32::from_be_bytes(body.as_slice().try_into()?);
    let setup = KeyServerSetup {
        holder: 2.try_into()?,
        pin: client.pin(v3)?,
        mode: GateMode::Voprf,
    };
    let (reseal, request) = check.reseal(&redealt.header, &setup, None, &mut rng)?;
    let response = client
        .exchange(std::slice::from_ref(&request))?
        .pop()
        .flatten()
        .ok_or("refused")?;
    let migrated = reseal.finish(&response, &mut rng)?;
    client.post(&format!("/v1/retire/{v2}"), &[])?;
    let ok = client
        .unlock(
            &redealt.header,
            &redealt.device_shares,
            std::slice::from_ref(&migrated),
        )
        .is_ok();
    println!("   re-sealed capsule (v{v3}) unlocks: {ok}");
    match client.unlock(&redealt.header, &redealt.device_shares, &redealt.capsules) {
        Err(e) => println!("   un-migrated capsule (v{v2}) after deletion: refused ({e})"),
        Ok(_) => return Err("shredded capsule opened".into()),
    }

    // What the server saw.
    println!("\nwhat the key server saw:");
    for (i, bytes) in client.sent.iter().take(3).enumerate() {
        let request = quorumkey::gate::GateRequest::from_bytes(bytes)?;
        for element in request.evaluation_request().elements() {
            println!(
                "   request {i} (key v{}): blinded element {} (uniformly random)",
                request.key_version(),
                hex(&element.to_bytes())
            );
        }
    }
    let state = state.lock().unwrap();
    for event in state.audit.iter().take(3) {
        println!(
            "   audit: user={} version={} mode={:?} info={:?} elements={} request={}",
            String::from_utf8_lossy(&event.user_id),
            event.key_version,
            event.mode,
            event.info,
            event.element_count,
            short_hex(&event.request_digest)
        );
    }
    println!(
        "   … {} evaluations in all; the server stores per user only its active versions: {:?}",
        state.audit.len(),
        state.versions.get(&user)
    );
    println!("\ndemo finished: ok");
    Ok(())
}
