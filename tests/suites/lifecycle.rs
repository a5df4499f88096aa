//! The `lifecycle` tests of one suite: see `tests/lifecycle.rs`.

use super::common::*;
use super::qk;
use qk::Error;
use qk::gate::{GateMode, GateResponse, Purpose, ServerRequest};
use qk::keyserver::{AuditAction, Operation};
use qk::oprf::Mode;
use qk::policy::Policy;
use qk::vault::{SealedUnit, Trust, UnitRead};

fn answer_all(servers: &[Server], requests: &[ServerRequest]) -> Vec<Option<GateResponse>> {
    requests
        .iter()
        .map(|q| {
            servers
                .iter()
                .find(|s| s.key_id == q.key_id)
                .and_then(|s| s.answer(q).ok())
        })
        .collect()
}

/// The last audit event's evaluation fields: (element count, info, mode).
fn last_evaluation(server: &Server) -> (usize, Option<Vec<u8>>, Mode) {
    match server.audit.borrow().last().map(|e| e.action.clone()) {
        Some(AuditAction::Evaluated {
            element_count,
            info,
            mode,
            ..
        }) => (element_count, info, mode),
        other => panic!("no evaluation: {other:?}"),
    }
}

#[test]
fn per_unit_gates_cost_one_batched_evaluation_per_read() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 1);
    let vault = &enrolled.vault;
    let mut r = rng(2);
    let mut units = Vec::new();
    for i in 0..5u8 {
        let id = [b'u', b'0' + i];
        let (seal, request) = vault
            .seal_gated_unit(
                &id,
                &[i; 10],
                "keys.example",
                servers[0].pin(1, Purpose::UnitGate, &GateMode::Voprf),
                GateMode::Voprf,
                &mut r,
            )
            .unwrap();
        let response = servers[0].answer(&request).unwrap();
        units.push(
            SealedUnit::from_bytes(&seal.finish(vault, &response, &mut r).unwrap().to_bytes())
                .unwrap(),
        );
    }
    units.push(vault.seal_unit(b"plain", b"no gate", &mut r).unwrap());
    // A gated unit does not open with the root key alone.
    assert_eq!(vault.open_unit(&units[0]).unwrap_err(), Error::UnitGate);

    let (read, requests) = UnitRead::start(&units, &mut r).unwrap();
    assert_eq!(requests.len(), 1, "one request for all five gated units");
    assert_eq!(requests[0].request.evaluation_request().len(), 5);
    let response = servers[0].answer(&requests[0]).unwrap();
    let (count, info, _) = last_evaluation(&servers[0]);
    assert_eq!(count, 5);
    assert_eq!(info, None, "VOPRF: the server learns no label");
    let opened = read.finish(vault, &[Some(response)]).unwrap();
    for (i, result) in opened.iter().take(5).enumerate() {
        assert_eq!(&***result.as_ref().unwrap(), &[i as u8; 10]);
    }
    assert_eq!(&**opened[5].as_ref().unwrap(), b"no gate");

    // The server refusing leaves the gated units closed, the plain one open.
    let (read, _requests) = UnitRead::start(&units, &mut r).unwrap();
    let opened = read.finish(vault, &[None]).unwrap();
    assert!(
        opened
            .iter()
            .take(5)
            .all(|o| o.as_ref().unwrap_err() == &Error::UnitGateRefused)
    );
    assert!(opened[5].is_ok());

    // A wrong server key's answer is a proof failure.
    let impostor = [Server::new("keys.example", 8)];
    let (read, requests) = UnitRead::start(&units, &mut r).unwrap();
    let opened = read
        .finish(vault, &answer_all(&impostor, &requests))
        .unwrap();
    assert!(
        opened
            .iter()
            .take(5)
            .all(|o| o.as_ref().unwrap_err() == &Error::UnitGateProof)
    );
}

#[test]
fn poprf_unit_gate_shows_its_label_in_the_audit_event() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 10);
    let vault = &enrolled.vault;
    let mut r = rng(11);
    let mode = GateMode::poprf(b"vendor:acme").unwrap();
    let (seal, request) = vault
        .seal_gated_unit(
            b"acme",
            b"alice:pw",
            "keys.example",
            servers[0].pin(1, Purpose::UnitGate, &mode),
            mode.clone(),
            &mut r,
        )
        .unwrap();
    let response = servers[0].answer(&request).unwrap();
    let unit = seal.finish(vault, &response, &mut r).unwrap();
    let (read, requests) = UnitRead::start(std::slice::from_ref(&unit), &mut r).unwrap();
    let response = servers[0].answer(&requests[0]).unwrap();
    let (_, info, mode) = last_evaluation(&servers[0]);
    assert_eq!(mode, Mode::Poprf);
    assert_eq!(info.as_deref(), Some(&b"vendor:acme"[..]));
    let opened = read.finish(vault, &[Some(response)]).unwrap();
    assert_eq!(&**opened[0].as_ref().unwrap(), b"alice:pw");
    // Another vault's root key does not open it even with the gate's output.
    let other = enroll(two_of_three(), &servers, GateMode::Voprf, None, 12);
    let (read, requests) = UnitRead::start(std::slice::from_ref(&unit), &mut r).unwrap();
    let opened = read
        .finish(&other.vault, &answer_all(&servers, &requests))
        .unwrap();
    assert!(matches!(opened[0], Err(Error::OtherVault { .. })));
}

#[test]
fn recovery_kit_plus_card_rebuilds_the_vault_and_re_deals_to_a_new_device() {
    use qk::vault::{KeyServerSetup, RecoveryKit, ShareCard};
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 20);
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"kept", &mut rng(21))
        .unwrap();
    let kit = RecoveryKit::new(enrolled.header.clone(), enrolled.capsules.clone()).unwrap();
    let kit_bytes = kit.to_bytes();
    let card_text = enrolled.cards[0].to_secret_text().to_string();
    drop(enrolled); // the device is gone

    let kit = RecoveryKit::from_bytes(&kit_bytes).unwrap();
    let card = ShareCard::from_text(&card_text).unwrap();
    let vault = unlock(
        kit.header(),
        &[card.into_share()],
        kit.capsules(),
        &servers,
        None,
        22,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"kept");

    // Refresh to a new device (new holder id 4 replaces the lost 1) under key v2.
    let keys = servers[0].add_version();
    let policy = Policy::builder(2)
        .device(4, "new phone")
        .key_server(2, "keys", "keys.example")
        .custodian(3, "recovery card")
        .build()
        .unwrap();
    let setup =
        [KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, false).unwrap()];
    let mut r = rng(23);
    let (redeal, requests) = vault
        .refresh(kit.header(), kit.capsules(), policy, &setup, None, &mut r)
        .unwrap();
    let responses: Vec<GateResponse> = answer_all(&servers, &requests)
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let fresh = redeal.finish(&responses, &mut r).unwrap();
    servers[0].drop_version(1).unwrap();
    let again = unlock(
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        &servers,
        None,
        25,
    )
    .unwrap();
    assert_eq!(&**again.open_unit(&unit).unwrap(), b"kept");
    // The old kit is dead once v1 is dropped (its capsule is shredded, the old card alone is one share).
    let card = ShareCard::from_text(&card_text).unwrap();
    let err = unlock_trusting(
        &Trust::new(),
        kit.header(),
        &[card.into_share()],
        kit.capsules(),
        &servers,
        None,
        26,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
}

#[test]
fn rekey_changes_the_secret_and_moves_units() {
    use qk::vault::KeyServerSetup;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 30);
    let mut r = rng(31);
    let units = vec![
        enrolled.vault.seal_unit(b"a", b"one", &mut r).unwrap(),
        enrolled.vault.seal_unit(b"b", b"two", &mut r).unwrap(),
    ];
    let keys = servers[0].add_version();
    let setup =
        [KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, false).unwrap()];
    let (rekey, requests) = enrolled
        .vault
        .rekey(
            &enrolled.header,
            &enrolled.capsules,
            two_of_three(),
            &setup,
            None,
            &mut r,
        )
        .unwrap();
    let responses: Vec<GateResponse> = answer_all(&servers, &requests)
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let fresh = rekey.finish(&responses, &mut r).unwrap();
    assert_ne!(fresh.header.commitments(), enrolled.header.commitments());
    let moved = fresh
        .vault
        .reencrypt_units(&enrolled.vault, &units, &mut r)
        .unwrap();
    let vault = unlock(
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        &servers,
        None,
        33,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&moved[1]).unwrap(), b"two");
    // Old units do not open under the new key; old shares do not fit the new header.
    assert_eq!(vault.open_unit(&units[0]).unwrap_err(), Error::UnitOpen);
    let err = unlock(
        &fresh.header,
        &enrolled.device_shares,
        &fresh.capsules,
        &servers,
        None,
        34,
    )
    .unwrap_err();
    assert!(matches!(err, Error::StaleEpoch { .. }), "{err:?}");
}

#[test]
fn key_rotation_reseals_and_deleting_the_old_version_shreds_unmigrated_capsules() {
    use qk::vault::KeyServerSetup;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 40);
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"rotated", &mut rng(41))
        .unwrap();
    // The server adds v2; on the next unlock the client re-seals (open under v1, seal under v2).
    let keys = servers[0].add_version();
    let vault = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        42,
    )
    .unwrap();
    let holder = enrolled.capsules[0].holder();
    let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
    let mut r = rng(43);
    let (reseal, request) = vault
        .reseal(
            &enrolled.header,
            &enrolled.capsules[0],
            &setup,
            None,
            &mut r,
        )
        .unwrap();
    let response = servers[0].answer(&request).unwrap();
    let migrated = reseal.finish(&response, &mut r).unwrap();
    assert_eq!(migrated.key_version(), 2);
    // Re-sealing the migrated capsule under the same version is refused.
    assert_eq!(
        vault
            .reseal(&enrolled.header, &migrated, &setup, None, &mut r)
            .unwrap_err(),
        Error::KeyVersionNotNewer {
            holder,
            current: 2,
            requested: 2
        }
    );
    // The header did not change: cards and device shares stay valid.
    servers[0].drop_version(1).unwrap();
    let again = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        std::slice::from_ref(&migrated),
        &servers,
        None,
        44,
    )
    .unwrap();
    assert_eq!(&**again.open_unit(&unit).unwrap(), b"rotated");
    // The un-migrated capsule is shredded.
    let err = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        45,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
    // Even a server that still answers v1 requests with its v2 key fails the proof.
    let mut r = rng(46);
    let (pending, requests) = start_unlock(&enrolled, None, &mut r).unwrap();
    let forged = {
        // suite at byte 4, purpose at 5, key version at bytes 6..10 of both messages.
        let mut patched = requests[0].request.to_bytes();
        patched[6..10].copy_from_slice(&2u32.to_be_bytes());
        let mut out = servers[0].call(Operation::Evaluate(&patched)).unwrap();
        out[6..10].copy_from_slice(&1u32.to_be_bytes());
        GateResponse::from_bytes(&out).unwrap()
    };
    assert_eq!(
        pending.finish(&[Some(forged)], &mut r).unwrap_err(),
        Error::BadProof { holder }
    );
}

#[test]
fn password_change_is_a_reseal() {
    use qk::vault::KeyServerSetup;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(
        two_of_three(),
        &servers,
        GateMode::Voprf,
        Some(b"old pin"),
        50,
    );
    let vault = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"old pin"),
        51,
    )
    .unwrap();
    // A password change moves to a new key version, so that dropping the old version
    // retires the old password.
    let keys = servers[0].add_version();
    let setup = KeyServerSetup::newest(enrolled.capsules[0].holder(), &keys, GateMode::Voprf, true)
        .unwrap();
    let mut r = rng(52);
    let (reseal, request) = vault
        .reseal(
            &enrolled.header,
            &enrolled.capsules[0],
            &setup,
            Some(password(b"new pin")),
            &mut r,
        )
        .unwrap();
    let capsule = reseal
        .finish(&servers[0].answer(&request).unwrap(), &mut r)
        .unwrap();
    servers[0]
        .confirm(&vault.unlock_proof("keys.example"))
        .unwrap();
    assert!(
        unlock(
            &enrolled.header,
            &enrolled.device_shares,
            std::slice::from_ref(&capsule),
            &servers,
            Some(b"new pin"),
            53
        )
        .is_ok()
    );
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &[capsule],
        &servers,
        Some(b"old pin"),
        54,
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    // The old capsule opens with the old password until version 1 is dropped.
    assert!(
        unlock(
            &enrolled.header,
            &enrolled.device_shares,
            &enrolled.capsules,
            &servers,
            Some(b"old pin"),
            55
        )
        .is_ok()
    );
    servers[0].drop_version(1).unwrap();
    let err = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"old pin"),
        56,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
}

/// After the guard burned, the device and the recovery card (which reach `t` without the
/// key server) open the vault; the vault sets a new guard (new password materials, so new
/// password keys) and re-seals the key server's capsule behind a new PIN. The old capsule
/// stays dead, with the old PIN or the new one.
#[test]
fn a_burned_pin_is_replaced_from_the_device_and_the_card() {
    use qk::keyserver::GuardStatus;
    use qk::vault::KeyServerSetup;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"4711"), 60);
    for seed in 0..10 {
        let err = unlock(
            &enrolled.header,
            &enrolled.device_shares,
            &enrolled.capsules,
            &servers,
            Some(b"0000"),
            61 + seed,
        )
        .unwrap_err();
        assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    }
    assert_eq!(
        servers[0].key_set().guard(),
        GuardStatus::Burned { max_guesses: 10 }
    );

    // The device and the card alone: no key server, no PIN.
    let shares = [
        enrolled.device_shares[0].clone(),
        enrolled.cards[0].clone().into_share(),
    ];
    let vault = unlock(&enrolled.header, &shares, &[], &servers, None, 80).unwrap();
    // A second guard cannot be set while one is live; the first one can after a burn.
    let keys = servers[0]
        .set_password(&vault.password_setup("keys.example", 5).unwrap())
        .unwrap();
    assert_eq!(
        keys.guard(),
        GuardStatus::Active {
            max_guesses: 5,
            guesses_remaining: 5
        }
    );
    assert_eq!(
        servers[0]
            .set_password(&vault.password_setup("keys.example", 5).unwrap())
            .unwrap_err(),
        Error::PasswordAlreadySet
    );
    assert!(vault.password_setup("keys.example", 0).is_err());

    // Re-seal the capsule behind the new PIN, on a new key version; prove the unlock.
    let keys = servers[0].add_version();
    let setup = KeyServerSetup::newest(enrolled.capsules[0].holder(), &keys, GateMode::Voprf, true)
        .unwrap();
    let mut r = rng(81);
    let (reseal, request) = vault
        .reseal(
            &enrolled.header,
            &enrolled.capsules[0],
            &setup,
            Some(password(b"2580")),
            &mut r,
        )
        .unwrap();
    let capsule = reseal
        .finish(&servers[0].answer(&request).unwrap(), &mut r)
        .unwrap();
    servers[0]
        .confirm(&vault.unlock_proof("keys.example"))
        .unwrap();
    servers[0].drop_version(1).unwrap();

    let fresh = std::slice::from_ref(&capsule);
    let device = &enrolled.device_shares;
    let err = unlock(&enrolled.header, device, fresh, &servers, Some(b"4711"), 82).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongPassword {
                guesses_remaining: Some(4),
                ..
            }
        ),
        "{err:?}"
    );
    let reopened = unlock(&enrolled.header, device, fresh, &servers, Some(b"2580"), 83).unwrap();
    assert_eq!(reopened.vault_id(), vault.vault_id());
    assert_eq!(
        servers[0].key_set().guard(),
        GuardStatus::Active {
            max_guesses: 5,
            guesses_remaining: 5
        },
        "the proof after the right PIN reset the count"
    );
    // The capsule sealed before the burn opens with neither PIN: its key is no longer in
    // the key set, and the server cannot answer for it even when the capsule is trusted.
    let old = &enrolled.capsules;
    for (pin, seed) in [(&b"4711"[..], 84), (&b"2580"[..], 86)] {
        let err = unlock(&enrolled.header, device, old, &servers, Some(pin), seed).unwrap_err();
        assert_eq!(
            err,
            Error::UntrustedKey {
                holder: old[0].holder()
            }
        );
        let err = unlock_trusting(
            &Trust::new(),
            &enrolled.header,
            device,
            old,
            &servers,
            Some(pin),
            seed + 1,
        )
        .unwrap_err();
        assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
    }
}

/// Two-phase changes: random sequences of re-deals, re-seals, rekeys, recoveries and unit
/// additions, each with a failure possibly injected in the middle (a dropped response, a
/// wrong server key). The app persists new artifacts only after an operation succeeds and
/// they have unlocked once, and only then lets the server drop old key versions. After every
/// step the persisted state must still unlock, from the device and from the recovery card.
mod two_phase {
    use super::*;
    use proptest::prelude::*;
    use qk::vault::{
        Capsule, KeyServerSetup, PendingEnrollment, SealedUnit, ShareCard, Unlock, UnlockedVault,
        VaultHeader, VaultShare,
    };

    struct Persisted {
        header: VaultHeader,
        device: VaultShare,
        card: ShareCard,
        capsule: Capsule,
        units: Vec<(SealedUnit, Vec<u8>)>,
    }

    #[derive(Clone, Copy, Debug)]
    enum Failure {
        None,
        Dropped,
        WrongKey,
    }

    fn failure(code: u8) -> Failure {
        match code % 3 {
            0 => Failure::None,
            1 => Failure::Dropped,
            _ => Failure::WrongKey,
        }
    }

    /// Answers through `server`, or injects the failure. The impostor (another seed) first
    /// gets the key versions the request names.
    fn answer(
        server: &Server,
        impostor: &Server,
        request: &ServerRequest,
        f: Failure,
    ) -> Option<GateResponse> {
        match f {
            Failure::None => server.answer(request).ok(),
            Failure::Dropped => None,
            Failure::WrongKey => {
                while impostor.key_set().newest().unwrap().version() < request.request.key_version()
                {
                    impostor.add_version();
                }
                impostor.answer(request).ok()
            }
        }
    }

    fn check(p: &Persisted, server: &Server, seed: u64) {
        for shares in [vec![p.device.clone()], vec![p.card.share().clone()]] {
            let vault = unlock(
                &p.header,
                &shares,
                std::slice::from_ref(&p.capsule),
                std::slice::from_ref(server),
                None,
                seed,
            )
            .expect("persisted state must unlock");
            for (unit, plaintext) in &p.units {
                assert_eq!(&**vault.open_unit(unit).unwrap(), plaintext.as_slice());
            }
        }
    }

    fn open(p: &Persisted, server: &Server, seed: u64) -> UnlockedVault {
        unlock(
            &p.header,
            std::slice::from_ref(&p.device),
            std::slice::from_ref(&p.capsule),
            std::slice::from_ref(server),
            None,
            seed,
        )
        .unwrap()
    }

    /// Runs an enrollment-like change; `Some` only if it completed.
    fn complete(
        start: (PendingEnrollment, Vec<ServerRequest>),
        server: &Server,
        impostor: &Server,
        f: Failure,
        r: &mut rand_chacha::ChaCha20Rng,
    ) -> Option<qk::vault::Enrolled> {
        let (enrollment, requests) = start;
        let responses: Option<Vec<GateResponse>> = requests
            .iter()
            .map(|q| answer(server, impostor, q, f))
            .collect();
        enrollment.finish(&responses?, r).ok()
    }

    /// After a change is persisted under `version`, the server drops every older version.
    fn retire_below(server: &Server, version: u32) {
        for v in server.key_set().versions().iter().map(|v| v.version()) {
            if v < version {
                server.drop_version(v).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

        #[test]
        fn persisted_state_always_unlocks(ops in proptest::collection::vec((0u8..5, any::<u8>()), 1..6), seed in any::<u64>()) {
            let server = Server::new("keys.example", 7);
            let impostor = Server::new("keys.example", 99);
            let enrolled = enroll(two_of_three(), std::slice::from_ref(&server), GateMode::Voprf, None, seed);
            let mut r = rng(seed ^ 0xabc);
            let first = (enrolled.vault.seal_unit(b"unit-0", b"zero", &mut r).unwrap(), b"zero".to_vec());
            let mut p = Persisted {
                header: enrolled.header.clone(),
                device: enrolled.device_shares[0].clone(),
                card: enrolled.cards[0].clone(),
                capsule: enrolled.capsules[0].clone(),
                units: vec![first],
            };
            let holder = p.capsule.holder();
            for (step, (op, fail)) in ops.into_iter().enumerate() {
                let f = failure(fail);
                match op {
                    // Refresh under the next key version.
                    0 => {
                        let keys = server.add_version();
                        let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
                        let vault = open(&p, &server, seed + step as u64);
                        let start = vault.refresh(&p.header, std::slice::from_ref(&p.capsule), two_of_three(), std::slice::from_ref(&setup), None, &mut r).unwrap();
                        if let Some(fresh) = complete(start, &server, &impostor, f, &mut r) {
                            let candidate = Persisted { header: fresh.header, device: fresh.device_shares[0].clone(), card: fresh.cards[0].clone(), capsule: fresh.capsules[0].clone(), units: p.units.clone() };
                            check(&candidate, &server, seed);
                            p = candidate;
                            retire_below(&server, setup.pin.key_version);
                        }
                    }
                    // Re-seal the capsule under the next key version (rotation).
                    1 => {
                        let keys = server.add_version();
                        let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
                        let vault = open(&p, &server, seed + step as u64);
                        let (reseal, request) = vault.reseal(&p.header, &p.capsule, &setup, None, &mut r).unwrap();
                        if let Some(capsule) = answer(&server, &impostor, &request, f).and_then(|resp| reseal.finish(&resp, &mut r).ok()) {
                            let candidate = Persisted { capsule, header: p.header.clone(), device: p.device.clone(), card: p.card.clone(), units: p.units.clone() };
                            check(&candidate, &server, seed);
                            p = candidate;
                            retire_below(&server, setup.pin.key_version);
                        }
                    }
                    // Rekey: new secret, units re-encrypted.
                    2 => {
                        let keys = server.add_version();
                        let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
                        let vault = open(&p, &server, seed + step as u64);
                        let start = vault.rekey(&p.header, std::slice::from_ref(&p.capsule), two_of_three(), std::slice::from_ref(&setup), None, &mut r).unwrap();
                        if let Some(fresh) = complete(start, &server, &impostor, f, &mut r) {
                            let sealed: Vec<SealedUnit> = p.units.iter().map(|(u, _)| u.clone()).collect();
                            let moved = fresh.vault.reencrypt_units(&vault, &sealed, &mut r).unwrap();
                            let units = moved.into_iter().zip(p.units.iter().map(|(_, t)| t.clone())).collect();
                            let candidate = Persisted { header: fresh.header, device: fresh.device_shares[0].clone(), card: fresh.cards[0].clone(), capsule: fresh.capsules[0].clone(), units };
                            check(&candidate, &server, seed);
                            p = candidate;
                            retire_below(&server, setup.pin.key_version);
                        }
                    }
                    // Recovery with the card (device lost), then unlock with what is persisted.
                    3 => {
                        let (pending, requests) = Unlock::start(&p.header, &[p.card.share().clone()], std::slice::from_ref(&p.capsule), &Trust::new(), None, &mut r).unwrap();
                        let responses: Vec<Option<GateResponse>> = requests.iter().map(|q| answer(&server, &impostor, q, f)).collect();
                        let result = pending.finish(&responses, &mut r);
                        prop_assert_eq!(result.is_ok(), matches!(f, Failure::None));
                    }
                    // Add a unit.
                    _ => {
                        let vault = open(&p, &server, seed + step as u64);
                        let text = format!("unit {step}").into_bytes();
                        let unit = vault.seal_unit(format!("unit-{step}").as_bytes(), &text, &mut r).unwrap();
                        p.units.push((unit, text));
                    }
                }
                check(&p, &server, seed ^ step as u64);
            }
        }
    }
}

/// Several key servers: in 3-of-4 {device, server A, server B, escrow}, an attacker holding
/// server A's key (its master seed leaked) and the stolen device still has only two shares.
#[test]
fn one_key_servers_key_alone_changes_nothing() {
    let (policy, servers) = three_of_four_two_servers();
    let enrolled = enroll(policy, &servers, GateMode::Voprf, None, 60);
    // The attacker runs its own copy of server A (same seed, no rate limit, no log); server B
    // is out of reach.
    let attacker = [Server::new("a.example", 1)];
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &attacker,
        None,
        61,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 3, got: 2 });
}
