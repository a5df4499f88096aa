//! [`deal`]: split a secret into verifiable shares.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{Error, HolderId, HolderSet, Threshold};
use crate::generic::{Commitments, Secret, Share};
use crate::suite::{Suite, random_nonzero_scalar};

/// Splits `secret` into one share per holder, any `threshold` of which rebuild it, plus the
/// Feldman commitments that let each holder check its share.
///
/// Shares come back in the order of `holders`.
///
/// Errors: [`Error::TooManyHolders`] for more than 255 holders,
/// [`Error::ThresholdAboveHolders`] if `t > n` (including no holders),
/// [`Error::DuplicateHolder`] naming the first repeated id.
///
/// # Why not `vsss_rs::feldman::split_secret_with_ids`
///
/// vsss-rs 6.0.1 builds the secret polynomial in a buffer it never zeroizes, so the
/// coefficients `a_1..a_{t-1}` — which together with any one share reveal `s` — would stay
/// in freed memory. This function samples its own polynomial in a [`Zeroizing`] buffer,
/// evaluates it in constant time (Horner's rule over field elements) and commits with
/// constant-time base multiplications. The result is the same Shamir/Feldman sharing:
/// the test suite checks that vsss-rs verifies and combines these shares.
///
/// All coefficients are drawn non-zero so no commitment is the identity, and in the
/// (probability ≈ 2⁻²⁵⁶) event that some share value is zero the polynomial is redrawn,
/// so every share is encodable.
pub fn deal<S: Suite, R: CryptoRng + ?Sized>(
    secret: &Secret<S>,
    threshold: Threshold,
    holders: &[HolderId],
    rng: &mut R,
) -> Result<(Vec<Share<S>>, Commitments<S>), Error> {
    if holders.len() > usize::from(u8::MAX) {
        return Err(Error::TooManyHolders {
            holders: holders.len(),
        });
    }
    if threshold.count() > holders.len() {
        return Err(Error::ThresholdAboveHolders {
            threshold: threshold.get(),
            holders: holders.len(),
        });
    }
    let mut seen = HolderSet::new();
    for &id in holders {
        if !seen.insert(id) {
            return Err(Error::DuplicateHolder(id));
        }
    }

    let mut coefficients: Zeroizing<Vec<S::Scalar>> =
        Zeroizing::new(Vec::with_capacity(threshold.count()));
    // Sized once: a growing Vec would free copies of the shares it moved.
    let mut shares: Vec<Share<S>> = Vec::with_capacity(holders.len());
    loop {
        coefficients.clear();
        coefficients.push(*secret.as_scalar());
        for _ in 1..threshold.count() {
            coefficients.push(random_nonzero_scalar::<S, R>(rng));
        }
        shares.clear();
        for &id in holders {
            match Share::new(id, evaluate::<S>(&coefficients, id)) {
                Ok(share) => shares.push(share),
                Err(_) => break,
            }
        }
        if shares.len() == holders.len() {
            break;
        }
    }
    let points: Vec<_> = coefficients.iter().map(S::mul_base).collect();
    let commitments = Commitments::from_points(&points)?;
    Ok((shares, commitments))
}

/// `f(id)` by Horner's rule, in constant time (field arithmetic only).
fn evaluate<S: Suite>(coefficients: &[S::Scalar], id: HolderId) -> S::Scalar {
    use p256::elliptic_curve::Field;
    let x = id.scalar::<S>();
    let mut acc = S::Scalar::ZERO;
    for a in coefficients.iter().rev() {
        acc = acc * x + a;
    }
    acc
}
