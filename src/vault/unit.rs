//! Sealed units: one piece of user data (a vendor credential, say) under the root key, and
//! optionally behind a per-unit gate that costs one key-server evaluation per read.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::RootKey;
use super::capsule::read_public_key;
use super::header::VaultId;
use crate::Error;
use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::codec::{self, DecodeError, ObjectType, Reader, Short};
use crate::gate::{GATE_INPUT_LEN, GateMode, Purpose};
use crate::generic::UnlockedVault;
use crate::generic::{GateResponse, Output, PendingGate, ServerPin, ServerRequest};
use crate::kdf;
use crate::suite::Suite;

use crate::policy::KeyId;

/// The largest plaintext a unit holds: 64 KiB. Units are for credentials and small
/// records; larger data should be encrypted under a key kept in a unit.
pub const MAX_UNIT_LEN: usize = 64 * 1024;
/// The longest unit id, in bytes.
pub const MAX_UNIT_ID_LEN: usize = 64;

/// Gate code: no gate of its own (the unit opens with the root key alone).
const GATE_NONE: u8 = 0x00;
/// Gate code: a per-unit gate follows.
const GATE_ORACLE: u8 = 0x01;

/// A per-unit gate: reading the unit costs one evaluation by this key server.
///
/// With VOPRF the server cannot tell units apart; with POPRF the label `info` (e.g. the
/// unit's public name) is bound into the output and shown in the server's audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitGate<S: Suite> {
    key_id: KeyId,
    pin: ServerPin<S>,
    mode: GateMode,
    gate_input: [u8; GATE_INPUT_LEN],
}

impl<S: Suite> UnitGate<S> {
    /// The key server's identity.
    pub fn key_id(&self) -> &str {
        self.key_id.as_str()
    }

    /// The pinned server key.
    pub fn pin(&self) -> &ServerPin<S> {
        &self.pin
    }

    /// The gate's mode.
    pub fn mode(&self) -> &GateMode {
        &self.mode
    }

    fn same_server(&self, other: &Self) -> bool {
        self.key_id == other.key_id && self.pin == other.pin && self.mode == other.mode
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        self.key_id.put(out);
        out.extend_from_slice(&self.pin.key_version.to_be_bytes());
        out.extend_from_slice(self.pin.public_key.as_bytes().as_ref());
        self.mode.write_to(out);
        out.extend_from_slice(&self.gate_input);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let key_id = r.text("gate key id")?;
        let key_version = r.u32("gate key version")?;
        let public_key = read_public_key(r, "gate server key")?;
        let mode = GateMode::read(r)?;
        let gate_input = r.array("gate input")?;
        Ok(Self {
            key_id,
            pin: ServerPin {
                key_version,
                public_key,
            },
            mode,
            gate_input,
        })
    }
}

/// A sealed unit of user data. Public: safe to store anywhere.
///
/// Key: `derive_key("quorumkey v2 unit", R ‖ len(unit_id) ‖ unit_id [‖ gate_output])`;
/// associated data: every byte of the encoding before the ciphertext. See
/// `spec/wire-format.md` §"Sealed unit".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedUnit<S: Suite> {
    vault_id: VaultId,
    unit_id: Short<MAX_UNIT_ID_LEN>,
    version: u32,
    gate: Option<UnitGate<S>>,
    nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    ciphertext: Vec<u8>,
}

fn check_unit(unit_id: &[u8], plaintext: &[u8]) -> Result<Short<MAX_UNIT_ID_LEN>, Error> {
    let id = Short::new("unit id", unit_id).map_err(|_| Error::UnitIdLength {
        length: unit_id.len(),
    })?;
    if plaintext.len() > MAX_UNIT_LEN {
        return Err(Error::UnitTooLarge {
            length: plaintext.len(),
        });
    }
    Ok(id)
}

fn unit_key<S: Suite>(
    root: &RootKey,
    unit_id: &[u8],
    gate_output: Option<&Output<S>>,
) -> Zeroizing<[u8; 32]> {
    // unit_id is 1..=64 bytes (checked), so its length fits the one-byte prefix.
    let len = [u8::try_from(unit_id.len()).unwrap_or(u8::MAX)];
    let gate: &[u8] = gate_output.map_or(&[], |o| o.as_secret_bytes().as_ref());
    kdf::derive(
        kdf::CONTEXT_UNIT,
        &[root.as_secret_bytes(), &len, unit_id, gate],
    )
}

impl<S: Suite> SealedUnit<S> {
    /// The vault this unit belongs to.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// The unit's id (public; chosen by the app, e.g. `b"vendor:acme"`).
    pub fn unit_id(&self) -> &[u8] {
        self.unit_id.as_bytes()
    }

    /// The unit's version: 1 when first sealed, one higher with every update. Bound into
    /// the associated data, so storage cannot change it; a client that records the latest
    /// version it saw detects a rollback (an older ciphertext served again).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The version an update of this unit takes ([`Error::UnitVersionExhausted`] after
    /// `u32::MAX`).
    pub(crate) fn next_version(&self) -> Result<u32, Error> {
        self.version
            .checked_add(1)
            .ok_or(Error::UnitVersionExhausted)
    }

    /// The unit's own gate, if it has one.
    pub fn gate(&self) -> Option<&UnitGate<S>> {
        self.gate.as_ref()
    }

    /// The bytes before the ciphertext: the AEAD's associated data.
    fn header_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.unit_id.as_bytes().len());
        codec::put_prefix(&mut out, ObjectType::Unit);
        out.extend_from_slice(&self.vault_id.0);
        self.unit_id.put(&mut out);
        out.extend_from_slice(&self.version.to_be_bytes());
        match &self.gate {
            None => out.push(GATE_NONE),
            Some(gate) => {
                out.push(GATE_ORACLE);
                gate.write_to(&mut out);
            }
        }
        out.extend_from_slice(&self.nonce);
        let ct_len = u32::try_from(self.ciphertext.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&ct_len.to_be_bytes());
        out
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header_bytes();
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Decodes a sealed unit strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let unit = Self::read(&mut r).map_err(Error::unit)?;
        r.finish().map_err(Error::unit)?;
        Ok(unit)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        codec::read_prefix(r, ObjectType::Unit)?;
        let vault_id = VaultId(r.array("vault id")?);
        let unit_id = r.short("unit id")?;
        let version = r.u32("unit version")?;
        if version == 0 {
            return Err(DecodeError::OutOfRange {
                field: "unit version",
                value: 0,
                min: 1,
                max: u32::MAX,
            });
        }
        let gate = match r.u8("unit gate")? {
            GATE_NONE => None,
            GATE_ORACLE => Some(UnitGate::read(r)?),
            value => {
                return Err(DecodeError::UnknownValue {
                    field: "unit gate",
                    value,
                });
            }
        };
        let nonce = r.array("nonce")?;
        let ct_len = r.u32("ciphertext length")? as usize;
        if !(TAG_LEN..=MAX_UNIT_LEN + TAG_LEN).contains(&ct_len) {
            return Err(DecodeError::FieldLength {
                field: "ciphertext",
                length: ct_len,
                max: MAX_UNIT_LEN + TAG_LEN,
            });
        }
        let ciphertext = r.take(ct_len, "ciphertext")?.to_vec();
        Ok(Self {
            vault_id,
            unit_id,
            version,
            gate,
            nonce,
            ciphertext,
        })
    }

    /// Seals `plaintext` as version `version` of unit `unit_id` of the vault.
    pub(crate) fn seal<R: CryptoRng + ?Sized>(
        root: &RootKey,
        vault_id: VaultId,
        unit_id: &[u8],
        version: u32,
        gate: Option<(UnitGate<S>, &Output<S>)>,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Self, Error> {
        let id = check_unit(unit_id, plaintext)?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let (gate, output) = match gate {
            Some((gate, output)) => (Some(gate), Some(output)),
            None => (None, None),
        };
        let mut unit = Self {
            vault_id,
            unit_id: id,
            version,
            gate,
            nonce,
            ciphertext: alloc::vec![0u8; plaintext.len() + TAG_LEN],
        };
        let ad = unit.header_bytes();
        let key = unit_key(root, unit_id, output);
        let (body, tag_slot) = unit.ciphertext.split_at_mut(plaintext.len());
        body.copy_from_slice(plaintext);
        let tag = aead::seal(&key, &unit.nonce, &ad, body).ok_or(Error::UnitTooLarge {
            length: plaintext.len(),
        })?;
        tag_slot.copy_from_slice(&tag);
        Ok(unit)
    }

    /// Opens the unit with the vault's root key (and its gate's output, if gated).
    pub(crate) fn open(
        &self,
        root: &RootKey,
        vault_id: VaultId,
        gate_output: Option<&Output<S>>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        if self.vault_id != vault_id {
            return Err(Error::OtherVault {
                object: "sealed unit",
            });
        }
        if self.gate.is_some() != gate_output.is_some() {
            return Err(Error::UnitGate);
        }
        let split = self
            .ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::UnitOpen)?;
        let (body, tag) = self.ciphertext.split_at(split);
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| Error::UnitOpen)?;
        let mut plaintext = Zeroizing::new(body.to_vec());
        let key = unit_key(root, self.unit_id.as_bytes(), gate_output);
        if !aead::open(
            &key,
            &self.nonce,
            &self.header_bytes(),
            &mut plaintext,
            &tag,
        ) {
            return Err(Error::UnitOpen);
        }
        Ok(plaintext)
    }
}

/// Sealing a unit behind its own gate, waiting for the key server's evaluation.
pub struct GatedSeal<S: Suite> {
    vault_id: VaultId,
    unit_id: Short<MAX_UNIT_ID_LEN>,
    version: u32,
    plaintext: Zeroizing<Vec<u8>>,
    gate: UnitGate<S>,
    pending: PendingGate<S>,
}

impl<S: Suite> core::fmt::Debug for GatedSeal<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GatedSeal")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

impl<S: Suite> GatedSeal<S> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start<R: CryptoRng + ?Sized>(
        vault_id: VaultId,
        unit_id: &[u8],
        version: u32,
        plaintext: &[u8],
        key_id: &str,
        pin: ServerPin<S>,
        mode: GateMode,
        rng: &mut R,
    ) -> Result<(Self, ServerRequest<S>), Error> {
        let id = check_unit(unit_id, plaintext)?;
        let key_id = KeyId::new("gate key id", key_id).map_err(|error| Error::Decode {
            object: "unit gate",
            error,
        })?;
        let mut gate_input = [0u8; GATE_INPUT_LEN];
        rng.fill_bytes(&mut gate_input);
        let gate = UnitGate {
            key_id,
            pin,
            mode,
            gate_input,
        };
        let input = Zeroizing::new(gate_input.to_vec());
        let (pending, request) = PendingGate::start(
            Purpose::UnitGate,
            &gate.pin,
            &gate.mode,
            alloc::vec![input],
            rng,
        )?;
        let request = ServerRequest {
            holders: Vec::new(),
            key_id: gate.key_id.as_str().into(),
            request,
        };
        let seal = Self {
            vault_id,
            unit_id: id,
            version,
            plaintext: Zeroizing::new(plaintext.to_vec()),
            gate,
            pending,
        };
        Ok((seal, request))
    }

    /// Verifies the server's response and seals the unit. The unit is opened again with
    /// the same output before it is returned.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        vault: &UnlockedVault<S>,
        response: &GateResponse<S>,
        rng: &mut R,
    ) -> Result<SealedUnit<S>, Error> {
        if vault.vault_id() != self.vault_id {
            return Err(Error::OtherVault {
                object: "unlocked vault",
            });
        }
        let outputs = self
            .pending
            .finish(response)
            .map_err(|_| Error::UnitGateProof)?;
        let output = outputs.first().ok_or(Error::UnitGateProof)?;
        let unit = SealedUnit::seal(
            vault.root(),
            self.vault_id,
            self.unit_id.as_bytes(),
            self.version,
            Some((self.gate, output)),
            &self.plaintext,
            rng,
        )?;
        if unit.open(vault.root(), self.vault_id, Some(output))? != self.plaintext {
            return Err(Error::UnitOpen);
        }
        Ok(unit)
    }
}

/// The outcome of opening one unit: its plaintext, or why it did not open.
pub type UnitResult = Result<Zeroizing<Vec<u8>>, Error>;

/// One request's pending evaluation, with the indexes (into the unit list) it evaluates.
type Group<S> = (Vec<usize>, PendingGate<S>);
/// The started groups and the requests to send.
type Started<S> = (Vec<Group<S>>, Vec<ServerRequest<S>>);
/// Per unit: its gate's output, `None` for a unit in no group, or why it has none.
type GateOutputs<S> = Vec<Result<Option<Output<S>>, Error>>;

/// Groups gates by server key and mode, at most the unit-gate element budget per group
/// (one request, one proof each): `(gate of the group, indexes into the unit list)`.
fn group_gates<'a, S: Suite>(
    gates: impl Iterator<Item = (usize, &'a UnitGate<S>)>,
) -> Vec<(&'a UnitGate<S>, Vec<usize>)> {
    let budget = Purpose::UnitGate.element_budget();
    let mut grouped: Vec<(&UnitGate<S>, Vec<usize>)> = Vec::new();
    for (index, gate) in gates {
        match grouped
            .iter_mut()
            .find(|(g, members)| members.len() < budget && g.same_server(gate))
        {
            Some((_, members)) => members.push(index),
            None => grouped.push((gate, alloc::vec![index])),
        }
    }
    grouped
}

/// Blinds one request per group of gates; `gate_of(i)` is the gate whose input unit `i`
/// contributes.
fn start_groups<'a, S: Suite, R: CryptoRng + ?Sized>(
    grouped: Vec<(&'a UnitGate<S>, Vec<usize>)>,
    gate_of: impl Fn(usize) -> Option<&'a UnitGate<S>>,
    rng: &mut R,
) -> Result<Started<S>, Error> {
    let mut groups = Vec::with_capacity(grouped.len());
    let mut requests = Vec::with_capacity(grouped.len());
    for (gate, members) in grouped {
        let inputs = members
            .iter()
            .filter_map(|&i| gate_of(i))
            .map(|g| Zeroizing::new(g.gate_input.to_vec()))
            .collect();
        let (pending, request) =
            PendingGate::start(Purpose::UnitGate, &gate.pin, &gate.mode, inputs, rng)?;
        requests.push(ServerRequest {
            holders: Vec::new(),
            key_id: gate.key_id.as_str().into(),
            request,
        });
        groups.push((members, pending));
    }
    Ok((groups, requests))
}

/// Finishes groups started by [`start_groups`]: per unit (of `count`), its gate's output,
/// [`Error::UnitGateRefused`] (no response), [`Error::UnitGateProof`] (a response that
/// failed verification), or `Ok(None)` for a unit in no group.
fn finish_groups<S: Suite>(
    groups: Vec<Group<S>>,
    count: usize,
    responses: &[Option<GateResponse<S>>],
) -> Result<GateOutputs<S>, Error> {
    if responses.len() != groups.len() {
        return Err(Error::ResponseCount {
            expected: groups.len(),
            found: responses.len(),
        });
    }
    let mut outputs: GateOutputs<S> = (0..count).map(|_| Ok(None)).collect();
    for ((members, pending), response) in groups.into_iter().zip(responses) {
        let results = match response {
            None => Err(Error::UnitGateRefused),
            Some(response) => pending.finish(response).map_err(|_| Error::UnitGateProof),
        };
        match results {
            // Cloned, not moved: the outputs left in `results` zeroize as it drops, so no
            // freed block keeps their bytes.
            Ok(results) => {
                for (&i, output) in members.iter().zip(results.iter()) {
                    if let Some(slot) = outputs.get_mut(i) {
                        *slot = Ok(Some(output.clone()));
                    }
                }
            }
            Err(e) => {
                for &i in &members {
                    if let Some(slot) = outputs.get_mut(i) {
                        *slot = Err(e);
                    }
                }
            }
        }
    }
    Ok(outputs)
}

/// Reading gated units: one batched request (one proof) per server key and mode, and per
/// 256 units ([`crate::oprf::MAX_BATCH`]): reading 600 units behind one server costs three
/// requests, and three audit events there.
pub struct UnitRead<S: Suite> {
    units: Vec<SealedUnit<S>>,
    /// Per request: the indexes (into `units`) of the units it evaluates.
    groups: Vec<Group<S>>,
}

impl<S: Suite> core::fmt::Debug for UnitRead<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnitRead")
            .field("units", &self.units.len())
            .field("requests", &self.groups.len())
            .finish()
    }
}

impl<S: Suite> UnitRead<S> {
    /// Blinds the gate of every gated unit in `units`; units without a gate need no request.
    pub fn start<R: CryptoRng + ?Sized>(
        units: &[SealedUnit<S>],
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest<S>>), Error> {
        let grouped = group_gates(
            units
                .iter()
                .enumerate()
                .filter_map(|(i, u)| u.gate.as_ref().map(|g| (i, g))),
        );
        let (groups, requests) =
            start_groups(grouped, |i| units.get(i).and_then(|u| u.gate.as_ref()), rng)?;
        Ok((
            Self {
                units: units.to_vec(),
                groups,
            },
            requests,
        ))
    }

    /// Opens every unit, `responses[i]` answering request `i` (`None`: refused). The result
    /// has one entry per unit, in order: the plaintext, or why that unit did not open
    /// ([`Error::UnitGateRefused`], [`Error::UnitGateProof`], [`Error::UnitOpen`], …).
    pub fn finish(
        self,
        vault: &UnlockedVault<S>,
        responses: &[Option<GateResponse<S>>],
    ) -> Result<Vec<UnitResult>, Error> {
        let outputs = finish_groups(self.groups, self.units.len(), responses)?;
        Ok(self
            .units
            .iter()
            .zip(outputs.iter())
            .map(|(unit, output)| {
                unit.open(vault.root(), vault.vault_id(), output.clone()?.as_ref())
            })
            .collect())
    }
}

/// Where a key server's unit gates move in a [`UnitMigration`]: its (newer) pinned key and
/// the gate mode, from its key set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateTarget<S: Suite> {
    /// The key server's identity (the `key_id` of the gates to move).
    pub key_id: alloc::string::String,
    /// The unit-gate key to move to ([`Purpose::UnitGate`]).
    pub pin: ServerPin<S>,
    /// The gate mode of the moved gates.
    pub mode: GateMode,
}

/// Moving units to a new root key (after a rekey) and/or their gates to newer key versions
/// (before the old ones are dropped), without losing any: every unit is read (gated units
/// through their current gate), sealed again as its next version under the new vault's root
/// key — behind a fresh gate at the target's key if its key server has a target, behind the
/// same gate otherwise — and opened once before anything is returned.
///
/// Requests: one read request per server key (and per 256 units) for the gated units, then
/// one seal request per target (and per 256 units). See `spec/protocol.md` §4.11.
pub struct UnitMigration<S: Suite> {
    units: Vec<SealedUnit<S>>,
    reads: Vec<Group<S>>,
    /// The new gate of each unit that moves to a target.
    new_gates: Vec<Option<UnitGate<S>>>,
    seals: Vec<Group<S>>,
}

impl<S: Suite> core::fmt::Debug for UnitMigration<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnitMigration")
            .field("units", &self.units.len())
            .field("read_requests", &self.reads.len())
            .field("seal_requests", &self.seals.len())
            .finish()
    }
}

impl<S: Suite> UnitMigration<S> {
    /// Plans the migration of `units`: gated units whose key server (key id) has a target
    /// move to a fresh gate at the target's key, which must be newer than their current one
    /// ([`Error::KeyVersionNotNewer`]).
    pub fn start<R: CryptoRng + ?Sized>(
        units: &[SealedUnit<S>],
        targets: &[GateTarget<S>],
        rng: &mut R,
    ) -> Result<(Self, Vec<ServerRequest<S>>), Error> {
        let target_of = |gate: &UnitGate<S>| targets.iter().find(|t| t.key_id == gate.key_id());
        let mut new_gates = Vec::with_capacity(units.len());
        for unit in units {
            let moved = match unit
                .gate
                .as_ref()
                .and_then(|g| target_of(g).map(|t| (g, t)))
            {
                None => None,
                Some((gate, target)) => {
                    if target.pin.key_version <= gate.pin.key_version {
                        return Err(Error::UnitGateNotNewer {
                            current: gate.pin.key_version,
                            requested: target.pin.key_version,
                        });
                    }
                    let mut gate_input = [0u8; GATE_INPUT_LEN];
                    rng.fill_bytes(&mut gate_input);
                    Some(UnitGate {
                        key_id: gate.key_id.clone(),
                        pin: target.pin.clone(),
                        mode: target.mode.clone(),
                        gate_input,
                    })
                }
            };
            new_gates.push(moved);
        }
        let read_groups = group_gates(
            units
                .iter()
                .enumerate()
                .filter_map(|(i, u)| u.gate.as_ref().map(|g| (i, g))),
        );
        let (reads, mut requests) = start_groups(
            read_groups,
            |i| units.get(i).and_then(|u| u.gate.as_ref()),
            rng,
        )?;
        let seal_groups = group_gates(
            new_gates
                .iter()
                .enumerate()
                .filter_map(|(i, g)| g.as_ref().map(|g| (i, g))),
        );
        let (seals, seal_requests) = start_groups(
            seal_groups,
            |i| new_gates.get(i).and_then(Option::as_ref),
            rng,
        )?;
        requests.extend(seal_requests);
        Ok((
            Self {
                units: units.to_vec(),
                reads,
                new_gates,
                seals,
            },
            requests,
        ))
    }

    /// Completes the migration from `old` (the vault the units were sealed in) to `new`
    /// (the same vault, or the same vault after a rekey), `responses[i]` answering request
    /// `i`. All or nothing: any unit that cannot be read or sealed fails the whole
    /// migration, and the old units stay what they were.
    pub fn finish<R: CryptoRng + ?Sized>(
        self,
        old: &UnlockedVault<S>,
        new: &UnlockedVault<S>,
        responses: &[GateResponse<S>],
        rng: &mut R,
    ) -> Result<Vec<SealedUnit<S>>, Error> {
        self.finish_with(old.root(), old.vault_id(), new, responses, rng)
    }

    pub(crate) fn finish_with<R: CryptoRng + ?Sized>(
        self,
        old_root: &RootKey,
        old_id: VaultId,
        new: &UnlockedVault<S>,
        responses: &[GateResponse<S>],
        rng: &mut R,
    ) -> Result<Vec<SealedUnit<S>>, Error> {
        if new.vault_id() != old_id {
            return Err(Error::OtherVault {
                object: "unlocked vault",
            });
        }
        let expected = self.reads.len() + self.seals.len();
        if responses.len() != expected {
            return Err(Error::ResponseCount {
                expected,
                found: responses.len(),
            });
        }
        let (read_responses, seal_responses) = responses.split_at(self.reads.len());
        let wrap = |rs: &[GateResponse<S>]| rs.iter().cloned().map(Some).collect::<Vec<_>>();
        let count = self.units.len();
        let read = finish_groups(self.reads, count, &wrap(read_responses))?;
        let sealed = finish_groups(self.seals, count, &wrap(seal_responses))?;
        let mut out = Vec::with_capacity(count);
        for (((unit, new_gate), read), sealed) in self
            .units
            .iter()
            .zip(&self.new_gates)
            .zip(read.iter())
            .zip(sealed.iter())
        {
            // By reference: every output stays in `read` and `sealed`, which zeroize them
            // as they drop.
            let read = read.as_ref().map_err(|e| *e)?.as_ref();
            let sealed = sealed.as_ref().map_err(|e| *e)?.as_ref();
            let plaintext = unit.open(old_root, old_id, read)?;
            let version = unit.next_version()?;
            let gate = match (new_gate, sealed, &unit.gate, read) {
                (Some(gate), Some(output), _, _) => Some((gate.clone(), output)),
                (None, None, Some(gate), Some(output)) => Some((gate.clone(), output)),
                (None, None, None, None) => None,
                _ => return Err(Error::UnitGate),
            };
            let output = gate.as_ref().map(|(_, o)| *o);
            let fresh = SealedUnit::seal(
                new.root(),
                new.vault_id(),
                unit.unit_id.as_bytes(),
                version,
                gate,
                &plaintext,
                rng,
            )?;
            if fresh.open(new.root(), new.vault_id(), output)? != plaintext {
                return Err(Error::UnitOpen);
            }
            out.push(fresh);
        }
        Ok(out)
    }
}
