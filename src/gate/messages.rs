//! The gate messages and the client's pending evaluation, generic over the suite.

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{GateMode, MAX_INFO_LEN, Purpose, check_budget};
use crate::Error;
use crate::codec::{self, ObjectType, Reader};
use crate::generic::{
    EvaluationRequest, EvaluationResponse, Output, PoprfClient, PublicKey, VoprfClient,
};
use crate::oprf;
use crate::suite::Suite;

/// A key server's key as the client pins it: version and public key for one purpose and
/// mode, obtained from the key server's key set over an authenticated channel (never from
/// an evaluation response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPin<S: Suite> {
    /// The key version.
    pub key_version: u32,
    /// The public key `pkS` for this user, version, purpose and mode.
    pub public_key: PublicKey<S>,
}

/// A client's request to one key server: purpose, key version, mode, and the blinded
/// elements (at most the purpose's [element budget](Purpose::element_budget)).
///
/// Encoding: `QK 02 05 ‖ suite (1) ‖ purpose (1) ‖ key_version (u32) ‖ mode (1) ‖ [info
/// (1-byte length ‖ bytes)] ‖ RFC 9497 evaluation request (see `spec/oprf.md`)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRequest<S: Suite> {
    purpose: Purpose,
    key_version: u32,
    mode: GateMode,
    request: EvaluationRequest<S>,
}

impl<S: Suite> GateRequest<S> {
    /// The purpose of the key asked for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The key version the client pinned.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The mode (and POPRF info).
    pub fn mode(&self) -> &GateMode {
        &self.mode
    }

    /// The blinded elements.
    pub fn evaluation_request(&self) -> &EvaluationRequest<S> {
        &self.request
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(12 + MAX_INFO_LEN + 2 + self.request.len() * S::ELEMENT_LEN);
        codec::put_prefix(&mut out, ObjectType::GateRequest);
        out.push(S::ID.to_byte());
        out.push(self.purpose.to_byte());
        out.extend_from_slice(&self.key_version.to_be_bytes());
        self.mode.write_to(&mut out);
        out.extend_from_slice(&self.request.to_bytes());
        out
    }

    /// The purpose and element count of an encoded request, read from its header and
    /// checked against its length, without decoding a point: what a key server's rate
    /// limiter charges before the evaluation decodes the request in full. For bytes that
    /// [`from_bytes`](Self::from_bytes) accepts it gives the same purpose and count; it
    /// accepts some that `from_bytes` refuses (a point that does not decode), never the
    /// other way round.
    pub fn peek(bytes: &[u8]) -> Result<(Purpose, usize), Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::GateRequest).map_err(Error::gate_request)?;
        codec::read_suite::<S>(&mut r).map_err(Error::gate_request)?;
        let purpose = Purpose::from_byte(r.u8("purpose").map_err(Error::gate_request)?)
            .map_err(Error::gate_request)?;
        r.u32("key version").map_err(Error::gate_request)?;
        GateMode::read(&mut r).map_err(Error::gate_request)?;
        let count = EvaluationRequest::<S>::element_count(r.rest()).map_err(Error::Oprf)?;
        check_budget(purpose, count)?;
        Ok((purpose, count))
    }

    /// Decodes a request strictly, including the purpose's element budget
    /// ([`Error::ElementBudget`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::GateRequest).map_err(Error::gate_request)?;
        codec::read_suite::<S>(&mut r).map_err(Error::gate_request)?;
        let purpose = Purpose::from_byte(r.u8("purpose").map_err(Error::gate_request)?)
            .map_err(Error::gate_request)?;
        let key_version = r.u32("key version").map_err(Error::gate_request)?;
        let mode = GateMode::read(&mut r).map_err(Error::gate_request)?;
        let request = EvaluationRequest::from_bytes(r.rest()).map_err(Error::Oprf)?;
        check_budget(purpose, request.len())?;
        Ok(Self {
            purpose,
            key_version,
            mode,
            request,
        })
    }
}

/// A key server's response: the purpose and key version used, for a password capsule the
/// guesses left, and the RFC 9497 evaluation with its proof.
///
/// Encoding: `QK 02 06 ‖ suite (1) ‖ purpose (1) ‖ key_version (u32) ‖ [guesses_remaining
/// (1), password capsules only] ‖ RFC 9497 evaluation response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateResponse<S: Suite> {
    purpose: Purpose,
    key_version: u32,
    guesses_remaining: Option<u8>,
    response: EvaluationResponse<S>,
}

impl<S: Suite> GateResponse<S> {
    pub(crate) fn new(
        purpose: Purpose,
        key_version: u32,
        guesses_remaining: Option<u8>,
        response: EvaluationResponse<S>,
    ) -> Self {
        Self {
            purpose,
            key_version,
            guesses_remaining,
            response,
        }
    }

    /// The purpose of the key used.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The key version the server used.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// For a password capsule: the guesses left after this one (0: the password key is
    /// now burned, and this was the last answer it will ever give).
    pub fn guesses_remaining(&self) -> Option<u8> {
        self.guesses_remaining
    }

    /// The evaluated elements and proof.
    pub fn evaluation_response(&self) -> &EvaluationResponse<S> {
        &self.response
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(11 + 2 + self.response.len() * S::ELEMENT_LEN + 1 + oprf::PROOF_LEN);
        codec::put_prefix(&mut out, ObjectType::GateResponse);
        out.push(S::ID.to_byte());
        out.push(self.purpose.to_byte());
        out.extend_from_slice(&self.key_version.to_be_bytes());
        if let Some(left) = self.guesses_remaining {
            out.push(left);
        }
        out.extend_from_slice(&self.response.to_bytes());
        out
    }

    /// Decodes a response strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        codec::read_prefix(&mut r, ObjectType::GateResponse).map_err(Error::gate_response)?;
        codec::read_suite::<S>(&mut r).map_err(Error::gate_response)?;
        let purpose = Purpose::from_byte(r.u8("purpose").map_err(Error::gate_response)?)
            .map_err(Error::gate_response)?;
        let key_version = r.u32("key version").map_err(Error::gate_response)?;
        let guesses_remaining = match purpose {
            Purpose::PasswordCapsule => {
                Some(r.u8("guesses remaining").map_err(Error::gate_response)?)
            }
            Purpose::Capsule | Purpose::UnitGate => None,
        };
        let response = EvaluationResponse::from_bytes(r.rest()).map_err(Error::Oprf)?;
        check_budget(purpose, response.len())?;
        Ok(Self {
            purpose,
            key_version,
            guesses_remaining,
            response,
        })
    }
}

enum Clients<S: Suite> {
    Voprf(Vec<VoprfClient<S>>),
    Poprf(Vec<PoprfClient<S>>),
}

/// The client side of one gate evaluation (a batch of inputs for one server key), waiting
/// for the server's response. Single use: [`finish`](Self::finish) consumes it.
pub(crate) struct PendingGate<S: Suite> {
    purpose: Purpose,
    pin: ServerPin<S>,
    mode: GateMode,
    inputs: Vec<Zeroizing<Vec<u8>>>,
    clients: Clients<S>,
}

impl<S: Suite> PendingGate<S> {
    /// Blinds `inputs` (at most the purpose's element budget) for the pinned key.
    pub(crate) fn start<R: CryptoRng + ?Sized>(
        purpose: Purpose,
        pin: &ServerPin<S>,
        mode: &GateMode,
        inputs: Vec<Zeroizing<Vec<u8>>>,
        rng: &mut R,
    ) -> Result<(Self, GateRequest<S>), Error> {
        check_budget(purpose, inputs.len())?;
        let (clients, blinded) = match mode {
            GateMode::Voprf => {
                let (clients, blinded) =
                    VoprfClient::blind_batch(&inputs, rng).map_err(Error::Oprf)?;
                (Clients::Voprf(clients), blinded)
            }
            GateMode::Poprf(info) => {
                let (clients, blinded) =
                    PoprfClient::blind_batch(&inputs, info.as_bytes(), &pin.public_key, rng)
                        .map_err(Error::Oprf)?;
                (Clients::Poprf(clients), blinded)
            }
        };
        let request = GateRequest {
            purpose,
            key_version: pin.key_version,
            mode: mode.clone(),
            request: EvaluationRequest::new(blinded).map_err(Error::Oprf)?,
        };
        let pending = Self {
            purpose,
            pin: pin.clone(),
            mode: mode.clone(),
            inputs,
            clients,
        };
        Ok((pending, request))
    }

    /// Verifies the response against the pinned key and unblinds every output.
    ///
    /// Every failure (wrong purpose or key version, wrong size, bad proof, a response to
    /// another request) is reported as the opaque [`oprf::Error::Verify`]: the caller names
    /// the holder, and nothing more is said.
    pub(crate) fn finish(self, response: &GateResponse<S>) -> Result<Vec<Output<S>>, oprf::Error> {
        if response.key_version != self.pin.key_version || response.purpose != self.purpose {
            return Err(oprf::Error::Verify);
        }
        let evaluation = &response.response;
        let outputs = match (self.clients, &self.mode) {
            (Clients::Voprf(clients), GateMode::Voprf) => {
                VoprfClient::finalize_batch(clients, &self.inputs, evaluation, &self.pin.public_key)
            }
            (Clients::Poprf(clients), GateMode::Poprf(info)) => {
                PoprfClient::finalize_batch(clients, &self.inputs, info.as_bytes(), evaluation)
            }
            _ => Err(oprf::Error::Verify),
        };
        outputs.map_err(|_| oprf::Error::Verify)
    }
}

/// A request the app must deliver to a key server, and whose answer it hands back in the
/// same position (see [`PendingEnrollment::finish`](crate::generic::PendingEnrollment::finish),
/// [`Unlock::finish`](crate::generic::Unlock::finish)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRequest<S: Suite> {
    /// The key-server holders whose gates this request evaluates (empty for unit gates).
    pub holders: Vec<crate::sharing::HolderId>,
    /// The key server's identity, from the policy or the unit gate: where to send the
    /// request.
    pub key_id: alloc::string::String,
    /// The request.
    pub request: GateRequest<S>,
}
