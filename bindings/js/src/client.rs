//! The client: policy, enrollment, unlock, the unlocked vault and its changes (re-seal,
//! refresh, rekey), share cards, recovery kits, and readers of the public objects.
//!
//! Single-use core objects (a pending enrollment, an unlock, a re-seal…) are held in an
//! `Option` and taken by the call that consumes them; a second call is a `consumed` error.
//! The unlocked vault is taken by `lock`; every later call is a `locked` error.

use js_sys::{Array, Uint8Array};
use quorumkey::Error;
use quorumkey::gate::{GateMode, GateResponse, PasswordParams, Purpose, ServerPin, ServerRequest};
use quorumkey::keyserver::{GuardStatus, KeySet};
use quorumkey::policy::{HolderKind, Policy};
use quorumkey::sharing::HolderId;
use quorumkey::vault::{
    self, Capsule, GateTarget, KeyServerSetup, Password, RecoveryKit, SealedUnit, Trust,
    UnlockedVault, VaultHeader, VaultShare,
};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::convert::{self, Obj, array_of_bytes, byte, byte_arrays, int, required_byte_arrays};
use crate::error::{self, CONSUMED, JsResult, LOCKED, core, invalid};

fn take<T>(slot: &mut Option<T>, what: &str) -> JsResult<T> {
    slot.take().ok_or_else(|| {
        error::binding(
            CONSUMED,
            &error::join(&["this ", what, " was already used"]),
        )
    })
}

fn gate_mode(info: Option<Vec<u8>>) -> JsResult<GateMode> {
    match info {
        None => Ok(GateMode::Voprf),
        Some(info) => GateMode::poprf(&info).map_err(core),
    }
}

/// A password with optional Argon2id parameters (`{memoryKib, iterations, lanes}`).
struct PasswordArg {
    secret: Zeroizing<Vec<u8>>,
    params: Option<PasswordParams>,
}

impl PasswordArg {
    fn new(secret: Option<Vec<u8>>, params: &JsValue) -> JsResult<Option<Self>> {
        let Some(secret) = secret else {
            return Ok(None);
        };
        let secret = Zeroizing::new(secret);
        let params = if params.is_undefined() || params.is_null() {
            None
        } else {
            let field = |name: &str| -> JsResult<f64> {
                js_sys::Reflect::get(params, &JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_f64())
                    .ok_or_else(|| {
                        invalid(&error::join(&[
                            "password parameter ",
                            name,
                            " must be a number",
                        ]))
                    })
            };
            let memory = int(field("memoryKib")?, u32::MAX, "memoryKib")?;
            let iterations = int(field("iterations")?, u32::MAX, "iterations")?;
            let lanes = byte(field("lanes")?, "lanes")?;
            Some(PasswordParams::new(memory, iterations, lanes).map_err(core)?)
        };
        Ok(Some(Self { secret, params }))
    }

    fn password(&self) -> Password<'_> {
        let password = Password::new(&self.secret);
        match self.params {
            Some(params) => password.with_params(params),
            None => password,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Policy

/// Builds a policy, one holder at a time (the core's `PolicyBuilder`).
#[wasm_bindgen]
pub struct PolicyBuilder {
    inner: Option<quorumkey::policy::PolicyBuilder>,
}

#[wasm_bindgen]
impl PolicyBuilder {
    /// A policy needing `threshold` holders.
    #[wasm_bindgen(constructor)]
    pub fn new(threshold: f64) -> JsResult<PolicyBuilder> {
        Ok(Self {
            inner: Some(Policy::builder(byte(threshold, "threshold")?)),
        })
    }

    fn push(
        &mut self,
        f: impl FnOnce(quorumkey::policy::PolicyBuilder) -> quorumkey::policy::PolicyBuilder,
    ) -> JsResult<()> {
        let builder = take(&mut self.inner, "policy builder")?;
        self.inner = Some(f(builder));
        Ok(())
    }

    /// Adds the user's device.
    pub fn device(&mut self, id: f64, label: &str) -> JsResult<()> {
        let id = byte(id, "holder id")?;
        self.push(|b| b.device(id, label))
    }

    /// Adds a key server identified by `key_id`.
    #[wasm_bindgen(js_name = keyServer)]
    pub fn key_server(&mut self, id: f64, label: &str, key_id: &str) -> JsResult<()> {
        let id = byte(id, "holder id")?;
        self.push(|b| b.key_server(id, label, key_id))
    }

    /// Adds a custodian.
    pub fn custodian(&mut self, id: f64, label: &str) -> JsResult<()> {
        let id = byte(id, "holder id")?;
        self.push(|b| b.custodian(id, label))
    }

    /// Lets the key servers alone reach the threshold.
    #[wasm_bindgen(js_name = serversAloneMayUnlock)]
    pub fn servers_alone_may_unlock(&mut self) -> JsResult<()> {
        self.push(|b| b.servers_alone_may_unlock())
    }

    /// Requires at least one key server.
    #[wasm_bindgen(js_name = requireKeyServer)]
    pub fn require_key_server(&mut self) -> JsResult<()> {
        self.push(|b| b.require_key_server())
    }

    /// The policy's encoding.
    pub fn build(&mut self) -> JsResult<Vec<u8>> {
        let policy = take(&mut self.inner, "policy builder")?
            .build()
            .map_err(|e| core(Error::Policy(e)))?;
        Ok(policy.to_bytes())
    }
}

fn policy_info(policy: &Policy) -> JsValue {
    let holders: Array = policy
        .holders()
        .iter()
        .map(|h| {
            let (kind, key_id) = match h.kind() {
                HolderKind::Device => ("device", None),
                HolderKind::KeyServer { key_id } => ("keyServer", Some(key_id.as_str())),
                HolderKind::Custodian => ("custodian", None),
                _ => ("unknown", None),
            };
            let o = Obj::new()
                .set("id", h.id().get())
                .set("kind", kind)
                .set("label", h.label());
            match key_id {
                Some(k) => o.set("keyId", k),
                None => o,
            }
            .done()
        })
        .collect();
    Obj::new()
        .set("threshold", policy.threshold().get())
        .set("holders", holders)
        .set("serversAloneMayUnlock", policy.servers_alone_may_unlock())
        .bytes("bytes", &policy.to_bytes())
        .done()
}

// ---------------------------------------------------------------------------------------
// Readers of public objects

/// A vault header's public fields.
#[wasm_bindgen(js_name = headerInfo)]
pub fn header_info(header: &[u8]) -> JsResult<JsValue> {
    let h = VaultHeader::from_bytes(header).map_err(core)?;
    Ok(Obj::new()
        .bytes("vaultId", h.vault_id().as_bytes())
        .set("epoch", h.epoch())
        .bytes("digest", h.digest())
        .set("policy", policy_info(h.policy()))
        .done())
}

/// A policy's fields.
#[wasm_bindgen(js_name = policyInfo)]
pub fn policy_info_of(policy: &[u8]) -> JsResult<JsValue> {
    let p = Policy::from_bytes(policy).map_err(|e| core(Error::PolicyDecode(e)))?;
    Ok(policy_info(&p))
}

fn mode_fields(o: Obj, mode: &GateMode) -> Obj {
    o.set(
        "mode",
        match mode {
            GateMode::Voprf => "voprf",
            GateMode::Poprf(_) => "poprf",
        },
    )
    .opt_bytes("info", mode.info())
}

/// A capsule's public fields.
#[wasm_bindgen(js_name = capsuleInfo)]
pub fn capsule_info(capsule: &[u8]) -> JsResult<JsValue> {
    let c = Capsule::from_bytes(capsule).map_err(core)?;
    let o = Obj::new()
        .set("holder", c.holder().get())
        .bytes("vaultId", c.vault_id().as_bytes())
        .set("epoch", c.epoch())
        .set("keyId", c.key_id())
        .set("keyVersion", c.key_version())
        .bytes("publicKey", c.pin().public_key.as_bytes())
        .set("purpose", c.purpose().name())
        .set("needsPassword", c.needs_password());
    Ok(mode_fields(o, c.mode()).done())
}

/// A sealed unit's public fields.
#[wasm_bindgen(js_name = unitInfo)]
pub fn unit_info(unit: &[u8]) -> JsResult<JsValue> {
    let u = SealedUnit::from_bytes(unit).map_err(core)?;
    let o = Obj::new()
        .bytes("vaultId", u.vault_id().as_bytes())
        .bytes("unitId", u.unit_id())
        .set("version", u.version())
        .set("gated", u.gate().is_some());
    Ok(match u.gate() {
        Some(g) => mode_fields(
            o.set("gateKeyId", g.key_id())
                .set("gateKeyVersion", g.pin().key_version),
            g.mode(),
        ),
        None => o,
    }
    .done())
}

/// A key set's versions and password-guard state.
#[wasm_bindgen(js_name = keySetInfo)]
pub fn key_set_info(key_set: &[u8]) -> JsResult<JsValue> {
    let k = KeySet::from_bytes(key_set).map_err(core)?;
    let versions: Array = k
        .versions()
        .iter()
        .map(|v| {
            Obj::new()
                .set("version", v.version())
                .set("current", v.is_current())
                .set(
                    "passwordKeys",
                    v.public_key(Purpose::PasswordCapsule, quorumkey::oprf::Mode::Voprf)
                        .is_some(),
                )
                .done()
        })
        .collect();
    let guard = match k.guard() {
        GuardStatus::Off => Obj::new().set("state", "off"),
        GuardStatus::Active {
            max_guesses,
            guesses_remaining,
        } => Obj::new()
            .set("state", "active")
            .set("maxGuesses", max_guesses)
            .set("guessesRemaining", guesses_remaining),
        GuardStatus::Burned { max_guesses } => Obj::new()
            .set("state", "burned")
            .set("maxGuesses", max_guesses)
            .set("guessesRemaining", 0),
    };
    Ok(Obj::new()
        .set("versions", versions)
        .set("newest", k.newest().map(|v| v.version()))
        .set("guard", guard.done())
        .done())
}

/// A recovery kit: `header` and copies of its `capsules`.
#[wasm_bindgen(js_name = recoveryKit)]
pub fn recovery_kit(header: &[u8], capsules: &Array) -> JsResult<Vec<u8>> {
    let header = VaultHeader::from_bytes(header).map_err(core)?;
    let capsules = required_byte_arrays(capsules, "capsules")?
        .iter()
        .map(|c| Capsule::from_bytes(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(core)?;
    Ok(RecoveryKit::new(header, capsules).map_err(core)?.to_bytes())
}

/// A recovery kit's header and capsules.
#[wasm_bindgen(js_name = recoveryKitOpen)]
pub fn recovery_kit_open(kit: &[u8]) -> JsResult<JsValue> {
    let kit = RecoveryKit::from_bytes(kit).map_err(core)?;
    let capsules: Vec<Vec<u8>> = kit.capsules().iter().map(Capsule::to_bytes).collect();
    Ok(Obj::new()
        .bytes("header", &kit.header().to_bytes())
        .set(
            "capsules",
            array_of_bytes(capsules.iter().map(Vec::as_slice)),
        )
        .done())
}

// ---------------------------------------------------------------------------------------
// Shares and cards

/// A device's share (secret): stays in WebAssembly memory until
/// [`export_secret`](Self::export_secret) hands its bytes to device storage.
#[wasm_bindgen]
pub struct DeviceShare {
    inner: VaultShare,
}

#[wasm_bindgen]
impl DeviceShare {
    /// The holder id.
    #[wasm_bindgen(getter)]
    pub fn holder(&self) -> u8 {
        self.inner.holder().get()
    }

    /// The vault id.
    #[wasm_bindgen(getter, js_name = vaultId)]
    pub fn vault_id(&self) -> Vec<u8> {
        self.inner.vault_id().as_bytes().to_vec()
    }

    /// The epoch it was dealt at.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.inner.epoch()
    }

    /// The share's encoding (secret!), for device storage only.
    #[wasm_bindgen(js_name = exportSecret)]
    pub fn export_secret(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.to_secret_bytes()[..])
    }

    /// A share read back from device storage.
    #[wasm_bindgen(js_name = fromSecretBytes)]
    pub fn from_secret_bytes(bytes: Vec<u8>) -> JsResult<DeviceShare> {
        let bytes = Zeroizing::new(bytes);
        Ok(Self {
            inner: VaultShare::from_bytes(&bytes).map_err(core)?,
        })
    }
}

/// A custodian's share card (secret).
#[wasm_bindgen]
pub struct ShareCard {
    inner: vault::ShareCard,
}

#[wasm_bindgen]
impl ShareCard {
    /// The holder id.
    #[wasm_bindgen(getter)]
    pub fn holder(&self) -> u8 {
        self.inner.share().holder().get()
    }

    /// The vault id.
    #[wasm_bindgen(getter, js_name = vaultId)]
    pub fn vault_id(&self) -> Vec<u8> {
        self.inner.share().vault_id().as_bytes().to_vec()
    }

    /// The epoch it was dealt at.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.inner.share().epoch()
    }

    /// The card's text (secret!), for printing or a QR code.
    #[wasm_bindgen(js_name = toSecretText)]
    pub fn to_secret_text(&self) -> String {
        String::from(self.inner.to_secret_text().as_str())
    }

    /// Reads a card's text (case, spaces and hyphens are ignored; the checksum is checked).
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str) -> JsResult<ShareCard> {
        Ok(Self {
            inner: vault::ShareCard::from_text(text).map_err(core)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Key servers as the client pins them

/// The key servers of an enrollment or change: for each key-server holder, the key set
/// fetched over an authenticated channel and the gate mode (VOPRF, or POPRF with `info`).
#[wasm_bindgen]
#[derive(Default)]
pub struct Servers {
    list: Vec<(HolderId, KeySet, GateMode)>,
    targets: Vec<GateTarget>,
}

#[wasm_bindgen]
impl Servers {
    /// None yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Servers {
        Self::default()
    }

    /// Key-server holder `holder` pins the newest key of `key_set`; `info` makes it POPRF.
    pub fn add(&mut self, holder: f64, key_set: &[u8], info: Option<Vec<u8>>) -> JsResult<()> {
        let holder = convert::holder(holder)?;
        let keys = KeySet::from_bytes(key_set).map_err(core)?;
        self.list.push((holder, keys, gate_mode(info)?));
        Ok(())
    }

    /// Unit gates at key server `key_id` move to the newest unit-gate key of `key_set`
    /// (a `GateTarget`); `info` makes the moved gates POPRF.
    pub fn target(&mut self, key_id: &str, key_set: &[u8], info: Option<Vec<u8>>) -> JsResult<()> {
        let (pin, mode) = unit_gate(key_set, info)?;
        self.targets.push(GateTarget {
            key_id: key_id.into(),
            pin,
            mode,
        });
        Ok(())
    }
}

impl Servers {
    fn setups(&self, password: bool) -> JsResult<Vec<KeyServerSetup>> {
        self.list
            .iter()
            .map(|(holder, keys, mode)| {
                KeyServerSetup::newest(*holder, keys, mode.clone(), password).map_err(core)
            })
            .collect()
    }
}

/// What [`KeyServerSetup::newest`] pins for key-server holder `holder` in `key_set`: the
/// newest key of the capsule's purpose (a password capsule's when `password`) and mode.
#[wasm_bindgen(js_name = keyServerSetup)]
pub fn key_server_setup(
    holder: f64,
    key_set: &[u8],
    info: Option<Vec<u8>>,
    password: bool,
) -> JsResult<JsValue> {
    let holder = convert::holder(holder)?;
    let keys = KeySet::from_bytes(key_set).map_err(core)?;
    let setup = KeyServerSetup::newest(holder, &keys, gate_mode(info)?, password).map_err(core)?;
    let purpose = if password {
        Purpose::PasswordCapsule
    } else {
        Purpose::Capsule
    };
    let o = Obj::new()
        .set("holder", setup.holder.get())
        .set("keyVersion", setup.pin.key_version)
        .set("purpose", purpose.name())
        .bytes("publicKey", setup.pin.public_key.as_bytes());
    Ok(mode_fields(o, &setup.mode).done())
}

// ---------------------------------------------------------------------------------------
// Enrollment

/// A dealt vault before its capsules are sealed (the core's `Enrollment`).
#[wasm_bindgen]
pub struct Enrollment {
    inner: Option<vault::Enrollment>,
}

#[wasm_bindgen]
impl Enrollment {
    /// Deals a new vault under the encoded `policy`.
    #[wasm_bindgen(constructor)]
    pub fn new(policy: &[u8]) -> JsResult<Enrollment> {
        let policy = Policy::from_bytes(policy).map_err(|e| core(Error::PolicyDecode(e)))?;
        let inner = vault::Enrollment::new(policy, &mut convert::rng()).map_err(core)?;
        Ok(Self { inner: Some(inner) })
    }

    fn get(&self) -> JsResult<&vault::Enrollment> {
        self.inner
            .as_ref()
            .ok_or_else(|| error::binding(CONSUMED, "this enrollment was already used"))
    }

    /// The header being enrolled.
    pub fn header(&self) -> JsResult<Vec<u8>> {
        Ok(self.get()?.header().to_bytes())
    }

    /// The password setup (`POST /v1/password`) for key server `key_id`.
    #[wasm_bindgen(js_name = passwordSetup)]
    pub fn password_setup(&self, key_id: &str, max_guesses: f64) -> JsResult<Vec<u8>> {
        let max = byte(max_guesses, "maxGuesses")?;
        Ok(self
            .get()?
            .password_setup(key_id, max)
            .map_err(core)?
            .to_bytes())
    }

    /// Blinds one gate per key-server holder; consumes the enrollment.
    #[wasm_bindgen(js_name = requestGates)]
    pub fn request_gates(
        &mut self,
        servers: &Servers,
        password: Option<Vec<u8>>,
        params: JsValue,
    ) -> JsResult<PendingEnrollment> {
        let password = PasswordArg::new(password, &params)?;
        let setups = servers.setups(password.is_some())?;
        let enrollment = take(&mut self.inner, "enrollment")?;
        let (pending, requests) = enrollment
            .request_gates(
                &setups,
                password.as_ref().map(PasswordArg::password),
                &mut convert::rng(),
            )
            .map_err(core)?;
        Ok(PendingEnrollment::new(pending, requests))
    }
}

/// An enrollment, refresh or rekey waiting for the key servers' answers.
#[wasm_bindgen]
pub struct PendingEnrollment {
    inner: Option<vault::PendingEnrollment>,
    requests: Vec<ServerRequest>,
}

impl PendingEnrollment {
    fn new(inner: vault::PendingEnrollment, requests: Vec<ServerRequest>) -> Self {
        Self {
            inner: Some(inner),
            requests,
        }
    }
}

fn responses(list: &Array) -> JsResult<Vec<GateResponse>> {
    required_byte_arrays(list, "responses")?
        .iter()
        .map(|r| GateResponse::from_bytes(r).map_err(core))
        .collect()
}

fn optional_responses(list: &Array) -> JsResult<Vec<Option<GateResponse>>> {
    byte_arrays(list, "responses")?
        .iter()
        .map(|r| {
            r.as_deref()
                .map(GateResponse::from_bytes)
                .transpose()
                .map_err(core)
        })
        .collect()
}

#[wasm_bindgen]
impl PendingEnrollment {
    /// The requests to send, in order.
    pub fn requests(&self) -> Array {
        convert::requests(&self.requests)
    }

    /// The header being enrolled.
    pub fn header(&self) -> JsResult<Vec<u8>> {
        self.inner
            .as_ref()
            .map(|p| p.header().to_bytes())
            .ok_or_else(|| error::binding(CONSUMED, "this enrollment was already finished"))
    }

    /// Completes it with `responses[i]` answering request `i`: `{header, capsules,
    /// deviceShares, cards, vault}`.
    pub fn finish(&mut self, responses: &Array) -> JsResult<JsValue> {
        let responses = self::responses(responses)?;
        let pending = take(&mut self.inner, "enrollment")?;
        let enrolled = pending
            .finish(&responses, &mut convert::rng())
            .map_err(core)?;
        Ok(enrolled_fields(enrolled).done())
    }
}

/// `{header, capsules, deviceShares, cards, vault}` of a new dealing.
fn enrolled_fields(enrolled: vault::Enrolled) -> Obj {
    let capsules: Vec<Vec<u8>> = enrolled.capsules.iter().map(Capsule::to_bytes).collect();
    let shares: Array = enrolled
        .device_shares
        .into_iter()
        .map(|inner| JsValue::from(DeviceShare { inner }))
        .collect();
    let cards: Array = enrolled
        .cards
        .into_iter()
        .map(|inner| JsValue::from(ShareCard { inner }))
        .collect();
    Obj::new()
        .bytes("header", &enrolled.header.to_bytes())
        .set(
            "capsules",
            array_of_bytes(capsules.iter().map(Vec::as_slice)),
        )
        .set("deviceShares", shares)
        .set("cards", cards)
        .set("vault", Vault::new(enrolled.vault))
}

// ---------------------------------------------------------------------------------------
// Unlock

/// Gathers what an unlock starts from: the header, shares at hand, capsules, and what the
/// caller trusts.
#[wasm_bindgen]
pub struct UnlockBuilder {
    header: VaultHeader,
    shares: Vec<VaultShare>,
    capsules: Vec<Capsule>,
    trust: Trust,
}

#[wasm_bindgen]
impl UnlockBuilder {
    /// An unlock of `header`.
    #[wasm_bindgen(constructor)]
    pub fn new(header: &[u8]) -> JsResult<UnlockBuilder> {
        Ok(Self {
            header: VaultHeader::from_bytes(header).map_err(core)?,
            shares: Vec::new(),
            capsules: Vec::new(),
            trust: Trust::new(),
        })
    }

    /// Adds a device share.
    #[wasm_bindgen(js_name = addShare)]
    pub fn add_share(&mut self, share: &DeviceShare) {
        self.shares.push(share.inner.clone());
    }

    /// Adds a share card's share.
    #[wasm_bindgen(js_name = addCard)]
    pub fn add_card(&mut self, card: &ShareCard) {
        self.shares.push(card.inner.share().clone());
    }

    /// Adds a capsule to open.
    #[wasm_bindgen(js_name = addCapsule)]
    pub fn add_capsule(&mut self, capsule: &[u8]) -> JsResult<()> {
        self.capsules
            .push(Capsule::from_bytes(capsule).map_err(core)?);
        Ok(())
    }

    /// Trusts the header with this digest.
    #[wasm_bindgen(js_name = trustHeader)]
    pub fn trust_header(&mut self, digest: &[u8]) -> JsResult<()> {
        let digest: [u8; 32] = digest
            .try_into()
            .map_err(|_| invalid("the header digest must be 32 bytes"))?;
        self.trust = std::mem::take(&mut self.trust).header(&digest);
        Ok(())
    }

    /// Trusts `key_set` as key server `key_id`'s.
    #[wasm_bindgen(js_name = trustKeySet)]
    pub fn trust_key_set(&mut self, key_id: &str, key_set: &[u8]) -> JsResult<()> {
        let keys = KeySet::from_bytes(key_set).map_err(core)?;
        self.trust = std::mem::take(&mut self.trust).key_set(key_id, keys);
        Ok(())
    }

    /// Starts the unlock (blinds the capsules' gates).
    pub fn start(&self, password: Option<Vec<u8>>) -> JsResult<Unlock> {
        let password = password.map(Zeroizing::new);
        let (inner, requests) = vault::Unlock::start(
            &self.header,
            &self.shares,
            &self.capsules,
            &self.trust,
            password.as_deref().map(Vec::as_slice),
            &mut convert::rng(),
        )
        .map_err(core)?;
        Ok(Unlock {
            inner: Some(inner),
            requests,
        })
    }
}

/// An unlock waiting for the key servers' answers.
#[wasm_bindgen]
pub struct Unlock {
    inner: Option<vault::Unlock>,
    requests: Vec<ServerRequest>,
}

#[wasm_bindgen]
impl Unlock {
    /// The requests to send, in order.
    pub fn requests(&self) -> Array {
        convert::requests(&self.requests)
    }

    /// Completes it; `responses[i]` answers request `i`, `null` for a server that refused.
    pub fn finish(&mut self, responses: &Array) -> JsResult<Vault> {
        let responses = optional_responses(responses)?;
        let unlock = take(&mut self.inner, "unlock")?;
        let vault = unlock
            .finish(&responses, &mut convert::rng())
            .map_err(core)?;
        Ok(Vault::new(vault))
    }
}

// ---------------------------------------------------------------------------------------
// The unlocked vault

/// An unlocked vault (secret): seals and opens units. Locking zeroizes its keys.
#[wasm_bindgen]
pub struct Vault {
    inner: Option<UnlockedVault>,
}

impl Vault {
    fn new(inner: UnlockedVault) -> Self {
        Self { inner: Some(inner) }
    }

    fn get(&self) -> JsResult<&UnlockedVault> {
        self.inner
            .as_ref()
            .ok_or_else(|| error::binding(LOCKED, "the vault is locked; unlock it again"))
    }
}

fn header(bytes: &[u8]) -> JsResult<VaultHeader> {
    VaultHeader::from_bytes(bytes).map_err(core)
}

fn capsules(list: &Array) -> JsResult<Vec<Capsule>> {
    required_byte_arrays(list, "capsules")?
        .iter()
        .map(|c| Capsule::from_bytes(c).map_err(core))
        .collect()
}

/// The newest unit-gate key of `key_set` and the gate mode `info` gives (POPRF with it).
fn unit_gate(key_set: &[u8], info: Option<Vec<u8>>) -> JsResult<(ServerPin, GateMode)> {
    let mode = gate_mode(info)?;
    let pin = KeySet::from_bytes(key_set)
        .map_err(core)?
        .newest_pin(Purpose::UnitGate, mode.mode())
        .ok_or_else(|| invalid("the key set has no unit-gate key"))?;
    Ok((pin, mode))
}

fn units(list: &Array) -> JsResult<Vec<SealedUnit>> {
    required_byte_arrays(list, "units")?
        .iter()
        .map(|u| SealedUnit::from_bytes(u).map_err(core))
        .collect()
}

#[wasm_bindgen]
impl Vault {
    /// The vault id.
    #[wasm_bindgen(js_name = vaultId)]
    pub fn vault_id(&self) -> JsResult<Vec<u8>> {
        Ok(self.get()?.vault_id().as_bytes().to_vec())
    }

    /// The epoch of the header it was opened with.
    pub fn epoch(&self) -> JsResult<u32> {
        Ok(self.get()?.epoch())
    }

    /// Whether it is locked.
    #[wasm_bindgen(js_name = isLocked)]
    pub fn is_locked(&self) -> bool {
        self.inner.is_none()
    }

    /// Seals `plaintext` as unit `unit_id`.
    pub fn seal(&self, unit_id: &[u8], plaintext: Vec<u8>) -> JsResult<Vec<u8>> {
        let plaintext = Zeroizing::new(plaintext);
        Ok(self
            .get()?
            .seal_unit(unit_id, &plaintext, &mut convert::rng())
            .map_err(core)?
            .to_bytes())
    }

    /// Seals `plaintext` as the next version of the unit `previous`.
    pub fn update(&self, previous: &[u8], plaintext: Vec<u8>) -> JsResult<Vec<u8>> {
        let plaintext = Zeroizing::new(plaintext);
        let previous = SealedUnit::from_bytes(previous).map_err(core)?;
        Ok(self
            .get()?
            .update_unit(&previous, &plaintext, &mut convert::rng())
            .map_err(core)?
            .to_bytes())
    }

    /// Opens a unit (without its own gate).
    pub fn open(&self, unit: &[u8]) -> JsResult<Uint8Array> {
        let unit = SealedUnit::from_bytes(unit).map_err(core)?;
        let plaintext = self.get()?.open_unit(&unit).map_err(core)?;
        Ok(Uint8Array::from(&plaintext[..]))
    }

    /// The unlock proof for key server `key_id` (secret: send it only to that server).
    #[wasm_bindgen(js_name = unlockProof)]
    pub fn unlock_proof(&self, key_id: &str) -> JsResult<Uint8Array> {
        let proof = self.get()?.unlock_proof(key_id).to_secret_bytes();
        Ok(Uint8Array::from(&proof[..]))
    }

    /// The password setup (`POST /v1/password`) for key server `key_id`: a new guard after
    /// a burn, or a first one for a vault enrolled without a password.
    #[wasm_bindgen(js_name = passwordSetup)]
    pub fn password_setup(&self, key_id: &str, max_guesses: f64) -> JsResult<Vec<u8>> {
        let max = byte(max_guesses, "maxGuesses")?;
        Ok(self
            .get()?
            .password_setup(key_id, max)
            .map_err(core)?
            .to_bytes())
    }

    /// After a rekey: replaces this vault's unlock tag at `key_id` by `next`'s.
    #[wasm_bindgen(js_name = tagChange)]
    pub fn tag_change(&self, key_id: &str, next: &Vault) -> JsResult<Uint8Array> {
        let change = self
            .get()?
            .tag_change(key_id, next.get()?)
            .to_secret_bytes();
        Ok(Uint8Array::from(&change[..]))
    }

    /// Starts sealing a unit behind its own gate at key server `key_id`, pinned to the
    /// newest unit-gate key of `key_set`.
    #[wasm_bindgen(js_name = sealGated)]
    pub fn seal_gated(
        &self,
        unit_id: &[u8],
        plaintext: Vec<u8>,
        key_id: &str,
        key_set: &[u8],
        info: Option<Vec<u8>>,
    ) -> JsResult<GatedSeal> {
        let plaintext = Zeroizing::new(plaintext);
        let (pin, mode) = unit_gate(key_set, info)?;
        let (inner, request) = self
            .get()?
            .seal_gated_unit(unit_id, &plaintext, key_id, pin, mode, &mut convert::rng())
            .map_err(core)?;
        Ok(GatedSeal {
            inner: Some(inner),
            request,
        })
    }

    /// Starts sealing `plaintext` as the next version of `previous` behind a fresh gate at
    /// key server `key_id` (the core's `update_gated_unit`).
    #[wasm_bindgen(js_name = updateGated)]
    pub fn update_gated(
        &self,
        previous: &[u8],
        plaintext: Vec<u8>,
        key_id: &str,
        key_set: &[u8],
        info: Option<Vec<u8>>,
    ) -> JsResult<GatedSeal> {
        let plaintext = Zeroizing::new(plaintext);
        let previous = SealedUnit::from_bytes(previous).map_err(core)?;
        let (pin, mode) = unit_gate(key_set, info)?;
        let (inner, request) = self
            .get()?
            .update_gated_unit(
                &previous,
                &plaintext,
                key_id,
                pin,
                mode,
                &mut convert::rng(),
            )
            .map_err(core)?;
        Ok(GatedSeal {
            inner: Some(inner),
            request,
        })
    }

    /// Starts reading units, some of them gated.
    #[wasm_bindgen(js_name = readUnits)]
    pub fn read_units(&self, units: &Array) -> JsResult<UnitRead> {
        self.get()?;
        let units = self::units(units)?;
        let (inner, requests) =
            vault::UnitRead::start(&units, &mut convert::rng()).map_err(core)?;
        Ok(UnitRead {
            inner: Some(inner),
            requests,
        })
    }

    /// Starts re-sealing `capsule` (of `header`) for key-server holder `holder` under the
    /// newest key of `key_set`, with `password` (or none).
    #[allow(clippy::too_many_arguments)]
    pub fn reseal(
        &self,
        header: &[u8],
        capsule: &[u8],
        holder: f64,
        key_set: &[u8],
        info: Option<Vec<u8>>,
        password: Option<Vec<u8>>,
        params: JsValue,
    ) -> JsResult<Reseal> {
        let header = self::header(header)?;
        let capsule = Capsule::from_bytes(capsule).map_err(core)?;
        let password = PasswordArg::new(password, &params)?;
        let mut servers = Servers::new();
        servers.add(holder, key_set, info)?;
        let setups = servers.setups(password.is_some())?;
        let setup = setups.first().ok_or_else(|| invalid("no key server"))?;
        let (inner, request) = self
            .get()?
            .reseal(
                &header,
                &capsule,
                setup,
                password.as_ref().map(PasswordArg::password),
                &mut convert::rng(),
            )
            .map_err(core)?;
        Ok(Reseal {
            inner: Some(inner),
            request,
        })
    }

    /// Starts a refresh (same secret, new shares at the next epoch; `policy` defaults to
    /// the header's).
    #[allow(clippy::too_many_arguments)]
    pub fn refresh(
        &self,
        header: &[u8],
        capsules: &Array,
        policy: Option<Vec<u8>>,
        servers: &Servers,
        password: Option<Vec<u8>>,
        params: JsValue,
    ) -> JsResult<PendingEnrollment> {
        self.change(header, capsules, policy, servers, password, params, false)
    }

    /// Starts a rekey (a new secret at the next epoch; move units with
    /// [`reencrypt_units`](Self::reencrypt_units)).
    #[allow(clippy::too_many_arguments)]
    pub fn rekey(
        &self,
        header: &[u8],
        capsules: &Array,
        policy: Option<Vec<u8>>,
        servers: &Servers,
        password: Option<Vec<u8>>,
        params: JsValue,
    ) -> JsResult<PendingEnrollment> {
        self.change(header, capsules, policy, servers, password, params, true)
    }

    /// Starts a revocation (the core's `UnlockedVault::revoke`): a rekey (new secret at the
    /// next epoch, capsules under `servers`' newest keys) and every one of `units` moved
    /// under the new root key, gated units to the unit-gate keys of `servers`' targets.
    #[allow(clippy::too_many_arguments)]
    pub fn revoke(
        &self,
        header: &[u8],
        capsules: &Array,
        policy: Option<Vec<u8>>,
        servers: &Servers,
        password: Option<Vec<u8>>,
        params: JsValue,
        units: &Array,
    ) -> JsResult<Revocation> {
        let vault = self.get()?;
        let header = self::header(header)?;
        let capsules = self::capsules(capsules)?;
        let policy = match policy {
            Some(bytes) => Policy::from_bytes(&bytes).map_err(|e| core(Error::PolicyDecode(e)))?,
            None => header.policy().clone(),
        };
        let units = self::units(units)?;
        let password = PasswordArg::new(password, &params)?;
        let setups = servers.setups(password.is_some())?;
        let (inner, requests) = vault
            .revoke(
                &header,
                &capsules,
                policy,
                &setups,
                password.as_ref().map(PasswordArg::password),
                &units,
                &servers.targets,
                &mut convert::rng(),
            )
            .map_err(core)?;
        Ok(Revocation {
            inner: Some(inner),
            requests,
        })
    }

    /// Re-encrypts `units` of `old` (the same vault before a rekey) under this vault.
    #[wasm_bindgen(js_name = reencryptUnits)]
    pub fn reencrypt_units(&self, old: &Vault, units: &Array) -> JsResult<Array> {
        let units = self::units(units)?;
        let fresh = self
            .get()?
            .reencrypt_units(old.get()?, &units, &mut convert::rng())
            .map_err(core)?;
        let bytes: Vec<Vec<u8>> = fresh.iter().map(SealedUnit::to_bytes).collect();
        Ok(array_of_bytes(bytes.iter().map(Vec::as_slice)))
    }

    /// Locks the vault: its keys are zeroized now.
    pub fn lock(&mut self) {
        if let Some(vault) = self.inner.take() {
            vault.lock();
        }
    }
}

impl Vault {
    #[allow(clippy::too_many_arguments)]
    fn change(
        &self,
        header: &[u8],
        capsules: &Array,
        policy: Option<Vec<u8>>,
        servers: &Servers,
        password: Option<Vec<u8>>,
        params: JsValue,
        rekey: bool,
    ) -> JsResult<PendingEnrollment> {
        let vault = self.get()?;
        let header = self::header(header)?;
        let capsules = self::capsules(capsules)?;
        let policy = match policy {
            Some(bytes) => Policy::from_bytes(&bytes).map_err(|e| core(Error::PolicyDecode(e)))?,
            None => header.policy().clone(),
        };
        let password = PasswordArg::new(password, &params)?;
        let setups = servers.setups(password.is_some())?;
        let password = password.as_ref().map(PasswordArg::password);
        let mut rng = convert::rng();
        let (pending, requests) = if rekey {
            vault.rekey(&header, &capsules, policy, &setups, password, &mut rng)
        } else {
            vault.refresh(&header, &capsules, policy, &setups, password, &mut rng)
        }
        .map_err(core)?;
        Ok(PendingEnrollment::new(pending, requests))
    }
}

/// Sealing a unit behind its own gate, waiting for the key server.
#[wasm_bindgen]
pub struct GatedSeal {
    inner: Option<vault::GatedSeal>,
    request: ServerRequest,
}

#[wasm_bindgen]
impl GatedSeal {
    /// The request to send.
    pub fn request(&self) -> JsValue {
        convert::request(&self.request)
    }

    /// Seals the unit with the key server's `response`.
    pub fn finish(&mut self, vault: &Vault, response: &[u8]) -> JsResult<Vec<u8>> {
        let response = GateResponse::from_bytes(response).map_err(core)?;
        let vault = vault.get()?;
        let seal = take(&mut self.inner, "gated seal")?;
        Ok(seal
            .finish(vault, &response, &mut convert::rng())
            .map_err(core)?
            .to_bytes())
    }
}

/// Reading units with their gates, waiting for the key servers.
#[wasm_bindgen]
pub struct UnitRead {
    inner: Option<vault::UnitRead>,
    requests: Vec<ServerRequest>,
}

#[wasm_bindgen]
impl UnitRead {
    /// The requests to send, in order (none if no unit is gated).
    pub fn requests(&self) -> Array {
        convert::requests(&self.requests)
    }

    /// Opens every unit: per unit, `{ok: true, plaintext}` or `{ok: false, error}`.
    pub fn finish(&mut self, vault: &Vault, responses: &Array) -> JsResult<Array> {
        let responses = optional_responses(responses)?;
        let vault = vault.get()?;
        let read = take(&mut self.inner, "unit read")?;
        let results = read.finish(vault, &responses).map_err(core)?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(plaintext) => Obj::new()
                    .set("ok", true)
                    .bytes("plaintext", &plaintext)
                    .done(),
                Err(e) => Obj::new().set("ok", false).set("error", core(e)).done(),
            })
            .collect())
    }
}

/// A capsule being re-sealed, waiting for the key server.
#[wasm_bindgen]
pub struct Reseal {
    inner: Option<vault::Reseal>,
    request: ServerRequest,
}

#[wasm_bindgen]
impl Reseal {
    /// The request to send.
    pub fn request(&self) -> JsValue {
        convert::request(&self.request)
    }

    /// The new capsule, sealed with the key server's `response`.
    pub fn finish(&mut self, response: &[u8]) -> JsResult<Vec<u8>> {
        let response = GateResponse::from_bytes(response).map_err(core)?;
        let reseal = take(&mut self.inner, "re-seal")?;
        Ok(reseal
            .finish(&response, &mut convert::rng())
            .map_err(core)?
            .to_bytes())
    }
}

/// A revocation waiting for the key servers' answers (the core's `Revocation`).
#[wasm_bindgen]
pub struct Revocation {
    inner: Option<vault::Revocation>,
    requests: Vec<ServerRequest>,
}

#[wasm_bindgen]
impl Revocation {
    /// The requests to send, in order: the new dealing's gates, then the units' reads and
    /// new gates.
    pub fn requests(&self) -> Array {
        convert::requests(&self.requests)
    }

    /// Completes it, `responses[i]` answering request `i`: `{header, capsules,
    /// deviceShares, cards, vault, units}`. All or nothing.
    pub fn finish(&mut self, responses: &Array) -> JsResult<JsValue> {
        let responses = self::responses(responses)?;
        let revocation = take(&mut self.inner, "revocation")?;
        let revoked = revocation
            .finish(&responses, &mut convert::rng())
            .map_err(core)?;
        let units: Vec<Vec<u8>> = revoked.units.iter().map(SealedUnit::to_bytes).collect();
        Ok(enrolled_fields(revoked.enrolled)
            .set("units", array_of_bytes(units.iter().map(Vec::as_slice)))
            .done())
    }
}

/// Moving units to a new root key and/or their gates to newer key versions (the core's
/// `UnitMigration`), waiting for the key servers' answers.
#[wasm_bindgen]
pub struct UnitMigration {
    inner: Option<vault::UnitMigration>,
    requests: Vec<ServerRequest>,
}

#[wasm_bindgen]
impl UnitMigration {
    /// Plans the migration of `units`: gated units at a key server with a target in
    /// `targets` move to a fresh gate at that target's key.
    #[wasm_bindgen(constructor)]
    pub fn new(units: &Array, targets: &Servers) -> JsResult<UnitMigration> {
        let units = self::units(units)?;
        let (inner, requests) =
            vault::UnitMigration::start(&units, &targets.targets, &mut convert::rng())
                .map_err(core)?;
        Ok(Self {
            inner: Some(inner),
            requests,
        })
    }

    /// The requests to send, in order (reads, then new gates).
    pub fn requests(&self) -> Array {
        convert::requests(&self.requests)
    }

    /// The moved units, from `old` (the vault they were sealed in) to `new` (the same vault,
    /// or the same vault after a rekey). All or nothing.
    pub fn finish(&mut self, old: &Vault, new: &Vault, responses: &Array) -> JsResult<Array> {
        let responses = self::responses(responses)?;
        let (old, new) = (old.get()?, new.get()?);
        let migration = take(&mut self.inner, "unit migration")?;
        let units = migration
            .finish(old, new, &responses, &mut convert::rng())
            .map_err(core)?;
        let bytes: Vec<Vec<u8>> = units.iter().map(SealedUnit::to_bytes).collect();
        Ok(array_of_bytes(bytes.iter().map(Vec::as_slice)))
    }
}

/// The latest version of each unit this client has seen (the core's `UnitIndex`): storage
/// serving an older unit is `unit_rollback`. Public, but its integrity matters: keep it in
/// device storage.
#[wasm_bindgen]
pub struct UnitIndex {
    inner: vault::UnitIndex,
}

#[wasm_bindgen]
impl UnitIndex {
    /// An empty index for the vault `vault_id` (16 bytes).
    #[wasm_bindgen(constructor)]
    pub fn new(vault_id: &[u8]) -> JsResult<UnitIndex> {
        let id: [u8; vault::VAULT_ID_LEN] = vault_id
            .try_into()
            .map_err(|_| invalid("the vault id is 16 bytes"))?;
        Ok(Self {
            inner: vault::UnitIndex::new(vault::VaultId(id)),
        })
    }

    /// An index read back from storage.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> JsResult<UnitIndex> {
        Ok(Self {
            inner: vault::UnitIndex::from_bytes(bytes).map_err(core)?,
        })
    }

    /// The vault id.
    #[wasm_bindgen(getter, js_name = vaultId)]
    pub fn vault_id(&self) -> Vec<u8> {
        self.inner.vault_id().as_bytes().to_vec()
    }

    /// The latest version seen of `unit_id`.
    pub fn latest(&self, unit_id: &[u8]) -> Option<u32> {
        self.inner.latest(unit_id)
    }

    /// Checks `unit`: `wrong_vault` for another vault's, `unit_rollback` if older than seen.
    pub fn check(&self, unit: &[u8]) -> JsResult<()> {
        let unit = SealedUnit::from_bytes(unit).map_err(core)?;
        self.inner.check(&unit).map_err(core)
    }

    /// Checks `unit`, then records its version as the latest.
    pub fn observe(&mut self, unit: &[u8]) -> JsResult<()> {
        let unit = SealedUnit::from_bytes(unit).map_err(core)?;
        self.inner.observe(&unit).map_err(core)
    }

    /// Forgets a unit deleted on purpose.
    pub fn forget(&mut self, unit_id: &[u8]) {
        self.inner.forget(unit_id);
    }

    /// The encoding (`QK 02 0D`), for device storage.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }
}
