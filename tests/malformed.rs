//! The negative catalogue: every class of malformation of every wire type, each with the
//! exact typed error the decoder must return (spec/wire-format.md). Valid baselines are
//! built here, deterministically, by the fuzz fixture (fuzz/fuzz_targets/common/fixture.rs)
//! and the test world of tests/common; mutations are at offsets computed from the wire
//! format.
//!
//! Also home of the fuzz seed generator (`write_fuzz_seeds`, ignored):
//! `cargo test --test malformed -- --ignored write_fuzz_seeds` rewrites `fuzz/seeds/`.
//!
//! Written once (`tests/suites/malformed.rs`) and run for each suite: P-256, and
//! ristretto255 with the `ristretto255` feature. Each suite's module `raw` holds what differs
//! in the catalogue: the element length, the group order in the scalar encoding, and the
//! element-level malformations.
// Loading the same test file once per suite is the point.
#![allow(clippy::duplicate_mod)]

#[path = "suites"]
mod p256_sha256 {
    use quorumkey as qk;
    type Suite = quorumkey::suite::P256;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
    #[path = "../common/mod.rs"]
    mod common;
    #[path = "../../fuzz/fuzz_targets/common/fixture.rs"]
    mod fixture;

    /// What the catalogue needs to know of P-256.
    mod raw {
        use quorumkey::group::EncodingError;

        pub const ELEMENT_LEN: usize = 33;
        /// The other suite's byte: refused by this suite's decoders like any unknown one.
        pub const OTHER_SUITE: u8 = 0x02;
        /// The group order n, big-endian.
        pub const ORDER: [u8; 32] =
            hex_literal(b"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        /// n + 1, big-endian.
        pub const ORDER_PLUS_1: [u8; 32] =
            hex_literal(b"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632552");

        const fn hex_literal(h: &[u8; 64]) -> [u8; 32] {
            const fn nib(c: u8) -> u8 {
                match c {
                    b'0'..=b'9' => c - b'0',
                    _ => c - b'a' + 10,
                }
            }
            let mut out = [0u8; 32];
            let mut i = 0;
            while i < 32 {
                out[i] = nib(h[2 * i]) << 4 | nib(h[2 * i + 1]);
                i += 1;
            }
            out
        }

        /// 33 bytes that are a well-formed compressed encoding of an x with no point on
        /// P-256.
        fn off_curve() -> [u8; 33] {
            for x in 1u8.. {
                let mut e = [0u8; 33];
                e[0] = 0x02;
                e[32] = x;
                if quorumkey::group::decode_element(&e) == Err(EncodingError::InvalidElement) {
                    return e;
                }
            }
            unreachable!()
        }

        /// The element-level malformations: (name, bytes, error).
        pub fn bad_elements(valid: &[u8]) -> Vec<(&'static str, Vec<u8>, EncodingError)> {
            let mut uncompressed_tag = valid.to_vec();
            uncompressed_tag[0] = 0x04;
            // SEC1 "compact" tag: p256 decodes it; the wire format must not (regression, see
            // spec/wire-format.md §1).
            let mut compact_tag = valid.to_vec();
            compact_tag[0] = 0x05;
            let mut bad_tag = valid.to_vec();
            bad_tag[0] = 0x07;
            vec![
                (
                    "identity (33 zero bytes)",
                    vec![0u8; 33],
                    EncodingError::IdentityElement,
                ),
                (
                    "off-curve x",
                    off_curve().to_vec(),
                    EncodingError::InvalidElement,
                ),
                (
                    "uncompressed tag 04",
                    uncompressed_tag,
                    EncodingError::InvalidElement,
                ),
                ("compact tag 05", compact_tag, EncodingError::InvalidElement),
                ("unknown tag 07", bad_tag, EncodingError::InvalidElement),
            ]
        }
    }

    #[path = "malformed.rs"]
    mod tests;
}

#[cfg(feature = "ristretto255")]
#[path = "suites"]
mod ristretto255_sha512 {
    use quorumkey::ristretto255 as qk;
    type Suite = quorumkey::suite::Ristretto255;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::Ristretto255;
    #[path = "../common/mod.rs"]
    mod common;
    #[path = "../../fuzz/fuzz_targets/common/fixture.rs"]
    mod fixture;

    /// What the catalogue needs to know of ristretto255.
    mod raw {
        use quorumkey::group::EncodingError;
        use quorumkey::suite::Suite;

        pub const ELEMENT_LEN: usize = 32;
        /// The other suite's byte: refused by this suite's decoders like any unknown one.
        pub const OTHER_SUITE: u8 = 0x01;
        /// The group order ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
        pub const ORDER: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        /// ℓ + 1, little-endian.
        pub const ORDER_PLUS_1: [u8; 32] = [
            0xee, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];

        fn decode(bytes: &[u8]) -> Result<(), EncodingError> {
            quorumkey::suite::Ristretto255::decode_element(bytes).map(drop)
        }

        /// 32 bytes that encode a non-negative field element below p that is no group
        /// element (RFC 9496 §4.3.1 refuses it at the square root).
        fn off_group() -> [u8; 32] {
            for s in (2u8..).step_by(2) {
                let mut e = [0u8; 32];
                e[0] = s;
                if decode(&e) == Err(EncodingError::InvalidElement) {
                    return e;
                }
            }
            unreachable!()
        }

        /// The element-level malformations: (name, bytes, error).
        pub fn bad_elements(valid: &[u8]) -> Vec<(&'static str, Vec<u8>, EncodingError)> {
            // s is negative when its encoding is odd: flipping the low bit of a valid s
            // gives p - s's neighbour, which RFC 9496 decoding refuses as negative (or as no
            // element).
            let mut negative = valid.to_vec();
            negative[0] ^= 0x01;
            if decode(&negative).is_ok() {
                negative[0] ^= 0x03;
            }
            // p = 2^255 - 19 itself: a non-canonical field encoding (of 0).
            let mut p = [0xff; 32];
            p[0] = 0xed;
            p[31] = 0x7f;
            // Bit 255 set: not a field element encoding at all.
            let mut high_bit = valid.to_vec();
            high_bit[31] |= 0x80;
            vec![
                (
                    "identity (32 zero bytes)",
                    vec![0u8; 32],
                    EncodingError::IdentityElement,
                ),
                (
                    "no group element",
                    off_group().to_vec(),
                    EncodingError::InvalidElement,
                ),
                ("negative s", negative, EncodingError::InvalidElement),
                (
                    "s = p (non-canonical)",
                    p.to_vec(),
                    EncodingError::InvalidElement,
                ),
                ("bit 255 set", high_bit, EncodingError::InvalidElement),
            ]
        }
    }

    #[path = "malformed.rs"]
    mod tests;
}
