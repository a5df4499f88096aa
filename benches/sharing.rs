//! Sharing benchmarks: quorumkey's checked API beside the same work done with raw vsss-rs
//! calls, in the same run.
//!
//! For each `(t, n)`:
//! * `deal`: ours [`deal`] vs vsss-rs `feldman::split_secret_with_ids`;
//! * `verify_one`: [`Commitments::verify`] vs one vsss-rs `verify_share`;
//! * `verify_all`: [`Commitments::batch_verify`] of all `n` shares vs `n` vsss-rs
//!   `verify_share` calls;
//! * `combine`: ours [`combine`] of `t` shares (batch verification included) vs `t` vsss-rs
//!   `verify_share` calls plus vsss-rs `combine` (like for like: vsss-rs alone does not
//!   verify).
//!
//! RESULTS_TABLE
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use p256::{ProjectivePoint, Scalar};
use quorumkey::sharing::{Commitments, HolderId, Secret, Share, Threshold, combine, deal};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, ReadableShareSet, ValueGroup,
};

type VShare = DefaultShare<IdentifierPrimeField<Scalar>, IdentifierPrimeField<Scalar>>;
type VVerifier = ValueGroup<ProjectivePoint>;

fn bench_case(c: &mut Criterion, t: u8, n: u8) {
    let mut rng = ChaCha20Rng::seed_from_u64(u64::from(t) << 8 | u64::from(n));
    let threshold = Threshold::new(t).unwrap();
    let holders: Vec<HolderId> = (1..=n).map(|i| HolderId::new(i).unwrap()).collect();
    let secret = Secret::random(&mut rng);
    let (shares, commitments): (Vec<Share>, Commitments) =
        deal(&secret, threshold, &holders, &mut rng).unwrap();
    let tu = usize::from(t);
    let nu = usize::from(n);
    let vsecret = IdentifierPrimeField(*secret.as_scalar());
    let vids = || holders.iter().map(|i| IdentifierPrimeField(i.to_scalar()));
    let (vshares, verifiers) = vsss_rs::feldman::split_secret_with_ids::<VShare, VVerifier>(
        tu,
        nu,
        &vsecret,
        None,
        &mut rng,
        vids(),
    )
    .unwrap();

    let mut group = c.benchmark_group(format!("sharing/t{t}_n{n}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat);

    group.bench_function("deal/quorumkey", |b| {
        b.iter(|| deal(black_box(&secret), threshold, &holders, &mut rng).unwrap())
    });
    group.bench_function("deal/vsss-rs", |b| {
        b.iter(|| {
            vsss_rs::feldman::split_secret_with_ids::<VShare, VVerifier>(
                tu,
                nu,
                black_box(&vsecret),
                None,
                &mut rng,
                vids(),
            )
            .unwrap()
        })
    });
    group.bench_function("verify_one/quorumkey", |b| {
        b.iter(|| commitments.verify(black_box(&shares[nu - 1])).unwrap())
    });
    group.bench_function("verify_one/vsss-rs", |b| {
        b.iter(|| verifiers.verify_share(black_box(&vshares[nu - 1])).unwrap())
    });
    group.bench_function("verify_all/quorumkey", |b| {
        b.iter(|| {
            commitments
                .batch_verify(black_box(&shares), &mut rng)
                .unwrap()
        })
    });
    group.bench_function("verify_all/vsss-rs", |b| {
        b.iter(|| {
            for share in black_box(&vshares) {
                verifiers.verify_share(share).unwrap();
            }
        })
    });
    group.bench_function("combine/quorumkey", |b| {
        b.iter(|| combine(&commitments, black_box(&shares[..tu]), &mut rng).unwrap())
    });
    group.bench_function("combine/vsss-rs", |b| {
        b.iter(|| {
            let subset = black_box(&vshares[..tu]);
            for share in subset {
                verifiers.verify_share(share).unwrap();
            }
            subset.combine().unwrap()
        })
    });
    group.finish();
}

fn sharing(c: &mut Criterion) {
    for (t, n) in [(2, 3), (3, 5), (10, 20), (50, 100)] {
        bench_case(c, t, n);
    }
}

criterion_group!(benches, sharing);
criterion_main!(benches);
