//! The two suites side by side: a key server's VOPRF evaluation (one batched DLEQ proof),
//! per element at batch sizes 1, 8 and 64, in quorumkey and in the `voprf` crate 0.5, for
//! P256-SHA256 and ristretto255-SHA512; and beside them each library's raw floor, one
//! constant-time scalar multiplication `P·k` (p256 0.14 and curve25519-dalek 5 under
//! quorumkey, p256 0.13 and curve25519-dalek 4 under voprf); and the client's side of an
//! unlock (2-of-3 vault, device share and one VOPRF capsule) in both suites. See
//! `spec/performance.md` §10 for the figures and the goals.
//!
//! The same binary runs in WebAssembly: `cargo bench --target wasm32-wasip1 --features
//! ristretto255 --bench suites --no-run`, then `SUITES_PAIRED=1` with the `.wasm` under
//! Node's WASI (`.ci/wasi-runner.mjs`).
//!
//! Three ways to run it (needs the `ristretto255` feature):
//!
//! * criterion, every library and suite of one batch size in one group:
//!   `cargo bench --features ristretto255 --bench suites`
//! * paired timing, each round timing every variant of an operation back to back (robust to
//!   load changes on a shared machine): `SUITES_PAIRED=1`; `SUITES_ROUNDS` (default 21).
//! * instruction counts, which do not depend on machine load: `SUITES_RUN=<name>` runs only
//!   that operation, `SUITES_REPS` times (default 1), and exits. One operation costs
//!   `(count(REPS = 11) − count(REPS = 1)) / 10` instructions under
//!   `valgrind --tool=callgrind`; `SUITES_LIST=1` prints the names.
//!
//! Every run is deterministic: seeded RNGs (also for voprf, through a rand_core 0.6
//! adapter), fixed inputs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

const SEED: [u8; 32] = [0xa3; 32];
const BATCHES: [usize; 3] = [1, 8, 64];

fn inputs(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("quorumkey gate input {i:04}").into_bytes())
        .collect()
}

/// ChaCha20 behind rand_core 0.6's traits, so voprf's draws are seeded too.
struct Rng06(ChaCha20Rng);

impl rand_core_06::RngCore for Rng06 {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for Rng06 {}

fn rng06() -> Rng06 {
    Rng06(ChaCha20Rng::from_seed([2; 32]))
}

/// One benchmarked operation: a name and a closure doing it once.
struct Op {
    name: String,
    run: Box<dyn FnMut()>,
}

fn op(name: impl Into<String>, run: impl FnMut() + 'static) -> Op {
    Op {
        name: name.into(),
        run: Box::new(run),
    }
}

/// quorumkey's server evaluation in one suite (`$oprf` is that suite's `oprf` module).
macro_rules! quorumkey_evaluate {
    ($oprf:path, $label:literal, $n:expr) => {{
        use $oprf::{EvaluationRequest, Mode, ServerKey, VoprfClient};
        let n = $n;
        let key = ServerKey::derive(Mode::Voprf, &SEED, b"k").unwrap();
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let blinded = inputs(n)
            .iter()
            .map(|i| VoprfClient::blind(i, &mut rng).unwrap().1)
            .collect();
        let request = EvaluationRequest::new(blinded).unwrap();
        op(format!("evaluate{n}/quorumkey-{}", $label), move || {
            black_box(key.respond_voprf(black_box(&request), &mut rng));
        })
    }};
}

/// voprf's server evaluation in one suite (`$cs` its ciphersuite type).
macro_rules! voprf_evaluate {
    ($cs:ty, $label:literal, $n:expr) => {{
        let n = $n;
        let server = voprf::VoprfServer::<$cs>::new_from_seed(&SEED, b"k").unwrap();
        let mut rng = rng06();
        let blinded: Vec<_> = inputs(n)
            .iter()
            .map(|i| {
                voprf::VoprfClient::<$cs>::blind(i, &mut rng)
                    .unwrap()
                    .message
            })
            .collect();
        op(format!("evaluate{n}/voprf-{}", $label), move || {
            if n == 1 {
                black_box(server.blind_evaluate(&mut rng, black_box(&blinded[0])));
            } else {
                black_box(
                    server
                        .batch_blind_evaluate(&mut rng, black_box(&blinded))
                        .unwrap(),
                );
            }
        })
    }};
}

fn evaluations() -> Vec<(usize, Vec<Op>)> {
    BATCHES
        .iter()
        .map(|&n| {
            (
                n,
                vec![
                    quorumkey_evaluate!(quorumkey::oprf, "p256", n),
                    voprf_evaluate!(p256_13::NistP256, "p256", n),
                    quorumkey_evaluate!(quorumkey::ristretto255::oprf, "ristretto255", n),
                    voprf_evaluate!(voprf::Ristretto255, "ristretto255", n),
                ],
            )
        })
        .collect()
}

/// One constant-time `P·k` of each library, on fixed inputs.
fn floors() -> Vec<Op> {
    use sha2::Digest;
    let bytes = |label: &str| -> [u8; 32] {
        let mut out: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
        out[0] &= 0x0f;
        out[31] &= 0x0f;
        out
    };
    let p256_14 = {
        use p256::elliptic_curve::PrimeField;
        let k = p256::Scalar::from_repr(bytes("k").into()).unwrap();
        let p =
            p256::ProjectivePoint::GENERATOR * p256::Scalar::from_repr(bytes("p").into()).unwrap();
        op("floor/p256-0.14", move || {
            black_box(black_box(p) * black_box(k));
        })
    };
    let p256_13 = {
        use p256_13::elliptic_curve::PrimeField;
        let k = p256_13::Scalar::from_repr(bytes("k").into()).unwrap();
        let p = p256_13::ProjectivePoint::GENERATOR
            * p256_13::Scalar::from_repr(bytes("p").into()).unwrap();
        op("floor/p256-0.13", move || {
            black_box(black_box(p) * black_box(k));
        })
    };
    let dalek_5 = {
        use curve25519_dalek::{RistrettoPoint, Scalar};
        let k = Scalar::from_bytes_mod_order(bytes("k"));
        let p = RistrettoPoint::mul_base(&Scalar::from_bytes_mod_order(bytes("p")));
        op("floor/curve25519-dalek-5", move || {
            black_box(black_box(p) * black_box(k));
        })
    };
    let dalek_4 = {
        use curve25519_dalek_4::{RistrettoPoint, Scalar};
        let k = Scalar::from_bytes_mod_order(bytes("k"));
        let p = RistrettoPoint::mul_base(&Scalar::from_bytes_mod_order(bytes("p")));
        op("floor/curve25519-dalek-4", move || {
            black_box(black_box(p) * black_box(k));
        })
    };
    vec![p256_14, p256_13, dalek_5, dalek_4]
}

/// The client's side of an unlock in one suite (`$qk` is the suite's API: `quorumkey` or
/// `quorumkey::ristretto255`): a 2-of-3 vault {device, key server, card}, VOPRF gate, no
/// password; `Unlock::start` with the device share and the capsule, then `finish` with the
/// server's answer. The RNG restarts from the same state each time, so the blinded request
/// is always the same and the server's answer is computed once, outside the measurement.
macro_rules! unlock_op {
    ($qk:ident, $suite:expr, $label:literal) => {{
        use quorumkey::suite::SuiteId;
        use $qk::gate::{GateMode, GateResponse};
        use $qk::keyserver::{KeyServer, KeySet, Operation};
        use $qk::policy::Policy;
        use $qk::sharing::HolderId;
        use $qk::vault::{Enrollment, KeyServerSetup, Trust, Unlock};
        const USER: &[u8] = b"user-42";
        let suite: SuiteId = $suite;
        let server = KeyServer::new([7; 32]);
        let mut record = None;
        let mut r = ChaCha20Rng::from_seed([3; 32]);
        let mut call = |op: Operation<'_>, r: &mut ChaCha20Rng| {
            server
                .handle_local_in(suite, USER, &mut record, op, r)
                .unwrap()
                .body
        };
        let keys = KeySet::from_bytes(&call(Operation::AddKeyVersion, &mut r)).unwrap();
        let policy = Policy::builder(2)
            .device(1, "phone")
            .key_server(2, "keys", "keys.example")
            .custodian(3, "recovery card")
            .build()
            .unwrap();
        let holder = HolderId::new(2).unwrap();
        let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
        let (pending, requests) = Enrollment::start(policy, &[setup], None, &mut r).unwrap();
        let responses: Vec<GateResponse> = requests
            .iter()
            .map(|q| {
                let body = call(Operation::Evaluate(&q.request.to_bytes()), &mut r);
                GateResponse::from_bytes(&body).unwrap()
            })
            .collect();
        let enrolled = pending.finish(&responses, &mut r).unwrap();
        let header = enrolled.header;
        let device = enrolled.device_shares;
        let capsules = enrolled.capsules;
        let trust = Trust::new().header(header.digest());
        let start = ChaCha20Rng::from_seed([5; 32]);
        let (_, requests) = Unlock::start(
            &header,
            &device,
            &capsules,
            &trust,
            None,
            &mut start.clone(),
        )
        .unwrap();
        let body = call(Operation::Evaluate(&requests[0].request.to_bytes()), &mut r);
        let answer = Some(GateResponse::from_bytes(&body).unwrap());
        op(format!("unlock/client-{}", $label), move || {
            let mut r = start.clone();
            let (unlock, _) =
                Unlock::start(&header, &device, &capsules, &trust, None, &mut r).unwrap();
            let vault = unlock
                .finish(std::slice::from_ref(&answer), &mut r)
                .unwrap();
            black_box(vault);
        })
    }};
}

fn unlocks() -> Vec<Op> {
    use quorumkey::ristretto255;
    vec![
        unlock_op!(quorumkey, quorumkey::suite::SuiteId::P256, "p256"),
        unlock_op!(
            ristretto255,
            quorumkey::suite::SuiteId::Ristretto255,
            "ristretto255"
        ),
    ]
}

fn all() -> Vec<Op> {
    let mut ops: Vec<Op> = evaluations().into_iter().flat_map(|(_, ops)| ops).collect();
    ops.extend(floors());
    ops.extend(unlocks());
    ops
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn paired() {
    let rounds: usize = std::env::var("SUITES_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(21);
    let mut groups: Vec<(String, usize, Vec<Op>)> = evaluations()
        .into_iter()
        .map(|(n, ops)| (format!("evaluate, batch {n}"), n, ops))
        .collect();
    groups.push(("floor: one constant-time P·k".into(), 1, floors()));
    groups.push((
        "client unlock, 2-of-3, VOPRF (per unlock)".into(),
        1,
        unlocks(),
    ));
    println!("| operation | µs per element (per unlock), median of {rounds} paired rounds |");
    println!("|---|---:|");
    for (title, n, mut ops) in groups {
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); ops.len()];
        for _ in 0..rounds {
            for (op, t) in ops.iter_mut().zip(times.iter_mut()) {
                let reps = (64 / n).max(1);
                let start = Instant::now();
                for _ in 0..reps {
                    (op.run)();
                }
                t.push(start.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
            }
        }
        for (op, t) in ops.iter().zip(times) {
            println!("| {title}: {} | {:.1} |", op.name, median(t));
        }
    }
}

fn main() {
    if std::env::var_os("SUITES_LIST").is_some() {
        for op in all() {
            println!("{}", op.name);
        }
        return;
    }
    if let Ok(which) = std::env::var("SUITES_RUN") {
        let reps: usize = std::env::var("SUITES_REPS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let mut op = all()
            .into_iter()
            .find(|op| op.name == which)
            .unwrap_or_else(|| panic!("no operation {which}; SUITES_LIST=1 lists them"));
        for _ in 0..reps {
            (op.run)();
        }
        return;
    }
    if std::env::var_os("SUITES_PAIRED").is_some() {
        paired();
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    for (n, ops) in evaluations() {
        let mut g = c.benchmark_group(format!("evaluate{n}"));
        for mut op in ops {
            let name = op.name.split('/').nth(1).unwrap_or_default().to_owned();
            g.bench_function(name, |b| b.iter(&mut op.run));
        }
        g.finish();
    }
    for (group, ops) in [("floor", floors()), ("unlock", unlocks())] {
        let mut g = c.benchmark_group(group);
        for mut op in ops {
            let name = op.name.split('/').nth(1).unwrap_or_default().to_owned();
            g.bench_function(name, |b| b.iter(&mut op.run));
        }
        g.finish();
    }
    c.final_summary();
}
