//! Every decoder, chosen by the first byte: bytes accepted by `from_bytes` re-encode
//! (`to_bytes` / `to_secret_bytes`) to exactly the same bytes, and the re-encoding decodes
//! to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::generic::{
    Capsule, Commitments, EvaluationRequest, EvaluationResponse, GateRequest, GateResponse, KeySet,
    P256, RecoveryKit, Ristretto255, SealedUnit, Share, ShareCard, Suite, VaultHeader, VaultShare,
};
use quorumkey::keyserver::{PasswordSetup, TagChange, UnlockProof, UserRecord};
use quorumkey::policy::Policy;

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

/// The first byte picks the object (the suite-dependent ones in each suite).
fn round_trip<S: Suite>(which: u8, bytes: &[u8]) {
    match which % 18 {
        0 => check!(Policy, bytes, to_bytes),
        1 => check!(Commitments<S>, bytes, to_bytes),
        2 => check!(Share<S>, bytes, to_secret_bytes),
        3 => check!(VaultShare<S>, bytes, to_secret_bytes),
        4 => check!(ShareCard<S>, bytes, to_secret_bytes),
        5 => check!(VaultHeader<S>, bytes, to_bytes),
        6 => check!(Capsule<S>, bytes, to_bytes),
        7 => check!(SealedUnit<S>, bytes, to_bytes),
        8 => check!(GateRequest<S>, bytes, to_bytes),
        9 => check!(GateResponse<S>, bytes, to_bytes),
        10 => check!(EvaluationRequest<S>, bytes, to_bytes),
        11 => check!(EvaluationResponse<S>, bytes, to_bytes),
        12 => check!(RecoveryKit<S>, bytes, to_bytes),
        13 => check!(KeySet<S>, bytes, to_bytes),
        14 => check!(PasswordSetup, bytes, to_bytes),
        15 => check!(UnlockProof, bytes, to_secret_bytes),
        16 => check!(TagChange, bytes, to_secret_bytes),
        _ => check!(UserRecord, bytes, to_secret_bytes),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    round_trip::<P256>(which, bytes);
    round_trip::<Ristretto255>(which, bytes);
});
