#![no_std]
#![forbid(unsafe_code)]
// The README is the crate documentation; its example (a doctest) needs `alloc`.
#![cfg_attr(feature = "alloc", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "quorumkey without `alloc`: the suites (`suite`, `generic`), the P-256 encodings \
           (`group`), single-element RFC 9497 OPRF (`oprf`) and slice-based Shamir sharing \
           (`sharing`), for P-256 and, with the `ristretto255` feature, ristretto255. The \
           vault and the README's example need the `alloc` feature."
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "alloc")]
mod aead;
#[cfg(feature = "alloc")]
pub mod codec;
#[cfg(feature = "alloc")]
mod error;
#[cfg(feature = "alloc")]
pub mod gate;
pub mod generic;
pub mod group;
#[cfg(feature = "alloc")]
pub mod kdf;
#[cfg(feature = "alloc")]
pub mod keyserver;
pub mod oprf;
#[cfg(feature = "alloc")]
pub mod policy;
#[cfg(feature = "ristretto255")]
pub mod ristretto255;
#[cfg(all(feature = "serde", feature = "alloc"))]
mod serde_impl;
pub mod sharing;
pub mod suite;
#[cfg(feature = "alloc")]
pub mod vault;

#[cfg(feature = "alloc")]
pub use error::Error;
