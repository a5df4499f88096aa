//! Allocation-free verification and interpolation over slices.

use p256::elliptic_curve::Field;
use p256::elliptic_curve::group::Group;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::{Error, HolderId, HolderSet, Threshold};
use crate::generic::{Secret, Share};
use crate::suite::{Suite, is_identity};

/// `k·P` for a small public `k` (a holder id), by double-and-add on the 8 bits of `k`.
///
/// **Variable time**: only for public `P` and `k`. About 8 doublings and at most 8 additions,
/// instead of a full 256-bit scalar multiplication.
fn mul_small_vartime<S: Suite>(point: &S::Point, k: u8) -> S::Point {
    let mut acc = S::Point::identity();
    for bit in (0..8).rev() {
        acc = acc.double();
        if (k >> bit) & 1 == 1 {
            acc += point;
        }
    }
    acc
}

/// `Σ_j id^j · C_j`, the commitment to `f(id)`, by Horner's rule with small multipliers.
///
/// **Variable time**: the commitments and the id are public.
pub(crate) fn evaluate_commitments<S: Suite>(commitments: &[S::Point], id: HolderId) -> S::Point {
    commitments
        .iter()
        .rev()
        .fold(S::Point::identity(), |acc, c| {
            mul_small_vartime::<S>(&acc, id.get()) + c
        })
}

/// Checks the shape of a commitment slice: 2..=255 points, none the identity.
pub(crate) fn check_commitments<S: Suite>(commitments: &[S::Point]) -> Result<Threshold, Error> {
    let count = commitments.len();
    let threshold = u8::try_from(count)
        .ok()
        .and_then(|t| Threshold::new(t).ok())
        .ok_or(Error::CommitmentCount { count })?;
    if let Some(index) = commitments.iter().position(is_identity::<S>) {
        return Err(Error::IdentityCommitment { index });
    }
    Ok(threshold)
}

/// Verifies one share against Feldman commitments `C_0..C_{t-1}` given as a slice: checks
/// `value·G == Σ_j id^j·C_j`. Needs no allocator.
///
/// `value·G` is computed in constant time (the value is secret); the right-hand side
/// involves only public data and is computed in variable time.
///
/// Errors: [`Error::CommitmentCount`] or [`Error::IdentityCommitment`] for a malformed
/// slice, [`Error::InvalidShares`] naming the share's holder if the check fails.
pub fn verify_share<S: Suite>(commitments: &[S::Point], share: &Share<S>) -> Result<(), Error> {
    check_commitments::<S>(commitments)?;
    verify_unchecked(commitments, share)
}

/// [`verify_share`] without the shape check (the caller has made it).
pub(crate) fn verify_unchecked<S: Suite>(
    commitments: &[S::Point],
    share: &Share<S>,
) -> Result<(), Error> {
    let lhs = S::mul_base(share.as_scalar());
    let rhs = evaluate_commitments::<S>(commitments, share.id());
    if bool::from(lhs.ct_eq(&rhs)) {
        Ok(())
    } else {
        let mut culprits = HolderSet::new();
        culprits.insert(share.id());
        Err(Error::InvalidShares { culprits })
    }
}

/// Checks a share list before combining: non-empty, distinct ids, at least `threshold`.
pub(crate) fn check_share_list<S: Suite>(
    shares: &[Share<S>],
    threshold: Threshold,
) -> Result<(), Error> {
    if shares.is_empty() {
        return Err(Error::NoShares);
    }
    let mut seen = HolderSet::new();
    for share in shares {
        if !seen.insert(share.id()) {
            return Err(Error::DuplicateHolder(share.id()));
        }
    }
    if shares.len() < threshold.count() {
        return Err(Error::NotEnoughShares {
            needed: threshold.get(),
            got: shares.len(),
        });
    }
    Ok(())
}

/// Lagrange interpolation at 0 of the given shares (ids must be distinct).
///
/// The Lagrange coefficients depend only on the public ids; the sum `Σ λ_i·y_i` over the
/// secret values uses only constant-time field arithmetic.
pub(crate) fn interpolate_at_zero<S: Suite>(shares: &[Share<S>]) -> Result<S::Scalar, Error> {
    interpolate_at(shares, S::Scalar::ZERO)
}

/// Lagrange interpolation of the given shares at `x` (ids must be distinct):
/// `f(x) = Σ_i y_i · Π_{j≠i} (x - x_j) / (x_i - x_j)`.
///
/// Same constant-time argument as [`interpolate_at_zero`]: `x` and the ids are public.
pub(crate) fn interpolate_at<S: Suite>(
    shares: &[Share<S>],
    x: S::Scalar,
) -> Result<S::Scalar, Error> {
    let mut value = S::Scalar::ZERO;
    for (i, share_i) in shares.iter().enumerate() {
        let x_i = share_i.id().scalar::<S>();
        let mut numerator = S::Scalar::ONE;
        let mut denominator = S::Scalar::ONE;
        for (j, share_j) in shares.iter().enumerate() {
            if i != j {
                let x_j = share_j.id().scalar::<S>();
                numerator *= x - x_j;
                denominator *= x_i - x_j;
            }
        }
        let inverse: Option<S::Scalar> = denominator.invert().into();
        // Only reachable with duplicate ids, which every caller rejects first.
        let inverse = inverse.ok_or(Error::DuplicateHolder(share_i.id()))?;
        value += numerator * inverse * share_i.as_scalar();
    }
    Ok(value)
}

/// Interpolates the first `threshold` shares and checks the result against `C_0`.
pub(crate) fn finish_combine<S: Suite>(
    commitments: &[S::Point],
    threshold: Threshold,
    shares: &[Share<S>],
) -> Result<Secret<S>, Error> {
    let used = shares
        .get(..threshold.count())
        .ok_or(Error::NotEnoughShares {
            needed: threshold.get(),
            got: shares.len(),
        })?;
    let mut scalar = interpolate_at_zero(used)?;
    let c0 = commitments
        .first()
        .ok_or(Error::CommitmentCount { count: 0 })?;
    // Constant time: `scalar` is the secret.
    let matches = bool::from(S::mul_base(&scalar).ct_eq(c0));
    let zero = bool::from(scalar.is_zero());
    let result = if !matches {
        Err(Error::CombineMismatch)
    } else if zero {
        Err(Error::ZeroSecret)
    } else {
        Ok(Secret::from_scalar(scalar))
    };
    scalar.zeroize();
    result?
}

/// Rebuilds the secret from shares, verifying **each share individually** against
/// commitments given as a slice. Needs no allocator and no RNG.
///
/// Same checks and errors as [`combine`](super::combine): [`Error::NoShares`],
/// [`Error::DuplicateHolder`], [`Error::NotEnoughShares`], [`Error::InvalidShares`] naming
/// every failing share, [`Error::CommitmentCount`] / [`Error::IdentityCommitment`] for a
/// malformed slice, and the final `s·G == C_0` check ([`Error::CombineMismatch`]). All
/// given shares are verified; the first `t` are interpolated.
///
/// Per share this costs one constant-time base multiplication plus about `16·t` point
/// additions; [`combine`](super::combine) batches the check instead.
pub fn combine_individually<S: Suite>(
    commitments: &[S::Point],
    shares: &[Share<S>],
) -> Result<Secret<S>, Error> {
    let threshold = check_commitments::<S>(commitments)?;
    check_share_list(shares, threshold)?;
    let mut culprits = HolderSet::new();
    for share in shares {
        if verify_unchecked(commitments, share).is_err() {
            culprits.insert(share.id());
        }
    }
    if !culprits.is_empty() {
        return Err(Error::InvalidShares { culprits });
    }
    finish_combine(commitments, threshold, shares)
}
