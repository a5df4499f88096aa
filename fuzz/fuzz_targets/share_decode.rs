//! Arbitrary bytes as a `VaultShare` (device share): never panics; what decodes re-encodes
//! to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::{VAULT_SHARE_LEN, VaultShare};

fuzz_target!(|data: &[u8]| {
    if let Ok(share) = VaultShare::from_bytes(data) {
        assert_eq!(data.len(), VAULT_SHARE_LEN);
        assert_eq!(&share.to_secret_bytes()[..], data);
    }
});
