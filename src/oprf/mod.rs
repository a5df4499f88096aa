//! RFC 9497 oblivious pseudorandom functions, suite P256-SHA256, in all three modes.
//!
//! | mode | RFC 9497 | client | server |
//! |---|---|---|---|
//! | OPRF (`0x00`) | [§3.3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.1) | [`OprfClient`] | [`ServerKey::blind_evaluate_oprf`] |
//! | VOPRF (`0x01`) | [§3.3.2](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2) | [`VoprfClient`] | [`ServerKey::blind_evaluate_voprf`] |
//! | POPRF (`0x02`) | [§3.3.3](https://www.rfc-editor.org/rfc/rfc9497#section-3.3.3) | [`PoprfClient`] | [`ServerKey::blind_evaluate_poprf`] |
//!
//! Keys come from [`ServerKey::generate`] or from RFC 9497 `DeriveKeyPair`
//! ([§3.2.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1)) via
//! [`ServerKey::derive`]. Batches (many elements, one proof; alloc) use
//! [`EvaluationRequest`] / [`EvaluationResponse`], whose byte layout is given in
//! `spec/oprf.md` and matches the `@cloudflare/voprf-ts` serialization.
//!
//! # Protocol sketch
//!
//! ```
//! # fn main() -> Result<(), quorumkey::oprf::Error> {
//! use quorumkey::oprf::{ServerKey, VoprfClient, Mode};
//! # use rand_chacha::rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
//! let server = ServerKey::derive(Mode::Voprf, &[0xa3; 32], b"user 42, key v1")?;
//! let pk = *server.public_key();
//!
//! let (state, blinded) = VoprfClient::blind(b"gate input", &mut rng)?;
//! let (evaluated, proof) = server.blind_evaluate_voprf(&blinded, &mut rng);
//! let output = state.finalize(b"gate input", &evaluated, &proof, &pk)?;
//! assert_eq!(output, server.evaluate(Mode::Voprf, b"gate input")?);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! * `alloc` (default): batches and the wire messages. Without it the single-element
//!   blind / evaluate / finalize calls remain.
//! * `precomputed-tables` (on with `std`, which key servers should enable): p256's basepoint
//!   table makes `k·G` about three times faster (proof nonce `r·G`, key generation, the POPRF
//!   tweak). See `benches/oprf.rs` for measured effects.
//! * `danger`: deterministic blinds and proof nonces for the RFC vectors. Never in
//!   production.
//!
//! # Constant time
//!
//! * **Constant time** (secret scalars): the blind `r·HashToGroup(x)` and unblinding
//!   `r⁻¹·Z`; the server's `skS·C` (and the POPRF `t⁻¹·C`); the proof nonce products `r·G`,
//!   `r·M` and the batch `k·M`; scalar inversion; output comparison.
//! * **Variable time** (public data only): proof verification (`s·G + c·B`, `s·M + c·Z`,
//!   the composite sums `Σ dᵢ·Cᵢ`, `Σ dᵢ·Dᵢ`), the prover's composite `M = Σ dᵢ·Cᵢ` and,
//!   for one element, `Z = d₀·D₀`, and the POPRF public tweak `pkS + m·G`. All of these
//!   operands are sent over the wire or derived by hashing what is; timing reveals nothing
//!   an eavesdropper does not already see.
//! * Hashing to the curve (`HashToGroup`) uses the RFC 9380 simplified SWU map as
//!   implemented by `p256`; it is constant time in the input.

mod client;
mod error;
#[cfg(feature = "alloc")]
mod message;
mod proof;
mod server;
mod suite;

pub use client::{OprfClient, PoprfClient, VoprfClient};
pub use error::Error;
#[cfg(feature = "alloc")]
pub use message::{EvaluationRequest, EvaluationResponse};
pub use proof::{PROOF_LEN, Proof};
pub use server::ServerKey;
#[cfg(feature = "danger")]
pub use suite::hash_to_curve_with_dst;
pub use suite::{SUITE_ID, context_string, hash_to_group};

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::group::{ELEMENT_LEN, ProjectivePoint, decode_element, encode_element};

/// Largest OPRF input: RFC 9497 frames it with `I2OSP(len, 2)`.
pub const MAX_INPUT_LEN: usize = u16::MAX as usize;
/// Largest POPRF / DeriveKeyPair `info`: framed with `I2OSP(len, 2)`.
pub const MAX_INFO_LEN: usize = u16::MAX as usize;
/// Largest number of elements in one batch or message. The vault unlocks up to about
/// 100 per-unit gates at once; 256 leaves room and bounds a server's work per request.
pub const MAX_BATCH: usize = 256;
/// Length of an OPRF output (SHA-256).
pub const OUTPUT_LEN: usize = 32;

/// RFC 9497 protocol mode ([§3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// Base OPRF, `0x00`: no proof.
    Oprf = 0x00,
    /// Verifiable OPRF, `0x01`: the server proves it used the key behind `pkS`.
    Voprf = 0x01,
    /// Partially oblivious PRF, `0x02`: verifiable, with public `info` bound in.
    Poprf = 0x02,
}

impl Mode {
    /// The mode's byte.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// Parses a mode byte; anything but `0x00`, `0x01`, `0x02` is [`Error::UnknownMode`].
    pub fn from_byte(byte: u8) -> Result<Self, Error> {
        match byte {
            0x00 => Ok(Self::Oprf),
            0x01 => Ok(Self::Voprf),
            0x02 => Ok(Self::Poprf),
            other => Err(Error::UnknownMode(other)),
        }
    }
}

/// A non-identity group element with its cached 33-byte encoding (hashed into proofs, so
/// encoding once saves a field inversion per use).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) point: ProjectivePoint,
    pub(crate) bytes: [u8; ELEMENT_LEN],
}

impl Element {
    pub(crate) fn from_point(point: ProjectivePoint) -> Self {
        Self {
            point,
            bytes: encode_element(&point),
        }
    }

    /// Elements for a batch of points, normalized together: one field inversion for the
    /// whole batch instead of one per point. Same bytes as [`Element::from_point`].
    #[cfg(feature = "alloc")]
    pub(crate) fn from_points(points: alloc::vec::Vec<ProjectivePoint>) -> alloc::vec::Vec<Self> {
        use p256::elliptic_curve::point::BatchNormalize;
        let affine: alloc::vec::Vec<crate::group::AffinePoint> =
            ProjectivePoint::batch_normalize(points.as_slice());
        points
            .into_iter()
            .zip(affine)
            .map(|(point, affine)| Self {
                point,
                bytes: proof::encode_affine(&affine),
            })
            .collect()
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let point = decode_element(bytes)?;
        Ok(Self {
            point,
            bytes: crate::group::exact(bytes)?,
        })
    }
}

impl AsRef<Element> for Element {
    fn as_ref(&self) -> &Element {
        self
    }
}

macro_rules! public_element {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub(crate) Element);

        impl $name {
            /// The 33-byte SEC1 compressed encoding (RFC 9497 `SerializeElement`).
            pub fn to_bytes(&self) -> [u8; ELEMENT_LEN] {
                self.0.bytes
            }

            /// The 33-byte encoding, borrowed.
            pub fn as_bytes(&self) -> &[u8; ELEMENT_LEN] {
                &self.0.bytes
            }

            /// Decodes 33 bytes: compressed, on the curve, not the identity
            /// (RFC 9497 `DeserializeElement`).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
                Element::from_bytes(bytes).map(Self)
            }
        }

        impl AsRef<Element> for $name {
            fn as_ref(&self) -> &Element {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "("))?;
                crate::group::write_hex(f, &self.0.bytes)?;
                f.write_str(")")
            }
        }
    };
}

public_element!(
    /// A blinded element `r·HashToGroup(input)`, sent by the client (public).
    BlindedElement
);
public_element!(
    /// An evaluated element, returned by the server (public).
    EvaluatedElement
);
public_element!(
    /// A server public key `pkS = skS·G`, 33 bytes (public).
    PublicKey
);

/// A 32-byte OPRF output. Secret: zeroized on drop, redacted in `Debug`, compared in
/// constant time. Read it with [`Output::as_secret_bytes`] or [`Output::to_secret_bytes`].
#[derive(Clone)]
pub struct Output([u8; OUTPUT_LEN]);

impl Output {
    pub(crate) fn new(bytes: [u8; OUTPUT_LEN]) -> Self {
        Self(bytes)
    }

    /// Borrows the secret output bytes.
    pub fn as_secret_bytes(&self) -> &[u8; OUTPUT_LEN] {
        &self.0
    }

    /// Copies the secret output bytes into a buffer that zeroizes on drop.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; OUTPUT_LEN]> {
        Zeroizing::new(self.0)
    }
}

impl ConstantTimeEq for Output {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for Output {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Output {}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Output(<redacted>)")
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Output {}
