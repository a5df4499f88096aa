//! The P256-SHA256 ciphersuite: context string, `HashToGroup`, `HashToScalar`,
//! `DeriveKeyPair` and the `Finalize` hash.
//!
//! [RFC 9497 §3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1) (context string),
//! [§4.3](https://www.rfc-editor.org/rfc/rfc9497#section-4.3) (P256-SHA256),
//! [§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1) (DeriveKeyPair).

use p256::NistP256;
use p256::elliptic_curve::consts::U48;
use p256::hash2curve::{ExpandMsgXmd, GroupDigest, hash_to_scalar as h2s};
use sha2::{Digest, Sha256};

use super::{Error, MAX_INFO_LEN, MAX_INPUT_LEN, Mode, OUTPUT_LEN};
use crate::group::{ProjectivePoint, Scalar, is_identity};

/// The suite identifier, RFC 9497 §4.3.
pub const SUITE_ID: &[u8; 11] = b"P256-SHA256";

/// Length of a context string: `"OPRFV1-" ‖ mode ‖ "-" ‖ "P256-SHA256"`.
pub(crate) const CONTEXT_LEN: usize = 20;

/// `contextString = "OPRFV1-" ‖ I2OSP(mode, 1) ‖ "-" ‖ identifier`
/// ([RFC 9497 §3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1)).
pub fn context_string(mode: Mode) -> [u8; CONTEXT_LEN] {
    let mut out = *b"OPRFV1-\x00-P256-SHA256";
    if let Some(b) = out.get_mut(7) {
        *b = mode as u8;
    }
    out
}

/// `I2OSP(len, 2)` for a length already checked to fit.
pub(crate) fn len2(len: usize) -> [u8; 2] {
    u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes()
}

/// Checks an OPRF input against the 2-byte length frame.
pub(crate) fn check_input(input: &[u8]) -> Result<(), Error> {
    if input.len() > MAX_INPUT_LEN {
        return Err(Error::InputTooLong);
    }
    Ok(())
}

/// Checks an `info` against the 2-byte length frame.
pub(crate) fn check_info(info: &[u8]) -> Result<(), Error> {
    if info.len() > MAX_INFO_LEN {
        return Err(Error::InfoTooLong);
    }
    Ok(())
}

/// `HashToGroup(input)`: RFC 9380 `P256_XMD:SHA-256_SSWU_RO_` with
/// `DST = "HashToGroup-" ‖ contextString`
/// ([RFC 9497 §4.3](https://www.rfc-editor.org/rfc/rfc9497#section-4.3)).
///
/// Fails with [`Error::InvalidInput`] if the result is the identity (RFC 9497 §3.3.1).
pub fn hash_to_group(mode: Mode, input: &[u8]) -> Result<ProjectivePoint, Error> {
    check_input(input)?;
    let ctx = context_string(mode);
    hash_to_curve(input, &[b"HashToGroup-", &ctx])
}

/// RFC 9380 `hash_to_curve` for `P256_XMD:SHA-256_SSWU_RO_` with a caller-chosen DST,
/// the code path under [`hash_to_group`]; rejects the identity.
fn hash_to_curve(input: &[u8], dst: &[&[u8]]) -> Result<ProjectivePoint, Error> {
    let point = NistP256::hash_from_bytes(&[input], dst).map_err(|_| Error::InvalidInput)?;
    if is_identity(&point) {
        return Err(Error::InvalidInput);
    }
    Ok(point)
}

/// **DANGER: test vectors only.** RFC 9380 `hash_to_curve` (`P256_XMD:SHA-256_SSWU_RO_`)
/// with an arbitrary DST, to check [`hash_to_group`]'s code path against RFC 9380
/// Appendix J. Not domain-separated for any protocol; do not use it for anything else.
#[cfg(feature = "danger")]
pub fn hash_to_curve_with_dst(msg: &[u8], dst: &[u8]) -> Result<ProjectivePoint, Error> {
    hash_to_curve(msg, &[dst])
}

/// `HashToScalar(msg)` over the concatenation of `msg`, with
/// `DST = "HashToScalar-" ‖ contextString` (RFC 9380 `hash_to_field`, L = 48).
pub(crate) fn hash_to_scalar(mode: Mode, msg: &[&[u8]]) -> Scalar {
    let ctx = context_string(mode);
    hash_to_scalar_dst(msg, &[b"HashToScalar-", &ctx])
}

fn hash_to_scalar_dst(msg: &[&[u8]], dst: &[&[u8]]) -> Scalar {
    // expand_message_xmd fails only for an empty DST or an output length over 255 blocks,
    // neither of which can happen with these fixed, non-empty DSTs and L = 48.
    h2s::<NistP256, ExpandMsgXmd<Sha256>, U48>(msg, dst).unwrap_or(Scalar::ZERO)
}

/// `G.HashToScalar(framedInfo)` with `framedInfo = "Info" ‖ I2OSP(len(info), 2) ‖ info`
/// ([RFC 9497 §3.3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.3)).
pub(crate) fn info_scalar(info: &[u8]) -> Result<Scalar, Error> {
    check_info(info)?;
    Ok(hash_to_scalar(
        Mode::Poprf,
        &[b"Info", &len2(info.len()), info],
    ))
}

/// RFC 9497 `DeriveKeyPair(seed, info)`, returning the secret scalar
/// ([§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1)).
pub(crate) fn derive_secret(mode: Mode, seed: &[u8], info: &[u8]) -> Result<Scalar, Error> {
    check_info(info)?;
    let ctx = context_string(mode);
    let info_len = len2(info.len());
    for counter in 0..=u8::MAX {
        let sk = hash_to_scalar_dst(
            &[seed, &info_len, info, &[counter]],
            &[b"DeriveKeyPair", &ctx],
        );
        if !bool::from(p256::elliptic_curve::Field::is_zero(&sk)) {
            return Ok(sk);
        }
    }
    Err(Error::DeriveKeyPair)
}

/// The `Finalize` hash of RFC 9497 §3.3.1/§3.3.3: `Hash(I2OSP(len(input), 2) ‖ input
/// [‖ I2OSP(len(info), 2) ‖ info] ‖ I2OSP(33, 2) ‖ unblindedElement ‖ "Finalize")`.
/// Lengths are checked by the callers.
pub(crate) fn finalize_hash(
    input: &[u8],
    info: Option<&[u8]>,
    unblinded: &[u8; crate::group::ELEMENT_LEN],
) -> [u8; OUTPUT_LEN] {
    let mut h = Sha256::new();
    h.update(len2(input.len()));
    h.update(input);
    if let Some(info) = info {
        h.update(len2(info.len()));
        h.update(info);
    }
    h.update(len2(unblinded.len()));
    h.update(unblinded);
    h.update(b"Finalize");
    h.finalize().into()
}

/// `Hash` (SHA-256) over the concatenation of `parts`.
pub(crate) fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
