//! The `keyserver` tests of one suite: see `tests/keyserver.rs`.

use super::common::*;
use super::qk;
use proptest::prelude::*;
use qk::Error;
use qk::codec::DecodeError;
use qk::gate::{GateMode, GateRequest, GateResponse, PasswordParams, Purpose};
use qk::keyserver::{
    GuardStatus, KeyServer, MAX_KEY_VERSIONS, Operation, PasswordSetup, UnlockProof, UserRecord,
};
use qk::oprf::{EvaluationRequest, Mode, VoprfClient};
use qk::policy::{Policy, PolicyError};
use qk::vault::{Enrollment, Trust, Unlock, VaultHeader};

/// The bytes of a gate request for `purpose` at `version` with `inputs` blinded (VOPRF).
fn raw_request(purpose: Purpose, version: u32, inputs: &[&[u8]], seed: u64) -> Vec<u8> {
    let mut r = rng(seed);
    let blinded: Vec<_> = inputs
        .iter()
        .map(|i| VoprfClient::blind(i, &mut r).unwrap().1)
        .collect();
    let mut out = b"QK\x02\x05".to_vec();
    out.push(super::SUITE.to_byte());
    out.push(purpose.to_byte());
    out.extend_from_slice(&version.to_be_bytes());
    out.push(Mode::Voprf.to_byte());
    out.extend_from_slice(&EvaluationRequest::new(blinded).unwrap().to_bytes());
    out
}

fn guard(server: &Server) -> GuardStatus {
    server.record.borrow().as_ref().unwrap().guard_status()
}

/// The attack of protocol v1: whoever holds a stored password capsule (a stolen device, with
/// the user's login) tried 256 PINs per request, and the server could not tell a miss from a
/// hit. Now a password request carries one element, every request is counted before its
/// answer leaves, and after `max_guesses` the password key is destroyed.
#[test]
fn the_old_pin_attack_stops_at_max_guesses_with_the_key_burned() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"4711"), 1);
    let capsule = &enrolled.capsules[0];
    let version = capsule.key_version();
    let before = servers[0].evaluations();
    let revision = servers[0].revision();

    // Many guesses in one request: refused before anything is evaluated or written.
    let guesses: Vec<Vec<u8>> = (0..256u32)
        .map(|pin| format!("{pin:04}").into_bytes())
        .collect();
    let inputs: Vec<&[u8]> = guesses.iter().map(Vec::as_slice).collect();
    let batch = raw_request(Purpose::PasswordCapsule, version, &inputs, 2);
    assert_eq!(
        servers[0].call(Operation::Evaluate(&batch)).unwrap_err(),
        Error::ElementBudget {
            purpose: Purpose::PasswordCapsule,
            max: 1,
            found: 256
        }
    );
    // The same elements under the non-password purpose get another key's answers.
    let sideways = raw_request(Purpose::Capsule, version, &inputs[..2], 3);
    let body = servers[0].call(Operation::Evaluate(&sideways)).unwrap();
    assert_eq!(
        GateResponse::from_bytes(&body).unwrap().purpose(),
        Purpose::Capsule
    );
    assert_eq!(
        servers[0].revision(),
        revision,
        "nothing counted, nothing written"
    );

    // Then many requests, one wrong PIN each, through the real client.
    let mut answered = 0;
    let mut last_left = 10;
    let mut burned_at = None;
    for (i, pin) in guesses.iter().enumerate().skip(1) {
        let mut r = rng(100 + i as u64);
        let (pending, requests) = Unlock::start(
            &enrolled.header,
            &enrolled.device_shares,
            &enrolled.capsules,
            &Trust::new(),
            Some(pin),
            &mut r,
        )
        .unwrap();
        match servers[0].answer(&requests[0]) {
            Ok(response) => {
                answered += 1;
                let left = response.guesses_remaining().unwrap();
                assert_eq!(left, last_left - 1, "the counter only goes down");
                last_left = left;
                let err = pending.finish(&[Some(response)], &mut r).unwrap_err();
                assert_eq!(
                    err,
                    Error::WrongPassword {
                        holder: capsule.holder(),
                        guesses_remaining: Some(left)
                    }
                );
            }
            Err(e) => {
                assert_eq!(e, Error::PasswordBurned);
                burned_at = Some(i);
                break;
            }
        }
    }
    assert_eq!(answered, 10, "exactly max_guesses answers");
    assert_eq!(burned_at, Some(11));
    assert_eq!(
        servers[0].evaluations() - before,
        11,
        "10 wrong PINs + the capsule-purpose probe"
    );
    assert_eq!(guard(&servers[0]), GuardStatus::Burned { max_guesses: 10 });

    // The right PIN is of no use now: the password key is gone, not merely refused.
    let err = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"4711"),
        200,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
    // A client that trusts the key set learns why before asking: the guard burned.
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"4711"),
        201,
    )
    .unwrap_err();
    assert_eq!(err, Error::PasswordBurned);
    let record = servers[0].record.borrow().clone().unwrap();
    let key = KeyServer::new([7; 32]);
    assert_eq!(
        key.user_key(
            USER,
            &record,
            version,
            Purpose::PasswordCapsule,
            Mode::Voprf
        )
        .unwrap_err(),
        Error::PasswordBurned
    );
    // The key set no longer lists password keys.
    assert!(
        servers[0]
            .key_set()
            .pin(version, Purpose::PasswordCapsule, Mode::Voprf)
            .is_none()
    );
    // A new password guard draws new material: a new key, which opens nothing old.
    let fresh = Enrollment::new(two_of_three(), &mut rng(201)).unwrap();
    let keys = servers[0]
        .set_password(&fresh.password_setup("keys.example", 10).unwrap())
        .unwrap();
    let new_pin = keys
        .pin(version, Purpose::PasswordCapsule, Mode::Voprf)
        .unwrap();
    assert_ne!(&new_pin, capsule.pin());
    // The device share and the recovery card still unlock (t = 2 without the server).
    let vault = unlock(
        &enrolled.header,
        &[
            enrolled.device_shares[0].clone(),
            enrolled.cards[0].share().clone(),
        ],
        &[],
        &servers,
        None,
        202,
    )
    .unwrap();
    assert_eq!(vault.vault_id(), enrolled.header.vault_id());
}

#[test]
fn a_proven_unlock_resets_the_counter_and_a_wrong_tag_does_not() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"pin"), 10);
    for seed in 11..14 {
        let _ = unlock(
            &enrolled.header,
            &enrolled.device_shares,
            &enrolled.capsules,
            &servers,
            Some(b"nope"),
            seed,
        );
    }
    assert_eq!(
        guard(&servers[0]),
        GuardStatus::Active {
            max_guesses: 10,
            guesses_remaining: 7
        }
    );
    let other = Enrollment::new(two_of_three(), &mut rng(14)).unwrap();
    let wrong = UnlockProof::new(other.unlock_tag("keys.example"));
    assert_eq!(
        servers[0].confirm(&wrong).unwrap_err(),
        Error::UnlockTagMismatch
    );
    // The right password: the helper sends the proof, and the counter is full again.
    unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"pin"),
        15,
    )
    .unwrap();
    assert_eq!(
        guard(&servers[0]),
        GuardStatus::Active {
            max_guesses: 10,
            guesses_remaining: 10
        }
    );
    // The guard cannot be set again while it is live (that would replace the key).
    assert_eq!(
        servers[0]
            .set_password(&other.password_setup("keys.example", 10).unwrap())
            .unwrap_err(),
        Error::PasswordAlreadySet
    );
    // Nor can a client ask for more guesses than the server allows.
    let greedy = PasswordSetup::new(11, &other.unlock_tag("keys.example")).unwrap();
    let fresh = Server::new("keys.example", 7);
    assert_eq!(
        fresh.set_password(&greedy).unwrap_err(),
        Error::MaxGuesses {
            requested: 11,
            limit: 10
        }
    );
}

#[test]
fn a_rekey_replaces_the_tag_with_the_old_one_as_authority() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"pin"), 20);
    let stranger = enroll(
        two_of_three(),
        &[Server::new("keys.example", 7)],
        GateMode::Voprf,
        None,
        22,
    );
    // Authorised by the current tag, the new vault's tag replaces it.
    servers[0]
        .change_tag(&enrolled.vault.tag_change("keys.example", &stranger.vault))
        .unwrap();
    assert_eq!(
        servers[0]
            .confirm(&enrolled.vault.unlock_proof("keys.example"))
            .unwrap_err(),
        Error::UnlockTagMismatch
    );
    servers[0]
        .confirm(&stranger.vault.unlock_proof("keys.example"))
        .unwrap();
    // A change not authorised by the current tag is refused.
    assert_eq!(
        servers[0]
            .change_tag(&enrolled.vault.tag_change("keys.example", &enrolled.vault))
            .unwrap_err(),
        Error::UnlockTagMismatch
    );
}

#[test]
fn every_purpose_has_its_own_key_and_a_request_names_it() {
    let server = Server::new("keys.example", 7);
    let enrollment = Enrollment::new(two_of_three(), &mut rng(30)).unwrap();
    let keys = server
        .set_password(&enrollment.password_setup("keys.example", 5).unwrap())
        .unwrap();
    let mut seen = Vec::new();
    for purpose in Purpose::ALL {
        for mode in [Mode::Voprf, Mode::Poprf] {
            let pin = keys.pin(1, purpose, mode).unwrap();
            assert!(!seen.contains(&pin.public_key), "{purpose:?} {mode:?}");
            seen.push(pin.public_key);
        }
    }
    // A capsule request rewritten to another purpose is answered with that purpose's key,
    // so the client's proof check against the capsule's pin fails.
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 31);
    let mut r = rng(32);
    let (pending, requests) = start_unlock(&enrolled, None, &mut r).unwrap();
    let mut bytes = requests[0].request.to_bytes();
    bytes[5] = Purpose::UnitGate.to_byte();
    let mut body = servers[0].call(Operation::Evaluate(&bytes)).unwrap();
    body[5] = Purpose::Capsule.to_byte();
    let response = GateResponse::from_bytes(&body).unwrap();
    assert_eq!(
        pending.finish(&[Some(response)], &mut r).unwrap_err(),
        Error::BadProof {
            holder: enrolled.capsules[0].holder()
        }
    );
}

#[test]
fn a_response_is_released_only_against_the_stored_update() {
    let server = KeyServer::new([9; 32]);
    let mut r = rng(40);
    let record = server.new_record(&mut r);
    let enrollment = Enrollment::new(two_of_three(), &mut r).unwrap();
    let setup = enrollment
        .password_setup("keys.example", 3)
        .unwrap()
        .to_bytes();
    let outcome = server
        .handle(USER, Some(&record), Operation::SetPassword(&setup), &mut r)
        .unwrap();
    let update = outcome.record_update().unwrap().clone();
    assert_eq!(update.revision(), record.revision() + 1);
    assert!(matches!(
        server
            .handle(USER, Some(&record), Operation::SetPassword(&setup), &mut r)
            .unwrap()
            .release(None),
        Err(Error::RecordNotStored)
    ));
    assert!(matches!(
        server
            .handle(USER, Some(&record), Operation::SetPassword(&setup), &mut r)
            .unwrap()
            .release(Some(&record)),
        Err(Error::RecordNotStored)
    ));
    // The update round-trips through its encoding, as storage keeps it.
    let stored = UserRecord::from_bytes(&update.to_secret_bytes()).unwrap();
    let released = outcome.release(Some(&stored)).unwrap();
    assert!(released.audit.is_some());
    // Reading keys changes nothing and releases with no record.
    let outcome = server
        .handle(USER, Some(&stored), Operation::GetKeys, &mut r)
        .unwrap();
    assert!(outcome.record_update().is_none());
    assert!(outcome.release(None).unwrap().audit.is_none());
    // Without a record, only AddKeyVersion (which creates it) works.
    assert_eq!(
        server
            .handle(USER, None, Operation::GetKeys, &mut r)
            .unwrap_err(),
        Error::NoRecord
    );
}

#[test]
fn key_versions_grow_drop_and_are_bounded() {
    let server = Server::new("keys.example", 7);
    assert_eq!(
        server.drop_version(1).unwrap_err(),
        Error::NewestKeyVersion { version: 1 }
    );
    for _ in 1..MAX_KEY_VERSIONS {
        server.add_version();
    }
    assert_eq!(
        server.call(Operation::AddKeyVersion).unwrap_err(),
        Error::TooManyKeyVersions {
            max: MAX_KEY_VERSIONS
        }
    );
    let keys = server.drop_version(3).unwrap();
    let versions: Vec<u32> = keys.versions().iter().map(|v| v.version()).collect();
    assert_eq!(versions, [1, 2, 4, 5, 6, 7, 8]);
    let keys = server.add_version();
    assert_eq!(
        keys.newest().unwrap().version(),
        9,
        "numbers are never reused"
    );
    assert_eq!(
        server.drop_version(3).unwrap_err(),
        Error::UnknownKeyVersion { version: 3 }
    );
}

#[test]
fn retired_generations_shred_their_versions() {
    use zeroize::Zeroizing;
    let old = KeyServer::new([1; 32]);
    let mut r = rng(50);
    let record = old.new_record(&mut r);
    let both = KeyServer::with_generations(
        vec![(1, Zeroizing::new([1; 32])), (2, Zeroizing::new([2; 32]))],
        2,
    )
    .unwrap();
    let outcome = both
        .handle(USER, Some(&record), Operation::AddKeyVersion, &mut r)
        .unwrap();
    let record = outcome.record_update().unwrap().clone();
    let keys = both.key_set(USER, &record).unwrap();
    assert!(!keys.versions()[0].is_current());
    assert!(keys.versions()[1].is_current());
    let retired = KeyServer::with_generations(vec![(2, Zeroizing::new([2; 32]))], 2).unwrap();
    assert_eq!(
        retired
            .user_key(USER, &record, 1, Purpose::Capsule, Mode::Voprf)
            .unwrap_err(),
        Error::UnknownKeyVersion { version: 1 }
    );
    assert!(
        retired
            .user_key(USER, &record, 2, Purpose::Capsule, Mode::Voprf)
            .is_ok()
    );
    assert!(retired.generation_fingerprint(1).is_none());
    assert_ne!(
        both.generation_fingerprint(1),
        both.generation_fingerprint(2)
    );
    assert!(matches!(
        KeyServer::with_generations(vec![(1, Zeroizing::new([1; 32]))], 2),
        Err(Error::UnknownGeneration { generation: 2 })
    ));
}

#[test]
fn servers_alone_may_not_reach_the_threshold_unless_allowed() {
    // One server counted twice.
    let err = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "keys", "keys.example")
        .key_server(3, "keys again", "keys.example")
        .build()
        .unwrap_err();
    assert_eq!(err, PolicyError::ServersReachThreshold);
    // Two servers that could unlock without the user.
    let err = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "a", "a.example")
        .key_server(3, "b", "b.example")
        .build()
        .unwrap_err();
    assert_eq!(err, PolicyError::ServersReachThreshold);
    let allowed = Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "a", "a.example")
        .key_server(3, "b", "b.example")
        .servers_alone_may_unlock()
        .build()
        .unwrap();
    assert!(allowed.servers_alone_may_unlock());
    assert_eq!(Policy::from_bytes(&allowed.to_bytes()).unwrap(), allowed);
    // The flag is in the encoding: clearing it makes the decoder refuse the policy.
    let mut bytes = allowed.to_bytes();
    bytes[1] = 0;
    assert!(Policy::from_bytes(&bytes).is_err());
    bytes[1] = 0x80;
    assert!(Policy::from_bytes(&bytes).is_err());
}

/// Capsule-only unlock (servers alone, opted in): storage that swaps the header and the
/// capsules for ones the attacker made chooses the key server — unless the caller checks
/// capsules against trusted pins or the trusted header digest.
#[test]
fn capsule_only_unlock_checks_the_callers_trust() {
    let a = Server::new("a.example", 1);
    let b = Server::new("b.example", 2);
    let servers = [a, b];
    let policy = || {
        Policy::builder(2)
            .device(1, "phone")
            .key_server(2, "a", "a.example")
            .key_server(3, "b", "b.example")
            .servers_alone_may_unlock()
            .build()
            .unwrap()
    };
    let real = enroll(policy(), &servers, GateMode::Voprf, None, 60);
    // The attacker's own servers under the same names, and its own vault.
    let fake_servers = [Server::new("a.example", 66), Server::new("b.example", 67)];
    let fake = enroll(policy(), &fake_servers, GateMode::Voprf, None, 61);
    let mut r = rng(62);
    // Trusting the real key sets: the fake capsules' pins are refused.
    assert!(matches!(
        Unlock::start(
            &fake.header,
            &[],
            &fake.capsules,
            &trust(&servers),
            None,
            &mut r
        ),
        Err(Error::UntrustedKey { .. })
    ));
    // Trusting the real header: the fake header is refused.
    assert_eq!(
        Unlock::start(
            &fake.header,
            &[],
            &fake.capsules,
            &Trust::new().header(real.header.digest()),
            None,
            &mut r
        )
        .unwrap_err(),
        Error::UntrustedHeader
    );
    // Trusting nothing: nothing anchors a capsule-only unlock.
    assert!(matches!(
        Unlock::start(
            &fake.header,
            &[],
            &fake.capsules,
            &Trust::new(),
            None,
            &mut r
        ),
        Err(Error::UntrustedKey { .. })
    ));
    // The real thing unlocks with the servers alone.
    let vault = unlock(&real.header, &[], &real.capsules, &servers, None, 63).unwrap();
    assert_eq!(vault.vault_id(), real.header.vault_id());
}

#[test]
fn argon2_parameters_have_a_floor_and_a_ceiling() {
    assert!(PasswordParams::new(19 * 1024, 2, 1).is_ok());
    for (m, t, p) in [
        (19 * 1024 - 1, 2, 1),
        (19 * 1024, 1, 1),
        (19 * 1024, 2, 0),
        (1024 * 1024 + 1, 2, 1),
        (19 * 1024, 17, 1),
        (19 * 1024, 2, 17),
    ] {
        assert_eq!(
            PasswordParams::new(m, t, p).unwrap_err(),
            Error::PasswordParams {
                memory_kib: m,
                iterations: t,
                lanes: p
            }
        );
    }
    // A capsule whose parameters were lowered below the floor does not decode.
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"pw"), 70);
    let mut bytes = enrolled.capsules[0].to_bytes();
    let params = fast();
    let needle: Vec<u8> = [
        &params.memory_kib().to_be_bytes()[..],
        &params.iterations().to_be_bytes(),
        &[params.lanes()],
    ]
    .concat();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at..at + 4].copy_from_slice(&1024u32.to_be_bytes());
    assert_eq!(
        qk::vault::Capsule::from_bytes(&bytes).unwrap_err(),
        Error::Decode {
            object: "capsule",
            error: DecodeError::OutOfRange {
                field: "argon2 memory",
                value: 1024,
                min: 19 * 1024,
                max: 1024 * 1024
            }
        }
    );
}

#[test]
fn version_one_objects_are_refused_naming_the_version() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 80);
    let mut header = enrolled.header.to_bytes();
    header[2] = 1;
    assert_eq!(
        VaultHeader::from_bytes(&header).unwrap_err(),
        Error::Decode {
            object: "vault header",
            error: DecodeError::UnknownVersion(1)
        }
    );
    assert_eq!(
        DecodeError::UnknownVersion(1).to_string(),
        "format version 1 is not supported; this implementation reads version 2"
    );
    let mut request = raw_request(Purpose::Capsule, 1, &[b"x"], 81);
    request[2] = 1;
    assert!(matches!(
        GateRequest::from_bytes(&request),
        Err(Error::Decode {
            error: DecodeError::UnknownVersion(1),
            ..
        })
    ));
}

/// What the key server does to the password guard, step by step.
#[derive(Clone, Debug)]
enum Step {
    /// One password-capsule evaluation (a guess: the server cannot tell hit from miss).
    Guess,
    /// A proof of unlock with the right tag (what a client sends after a hit).
    Proof,
    /// A proof with a wrong tag.
    WrongProof,
    /// A password request with two elements.
    Batch,
    /// Another key version.
    AddVersion,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Guess),
        2 => Just(Step::Proof),
        1 => Just(Step::WrongProof),
        1 => Just(Step::Batch),
        1 => Just(Step::AddVersion),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random sequences of guesses and proofs: the counter never goes backwards except on
    /// a proof, never lets more than `max_guesses` answers out between proofs, and once
    /// burned stays burned.
    #[test]
    fn the_guess_counter_never_goes_backwards_nor_past_the_limit(
        max in 1u8..=10,
        steps in proptest::collection::vec(step(), 1..40),
        seed in any::<u64>(),
    ) {
        let server = Server::new("keys.example", 5);
        let enrollment = Enrollment::new(two_of_three(), &mut rng(seed)).unwrap();
        let tag = enrollment.unlock_tag("keys.example");
        server.set_password(&PasswordSetup::new(max, &tag).unwrap()).unwrap();
        let stranger = Enrollment::new(two_of_three(), &mut rng(seed ^ 1)).unwrap();
        let mut since_proof = 0u8;
        let mut burned = false;
        let mut revision = server.revision();
        for (i, step) in steps.into_iter().enumerate() {
            let version = server.key_set().newest().unwrap().version();
            let result = match step {
                Step::Guess => server
                    .call(Operation::Evaluate(&raw_request(
                        Purpose::PasswordCapsule,
                        version,
                        &[format!("guess {i}").as_bytes()],
                        seed ^ i as u64,
                    )))
                    .map(|_| ()),
                Step::Proof => server.confirm(&UnlockProof::new(tag.clone())).map(|_| ()),
                Step::WrongProof => server
                    .confirm(&UnlockProof::new(stranger.unlock_tag("keys.example")))
                    .map(|_| ()),
                Step::Batch => server
                    .call(Operation::Evaluate(&raw_request(
                        Purpose::PasswordCapsule,
                        version,
                        &[b"a", b"b"],
                        seed,
                    )))
                    .map(|_| ()),
                Step::AddVersion => server.call(Operation::AddKeyVersion).map(|_| ()),
            };
            match (&step, result) {
                (Step::Guess, Ok(())) => {
                    prop_assert!(!burned);
                    since_proof += 1;
                    prop_assert!(since_proof <= max);
                    burned = since_proof == max;
                }
                (Step::Guess, Err(e)) => {
                    prop_assert!(burned);
                    prop_assert_eq!(e, Error::PasswordBurned);
                }
                (Step::Proof, Ok(())) => {
                    prop_assert!(!burned);
                    since_proof = 0;
                }
                (Step::Proof, Err(e)) => {
                    prop_assert!(burned);
                    prop_assert_eq!(e, Error::PasswordBurned);
                }
                (Step::WrongProof, r) => prop_assert!(r.is_err()),
                (Step::Batch, r) => {
                    let refused = matches!(r, Err(Error::ElementBudget { .. }));
                    prop_assert!(refused);
                }
                (Step::AddVersion, r) => {
                    let full = Err(Error::TooManyKeyVersions { max: MAX_KEY_VERSIONS });
                    prop_assert!(r.is_ok() || r == full);
                }
            }
            // The record's revision never goes backwards.
            prop_assert!(server.revision() >= revision);
            revision = server.revision();
            let expected = if burned {
                GuardStatus::Burned { max_guesses: max }
            } else {
                GuardStatus::Active { max_guesses: max, guesses_remaining: max - since_proof }
            };
            prop_assert_eq!(guard(&server), expected);
        }
    }
}
