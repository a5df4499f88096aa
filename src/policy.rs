//! The policy: who holds a share of the vault's secret, and how many must take part.
//!
//! A policy is a threshold `t` and `n` holders (2 ≤ t ≤ n ≤ 255), each with a distinct id in
//! `1..=255`, a [`HolderKind`] and a short label. A key-server holder names the server's
//! identity (its *key id*); the server's key version and public key are pinned in each
//! capsule, not here, so rotating the server key never changes the header.
//! See `spec/protocol.md` §"Policy" and `spec/wire-format.md` §"Policy".

use alloc::vec::Vec;

use crate::codec::{DecodeError, Reader, ShortText};
use crate::sharing::{HolderId, Threshold};

/// The longest holder label, in bytes of UTF-8.
pub const MAX_LABEL_LEN: usize = 32;
/// The longest key-server key id, in bytes of UTF-8.
pub const MAX_KEY_ID_LEN: usize = 64;

/// What kind of holder a share belongs to, and so how it is kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HolderKind {
    /// The user's device keeps its share in local storage.
    Device,
    /// A key server: the share is sealed in a capsule that opens only with that server's
    /// blind OPRF evaluation.
    KeyServer {
        /// The server's identity, as the app names it (e.g. its host name).
        key_id: KeyId,
    },
    /// A custodian (printed recovery card, IT escrow, second device) holds a share card.
    Custodian,
}

impl HolderKind {
    /// The wire code of this kind.
    pub fn code(&self) -> u8 {
        match self {
            Self::Device => 0x01,
            Self::KeyServer { .. } => 0x02,
            Self::Custodian => 0x03,
        }
    }

    /// The key id, for a key-server holder.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Self::KeyServer { key_id } => Some(key_id.as_str()),
            _ => None,
        }
    }
}

/// A key server's identity: 1..=64 bytes of UTF-8 (e.g. its host name).
pub type KeyId = ShortText<MAX_KEY_ID_LEN>;

/// One holder of a share.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Holder {
    id: HolderId,
    kind: HolderKind,
    label: ShortText<MAX_LABEL_LEN>,
}

impl Holder {
    /// A holder; the label (and a key server's key id) must be 1..=32 (1..=64) bytes.
    pub fn new(id: HolderId, kind: HolderKind, label: &str) -> Result<Self, PolicyError> {
        let label =
            ShortText::new("holder label", label).map_err(|_| PolicyError::LabelLength {
                holder: id,
                length: label.len(),
            })?;
        Ok(Self { id, kind, label })
    }

    /// A key-server holder; the key id must be 1..=64 bytes.
    pub fn key_server(id: HolderId, label: &str, key_id: &str) -> Result<Self, PolicyError> {
        let key_id = KeyId::new("key id", key_id).map_err(|_| PolicyError::KeyIdLength {
            holder: id,
            length: key_id.len(),
        })?;
        Self::new(id, HolderKind::KeyServer { key_id }, label)
    }

    /// The holder's id (its share's x-coordinate).
    pub fn id(&self) -> HolderId {
        self.id
    }

    /// The holder's kind.
    pub fn kind(&self) -> &HolderKind {
        &self.kind
    }

    /// The holder's label.
    pub fn label(&self) -> &str {
        self.label.as_str()
    }

    /// Whether this holder is a key server.
    pub fn is_key_server(&self) -> bool {
        matches!(self.kind, HolderKind::KeyServer { .. })
    }
}

/// Why a policy is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyError {
    /// The threshold is below 2.
    ThresholdTooSmall {
        /// The threshold given.
        threshold: u8,
    },
    /// The threshold is larger than the number of holders.
    ThresholdAboveHolders {
        /// The threshold given.
        threshold: u8,
        /// The number of holders.
        holders: usize,
    },
    /// More than 255 holders.
    TooManyHolders {
        /// The number of holders given.
        holders: usize,
    },
    /// Two holders share an id.
    DuplicateHolder(HolderId),
    /// Holder id 0 (never valid: the share at 0 is the secret).
    ZeroHolderId,
    /// A label is empty or longer than [`MAX_LABEL_LEN`] bytes.
    LabelLength {
        /// The holder.
        holder: HolderId,
        /// The label's length in bytes.
        length: usize,
    },
    /// A key id is empty or longer than [`MAX_KEY_ID_LEN`] bytes.
    KeyIdLength {
        /// The holder.
        holder: HolderId,
        /// The key id's length in bytes.
        length: usize,
    },
    /// The app asked for at least one key server and the policy has none.
    NoKeyServer,
    /// The device holders alone reach the threshold, so a stolen device would open the vault
    /// without any server or custodian taking part.
    DevicesReachThreshold,
    /// The key-server holders alone reach the threshold (one server holding two shares, or
    /// several servers together), so the servers could open the vault without the user;
    /// allowed only with [`PolicyBuilder::servers_alone_may_unlock`].
    ServersReachThreshold,
    /// A policy flags byte has bits this version does not define.
    UnknownFlags {
        /// The flags byte.
        flags: u8,
    },
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ThresholdTooSmall { threshold } => {
                write!(f, "threshold {threshold} is below the minimum of 2")
            }
            Self::ThresholdAboveHolders { threshold, holders } => {
                write!(
                    f,
                    "threshold {threshold} is above the number of holders ({holders})"
                )
            }
            Self::TooManyHolders { holders } => write!(f, "{holders} holders; at most 255"),
            Self::DuplicateHolder(id) => write!(f, "holder id {id} appears twice"),
            Self::ZeroHolderId => f.write_str("holder id 0 is not allowed"),
            Self::LabelLength { holder, length } => write!(
                f,
                "label of holder {holder} is {length} bytes; allowed 1..={MAX_LABEL_LEN}"
            ),
            Self::KeyIdLength { holder, length } => write!(
                f,
                "key id of holder {holder} is {length} bytes; allowed 1..={MAX_KEY_ID_LEN}"
            ),
            Self::NoKeyServer => f.write_str("the policy has no key-server holder"),
            Self::DevicesReachThreshold => f.write_str("device holders alone reach the threshold"),
            Self::ServersReachThreshold => f.write_str(
                "key-server holders alone reach the threshold (allow it explicitly with \
                 servers_alone_may_unlock)",
            ),
            Self::UnknownFlags { flags } => write!(f, "policy flags {flags:#04x} are not defined"),
        }
    }
}

impl core::error::Error for PolicyError {}

/// A validated threshold policy: holders sorted by id, ids distinct, 2 ≤ t ≤ n ≤ 255, and
/// the device holders alone below the threshold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    threshold: Threshold,
    servers_alone: bool,
    holders: Vec<Holder>,
}

/// Policy flag: the key-server holders alone may reach the threshold.
pub const FLAG_SERVERS_ALONE: u8 = 0x01;

impl Policy {
    /// Validates and builds a policy (holders are sorted by id); the key-server holders
    /// alone must stay below the threshold (see [`Policy::with_flags`]).
    ///
    /// Rules are checked in this order, and the first broken one is reported:
    /// [`PolicyError::ThresholdTooSmall`], [`PolicyError::TooManyHolders`],
    /// [`PolicyError::ThresholdAboveHolders`], [`PolicyError::DuplicateHolder`] (the
    /// smallest repeated id), [`PolicyError::DevicesReachThreshold`],
    /// [`PolicyError::ServersReachThreshold`].
    pub fn new(threshold: u8, holders: Vec<Holder>) -> Result<Self, PolicyError> {
        Self::with_flags(threshold, 0, holders)
    }

    /// [`Policy::new`] with a flags byte: [`FLAG_SERVERS_ALONE`] allows the key-server
    /// holders alone to reach the threshold. Other bits are
    /// [`PolicyError::UnknownFlags`] (checked first).
    pub fn with_flags(
        threshold: u8,
        flags: u8,
        mut holders: Vec<Holder>,
    ) -> Result<Self, PolicyError> {
        if flags & !FLAG_SERVERS_ALONE != 0 {
            return Err(PolicyError::UnknownFlags { flags });
        }
        let servers_alone = flags & FLAG_SERVERS_ALONE != 0;
        let threshold =
            Threshold::new(threshold).map_err(|_| PolicyError::ThresholdTooSmall { threshold })?;
        if holders.len() > 255 {
            return Err(PolicyError::TooManyHolders {
                holders: holders.len(),
            });
        }
        if threshold.count() > holders.len() {
            return Err(PolicyError::ThresholdAboveHolders {
                threshold: threshold.get(),
                holders: holders.len(),
            });
        }
        holders.sort_by_key(Holder::id);
        for pair in holders.windows(2) {
            if let [a, b] = pair
                && a.id == b.id
            {
                return Err(PolicyError::DuplicateHolder(a.id));
            }
        }
        let devices = holders
            .iter()
            .filter(|h| h.kind == HolderKind::Device)
            .count();
        if devices >= threshold.count() {
            return Err(PolicyError::DevicesReachThreshold);
        }
        let servers = holders.iter().filter(|h| h.is_key_server()).count();
        if servers >= threshold.count() && !servers_alone {
            return Err(PolicyError::ServersReachThreshold);
        }
        Ok(Self {
            threshold,
            servers_alone,
            holders,
        })
    }

    /// Starts a [`PolicyBuilder`] for threshold `t`.
    pub fn builder(threshold: u8) -> PolicyBuilder {
        PolicyBuilder {
            threshold,
            holders: Vec::new(),
            error: None,
            require_key_server: false,
            flags: 0,
        }
    }

    /// Whether the key-server holders alone may reach the threshold.
    pub fn servers_alone_may_unlock(&self) -> bool {
        self.servers_alone
    }

    /// The flags byte.
    pub fn flags(&self) -> u8 {
        if self.servers_alone {
            FLAG_SERVERS_ALONE
        } else {
            0
        }
    }

    /// The threshold `t`.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// The holders, sorted by id.
    pub fn holders(&self) -> &[Holder] {
        &self.holders
    }

    /// The holder with id `id`.
    pub fn holder(&self, id: HolderId) -> Option<&Holder> {
        self.holders.iter().find(|h| h.id == id)
    }

    /// The holder ids, ascending.
    pub fn ids(&self) -> Vec<HolderId> {
        self.holders.iter().map(Holder::id).collect()
    }

    /// The key-server holders.
    pub fn key_servers(&self) -> impl Iterator<Item = &Holder> {
        self.holders.iter().filter(|h| h.is_key_server())
    }

    /// Appends the canonical encoding (see `spec/wire-format.md` §"Policy").
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.threshold.get());
        out.push(self.flags());
        // At most 255 holders: checked by `new` and by `decode`.
        out.push(u8::try_from(self.holders.len()).unwrap_or(u8::MAX));
        for h in &self.holders {
            out.push(h.id.get());
            out.push(h.kind.code());
            h.label.put(out);
            if let HolderKind::KeyServer { key_id } = &h.kind {
                key_id.put(out);
            }
        }
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Decodes a policy; holders must appear in strictly ascending id order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PolicyDecodeError> {
        let mut r = Reader::new(bytes);
        let policy = Self::read(&mut r)?;
        r.finish()?;
        Ok(policy)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, PolicyDecodeError> {
        let threshold = r.u8("threshold")?;
        let flags = r.u8("policy flags")?;
        if flags & !FLAG_SERVERS_ALONE != 0 {
            return Err(PolicyError::UnknownFlags { flags }.into());
        }
        let count = r.u8("holder count")?;
        let mut holders = Vec::with_capacity(usize::from(count));
        let mut previous: u8 = 0;
        for _ in 0..count {
            let raw_id = r.u8("holder id")?;
            let id = HolderId::new(raw_id).map_err(|_| PolicyError::ZeroHolderId)?;
            if raw_id <= previous {
                return Err(PolicyDecodeError::HoldersNotAscending { id });
            }
            previous = raw_id;
            let code = r.u8("holder kind")?;
            let label = r.text("holder label")?;
            let kind = match code {
                0x01 => HolderKind::Device,
                0x02 => HolderKind::KeyServer {
                    key_id: r.text("key id")?,
                },
                0x03 => HolderKind::Custodian,
                value => {
                    return Err(DecodeError::UnknownValue {
                        field: "holder kind",
                        value,
                    }
                    .into());
                }
            };
            holders.push(Holder { id, kind, label });
        }
        Ok(Self::with_flags(threshold, flags, holders)?)
    }
}

/// Why a policy encoding was rejected: malformed bytes, or a well-formed but invalid policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyDecodeError {
    /// The bytes are malformed.
    Decode(DecodeError),
    /// The bytes are well formed but the policy breaks an invariant.
    Policy(PolicyError),
    /// Holder ids are not strictly ascending (the encoding is not canonical).
    HoldersNotAscending {
        /// The first holder out of order.
        id: HolderId,
    },
}

impl From<DecodeError> for PolicyDecodeError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<PolicyError> for PolicyDecodeError {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}

impl core::fmt::Display for PolicyDecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "policy: {e}"),
            Self::Policy(e) => write!(f, "policy: {e}"),
            Self::HoldersNotAscending { id } => {
                write!(f, "policy: holder {id} is out of ascending id order")
            }
        }
    }
}

impl core::error::Error for PolicyDecodeError {}

/// Builds a [`Policy`] one holder at a time.
#[derive(Clone, Debug)]
pub struct PolicyBuilder {
    threshold: u8,
    holders: Vec<Holder>,
    error: Option<PolicyError>,
    require_key_server: bool,
    flags: u8,
}

impl PolicyBuilder {
    fn push(mut self, id: u8, make: impl FnOnce(HolderId) -> Result<Holder, PolicyError>) -> Self {
        if self.error.is_none() {
            let holder = HolderId::new(id)
                .map_err(|_| PolicyError::ZeroHolderId)
                .and_then(make);
            match holder {
                Ok(h) => self.holders.push(h),
                Err(e) => self.error = Some(e),
            }
        }
        self
    }

    /// Adds the user's device.
    pub fn device(self, id: u8, label: &str) -> Self {
        self.push(id, |id| Holder::new(id, HolderKind::Device, label))
    }

    /// Adds a key server identified by `key_id`.
    pub fn key_server(self, id: u8, label: &str, key_id: &str) -> Self {
        self.push(id, |id| Holder::key_server(id, label, key_id))
    }

    /// Adds a custodian (recovery card, escrow, second device).
    pub fn custodian(self, id: u8, label: &str) -> Self {
        self.push(id, |id| Holder::new(id, HolderKind::Custodian, label))
    }

    /// Allows the key-server holders alone to reach the threshold ("servers alone may
    /// unlock"): a 2-of-3 {device, server A, server B}, say, where the two servers could
    /// open the vault without the user. Off by default.
    pub fn servers_alone_may_unlock(mut self) -> Self {
        self.flags |= FLAG_SERVERS_ALONE;
        self
    }

    /// Makes [`build`](Self::build) fail with [`PolicyError::NoKeyServer`] unless at least
    /// one key server is present.
    pub fn require_key_server(mut self) -> Self {
        self.require_key_server = true;
        self
    }

    /// Validates and builds the policy.
    pub fn build(self) -> Result<Policy, PolicyError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.require_key_server && !self.holders.iter().any(Holder::is_key_server) {
            return Err(PolicyError::NoKeyServer);
        }
        Policy::with_flags(self.threshold, self.flags, self.holders)
    }
}
