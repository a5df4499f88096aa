//! The allocation-free part of `quorumkey::sharing`, run with and without the `alloc`
//! feature: slice verification, slice combine, share encoding, holder sets.

use p256::{ProjectivePoint, Scalar};
use quorumkey::group::mul_base;
use quorumkey::sharing::{
    Error, HolderId, HolderSet, Secret, Share, combine_individually, verify_share,
};

fn id(i: u8) -> HolderId {
    HolderId::new(i).unwrap()
}

/// A fixed 2-of-n sharing of `s = 7` with `f(x) = 7 + 5x` (commitments `7G`, `5G`).
fn line() -> ([ProjectivePoint; 2], [Share; 3]) {
    let f = |x: u64| Scalar::from(7u64) + Scalar::from(5u64) * Scalar::from(x);
    let commitments = [mul_base(&Scalar::from(7u64)), mul_base(&Scalar::from(5u64))];
    let shares = [1u8, 2, 3].map(|x| Share::new(id(x), f(u64::from(x))).unwrap());
    (commitments, shares)
}

#[test]
fn slice_verify_and_combine() {
    let (commitments, shares) = line();
    for share in &shares {
        verify_share(&commitments, share).unwrap();
    }
    let secret = combine_individually(&commitments, &shares[1..]).unwrap();
    assert_eq!(secret, Secret::from_scalar(Scalar::from(7u64)).unwrap());
    assert_eq!(
        combine_individually(&commitments, &shares[..1]).unwrap_err(),
        Error::NotEnoughShares { needed: 2, got: 1 }
    );
    let bad = Share::new(id(2), Scalar::from(1u64)).unwrap();
    let mut culprits = HolderSet::new();
    culprits.insert(id(2));
    assert_eq!(
        combine_individually(&commitments, &[shares[0].clone(), bad]).unwrap_err(),
        Error::InvalidShares { culprits }
    );
    assert_eq!(
        verify_share(&commitments[..1], &shares[0]).unwrap_err(),
        Error::CommitmentCount { count: 1 }
    );
}

#[test]
fn share_bytes_round_trip() {
    let (_, shares) = line();
    for share in &shares {
        let bytes = share.to_secret_bytes();
        assert_eq!(Share::from_bytes(&bytes[..]).unwrap(), *share);
    }
}
