//! Gates: the blind RFC 9497 evaluation that opens a capsule or a gated unit, and the
//! messages a client and a key server exchange for it.
//!
//! A gate's OPRF input is a public 32-byte *gate input* kept in the capsule (or unit),
//! optionally followed by the user's password stretched with Argon2id (see [`oprf_input`]).
//! The key server evaluates it blindly in mode VOPRF, or POPRF with a public `info` label,
//! under the key of the request's [`Purpose`], and proves with a DLEQ proof that it used the
//! key the client pinned. Base mode OPRF is never used: an unverifiable answer would let a
//! server that lies go unnoticed until a capsule fails.
//!
//! See `spec/protocol.md` §3.4 (capsules), §6 (the password factor) and
//! `spec/wire-format.md` §7 (gate request and response).

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::Error;
use crate::codec::{DecodeError, Reader, Short};
use crate::oprf::{MAX_BATCH, Mode};

pub(crate) mod messages;

/// Length of a gate input.
pub const GATE_INPUT_LEN: usize = 32;
/// The longest POPRF `info` label a gate carries, in bytes.
pub const MAX_INFO_LEN: usize = 255;
/// The longest password (or PIN) a gate takes, in bytes.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Length of a password after Argon2id stretching.
pub const STRETCHED_PASSWORD_LEN: usize = 32;

/// What a key-server key is for. Every purpose has its own key (RFC 9497 `DeriveKeyPair`
/// binds it), and a request names its purpose, so no request for one purpose is ever
/// answered with another purpose's key. See `spec/protocol.md` §3.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Purpose {
    /// A capsule without a password: any number of elements per request.
    Capsule = 0x01,
    /// A capsule behind the user's password: **one element per request, and every request
    /// is a counted guess** (the key server's guess counter, burned after `max_guesses`).
    PasswordCapsule = 0x02,
    /// A per-unit gate: any number of elements per request.
    UnitGate = 0x03,
}

impl Purpose {
    /// Every purpose, in byte order.
    pub const ALL: [Self; 3] = [Self::Capsule, Self::PasswordCapsule, Self::UnitGate];

    /// The purpose's byte.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// Parses a purpose byte.
    pub fn from_byte(byte: u8) -> Result<Self, DecodeError> {
        match byte {
            0x01 => Ok(Self::Capsule),
            0x02 => Ok(Self::PasswordCapsule),
            0x03 => Ok(Self::UnitGate),
            value => Err(DecodeError::UnknownValue {
                field: "purpose",
                value,
            }),
        }
    }

    /// The most elements one request of this purpose may carry: 1 for
    /// [`Purpose::PasswordCapsule`] (one request, one guess), [`MAX_BATCH`] otherwise.
    pub fn element_budget(self) -> usize {
        match self {
            Self::PasswordCapsule => 1,
            Self::Capsule | Self::UnitGate => MAX_BATCH,
        }
    }

    /// A short stable name (`capsule`, `password_capsule`, `unit_gate`), for logs and
    /// metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Capsule => "capsule",
            Self::PasswordCapsule => "password_capsule",
            Self::UnitGate => "unit_gate",
        }
    }
}

/// A POPRF gate's public label: 1..=255 bytes, bound into the output and shown to the key
/// server (and its audit log). Made only through [`GateMode::poprf`], so it always fits
/// its wire field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Info(Short<MAX_INFO_LEN>);

impl Info {
    /// The label's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// How a gate is evaluated: VOPRF, or POPRF with a public label bound into the output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GateMode {
    /// RFC 9497 VOPRF: the server learns nothing about what it evaluates.
    Voprf,
    /// RFC 9497 POPRF: the label is public, bound into the output, and shown to the server.
    /// Build it with [`GateMode::poprf`].
    Poprf(Info),
}

impl GateMode {
    /// A POPRF gate with label `info` (1..=255 bytes; [`Error::InfoLength`] otherwise).
    pub fn poprf(info: &[u8]) -> Result<Self, Error> {
        Short::new("gate info", info)
            .map(|s| Self::Poprf(Info(s)))
            .map_err(|_| Error::InfoLength { length: info.len() })
    }

    /// The RFC 9497 mode.
    pub fn mode(&self) -> Mode {
        match self {
            Self::Voprf => Mode::Voprf,
            Self::Poprf(_) => Mode::Poprf,
        }
    }

    /// The public info, for POPRF.
    pub fn info(&self) -> Option<&[u8]> {
        match self {
            Self::Voprf => None,
            Self::Poprf(info) => Some(info.as_bytes()),
        }
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.mode().to_byte());
        if let Self::Poprf(info) = self {
            info.0.put(out);
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("gate mode")? {
            0x01 => Ok(Self::Voprf),
            0x02 => Ok(Self::Poprf(Info(r.short("gate info")?))),
            value => Err(DecodeError::UnknownValue {
                field: "gate mode",
                value,
            }),
        }
    }
}

/// Argon2id parameters (RFC 9106, version 0x13, 32-byte output) for stretching a password
/// before it is blinded. They travel in the capsule, inside its associated data.
///
/// Floors (refused below): 19 MiB of memory and 2 passes, OWASP's minimum for Argon2id.
/// Ceilings (refused above, so a tampered capsule cannot make a client allocate without
/// bound): 1 GiB, 16 passes, 16 lanes. Default: 64 MiB, 3 passes, 1 lane (RFC 9106 §4's
/// second recommended option, with one lane because browsers compute lanes one after the
/// other). See `spec/protocol.md` §6 for the measurements behind the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PasswordParams {
    memory_kib: u32,
    iterations: u32,
    lanes: u8,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl PasswordParams {
    /// The default: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        memory_kib: 64 * 1024,
        iterations: 3,
        lanes: 1,
    };
    /// The least memory accepted, in KiB (19 MiB).
    pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
    /// The most memory accepted, in KiB (1 GiB).
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// The fewest passes accepted.
    pub const MIN_ITERATIONS: u32 = 2;
    /// The most passes accepted.
    pub const MAX_ITERATIONS: u32 = 16;
    /// The most lanes accepted.
    pub const MAX_LANES: u8 = 16;

    /// Checks the parameters against the floors and ceilings
    /// ([`Error::PasswordParams`] otherwise).
    pub fn new(memory_kib: u32, iterations: u32, lanes: u8) -> Result<Self, Error> {
        let params = Self {
            memory_kib,
            iterations,
            lanes,
        };
        params.check().map_err(|_| Error::PasswordParams {
            memory_kib,
            iterations,
            lanes,
        })?;
        Ok(params)
    }

    fn check(&self) -> Result<(), DecodeError> {
        let range = |field, value: u32, min: u32, max: u32| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(DecodeError::OutOfRange {
                    field,
                    value,
                    min,
                    max,
                })
            }
        };
        range(
            "argon2 memory",
            self.memory_kib,
            Self::MIN_MEMORY_KIB,
            Self::MAX_MEMORY_KIB,
        )?;
        range(
            "argon2 passes",
            self.iterations,
            Self::MIN_ITERATIONS,
            Self::MAX_ITERATIONS,
        )?;
        range(
            "argon2 lanes",
            u32::from(self.lanes),
            1,
            u32::from(Self::MAX_LANES),
        )
    }

    /// Memory in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over memory (Argon2's `t`).
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes (Argon2's `p`).
    pub fn lanes(&self) -> u8 {
        self.lanes
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.push(self.lanes);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let params = Self {
            memory_kib: r.u32("argon2 memory")?,
            iterations: r.u32("argon2 passes")?,
            lanes: r.u8("argon2 lanes")?,
        };
        params.check()?;
        Ok(params)
    }

    /// `Argon2id(password, salt, m, t, p)` with a 32-byte output.
    ///
    /// Errors: [`Error::PasswordLength`] for an empty password or one over
    /// [`MAX_PASSWORD_LEN`] bytes; [`Error::PasswordStretch`] if the memory could not be
    /// allocated.
    pub fn stretch(
        &self,
        password: &[u8],
        salt: &[u8; GATE_INPUT_LEN],
    ) -> Result<Zeroizing<[u8; STRETCHED_PASSWORD_LEN]>, Error> {
        check_password(password)?;
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            u32::from(self.lanes),
            Some(STRETCHED_PASSWORD_LEN),
        )
        .map_err(|_| Error::PasswordStretch)?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; STRETCHED_PASSWORD_LEN]);
        argon
            .hash_password_into(password, salt, &mut *out)
            .map_err(|_| Error::PasswordStretch)?;
        Ok(out)
    }
}

fn check_password(password: &[u8]) -> Result<(), Error> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err(Error::PasswordLength {
            length: password.len(),
        });
    }
    Ok(())
}

/// Frames a gate's OPRF input: `gate_input` alone, or, with a password,
/// `gate_input ‖ Argon2id(password, salt = gate_input, params)` (64 bytes).
///
/// The gate input has a fixed length, so the two forms never collide.
pub fn oprf_input(
    gate_input: &[u8; GATE_INPUT_LEN],
    password: Option<(&[u8], &PasswordParams)>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut input = Zeroizing::new(Vec::with_capacity(GATE_INPUT_LEN + STRETCHED_PASSWORD_LEN));
    input.extend_from_slice(gate_input);
    if let Some((password, params)) = password {
        input.extend_from_slice(&*params.stretch(password, gate_input)?);
    }
    Ok(input)
}

pub(crate) fn check_budget(purpose: Purpose, found: usize) -> Result<(), Error> {
    let max = purpose.element_budget();
    if found > max {
        return Err(Error::ElementBudget {
            purpose,
            max,
            found,
        });
    }
    Ok(())
}

/// The suite-dependent names of this module, for one suite.
macro_rules! suite_gate {
    ($suite:ty, $name:literal) => {
        #[doc = concat!("A key server's key as the client pins it (", $name, ").")]
        pub type ServerPin = $crate::generic::ServerPin<$suite>;
        #[doc = concat!("A client's request to one key server (", $name, ").")]
        pub type GateRequest = $crate::generic::GateRequest<$suite>;
        #[doc = concat!("A key server's response (", $name, ").")]
        pub type GateResponse = $crate::generic::GateResponse<$suite>;
        #[doc = concat!("A request the app must deliver to a key server (", $name, ").")]
        pub type ServerRequest = $crate::generic::ServerRequest<$suite>;
    };
}
#[cfg(feature = "ristretto255")]
pub(crate) use suite_gate;

suite_gate!(crate::suite::P256, "P-256");
