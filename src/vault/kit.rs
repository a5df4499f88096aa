//! Recovery kits: the public half of a recovery — the header and capsule copies — kept
//! beside a custodian's share card so that the card plus the key servers rebuild the vault
//! when the device is gone.

use alloc::vec::Vec;

use super::capsule::Capsule;
use super::header::VaultHeader;
use crate::Error;
use crate::codec::{self, DecodeError, ObjectType, Reader};
use crate::suite::Suite;

/// The largest number of capsules in a kit (one per key-server holder).
pub const MAX_KIT_CAPSULES: usize = 255;

/// A vault header and copies of its capsules. Public: it opens nothing on its own; with
/// enough share cards (and the key servers' help for the capsules) it rebuilds the vault.
///
/// Encoding: `QK 02 07 ‖ u32 header length ‖ header ‖ u8 capsule count ‖ count × (u16
/// length ‖ capsule)`. See `spec/wire-format.md` §"Recovery kit".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryKit<S: Suite> {
    header: VaultHeader<S>,
    capsules: Vec<Capsule<S>>,
}

impl<S: Suite> RecoveryKit<S> {
    /// A kit for `header` with `capsules`, each of which must belong to it.
    pub fn new(header: VaultHeader<S>, capsules: Vec<Capsule<S>>) -> Result<Self, Error> {
        if capsules.len() > MAX_KIT_CAPSULES {
            return Err(Error::Decode {
                object: "recovery kit",
                error: DecodeError::FieldLength {
                    field: "capsules",
                    length: capsules.len(),
                    max: MAX_KIT_CAPSULES,
                },
            });
        }
        for capsule in &capsules {
            capsule.check_binding(&header)?;
        }
        Ok(Self { header, capsules })
    }

    /// The header.
    pub fn header(&self) -> &VaultHeader<S> {
        &self.header
    }

    /// The capsules.
    pub fn capsules(&self) -> &[Capsule<S>] {
        &self.capsules
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        codec::put_prefix(&mut out, ObjectType::RecoveryKit);
        let header = self.header.to_bytes();
        out.extend_from_slice(
            &u32::try_from(header.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&header);
        out.push(u8::try_from(self.capsules.len()).unwrap_or(u8::MAX));
        for capsule in &self.capsules {
            let bytes = capsule.to_bytes();
            out.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        out
    }

    /// Decodes a kit strictly: every part is decoded strictly and every capsule must
    /// belong to the header.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let kit = |e| Error::Decode {
            object: "recovery kit",
            error: e,
        };
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::RecoveryKit).map_err(kit)?;
        let header_len = r.u32("header length").map_err(kit)? as usize;
        let header = VaultHeader::from_bytes(r.take(header_len, "header").map_err(kit)?)?;
        let count = r.u8("capsule count").map_err(kit)?;
        let mut capsules = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes(r.array("capsule length").map_err(kit)?));
            capsules.push(Capsule::from_bytes(r.take(len, "capsule").map_err(kit)?)?);
        }
        r.finish().map_err(kit)?;
        Self::new(header, capsules)
    }
}
