//! Tests of `quorumkey::sharing`: recovery, rejection of every bad input with its exact
//! error, strict encodings, secret hygiene, and cross-checks against vsss-rs.
#![cfg(feature = "alloc")]

use p256::elliptic_curve::PrimeField;
use p256::{ProjectivePoint, Scalar};
use proptest::prelude::*;
use quorumkey::group::{EncodingError, encode_element, encode_scalar};
use quorumkey::sharing::{
    Commitments, Error, HolderId, HolderSet, SHARE_LEN, Secret, Share, Threshold, combine,
    combine_individually, deal, verify_share,
};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, ReadableShareSet, Share as _,
    ValueGroup,
};

type VShare = DefaultShare<IdentifierPrimeField<Scalar>, IdentifierPrimeField<Scalar>>;
type VVerifier = ValueGroup<ProjectivePoint>;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn id(i: u8) -> HolderId {
    HolderId::new(i).unwrap()
}

fn ids(range: core::ops::RangeInclusive<u8>) -> Vec<HolderId> {
    range.map(id).collect()
}

fn t(t: u8) -> Threshold {
    Threshold::new(t).unwrap()
}

fn set(ids: &[u8]) -> HolderSet {
    ids.iter().map(|&i| id(i)).collect()
}

/// Deals `t`-of-`n` to ids 1..=n with a random secret.
fn dealt(seed: u64, threshold: u8, n: u8) -> (Secret, Vec<Share>, Commitments, ChaCha20Rng) {
    let mut rng = rng(seed);
    let secret = Secret::random(&mut rng);
    let (shares, commitments) = deal(&secret, t(threshold), &ids(1..=n), &mut rng).unwrap();
    (secret, shares, commitments, rng)
}

/// A share with its value replaced by `value + delta`.
fn shifted(share: &Share, delta: u64) -> Share {
    Share::new(share.id(), share.as_scalar() + &Scalar::from(delta)).unwrap()
}

/// A share moved to another id (same value).
fn moved(share: &Share, to: u8) -> Share {
    let mut bytes = share.to_secret_bytes();
    bytes[0] = to;
    Share::from_bytes(&bytes[..]).unwrap()
}

fn to_vsss(share: &Share) -> VShare {
    VShare::with_identifier_and_value(
        IdentifierPrimeField(share.id().to_scalar()),
        IdentifierPrimeField(*share.as_scalar()),
    )
}

fn vsss_verifiers(commitments: &Commitments) -> Vec<VVerifier> {
    let points: Vec<VVerifier> = commitments
        .as_slice()
        .iter()
        .map(|p| ValueGroup(*p))
        .collect();
    <Vec<VVerifier> as FeldmanVerifierSet<VShare, VVerifier>>::feldman_set_with_generator_and_verifiers(
        ValueGroup(ProjectivePoint::GENERATOR),
        &points,
    )
}

/// Recovers from a random subset of `k ≥ t` shares in random order, checks every path agrees.
fn check_recovery(
    secret: &Secret,
    shares: &[Share],
    commitments: &Commitments,
    k: usize,
    rng: &mut ChaCha20Rng,
) {
    let mut subset = shares.to_vec();
    subset.shuffle(rng);
    subset.truncate(k);
    let recovered = combine(commitments, &subset, rng).unwrap();
    assert_eq!(&recovered, secret);
    assert_eq!(recovered.public(), *commitments.public_secret());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_t_of_n_recover(seed in any::<u64>(), n in 2u8..=16, t_frac in 0.0f64..1.0, extra in 0.0f64..1.0) {
        let threshold = 2 + ((f64::from(n - 1)) * t_frac) as u8;
        let threshold = threshold.min(n);
        let (secret, shares, commitments, mut rng) = dealt(seed, threshold, n);
        let k = usize::from(threshold) + ((f64::from(n - threshold + 1)) * extra) as usize;
        let k = k.min(usize::from(n));
        check_recovery(&secret, &shares, &commitments, k, &mut rng);
        // Fewer than t never yields a secret.
        let mut few = shares.clone();
        few.shuffle(&mut rng);
        few.truncate(usize::from(threshold) - 1);
        prop_assert_eq!(
            combine(&commitments, &few, &mut rng).unwrap_err(),
            Error::NotEnoughShares { needed: threshold, got: usize::from(threshold) - 1 }
        );
    }

    #[test]
    fn tampered_shares_are_named(seed in any::<u64>(), n in 3u8..=12, bad_mask in 1u16..) {
        let threshold = n / 2 + 1;
        let (_, shares, commitments, mut rng) = dealt(seed, threshold, n);
        let mut expected = HolderSet::new();
        let tampered: Vec<Share> = shares
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if bad_mask & (1 << (i % 16)) != 0 {
                    expected.insert(s.id());
                    shifted(s, 1 + i as u64)
                } else {
                    s.clone()
                }
            })
            .collect();
        prop_assume!(!expected.is_empty());
        let want = Error::InvalidShares { culprits: expected };
        prop_assert_eq!(commitments.batch_verify(&tampered, &mut rng).unwrap_err(), want);
        prop_assert_eq!(combine(&commitments, &tampered, &mut rng).unwrap_err(), want);
        prop_assert_eq!(combine_individually(commitments.as_slice(), &tampered).unwrap_err(), want);
    }

    #[test]
    fn share_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..70)) {
        if let Ok(share) = Share::from_bytes(&bytes) {
            prop_assert_eq!(&share.to_secret_bytes()[..], &bytes[..]);
        }
    }

    #[test]
    fn commitments_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(commitments) = Commitments::from_bytes(&bytes) {
            // The decoder keeps the input as the encoding; the points must re-encode to it.
            prop_assert_eq!(commitments.as_bytes(), &bytes[..]);
            prop_assert_eq!(reencode(&commitments), bytes);
        }
    }

    #[test]
    fn commitments_decoder_rejects_mutations(seed in any::<u64>(), index in 0usize..100, bit in 0u8..8) {
        let (_, _, commitments, _) = dealt(seed, 3, 3);
        let mut bytes = commitments.to_bytes();
        bytes[index] ^= 1 << bit;
        // Either rejected, or (a flipped x-coordinate that happens to be on the curve) a
        // different set of commitments: never the original.
        if let Ok(decoded) = Commitments::from_bytes(&bytes) {
            prop_assert_ne!(decoded, commitments);
        }
    }

    #[test]
    fn share_encoding_round_trips(seed in any::<u64>()) {
        let (_, shares, commitments, _) = dealt(seed, 3, 5);
        for share in &shares {
            let bytes = share.to_secret_bytes();
            prop_assert_eq!(bytes.len(), SHARE_LEN);
            prop_assert_eq!(bytes[0], share.id().get());
            prop_assert_eq!(&Share::from_bytes(&bytes[..]).unwrap(), share);
        }
        let bytes = commitments.to_bytes();
        prop_assert_eq!(bytes.len(), commitments.encoded_len());
        prop_assert_eq!(&bytes, &reencode(&commitments));
        prop_assert_eq!(commitments.as_bytes(), &bytes[..]);
        let decoded = Commitments::from_bytes(&bytes).unwrap();
        prop_assert_eq!(decoded.to_bytes(), bytes);
        prop_assert_eq!(decoded, commitments);
    }
}

/// The encoding of `commitments` computed point by point from the points alone.
fn reencode(commitments: &Commitments) -> Vec<u8> {
    let mut out = vec![commitments.threshold().get()];
    for point in commitments.as_slice() {
        out.extend_from_slice(&encode_element(point));
    }
    out
}

/// The commitments decoder keeps its input as the encoding (and the vault header digest is
/// taken over the input), which is sound only if no other bytes decode to the same points.
/// The way two encodings of one point could arise is an x-coordinate given as `x + p`.
#[test]
fn commitments_decoder_refuses_an_unreduced_x_coordinate() {
    // p, the P-256 field modulus.
    let p: [u8; 32] =
        hex::decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")
            .unwrap()
            .try_into()
            .unwrap();
    let (_, _, commitments, _) = dealt(31, 2, 2);
    let good = commitments.to_bytes();
    let mut found = 0;
    for k in 1u8..=64 {
        // 02 ‖ k: a valid point for about half of the k.
        let mut canonical = [0u8; 33];
        canonical[0] = 0x02;
        canonical[32] = k;
        if quorumkey::group::decode_element(&canonical).is_err() {
            continue;
        }
        found += 1;
        // 02 ‖ (p + k): the same x, unreduced (p + k < 2^256 for small k).
        let mut unreduced = canonical;
        let mut carry = u16::from(k);
        for (out, &limb) in unreduced[1..].iter_mut().zip(&p).rev() {
            let sum = u16::from(limb) + carry;
            *out = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert_eq!(
            quorumkey::group::decode_element(&unreduced),
            Err(EncodingError::InvalidElement)
        );
        let mut bytes = good.clone();
        bytes[34..67].copy_from_slice(&unreduced);
        assert_eq!(
            Commitments::from_bytes(&bytes).unwrap_err(),
            Error::InvalidCommitment { index: 1 }
        );
    }
    assert!(found > 10, "{found}");
}

#[test]
fn fixed_cases_recover() {
    for (seed, threshold, n) in [(1, 2, 2), (2, 2, 3), (3, 3, 5), (4, 10, 20)] {
        let (secret, shares, commitments, mut rng) = dealt(seed, threshold, n);
        assert_eq!(shares.len(), usize::from(n));
        assert_eq!(commitments.threshold(), t(threshold));
        assert_eq!(commitments.as_slice().len(), usize::from(threshold));
        assert_eq!(*commitments.public_secret(), secret.public());
        for (share, want) in shares.iter().zip(1..=n) {
            assert_eq!(share.id().get(), want);
            commitments.verify(share).unwrap();
        }
        commitments.batch_verify(&shares, &mut rng).unwrap();
        check_recovery(
            &secret,
            &shares,
            &commitments,
            usize::from(threshold),
            &mut rng,
        );
        check_recovery(&secret, &shares, &commitments, usize::from(n), &mut rng);
        assert_eq!(
            combine_individually(commitments.as_slice(), &shares).unwrap(),
            secret
        );
    }
}

#[test]
fn every_pair_of_2_of_3_recovers() {
    let (secret, shares, commitments, mut rng) = dealt(7, 2, 3);
    for a in 0..3 {
        for b in 0..3 {
            if a != b {
                let pair = [shares[a].clone(), shares[b].clone()];
                assert_eq!(combine(&commitments, &pair, &mut rng).unwrap(), secret);
            }
        }
    }
}

#[test]
fn two_hundred_fifty_five_holders() {
    for (seed, threshold) in [(10, 3), (11, 128)] {
        let (secret, shares, commitments, mut rng) = dealt(seed, threshold, 255);
        assert_eq!(shares.len(), 255);
        check_recovery(
            &secret,
            &shares,
            &commitments,
            usize::from(threshold),
            &mut rng,
        );
        commitments.batch_verify(&shares, &mut rng).unwrap();
        assert_eq!(
            combine(
                &commitments,
                &shares[..usize::from(threshold) - 1],
                &mut rng
            )
            .unwrap_err(),
            Error::NotEnoughShares {
                needed: threshold,
                got: usize::from(threshold) - 1
            }
        );
    }
}

#[test]
fn shares_in_holder_order() {
    let mut rng = rng(12);
    let secret = Secret::random(&mut rng);
    let holders = [id(9), id(2), id(200), id(5)];
    let (shares, commitments) = deal(&secret, t(3), &holders, &mut rng).unwrap();
    let got: Vec<_> = shares.iter().map(Share::id).collect();
    assert_eq!(got, holders);
    assert_eq!(
        combine(&commitments, &shares[1..], &mut rng).unwrap(),
        secret
    );
}

#[test]
fn fewer_than_t_never_yields_a_secret() {
    let (_, shares, commitments, mut rng) = dealt(13, 5, 8);
    for k in 1..5 {
        assert_eq!(
            combine(&commitments, &shares[..k], &mut rng).unwrap_err(),
            Error::NotEnoughShares { needed: 5, got: k }
        );
        assert_eq!(
            combine_individually(commitments.as_slice(), &shares[..k]).unwrap_err(),
            Error::NotEnoughShares { needed: 5, got: k }
        );
    }
    assert_eq!(
        combine(&commitments, &[], &mut rng).unwrap_err(),
        Error::NoShares
    );
    assert_eq!(
        combine_individually(commitments.as_slice(), &[]).unwrap_err(),
        Error::NoShares
    );
}

#[test]
fn tampered_value_or_id_is_named() {
    let (_, shares, commitments, mut rng) = dealt(14, 3, 5);
    // Value changed.
    let mut bad = shares.clone();
    bad[1] = shifted(&shares[1], 1);
    assert_eq!(
        commitments.verify(&bad[1]).unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[2])
        }
    );
    assert_eq!(
        combine(&commitments, &bad[..3], &mut rng).unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[2])
        }
    );
    // Id changed (value of holder 1 presented as holder 7).
    let mut bad = shares[1..4].to_vec();
    bad.push(moved(&shares[0], 7));
    assert_eq!(
        combine(&commitments, &bad, &mut rng).unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[7])
        }
    );
    // Several bad shares at once, ids and values.
    let bad = vec![
        shifted(&shares[0], 5),
        shares[1].clone(),
        moved(&shares[2], 42),
        shifted(&shares[3], 9),
        shares[4].clone(),
    ];
    let want = Error::InvalidShares {
        culprits: set(&[1, 4, 42]),
    };
    assert_eq!(commitments.batch_verify(&bad, &mut rng).unwrap_err(), want);
    assert_eq!(combine(&commitments, &bad, &mut rng).unwrap_err(), want);
    // Culprits among more than t shares are found even if t good ones are present.
    assert_eq!(
        want.to_string(),
        "shares of holders {1, 4, 42} failed verification"
    );
}

#[test]
fn shares_of_another_dealing_are_rejected() {
    let (secret, shares, commitments, mut rng) = dealt(15, 2, 3);
    // Same secret, fresh polynomial.
    let (other, _) = deal(&secret, t(2), &ids(1..=3), &mut rng).unwrap();
    let mixed = [shares[0].clone(), other[1].clone()];
    assert_eq!(
        combine(&commitments, &mixed, &mut rng).unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[2])
        }
    );
    // Another secret entirely.
    let (_, foreign, _, _) = dealt(16, 2, 3);
    assert_eq!(
        commitments.batch_verify(&foreign, &mut rng).unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[1, 2, 3])
        }
    );
}

#[test]
fn duplicates_rejected_at_deal_and_combine() {
    let mut rng = rng(17);
    let secret = Secret::random(&mut rng);
    assert_eq!(
        deal(&secret, t(2), &[id(1), id(2), id(1)], &mut rng).unwrap_err(),
        Error::DuplicateHolder(id(1))
    );
    let (shares, commitments) = deal(&secret, t(2), &ids(1..=3), &mut rng).unwrap();
    let dup = [shares[0].clone(), shares[0].clone()];
    assert_eq!(
        combine(&commitments, &dup, &mut rng).unwrap_err(),
        Error::DuplicateHolder(id(1))
    );
    let dup = [shares[0].clone(), shares[1].clone(), shares[1].clone()];
    assert_eq!(
        combine(&commitments, &dup, &mut rng).unwrap_err(),
        Error::DuplicateHolder(id(2))
    );
    assert_eq!(
        combine_individually(commitments.as_slice(), &dup).unwrap_err(),
        Error::DuplicateHolder(id(2))
    );
}

#[test]
fn bad_policies_rejected() {
    let mut rng = rng(18);
    let secret = Secret::random(&mut rng);
    assert_eq!(
        deal(&secret, t(4), &ids(1..=3), &mut rng).unwrap_err(),
        Error::ThresholdAboveHolders {
            threshold: 4,
            holders: 3
        }
    );
    assert_eq!(
        deal(&secret, t(2), &[], &mut rng).unwrap_err(),
        Error::ThresholdAboveHolders {
            threshold: 2,
            holders: 0
        }
    );
    let mut many = ids(1..=255);
    many.push(id(1));
    assert_eq!(
        deal(&secret, t(2), &many, &mut rng).unwrap_err(),
        Error::TooManyHolders { holders: 256 }
    );
    assert_eq!(
        Threshold::new(1).unwrap_err(),
        Error::ThresholdTooSmall { threshold: 1 }
    );
    assert_eq!(
        Threshold::new(0).unwrap_err(),
        Error::ThresholdTooSmall { threshold: 0 }
    );
    assert_eq!(HolderId::new(0).unwrap_err(), Error::ZeroHolderId);
}

#[test]
fn batch_verify_edge_cases() {
    let (_, shares, commitments, mut rng) = dealt(19, 2, 3);
    assert_eq!(
        commitments.batch_verify(&[], &mut rng).unwrap_err(),
        Error::NoShares
    );
    commitments.batch_verify(&shares[..1], &mut rng).unwrap();
    assert_eq!(
        commitments
            .batch_verify(&[shifted(&shares[0], 1)], &mut rng)
            .unwrap_err(),
        Error::InvalidShares {
            culprits: set(&[1])
        }
    );
    // Duplicates are fine for verification (each share stands on its own).
    commitments
        .batch_verify(&[shares[0].clone(), shares[0].clone()], &mut rng)
        .unwrap();
}

#[test]
fn slice_api_matches() {
    let (secret, shares, commitments, _) = dealt(20, 3, 4);
    for share in &shares {
        verify_share(commitments.as_slice(), share).unwrap();
    }
    assert_eq!(
        verify_share(&commitments.as_slice()[..1], &shares[0]).unwrap_err(),
        Error::CommitmentCount { count: 1 }
    );
    assert_eq!(
        verify_share(&[], &shares[0]).unwrap_err(),
        Error::CommitmentCount { count: 0 }
    );
    let mut with_identity = commitments.as_slice().to_vec();
    with_identity[2] = ProjectivePoint::IDENTITY;
    assert_eq!(
        verify_share(&with_identity, &shares[0]).unwrap_err(),
        Error::IdentityCommitment { index: 2 }
    );
    assert_eq!(
        combine_individually(&with_identity, &shares).unwrap_err(),
        Error::IdentityCommitment { index: 2 }
    );
    assert_eq!(
        combine_individually(commitments.as_slice(), &shares[1..]).unwrap(),
        secret
    );
}

#[test]
fn commitments_from_points_checks() {
    let g = ProjectivePoint::GENERATOR;
    assert_eq!(
        Commitments::from_points(&[]).unwrap_err(),
        Error::CommitmentCount { count: 0 }
    );
    assert_eq!(
        Commitments::from_points(&[g]).unwrap_err(),
        Error::CommitmentCount { count: 1 }
    );
    assert_eq!(
        Commitments::from_points(&vec![g; 256]).unwrap_err(),
        Error::CommitmentCount { count: 256 }
    );
    assert_eq!(
        Commitments::from_points(&[g, ProjectivePoint::IDENTITY]).unwrap_err(),
        Error::IdentityCommitment { index: 1 }
    );
    let c = Commitments::from_points(&[g, g + g]).unwrap();
    assert_eq!(c.threshold(), t(2));
    assert_eq!(
        Commitments::from_points(&vec![g; 255])
            .unwrap()
            .encoded_len(),
        1 + 33 * 255
    );
}

#[test]
fn share_decoding_is_strict() {
    let (_, shares, _, _) = dealt(21, 2, 2);
    let good = shares[0].to_secret_bytes();
    assert_eq!(
        Share::from_bytes(&good[..32]).unwrap_err(),
        Error::ShareLength { found: 32 }
    );
    assert_eq!(
        Share::from_bytes(&[]).unwrap_err(),
        Error::ShareLength { found: 0 }
    );
    let mut long = good.to_vec();
    long.push(0);
    assert_eq!(
        Share::from_bytes(&long).unwrap_err(),
        Error::ShareLength { found: 34 }
    );
    let mut zero_id = *good;
    zero_id[0] = 0;
    assert_eq!(
        Share::from_bytes(&zero_id).unwrap_err(),
        Error::ZeroHolderId
    );
    let mut big = [0xffu8; SHARE_LEN];
    big[0] = 1;
    assert_eq!(
        Share::from_bytes(&big).unwrap_err(),
        Error::ShareValue(EncodingError::NonCanonicalScalar)
    );
    // Exactly the group order n is non-canonical too.
    let mut order = [0u8; SHARE_LEN];
    order[0] = 1;
    order[1..].copy_from_slice(
        &hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").unwrap(),
    );
    assert_eq!(
        Share::from_bytes(&order).unwrap_err(),
        Error::ShareValue(EncodingError::NonCanonicalScalar)
    );
    let mut zero_value = [0u8; SHARE_LEN];
    zero_value[0] = 1;
    assert_eq!(
        Share::from_bytes(&zero_value).unwrap_err(),
        Error::ShareValue(EncodingError::ZeroScalar)
    );
    assert_eq!(
        Share::new(id(1), Scalar::ZERO).unwrap_err(),
        Error::ShareValue(EncodingError::ZeroScalar)
    );
}

#[test]
fn commitments_decoding_is_strict() {
    let (_, _, commitments, _) = dealt(22, 3, 3);
    let good = commitments.to_bytes();
    assert_eq!(good.len(), 1 + 3 * 33);
    assert_eq!(good[0], 3);
    let mut written = vec![0xaa];
    commitments.write_to(&mut written);
    assert_eq!(&written[1..], &good[..]);

    let err = |bytes: &[u8]| Commitments::from_bytes(bytes).unwrap_err();
    assert_eq!(
        err(&[]),
        Error::CommitmentsLength {
            expected: 67,
            found: 0
        }
    );
    assert_eq!(
        err(&good[..good.len() - 1]),
        Error::CommitmentsLength {
            expected: 100,
            found: 99
        }
    );
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        err(&long),
        Error::CommitmentsLength {
            expected: 100,
            found: 101
        }
    );
    let mut count = good.clone();
    count[0] = 0;
    assert_eq!(err(&count), Error::CommitmentCount { count: 0 });
    count[0] = 1;
    assert_eq!(err(&count), Error::CommitmentCount { count: 1 });
    assert_eq!(err(&[1]), Error::CommitmentCount { count: 1 });
    count[0] = 2;
    assert_eq!(
        err(&count),
        Error::CommitmentsLength {
            expected: 67,
            found: 100
        }
    );
    count[0] = 4;
    assert_eq!(
        err(&count),
        Error::CommitmentsLength {
            expected: 133,
            found: 100
        }
    );
    // Identity (33 zero bytes) at index 1.
    let mut identity = good.clone();
    identity[34..67].fill(0);
    assert_eq!(err(&identity), Error::IdentityCommitment { index: 1 });
    // Bad tag at index 0; off-curve x at index 2; x ≥ p at index 1.
    let mut bad_tag = good.clone();
    bad_tag[1] = 0x04;
    assert_eq!(err(&bad_tag), Error::InvalidCommitment { index: 0 });
    let off_curve_x = (0u8..=255)
        .map(|b| {
            let mut e = [0u8; 33];
            e[0] = 0x02;
            e[32] = b;
            e
        })
        .find(|e| quorumkey::group::decode_element(e) == Err(EncodingError::InvalidElement))
        .unwrap();
    let mut off = good.clone();
    off[67..100].copy_from_slice(&off_curve_x);
    assert_eq!(err(&off), Error::InvalidCommitment { index: 2 });
    let mut too_big = good.clone();
    too_big[34] = 0x03;
    too_big[35..67].fill(0xff);
    assert_eq!(err(&too_big), Error::InvalidCommitment { index: 1 });
}

#[test]
fn secret_encoding() {
    let mut rng = rng(23);
    let secret = Secret::random(&mut rng);
    let bytes = secret.to_secret_bytes();
    assert_eq!(Secret::from_bytes(&bytes).unwrap(), secret);
    assert_eq!(Secret::from_bytes(&[0; 32]).unwrap_err(), Error::ZeroSecret);
    assert_eq!(
        Secret::from_bytes(&[0xff; 32]).unwrap_err(),
        Error::NonCanonicalSecret
    );
    assert_eq!(
        Secret::from_scalar(Scalar::ZERO).unwrap_err(),
        Error::ZeroSecret
    );
    assert_eq!(
        *Secret::from_scalar(Scalar::ONE).unwrap().as_scalar(),
        Scalar::ONE
    );
    assert_ne!(Secret::random(&mut rng), secret);
}

#[test]
fn debug_never_prints_secrets() {
    let (secret, shares, _, _) = dealt(24, 2, 3);
    let bytes = secret.to_secret_bytes();
    let hex_lower = hex::encode(*bytes);
    let debug = format!("{secret:?} {secret:#?}");
    assert_eq!(format!("{secret:?}"), "Secret(..)");
    let forbidden = |text: &str, value: &[u8; 32]| {
        let hex_lower = hex::encode(value);
        let hex_upper = hex_lower.to_uppercase();
        let decimal: String = value
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let scalar_debug = format!("{:?}", Scalar::from_repr((*value).into()).unwrap());
        assert!(!text.contains(&hex_lower), "{text}");
        assert!(!text.contains(&hex_upper), "{text}");
        assert!(!text.contains(&decimal), "{text}");
        assert!(!text.contains(&scalar_debug), "{text}");
        // No long runs of the value's hex either.
        assert!(!text.contains(&hex_lower[..16]), "{text}");
    };
    forbidden(&debug, &bytes);
    for share in &shares {
        let text = format!("{share:?} {share:#?}");
        assert_eq!(
            format!("{share:?}"),
            format!("Share {{ id: {}, .. }}", share.id())
        );
        let value = encode_scalar(share.as_scalar());
        forbidden(&text, &value);
        forbidden(&text, &bytes);
    }
    assert!(!hex_lower.is_empty());
}

#[test]
fn holder_set_basics() {
    let mut s = HolderSet::new();
    assert!(s.is_empty());
    assert!(s.insert(id(200)));
    assert!(s.insert(id(1)));
    assert!(s.insert(id(128)));
    assert!(s.insert(id(127)));
    assert!(s.insert(id(255)));
    assert!(!s.insert(id(1)));
    assert_eq!(s.len(), 5);
    assert!(s.contains(id(128)) && !s.contains(id(2)));
    let listed: Vec<u8> = s.iter().map(HolderId::get).collect();
    assert_eq!(listed, [1, 127, 128, 200, 255]);
    assert_eq!(s.to_string(), "{1, 127, 128, 200, 255}");
    assert_eq!(format!("{s:?}"), "HolderSet{1, 127, 128, 200, 255}");
    assert_eq!(HolderSet::new().to_string(), "{}");
    let full: HolderSet = ids(1..=255).into_iter().collect();
    assert_eq!(full.len(), 255);
}

#[test]
fn vsss_rs_agrees_with_our_shares() {
    for (seed, threshold, n) in [(30, 2, 3), (31, 3, 5), (32, 10, 20)] {
        let (secret, shares, commitments, _) = dealt(seed, threshold, n);
        let verifiers = vsss_verifiers(&commitments);
        let vshares: Vec<VShare> = shares.iter().map(to_vsss).collect();
        for vshare in &vshares {
            verifiers.verify_share(vshare).unwrap();
        }
        let combined = (&vshares[..usize::from(threshold)]).combine().unwrap();
        assert_eq!(combined.0, *secret.as_scalar());
        let bad = to_vsss(&shifted(&shares[0], 1));
        assert!(verifiers.verify_share(&bad).is_err());
    }
}

#[test]
fn we_agree_with_vsss_rs_shares() {
    let mut rng = rng(33);
    let secret = Secret::random(&mut rng);
    let (vshares, verifiers) = vsss_rs::feldman::split_secret_with_ids::<VShare, VVerifier>(
        3,
        5,
        &IdentifierPrimeField(*secret.as_scalar()),
        None,
        &mut rng,
        ids(1..=5)
            .into_iter()
            .map(|i| IdentifierPrimeField(i.to_scalar())),
    )
    .unwrap();
    let points: Vec<ProjectivePoint> = verifiers[1..].iter().map(|v| v.0).collect();
    let commitments = Commitments::from_points(&points).unwrap();
    assert_eq!(commitments.threshold(), t(3));
    let shares: Vec<Share> = vshares
        .iter()
        .zip(1..=5)
        .map(|(v, i)| {
            assert_eq!(v.identifier().0, id(i).to_scalar());
            Share::new(id(i), v.value().0).unwrap()
        })
        .collect();
    commitments.batch_verify(&shares, &mut rng).unwrap();
    assert_eq!(
        combine(&commitments, &shares[2..], &mut rng).unwrap(),
        secret
    );
    // Our encodings of vsss-rs commitments decode back.
    assert_eq!(
        Commitments::from_bytes(&commitments.to_bytes()).unwrap(),
        commitments
    );
    assert_eq!(
        encode_element(commitments.public_secret()),
        encode_element(&secret.public())
    );
}

#[test]
fn errors_display_their_culprit() {
    assert_eq!(
        Error::DuplicateHolder(id(7)).to_string(),
        "holder id 7 appears more than once"
    );
    assert_eq!(
        Error::NotEnoughShares { needed: 3, got: 1 }.to_string(),
        "1 shares given, 3 needed"
    );
    assert_eq!(
        Error::IdentityCommitment { index: 2 }.to_string(),
        "commitment 2 is the identity"
    );
}

#[test]
fn commitments_debug_shows_the_wire_encoding() {
    let (_, _, commitments, _) = dealt(41, 3, 5);
    let bytes = commitments.to_bytes();
    let points: Vec<String> = bytes[1..].chunks(33).map(hex::encode).collect();
    assert_eq!(
        format!("{commitments:?}"),
        format!(
            "Commitments {{ threshold: 3, points: [{}] }}",
            points.join(", ")
        )
    );
}
