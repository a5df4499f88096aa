//! TESTS ONLY (feature `test-rng`, never in the published package): named deterministic
//! randomness, so that the JavaScript tests can replay `spec/vectors/protocol.json` through
//! the package byte for byte.
//!
//! Each party of a vector draws from its own stream, the ChaCha20 keystream of its seed
//! (`ChaCha20Rng::from_seed`, as the vectors' generator): the client's calls from the stream
//! named `client`, a key server's `handle` from the stream named by the hex fingerprint of
//! its current generation (its key directory entry). A party with no stream seeded draws
//! from the platform's CSPRNG as usual.
//!
//! A build with this feature must never be shipped: anyone who seeds a stream fixes every
//! secret (shares, blinds, proof nonces) drawn from it.

use core::convert::Infallible;
use std::cell::RefCell;
use std::collections::BTreeMap;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};
use wasm_bindgen::prelude::*;

use crate::error::{JsResult, invalid};

std::thread_local! {
    static STREAMS: RefCell<BTreeMap<String, ChaCha20Rng>> = const { RefCell::new(BTreeMap::new()) };
}

/// Seeds the stream `party` (`client`, or a key server's fingerprint in hex) with `seed`
/// (32 bytes), from the keystream's start.
#[wasm_bindgen(js_name = testRngSeed)]
pub fn test_rng_seed(party: &str, seed: &[u8]) -> JsResult<()> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| invalid("a test stream seed is 32 bytes"))?;
    STREAMS.with(|s| {
        s.borrow_mut()
            .insert(party.to_owned(), ChaCha20Rng::from_seed(seed))
    });
    Ok(())
}

/// Forgets every stream: all parties draw from the platform's CSPRNG again.
#[wasm_bindgen(js_name = testRngClear)]
pub fn test_rng_clear() {
    STREAMS.with(|s| s.borrow_mut().clear());
}

/// The randomness of one party: its seeded stream, or the platform's CSPRNG.
pub(crate) struct Stream(pub(crate) String);

impl TryRng for Stream {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let seeded = STREAMS.with(|s| {
            s.borrow_mut()
                .get_mut(&self.0)
                .map(|rng| rng.fill_bytes(dst))
                .is_some()
        });
        if !seeded {
            crate::convert::os_rng().fill_bytes(dst);
        }
        Ok(())
    }
}

impl TryCryptoRng for Stream {}
