//! Arbitrary bytes as a `VaultHeader`: never panics; what decodes re-encodes to the same
//! bytes, and its digest is that of those bytes' re-decoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::vault::VaultHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = VaultHeader::from_bytes(data) {
        assert_eq!(header.to_bytes(), data);
        assert_eq!(
            VaultHeader::from_bytes(&header.to_bytes()).ok(),
            Some(header)
        );
    }
});
