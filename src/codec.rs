//! Byte-level reading and writing shared by every quorumkey encoding.
//!
//! All integers are big-endian. The crate's internal reader never panics: every read is
//! bounds-checked and reports a [`DecodeError`], and finishing rejects trailing bytes, so
//! every decoder built on it is strict by construction.

use crate::group::EncodingError;

/// Why bytes could not be decoded into a quorumkey object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended while `field` was being read.
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// Bytes were left after the object ended.
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// The object does not start with the `QK` magic bytes.
    BadMagic,
    /// The object type byte names another kind of object.
    WrongObjectType {
        /// The type the decoder expected.
        expected: u8,
        /// The type found.
        found: u8,
    },
    /// The format version is not one this crate knows.
    UnknownVersion(u8),
    /// The suite id is not the one this decoder reads: a suite this build does not know,
    /// or another suite's object (dispatch on [`suite_of`] first).
    UnknownSuite(u8),
    /// An enumerated field held a value with no meaning.
    UnknownValue {
        /// The field.
        field: &'static str,
        /// The value found.
        value: u8,
    },
    /// A length-prefixed field was empty or longer than its limit.
    FieldLength {
        /// The field.
        field: &'static str,
        /// The length found.
        length: usize,
        /// The largest length allowed.
        max: usize,
    },
    /// A text field was not valid UTF-8.
    NotUtf8 {
        /// The field.
        field: &'static str,
    },
    /// Entries that must be in strictly ascending order are not (a repeat, or one out of
    /// place): the encoding is not canonical.
    NotAscending {
        /// The field whose entries are out of order.
        field: &'static str,
    },
    /// A number in `field` is outside the range the format allows.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value found.
        value: u32,
        /// The least value allowed.
        min: u32,
        /// The largest value allowed.
        max: u32,
    },
    /// A scalar or group element in `field` was malformed.
    Element {
        /// The field.
        field: &'static str,
        /// What was wrong with it.
        error: EncodingError,
    },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Truncated { field } => write!(f, "input ends inside field `{field}`"),
            Self::TrailingBytes { count } => write!(f, "{count} trailing bytes after the object"),
            Self::BadMagic => f.write_str("not a quorumkey object (magic bytes `QK` missing)"),
            Self::WrongObjectType { expected, found } => {
                write!(
                    f,
                    "object type {found:#04x} where {expected:#04x} was expected"
                )
            }
            Self::UnknownVersion(v) => write!(
                f,
                "format version {v} is not supported; this implementation reads version {FORMAT_VERSION}"
            ),
            Self::UnknownSuite(s) => write!(f, "suite id {s} is not the suite read here"),
            Self::UnknownValue { field, value } => {
                write!(f, "field `{field}` has unknown value {value:#04x}")
            }
            Self::FieldLength { field, length, max } => {
                write!(f, "field `{field}` has length {length}; allowed 1..={max}")
            }
            Self::NotUtf8 { field } => write!(f, "field `{field}` is not valid UTF-8"),
            Self::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(f, "field `{field}` is {value}; allowed {min}..={max}"),
            Self::NotAscending { field } => {
                write!(
                    f,
                    "entries of `{field}` are not in strictly ascending order"
                )
            }
            Self::Element { field, error } => write!(f, "field `{field}`: {error}"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A strict, bounds-checked cursor over an input.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated { field });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A field of `1..=max` bytes behind a one-byte length.
    pub(crate) fn short_bytes(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u8(field)?);
        check_len(field, len, max)?;
        self.take(len, field)
    }

    /// A UTF-8 text field of `1..=max` bytes behind a one-byte length.
    pub(crate) fn short_text(
        &mut self,
        field: &'static str,
        max: usize,
    ) -> Result<&'a str, DecodeError> {
        let bytes = self.short_bytes(field, max)?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8 { field })
    }

    /// A [`Short`] field of `1..=MAX` bytes.
    #[cfg(feature = "alloc")]
    pub(crate) fn short<const MAX: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<Short<MAX>, DecodeError> {
        Short::new(field, self.short_bytes(field, MAX)?)
    }

    /// A [`ShortText`] field of `1..=MAX` bytes of UTF-8.
    #[cfg(feature = "alloc")]
    pub(crate) fn text<const MAX: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<ShortText<MAX>, DecodeError> {
        ShortText::new(field, self.short_text(field, MAX)?)
    }

    /// A `u64`, big-endian.
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// A flag byte: `00` is `false`, `01` is `true`, anything else is
    /// [`DecodeError::UnknownValue`].
    pub(crate) fn flag(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::UnknownValue { field, value }),
        }
    }

    /// Everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Ends decoding: any byte left is an error.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        match self.rest.len() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }
}

/// Checks a length against `1..=max`.
pub(crate) fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), DecodeError> {
    if len == 0 || len > max {
        return Err(DecodeError::FieldLength {
            field,
            length: len,
            max,
        });
    }
    Ok(())
}

#[cfg(feature = "alloc")]
pub use short::{Short, ShortText};

#[cfg(feature = "alloc")]
mod short {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{DecodeError, check_len};

    /// A byte string of `1..=MAX` bytes (`MAX ≤ 255`): what a one-byte length prefix frames.
    ///
    /// The length is checked when the value is made, so writing it can neither fail nor
    /// truncate: there is no other way to put a short field on the wire.
    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Short<const MAX: usize>(Vec<u8>);

    impl<const MAX: usize> Short<MAX> {
        const FITS_ONE_BYTE: () = assert!(MAX >= 1 && MAX <= 255);

        /// Checks `1 ≤ len ≤ MAX`; [`DecodeError::FieldLength`] names `field` otherwise.
        pub fn new(field: &'static str, bytes: &[u8]) -> Result<Self, DecodeError> {
            let () = Self::FITS_ONE_BYTE;
            check_len(field, bytes.len(), MAX)?;
            Ok(Self(bytes.to_vec()))
        }

        /// The bytes.
        pub fn as_bytes(&self) -> &[u8] {
            &self.0
        }

        /// Appends `u8(len) ‖ bytes`.
        pub(crate) fn put(&self, out: &mut Vec<u8>) {
            put_framed(out, &self.0);
        }
    }

    impl<const MAX: usize> core::fmt::Debug for Short<MAX> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("0x")?;
            crate::group::write_hex(f, &self.0)
        }
    }

    /// A UTF-8 string of `1..=MAX` bytes (`MAX ≤ 255`), framed like [`Short`].
    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct ShortText<const MAX: usize>(String);

    impl<const MAX: usize> ShortText<MAX> {
        const FITS_ONE_BYTE: () = assert!(MAX >= 1 && MAX <= 255);

        /// Checks `1 ≤ len ≤ MAX` bytes; [`DecodeError::FieldLength`] names `field` otherwise.
        pub fn new(field: &'static str, text: &str) -> Result<Self, DecodeError> {
            let () = Self::FITS_ONE_BYTE;
            check_len(field, text.len(), MAX)?;
            Ok(Self(String::from(text)))
        }

        /// The text.
        pub fn as_str(&self) -> &str {
            &self.0
        }

        /// Appends `u8(len) ‖ UTF-8 bytes`.
        pub(crate) fn put(&self, out: &mut Vec<u8>) {
            put_framed(out, self.0.as_bytes());
        }
    }

    impl<const MAX: usize> core::fmt::Debug for ShortText<MAX> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            core::fmt::Debug::fmt(&self.0, f)
        }
    }

    /// `u8(len) ‖ bytes` for a length the caller's type keeps in `1..=255`.
    fn put_framed(out: &mut Vec<u8>, bytes: &[u8]) {
        let mut len = [0u8; 1];
        // Both callers hold at most 255 bytes by construction (FITS_ONE_BYTE, `new`).
        if let (Ok(l), Some(slot)) = (u8::try_from(bytes.len()), len.first_mut()) {
            *slot = l;
        }
        out.extend_from_slice(&len);
        out.extend_from_slice(bytes);
    }
}

/// The two magic bytes that open every quorumkey object.
pub const MAGIC: [u8; 2] = *b"QK";
/// The format version this crate writes and reads. Version 1 objects are refused with
/// [`DecodeError::UnknownVersion`]`(1)`.
pub const FORMAT_VERSION: u8 = 2;

/// The kind of object an encoding holds: the fourth byte of every object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum ObjectType {
    /// A vault header.
    Header = 0x01,
    /// A holder's share (device share; the byte form of a share card).
    Share = 0x02,
    /// A capsule: a key-server holder's share sealed under a gate.
    Capsule = 0x03,
    /// A sealed unit of user data.
    Unit = 0x04,
    /// A gate request from a client to a key server.
    GateRequest = 0x05,
    /// A key server's gate response.
    GateResponse = 0x06,
    /// A recovery kit.
    RecoveryKit = 0x07,
    /// A key server's list of a user's public keys and password-guard state.
    KeySet = 0x08,
    /// A client's request to turn on the guess-limited password factor.
    PasswordSetup = 0x09,
    /// A client's proof of a successful unlock (resets the guess counter).
    UnlockProof = 0x0A,
    /// A client's replacement of its unlock tag (after a rekey).
    TagChange = 0x0B,
    /// A key server's per-user record (secret: kept in the server's database).
    UserRecord = 0x0C,
    /// A client's index of the latest unit versions it has seen.
    UnitIndex = 0x0D,
}

/// The suite byte of P-256 with RFC 9497 P256-SHA256, BLAKE3 and XChaCha20-Poly1305.
/// Carried by the vault header and by every message a key server decodes (gate request
/// and response, key set), so one key server can serve several suites.
pub const SUITE_P256_SHA256: u8 = 0x01;
/// The suite byte of ristretto255 with RFC 9497 ristretto255-SHA512, BLAKE3 and
/// XChaCha20-Poly1305 (feature `ristretto255`).
pub const SUITE_RISTRETTO255_SHA512: u8 = 0x02;

/// Reads a suite byte and checks that it is `S`'s ([`DecodeError::UnknownSuite`]
/// otherwise).
pub(crate) fn read_suite<S: crate::suite::Suite>(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let suite = r.u8("suite")?;
    if suite != S::ID.to_byte() {
        return Err(DecodeError::UnknownSuite(suite));
    }
    Ok(())
}

/// The suite an object is for, read from its suite byte, so that an app (or a key server)
/// can pick the decoder: `Some` for the objects that carry one (vault header, gate request,
/// gate response, key set), `None` for the others, which are always used together with
/// their vault's header (shares, capsules, units, recovery kits: a kit starts with its
/// header, so `suite_of` of the header inside tells). A suite byte this build does not know
/// is [`DecodeError::UnknownSuite`].
pub fn suite_of(bytes: &[u8]) -> Result<Option<crate::suite::SuiteId>, DecodeError> {
    let mut r = Reader::new(bytes);
    if r.array::<2>("magic")? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = r.u8("version")?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let kind = r.u8("object type")?;
    let carries = [
        ObjectType::Header,
        ObjectType::GateRequest,
        ObjectType::GateResponse,
        ObjectType::KeySet,
    ]
    .iter()
    .any(|t| *t as u8 == kind);
    if !carries {
        return Ok(None);
    }
    let byte = r.u8("suite")?;
    crate::suite::SuiteId::from_byte(byte)
        .map(Some)
        .ok_or(DecodeError::UnknownSuite(byte))
}

/// Reads and checks `QK ‖ version ‖ type`.
pub(crate) fn read_prefix(r: &mut Reader<'_>, expected: ObjectType) -> Result<(), DecodeError> {
    if r.array::<2>("magic")? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = r.u8("version")?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let found = r.u8("object type")?;
    if found != expected as u8 {
        return Err(DecodeError::WrongObjectType {
            expected: expected as u8,
            found,
        });
    }
    Ok(())
}

/// Writes `QK ‖ version ‖ type`.
#[cfg(feature = "alloc")]
pub(crate) fn put_prefix(out: &mut alloc::vec::Vec<u8>, kind: ObjectType) {
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind as u8);
}
