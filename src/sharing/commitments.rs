//! [`Commitments`]: the Feldman commitments of one dealing, their encoding, and share
//! verification (one share, or a batch with a random linear combination).

use alloc::vec::Vec;

use p256::elliptic_curve::Field;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::verify::{
    check_commitments, check_share_list, finish_combine, interpolate_at, verify_unchecked,
};
use super::{Error, HolderId, HolderSet, Threshold};
use crate::generic::{Secret, Share};
use crate::group::{self, EncodingError};
use crate::suite::{Suite, random_nonzero_scalar};

/// The Feldman commitments `C_j = a_j·G` to the coefficients of the secret polynomial
/// `f(x) = a_0 + a_1·x + … + a_{t-1}·x^{t-1}`, with `a_0 = s`.
///
/// Always exactly `t` points (`2 ≤ t ≤ 255`), none the identity. Public.
///
/// Encoding: `t (1 byte) ‖ t × element (33 bytes SEC1 compressed for P-256, 32 for
/// ristretto255)`.
pub struct Commitments<S: Suite> {
    threshold: Threshold,
    points: Vec<S::Point>,
    /// The encoding `t ‖ C_0 ‖ … ‖ C_{t-1}`, kept beside the points: the bytes decoded
    /// from, or the points normalized together once. Encoding (and the header digest over
    /// it) then costs no field inversion per point.
    encoded: Vec<u8>,
}

impl<S: Suite> Clone for Commitments<S> {
    fn clone(&self) -> Self {
        Self {
            threshold: self.threshold,
            points: self.points.clone(),
            encoded: self.encoded.clone(),
        }
    }
}

/// Equal points (the threshold is their number); the encodings follow from them.
impl<S: Suite> PartialEq for Commitments<S> {
    fn eq(&self, other: &Self) -> bool {
        self.points == other.points
    }
}

impl<S: Suite> Eq for Commitments<S> {}

/// Public data: shows the threshold and each point in its wire encoding (hex), not the
/// backend's internal coordinates.
impl<S: Suite> core::fmt::Debug for Commitments<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        struct Point<'a>(&'a [u8]);
        impl core::fmt::Debug for Point<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                group::write_hex(f, self.0)
            }
        }
        f.debug_struct("Commitments")
            .field("threshold", &self.threshold.get())
            .field(
                "points",
                &self.encoded_points().map(Point).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<S: Suite> Commitments<S> {
    /// Builds commitments from points `C_0..C_{t-1}`.
    ///
    /// Errors: [`Error::CommitmentCount`] unless `2 ≤ points.len() ≤ 255`,
    /// [`Error::IdentityCommitment`] if any point is the identity.
    pub fn from_points(points: &[S::Point]) -> Result<Self, Error> {
        let threshold = check_commitments::<S>(points)?;
        // Encoded together (for P-256 one batched normalization, a single field inversion).
        let mut encoded = Vec::with_capacity(1 + S::ELEMENT_LEN * points.len());
        encoded.push(threshold.get());
        for bytes in S::encode_elements(points) {
            encoded.extend_from_slice(bytes.as_ref());
        }
        Ok(Self {
            threshold,
            points: points.to_vec(),
            encoded,
        })
    }

    /// The encodings of `C_0..C_{t-1}`.
    fn encoded_points(&self) -> core::slice::ChunksExact<'_, u8> {
        self.encoded
            .get(1..)
            .unwrap_or_default()
            .chunks_exact(S::ELEMENT_LEN)
    }

    /// The threshold `t`: the number of commitments, and of shares needed to combine.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// `C_0 = s·G`, the public image of the secret.
    pub fn public_secret(&self) -> &S::Point {
        // `points` always holds at least 2 elements; `check_commitments` made sure.
        #[allow(clippy::indexing_slicing)]
        &self.points[0]
    }

    /// The commitments `C_0..C_{t-1}`.
    pub fn as_slice(&self) -> &[S::Point] {
        &self.points
    }

    /// Length of the encoding: `1 + Ne·t` (`Ne` = 33 for P-256, 32 for ristretto255).
    pub fn encoded_len(&self) -> usize {
        self.encoded.len()
    }

    /// Appends the encoding `t ‖ C_0 ‖ … ‖ C_{t-1}` to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.encoded);
    }

    /// The encoding `t ‖ C_0 ‖ … ‖ C_{t-1}`.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encoded.clone()
    }

    /// The encoding `t ‖ C_0 ‖ … ‖ C_{t-1}`, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// Decodes commitments strictly.
    ///
    /// Errors: [`Error::CommitmentsLength`] if the input is empty or its length is not
    /// `1 + Ne·t`; [`Error::CommitmentCount`] if `t < 2`; [`Error::InvalidCommitment`] /
    /// [`Error::IdentityCommitment`] with the index of the first bad point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (&count, rest) = bytes.split_first().ok_or(Error::CommitmentsLength {
            expected: 1 + 2 * S::ELEMENT_LEN,
            found: 0,
        })?;
        let threshold = Threshold::new(count).map_err(|_| Error::CommitmentCount {
            count: usize::from(count),
        })?;
        let expected = 1 + S::ELEMENT_LEN * threshold.count();
        if bytes.len() != expected {
            return Err(Error::CommitmentsLength {
                expected,
                found: bytes.len(),
            });
        }
        let points = rest
            .chunks_exact(S::ELEMENT_LEN)
            .enumerate()
            .map(|(index, chunk)| {
                S::decode_element(chunk).map_err(|error| match error {
                    EncodingError::IdentityElement => Error::IdentityCommitment { index },
                    _ => Error::InvalidCommitment { index },
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Each point is decoded once, strictly (compressed, canonical, on the curve), so
        // the input is the canonical encoding and is kept as such.
        Ok(Self {
            threshold,
            points,
            encoded: bytes.to_vec(),
        })
    }

    /// Verifies one share: `value·G == Σ_j id^j·C_j`.
    ///
    /// `value·G` is constant time (the value is secret); the right-hand side is public and
    /// computed in variable time by Horner's rule with the 8-bit id.
    ///
    /// Error: [`Error::InvalidShares`] naming the share's holder.
    pub fn verify(&self, share: &Share<S>) -> Result<(), Error> {
        verify_unchecked(&self.points, share)
    }

    /// Verifies many shares at once with a random linear combination.
    ///
    /// With fresh random weights `r_i`, checks
    /// `(Σ_i r_i·y_i)·G == Σ_j (Σ_i r_i·x_i^j)·C_j`: one constant-time base multiplication
    /// and one variable-time multi-scalar multiplication over the `t` public commitments,
    /// instead of `n` separate checks. If any share is bad the check passes with probability
    /// at most `1/q` (`q` the group order). On failure every share is checked on its own,
    /// and the error names each bad one.
    ///
    /// Duplicate ids are allowed here (each share is checked on its own merits).
    ///
    /// Errors: [`Error::NoShares`] for an empty slice, [`Error::InvalidShares`] naming
    /// every failing share.
    pub fn batch_verify<R: CryptoRng + ?Sized>(
        &self,
        shares: &[Share<S>],
        rng: &mut R,
    ) -> Result<(), Error> {
        if shares.is_empty() {
            return Err(Error::NoShares);
        }
        if let [share] = shares {
            return self.verify(share);
        }
        if self.batch_equation_holds(shares, rng) {
            return Ok(());
        }
        let mut culprits = HolderSet::new();
        for share in shares {
            if self.verify(share).is_err() {
                culprits.insert(share.id());
            }
        }
        if culprits.is_empty() {
            // Unreachable: each share satisfies its own equation, so any linear combination
            // of them does too. The per-share checks are authoritative.
            Ok(())
        } else {
            Err(Error::InvalidShares { culprits })
        }
    }

    /// The batch equation for non-empty `shares`.
    fn batch_equation_holds<R: CryptoRng + ?Sized>(
        &self,
        shares: &[Share<S>],
        rng: &mut R,
    ) -> bool {
        // Secret side: Σ r_i·y_i, built and multiplied by G in constant time, then wiped.
        // Public side: a_j = Σ r_i·x_i^j, used as scalars of a variable-time MSM over C_j.
        // The a_j depend on the public ids and on the weights r_i only. The weights carry no
        // information about the share values, and are drawn after the shares are fixed, so
        // timing that leaks about them cannot help a forger (who had to commit to the shares
        // before they existed) and reveals nothing secret.
        let mut terms: Vec<(S::Point, S::Scalar)> =
            self.points.iter().map(|c| (*c, S::Scalar::ZERO)).collect();
        let mut weighted_values = S::Scalar::ZERO;
        for share in shares {
            let r = random_nonzero_scalar::<S, R>(rng);
            weighted_values += r * share.as_scalar();
            let x = share.id().scalar::<S>();
            let mut power = r;
            for (_, a_j) in terms.iter_mut() {
                *a_j += power;
                power *= x;
            }
        }
        let lhs = S::mul_base(&weighted_values);
        weighted_values.zeroize();
        let rhs = S::multiscalar_vartime(terms.as_slice());
        lhs.ct_eq(&rhs).into()
    }
}

/// Rebuilds the secret from shares; never returns a wrong secret.
///
/// Steps: rejects an empty list ([`Error::NoShares`]), duplicate ids
/// ([`Error::DuplicateHolder`]) and fewer than `t` shares ([`Error::NotEnoughShares`]);
/// batch-verifies **all** given shares ([`Commitments::batch_verify`], error
/// [`Error::InvalidShares`] naming every bad one); interpolates the first `t` shares at 0
/// (Lagrange coefficients from the public ids, constant-time sum over the secret values —
/// once every share is verified, any `t` of them give the same secret); finally checks
/// `s·G == C_0` in constant time ([`Error::CombineMismatch`], unreachable after
/// verification but checked) and `s ≠ 0`.
pub fn combine<S: Suite, R: CryptoRng + ?Sized>(
    commitments: &Commitments<S>,
    shares: &[Share<S>],
    rng: &mut R,
) -> Result<Secret<S>, Error> {
    check_share_list(shares, commitments.threshold)?;
    commitments.batch_verify(shares, rng)?;
    finish_combine(&commitments.points, commitments.threshold, shares)
}

/// Computes holder `id`'s share of this dealing from `t` or more other shares, by Lagrange
/// interpolation at `x = id`, and verifies it against the commitments.
///
/// This is how a holder's share is re-issued without the holder taking part (re-sealing a
/// key server's capsule under a new key version, re-printing a damaged card). It does not
/// revoke anything: the result is the *same* share the holder already has. Revocation needs
/// a re-deal.
///
/// The given shares are batch-verified first ([`Error::InvalidShares`] names culprits),
/// so a wrong share can never produce a wrong result.
pub fn share_for<S: Suite, R: CryptoRng + ?Sized>(
    commitments: &Commitments<S>,
    shares: &[Share<S>],
    id: HolderId,
    rng: &mut R,
) -> Result<Share<S>, Error> {
    check_share_list(shares, commitments.threshold)?;
    commitments.batch_verify(shares, rng)?;
    let used = shares
        .get(..commitments.threshold.count())
        .ok_or(Error::NotEnoughShares {
            needed: commitments.threshold.get(),
            got: shares.len(),
        })?;
    let mut value = interpolate_at(used, id.scalar::<S>())?;
    let share = Share::new(id, value);
    value.zeroize();
    let share = share?;
    commitments.verify(&share)?;
    Ok(share)
}
