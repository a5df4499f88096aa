//! The `units` tests of one suite: see `tests/units.rs`.

use super::common::*;
use super::qk;
use qk::Error;
use qk::gate::{GateMode, GateResponse, Purpose, ServerRequest};
use qk::keyserver::AuditAction;
use qk::oprf::MAX_BATCH;
use qk::policy::Policy;
use qk::vault::{
    GateTarget, KeyServerSetup, SealedUnit, Trust, UnitIndex, UnitMigration, UnitRead,
    UnlockedVault,
};

fn answers(server: &Server, requests: &[ServerRequest]) -> Vec<GateResponse> {
    requests.iter().map(|q| server.answer(q).unwrap()).collect()
}

/// Seals `n` units behind gates at `server`'s newest unit-gate key.
fn gated_units(vault: &UnlockedVault, server: &Server, n: usize, seed: u64) -> Vec<SealedUnit> {
    let mut r = rng(seed);
    let keys = server.key_set();
    let pin = keys
        .newest_pin(Purpose::UnitGate, qk::oprf::Mode::Voprf)
        .unwrap();
    (0..n)
        .map(|i| {
            let (seal, request) = vault
                .seal_gated_unit(
                    format!("vendor:{i}").as_bytes(),
                    format!("secret {i}").as_bytes(),
                    server.key_id,
                    pin.clone(),
                    GateMode::Voprf,
                    &mut r,
                )
                .unwrap();
            seal.finish(vault, &server.answer(&request).unwrap(), &mut r)
                .unwrap()
        })
        .collect()
}

fn read_all(
    vault: &UnlockedVault,
    server: &Server,
    units: &[SealedUnit],
    seed: u64,
) -> Vec<Vec<u8>> {
    let mut r = rng(seed);
    let (read, requests) = UnitRead::start(units, &mut r).unwrap();
    let responses: Vec<Option<GateResponse>> =
        requests.iter().map(|q| server.answer(q).ok()).collect();
    read.finish(vault, &responses)
        .unwrap()
        .into_iter()
        .map(|p| p.unwrap().to_vec())
        .collect()
}

#[test]
fn reading_more_units_than_one_batch_takes_one_request_and_one_event_per_chunk() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 1);
    let units = gated_units(&enrolled.vault, &servers[0], MAX_BATCH + 1, 2);
    let mut r = rng(3);
    let (read, requests) = UnitRead::start(&units, &mut r).unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|q| q.request.evaluation_request().len())
        .collect();
    assert_eq!(sizes, [MAX_BATCH, 1]);
    let before = servers[0].evaluations();
    let responses: Vec<Option<GateResponse>> = requests
        .iter()
        .map(|q| Some(servers[0].answer(q).unwrap()))
        .collect();
    assert_eq!(
        servers[0].evaluations() - before,
        2,
        "one audit event per chunk"
    );
    let opened = read.finish(&enrolled.vault, &responses).unwrap();
    assert_eq!(opened.len(), MAX_BATCH + 1);
    for (i, plaintext) in opened.iter().enumerate() {
        assert_eq!(
            &**plaintext.as_ref().unwrap(),
            format!("secret {i}").as_bytes()
        );
    }
}

#[test]
fn an_older_version_served_again_is_a_rollback() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 10);
    let vault = &enrolled.vault;
    let mut r = rng(11);
    let v1 = vault
        .seal_unit(b"vendor:acme", b"old password", &mut r)
        .unwrap();
    let v2 = vault.update_unit(&v1, b"new password", &mut r).unwrap();
    assert_eq!((v1.version(), v2.version()), (1, 2));
    let mut index = UnitIndex::new(vault.vault_id());
    index.observe(&v1).unwrap();
    index.observe(&v2).unwrap();
    // Storage serves the old, genuine ciphertext: it still decrypts, but the index catches it.
    assert_eq!(&**vault.open_unit(&v1).unwrap(), b"old password");
    assert_eq!(
        index.check(&v1).unwrap_err(),
        Error::UnitRollback {
            found: 1,
            expected: 2
        }
    );
    // The version is bound into the associated data: relabelling v1 as v2 does not open.
    let mut forged = v1.to_bytes();
    let at = 4 + 16 + 1 + b"vendor:acme".len();
    forged[at..at + 4].copy_from_slice(&2u32.to_be_bytes());
    let forged = SealedUnit::from_bytes(&forged).unwrap();
    assert_eq!(forged.version(), 2);
    index.check(&forged).unwrap();
    assert_eq!(vault.open_unit(&forged).unwrap_err(), Error::UnitOpen);
    // The index survives its encoding, and refuses another vault's units.
    let index = UnitIndex::from_bytes(&index.to_bytes()).unwrap();
    assert_eq!(index.latest(b"vendor:acme"), Some(2));
    let other = enroll(two_of_three(), &servers, GateMode::Voprf, None, 12);
    let theirs = other.vault.seal_unit(b"vendor:acme", b"x", &mut r).unwrap();
    assert!(matches!(
        index.check(&theirs),
        Err(Error::OtherVault { .. })
    ));
}

/// A gated unit updated through a fresh gate is the next version, so the index refuses the
/// old ciphertext (which still opens through its own gate) when storage serves it again.
#[test]
fn a_gated_update_is_the_next_version_and_the_old_one_a_rollback() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 13);
    let vault = &enrolled.vault;
    let v1 = gated_units(vault, &servers[0], 1, 14).remove(0);
    let pin = servers[0]
        .key_set()
        .newest_pin(Purpose::UnitGate, qk::oprf::Mode::Voprf)
        .unwrap();
    let mut r = rng(15);
    let (seal, request) = vault
        .update_gated_unit(
            &v1,
            b"rotated password",
            servers[0].key_id,
            pin.clone(),
            GateMode::Voprf,
            &mut r,
        )
        .unwrap();
    let v2 = seal
        .finish(vault, &servers[0].answer(&request).unwrap(), &mut r)
        .unwrap();
    assert_eq!((v2.unit_id(), v2.version()), (v1.unit_id(), 2));
    assert_eq!(
        read_all(vault, &servers[0], &[v1.clone(), v2.clone()], 16),
        [b"secret 0".to_vec(), b"rotated password".to_vec()]
    );
    let mut index = UnitIndex::new(vault.vault_id());
    index.observe(&v1).unwrap();
    index.observe(&v2).unwrap();
    assert_eq!(
        index.check(&v1).unwrap_err(),
        Error::UnitRollback {
            found: 1,
            expected: 2
        }
    );
    // An ungated unit can become gated as its next version; another vault's unit is refused.
    let plain = vault.seal_unit(b"note", b"x", &mut r).unwrap();
    let (_, request) = vault
        .update_gated_unit(
            &plain,
            b"y",
            servers[0].key_id,
            pin.clone(),
            GateMode::Voprf,
            &mut r,
        )
        .unwrap();
    assert_eq!(request.key_id, servers[0].key_id);
    let other = enroll(two_of_three(), &servers, GateMode::Voprf, None, 17);
    let theirs = other.vault.seal_unit(b"note", b"x", &mut r).unwrap();
    assert!(matches!(
        vault.update_gated_unit(
            &theirs,
            b"y",
            servers[0].key_id,
            pin,
            GateMode::Voprf,
            &mut r
        ),
        Err(Error::OtherVault { .. })
    ));
}

#[test]
fn gated_units_move_to_the_new_key_version_before_the_old_is_dropped() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 20);
    let vault = &enrolled.vault;
    let mut units = gated_units(vault, &servers[0], 3, 21);
    units.push(vault.seal_unit(b"plain", b"ungated", &mut rng(22)).unwrap());
    let keys = servers[0].add_version();
    let target = GateTarget {
        key_id: "keys.example".into(),
        pin: keys
            .newest_pin(Purpose::UnitGate, qk::oprf::Mode::Voprf)
            .unwrap(),
        mode: GateMode::Voprf,
    };
    let mut r = rng(23);
    // Moving to the version in use is refused.
    let stale = GateTarget {
        pin: servers[0].pin(1, Purpose::UnitGate, &GateMode::Voprf),
        ..target.clone()
    };
    assert_eq!(
        UnitMigration::start(&units, &[stale], &mut r).unwrap_err(),
        Error::UnitGateNotNewer {
            current: 1,
            requested: 1
        }
    );
    let (migration, requests) = UnitMigration::start(&units, &[target], &mut r).unwrap();
    assert_eq!(requests.len(), 2, "one read request, one seal request");
    let moved = migration
        .finish(vault, vault, &answers(&servers[0], &requests), &mut r)
        .unwrap();
    assert!(
        moved[..3]
            .iter()
            .all(|u| u.gate().unwrap().pin().key_version == 2)
    );
    assert!(moved.iter().all(|u| u.version() == 2));
    servers[0].drop_version(1).unwrap();
    let opened = read_all(vault, &servers[0], &moved, 24);
    assert_eq!(opened[1], b"secret 1");
    assert_eq!(opened[3], b"ungated");
    // The units left behind are lost with version 1.
    let (read, requests) = UnitRead::start(&units, &mut r).unwrap();
    let responses: Vec<Option<GateResponse>> =
        requests.iter().map(|q| servers[0].answer(q).ok()).collect();
    let opened = read.finish(vault, &responses).unwrap();
    assert_eq!(opened[0].as_ref().unwrap_err(), &Error::UnitGateRefused);
}

/// Revocation that holds: the old device share and the old recovery card, stolen together
/// (t = 2 old shares), still open the old vault — but nothing sealed after the revocation.
#[test]
fn revocation_rekeys_and_moves_every_unit_and_old_shares_open_nothing_new() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 30);
    let vault = &enrolled.vault;
    let mut units = gated_units(vault, &servers[0], 2, 31);
    units.push(vault.seal_unit(b"plain", b"ungated", &mut rng(32)).unwrap());
    // The lost phone (holder 1) is replaced by a new one (holder 4).
    let keys = servers[0].add_version();
    let policy = Policy::builder(2)
        .device(4, "new phone")
        .key_server(2, "keys", "keys.example")
        .custodian(3, "new recovery card")
        .build()
        .unwrap();
    let setup =
        KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, false).unwrap();
    let target = GateTarget {
        key_id: "keys.example".into(),
        pin: keys
            .newest_pin(Purpose::UnitGate, qk::oprf::Mode::Voprf)
            .unwrap(),
        mode: GateMode::Voprf,
    };
    let mut r = rng(33);
    let (revocation, requests) = vault
        .revoke(
            &enrolled.header,
            &enrolled.capsules,
            policy,
            &[setup],
            None,
            &units,
            &[target],
            &mut r,
        )
        .unwrap();
    let revoked = revocation
        .finish(&answers(&servers[0], &requests), &mut r)
        .unwrap();
    let new = &revoked.enrolled;
    assert_eq!(new.header.epoch(), 1);
    // Persisted and checked: the new dealing unlocks and opens every moved unit.
    let fresh = unlock(
        &new.header,
        &new.device_shares,
        &new.capsules,
        &servers,
        None,
        34,
    )
    .unwrap();
    let opened = read_all(&fresh, &servers[0], &revoked.units, 35);
    assert_eq!(
        opened,
        [
            b"secret 0".to_vec(),
            b"secret 1".to_vec(),
            b"ungated".to_vec()
        ]
    );
    // Then the old key version is dropped.
    servers[0].drop_version(1).unwrap();
    // The thief's t old shares rebuild the OLD secret without any server…
    let old = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &[
            enrolled.device_shares[0].clone(),
            enrolled.cards[0].share().clone(),
        ],
        &[],
        &servers,
        None,
        36,
    )
    .unwrap();
    // …which opens the old ungated unit they kept, but none of the revoked units.
    assert_eq!(&**old.open_unit(&units[2]).unwrap(), b"ungated");
    assert_eq!(
        old.open_unit(&revoked.units[2]).unwrap_err(),
        Error::UnitOpen
    );
    let written_after = fresh.seal_unit(b"later", b"new secret", &mut r).unwrap();
    assert_eq!(old.open_unit(&written_after).unwrap_err(), Error::UnitOpen);
    // And the old gated units died with version 1.
    let (read, requests) = UnitRead::start(&units[..2], &mut r).unwrap();
    let responses: Vec<Option<GateResponse>> =
        requests.iter().map(|q| servers[0].answer(q).ok()).collect();
    assert!(
        read.finish(&old, &responses)
            .unwrap()
            .iter()
            .all(|o| o.as_ref().unwrap_err() == &Error::UnitGateRefused)
    );
    // The key server saw the whole revocation as evaluations only.
    assert!(
        servers[0]
            .audit
            .borrow()
            .iter()
            .any(|e| matches!(e.action, AuditAction::KeyVersionDropped { version: 1 }))
    );
}

#[test]
fn a_refresh_keeps_gated_units_once_their_gates_move() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 40);
    let vault = &enrolled.vault;
    let units = gated_units(vault, &servers[0], 2, 41);
    let keys = servers[0].add_version();
    let setup =
        KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, false).unwrap();
    let mut r = rng(42);
    let (pending, requests) = vault
        .refresh(
            &enrolled.header,
            &enrolled.capsules,
            two_of_three(),
            &[setup],
            None,
            &mut r,
        )
        .unwrap();
    let fresh = pending
        .finish(&answers(&servers[0], &requests), &mut r)
        .unwrap();
    let target = GateTarget {
        key_id: "keys.example".into(),
        pin: keys
            .newest_pin(Purpose::UnitGate, qk::oprf::Mode::Voprf)
            .unwrap(),
        mode: GateMode::Voprf,
    };
    let (migration, requests) = UnitMigration::start(&units, &[target], &mut r).unwrap();
    let moved = migration
        .finish(
            vault,
            &fresh.vault,
            &answers(&servers[0], &requests),
            &mut r,
        )
        .unwrap();
    servers[0].drop_version(1).unwrap();
    let again = unlock(
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        &servers,
        None,
        43,
    )
    .unwrap();
    assert_eq!(
        read_all(&again, &servers[0], &moved, 44),
        [b"secret 0".to_vec(), b"secret 1".to_vec()]
    );
}

mod index_model {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random observations and deletions over a few unit ids and versions: the index
        /// answers as a map of the highest version seen does, refuses exactly the older
        /// versions, and its encoding round-trips (ids ascending, as the format requires).
        #[test]
        fn the_index_is_a_map_of_the_latest_version(
            steps in proptest::collection::vec((0u8..6, 1u32..5, any::<bool>()), 1..40)
        ) {
            let servers = [Server::new("keys.example", 7)];
            let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 30);
            let vault = &enrolled.vault;
            let mut r = rng(31);
            let mut index = UnitIndex::new(vault.vault_id());
            let mut model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
            for (id, version, forget) in steps {
                let unit_id = format!("unit:{id}").into_bytes();
                if forget {
                    index.forget(&unit_id);
                    model.remove(&unit_id);
                    continue;
                }
                let mut unit = vault.seal_unit(&unit_id, b"x", &mut r).unwrap();
                for _ in 1..version {
                    unit = vault.update_unit(&unit, b"x", &mut r).unwrap();
                }
                let latest = model.get(&unit_id).copied();
                match index.observe(&unit) {
                    Ok(()) => {
                        prop_assert!(latest.is_none_or(|l| version >= l));
                        model.insert(unit_id.clone(), version);
                    }
                    Err(e) => {
                        prop_assert_eq!(
                            e,
                            Error::UnitRollback { found: version, expected: latest.unwrap() }
                        );
                    }
                }
                for (id, v) in &model {
                    prop_assert_eq!(index.latest(id), Some(*v));
                }
            }
            let decoded = UnitIndex::from_bytes(&index.to_bytes()).unwrap();
            prop_assert_eq!(&decoded, &index);
            for id in 0u8..6 {
                let unit_id = format!("unit:{id}").into_bytes();
                prop_assert_eq!(decoded.latest(&unit_id), model.get(&unit_id).copied());
            }
        }
    }
}
