//! The real binary: a Rust client enrolls and unlocks a vault through it over HTTP; two
//! processes share one PostgreSQL database under concurrent password guesses; a `kill -9`
//! in the middle of a load run loses nothing that was acknowledged; and no log line carries
//! a secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::process::{Spawned, agent, send, temp_dir, test_env};
use common::{SERVER_ID, now_secs, test_issuer};
use quorumkey::gate::{GateMode, GateResponse, PasswordParams, Purpose};
use quorumkey::keyserver::{GuardStatus, KeySet, PasswordSetup};
use quorumkey::policy::Policy;
use quorumkey::vault::{Enrollment, KeyServerSetup, Password, Trust, Unlock};
use quorumkey_server::audit::{GENESIS, Page, verify_chain};
use quorumkey_server::keyring::{Keyring, Source};

fn token(user: &str) -> String {
    test_issuer()
        .token(user, SERVER_ID, now_secs(), 120)
        .unwrap()
}

struct Client {
    agent: ureq::Agent,
    base: String,
    user: String,
}

impl Client {
    fn new(server: &Spawned, user: &str) -> Self {
        Self {
            agent: agent(),
            base: server.url(""),
            user: user.to_owned(),
        }
    }

    fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        send(
            &self.agent,
            method,
            &format!("{}{path}", self.base),
            Some(&token(&self.user)),
            body,
        )
        .unwrap()
    }

    fn ok(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let (status, body) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        body
    }

    fn keys(&self) -> KeySet {
        KeySet::from_bytes(&self.ok("GET", "/v1/keys", b"")).unwrap()
    }

    fn audit(&self) -> Page {
        let page: Page =
            serde_json::from_slice(&self.ok("GET", "/v1/audit?after=0&limit=1000", b"")).unwrap();
        verify_chain(&self.user, &page.events, 0, GENESIS)
            .unwrap_or_else(|e| panic!("{}: {e}", self.user));
        page
    }

    fn evaluate(&self, requests: &[quorumkey::gate::ServerRequest]) -> Vec<GateResponse> {
        requests
            .iter()
            .map(|r| {
                GateResponse::from_bytes(&self.ok("POST", "/v1/evaluate", &r.request.to_bytes()))
                    .unwrap()
            })
            .collect()
    }
}

#[test]
fn a_vault_enrolls_and_unlocks_through_the_server() {
    let (dir, data) = temp_dir();
    let url = format!("sqlite://{}", data.join("db.sqlite3").display());
    let mut server = Spawned::start(&test_env(&data, &url), dir.path());
    let client = Client::new(&server, "alice@example.com");
    let mut rng = rand::rng();

    // The key server's record for this user, then the password guard.
    let (status, _) = client.call("POST", "/v1/keys", b"");
    assert_eq!(status, 201);
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", SERVER_ID)
        .custodian(3, "recovery card")
        .build()
        .unwrap();
    let enrollment = Enrollment::new(policy, &mut rng).unwrap();
    let setup: PasswordSetup = enrollment.password_setup(SERVER_ID, 5).unwrap();
    let keys = KeySet::from_bytes(&client.ok("POST", "/v1/password", &setup.to_bytes())).unwrap();
    let params = PasswordParams::new(PasswordParams::MIN_MEMORY_KIB, 2, 1).unwrap();
    let server_setup =
        KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, true).unwrap();
    let (pending, requests) = enrollment
        .request_gates(
            &[server_setup],
            Some(Password::new(b"correct horse").with_params(params)),
            &mut rng,
        )
        .unwrap();
    let enrolled = pending
        .finish(&client.evaluate(&requests), &mut rng)
        .unwrap();
    // Sealing the capsule was a password-capsule evaluation, counted like any guess; the
    // client proves it holds the vault to reset the counter.
    let proof = enrolled.vault.unlock_proof(SERVER_ID).to_secret_bytes();
    client.ok("POST", "/v1/password/unlocked", &proof);
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice / hunter2", &mut rng)
        .unwrap();
    enrolled.vault.lock();
    let trust = Trust::new()
        .header(enrolled.header.digest())
        .key_set(SERVER_ID, client.keys());

    // A wrong password costs a guess, and the client learns how many are left.
    let (unlock, requests) = Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &trust,
        Some(b"wrong horse"),
        &mut rng,
    )
    .unwrap();
    let responses: Vec<_> = client.evaluate(&requests).into_iter().map(Some).collect();
    match unlock.finish(&responses, &mut rng) {
        Err(quorumkey::Error::WrongPassword {
            guesses_remaining, ..
        }) => assert_eq!(guesses_remaining, Some(4)),
        other => panic!("expected a wrong password, got {other:?}"),
    }

    // The right one unlocks; the proven unlock resets the counter.
    let (unlock, requests) = Unlock::start(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &trust,
        Some(b"correct horse"),
        &mut rng,
    )
    .unwrap();
    let responses: Vec<_> = client.evaluate(&requests).into_iter().map(Some).collect();
    let vault = unlock.finish(&responses, &mut rng).unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice / hunter2");
    let proof = vault.unlock_proof(SERVER_ID).to_secret_bytes();
    let keys = KeySet::from_bytes(&client.ok("POST", "/v1/password/unlocked", &proof)).unwrap();
    assert_eq!(
        keys.guard(),
        GuardStatus::Active {
            max_guesses: 5,
            guesses_remaining: 5
        }
    );

    let page = client.audit();
    let actions: Vec<_> = page
        .events
        .iter()
        .map(|e| e.fields.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "key_version_added",
            "password_set",
            "evaluated",
            "unlock_confirmed",
            "evaluated",
            "evaluated",
            "unlock_confirmed"
        ]
    );

    // SIGTERM: a clean, prompt exit.
    let status = server.terminate();
    assert!(status.success(), "{status:?}\n{}", server.logs());
    assert!(server.logs().contains("stopped"));
    drop(dir);
}

/// A password-capsule request (any valid blinded element will do: the server cannot tell
/// a right guess from a wrong one).
fn guess_request(keys: &KeySet) -> Vec<u8> {
    common::gate(keys, Purpose::PasswordCapsule, 1, None).bytes
}

#[test]
fn concurrent_guesses_across_two_processes_never_exceed_max_guesses() {
    let Some(schema) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(common::pg::TestSchema::new())
    else {
        return;
    };
    let (dir, data) = temp_dir();
    let keyring = data.join("keyring.json");
    std::fs::create_dir_all(&data).unwrap();
    Keyring::generate()
        .save(&Source::File(keyring.clone()))
        .unwrap();
    let mut env = test_env(&data, &schema.url());
    env.push(("QUORUMKEY_KEYRING".into(), keyring.display().to_string()));
    let a = Spawned::start(&env, dir.path());
    let b = Spawned::start(&env, dir.path());
    let (on_a, on_b) = (Client::new(&a, "gus"), Client::new(&b, "gus"));
    on_a.ok("POST", "/v1/keys", b"");
    let tag = common::unlock_tag();
    on_b.ok("POST", "/v1/password", &common::password_setup(10, &tag));
    let request = guess_request(&on_a.keys());

    // 48 guesses at once, half through each process.
    let threads = 48;
    let barrier = Arc::new(Barrier::new(threads));
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let base = if i % 2 == 0 { a.url("") } else { b.url("") };
            let (barrier, results, request) =
                (Arc::clone(&barrier), Arc::clone(&results), request.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let t = token("gus");
                barrier.wait();
                let (status, body) = send(
                    &agent,
                    "POST",
                    &format!("{base}/v1/evaluate"),
                    Some(&t),
                    &request,
                )
                .unwrap();
                let left = (status == 200)
                    .then(|| GateResponse::from_bytes(&body).unwrap().guesses_remaining())
                    .flatten();
                let code = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
                results.lock().unwrap().push((status, left, code));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let results = results.lock().unwrap().clone();
    eprintln!(
        "concurrent burst: {} answered, {} busy, {} burned",
        results.iter().filter(|r| r.0 == 200).count(),
        results.iter().filter(|r| r.0 == 503).count(),
        results.iter().filter(|r| r.0 == 410).count()
    );
    let mut answered: Vec<u8> = results.iter().filter_map(|r| r.1).collect();
    answered.sort_unstable();
    // Every answer carries a different count: no guess was counted twice or lost.
    let mut distinct = answered.clone();
    distinct.dedup();
    assert_eq!(answered, distinct, "{results:?}");
    assert!(
        answered.len() <= 10,
        "{} answered: {results:?}",
        answered.len()
    );
    for (status, _, code) in &results {
        assert!(
            matches!(
                (status, code.as_deref()),
                (200, None) | (410, Some("password_burned")) | (503, Some("busy"))
            ),
            "{results:?}"
        );
    }
    // Keep guessing until the keys burn: exactly 10 answers in all, across both.
    let mut total = answered.len();
    for i in 0..200 {
        let client = if i % 2 == 0 { &on_a } else { &on_b };
        let (status, _) = client.call("POST", "/v1/evaluate", &request);
        match status {
            200 => total += 1,
            410 => break,
            503 => continue,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(total, 10);
    assert_eq!(on_b.keys().guard(), GuardStatus::Burned { max_guesses: 10 });
    let page = on_a.audit();
    let guesses = page
        .events
        .iter()
        .filter(|e| e.fields.purpose.as_deref() == Some("password_capsule"))
        .count();
    assert_eq!(guesses, 10);
    drop((a, b, dir));
}

#[derive(Default)]
struct Acknowledged {
    /// Users whose record creation was answered 201.
    enrolled: Vec<String>,
    /// Per user, the fewest guesses left that an answer reported.
    guesses_left: HashMap<String, u8>,
    /// Per user, events the server acknowledged.
    events: HashMap<String, u64>,
}

/// One worker of the load run: new users, each enrolled, given a password, then guessing and
/// evaluating capsules until told to stop or the server goes away.
fn load_worker(base: String, worker: usize, stop: Arc<AtomicBool>, ack: Arc<Mutex<Acknowledged>>) {
    let agent = agent();
    let call = |user: &str, method: &str, path: &str, body: &[u8]| {
        send(
            &agent,
            method,
            &format!("{base}{path}"),
            Some(&token(user)),
            body,
        )
    };
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let user = format!("w{worker}-u{n}");
        let body = match call(&user, "POST", "/v1/keys", b"") {
            Ok((201, body)) => body,
            Ok((status, body)) => panic!("{status} {}", String::from_utf8_lossy(&body)),
            Err(_) => return,
        };
        {
            let mut a = ack.lock().unwrap();
            a.enrolled.push(user.clone());
            *a.events.entry(user.clone()).or_default() += 1;
        }
        let keys = KeySet::from_bytes(&body).unwrap();
        let capsule = common::gate(&keys, Purpose::Capsule, 2, None).bytes;
        let tag = common::unlock_tag();
        let body = match call(
            &user,
            "POST",
            "/v1/password",
            &common::password_setup(100, &tag),
        ) {
            Ok((200, body)) => body,
            Ok((status, body)) => panic!("{status} {}", String::from_utf8_lossy(&body)),
            Err(_) => return,
        };
        *ack.lock().unwrap().events.entry(user.clone()).or_default() += 1;
        let guess = guess_request(&KeySet::from_bytes(&body).unwrap());
        for i in 0..20 {
            let body = if i % 4 == 3 { &capsule } else { &guess };
            match call(&user, "POST", "/v1/evaluate", body) {
                Ok((200, response)) => {
                    let mut a = ack.lock().unwrap();
                    *a.events.entry(user.clone()).or_default() += 1;
                    if let Some(left) = GateResponse::from_bytes(&response)
                        .unwrap()
                        .guesses_remaining()
                    {
                        let entry = a.guesses_left.entry(user.clone()).or_insert(left);
                        *entry = (*entry).min(left);
                    }
                }
                Ok((status, body)) => panic!("{status} {}", String::from_utf8_lossy(&body)),
                Err(_) => return,
            }
        }
    }
}

fn crash_and_check(database_url: &dyn Fn(&std::path::Path) -> String) {
    let (dir, data) = temp_dir();
    let mut env = test_env(&data, &database_url(&data));
    env.push(("QUORUMKEY_MAX_GUESSES".into(), "100".into()));
    let mut server = Spawned::start(&env, dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let ack = Arc::new(Mutex::new(Acknowledged::default()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (base, stop, ack) = (server.url(""), Arc::clone(&stop), Arc::clone(&ack));
            std::thread::spawn(move || load_worker(base, w, stop, ack))
        })
        .collect();
    // Kill the server in the middle of the run, once it has acknowledged some work.
    let started = Instant::now();
    while ack.lock().unwrap().events.values().sum::<u64>() < 60
        && started.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let ack = std::mem::take(&mut *ack.lock().unwrap());
    assert!(!ack.enrolled.is_empty());

    let server = Spawned::start(&env, dir.path());
    for user in &ack.enrolled {
        let client = Client::new(&server, user);
        let keys = client.keys();
        if let Some(acked_left) = ack.guesses_left.get(user) {
            // The counter never went backwards: at most what the last answer said.
            match keys.guard() {
                GuardStatus::Active {
                    guesses_remaining, ..
                } => assert!(
                    guesses_remaining <= *acked_left,
                    "{user}: {guesses_remaining} > {acked_left}"
                ),
                other => panic!("{user}: {other:?}"),
            }
        }
        let page = client.audit();
        let acked = ack.events.get(user).copied().unwrap_or(0);
        // Every acknowledged change is in the log (an unacknowledged last one may be too).
        assert!(
            page.events.len() as u64 >= acked && page.events.len() as u64 <= acked + 1,
            "{user}: {} events, {acked} acknowledged",
            page.events.len()
        );
    }
    drop((server, dir));
}

#[test]
fn kill_9_mid_load_loses_nothing_acknowledged_sqlite() {
    crash_and_check(&|data| format!("sqlite://{}", data.join("db.sqlite3").display()));
}

#[test]
fn kill_9_mid_load_loses_nothing_acknowledged_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(schema) = rt.block_on(common::pg::TestSchema::new()) else {
        return;
    };
    crash_and_check(&|_| schema.url());
}

#[test]
fn no_secret_reaches_the_logs() {
    let (dir, data) = temp_dir();
    let url = format!("sqlite://{}", data.join("db.sqlite3").display());
    let mut env = test_env(&data, &url);
    env.push(("RUST_LOG".into(), "trace".into()));
    for format in ["text", "json"] {
        env.retain(|(k, _)| k != "LOG_FORMAT");
        env.push(("LOG_FORMAT".into(), format.into()));
        let mut server = Spawned::start(&env, dir.path());
        let user = format!("leak-{format}");
        let client = Client::new(&server, &user);
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        let mut tokens = Vec::new();

        let t = token(&user);
        tokens.push(t.clone());
        let (_, body) = send(
            &client.agent,
            "POST",
            &server.url("/v1/keys"),
            Some(&t),
            b"",
        )
        .unwrap();
        let keys = KeySet::from_bytes(&body).unwrap();
        let tag = common::unlock_tag();
        let proof = common::unlock_proof(&tag);
        secrets.push(proof[proof.len() - 32..].to_vec());
        client.ok("POST", "/v1/password", &common::password_setup(5, &tag));
        for (purpose, n) in [(Purpose::Capsule, 3), (Purpose::PasswordCapsule, 1)] {
            let g = common::gate(&keys, purpose, n, None);
            let t = token(&user);
            tokens.push(t.clone());
            let (status, response) = send(
                &client.agent,
                "POST",
                &server.url("/v1/evaluate"),
                Some(&t),
                &g.bytes,
            )
            .unwrap();
            assert_eq!(status, 200);
            // Blinded and evaluated elements (the last 33-byte chunks of both bodies).
            for body in [&g.bytes, &response] {
                secrets.extend(
                    body.chunks(33)
                        .filter(|c| c.len() == 33)
                        .map(<[u8]>::to_vec),
                );
            }
            // A replay and a bad signature are logged as refusals: without the token.
            send(
                &client.agent,
                "POST",
                &server.url("/v1/evaluate"),
                Some(&t),
                &g.bytes,
            )
            .unwrap();
            let forged = format!("{}x", &t[..t.len() - 1]);
            tokens.push(forged.clone());
            send(
                &client.agent,
                "POST",
                &server.url("/v1/evaluate"),
                Some(&forged),
                &g.bytes,
            )
            .unwrap();
        }
        client.ok("POST", "/v1/password/unlocked", &proof);
        server.terminate();

        // The record as stored, and the seeds.
        let rt = tokio::runtime::Runtime::new().unwrap();
        let record = rt.block_on(async {
            let store = quorumkey_server::storage::open(&url, &Default::default())
                .await
                .unwrap();
            store.load(&user).await.unwrap().unwrap().record.to_vec()
        });
        secrets.extend(record.chunks(32).map(<[u8]>::to_vec));
        secrets.push(record);
        let keyring: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data.join("keyring.json")).unwrap())
                .unwrap();
        let seed = keyring["generations"][0]["seed"]
            .as_str()
            .unwrap()
            .to_owned();

        let logs = server.logs();
        eprintln!("{format}: {} log lines checked", logs.lines().count());
        assert!(logs.contains("listening on"), "no logs captured");
        assert!(logs.contains("token_replayed"), "refusals are logged");
        let mut needles: Vec<String> = vec![seed];
        for t in &tokens {
            needles.push(t.clone());
            needles.extend(t.split('.').filter(|p| p.len() > 16).map(str::to_owned));
        }
        for s in &secrets {
            needles.push(hex::encode(s));
            needles.push(hex::encode_upper(s));
            needles.push(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                s,
            ));
            needles.push(base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                s,
            ));
            let debug = format!("{:?}", &s[..8]);
            needles.push(debug.trim_matches(|c| c == '[' || c == ']').to_owned());
        }
        for needle in needles {
            assert!(
                !logs.contains(&needle),
                "{format} logs contain a secret ({} chars)",
                needle.len()
            );
        }
    }
    drop(dir);
}

/// Requests the server has begun (their headers read) when SIGTERM arrives are answered in
/// full before it exits. Deterministic: each client holds back half its body, so its request
/// cannot finish early; the signal goes once `/metrics` counts all of them in flight, and
/// the rest of the bodies only once the server logged that it is draining.
#[test]
fn sigterm_drains_requests_in_flight() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let (dir, data) = temp_dir();
    let url = format!("sqlite://{}", data.join("db.sqlite3").display());
    let mut server = Spawned::start(&test_env(&data, &url), dir.path());
    let client = Client::new(&server, "hal");
    let keys = KeySet::from_bytes(&client.ok("POST", "/v1/keys", b"")).unwrap();
    let body = common::gate(&keys, Purpose::Capsule, 8, None).bytes;
    let (first, rest) = body.split_at(body.len() / 2);
    const HELD: usize = 4;
    let mut streams: Vec<TcpStream> = (0..HELD)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            let head = format!(
                "POST /v1/evaluate HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
                 content-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
                server.addr,
                token("hal"),
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(first).unwrap();
            stream
        })
        .collect();

    // Every held request in flight (the /metrics request counts itself too).
    let agent = agent();
    let in_flight = |metrics: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("quorumkey_requests_in_flight "))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, metrics) = send(&agent, "GET", &server.url("/metrics"), None, b"").unwrap();
        if in_flight(&String::from_utf8_lossy(&metrics)) == Some((HELD + 1) as f64) {
            break;
        }
        assert!(Instant::now() < deadline, "the held requests never showed");
        std::thread::sleep(Duration::from_millis(20));
    }

    server.signal_term();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.logs().contains("draining in-flight requests") {
        assert!(Instant::now() < deadline, "no shutdown logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every request begun before the signal is answered in full.
    for stream in &mut streams {
        stream.write_all(rest).unwrap();
    }
    for stream in &mut streams {
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let (_, payload) = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| response.split_at(i + 4))
            .unwrap();
        assert_eq!(
            GateResponse::from_bytes(payload)
                .unwrap()
                .evaluation_response()
                .elements()
                .len(),
            8
        );
    }
    let status = server.wait();
    assert!(status.success(), "{status:?}\n{}", server.logs());
    drop(dir);
}

#[test]
fn keyring_from_the_environment_is_served_and_read_only() {
    let (dir, data) = temp_dir();
    let url = format!("sqlite://{}", data.join("db.sqlite3").display());
    let keyring = Keyring::generate();
    let json = keyring.to_json();
    let mut env = test_env(&data, &url);
    env.push(("QUORUMKEY_KEYRING_JSON".into(), json.to_string()));
    let server = Spawned::start(&env, dir.path());
    // The directory names the generation of the keyring given, and no file was created.
    let (status, body) = send(
        &agent(),
        "GET",
        &server.url("/.well-known/quorumkey/key-directory"),
        None,
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    let directory: quorumkey_server::keyring::Directory = serde_json::from_slice(&body).unwrap();
    let expected = keyring.directory(SERVER_ID, &keyring.key_server(10).unwrap());
    assert_eq!(directory, expected);
    assert!(!data.join("keyring.json").exists());
    // Rotating it is refused: it is kept elsewhere.
    let rotate = std::process::Command::new(env!("CARGO_BIN_EXE_quorumkey-server"))
        .args(["keys", "rotate"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(!rotate.status.success());
    assert!(String::from_utf8_lossy(&rotate.stderr).contains("kept"));
    drop((server, dir));
}
