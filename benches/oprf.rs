//! OPRF benchmarks: quorumkey (p256 0.14) beside the `voprf` crate 0.5 (p256 0.13), same
//! work, same run. Run with `cargo bench --bench oprf`.
//!
//! RESULTS_PLACEHOLDER

use criterion::{BatchSize, Criterion, criterion_group};
use p256_13::NistP256 as V;
use quorumkey::oprf::{EvaluationRequest, Mode, OprfClient, PoprfClient, ServerKey, VoprfClient};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_core_06::OsRng;
use std::hint::black_box;
use std::time::{Duration, Instant};

const INPUT: &[u8] = b"quorumkey gate input 0123456789abcdef";
const INFO: &[u8] = b"unit 17";
const SEED: [u8; 32] = [0xa3; 32];

fn inputs(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| [INPUT, &[i as u8]].concat()).collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let key = ServerKey::derive(Mode::Voprf, &SEED, b"k").unwrap();
    let pk = *key.public_key();
    let v_oprf = voprf::OprfServer::<V>::new_from_seed(&SEED, b"k").unwrap();
    let v_voprf = voprf::VoprfServer::<V>::new_from_seed(&SEED, b"k").unwrap();
    let v_poprf = voprf::PoprfServer::<V>::new_from_seed(&SEED, b"k").unwrap();
    let v_pk = v_voprf.get_public_key();
    let v_ppk = v_poprf.get_public_key();
    let in8 = inputs(8);

    // ---- blind ----
    let mut g = c.benchmark_group("blind");
    g.bench_function("quorumkey/voprf", |b| {
        b.iter(|| VoprfClient::blind(black_box(INPUT), &mut rng).unwrap())
    });
    g.bench_function("voprf/voprf", |b| {
        b.iter(|| voprf::VoprfClient::<V>::blind(black_box(INPUT), &mut OsRng).unwrap())
    });
    g.bench_function("quorumkey/poprf", |b| {
        b.iter(|| PoprfClient::blind(black_box(INPUT), INFO, &pk, &mut rng).unwrap())
    });
    g.bench_function("voprf/poprf", |b| {
        b.iter(|| voprf::PoprfClient::<V>::blind(black_box(INPUT), &mut OsRng).unwrap())
    });
    g.finish();

    // ---- server evaluate, 1 element ----
    let (_, blinded) = VoprfClient::blind(INPUT, &mut rng).unwrap();
    let req1 = EvaluationRequest::new(vec![blinded]).unwrap();
    let v_b = voprf::VoprfClient::<V>::blind(INPUT, &mut OsRng)
        .unwrap()
        .message;
    let v_pb = voprf::PoprfClient::<V>::blind(INPUT, &mut OsRng)
        .unwrap()
        .message;
    let v_pb1 = [v_pb];
    let mut g = c.benchmark_group("evaluate1");
    g.bench_function("quorumkey/oprf", |b| {
        b.iter(|| key.blind_evaluate_oprf(black_box(&blinded)))
    });
    g.bench_function("voprf/oprf", |b| {
        b.iter(|| v_oprf.blind_evaluate(black_box(&v_b)))
    });
    g.bench_function("quorumkey/voprf", |b| {
        b.iter(|| key.blind_evaluate_voprf(black_box(&blinded), &mut rng))
    });
    g.bench_function("voprf/voprf", |b| {
        b.iter(|| v_voprf.blind_evaluate(&mut OsRng, black_box(&v_b)))
    });
    g.bench_function("quorumkey/poprf", |b| {
        b.iter(|| {
            key.blind_evaluate_poprf(black_box(&blinded), INFO, &mut rng)
                .unwrap()
        })
    });
    g.bench_function("voprf/poprf", |b| {
        b.iter(|| {
            v_poprf
                .batch_blind_evaluate(&mut OsRng, &v_pb1, Some(INFO))
                .unwrap()
        })
    });
    g.bench_function("quorumkey/voprf-message", |b| {
        b.iter(|| key.respond_voprf(black_box(&req1), &mut rng).to_bytes())
    });
    g.finish();

    // ---- server evaluate, batch of 8 ----
    let blinded8: Vec<_> = in8
        .iter()
        .map(|i| VoprfClient::blind(i, &mut rng).unwrap().1)
        .collect();
    let req8 = EvaluationRequest::new(blinded8).unwrap();
    let v_b8: Vec<_> = in8
        .iter()
        .map(|i| {
            voprf::VoprfClient::<V>::blind(i, &mut OsRng)
                .unwrap()
                .message
        })
        .collect();
    let v_pb8: Vec<_> = in8
        .iter()
        .map(|i| {
            voprf::PoprfClient::<V>::blind(i, &mut OsRng)
                .unwrap()
                .message
        })
        .collect();
    let mut g = c.benchmark_group("evaluate8");
    g.bench_function("quorumkey/voprf", |b| {
        b.iter(|| key.respond_voprf(black_box(&req8), &mut rng))
    });
    g.bench_function("voprf/voprf", |b| {
        b.iter(|| {
            v_voprf
                .batch_blind_evaluate(&mut OsRng, black_box(&v_b8))
                .unwrap()
        })
    });
    g.bench_function("quorumkey/poprf", |b| {
        b.iter(|| key.respond_poprf(black_box(&req8), INFO, &mut rng).unwrap())
    });
    g.bench_function("voprf/poprf", |b| {
        b.iter(|| {
            v_poprf
                .batch_blind_evaluate(&mut OsRng, black_box(&v_pb8), Some(INFO))
                .unwrap()
        })
    });
    g.finish();

    // ---- finalize, 1 element ----
    // Client states are single-use (not Clone), so each iteration's untimed setup blinds
    // afresh and has the server evaluate; only finalize is timed.
    let mut g = c.benchmark_group("finalize1");
    {
        let mut r = ChaCha20Rng::from_seed([2; 32]);
        g.bench_function("quorumkey/oprf", |b| {
            b.iter_batched(
                || {
                    let (s, bl) = OprfClient::blind(INPUT, &mut r).unwrap();
                    (s, key.blind_evaluate_oprf(&bl))
                },
                |(s, e)| s.finalize(INPUT, &e).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let vr = voprf::OprfClient::<V>::blind(INPUT, &mut OsRng).unwrap();
        let ve = v_oprf.blind_evaluate(&vr.message);
        g.bench_function("voprf/oprf", |b| {
            b.iter(|| vr.state.finalize(INPUT, &ve).unwrap())
        });
    }
    {
        let mut r = ChaCha20Rng::from_seed([3; 32]);
        g.bench_function("quorumkey/voprf", |b| {
            b.iter_batched(
                || {
                    let (s, bl) = VoprfClient::blind(INPUT, &mut r).unwrap();
                    let (e, p) = key.blind_evaluate_voprf(&bl, &mut r);
                    (s, e, p)
                },
                |(s, e, p)| s.finalize(INPUT, &e, &p, &pk).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let vr = voprf::VoprfClient::<V>::blind(INPUT, &mut OsRng).unwrap();
        let ve = v_voprf.blind_evaluate(&mut OsRng, &vr.message);
        g.bench_function("voprf/voprf", |b| {
            b.iter(|| {
                vr.state
                    .finalize(INPUT, &ve.message, &ve.proof, v_pk)
                    .unwrap()
            })
        });
    }
    {
        let mut r = ChaCha20Rng::from_seed([4; 32]);
        g.bench_function("quorumkey/poprf", |b| {
            b.iter_batched(
                || {
                    let (s, bl) = PoprfClient::blind(INPUT, INFO, &pk, &mut r).unwrap();
                    let (e, p) = key.blind_evaluate_poprf(&bl, INFO, &mut r).unwrap();
                    (s, e, p)
                },
                |(s, e, p)| s.finalize(INPUT, INFO, &e, &p).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let vr = voprf::PoprfClient::<V>::blind(INPUT, &mut OsRng).unwrap();
        let one = [vr.message.clone()];
        let ve = v_poprf
            .batch_blind_evaluate(&mut OsRng, &one, Some(INFO))
            .unwrap();
        g.bench_function("voprf/poprf", |b| {
            b.iter(|| {
                vr.state
                    .finalize(INPUT, &ve.messages[0], &ve.proof, v_ppk, Some(INFO))
                    .unwrap()
            })
        });
    }
    g.finish();

    // ---- finalize, batch of 8 ----
    let mut g = c.benchmark_group("finalize8");
    {
        let mut r = ChaCha20Rng::from_seed([5; 32]);
        g.bench_function("quorumkey/voprf", |b| {
            b.iter_batched(
                || {
                    let (s, bl): (Vec<_>, Vec<_>) = in8
                        .iter()
                        .map(|i| VoprfClient::blind(i, &mut r).unwrap())
                        .unzip();
                    let req = EvaluationRequest::new(bl).unwrap();
                    (s, key.respond_voprf(&req, &mut r))
                },
                |(s, resp)| VoprfClient::finalize_batch(s, &in8, &resp, &pk).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let vrs: Vec<_> = in8
            .iter()
            .map(|i| voprf::VoprfClient::<V>::blind(i, &mut OsRng).unwrap())
            .collect();
        let msgs: Vec<_> = vrs.iter().map(|r| r.message.clone()).collect();
        let clients: Vec<_> = vrs.iter().map(|r| r.state.clone()).collect();
        let ve = v_voprf.batch_blind_evaluate(&mut OsRng, &msgs).unwrap();
        g.bench_function("voprf/voprf", |b| {
            b.iter(|| {
                voprf::VoprfClient::batch_finalize(&in8, &clients, &ve.messages, &ve.proof, v_pk)
                    .unwrap()
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap()
            })
        });
    }
    {
        let mut r = ChaCha20Rng::from_seed([6; 32]);
        g.bench_function("quorumkey/poprf", |b| {
            b.iter_batched(
                || {
                    let (s, bl): (Vec<_>, Vec<_>) = in8
                        .iter()
                        .map(|i| PoprfClient::blind(i, INFO, &pk, &mut r).unwrap())
                        .unzip();
                    let req = EvaluationRequest::new(bl).unwrap();
                    (s, key.respond_poprf(&req, INFO, &mut r).unwrap())
                },
                |(s, resp)| PoprfClient::finalize_batch(s, &in8, INFO, &resp).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let vrs: Vec<_> = in8
            .iter()
            .map(|i| voprf::PoprfClient::<V>::blind(i, &mut OsRng).unwrap())
            .collect();
        let msgs: Vec<_> = vrs.iter().map(|r| r.message.clone()).collect();
        let clients: Vec<_> = vrs.iter().map(|r| r.state.clone()).collect();
        let ve = v_poprf
            .batch_blind_evaluate(&mut OsRng, &msgs, Some(INFO))
            .unwrap();
        g.bench_function("voprf/poprf", |b| {
            b.iter(|| {
                voprf::PoprfClient::batch_finalize(
                    in8.iter().map(|i| i.as_slice()),
                    &clients,
                    &ve.messages,
                    &ve.proof,
                    v_ppk,
                    Some(INFO),
                )
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}

/// Paired measurement: each round times quorumkey and voprf back to back, so load changes
/// on a shared machine hit both sides alike. Prints medians and the median per-round ratio.
fn paired() {
    const ROUNDS: usize = 60;
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    fn time<T>(f: impl FnOnce() -> T) -> f64 {
        let t = Instant::now();
        black_box(f());
        t.elapsed().as_secs_f64() * 1e6
    }
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let key = ServerKey::derive(Mode::Voprf, &SEED, b"k").unwrap();
    let pk = *key.public_key();
    let v_voprf = voprf::VoprfServer::<V>::new_from_seed(&SEED, b"k").unwrap();
    let v_poprf = voprf::PoprfServer::<V>::new_from_seed(&SEED, b"k").unwrap();
    let v_pk = v_voprf.get_public_key();
    let v_ppk = v_poprf.get_public_key();
    let in8 = inputs(8);
    let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut add = |name: &'static str, ours: f64, theirs: f64| {
        if let Some(row) = rows.iter_mut().find(|r| r.0 == name) {
            row.1.push(ours);
            row.2.push(theirs);
        } else {
            rows.push((name, vec![ours], vec![theirs]));
        }
    };
    for _ in 0..ROUNDS {
        // Blind.
        let a = time(|| VoprfClient::blind(INPUT, &mut rng).unwrap());
        let b = time(|| voprf::VoprfClient::<V>::blind(INPUT, &mut OsRng).unwrap());
        add("blind VOPRF", a, b);
        // VOPRF, one element.
        let (s, bl) = VoprfClient::blind(INPUT, &mut rng).unwrap();
        let vr = voprf::VoprfClient::<V>::blind(INPUT, &mut OsRng).unwrap();
        let mut ev = None;
        let a = time(|| ev = Some(key.blind_evaluate_voprf(&bl, &mut rng)));
        let mut vev = None;
        let b = time(|| vev = Some(v_voprf.blind_evaluate(&mut OsRng, &vr.message)));
        add("evaluate VOPRF ×1", a, b);
        let (e, p) = ev.unwrap();
        let ve = vev.unwrap();
        let a = time(|| s.finalize(INPUT, &e, &p, &pk).unwrap());
        let b = time(|| {
            vr.state
                .finalize(INPUT, &ve.message, &ve.proof, v_pk)
                .unwrap()
        });
        add("finalize VOPRF ×1", a, b);
        // POPRF, one element.
        let (s, bl) = PoprfClient::blind(INPUT, INFO, &pk, &mut rng).unwrap();
        let vr = voprf::PoprfClient::<V>::blind(INPUT, &mut OsRng).unwrap();
        let one = [vr.message.clone()];
        let mut ev = None;
        let a = time(|| ev = Some(key.blind_evaluate_poprf(&bl, INFO, &mut rng).unwrap()));
        let mut vev = None;
        let b = time(|| {
            vev = Some(
                v_poprf
                    .batch_blind_evaluate(&mut OsRng, &one, Some(INFO))
                    .unwrap(),
            )
        });
        add("evaluate POPRF ×1", a, b);
        let (e, p) = ev.unwrap();
        let ve = vev.unwrap();
        let a = time(|| s.finalize(INPUT, INFO, &e, &p).unwrap());
        let b = time(|| {
            vr.state
                .finalize(INPUT, &ve.messages[0], &ve.proof, v_ppk, Some(INFO))
                .unwrap()
        });
        add("finalize POPRF ×1", a, b);
        // VOPRF, batch of 8.
        let (states, bl): (Vec<_>, Vec<_>) = in8
            .iter()
            .map(|i| VoprfClient::blind(i, &mut rng).unwrap())
            .unzip();
        let req = EvaluationRequest::new(bl).unwrap();
        let vrs: Vec<_> = in8
            .iter()
            .map(|i| voprf::VoprfClient::<V>::blind(i, &mut OsRng).unwrap())
            .collect();
        let msgs: Vec<_> = vrs.iter().map(|r| r.message.clone()).collect();
        let clients: Vec<_> = vrs.iter().map(|r| r.state.clone()).collect();
        let mut resp = None;
        let a = time(|| resp = Some(key.respond_voprf(&req, &mut rng)));
        let mut vev = None;
        let b = time(|| vev = Some(v_voprf.batch_blind_evaluate(&mut OsRng, &msgs).unwrap()));
        add("evaluate VOPRF ×8", a, b);
        let resp = resp.unwrap();
        let ve = vev.unwrap();
        let a = time(|| VoprfClient::finalize_batch(states, &in8, &resp, &pk).unwrap());
        let b = time(|| {
            voprf::VoprfClient::batch_finalize(&in8, &clients, &ve.messages, &ve.proof, v_pk)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        });
        add("finalize VOPRF ×8", a, b);
    }
    println!("\npaired, {ROUNDS} rounds (median µs):\n");
    println!("| operation | quorumkey | voprf 0.5 | median ratio ours/voprf |");
    println!("|---|---:|---:|---:|");
    for (name, ours, theirs) in &rows {
        let ratios: Vec<f64> = ours.iter().zip(theirs).map(|(a, b)| a / b).collect();
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} |",
            median(ours.clone()),
            median(theirs.clone()),
            median(ratios)
        );
    }
    let get = |n: &str| {
        rows.iter()
            .find(|r| r.0 == n)
            .map(|r| (median(r.1.clone()), median(r.2.clone())))
            .unwrap()
    };
    for (one, eight) in [
        ("evaluate VOPRF ×1", "evaluate VOPRF ×8"),
        ("finalize VOPRF ×1", "finalize VOPRF ×8"),
    ] {
        let (o1, t1) = get(one);
        let (o8, t8) = get(eight);
        println!(
            "{eight}: per element / single = {:.2} (voprf {:.2})",
            o8 / 8.0 / o1,
            t8 / 8.0 / t1
        );
    }
    println!();
}

fn main() {
    paired();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
