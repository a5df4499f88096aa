//! RFC 9497 oblivious pseudorandom functions in all three modes, for suite P256-SHA256
//! (this module's types) and ristretto255-SHA512 (the same names in
//! `quorumkey::ristretto255::oprf`, feature `ristretto255`). The code is written once,
//! generic over [`Suite`](crate::suite::Suite) ([`crate::generic`]).
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
//!   implemented by `p256`, or the RFC 9496 one-way map of `curve25519-dalek` for
//!   ristretto255; both are constant time in the input.
//! * The same split holds in both suites: the suite trait names each operation's timing
//!   ([`Suite`](crate::suite::Suite), "Constant time"). In ristretto255 the constant-time
//!   products use `curve25519-dalek`'s constant-time windowed multiplication and basepoint
//!   table, the variable-time ones its Straus/Pippenger multiscalar multiplication.

pub(crate) mod client;
pub(crate) mod element;
mod error;
#[cfg(feature = "alloc")]
pub(crate) mod message;
pub(crate) mod proof;
pub(crate) mod server;
pub(crate) mod suite;

pub(crate) use element::Element;
pub use error::Error;
pub use proof::PROOF_LEN;

use crate::suite::P256;

/// Largest OPRF input: RFC 9497 frames it with `I2OSP(len, 2)`.
pub const MAX_INPUT_LEN: usize = u16::MAX as usize;
/// Largest POPRF / DeriveKeyPair `info`: framed with `I2OSP(len, 2)`.
pub const MAX_INFO_LEN: usize = u16::MAX as usize;
/// Largest number of elements in one batch or message. The vault unlocks up to about
/// 100 per-unit gates at once; 256 leaves room and bounds a server's work per request.
pub const MAX_BATCH: usize = 256;

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

/// The suite-dependent names of this module, for one suite: written once, instantiated
/// here for P-256 and in `quorumkey::ristretto255::oprf` for ristretto255.
macro_rules! suite_oprf {
    ($suite:ty, $name:literal, $element_len:literal, $output_len:literal, $context_len:literal) => {
        /// The RFC 9497 suite identifier.
        pub const SUITE_ID: &str = <$suite as $crate::suite::Suite>::IDENTIFIER;
        /// Length of an OPRF output (`Nh`).
        pub const OUTPUT_LEN: usize = $output_len;
        /// Length of an encoded element (`Ne`).
        pub const ELEMENT_LEN: usize = $element_len;

        #[doc = concat!("A blinded element `r·HashToGroup(input)`, sent by the client (public; ", $name, ").")]
        pub type BlindedElement = $crate::generic::BlindedElement<$suite>;
        #[doc = concat!("An evaluated element, returned by the server (public; ", $name, ").")]
        pub type EvaluatedElement = $crate::generic::EvaluatedElement<$suite>;
        #[doc = concat!("A server public key `pkS = skS·G` (public; ", $name, ").")]
        pub type PublicKey = $crate::generic::PublicKey<$suite>;
        #[doc = concat!("An OPRF output, ", stringify!($output_len), " bytes (secret; ", $name, ").")]
        pub type Output = $crate::generic::Output<$suite>;
        #[doc = concat!("A DLEQ proof `(c, s)` (", $name, ").")]
        pub type Proof = $crate::generic::Proof<$suite>;
        #[doc = concat!("An OPRF server key pair `(skS, pkS)` (secret; ", $name, ").")]
        pub type ServerKey = $crate::generic::ServerKey<$suite>;
        #[doc = concat!("Client of the base OPRF mode (", $name, ").")]
        pub type OprfClient = $crate::generic::OprfClient<$suite>;
        #[doc = concat!("Client of the verifiable mode (", $name, ").")]
        pub type VoprfClient = $crate::generic::VoprfClient<$suite>;
        #[doc = concat!("Client of the partially oblivious mode (", $name, ").")]
        pub type PoprfClient = $crate::generic::PoprfClient<$suite>;
        #[cfg(feature = "alloc")]
        #[doc = concat!("A batched evaluation request (", $name, ").")]
        pub type EvaluationRequest = $crate::generic::EvaluationRequest<$suite>;
        #[cfg(feature = "alloc")]
        #[doc = concat!("A batched evaluation response (", $name, ").")]
        pub type EvaluationResponse = $crate::generic::EvaluationResponse<$suite>;

        /// `contextString = "OPRFV1-" ‖ I2OSP(mode, 1) ‖ "-" ‖ identifier`
        /// ([RFC 9497 §3.1](https://www.rfc-editor.org/rfc/rfc9497#section-3.1)).
        pub fn context_string(mode: $crate::oprf::Mode) -> [u8; $context_len] {
            let mut out = [0u8; $context_len];
            out.copy_from_slice($crate::oprf::suite::Context::new::<$suite>(mode).as_bytes());
            out
        }

        /// `HashToGroup(input)` with `DST = "HashToGroup-" ‖ contextString`; fails with
        /// [`Error::InvalidInput`]($crate::oprf::Error::InvalidInput) if the result is the
        /// identity (RFC 9497 §3.3.1).
        pub fn hash_to_group(
            mode: $crate::oprf::Mode,
            input: &[u8],
        ) -> Result<<$suite as $crate::suite::Suite>::Point, $crate::oprf::Error> {
            $crate::generic::hash_to_group::<$suite>(mode, input)
        }
    };
}
#[cfg(feature = "ristretto255")]
pub(crate) use suite_oprf;

suite_oprf!(P256, "P-256", 33, 32, 20);

#[cfg(feature = "danger")]
pub use suite::hash_to_curve_with_dst;
