//! Arbitrary bytes as a `UserRecord` (what a key server reads back from its database):
//! never panics; what decodes re-encodes to the same bytes, and a key server holding
//! generation 1 can serve it: its key set lists the record's generation-1 versions, with
//! password-capsule keys exactly when the guard is active (the decoder refuses password
//! material that disagrees with the guard), and the record's guard state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorumkey::Error;
use quorumkey::gate::Purpose;
use quorumkey::keyserver::{GuardStatus, KeyServer, UserRecord};
use quorumkey::oprf::Mode;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = UserRecord::from_bytes(data) else {
        return;
    };
    assert_eq!(&record.to_secret_bytes()[..], data);
    let versions: Vec<(u32, u32)> = record.versions().collect();
    assert!((1..=8).contains(&versions.len()));
    assert!(versions.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(record.newest_version(), versions.last().map_or(0, |v| v.0));
    if let GuardStatus::Active {
        max_guesses,
        guesses_remaining,
    } = record.guard_status()
    {
        assert!((1..=max_guesses).contains(&guesses_remaining));
    }
    // Generation 1 only; the server is a seed, cheap to build.
    let server = KeyServer::new([0x5e; 32]);
    let served = versions.iter().filter(|&&(_, generation)| generation == 1);
    match server.key_set(b"user-42", &record) {
        Ok(keys) => {
            assert_eq!(keys.versions().len(), served.count());
            assert_eq!(keys.guard(), record.guard_status());
            let active = matches!(record.guard_status(), GuardStatus::Active { .. });
            for v in keys.versions() {
                assert_eq!(
                    v.public_key(Purpose::PasswordCapsule, Mode::Voprf)
                        .is_some(),
                    active
                );
                assert!(v.public_key(Purpose::Capsule, Mode::Voprf).is_some());
            }
        }
        // Only versions of generations this server does not hold: nothing to list.
        Err(error) => {
            assert_eq!(error, Error::NoRecord);
            assert_eq!(served.count(), 0);
        }
    }
});
