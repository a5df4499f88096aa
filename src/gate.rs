//! Gates: the blind RFC 9497 evaluation that opens a capsule, and the messages a client and
//! a key server exchange for it.
//!
//! A gate's OPRF input is a public 32-byte *gate input* kept in the capsule, optionally
//! followed by a password digest (see [`oprf_input`]). The key server evaluates it blindly in
//! mode VOPRF, or POPRF with a public `info` label, and proves with a DLEQ proof that it used
//! the key whose public part the client pinned. Base mode OPRF is never used: an
//! unverifiable answer would let a server that lies go unnoticed until a capsule fails.
//! See `spec/protocol.md` §"Gates" and `spec/wire-format.md` §"Gate request".

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::Error;
use crate::codec::{self, DecodeError, ObjectType, Reader};
use crate::kdf;
use crate::oprf::{
    self, EvaluationRequest, EvaluationResponse, Mode, Output, PoprfClient, PublicKey, VoprfClient,
};

/// Length of a gate input.
pub const GATE_INPUT_LEN: usize = 32;
/// The longest POPRF `info` label a gate carries, in bytes.
pub const MAX_INFO_LEN: usize = 255;
/// The longest password (or PIN) a gate takes, in bytes.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// How a gate is evaluated: VOPRF, or POPRF with a public label bound into the output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GateMode {
    /// RFC 9497 VOPRF: the server learns nothing about what it evaluates.
    Voprf,
    /// RFC 9497 POPRF: `info` (1..=255 bytes) is public, bound into the output, and shown
    /// to the server (and its audit log).
    Poprf {
        /// The public label.
        info: Vec<u8>,
    },
}

impl GateMode {
    /// A POPRF gate with label `info` (1..=255 bytes).
    pub fn poprf(info: &[u8]) -> Result<Self, Error> {
        if info.is_empty() || info.len() > MAX_INFO_LEN {
            return Err(Error::InfoLength { length: info.len() });
        }
        Ok(Self::Poprf {
            info: info.to_vec(),
        })
    }

    /// The RFC 9497 mode.
    pub fn mode(&self) -> Mode {
        match self {
            Self::Voprf => Mode::Voprf,
            Self::Poprf { .. } => Mode::Poprf,
        }
    }

    /// The public info, for POPRF.
    pub fn info(&self) -> Option<&[u8]> {
        match self {
            Self::Voprf => None,
            Self::Poprf { info } => Some(info),
        }
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.mode().to_byte());
        if let Self::Poprf { info } = self {
            codec::put_short(out, info);
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("gate mode")? {
            0x01 => Ok(Self::Voprf),
            0x02 => Ok(Self::Poprf {
                info: r.short_bytes("gate info", MAX_INFO_LEN)?.to_vec(),
            }),
            value => Err(DecodeError::UnknownValue {
                field: "gate mode",
                value,
            }),
        }
    }
}

/// A key server's key as the client pins it: version and public key, obtained from the
/// app's authenticated channel (never from the key server's own response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPin {
    /// The key version.
    pub key_version: u32,
    /// The public key `pkS` for this user, version and mode.
    pub public_key: PublicKey,
}

/// Frames a gate's OPRF input: `gate_input` alone, or
/// `gate_input ‖ derive_key("quorumkey v1 password", password)` with a password.
///
/// The gate input has a fixed length, so the two forms never collide; the password is
/// digested so that its length is neither limited by the OPRF's input limit nor visible.
pub fn oprf_input(
    gate_input: &[u8; GATE_INPUT_LEN],
    password: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut input = Zeroizing::new(Vec::with_capacity(2 * GATE_INPUT_LEN));
    input.extend_from_slice(gate_input);
    if let Some(password) = password {
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
            return Err(Error::PasswordLength {
                length: password.len(),
            });
        }
        input.extend_from_slice(&*kdf::derive(kdf::CONTEXT_PASSWORD, &[password]));
    }
    Ok(input)
}

/// A client's request for one key server: key version, mode, and the blinded elements.
///
/// Encoding: `QK 01 05 ‖ key_version (u32) ‖ mode (1) ‖ [info (1-byte length ‖ bytes)] ‖
/// RFC 9497 evaluation request (see `spec/oprf.md`)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRequest {
    key_version: u32,
    mode: GateMode,
    request: EvaluationRequest,
}

impl GateRequest {
    /// The key version the client pinned.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The mode (and POPRF info).
    pub fn mode(&self) -> &GateMode {
        &self.mode
    }

    /// The blinded elements.
    pub fn evaluation_request(&self) -> &EvaluationRequest {
        &self.request
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        codec::put_prefix(&mut out, ObjectType::GateRequest);
        out.extend_from_slice(&self.key_version.to_be_bytes());
        self.mode.write_to(&mut out);
        out.extend_from_slice(&self.request.to_bytes());
        out
    }

    /// Decodes a request strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::GateRequest).map_err(Error::gate_request)?;
        let key_version = r.u32("key version").map_err(Error::gate_request)?;
        let mode = GateMode::read(&mut r).map_err(Error::gate_request)?;
        let request = EvaluationRequest::from_bytes(r.rest()).map_err(Error::Oprf)?;
        Ok(Self {
            key_version,
            mode,
            request,
        })
    }
}

/// A key server's response: the key version used and the RFC 9497 evaluation with proof.
///
/// Encoding: `QK 01 06 ‖ key_version (u32) ‖ RFC 9497 evaluation response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateResponse {
    key_version: u32,
    response: EvaluationResponse,
}

impl GateResponse {
    pub(crate) fn new(key_version: u32, response: EvaluationResponse) -> Self {
        Self {
            key_version,
            response,
        }
    }

    /// The key version the server used.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The evaluated elements and proof.
    pub fn evaluation_response(&self) -> &EvaluationResponse {
        &self.response
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        codec::put_prefix(&mut out, ObjectType::GateResponse);
        out.extend_from_slice(&self.key_version.to_be_bytes());
        out.extend_from_slice(&self.response.to_bytes());
        out
    }

    /// Decodes a response strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::GateResponse).map_err(Error::gate_response)?;
        let key_version = r.u32("key version").map_err(Error::gate_response)?;
        let response = EvaluationResponse::from_bytes(r.rest()).map_err(Error::Oprf)?;
        Ok(Self {
            key_version,
            response,
        })
    }
}

enum Clients {
    Voprf(Vec<VoprfClient>),
    Poprf(Vec<PoprfClient>),
}

/// The client side of one gate evaluation (a batch of inputs for one server key), waiting
/// for the server's response. Single use: [`finish`](Self::finish) consumes it.
pub(crate) struct PendingGate {
    pin: ServerPin,
    mode: GateMode,
    inputs: Vec<Zeroizing<Vec<u8>>>,
    clients: Clients,
}

impl PendingGate {
    /// Blinds `inputs` for the pinned key.
    pub(crate) fn start<R: CryptoRng + ?Sized>(
        pin: &ServerPin,
        mode: &GateMode,
        inputs: Vec<Zeroizing<Vec<u8>>>,
        rng: &mut R,
    ) -> Result<(Self, GateRequest), Error> {
        let (clients, blinded) = match mode {
            GateMode::Voprf => {
                let (clients, blinded) =
                    VoprfClient::blind_batch(&inputs, rng).map_err(Error::Oprf)?;
                (Clients::Voprf(clients), blinded)
            }
            GateMode::Poprf { info } => {
                let (clients, blinded) =
                    PoprfClient::blind_batch(&inputs, info, &pin.public_key, rng)
                        .map_err(Error::Oprf)?;
                (Clients::Poprf(clients), blinded)
            }
        };
        let request = GateRequest {
            key_version: pin.key_version,
            mode: mode.clone(),
            request: EvaluationRequest::new(blinded).map_err(Error::Oprf)?,
        };
        let pending = Self {
            pin: pin.clone(),
            mode: mode.clone(),
            inputs,
            clients,
        };
        Ok((pending, request))
    }

    /// Verifies the response against the pinned key and unblinds every output.
    ///
    /// Every failure (wrong key version, wrong size, bad proof, a response to another
    /// request) is reported as the opaque [`oprf::Error::Verify`]: the caller names the
    /// holder, and nothing more is said.
    pub(crate) fn finish(self, response: &GateResponse) -> Result<Vec<Output>, oprf::Error> {
        if response.key_version != self.pin.key_version {
            return Err(oprf::Error::Verify);
        }
        let evaluation = &response.response;
        let outputs = match (self.clients, &self.mode) {
            (Clients::Voprf(clients), GateMode::Voprf) => {
                VoprfClient::finalize_batch(clients, &self.inputs, evaluation, &self.pin.public_key)
            }
            (Clients::Poprf(clients), GateMode::Poprf { info }) => {
                PoprfClient::finalize_batch(clients, &self.inputs, info, evaluation)
            }
            _ => Err(oprf::Error::Verify),
        };
        outputs.map_err(|_| oprf::Error::Verify)
    }
}

/// A request the app must deliver to a key server, and whose answer it hands back in the
/// same position (see [`crate::vault::Enrollment::finish`], [`crate::vault::Unlock::finish`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRequest {
    /// The key-server holders whose gates this request evaluates.
    pub holders: Vec<crate::sharing::HolderId>,
    /// The key server's identity, from the policy: where to send the request.
    pub key_id: alloc::string::String,
    /// The request.
    pub request: GateRequest,
}
