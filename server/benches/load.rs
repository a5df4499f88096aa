//! Load benchmark of the key server over HTTP on loopback, beside the single-core limit of
//! the evaluation itself measured in the same run.
//!
//! ```text
//! cargo bench -p quorumkey-server --bench load
//! TEST_DATABASE_URL=postgres://… cargo bench -p quorumkey-server --bench load   # + PostgreSQL
//! ```
//!
//! `LOAD_SECONDS`, `LOAD_CONNECTIONS`, `LOAD_BACKENDS` (`sqlite,sqlite-normal,postgresql`) and
//! `LOAD_BATCHES` (`1,8`) narrow or lengthen the run.
//!
//! For each backend (SQLite with `QUORUMKEY_SQLITE_SYNC=full`, the default, and `normal`;
//! PostgreSQL when `TEST_DATABASE_URL` is set) and batch size
//! (1 and 8 elements per request) it starts the release binary, then:
//!
//! 1. **saturation**: `LOAD_CONNECTIONS` (default 8) keep-alive connections send capsule
//!    evaluations back to back for `LOAD_SECONDS` (default 2). Throughput is counted per
//!    second of the *server process's* CPU time (from `/proc`), so the client sharing the
//!    machine does not distort the per-core figure. `LOAD_ROUNDS` (default 3) rounds, each
//!    with the single-core limit measured right before and after it; the median ratio is
//!    reported;
//! 2. **half load**: the same connections, paced to half the saturation throughput with
//!    requests evenly spaced in time, for the latency percentiles an operator would see at
//!    50 % utilisation.
//!
//! The single-core limit is `KeyServer::handle` for the same request in a loop on one
//! thread (decode, key derivation, evaluation and proof, audit digest, encode): what the
//! server could do with no HTTP, authentication, rate limiting or storage at all.
//!
//! Every request carries its own token (tokens are single-use); they are signed before the
//! timed part. Rate limits stay on, with buckets large enough never to refuse.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use quorumkey::gate::Purpose;
use quorumkey::keyserver::{KeyServer, KeySet, Operation};
use quorumkey::oprf::{BlindedElement, EvaluationRequest, Mode, VoprfClient};
use quorumkey_server::auth::DevIssuer;

const SERVER_ID: &str = "keys.bench.example";

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a gate request carries before its purpose, from a request the core built (so the
/// benchmark follows the wire format instead of spelling it out).
fn gate_prefix() -> Vec<u8> {
    let mut rng = rand::rng();
    let server = KeyServer::generate(&mut rng);
    let outcome = server
        .handle(b"prefix", None, Operation::AddKeyVersion, &mut rng)
        .unwrap();
    let record = outcome.record_update().unwrap().clone();
    let keys = KeySet::from_bytes(&outcome.release(Some(&record)).unwrap().body).unwrap();
    let policy = quorumkey::policy::Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", SERVER_ID)
        .build()
        .unwrap();
    let setup = quorumkey::vault::KeyServerSetup::newest(
        2.try_into().unwrap(),
        &keys,
        quorumkey::gate::GateMode::Voprf,
        false,
    )
    .unwrap();
    let (_, requests) = quorumkey::vault::Enrollment::new(policy, &mut rng)
        .unwrap()
        .request_gates(&[setup], None, &mut rng)
        .unwrap();
    let bytes = requests[0].request.to_bytes();
    // One element: a u16 count and 33 bytes; before them purpose, key version and mode.
    bytes[..bytes.len() - 35 - 6].to_vec()
}

/// A capsule gate request of `n` elements at key version 1.
fn request(n: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    let blinded: Vec<BlindedElement> = (0..n)
        .map(|i| VoprfClient::blind(&[i as u8; 32], &mut rng).unwrap().1)
        .collect();
    let mut bytes = gate_prefix();
    bytes.push(Purpose::Capsule.to_byte());
    bytes.extend_from_slice(&1u32.to_be_bytes());
    bytes.push(Mode::Voprf.to_byte());
    bytes.extend_from_slice(&EvaluationRequest::new(blinded).unwrap().to_bytes());
    quorumkey::gate::GateRequest::from_bytes(&bytes).unwrap();
    bytes
}

/// CPU time of the calling thread, in seconds (`/proc/thread-self/stat`).
fn thread_cpu_seconds() -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default())
}

/// Elements per second of CPU time of `KeyServer::handle` on this thread (at least
/// `seconds` of it). Counting CPU
/// time rather than wall time keeps other load on the machine out of the figure, as the
/// server's figure below is counted in its process's CPU time.
fn single_core_limit(batch: usize, seconds: f64) -> f64 {
    let server = KeyServer::generate(&mut rand::rng());
    let mut rng = rand::rng();
    let created = server
        .handle(b"bench-user", None, Operation::AddKeyVersion, &mut rng)
        .unwrap();
    let record = created.record_update().unwrap().clone();
    let body = request(batch);
    let cpu = thread_cpu_seconds();
    let mut done = 0u64;
    while thread_cpu_seconds() - cpu < seconds {
        let outcome = server
            .handle(
                b"bench-user",
                Some(&record),
                Operation::Evaluate(&body),
                &mut rng,
            )
            .unwrap();
        std::hint::black_box(outcome.release(None).unwrap());
        done += 1;
    }
    (done * batch as u64) as f64 / (thread_cpu_seconds() - cpu)
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// utime + stime from a `/proc/…/stat` line, in seconds (at the usual 100 ticks/s).
fn stat_cpu_seconds(stat: &str) -> f64 {
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

struct Server {
    child: std::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(data: &std::path::Path, database_url: &str, issuer: &DevIssuer) -> Server {
    use std::io::BufRead;
    std::fs::create_dir_all(data).unwrap();
    let jwks = data.join("issuers.jwks.json");
    std::fs::write(&jwks, issuer.jwks()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quorumkey-server"))
        .arg("serve")
        .env_clear()
        .env("QUORUMKEY_BIND", "127.0.0.1:0")
        .env("QUORUMKEY_DATA_DIR", data)
        .env("QUORUMKEY_DATABASE_URL", database_url)
        .env(
            "QUORUMKEY_SQLITE_SYNC",
            if data.ends_with("SQLite-normal") {
                "normal"
            } else {
                "full"
            },
        )
        .env("QUORUMKEY_SERVER_ID", SERVER_ID)
        .env("QUORUMKEY_JWKS", &jwks)
        .env("QUORUMKEY_ISSUERS", format!("bench={}", issuer.issuer))
        .env("QUORUMKEY_USER_BURST", "1000000")
        .env("QUORUMKEY_USER_PER_MINUTE", "100000000")
        .env("QUORUMKEY_ADDRESS_BURST", "1000000")
        .env("QUORUMKEY_ADDRESS_PER_MINUTE", "100000000")
        .env("RUST_LOG", "warn,quorumkey_server::server=info")
        .current_dir(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

fn post(agent: &ureq::Agent, url: &str, token: &str, body: &[u8]) -> u16 {
    let request = ureq::http::Request::post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(body.to_vec())
        .unwrap();
    let mut response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    let _ = response.body_mut().read_to_vec();
    status
}

struct Run {
    requests: u64,
    wall: f64,
    server_cpu: f64,
    latencies: Vec<Duration>,
}

impl Run {
    fn percentile(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        l.get(((l.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    }
}

/// What a run sends, and to whom.
struct Target<'a> {
    server: &'a Server,
    pid: u32,
    issuer: &'a Arc<DevIssuer>,
    body: &'a Arc<Vec<u8>>,
    connections: usize,
}

/// `connections` clients for `seconds`; each paced to `interval` between request starts
/// when given (open loop), back to back otherwise.
fn run(target: &Target<'_>, seconds: f64, interval: Option<Duration>, expected_rate: f64) -> Run {
    let Target {
        server,
        pid,
        issuer,
        body,
        connections,
    } = *target;
    let url = format!("http://{}/v1/evaluate", server.addr);
    let per_thread = ((expected_rate * seconds * 1.5) as usize / connections).max(64) + 16;
    let barrier = Arc::new(Barrier::new(connections + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let (issuer, body, url, barrier, stop, count) = (
                Arc::clone(issuer),
                Arc::clone(body),
                url.clone(),
                Arc::clone(&barrier),
                Arc::clone(&stop),
                Arc::clone(&count),
            );
            std::thread::spawn(move || {
                let user = format!("bench-{c}");
                let now = quorumkey_server::service::now_ms() / 1000;
                let tokens: Vec<String> = (0..per_thread)
                    .map(|_| issuer.token(&user, SERVER_ID, now, 300).unwrap())
                    .collect();
                let agent = agent();
                // Warm the connection.
                let mut tokens = tokens.into_iter();
                assert_eq!(post(&agent, &url, &tokens.next().unwrap(), &body), 200);
                let mut latencies = Vec::with_capacity(per_thread);
                barrier.wait();
                let start = Instant::now();
                for (i, token) in tokens.enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Some(interval) = interval {
                        // Threads are staggered so that requests arrive evenly spaced,
                        // not in bursts of `connections` at once.
                        let offset = interval.mul_f64(c as f64 / connections as f64);
                        let due = start + offset + interval * i as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                    }
                    let t = Instant::now();
                    let status = post(&agent, &url, &token, &body);
                    latencies.push(t.elapsed());
                    assert_eq!(status, 200);
                    count.fetch_add(1, Ordering::Relaxed);
                }
                latencies
            })
        })
        .collect();
    barrier.wait();
    let cpu0 = cpu_seconds(pid);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let requests = count.load(Ordering::Relaxed);
    let wall = started.elapsed().as_secs_f64();
    let server_cpu = cpu_seconds(pid) - cpu0;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in threads {
        latencies.extend(t.join().unwrap());
    }
    Run {
        requests,
        wall,
        server_cpu,
        latencies,
    }
}

fn enroll(server: &Server, issuer: &DevIssuer, connections: usize) {
    let agent = agent();
    for c in 0..connections {
        let user = format!("bench-{c}");
        let token = issuer
            .token(
                &user,
                SERVER_ID,
                quorumkey_server::service::now_ms() / 1000,
                300,
            )
            .unwrap();
        let status = post(
            &agent,
            &format!("http://{}/v1/keys", server.addr),
            &token,
            b"",
        );
        assert!(status == 201 || status == 200, "enroll: {status}");
    }
}

/// Where a request's time goes, measured in process (set `LOAD_BREAKDOWN=1`).
fn breakdown() {
    use quorumkey_server::storage::Store;
    use std::sync::Arc;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = DevIssuer::generate("bench:1", "https://issuer.bench.example").unwrap();
    let auth = quorumkey_server::auth::Authenticator::new(
        SERVER_ID.into(),
        [("bench".to_owned(), issuer.issuer.clone())].into(),
        vec![quorumkey_server::auth::JwksSource::Inline(issuer.jwks())],
        Duration::from_secs(300),
    )
    .unwrap();
    let n = 400;
    let now = quorumkey_server::service::now_ms() / 1000;
    let tokens: Vec<String> = (0..n)
        .map(|_| issuer.token("u", SERVER_ID, now, 300).unwrap())
        .collect();
    let time = |name: &str, f: &mut dyn FnMut(usize)| {
        let t = Instant::now();
        for i in 0..n {
            f(i);
        }
        println!(
            "{name}: {:.1} µs",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    };
    time("jwt verify", &mut |i| {
        auth.verify(&tokens[i], now).unwrap();
    });
    let body = request(1);
    time("gate request decode", &mut |_| {
        std::hint::black_box(quorumkey::gate::GateRequest::from_bytes(&body).unwrap());
    });
    let server = KeyServer::generate(&mut rand::rng());
    let record = server
        .handle(b"u", None, Operation::AddKeyVersion, &mut rand::rng())
        .unwrap()
        .record_update()
        .unwrap()
        .clone();
    time("KeyServer::handle evaluate x1", &mut |_| {
        std::hint::black_box(
            server
                .handle(
                    b"u",
                    Some(&record),
                    Operation::Evaluate(&body),
                    &mut rand::rng(),
                )
                .unwrap()
                .release(None)
                .unwrap(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.sqlite3").display());
    let store: Arc<dyn Store> = rt
        .block_on(quorumkey_server::storage::open(&url, &Default::default()))
        .unwrap();
    let bytes = record.to_secret_bytes();
    rt.block_on(store.commit(&quorumkey_server::storage::Commit {
        user: "u",
        expected: quorumkey_server::storage::Expected::Absent,
        record: Some(quorumkey_server::storage::RecordWrite {
            bytes: &bytes,
            revision: 1,
        }),
        audit: None,
        token: None,
        now_ms: 1,
    }))
    .unwrap();
    time("sqlite load", &mut |_| {
        rt.block_on(store.load("u")).unwrap();
    });
    let mut seq = 0u64;
    time("sqlite commit (token + audit)", &mut |i| {
        let id = format!("t{i}");
        rt.block_on(store.commit(&quorumkey_server::storage::Commit {
            user: "u",
            expected: quorumkey_server::storage::Expected::At {
                revision: 1,
                audit_seq: seq,
            },
            record: None,
            audit: Some(quorumkey_server::storage::AuditWrite {
                seq: seq + 1,
                time_ms: 1,
                action: "evaluated",
                fields: "{}",
                event: b"e",
                chain: [0; 32],
            }),
            token: Some(quorumkey_server::storage::TokenUse {
                id: &id,
                expires_ms: 1,
            }),
            now_ms: 1,
        }))
        .unwrap();
        seq += 1;
    });
}

fn main() {
    if std::env::var("LOAD_BREAKDOWN").is_ok() {
        breakdown();
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: run
    // a token amount then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let seconds = env_f64("LOAD_SECONDS", if quick { 0.3 } else { 2.0 });
    let connections = env_f64("LOAD_CONNECTIONS", 8.0) as usize;
    let rounds_wanted = env_f64("LOAD_ROUNDS", if quick { 1.0 } else { 3.0 }) as usize;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "key server over HTTP: {connections} connections, {rounds_wanted} rounds of {seconds} s, {cores} cores here"
    );

    let issuer = Arc::new(DevIssuer::generate("bench:1", "https://issuer.bench.example").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![
        (
            "SQLite",
            format!("sqlite://{}", dir.path().join("bench.sqlite3").display()),
        ),
        (
            "SQLite-normal",
            format!(
                "sqlite://{}",
                dir.path().join("bench-normal.sqlite3").display()
            ),
        ),
    ];
    let pg_schema = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Some(base) = &pg_schema {
        let schema = format!("bench_{}", std::process::id());
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut conn)
                .await
                .unwrap();
        });
        let sep = if base.contains('?') { '&' } else { '?' };
        backends.push((
            "PostgreSQL",
            format!("{base}{sep}options[search_path]={schema}"),
        ));
    }

    println!();
    println!(
        "| backend | batch | single-core limit (elements/s) | saturated: elements/s/core (server CPU) | % of limit | server cores busy | saturated p50 / p99 | half load: requests/s | half load p50 / p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|---:|---|");
    // Without --bench (a smoke run under `cargo test --all-targets`): one case only.
    let wanted = |var: &str, item: &str| match std::env::var(var) {
        Ok(list) => list.split(',').any(|w| w.trim().eq_ignore_ascii_case(item)),
        Err(_) => !quick || item == "SQLite" || item == "1",
    };
    for (name, url) in backends
        .iter()
        .filter(|(name, _)| wanted("LOAD_BACKENDS", name))
    {
        let data = dir.path().join(name);
        let server = start_server(&data, url, &issuer);
        let pid = server.child.id();
        enroll(&server, &issuer, connections);
        for batch in [1usize, 8]
            .into_iter()
            .filter(|b| wanted("LOAD_BATCHES", &b.to_string()))
        {
            // Paired rounds: the limit right before and right after each saturated run,
            // so both sides of each ratio see the same load on this shared machine; the
            // median round is reported.
            let body = Arc::new(request(batch));
            let target = Target {
                server: &server,
                pid,
                issuer: &issuer,
                body: &body,
                connections,
            };
            let mut rounds = Vec::new();
            for _ in 0..rounds_wanted {
                let before = single_core_limit(batch, 0.5);
                let run = run(&target, seconds, None, before / batch as f64 * cores as f64);
                let after = single_core_limit(batch, 0.5);
                let limit = (before + after) / 2.0;
                let per_core = (run.requests * batch as u64) as f64 / run.server_cpu;
                rounds.push((per_core / limit, limit, run));
            }
            rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (ratio, limit, saturated) = rounds.swap_remove(rounds.len() / 2);
            let per_core = (saturated.requests * batch as u64) as f64 / saturated.server_cpu;
            let rate = saturated.requests as f64 / saturated.wall;
            let half = (rate / 2.0).max(1.0);
            let interval = Duration::from_secs_f64(connections as f64 / half);
            let paced = run(&target, seconds, Some(interval), half);
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| {name} | {batch} | {limit:.0} | {per_core:.0} | {:.0} % | {:.2} | {:.2} / {:.2} ms | {:.0} | {:.2} / {:.2} ms |",
                100.0 * ratio,
                saturated.server_cpu / saturated.wall,
                ms(saturated.percentile(0.5)),
                ms(saturated.percentile(0.99)),
                paced.requests as f64 / paced.wall,
                ms(paced.percentile(0.5)),
                ms(paced.percentile(0.99)),
            );
        }
    }
    if let Some(base) = &pg_schema {
        rt.block_on(async {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(base).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS bench_{} CASCADE",
                    std::process::id()
                )))
                .execute(&mut conn)
                .await;
            }
        });
    }
}
