//! The rows of `spec/threat-model.md` that are about what an attacker *keeps*: old shares
//! after a refresh or a rekey, a leaked master seed with or without the key server's
//! records, and a restored backup of a record. Each test plays the attacker with nothing
//! but what that row says they hold.
#![cfg(feature = "alloc")]

use quorumkey as qk;
/// The suite `common` runs its key servers in.
const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
mod common;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use common::*;
use quorumkey::Error;
use quorumkey::gate::{GateMode, GateResponse, Purpose};
use quorumkey::oprf::{Mode, ServerKey};
use quorumkey::vault::{KeyServerSetup, Trust, Unlock, VaultHeader, VaultShare};

/// Unlocks with shares alone (no key server), trusting `header`.
fn unlock_with_shares(
    header: &VaultHeader,
    shares: &[VaultShare],
) -> Result<quorumkey::vault::UnlockedVault, Error> {
    let trust = Trust::new().header(header.digest());
    let (unlock, requests) = Unlock::start(header, shares, &[], &trust, None, &mut rng(90))?;
    assert!(requests.is_empty());
    unlock.finish(&[], &mut rng(91))
}

/// A refresh re-deals the *same* secret: the old device share and the old recovery card,
/// kept together, still rebuild it from the old header — and so open every unit, including
/// one sealed after the refresh. Dropping the old key version does not change that.
#[test]
fn after_a_refresh_t_old_shares_still_open_units_written_later() {
    let servers = [Server::new("keys.example", 7)];
    let policy = two_of_three();
    let old = enroll(policy.clone(), &servers, GateMode::Voprf, None, 60);
    let keys = servers[0].add_version();
    let setup =
        KeyServerSetup::newest(old.capsules[0].holder(), &keys, GateMode::Voprf, false).unwrap();
    let mut r = rng(61);
    let (pending, requests) = old
        .vault
        .refresh(&old.header, &old.capsules, policy, &[setup], None, &mut r)
        .unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| servers[0].answer(q).unwrap())
        .collect();
    let fresh = pending.finish(&responses, &mut r).unwrap();
    servers[0].drop_version(1).unwrap();
    let later = fresh
        .vault
        .seal_unit(b"vendor:acme", b"written after the refresh", &mut r)
        .unwrap();

    let old_shares = [
        old.device_shares[0].clone(),
        old.cards[0].clone().into_share(),
    ];
    let kept = unlock_with_shares(&old.header, &old_shares).unwrap();
    assert_eq!(
        &**kept.open_unit(&later).unwrap(),
        b"written after the refresh"
    );
}

/// A rekey deals a *new* secret: the same two old shares still open the old vault (and the
/// units sealed before), but nothing sealed after the rekey.
#[test]
fn after_a_rekey_old_shares_open_nothing_sealed_later() {
    let servers = [Server::new("keys.example", 7)];
    let policy = two_of_three();
    let old = enroll(policy.clone(), &servers, GateMode::Voprf, None, 70);
    let mut r = rng(71);
    let before = old.vault.seal_unit(b"a", b"before", &mut r).unwrap();
    let keys = servers[0].add_version();
    let setup =
        KeyServerSetup::newest(old.capsules[0].holder(), &keys, GateMode::Voprf, false).unwrap();
    let (pending, requests) = old
        .vault
        .rekey(&old.header, &old.capsules, policy, &[setup], None, &mut r)
        .unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| servers[0].answer(q).unwrap())
        .collect();
    let fresh = pending.finish(&responses, &mut r).unwrap();
    let later = fresh.vault.seal_unit(b"b", b"after", &mut r).unwrap();

    let old_shares = [
        old.device_shares[0].clone(),
        old.cards[0].clone().into_share(),
    ];
    let kept = unlock_with_shares(&old.header, &old_shares).unwrap();
    assert_eq!(&**kept.open_unit(&before).unwrap(), b"before");
    assert_eq!(kept.open_unit(&later).unwrap_err(), Error::UnitOpen);
}

/// `(version, material, password material)` of each key version in a user record's bytes
/// (spec/wire-format.md §14).
fn materials(record: &[u8]) -> Vec<(u32, Vec<u8>, Option<Vec<u8>>)> {
    let mut at = 13;
    let mut out = Vec::new();
    for _ in 0..record[12] {
        let version = u32::from_be_bytes(record[at..at + 4].try_into().unwrap());
        let material = record[at + 8..at + 40].to_vec();
        let password = (record[at + 40] == 1).then(|| record[at + 41..at + 73].to_vec());
        at += 41 + if password.is_some() { 32 } else { 0 };
        out.push((version, material, password));
    }
    out
}

/// The password-capsule key of spec/protocol.md §3.6 from the seed and the materials.
fn password_key(seed: &[u8; 32], version: u32, material: &[u8], password: &[u8]) -> ServerKey {
    let mut info = b"quorumkey v2 key".to_vec();
    info.push(Purpose::PasswordCapsule.to_byte());
    info.push(USER.len() as u8);
    info.extend_from_slice(USER);
    info.extend_from_slice(&version.to_be_bytes());
    info.extend_from_slice(material);
    info.extend_from_slice(password);
    ServerKey::derive(Mode::Voprf, seed, &info).unwrap()
}

/// The offline attack after a leak of the master seed *and* the user's record *and* a
/// password capsule: every guess costs one Argon2id and one OPRF evaluation (then an AEAD
/// trial), and it finds the password. With the seed alone the password keys cannot even be
/// derived: the record's materials are random and live only in the database.
#[test]
fn a_seed_leak_needs_the_record_too_and_then_each_guess_costs_argon2id_and_an_evaluation() {
    const SEED: u8 = 7;
    let servers = [Server::new("keys.example", SEED)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"4711"), 80);
    let capsule = &enrolled.capsules[0];
    let params = capsule.password_params().unwrap();
    let record = servers[0]
        .record
        .borrow()
        .as_ref()
        .unwrap()
        .to_secret_bytes();
    let (version, material, password) = materials(&record).remove(0);
    let seed = [SEED; 32];

    // Seed alone: the materials are 64 unknown random bytes; guessing them is hopeless, and
    // a key derived without them is not the pinned key.
    let guessed = password_key(&seed, version, &[0; 32], &[0; 32]);
    assert_ne!(guessed.public_key(), &capsule.pin().public_key);

    // Seed + record + capsule: the attacker's loop over a dictionary.
    let key = password_key(&seed, version, &material, password.as_ref().unwrap());
    assert_eq!(key.public_key(), &capsule.pin().public_key);
    let bytes = capsule.to_bytes();
    let (ad, sealed) = bytes.split_at(bytes.len() - 48);
    let nonce = &ad[ad.len() - 24..];
    let mut argon2_runs = 0;
    let found = ["0000", "1234", "4711", "9999"].into_iter().find(|guess| {
        argon2_runs += 1;
        let stretched = params
            .stretch(guess.as_bytes(), capsule.gate_input())
            .unwrap();
        let input = [capsule.gate_input().as_slice(), &*stretched].concat();
        let output = key.evaluate(Mode::Voprf, &input).unwrap();
        let capsule_key = blake3::derive_key(
            "quorumkey v2 capsule",
            &[
                output.as_secret_bytes().as_slice(),
                enrolled.header.digest(),
                &[capsule.holder().get()],
            ]
            .concat(),
        );
        let (ct, tag) = sealed.split_at(32);
        let mut buf = ct.to_vec();
        XChaCha20Poly1305::new((&capsule_key).into())
            .decrypt_inout_detached(
                nonce.try_into().unwrap(),
                ad,
                buf.as_mut_slice().into(),
                tag.try_into().unwrap(),
            )
            .is_ok()
    });
    assert_eq!(found, Some("4711"));
    assert_eq!(argon2_runs, 3, "one Argon2id per guess");
}

/// A backup of the record taken before a burn brings back the password material and the
/// old counter: restored, the burned password capsule opens again. Backups of the records
/// must be guarded like the seed.
#[test]
fn restoring_a_pre_burn_backup_revives_the_burned_password_key() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, Some(b"4711"), 85);
    let backup = servers[0].record.borrow().clone();
    let shares = &enrolled.device_shares;
    for seed in 0..10 {
        let err = unlock(
            &enrolled.header,
            shares,
            &enrolled.capsules,
            &servers,
            Some(b"0000"),
            86 + seed,
        )
        .unwrap_err();
        assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    }
    // Burned: the right password no longer helps.
    assert!(
        unlock(
            &enrolled.header,
            shares,
            &enrolled.capsules,
            &servers,
            Some(b"4711"),
            97
        )
        .is_err()
    );
    *servers[0].record.borrow_mut() = backup;
    let vault = unlock(
        &enrolled.header,
        shares,
        &enrolled.capsules,
        &servers,
        Some(b"4711"),
        98,
    );
    assert!(vault.is_ok(), "{:?}", vault.err());
}
