//! The OPRF error type.

use core::fmt;

use super::Mode;
use crate::group::EncodingError;

/// Why an OPRF operation failed.
///
/// Every variant names one failure class. [`Error::Verify`] is deliberately opaque: a
/// failed proof says nothing about *why* it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// An OPRF input is longer than [`MAX_INPUT_LEN`](super::MAX_INPUT_LEN) bytes
    /// (RFC 9497 frames it with a 2-byte length).
    InputTooLong,
    /// A POPRF `info` or a DeriveKeyPair `info` is longer than
    /// [`MAX_INFO_LEN`](super::MAX_INFO_LEN) bytes.
    InfoTooLong,
    /// `HashToGroup(input)` or the client's POPRF tweaked key is the identity
    /// (RFC 9497 `InvalidInputError`; happens with negligible probability).
    InvalidInput,
    /// DeriveKeyPair found no non-zero scalar in 256 attempts
    /// (RFC 9497 `DeriveKeyPairError`; happens with negligible probability).
    DeriveKeyPair,
    /// The POPRF tweaked key `skS + HashToScalar(framedInfo)` is zero, so it has no inverse
    /// (RFC 9497 `InverseError`).
    Inverse,
    /// The POPRF `info` given at finalize differs from the one given at blind, or the
    /// client states of one batch were blinded for different `info` or public keys.
    InfoMismatch,
    /// The server's proof did not verify. Opaque on purpose.
    Verify,
    /// A batch has the wrong number of items.
    BatchSizeMismatch {
        /// Number of items required (the number of client states / blinded elements).
        expected: usize,
        /// Number of items given.
        found: usize,
    },
    /// A batch or message has no element.
    EmptyBatch,
    /// A batch or message has more than [`MAX_BATCH`](super::MAX_BATCH) elements.
    BatchTooLarge,
    /// A scalar or element encoding was rejected.
    Encoding(EncodingError),
    /// A response carries a different mode than the caller expects.
    ModeMismatch {
        /// Mode the caller runs.
        expected: Mode,
        /// Mode named by the message.
        found: Mode,
    },
    /// A response was built with a proof in mode OPRF, or without one in VOPRF/POPRF.
    ProofPresence,
    /// A mode byte is not 0x00, 0x01 or 0x02.
    UnknownMode(u8),
    /// A message ends before its declared content.
    Truncated,
    /// A message has bytes after its declared content.
    TrailingBytes,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InputTooLong => f.write_str("OPRF input longer than 65535 bytes"),
            Self::InfoTooLong => f.write_str("info longer than 65535 bytes"),
            Self::InvalidInput => f.write_str("input maps to the identity element"),
            Self::DeriveKeyPair => f.write_str("key derivation found no valid key"),
            Self::Inverse => f.write_str("POPRF tweaked key is zero"),
            Self::InfoMismatch => f.write_str("POPRF info or public key differs from blind"),
            Self::Verify => f.write_str("proof verification failed"),
            Self::BatchSizeMismatch { expected, found } => {
                write!(f, "batch size mismatch: expected {expected}, found {found}")
            }
            Self::EmptyBatch => f.write_str("batch is empty"),
            Self::BatchTooLarge => f.write_str("batch exceeds the maximum size"),
            Self::Encoding(e) => write!(f, "encoding: {e}"),
            Self::ModeMismatch { expected, found } => {
                write!(f, "mode mismatch: expected {expected:?}, found {found:?}")
            }
            Self::ProofPresence => f.write_str("proof presence does not match the mode"),
            Self::UnknownMode(b) => write!(f, "unknown mode byte 0x{b:02x}"),
            Self::Truncated => f.write_str("message truncated"),
            Self::TrailingBytes => f.write_str("trailing bytes after message"),
        }
    }
}

impl core::error::Error for Error {}

impl From<EncodingError> for Error {
    fn from(e: EncodingError) -> Self {
        Self::Encoding(e)
    }
}
