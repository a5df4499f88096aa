#![no_std]
#![doc = include_str!("../README.md")]
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
pub mod group;
#[cfg(feature = "alloc")]
pub mod kdf;
#[cfg(feature = "alloc")]
pub mod keyserver;
pub mod oprf;
#[cfg(feature = "alloc")]
pub mod policy;
#[cfg(all(feature = "serde", feature = "alloc"))]
mod serde_impl;
pub mod sharing;
#[cfg(feature = "alloc")]
pub mod vault;

#[cfg(feature = "alloc")]
pub use error::Error;
