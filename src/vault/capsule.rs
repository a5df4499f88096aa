//! Capsules: a key-server holder's share, sealed under the output of that server's blind
//! OPRF evaluation of the capsule's gate input.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::header::{VaultHeader, VaultId};
use super::share::check_binding;
use crate::Error;
use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::codec::{self, DecodeError, ObjectType, Reader};
use crate::gate::{self, GATE_INPUT_LEN, GateMode, PasswordParams, Purpose};
use crate::generic::{Output, PendingGate, PublicKey, ServerPin, ServerRequest, Share};
use crate::group::SCALAR_LEN;
use crate::kdf;
use crate::suite::Suite;

use crate::policy::KeyId;
use crate::sharing::HolderId;

/// A key-server holder's share sealed under a gate. Public: without the live key server
/// (and the password, if the gate takes one) it is ciphertext.
///
/// Key: `derive_key("quorumkey v2 capsule", oprf_output ‖ header_digest ‖ holder_id)`;
/// associated data: every byte of the encoding before the ciphertext. The pinned key
/// (version and `pkS`) travels in the capsule, so a key rotation re-seals capsules without
/// touching the header. See `spec/wire-format.md` §"Capsule".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capsule<S: Suite> {
    vault_id: VaultId,
    epoch: u32,
    holder: HolderId,
    key_id: KeyId,
    pin: ServerPin<S>,
    mode: GateMode,
    password: Option<PasswordParams>,
    gate_input: [u8; GATE_INPUT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; SCALAR_LEN + TAG_LEN],
}

fn capsule_key<S: Suite>(
    output: &Output<S>,
    header: &VaultHeader<S>,
    holder: HolderId,
) -> Zeroizing<[u8; 32]> {
    kdf::derive(
        kdf::CONTEXT_CAPSULE,
        &[
            output.as_secret_bytes().as_ref(),
            header.digest(),
            &[holder.get()],
        ],
    )
}

/// What a capsule needs before its gate is evaluated: everything but the ciphertext.
#[derive(Clone, Debug)]
pub(crate) struct CapsuleGate<S: Suite> {
    pub(crate) holder: HolderId,
    pub(crate) key_id: KeyId,
    pub(crate) pin: ServerPin<S>,
    pub(crate) mode: GateMode,
    pub(crate) password: Option<PasswordParams>,
    pub(crate) gate_input: [u8; GATE_INPUT_LEN],
}

impl<S: Suite> CapsuleGate<S> {
    /// A fresh gate (new random gate input) for key-server holder `holder` of `key_id`,
    /// behind a password stretched with `password` parameters if given.
    pub(crate) fn new<R: CryptoRng + ?Sized>(
        holder: HolderId,
        key_id: &KeyId,
        pin: &ServerPin<S>,
        mode: &GateMode,
        password: Option<PasswordParams>,
        rng: &mut R,
    ) -> Self {
        let mut gate_input = [0u8; GATE_INPUT_LEN];
        rng.fill_bytes(&mut gate_input);
        Self {
            holder,
            key_id: key_id.clone(),
            pin: pin.clone(),
            mode: mode.clone(),
            password,
            gate_input,
        }
    }

    /// The key purpose: [`Purpose::PasswordCapsule`] behind a password, else
    /// [`Purpose::Capsule`].
    pub(crate) fn purpose(&self) -> Purpose {
        match self.password {
            Some(_) => Purpose::PasswordCapsule,
            None => Purpose::Capsule,
        }
    }

    /// Blinds this gate's OPRF input: the pending evaluation and the request to send.
    pub(crate) fn start<R: CryptoRng + ?Sized>(
        &self,
        password: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<(PendingGate<S>, ServerRequest<S>), Error> {
        let input = self.oprf_input(password)?;
        let (pending, request) = PendingGate::start(
            self.purpose(),
            &self.pin,
            &self.mode,
            alloc::vec![input],
            rng,
        )?;
        let request = ServerRequest {
            holders: alloc::vec![self.holder],
            key_id: self.key_id.as_str().into(),
            request,
        };
        Ok((pending, request))
    }

    /// The OPRF input of this gate: a password is required exactly when the gate has
    /// Argon2id parameters ([`Error::PasswordPresence`] otherwise).
    pub(crate) fn oprf_input(&self, password: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, Error> {
        match (password, &self.password) {
            (None, None) => gate::oprf_input(&self.gate_input, None),
            (Some(password), Some(params)) => {
                gate::oprf_input(&self.gate_input, Some((password, params)))
            }
            _ => Err(Error::PasswordPresence {
                holder: self.holder,
            }),
        }
    }
}

impl<S: Suite> Capsule<S> {
    /// Seals `share` for `gate`, whose OPRF output is `output`.
    pub(crate) fn seal<R: CryptoRng + ?Sized>(
        header: &VaultHeader<S>,
        gate: CapsuleGate<S>,
        output: &Output<S>,
        share: &Share<S>,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if share.id() != gate.holder {
            return Err(Error::WrongHolderKind(share.id()));
        }
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut capsule = Self {
            vault_id: header.vault_id(),
            epoch: header.epoch(),
            holder: gate.holder,
            key_id: gate.key_id,
            pin: gate.pin,
            mode: gate.mode,
            password: gate.password,
            gate_input: gate.gate_input,
            nonce,
            ciphertext: [0u8; SCALAR_LEN + TAG_LEN],
        };
        let ad = capsule.header_bytes();
        let key = capsule_key(output, header, capsule.holder);
        let (body, tag_slot) = capsule.ciphertext.split_at_mut(SCALAR_LEN);
        body.copy_from_slice(&S::encode_scalar(share.as_scalar()));
        let tag = aead::seal(&key, &capsule.nonce, &ad, body).ok_or(Error::CapsuleOpen {
            holder: capsule.holder,
        })?;
        tag_slot.copy_from_slice(&tag);
        Ok(capsule)
    }

    /// Opens the capsule with its gate's OPRF output; the share is *not* yet verified
    /// against the commitments. A password capsule that does not open is
    /// [`Error::WrongPassword`] (with the guesses the server said remain), any other
    /// [`Error::CapsuleOpen`].
    pub(crate) fn open(
        &self,
        header: &VaultHeader<S>,
        output: &Output<S>,
        guesses_remaining: Option<u8>,
    ) -> Result<Share<S>, Error> {
        let opaque = match self.password {
            Some(_) => Error::WrongPassword {
                holder: self.holder,
                guesses_remaining,
            },
            None => Error::CapsuleOpen {
                holder: self.holder,
            },
        };
        let mut body = Zeroizing::new([0u8; SCALAR_LEN]);
        let (ct, tag) = self.ciphertext.split_at(SCALAR_LEN);
        body.copy_from_slice(ct);
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| opaque)?;
        let key = capsule_key(output, header, self.holder);
        if !aead::open(&key, &self.nonce, &self.header_bytes(), &mut *body, &tag) {
            return Err(opaque);
        }
        let value = crate::suite::decode_nonzero_scalar::<S>(&*body).map_err(|_| opaque)?;
        Share::new(self.holder, value).map_err(|_| opaque)
    }

    /// Checks that this capsule belongs to `header` and to one of its key-server holders
    /// with the same key id.
    pub(crate) fn check_binding(&self, header: &VaultHeader<S>) -> Result<(), Error> {
        check_binding(header, self.holder, self.vault_id, self.epoch)?;
        match header
            .policy()
            .holder(self.holder)
            .map(|h| h.kind().key_id())
        {
            Some(Some(key_id)) if key_id == self.key_id.as_str() => Ok(()),
            Some(Some(_)) => Err(Error::KeyIdMismatch {
                holder: self.holder,
            }),
            _ => Err(Error::WrongHolderKind(self.holder)),
        }
    }

    /// The gate description of this capsule.
    pub(crate) fn gate(&self) -> CapsuleGate<S> {
        CapsuleGate {
            holder: self.holder,
            key_id: self.key_id.clone(),
            pin: self.pin.clone(),
            mode: self.mode.clone(),
            password: self.password,
            gate_input: self.gate_input,
        }
    }

    /// The purpose of the key that opens it: [`Purpose::PasswordCapsule`] or
    /// [`Purpose::Capsule`].
    pub fn purpose(&self) -> Purpose {
        match self.password {
            Some(_) => Purpose::PasswordCapsule,
            None => Purpose::Capsule,
        }
    }

    /// The key-server holder whose share this is.
    pub fn holder(&self) -> HolderId {
        self.holder
    }

    /// The vault.
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }

    /// The epoch the share was dealt at.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The key server's identity.
    pub fn key_id(&self) -> &str {
        self.key_id.as_str()
    }

    /// The pinned key version.
    pub fn key_version(&self) -> u32 {
        self.pin.key_version
    }

    /// The pinned server key.
    pub fn pin(&self) -> &ServerPin<S> {
        &self.pin
    }

    /// The gate's mode.
    pub fn mode(&self) -> &GateMode {
        &self.mode
    }

    /// The gate input (public): the OPRF input is derived from it (spec §3.4).
    pub fn gate_input(&self) -> &[u8; GATE_INPUT_LEN] {
        &self.gate_input
    }

    /// Whether opening needs the user's password.
    pub fn needs_password(&self) -> bool {
        self.password.is_some()
    }

    /// The Argon2id parameters the password is stretched with, for a password capsule.
    pub fn password_params(&self) -> Option<&PasswordParams> {
        self.password.as_ref()
    }

    /// The bytes before the ciphertext: the AEAD's associated data.
    fn header_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(200);
        codec::put_prefix(&mut out, ObjectType::Capsule);
        out.extend_from_slice(&self.vault_id.0);
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.push(self.holder.get());
        self.key_id.put(&mut out);
        out.extend_from_slice(&self.pin.key_version.to_be_bytes());
        out.extend_from_slice(self.pin.public_key.as_bytes().as_ref());
        self.mode.write_to(&mut out);
        match &self.password {
            None => out.push(0),
            Some(params) => {
                out.push(1);
                params.write_to(&mut out);
            }
        }
        out.extend_from_slice(&self.gate_input);
        out.extend_from_slice(&self.nonce);
        out
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header_bytes();
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Decodes a capsule strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let capsule = Self::read(&mut r).map_err(Error::capsule)?;
        r.finish().map_err(Error::capsule)?;
        Ok(capsule)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        codec::read_prefix(r, ObjectType::Capsule)?;
        let vault_id = VaultId(r.array("vault id")?);
        let epoch = r.u32("epoch")?;
        let raw_holder = r.u8("holder id")?;
        let holder = HolderId::new(raw_holder).map_err(|_| DecodeError::UnknownValue {
            field: "holder id",
            value: raw_holder,
        })?;
        let key_id = r.text("key id")?;
        let key_version = r.u32("key version")?;
        let public_key = read_public_key(r, "server key")?;
        let mode = GateMode::read(r)?;
        let password = if r.flag("password flag")? {
            Some(PasswordParams::read(r)?)
        } else {
            None
        };
        let gate_input = r.array("gate input")?;
        let nonce = r.array("nonce")?;
        let ciphertext = r.array("ciphertext")?;
        Ok(Self {
            vault_id,
            epoch,
            holder,
            key_id,
            pin: ServerPin {
                key_version,
                public_key,
            },
            mode,
            password,
            gate_input,
            nonce,
            ciphertext,
        })
    }
}

/// Reads a server public key of suite `S` (`Ne` bytes; a group element, not the identity).
pub(crate) fn read_public_key<S: Suite>(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<PublicKey<S>, DecodeError> {
    let bytes = r.take(S::ELEMENT_LEN, field)?;
    // One strict decode (`decode_element` inside), keeping its precise error.
    PublicKey::from_bytes(bytes).map_err(|error| DecodeError::Element {
        field,
        error: match error {
            crate::oprf::Error::Encoding(error) => error,
            _ => crate::group::EncodingError::InvalidElement,
        },
    })
}
