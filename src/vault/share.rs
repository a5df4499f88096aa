//! A holder's share bound to one vault and one dealing, and its printable share card.

use alloc::string::String;
use alloc::vec::Vec;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use super::header::{VAULT_ID_LEN, VaultHeader, VaultId};
use crate::Error;
use crate::codec::{self, ObjectType, Reader};
use crate::generic::Share;
use crate::kdf::{self, Digest};
use crate::sharing::{HolderId, SHARE_LEN};
use crate::suite::Suite;

/// Length of an encoded [`VaultShare`]: `QK 01 02 ‖ vault_id ‖ epoch ‖ header digest ‖ id ‖ value`.
pub const VAULT_SHARE_LEN: usize = 4 + VAULT_ID_LEN + 4 + 32 + SHARE_LEN;

/// A holder's share of the vault secret, bound to the vault, epoch and header it was dealt
/// for. Secret: zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct VaultShare<S: Suite> {
    vault_id: VaultId,
    epoch: u32,
    header_digest: Digest,
    share: Share<S>,
}

impl<S: Suite> core::fmt::Debug for VaultShare<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VaultShare")
            .field("vault_id", &self.vault_id)
            .field("epoch", &self.epoch)
            .field("holder", &self.share.id())
            .finish_non_exhaustive()
    }
}

impl<S: Suite> PartialEq for VaultShare<S> {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.to_secret_bytes().ct_eq(&*other.to_secret_bytes()))
    }
}

impl<S: Suite> Eq for VaultShare<S> {}

impl<S: Suite> VaultShare<S> {
    pub(crate) fn new(header: &VaultHeader<S>, share: Share<S>) -> Self {
        Self {
            vault_id: header.vault_id(),
            epoch: header.epoch(),
            header_digest: *header.digest(),
            share,
        }
    }

    /// The holder this share belongs to.
    pub fn holder(&self) -> HolderId {
        self.share.id()
    }

    /// The vault this share belongs to.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// The epoch (dealing) this share belongs to.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The digest of the header this share was dealt with.
    pub fn header_digest(&self) -> &Digest {
        &self.header_digest
    }

    pub(crate) fn share(&self) -> &Share<S> {
        &self.share
    }

    /// Checks that this share was dealt for `header` (vault, epoch and header digest).
    pub(crate) fn check_binding(&self, header: &VaultHeader<S>) -> Result<(), Error> {
        check_binding(header, self.holder(), self.vault_id, self.epoch)?;
        if &self.header_digest != header.digest() {
            return Err(Error::HeaderMismatch {
                holder: self.holder(),
            });
        }
        Ok(())
    }

    /// The encoding (secret!): what a device stores, or what a share card carries.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; VAULT_SHARE_LEN]> {
        let mut out = Zeroizing::new([0u8; VAULT_SHARE_LEN]);
        let mut v = Zeroizing::new(Vec::with_capacity(VAULT_SHARE_LEN));
        codec::put_prefix(&mut v, ObjectType::Share);
        v.extend_from_slice(&self.vault_id.0);
        v.extend_from_slice(&self.epoch.to_be_bytes());
        v.extend_from_slice(&self.header_digest);
        v.extend_from_slice(&*self.share.to_secret_bytes());
        if let Some(bytes) = v.get(..VAULT_SHARE_LEN) {
            out.copy_from_slice(bytes);
        }
        out
    }

    /// Decodes a share strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::Share).map_err(Error::share)?;
        let vault_id = VaultId(r.array("vault id").map_err(Error::share)?);
        let epoch = r.u32("epoch").map_err(Error::share)?;
        let header_digest = r.array("header digest").map_err(Error::share)?;
        let share = Share::from_bytes(r.take(SHARE_LEN, "share").map_err(Error::share)?)
            .map_err(Error::Sharing)?;
        r.finish().map_err(Error::share)?;
        Ok(Self {
            vault_id,
            epoch,
            header_digest,
            share,
        })
    }

    /// This share as a printable [`ShareCard`].
    pub fn to_card(&self) -> ShareCard<S> {
        ShareCard(self.clone())
    }
}

/// Checks an object's vault id and epoch against the header it is used with.
pub(crate) fn check_binding<S: Suite>(
    header: &VaultHeader<S>,
    holder: HolderId,
    vault_id: VaultId,
    epoch: u32,
) -> Result<(), Error> {
    if vault_id != header.vault_id() {
        return Err(Error::WrongVault { holder });
    }
    if epoch != header.epoch() {
        return Err(Error::StaleEpoch {
            holder,
            found: epoch,
            expected: header.epoch(),
        });
    }
    if header.policy().holder(holder).is_none() {
        return Err(Error::UnknownHolder(holder));
    }
    Ok(())
}

/// A custodian's share in a form for paper or a QR code.
///
/// Text form: `QK2-` then the share's bytes followed by a 4-byte checksum
/// (`derive_key("quorumkey v1 card checksum", bytes)[..4]`), in Crockford base32
/// (`0-9 A-Z` without `I L O U`), in groups of four separated by `-`. Parsing ignores ASCII
/// case, ASCII whitespace (space, tab, line feed, form feed, carriage return) and hyphens,
/// reads `I`/`L` as `1` and `O` as `0`, refuses any other character (non-ASCII spaces
/// included) with [`CardError::Character`] and a wrong checksum with [`CardError::Checksum`].
/// Characters are decoded and encoded in constant time. See `spec/wire-format.md`
/// §"Share card".
#[derive(Clone, PartialEq, Eq)]
pub struct ShareCard<S: Suite>(VaultShare<S>);

impl<S: Suite> core::fmt::Debug for ShareCard<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("ShareCard").field(&self.0).finish()
    }
}

/// The prefix of a share card's text form.
pub const CARD_TEXT_PREFIX: &str = "QK2-";
const CHECKSUM_LEN: usize = 4;

/// Why a share card's text could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardError {
    /// The text does not start with `QK2-`.
    Prefix,
    /// A character outside the Crockford base32 alphabet, at this position of the payload.
    Character {
        /// Index among the payload's significant characters.
        position: usize,
    },
    /// The payload has the wrong number of characters.
    Length {
        /// Characters expected.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// The padding bits of the last character are not zero (not the canonical text).
    Padding,
    /// The checksum does not match: a character was misread or mistyped.
    Checksum,
}

impl core::fmt::Display for CardError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Prefix => write!(f, "share card text must start with {CARD_TEXT_PREFIX}"),
            Self::Character { position } => {
                write!(
                    f,
                    "share card character {position} is not in the card alphabet"
                )
            }
            Self::Length { expected, found } => {
                write!(f, "share card has {found} characters; expected {expected}")
            }
            Self::Padding => f.write_str("share card's last character has non-zero padding bits"),
            Self::Checksum => f.write_str("share card checksum does not match"),
        }
    }
}

impl core::error::Error for CardError {}

const CARD_PAYLOAD_LEN: usize = VAULT_SHARE_LEN + CHECKSUM_LEN;
/// Number of base32 characters in a card's payload.
pub const CARD_TEXT_CHARS: usize = (CARD_PAYLOAD_LEN * 8).div_ceil(5);

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = kdf::digest(kdf::CONTEXT_CARD_CHECKSUM, &[bytes]);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(digest.get(..CHECKSUM_LEN).unwrap_or(&[0; CHECKSUM_LEN]));
    out
}

impl<S: Suite> ShareCard<S> {
    /// The share on the card.
    pub fn share(&self) -> &VaultShare<S> {
        &self.0
    }

    /// Consumes the card, returning its share.
    pub fn into_share(self) -> VaultShare<S> {
        self.0
    }

    /// The card's bytes (secret!): the same as [`VaultShare::to_secret_bytes`].
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; VAULT_SHARE_LEN]> {
        self.0.to_secret_bytes()
    }

    /// Decodes a card from bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        VaultShare::from_bytes(bytes).map(Self)
    }

    /// The card's text form (secret!), for printing or a QR code.
    pub fn to_secret_text(&self) -> Zeroizing<String> {
        let mut payload = Zeroizing::new([0u8; CARD_PAYLOAD_LEN]);
        let bytes = self.0.to_secret_bytes();
        let (body, sum) = payload.split_at_mut(VAULT_SHARE_LEN);
        body.copy_from_slice(&*bytes);
        sum.copy_from_slice(&checksum(&*bytes));
        let mut text = Zeroizing::new(String::with_capacity(CARD_TEXT_CHARS * 5 / 4 + 4));
        text.push_str(CARD_TEXT_PREFIX);
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        let mut written = 0usize;
        let mut emit = |index: u32, text: &mut String| {
            if written > 0 && written.is_multiple_of(4) {
                text.push('-');
            }
            text.push(char::from(encode_char(index)));
            written += 1;
        };
        for &byte in payload.iter() {
            acc = (acc << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                emit((acc >> bits) & 31, &mut text);
            }
        }
        if bits > 0 {
            emit((acc << (5 - bits)) & 31, &mut text);
        }
        acc.zeroize();
        text
    }

    /// Parses a card's text form.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let text = text.trim_ascii_start();
        let rest = text
            .get(..CARD_TEXT_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(CARD_TEXT_PREFIX))
            .and_then(|_| text.get(CARD_TEXT_PREFIX.len()..))
            .ok_or(Error::Card(CardError::Prefix))?;
        let mut payload = Zeroizing::new([0u8; CARD_PAYLOAD_LEN]);
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        let mut chars = 0usize;
        let mut out = 0usize;
        // Byte by byte: every separator and alphabet character is ASCII, and the first byte
        // of any other character (a UTF-8 lead byte is >= 0x80) is refused where it stands.
        for byte in rest.bytes() {
            // Branches on whether a character is a separator or invalid reveal the text's
            // layout and the position of a typo, never the value of a valid character.
            if bool::from(is_separator(byte)) {
                continue;
            }
            let (value, valid) = decode_char(byte);
            if !bool::from(valid) {
                acc.zeroize();
                return Err(Error::Card(CardError::Character { position: chars }));
            }
            chars += 1;
            acc = (acc << 5) | value;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                if let Some(slot) = payload.get_mut(out) {
                    *slot = (acc >> bits) as u8;
                }
                out += 1;
            }
        }
        // The last character carries `bits` padding bits, which must be zero: one text per card.
        let padding = acc & ((1 << bits) - 1);
        acc.zeroize();
        if chars != CARD_TEXT_CHARS {
            return Err(Error::Card(CardError::Length {
                expected: CARD_TEXT_CHARS,
                found: chars,
            }));
        }
        if padding != 0 {
            return Err(Error::Card(CardError::Padding));
        }
        let (body, sum) = payload.split_at(VAULT_SHARE_LEN);
        if !bool::from(checksum(body).ct_eq(sum)) {
            return Err(Error::Card(CardError::Checksum));
        }
        Self::from_bytes(body)
    }
}

// Character coding in constant time: the characters are the secret, so there is no table
// indexed by a character's value and no search that stops at it. Each range of the alphabet
// `0123456789ABCDEFGHJKMNPQRSTVWXYZ` becomes an all-ones or all-zeros mask from
// branch-free comparisons, and the masks select the result.

/// All ones if `lo <= x <= hi`, else zero (`x`, `lo`, `hi` in `0..=255`).
fn in_range(x: u32, lo: u8, hi: u8) -> u32 {
    let (x, lo, hi) = (x as i32, i32::from(lo), i32::from(hi));
    // Both differences are negative exactly when x is in range; the sign bit spreads.
    (((lo - 1 - x) & (x - hi - 1)) >> 31) as u32
}

/// All ones if `x > k`, else zero (`x`, `k` in `0..=255`).
fn greater(x: u32, k: u8) -> u32 {
    ((i32::from(k) - x as i32) >> 31) as u32
}

/// Whether `byte` separates card characters: what [`u8::is_ascii_whitespace`] accepts
/// (space, `\t`, `\n`, form feed, `\r`) or `-`.
fn is_separator(byte: u8) -> Choice {
    let x = u32::from(byte);
    let mask = in_range(x, b'\t', b'\n')
        | in_range(x, 0x0c, b'\r')
        | in_range(x, b' ', b' ')
        | in_range(x, b'-', b'-');
    Choice::from((mask & 1) as u8)
}

/// The 5-bit value of a card character, and whether it is one: ASCII case is ignored, `O`
/// reads as `0`, `I` and `L` as `1`; `U` and everything else is invalid (value 0).
fn decode_char(byte: u8) -> (u32, Choice) {
    let x = u32::from(byte);
    // Upper case: clear bit 5 of a lower-case letter.
    let x = x ^ (in_range(x, b'a', b'z') & 0x20);
    let digit = in_range(x, b'0', b'9');
    let a_h = in_range(x, b'A', b'H');
    let j_k = in_range(x, b'J', b'K');
    let m_n = in_range(x, b'M', b'N');
    let p_t = in_range(x, b'P', b'T');
    let v_z = in_range(x, b'V', b'Z');
    let one = in_range(x, b'I', b'I') | in_range(x, b'L', b'L');
    let zero = in_range(x, b'O', b'O');
    let value = (digit & x.wrapping_sub(u32::from(b'0')))
        | (a_h & x.wrapping_sub(u32::from(b'A') - 10))
        | (j_k & x.wrapping_sub(u32::from(b'J') - 18))
        | (m_n & x.wrapping_sub(u32::from(b'M') - 20))
        | (p_t & x.wrapping_sub(u32::from(b'P') - 22))
        | (v_z & x.wrapping_sub(u32::from(b'V') - 27))
        | (one & 1);
    let valid = digit | a_h | j_k | m_n | p_t | v_z | one | zero;
    (value, Choice::from((valid & 1) as u8))
}

/// The card character of a 5-bit value (only the low 5 bits of `index` are used).
fn encode_char(index: u32) -> u8 {
    let x = index & 31;
    // '0' + x, then skip the gaps: ':'..'@' (7 characters) after 9, 'I' after H, 'L' after
    // K, 'O' after N, 'U' after T.
    let c = x
        + u32::from(b'0')
        + (greater(x, 9) & 7)
        + (greater(x, 17) & 1)
        + (greater(x, 19) & 1)
        + (greater(x, 21) & 1)
        + (greater(x, 26) & 1);
    c as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table the constant-time coding replaced: the reference it must agree with.
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// The former `decode_char`: a search of the table.
    fn decode_by_table(c: char) -> Option<u32> {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let byte = u8::try_from(c).ok()?;
        ALPHABET
            .iter()
            .position(|&a| a == byte)
            .and_then(|p| u32::try_from(p).ok())
    }

    fn decode(byte: u8) -> Option<u32> {
        let (value, valid) = decode_char(byte);
        if bool::from(valid) {
            Some(value)
        } else {
            assert_eq!(value, 0, "byte {byte:#04x}");
            None
        }
    }

    #[test]
    fn decoding_agrees_with_the_table_for_every_byte() {
        for byte in 0..=u8::MAX {
            assert_eq!(
                decode(byte),
                decode_by_table(char::from(byte)),
                "byte {byte:#04x}"
            );
        }
        // Every alphabet character and its lower case, and the look-alikes.
        for (index, &c) in (0u32..).zip(ALPHABET.iter()) {
            assert_eq!(decode(c), Some(index));
            assert_eq!(decode(c.to_ascii_lowercase()), Some(index));
        }
        for (c, value) in [
            (b'O', 0),
            (b'o', 0),
            (b'I', 1),
            (b'i', 1),
            (b'L', 1),
            (b'l', 1),
        ] {
            assert_eq!(decode(c), Some(value));
        }
        assert_eq!(decode(b'U'), None);
        assert_eq!(decode(b'u'), None);
    }

    #[test]
    fn encoding_agrees_with_the_table() {
        for (index, &c) in (0u32..).zip(ALPHABET.iter()) {
            assert_eq!(encode_char(index), c);
            // Only the low 5 bits count.
            assert_eq!(encode_char(index | 0xffff_ffe0), c);
        }
    }

    #[test]
    fn separators_are_ascii_whitespace_and_hyphen() {
        for byte in 0..=u8::MAX {
            assert_eq!(
                bool::from(is_separator(byte)),
                byte.is_ascii_whitespace() || byte == b'-',
                "byte {byte:#04x}"
            );
        }
    }
}
