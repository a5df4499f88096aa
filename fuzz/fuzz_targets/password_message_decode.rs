//! Arbitrary bytes as each of the password-guard messages a client sends — `PasswordSetup`,
//! `UnlockProof`, `TagChange`: never panics; what decodes re-encodes to the same bytes, a
//! setup allows at least one guess, and no bytes decode as two of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::keyserver::{PasswordSetup, TagChange, UnlockProof};

fuzz_target!(|data: &[u8]| {
    let mut decoded = 0;
    if let Ok(setup) = PasswordSetup::from_bytes(data) {
        decoded += 1;
        assert_eq!(setup.to_bytes(), data);
        assert!(setup.max_guesses() >= 1);
    }
    if let Ok(proof) = UnlockProof::from_bytes(data) {
        decoded += 1;
        assert_eq!(&proof.to_secret_bytes()[..], data);
    }
    if let Ok(change) = TagChange::from_bytes(data) {
        decoded += 1;
        assert_eq!(&change.to_secret_bytes()[..], data);
    }
    assert!(decoded <= 1, "bytes decoded as two message types");
});
