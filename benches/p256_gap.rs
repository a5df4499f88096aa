//! The P-256 gap: the same primitive on p256 0.14 (what quorumkey uses) and p256 0.13 (what
//! the `voprf` crate uses), side by side in one run. See `spec/performance.md`, "The P-256
//! gap: p256 0.14 vs 0.13", for the findings and the numbers.
//!
//! Two ways to run it:
//!
//! * criterion, both versions of each primitive in one group:
//!   `cargo bench --bench p256_gap -- --warm-up-time 1 --measurement-time 3`
//! * paired timing, each round timing both versions back to back (robust to load changes):
//!   `P256_GAP_PAIRED=1 cargo bench --bench p256_gap`; `P256_GAP_ROUNDS`, `P256_GAP_FILTER`.
//! * instruction counts, which do not depend on machine load: `P256_GAP_RUN=<op>/<version>`
//!   runs only that primitive, `P256_GAP_REPS` times (default 1), and exits. One operation
//!   costs `(count(REPS = 11) − count(REPS = 1)) / 10` instructions under
//!   `valgrind --tool=callgrind`; `P256_GAP_LIST=1` prints the names.
//!
//! Inputs are fixed (scalars from SHA-256 of a label), so both versions multiply the same
//! points by the same scalars and every run does identical work.

use criterion::Criterion;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

/// A fixed 32-byte value below both group orders: SHA-256 of `label` with the top bit
/// cleared.
fn bytes(label: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut out: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
    out[0] &= 0x7f;
    out
}

/// p256 0.14 (this crate's dependency).
mod v14 {
    use super::bytes;
    use p256::elliptic_curve::group::GroupEncoding;
    use p256::elliptic_curve::hazmat::FieldArithmetic;
    use p256::elliptic_curve::ops::{LinearCombination, MulByGeneratorVartime};
    use p256::elliptic_curve::{Group, PrimeField};
    use p256::{NistP256, ProjectivePoint, Scalar};

    pub type Fe = <NistP256 as FieldArithmetic>::FieldElement;

    pub struct In {
        pub fa: Fe,
        pub fb: Fe,
        pub k: Scalar,
        pub l: Scalar,
        pub p: ProjectivePoint,
        pub q: ProjectivePoint,
        pub enc: [u8; 33],
    }

    pub fn inputs() -> In {
        let fe = |s| Option::<Fe>::from(Fe::from_repr(bytes(s).into())).expect("field element");
        let sc = |s| Option::<Scalar>::from(Scalar::from_repr(bytes(s).into())).expect("scalar");
        let p = ProjectivePoint::GENERATOR * sc("point p");
        let q = ProjectivePoint::GENERATOR * sc("point q");
        let enc: [u8; 33] = p.to_bytes().as_slice().try_into().expect("33 bytes");
        In {
            fa: fe("field a"),
            fb: fe("field b"),
            k: sc("scalar k"),
            l: sc("scalar l"),
            p,
            q,
            enc,
        }
    }

    pub fn field_mul(i: &In) -> Fe {
        i.fa * i.fb
    }
    pub fn field_square(i: &In) -> Fe {
        i.fa.square()
    }
    pub fn field_invert(i: &In) -> Fe {
        i.fa.invert().unwrap()
    }
    pub fn scalar_mul(i: &In) -> Scalar {
        i.k * i.l
    }
    pub fn scalar_invert(i: &In) -> Scalar {
        i.k.invert().unwrap()
    }
    pub fn point_add(i: &In) -> ProjectivePoint {
        i.p + i.q
    }
    pub fn point_double(i: &In) -> ProjectivePoint {
        i.p.double()
    }
    pub fn mul(i: &In) -> ProjectivePoint {
        i.p * i.k
    }
    pub fn mul_generator_generic(i: &In) -> ProjectivePoint {
        ProjectivePoint::GENERATOR * i.k
    }
    pub fn mul_by_generator(i: &In) -> ProjectivePoint {
        ProjectivePoint::mul_by_generator(&i.k)
    }
    pub fn mul_by_generator_vartime(i: &In) -> ProjectivePoint {
        ProjectivePoint::mul_by_generator_vartime(&i.k)
    }
    pub fn mul_vartime(i: &In) -> ProjectivePoint {
        i.p.mul_vartime(&i.k)
    }
    pub fn lincomb(i: &In) -> ProjectivePoint {
        ProjectivePoint::lincomb(&[(i.p, i.k), (i.q, i.l)])
    }
    pub fn lincomb_vartime(i: &In) -> ProjectivePoint {
        ProjectivePoint::lincomb_vartime(&[(i.p, i.k), (i.q, i.l)])
    }
    pub fn encode(i: &In) -> [u8; 33] {
        i.p.to_bytes().as_slice().try_into().unwrap()
    }
    pub fn decode(i: &In) -> ProjectivePoint {
        ProjectivePoint::from_bytes(&i.enc.into()).unwrap()
    }
}

/// p256 0.13 (the `voprf` crate's), renamed `p256_13`.
mod v13 {
    use super::bytes;
    use p256_13::elliptic_curve::group::{GroupEncoding, WnafBase, WnafScalar};
    use p256_13::elliptic_curve::ops::{LinearCombination, MulByGenerator};
    use p256_13::elliptic_curve::{Group, PrimeField};
    use p256_13::{FieldElement as Fe, ProjectivePoint, Scalar};

    pub struct In {
        pub fa: Fe,
        pub fb: Fe,
        pub k: Scalar,
        pub l: Scalar,
        pub p: ProjectivePoint,
        pub q: ProjectivePoint,
        pub enc: [u8; 33],
    }

    pub fn inputs() -> In {
        let fe = |s| Option::<Fe>::from(Fe::from_repr(bytes(s).into())).expect("field element");
        let sc = |s| Option::<Scalar>::from(Scalar::from_repr(bytes(s).into())).expect("scalar");
        let p = ProjectivePoint::GENERATOR * sc("point p");
        let q = ProjectivePoint::GENERATOR * sc("point q");
        let enc = encode33(&p);
        In {
            fa: fe("field a"),
            fb: fe("field b"),
            k: sc("scalar k"),
            l: sc("scalar l"),
            p,
            q,
            enc,
        }
    }

    pub fn field_mul(i: &In) -> Fe {
        i.fa * i.fb
    }
    pub fn field_square(i: &In) -> Fe {
        i.fa.square()
    }
    pub fn field_invert(i: &In) -> Fe {
        i.fa.invert().unwrap()
    }
    pub fn scalar_mul(i: &In) -> Scalar {
        i.k * i.l
    }
    pub fn scalar_invert(i: &In) -> Scalar {
        i.k.invert().unwrap()
    }
    pub fn point_add(i: &In) -> ProjectivePoint {
        i.p + i.q
    }
    pub fn point_double(i: &In) -> ProjectivePoint {
        i.p.double()
    }
    pub fn mul(i: &In) -> ProjectivePoint {
        i.p * i.k
    }
    pub fn mul_generator_generic(i: &In) -> ProjectivePoint {
        ProjectivePoint::GENERATOR * i.k
    }
    /// SEC1 compressed encoding (0.13 returns a generic-array).
    fn encode33(p: &ProjectivePoint) -> [u8; 33] {
        let mut out = [0u8; 33];
        out.copy_from_slice(&p.to_bytes());
        out
    }

    /// 0.13 has no basepoint table: `mul_by_generator` is `GENERATOR * k`.
    pub fn mul_by_generator(i: &In) -> ProjectivePoint {
        ProjectivePoint::mul_by_generator(&i.k)
    }
    /// 0.13 has no `mul_vartime`; group 0.13's wNAF with 0.14's window (5) is the same
    /// algorithm.
    pub fn mul_vartime(i: &In) -> ProjectivePoint {
        &WnafBase::<_, 5>::new(i.p) * &WnafScalar::<_, 5>::new(&i.k)
    }
    pub fn mul_by_generator_vartime(i: &In) -> ProjectivePoint {
        &WnafBase::<_, 5>::new(ProjectivePoint::GENERATOR) * &WnafScalar::<_, 5>::new(&i.k)
    }
    /// 0.13's `lincomb` is the trait default: two multiplications and an addition.
    pub fn lincomb(i: &In) -> ProjectivePoint {
        ProjectivePoint::lincomb(&i.p, &i.k, &i.q, &i.l)
    }
    pub fn encode(i: &In) -> [u8; 33] {
        encode33(&i.p)
    }
    pub fn decode(i: &In) -> ProjectivePoint {
        ProjectivePoint::from_bytes(&i.enc.into()).unwrap()
    }
}

/// Server VOPRF evaluation of `m` blinded elements with one batched proof: quorumkey's
/// `ServerKey::respond_voprf` (p256 0.14) and the `voprf` crate's `blind_evaluate` (m = 1)
/// or `batch_blind_evaluate` (p256 0.13). Same seed, same key, fixed RNGs.
mod flows {
    use p256_13::NistP256 as V;
    use quorumkey::oprf::{EvaluationRequest, Mode, ServerKey, VoprfClient};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::{Rng, SeedableRng};
    use std::cell::RefCell;

    const SEED: [u8; 32] = [0xa3; 32];

    /// rand_core 0.6 (what voprf 0.5 takes) over a seeded ChaCha20, so voprf's runs are
    /// as repeatable as ours.
    pub struct Rng06(ChaCha20Rng);

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

    fn inputs(m: usize) -> Vec<Vec<u8>> {
        (0..m)
            .map(|i| format!("quorumkey gate input {i}").into_bytes())
            .collect()
    }

    pub struct Ours {
        key: ServerKey,
        request: EvaluationRequest,
        rng: RefCell<ChaCha20Rng>,
    }

    pub fn ours(m: usize) -> Ours {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let blinded = inputs(m)
            .iter()
            .map(|i| VoprfClient::blind(i, &mut rng).expect("blind").1)
            .collect();
        Ours {
            key: ServerKey::derive(Mode::Voprf, &SEED, b"k").expect("key"),
            request: EvaluationRequest::new(blinded).expect("request"),
            rng: RefCell::new(ChaCha20Rng::from_seed([2; 32])),
        }
    }

    pub fn ours_evaluate(o: &Ours) -> impl Sized {
        o.key.respond_voprf(&o.request, &mut *o.rng.borrow_mut())
    }

    pub struct Theirs {
        server: voprf::VoprfServer<V>,
        blinded: Vec<voprf::BlindedElement<V>>,
        rng: RefCell<Rng06>,
    }

    pub fn theirs(m: usize) -> Theirs {
        let mut rng = Rng06(ChaCha20Rng::from_seed([1; 32]));
        let blinded = inputs(m)
            .iter()
            .map(|i| {
                voprf::VoprfClient::<V>::blind(i, &mut rng)
                    .expect("blind")
                    .message
            })
            .collect();
        Theirs {
            server: voprf::VoprfServer::<V>::new_from_seed(&SEED, b"k").expect("key"),
            blinded,
            rng: RefCell::new(Rng06(ChaCha20Rng::from_seed([2; 32]))),
        }
    }

    pub fn theirs_evaluate(t: &Theirs) -> impl Sized {
        let rng = &mut *t.rng.borrow_mut();
        if let [one] = t.blinded.as_slice() {
            let r = t.server.blind_evaluate(rng, one);
            (vec![r.message], r.proof)
        } else {
            let r = t
                .server
                .batch_blind_evaluate(rng, &t.blinded)
                .expect("evaluate");
            (r.messages, r.proof)
        }
    }
}

/// One primitive in both versions (0.13 absent where it has no counterpart).
struct Op {
    name: &'static str,
    v14: Box<dyn Fn()>,
    v13: Option<Box<dyn Fn()>>,
}

fn ops() -> Vec<Op> {
    let i14: &'static v14::In = Box::leak(Box::new(v14::inputs()));
    let i13: &'static v13::In = Box::leak(Box::new(v13::inputs()));
    macro_rules! op {
        ($name:literal, $f14:path, $f13:path) => {
            Op {
                name: $name,
                v14: Box::new(move || {
                    black_box($f14(black_box(i14)));
                }),
                v13: Some(Box::new(move || {
                    black_box($f13(black_box(i13)));
                })),
            }
        };
        ($name:literal, $f14:path) => {
            Op {
                name: $name,
                v14: Box::new(move || {
                    black_box($f14(black_box(i14)));
                }),
                v13: None,
            }
        };
    }
    macro_rules! flow {
        ($name:literal, $m:expr) => {{
            // Set up on first use, so runs of other operations do not pay for it.
            let ours: &'static OnceLock<flows::Ours> = Box::leak(Box::default());
            let theirs: &'static OnceLock<flows::Theirs> = Box::leak(Box::default());
            Op {
                name: $name,
                v14: Box::new(move || {
                    let o = ours.get_or_init(|| flows::ours($m));
                    black_box(flows::ours_evaluate(black_box(o)));
                }),
                v13: Some(Box::new(move || {
                    let t = theirs.get_or_init(|| flows::theirs($m));
                    black_box(flows::theirs_evaluate(black_box(t)));
                })),
            }
        }};
    }
    vec![
        op!("field_mul", v14::field_mul, v13::field_mul),
        op!("field_square", v14::field_square, v13::field_square),
        op!("field_invert", v14::field_invert, v13::field_invert),
        op!("scalar_mul", v14::scalar_mul, v13::scalar_mul),
        op!("scalar_invert", v14::scalar_invert, v13::scalar_invert),
        op!("point_add", v14::point_add, v13::point_add),
        op!("point_double", v14::point_double, v13::point_double),
        op!("mul", v14::mul, v13::mul),
        op!(
            "mul_generator_generic",
            v14::mul_generator_generic,
            v13::mul_generator_generic
        ),
        op!(
            "mul_by_generator",
            v14::mul_by_generator,
            v13::mul_by_generator
        ),
        op!(
            "mul_by_generator_vartime",
            v14::mul_by_generator_vartime,
            v13::mul_by_generator_vartime
        ),
        op!("mul_vartime", v14::mul_vartime, v13::mul_vartime),
        op!("lincomb", v14::lincomb, v13::lincomb),
        op!("lincomb_vartime", v14::lincomb_vartime),
        op!("encode", v14::encode, v13::encode),
        op!("decode", v14::decode, v13::decode),
        // 0.14 = quorumkey, 0.13 = voprf 0.5.
        flow!("evaluate_voprf_1", 1),
        flow!("evaluate_voprf_8", 8),
        flow!("evaluate_voprf_64", 64),
    ]
}

fn criterion_benches(c: &mut Criterion) {
    let tables = cfg!(feature = "precomputed-tables");
    for op in ops() {
        let mut g = c.benchmark_group(format!("p256_gap/{}", op.name));
        let label = if tables && op.name.starts_with("mul_by_generator") {
            "0.14+tables"
        } else {
            "0.14"
        };
        g.bench_function(label, |b| b.iter(|| (op.v14)()));
        if let Some(f) = &op.v13 {
            g.bench_function("0.13", |b| b.iter(f));
        }
        g.finish();
    }
}

/// Paired timing: every round times a batch of 0.14 calls and a batch of 0.13 calls back to
/// back, so load changes hit both alike; prints median ns per call and the median of the
/// per-round ratios. `P256_GAP_ROUNDS` (default 31), `P256_GAP_FILTER` (substring of a name).
fn paired() {
    use std::time::Instant;
    let rounds: usize = std::env::var("P256_GAP_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(31);
    let filter = std::env::var("P256_GAP_FILTER").ok();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // ns per call over a batch of `n` calls.
    let time = |f: &dyn Fn(), n: usize| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed().as_secs_f64() * 1e9 / n as f64
    };
    println!(
        "\npaired, {rounds} rounds (median ns per call; ratio = median of per-round 0.14/0.13)\n"
    );
    println!("| operation | p256 0.14 (ns) | p256 0.13 (ns) | ratio |");
    println!("|---|---:|---:|---:|");
    for op in ops() {
        let Some(v13) = &op.v13 else { continue };
        if filter
            .as_ref()
            .is_some_and(|f| !op.name.contains(f.as_str()))
        {
            continue;
        }
        // Batch size: about 2 ms of 0.14 work per sample.
        let once = time(&op.v14, 1).max(time(&op.v14, 1));
        let n = ((2e6 / once) as usize).clamp(1, 100_000);
        let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let x = time(&op.v14, n);
            let y = time(v13.as_ref(), n);
            a.push(x);
            b.push(y);
            r.push(x / y);
        }
        println!(
            "| {} | {:.1} | {:.1} | {:.2} |",
            op.name,
            median(a),
            median(b),
            median(r)
        );
    }
}

fn main() {
    if std::env::var_os("P256_GAP_LIST").is_some() {
        for op in ops() {
            let versions = if op.v13.is_some() {
                "0.14 0.13"
            } else {
                "0.14"
            };
            println!("{} ({versions})", op.name);
        }
        return;
    }
    if let Ok(which) = std::env::var("P256_GAP_RUN") {
        let reps: usize = std::env::var("P256_GAP_REPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        let (name, version) = which
            .split_once('/')
            .expect("P256_GAP_RUN=<op>/<0.13|0.14>");
        let op = ops()
            .into_iter()
            .find(|o| o.name == name)
            .expect("unknown op (P256_GAP_LIST=1 lists them)");
        let f: &dyn Fn() = match version {
            "0.14" => &op.v14,
            "0.13" => op.v13.as_deref().expect("no 0.13 counterpart"),
            _ => panic!("version must be 0.13 or 0.14"),
        };
        for _ in 0..reps {
            f();
        }
        return;
    }
    if std::env::var_os("P256_GAP_PAIRED").is_some() {
        paired();
        return;
    }
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
