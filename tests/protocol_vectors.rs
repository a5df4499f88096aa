//! Protocol vectors for version 02: deterministic runs of every flow of `spec/protocol.md`
//! with every intermediate value, checked in as `spec/vectors/protocol.json`.
//!
//! Each party draws its randomness from its own ChaCha20 keystream (`spec/protocol.md` §9):
//! the generator records every draw, names what it is, and checks that the draws are the
//! documented keystream and land where the spec says (the secret, the vault id, each
//! coefficient, gate input, blind, proof nonce, AEAD nonce, batch weight, key material).
//!
//! `checked_in_vectors_are_current` fails when the checked-in file is stale. To regenerate
//! after an intended change of the wire format or the derivations, run
//! `QUORUMKEY_WRITE_VECTORS=1 cargo test --test protocol_vectors` and review the diff.
//!
//! `vectors_follow_the_spec` recomputes, from the JSON alone and with BLAKE3, Argon2id,
//! XChaCha20-Poly1305 and P-256 arithmetic directly (not through the crate's vault code),
//! the shares, commitments, header digest, key-server keys, blinded elements, OPRF outputs,
//! capsule and unit keys, root key and unlock tags, and opens every capsule and unit. With
//! the `danger` feature it also recomputes every key server's response (proofs included)
//! from the recorded proof nonces.
//!
//! Written once (`tests/suites/protocol_vectors.rs`) and run for each suite: P-256
//! (`spec/vectors/protocol.json`) and, with the `ristretto255` feature, ristretto255
//! (`spec/vectors/ristretto255/protocol.json`). The independent arithmetic of each suite is
//! its module `raw` here: p256 and curve25519-dalek called directly.
#![cfg(feature = "alloc")]
// Loading the same test file once per suite is the point.
#![allow(clippy::duplicate_mod)]

#[path = "suites"]
mod p256_sha256 {
    use quorumkey as qk;
    type Suite = quorumkey::suite::P256;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
    const CHECKED_IN: &str = include_str!("../spec/vectors/protocol.json");
    const VECTORS_PATH: &str = "spec/vectors/protocol.json";
    const DESCRIPTION: &str = "quorumkey protocol version 02 vectors (spec/protocol.md §9).";

    /// P-256 arithmetic, directly from p256.
    mod raw {
        use p256::elliptic_curve::PrimeField;
        use p256::elliptic_curve::group::GroupEncoding;

        pub type Scalar = p256::Scalar;
        pub const ELEMENT_LEN: usize = 33;

        pub fn scalar(bytes: &[u8]) -> Scalar {
            Option::from(Scalar::from_repr(
                <[u8; 32]>::try_from(bytes).unwrap().into(),
            ))
            .expect("a canonical scalar")
        }

        pub fn encode(s: &Scalar) -> Vec<u8> {
            s.to_repr().to_vec()
        }

        /// The scalar a 32-byte draw gives (P-256 draws 32 bytes per scalar and redraws
        /// values not below n, so the draw is the value).
        pub fn from_draw(bytes: &[u8]) -> Scalar {
            scalar(bytes)
        }

        /// The encoding of the scalar a draw gives.
        pub fn value(bytes: &[u8]) -> Vec<u8> {
            encode(&from_draw(bytes))
        }

        pub fn element(p: &p256::ProjectivePoint) -> Vec<u8> {
            p.to_affine().to_bytes().to_vec()
        }

        pub fn base(a: &Scalar) -> p256::ProjectivePoint {
            p256::ProjectivePoint::GENERATOR * a
        }

        /// `f(x)` for coefficients `a_0..a_{t-1}`.
        pub fn poly(coefficients: &[Scalar], x: u8) -> Scalar {
            let x = Scalar::from(u64::from(x));
            coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, a| acc * x + a)
        }
    }

    #[path = "protocol_vectors.rs"]
    mod tests;
}

#[cfg(feature = "ristretto255")]
#[path = "suites"]
mod ristretto255_sha512 {
    use quorumkey::ristretto255 as qk;
    type Suite = quorumkey::suite::Ristretto255;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::Ristretto255;
    const CHECKED_IN: &str = include_str!("../spec/vectors/ristretto255/protocol.json");
    const VECTORS_PATH: &str = "spec/vectors/ristretto255/protocol.json";
    const DESCRIPTION: &str = "quorumkey protocol version 02 vectors, suite 02: ristretto255 with RFC 9497 ristretto255-SHA512 (spec/protocol.md §9; scalars drawn as 64 bytes, reduced).";

    /// ristretto255 arithmetic, directly from curve25519-dalek.
    mod raw {
        use curve25519_dalek::{RistrettoPoint, Scalar as DalekScalar};

        pub type Scalar = DalekScalar;
        pub const ELEMENT_LEN: usize = 32;

        pub fn scalar(bytes: &[u8]) -> Scalar {
            Option::from(Scalar::from_canonical_bytes(
                <[u8; 32]>::try_from(bytes).unwrap(),
            ))
            .expect("a canonical scalar")
        }

        pub fn encode(s: &Scalar) -> Vec<u8> {
            s.to_bytes().to_vec()
        }

        /// The scalar a 64-byte draw gives: the draw read little-endian, reduced modulo ℓ
        /// (curve25519-dalek's `Scalar::random`).
        pub fn from_draw(bytes: &[u8]) -> Scalar {
            Scalar::from_bytes_mod_order_wide(&<[u8; 64]>::try_from(bytes).unwrap())
        }

        /// The encoding of the scalar a draw gives.
        pub fn value(bytes: &[u8]) -> Vec<u8> {
            encode(&from_draw(bytes))
        }

        pub fn element(p: &RistrettoPoint) -> Vec<u8> {
            p.compress().to_bytes().to_vec()
        }

        pub fn base(a: &Scalar) -> RistrettoPoint {
            RistrettoPoint::mul_base(a)
        }

        /// `f(x)` for coefficients `a_0..a_{t-1}`.
        pub fn poly(coefficients: &[Scalar], x: u8) -> Scalar {
            let x = Scalar::from(u64::from(x));
            coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, a| acc * x + a)
        }
    }

    #[path = "protocol_vectors.rs"]
    mod tests;
}
