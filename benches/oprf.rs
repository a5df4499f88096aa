//! OPRF benchmarks: quorumkey (p256 0.14) beside the `voprf` crate 0.5 (p256 0.13), same
//! work, same run. Run with `cargo bench --bench oprf`.
//!
//! RESULTS_PLACEHOLDER

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use p256_13::NistP256 as V;
use quorumkey::oprf::{EvaluationRequest, Mode, OprfClient, PoprfClient, ServerKey, VoprfClient};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_core_06::OsRng;
use std::hint::black_box;
use std::time::Duration;

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
criterion_main!(benches);
