//! The ciphersuite's RFC 9497 functions: context string, `HashToGroup`, `HashToScalar`,
//! `DeriveKeyPair` and the `Finalize` hash, for any [`Suite`].
//!
//! [RFC 9497 §3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1) (context string),
//! [§4.1](https://www.rfc-editor.org/rfc/rfc9497#section-4.1) (ristretto255-SHA512),
//! [§4.3](https://www.rfc-editor.org/rfc/rfc9497#section-4.3) (P256-SHA256),
//! [§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1) (DeriveKeyPair).

use p256::elliptic_curve::Field;

use super::{Error, MAX_INFO_LEN, MAX_INPUT_LEN, Mode};
use crate::suite::{ByteArray, Suite, is_identity};

/// The longest context string of any suite (`"OPRFV1-" ‖ mode ‖ "-" ‖ identifier`).
const MAX_CONTEXT_LEN: usize = 32;

/// `contextString = "OPRFV1-" ‖ I2OSP(mode, 1) ‖ "-" ‖ identifier`
/// ([RFC 9497 §3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1)).
pub(crate) struct Context {
    buf: [u8; MAX_CONTEXT_LEN],
    len: usize,
}

impl Context {
    pub(crate) fn new<S: Suite>(mode: Mode) -> Self {
        let mut buf = [0u8; MAX_CONTEXT_LEN];
        let len = S::CONTEXT.len().min(MAX_CONTEXT_LEN);
        if let (Some(dst), Some(src)) = (buf.get_mut(..len), S::CONTEXT.get(..len)) {
            dst.copy_from_slice(src);
        }
        if let Some(b) = buf.get_mut(7) {
            *b = mode as u8;
        }
        Self { buf, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
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

/// `HashToGroup(input)` with `DST = "HashToGroup-" ‖ contextString`: RFC 9380
/// `P256_XMD:SHA-256_SSWU_RO_` for P256-SHA256
/// ([RFC 9497 §4.3](https://www.rfc-editor.org/rfc/rfc9497#section-4.3)),
/// `hash_to_ristretto255` with `expand_message_xmd` over SHA-512 for ristretto255-SHA512
/// ([§4.1](https://www.rfc-editor.org/rfc/rfc9497#section-4.1)).
///
/// Fails with [`Error::InvalidInput`] if the result is the identity (RFC 9497 §3.3.1).
pub fn hash_to_group<S: Suite>(mode: Mode, input: &[u8]) -> Result<S::Point, Error> {
    check_input(input)?;
    let ctx = Context::new::<S>(mode);
    hash_to_curve::<S>(input, &[b"HashToGroup-", ctx.as_bytes()])
}

/// RFC 9380 hashing to the group with a caller-chosen DST, the code path under
/// [`hash_to_group`]; rejects the identity.
fn hash_to_curve<S: Suite>(input: &[u8], dst: &[&[u8]]) -> Result<S::Point, Error> {
    let point = S::hash_to_group(&[input], dst).ok_or(Error::InvalidInput)?;
    if is_identity::<S>(&point) {
        return Err(Error::InvalidInput);
    }
    Ok(point)
}

/// **DANGER: test vectors only.** RFC 9380 `hash_to_curve` (`P256_XMD:SHA-256_SSWU_RO_`)
/// with an arbitrary DST, to check [`hash_to_group`]'s code path against RFC 9380
/// Appendix J. Not domain-separated for any protocol; do not use it for anything else.
#[cfg(feature = "danger")]
pub fn hash_to_curve_with_dst(msg: &[u8], dst: &[u8]) -> Result<p256::ProjectivePoint, Error> {
    hash_to_curve::<crate::suite::P256>(msg, &[dst])
}

/// `HashToScalar(msg)` over the concatenation of `msg`, with
/// `DST = "HashToScalar-" ‖ contextString`.
pub(crate) fn hash_to_scalar<S: Suite>(mode: Mode, msg: &[&[u8]]) -> S::Scalar {
    let ctx = Context::new::<S>(mode);
    S::hash_to_scalar(msg, &[b"HashToScalar-", ctx.as_bytes()])
}

/// `G.HashToScalar(framedInfo)` with `framedInfo = "Info" ‖ I2OSP(len(info), 2) ‖ info`
/// ([RFC 9497 §3.3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.3)).
pub(crate) fn info_scalar<S: Suite>(info: &[u8]) -> Result<S::Scalar, Error> {
    check_info(info)?;
    Ok(hash_to_scalar::<S>(
        Mode::Poprf,
        &[b"Info", &len2(info.len()), info],
    ))
}

/// RFC 9497 `DeriveKeyPair(seed, info)`, returning the secret scalar
/// ([§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1)).
pub(crate) fn derive_secret<S: Suite>(
    mode: Mode,
    seed: &[u8],
    info: &[u8],
) -> Result<S::Scalar, Error> {
    check_info(info)?;
    let ctx = Context::new::<S>(mode);
    let info_len = len2(info.len());
    for counter in 0..=u8::MAX {
        let sk = S::hash_to_scalar(
            &[seed, &info_len, info, &[counter]],
            &[b"DeriveKeyPair", ctx.as_bytes()],
        );
        if !bool::from(sk.is_zero()) {
            return Ok(sk);
        }
    }
    Err(Error::DeriveKeyPair)
}

/// The `Finalize` hash of RFC 9497 §3.3.1/§3.3.3: `Hash(I2OSP(len(input), 2) ‖ input
/// [‖ I2OSP(len(info), 2) ‖ info] ‖ I2OSP(Ne, 2) ‖ unblindedElement ‖ "Finalize")`.
/// Lengths are checked by the callers.
pub(crate) fn finalize_hash<S: Suite>(
    input: &[u8],
    info: Option<&[u8]>,
    unblinded: &S::ElementBytes,
) -> S::OutputBytes {
    let input_len = len2(input.len());
    let element_len = len2(S::ElementBytes::LEN);
    match info {
        Some(info) => S::hash_concat(&[
            &input_len,
            input,
            &len2(info.len()),
            info,
            &element_len,
            unblinded.as_ref(),
            b"Finalize",
        ]),
        None => S::hash_concat(&[
            &input_len,
            input,
            &element_len,
            unblinded.as_ref(),
            b"Finalize",
        ]),
    }
}
