//! Batched wire messages: [`EvaluationRequest`] and [`EvaluationResponse`].
//!
//! The layout is that of `@cloudflare/voprf-ts` (`EvaluationRequest.serialize`,
//! `Evaluation.serialize`), so a Node.js server or client using it interoperates:
//!
//! ```text
//! request  = count:u16be ‖ count × BlindedElement(Ne)
//! response = count:u16be ‖ count × EvaluatedElement(Ne) ‖ mode:u8 ‖ [c(32) ‖ s(32)]
//! ```
//!
//! `Ne` is 33 for P-256 and 32 for ristretto255.
//!
//! The proof is present exactly when `mode` is VOPRF (`0x01`) or POPRF (`0x02`).
//! Decoding is strict (voprf-ts is lenient about trailing bytes; this is not): see
//! `spec/oprf.md` for each rejection.

use alloc::vec::Vec;

use super::element::{BlindedElement, EvaluatedElement};
use super::proof::{PROOF_LEN, Proof};
use super::{Error, MAX_BATCH, Mode};
use crate::suite::Suite;

/// Reads the u16 count and checks `1 ≤ count ≤ MAX_BATCH`; returns it and the rest.
fn read_count(bytes: &[u8]) -> Result<(usize, &[u8]), Error> {
    let (head, rest) = bytes.split_first_chunk::<2>().ok_or(Error::Truncated)?;
    let count = usize::from(u16::from_be_bytes(*head));
    check_count(count)?;
    Ok((count, rest))
}

fn check_count(count: usize) -> Result<(), Error> {
    if count == 0 {
        return Err(Error::EmptyBatch);
    }
    if count > MAX_BATCH {
        return Err(Error::BatchTooLarge);
    }
    Ok(())
}

/// Splits `count` elements of `element_len` bytes off the front of `bytes`.
fn split_elements(bytes: &[u8], count: usize, element_len: usize) -> Result<(&[u8], &[u8]), Error> {
    let len = count * element_len;
    if bytes.len() < len {
        return Err(Error::Truncated);
    }
    Ok(bytes.split_at(len))
}

fn put_count(out: &mut Vec<u8>, count: usize) {
    out.extend_from_slice(&u16::try_from(count).unwrap_or(u16::MAX).to_be_bytes());
}

/// A client's request: the blinded elements, in order (1 to [`MAX_BATCH`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationRequest<S: Suite> {
    elements: Vec<BlindedElement<S>>,
}

impl<S: Suite> EvaluationRequest<S> {
    /// Builds a request; [`Error::EmptyBatch`] / [`Error::BatchTooLarge`] outside
    /// `1..=MAX_BATCH` elements.
    pub fn new(elements: Vec<BlindedElement<S>>) -> Result<Self, Error> {
        check_count(elements.len())?;
        Ok(Self { elements })
    }

    /// The blinded elements.
    pub fn elements(&self) -> &[BlindedElement<S>] {
        &self.elements
    }

    /// Number of elements (at least 1).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Always `false`: a request has at least one element.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Encodes `count:u16be ‖ elements`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.elements.len() * S::ELEMENT_LEN);
        put_count(&mut out, self.elements.len());
        for e in &self.elements {
            out.extend_from_slice(e.as_bytes().as_ref());
        }
        out
    }

    /// Strict decoding: count in `1..=MAX_BATCH`, exactly `2 + Ne·count` bytes, every
    /// element a valid non-identity point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let body = Self::elements_of(bytes)?;
        let elements = body
            .chunks_exact(S::ELEMENT_LEN)
            .map(BlindedElement::from_bytes)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { elements })
    }

    /// The element count of an encoded request, from its count and checked against its
    /// length, without decoding a point (the errors of [`from_bytes`](Self::from_bytes)
    /// except [`Error::Encoding`] of a point).
    pub fn element_count(bytes: &[u8]) -> Result<usize, Error> {
        Ok(Self::elements_of(bytes)?.len() / S::ELEMENT_LEN)
    }

    /// The elements' bytes: count in range, length exact.
    fn elements_of(bytes: &[u8]) -> Result<&[u8], Error> {
        let (count, rest) = read_count(bytes)?;
        let (body, rest) = split_elements(rest, count, S::ELEMENT_LEN)?;
        if !rest.is_empty() {
            return Err(Error::TrailingBytes);
        }
        Ok(body)
    }
}

/// A server's response: evaluated elements in request order, the mode, and for
/// VOPRF/POPRF one DLEQ proof covering all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationResponse<S: Suite> {
    mode: Mode,
    elements: Vec<EvaluatedElement<S>>,
    proof: Option<Proof<S>>,
}

impl<S: Suite> EvaluationResponse<S> {
    pub(crate) fn from_parts(
        mode: Mode,
        elements: Vec<EvaluatedElement<S>>,
        proof: Option<Proof<S>>,
    ) -> Self {
        Self {
            mode,
            elements,
            proof,
        }
    }

    /// Builds a response from parts (e.g. received through another channel). The proof
    /// must be `None` in mode OPRF and `Some` otherwise ([`Error::ProofPresence`]).
    pub fn new(
        mode: Mode,
        elements: Vec<EvaluatedElement<S>>,
        proof: Option<Proof<S>>,
    ) -> Result<Self, Error> {
        check_count(elements.len())?;
        if (mode == Mode::Oprf) != proof.is_none() {
            return Err(Error::ProofPresence);
        }
        Ok(Self::from_parts(mode, elements, proof))
    }

    /// The mode byte's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The evaluated elements, in request order.
    pub fn elements(&self) -> &[EvaluatedElement<S>] {
        &self.elements
    }

    /// The batched proof (`None` exactly in mode OPRF).
    pub fn proof(&self) -> Option<&Proof<S>> {
        self.proof.as_ref()
    }

    /// Number of elements (at least 1).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Always `false`: a response has at least one element.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Encodes `count:u16be ‖ elements ‖ mode:u8 ‖ [c ‖ s]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.elements.len() * S::ELEMENT_LEN + 1 + PROOF_LEN);
        put_count(&mut out, self.elements.len());
        for e in &self.elements {
            out.extend_from_slice(e.as_bytes().as_ref());
        }
        out.push(self.mode.to_byte());
        if let Some(p) = &self.proof {
            out.extend_from_slice(&p.to_bytes());
        }
        out
    }

    /// Strict decoding: count in `1..=MAX_BATCH`, valid non-identity elements, a known
    /// mode byte, then nothing (OPRF) or exactly a 64-byte proof with canonical scalars
    /// (VOPRF/POPRF), and no trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (count, rest) = read_count(bytes)?;
        let (body, rest) = split_elements(rest, count, S::ELEMENT_LEN)?;
        let (&mode_byte, rest) = rest.split_first().ok_or(Error::Truncated)?;
        let mode = Mode::from_byte(mode_byte)?;
        let proof = match mode {
            Mode::Oprf => {
                if !rest.is_empty() {
                    return Err(Error::TrailingBytes);
                }
                None
            }
            Mode::Voprf | Mode::Poprf => {
                if rest.len() < PROOF_LEN {
                    return Err(Error::Truncated);
                }
                if rest.len() > PROOF_LEN {
                    return Err(Error::TrailingBytes);
                }
                Some(Proof::from_bytes(rest)?)
            }
        };
        let elements = body
            .chunks_exact(S::ELEMENT_LEN)
            .map(EvaluatedElement::from_bytes)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            mode,
            elements,
            proof,
        })
    }
}
