//! Arbitrary bytes as a `VaultShare` (device share): never panics; what decodes re-encodes
//! to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{P256, Ristretto255, Suite, VaultShare};
use quorumkey::vault::VAULT_SHARE_LEN;

fn check<S: Suite>(data: &[u8]) {
    if let Ok(share) = VaultShare::<S>::from_bytes(data) {
        assert_eq!(data.len(), VAULT_SHARE_LEN);
        assert_eq!(&share.to_secret_bytes()[..], data);
    }
}

// Every input is tried as an object of each suite.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
