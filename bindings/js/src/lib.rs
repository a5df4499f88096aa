//! WebAssembly bindings of [`quorumkey`] for the npm package `quorumkey`.
//!
//! Conversions only. Every export decodes its arguments, makes one call into the core
//! crate, and encodes the result or maps the error ([`error`]): no protocol decision is
//! made here. The JavaScript layer beside this crate (`js/`) adds what is JavaScript's:
//! handles with an idle timer, device storage, the `fetch` transport and the loop that
//! stores a key server's record before releasing its answer.
//!
//! Secrets (the unlocked vault's keys, shares, pending protocol state) live in WebAssembly
//! memory inside the core's types, which zeroize on drop; JavaScript holds handles to
//! them. What leaves is public bytes (headers, capsules, sealed units, requests), unit
//! plaintexts, and the few secrets that must leave by design, each through a method named
//! for it (`exportSecret`, `toSecretText`, `unlockProof`).

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod client;
mod convert;
pub mod error;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "test-rng")]
pub mod test_rng;

use wasm_bindgen::prelude::*;

/// Installs the panic hook that keeps the last panic message for [`last_panic`]. Called
/// once by the JavaScript loader. The core never panics on outside input (fuzzed), and
/// this crate checks every argument; a panic is a bug, reported to JavaScript as an
/// `internal` error carrying this message. Only in the Node.js module (`messages`): the
/// browser module has no hook, and reports a panic without its message.
#[cfg(feature = "messages")]
#[wasm_bindgen(js_name = installPanicHook)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
    }));
}

#[cfg(feature = "messages")]
std::thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The message of the panic that stopped the module, if one did.
#[cfg(feature = "messages")]
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// The core's protocol version byte and this build's crate version, for diagnostics.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> String {
    String::from(concat!("quorumkey-js ", env!("CARGO_PKG_VERSION")))
}
