//! [`HolderSet`]: a fixed-size set of holder ids, usable without an allocator.

use super::HolderId;

/// A set of [`HolderId`]s, stored as a 256-bit bitmap (bit `i` set means id `i` is present).
///
/// It is `Copy` and needs no allocator, so errors such as
/// [`Error::InvalidShares`](super::Error::InvalidShares) can name every culprit.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HolderSet {
    /// Ids 0..=127 (bit 0 is never set: ids are non-zero).
    low: u128,
    /// Ids 128..=255.
    high: u128,
}

impl HolderSet {
    /// The empty set.
    pub const fn new() -> Self {
        Self { low: 0, high: 0 }
    }

    /// Where `id`'s bit lives: which half and which mask.
    const fn locate(id: HolderId) -> (bool, u128) {
        let id = id.get();
        (id >= 128, 1u128 << (id % 128))
    }

    /// Adds `id`; returns `true` if it was not already present.
    pub fn insert(&mut self, id: HolderId) -> bool {
        let (high, mask) = Self::locate(id);
        let word = if high { &mut self.high } else { &mut self.low };
        let fresh = *word & mask == 0;
        *word |= mask;
        fresh
    }

    /// Whether `id` is in the set.
    pub const fn contains(&self, id: HolderId) -> bool {
        let (high, mask) = Self::locate(id);
        let word = if high { self.high } else { self.low };
        word & mask != 0
    }

    /// The number of ids in the set.
    pub const fn len(&self) -> usize {
        (self.low.count_ones() + self.high.count_ones()) as usize
    }

    /// Whether the set is empty.
    pub const fn is_empty(&self) -> bool {
        self.low == 0 && self.high == 0
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = HolderId> + '_ {
        (1..=u8::MAX)
            .filter_map(|id| HolderId::new(id).ok())
            .filter(|&id| self.contains(id))
    }
}

impl FromIterator<HolderId> for HolderSet {
    fn from_iter<I: IntoIterator<Item = HolderId>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl Extend<HolderId> for HolderSet {
    fn extend<I: IntoIterator<Item = HolderId>>(&mut self, iter: I) {
        for id in iter {
            self.insert(id);
        }
    }
}

impl core::fmt::Debug for HolderSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HolderSet")?;
        f.debug_set()
            .entries(self.iter().map(HolderId::get))
            .finish()
    }
}

/// Lists the ids as `{1, 3, 7}`.
impl core::fmt::Display for HolderSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("{")?;
        for (i, id) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        f.write_str("}")
    }
}
