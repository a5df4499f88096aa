//! Every decoder, chosen by the first byte: bytes accepted by `from_bytes` re-encode
//! (`to_bytes` / `to_secret_bytes`) to exactly the same bytes, and the re-encoding decodes
//! to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::{GateRequest, GateResponse};
use quorumkey::keyserver::{KeySet, PasswordSetup, TagChange, UnlockProof, UserRecord};
use quorumkey::oprf::{EvaluationRequest, EvaluationResponse};
use quorumkey::policy::Policy;
use quorumkey::sharing::{Commitments, Share};
use quorumkey::vault::{Capsule, RecoveryKit, SealedUnit, ShareCard, VaultHeader, VaultShare};

macro_rules! check {
    ($ty:ty, $bytes:expr, $encode:ident) => {
        if let Ok(value) = <$ty>::from_bytes($bytes) {
            let encoded = value.$encode();
            assert_eq!(
                &encoded[..],
                $bytes,
                concat!(stringify!($ty), " is not canonical")
            );
            assert_eq!(<$ty>::from_bytes(&encoded[..]).ok(), Some(value));
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 18 {
        0 => check!(Policy, bytes, to_bytes),
        1 => check!(Commitments, bytes, to_bytes),
        2 => check!(Share, bytes, to_secret_bytes),
        3 => check!(VaultShare, bytes, to_secret_bytes),
        4 => check!(ShareCard, bytes, to_secret_bytes),
        5 => check!(VaultHeader, bytes, to_bytes),
        6 => check!(Capsule, bytes, to_bytes),
        7 => check!(SealedUnit, bytes, to_bytes),
        8 => check!(GateRequest, bytes, to_bytes),
        9 => check!(GateResponse, bytes, to_bytes),
        10 => check!(EvaluationRequest, bytes, to_bytes),
        11 => check!(EvaluationResponse, bytes, to_bytes),
        12 => check!(RecoveryKit, bytes, to_bytes),
        13 => check!(KeySet, bytes, to_bytes),
        14 => check!(PasswordSetup, bytes, to_bytes),
        15 => check!(UnlockProof, bytes, to_secret_bytes),
        16 => check!(TagChange, bytes, to_secret_bytes),
        _ => check!(UserRecord, bytes, to_secret_bytes),
    }
});
