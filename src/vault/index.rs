//! The unit index: the client's record of the latest version of each unit it has seen, so
//! that storage serving an older ciphertext of a unit (a rollback) is detected.
//!
//! A unit's version is bound into its associated data, so storage cannot change it; what
//! storage *can* do is serve an older, genuine ciphertext. The client keeps this index where
//! it keeps the vault header (device storage), records every unit it opens or seals, and
//! checks every unit against it. See `spec/protocol.md` §4.3, `spec/wire-format.md` §16.

use alloc::vec::Vec;

use super::header::VaultId;
use super::unit::{MAX_UNIT_ID_LEN, SealedUnit};
use crate::Error;
use crate::codec::{self, DecodeError, ObjectType, Reader, Short};
use crate::suite::Suite;

/// The latest version of each unit of one vault that this client has seen. Public (unit ids
/// and version numbers), but its integrity matters: keep it in device storage.
///
/// Encoding: `QK 02 0D ‖ vault_id (16) ‖ u32 count ‖ count × (short unit_id ‖ u32 version)`,
/// unit ids strictly ascending (bytewise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitIndex {
    vault_id: VaultId,
    /// Sorted by unit id (bytewise), ids unique: the encoding's order. A sorted `Vec`
    /// rather than a `BTreeMap`, whose code weighs on the WebAssembly module.
    latest: Vec<(Short<MAX_UNIT_ID_LEN>, u32)>,
}

impl UnitIndex {
    /// An empty index for `vault_id` (a new vault, or a new device after recovery: until it
    /// has seen a unit, it cannot tell that unit's versions apart).
    pub fn new(vault_id: VaultId) -> Self {
        Self {
            vault_id,
            latest: Vec::new(),
        }
    }

    /// Where `id` is (`Ok`) or would go (`Err`) in `latest`.
    fn position(&self, id: &Short<MAX_UNIT_ID_LEN>) -> Result<usize, usize> {
        self.latest.binary_search_by(|(k, _)| k.cmp(id))
    }

    /// The vault.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// The latest version seen of `unit_id`.
    pub fn latest(&self, unit_id: &[u8]) -> Option<u32> {
        let id = Short::new("unit id", unit_id).ok()?;
        let at = self.position(&id).ok()?;
        self.latest.get(at).map(|(_, version)| *version)
    }

    /// Checks `unit` against the index: [`Error::OtherVault`] for another vault's unit,
    /// [`Error::UnitRollback`] if it is older than the latest version seen.
    pub fn check<S: Suite>(&self, unit: &SealedUnit<S>) -> Result<(), Error> {
        if unit.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "sealed unit",
            });
        }
        match self.latest(unit.unit_id()) {
            Some(expected) if unit.version() < expected => Err(Error::UnitRollback {
                found: unit.version(),
                expected,
            }),
            _ => Ok(()),
        }
    }

    /// [`check`](Self::check)s `unit`, then records its version as the latest.
    pub fn observe<S: Suite>(&mut self, unit: &SealedUnit<S>) -> Result<(), Error> {
        self.check(unit)?;
        let id = Short::new("unit id", unit.unit_id()).map_err(|error| Error::Decode {
            object: "unit index",
            error,
        })?;
        match self.position(&id) {
            Ok(at) => {
                if let Some(entry) = self.latest.get_mut(at) {
                    entry.1 = unit.version();
                }
            }
            Err(at) => self.latest.insert(at, (id, unit.version())),
        }
        Ok(())
    }

    /// Forgets a unit that was deleted on purpose.
    pub fn forget(&mut self, unit_id: &[u8]) {
        if let Some(at) = Short::new("unit id", unit_id)
            .ok()
            .and_then(|id| self.position(&id).ok())
        {
            self.latest.remove(at);
        }
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.latest.len() * (MAX_UNIT_ID_LEN + 5));
        codec::put_prefix(&mut out, ObjectType::UnitIndex);
        out.extend_from_slice(self.vault_id.as_bytes());
        out.extend_from_slice(
            &u32::try_from(self.latest.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for (id, version) in &self.latest {
            id.put(&mut out);
            out.extend_from_slice(&version.to_be_bytes());
        }
        out
    }

    /// Decodes an index strictly (ids strictly ascending, versions at least 1).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let decode = |error| Error::Decode {
            object: "unit index",
            error,
        };
        let mut r = Reader::new(bytes);
        let index = Self::read(&mut r).map_err(decode)?;
        r.finish().map_err(decode)?;
        Ok(index)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        codec::read_prefix(r, ObjectType::UnitIndex)?;
        let vault_id = VaultId(r.array("vault id")?);
        let count = r.u32("unit count")?;
        let mut latest = Vec::new();
        let mut previous: Option<Short<MAX_UNIT_ID_LEN>> = None;
        for _ in 0..count {
            let id: Short<MAX_UNIT_ID_LEN> = r.short("unit id")?;
            if previous.as_ref().is_some_and(|p| p >= &id) {
                return Err(DecodeError::NotAscending { field: "unit id" });
            }
            let version = r.u32("unit version")?;
            if version == 0 {
                return Err(DecodeError::OutOfRange {
                    field: "unit version",
                    value: 0,
                    min: 1,
                    max: u32::MAX,
                });
            }
            previous = Some(id.clone());
            latest.push((id, version));
        }
        Ok(Self { vault_id, latest })
    }
}
