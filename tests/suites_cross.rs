//! The two suites side by side: an object of one suite is refused by the other's decoders,
//! `codec::suite_of` names each object's suite, one key server serves both from one record
//! with independent keys, and a vault's objects cannot be mixed with the other suite's.
#![cfg(feature = "ristretto255")]

use quorumkey::codec::{DecodeError, suite_of};
use quorumkey::gate::{GateMode, GateResponse, Purpose};
use quorumkey::keyserver::{KeyServer, Operation, UserRecord};
use quorumkey::oprf::Mode;
use quorumkey::policy::Policy;
use quorumkey::sharing::HolderId;
use quorumkey::suite::SuiteId;
use quorumkey::{Error, ristretto255 as r255, vault as p256};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const USER: &[u8] = b"user-42";

fn policy() -> Policy {
    Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "keys", "keys.example")
        .custodian(3, "card")
        .build()
        .unwrap()
}

fn call(
    server: &KeyServer,
    record: &mut Option<UserRecord>,
    suite: SuiteId,
    op: Operation<'_>,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    server
        .handle_local_in(suite, USER, record, op, rng)
        .unwrap()
        .body
}

#[test]
fn one_server_both_suites_and_no_mixing() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let server = KeyServer::new([7; 32]);
    let mut record = None;
    let p_keys = call(
        &server,
        &mut record,
        SuiteId::P256,
        Operation::AddKeyVersion,
        &mut rng,
    );
    let r_keys = call(
        &server,
        &mut record,
        SuiteId::Ristretto255,
        Operation::GetKeys,
        &mut rng,
    );
    assert_eq!(suite_of(&p_keys), Ok(Some(SuiteId::P256)));
    assert_eq!(suite_of(&r_keys), Ok(Some(SuiteId::Ristretto255)));
    // Each decoder reads its own suite only.
    assert_eq!(
        quorumkey::keyserver::KeySet::from_bytes(&r_keys).unwrap_err(),
        Error::Decode {
            object: "key set",
            error: DecodeError::UnknownSuite(0x02)
        }
    );
    assert_eq!(
        r255::keyserver::KeySet::from_bytes(&p_keys).unwrap_err(),
        Error::Decode {
            object: "key set",
            error: DecodeError::UnknownSuite(0x01)
        }
    );
    let p_keys = quorumkey::keyserver::KeySet::from_bytes(&p_keys).unwrap();
    let r_keys = r255::keyserver::KeySet::from_bytes(&r_keys).unwrap();
    let p_pin = p_keys.newest_pin(Purpose::Capsule, Mode::Voprf).unwrap();
    let r_pin = r_keys.newest_pin(Purpose::Capsule, Mode::Voprf).unwrap();
    assert_eq!(p_pin.public_key.to_bytes().len(), 33);
    assert_eq!(r_pin.public_key.to_bytes().len(), 32);

    // Enrol one vault in each suite at the same key server.
    let holder = HolderId::new(2).unwrap();
    let (pending, requests) = p256::Enrollment::start(
        policy(),
        &[p256::KeyServerSetup::newest(holder, &p_keys, GateMode::Voprf, false).unwrap()],
        None,
        &mut rng,
    )
    .unwrap();
    let responses: Vec<_> = requests
        .iter()
        .map(|q| {
            let body = call(
                &server,
                &mut record,
                SuiteId::P256,
                Operation::Evaluate(&q.request.to_bytes()),
                &mut rng,
            );
            assert_eq!(suite_of(&body), Ok(Some(SuiteId::P256)));
            GateResponse::from_bytes(&body).unwrap()
        })
        .collect();
    let p_vault = pending.finish(&responses, &mut rng).unwrap();
    let (pending, requests) = r255::vault::Enrollment::start(
        policy(),
        &[r255::vault::KeyServerSetup::newest(holder, &r_keys, GateMode::Voprf, false).unwrap()],
        None,
        &mut rng,
    )
    .unwrap();
    let responses: Vec<_> = requests
        .iter()
        .map(|q| {
            // The request names its suite: `handle` (P-256 key sets) evaluates it in
            // ristretto255 all the same.
            let bytes = q.request.to_bytes();
            assert_eq!(suite_of(&bytes), Ok(Some(SuiteId::Ristretto255)));
            let body = call(
                &server,
                &mut record,
                SuiteId::P256,
                Operation::Evaluate(&bytes),
                &mut rng,
            );
            r255::gate::GateResponse::from_bytes(&body).unwrap()
        })
        .collect();
    let r_vault = pending.finish(&responses, &mut rng).unwrap();

    // Headers name their suite; shares, capsules and units do not.
    let p_header = p_vault.header.to_bytes();
    let r_header = r_vault.header.to_bytes();
    assert_eq!(suite_of(&p_header), Ok(Some(SuiteId::P256)));
    assert_eq!(suite_of(&r_header), Ok(Some(SuiteId::Ristretto255)));
    assert_eq!(suite_of(&r_vault.capsules[0].to_bytes()), Ok(None));
    assert_eq!(
        p256::VaultHeader::from_bytes(&r_header).unwrap_err(),
        Error::Decode {
            object: "vault header",
            error: DecodeError::UnknownSuite(0x02)
        }
    );
    // A capsule of the other suite does not even decode (its pkS has another length).
    assert!(p256::Capsule::from_bytes(&r_vault.capsules[0].to_bytes()).is_err());
    assert!(r255::vault::Capsule::from_bytes(&p_vault.capsules[0].to_bytes()).is_err());
    // A share has the same length in both suites; read with the other suite, it is bound
    // to a header digest the other vault's header does not have.
    let r_share = r_vault.device_shares[0].to_secret_bytes();
    if let Ok(misread) = p256::VaultShare::from_bytes(&*r_share) {
        let trust = p256::Trust::new();
        let error = p256::Unlock::start(
            &p_vault.header,
            &[misread],
            &p_vault.capsules,
            &trust,
            None,
            &mut rng,
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Error::WrongVault { .. } | Error::HeaderMismatch { .. }
            ),
            "{error:?}"
        );
    }

    // Both vaults unlock through the same server.
    let unit = r_vault
        .vault
        .seal_unit(b"vendor:acme", b"alice", &mut rng)
        .unwrap();
    let (unlock, requests) = r255::vault::Unlock::start(
        &r_vault.header,
        &r_vault.device_shares,
        &r_vault.capsules,
        &r255::vault::Trust::new(),
        None,
        &mut rng,
    )
    .unwrap();
    let answers: Vec<_> = requests
        .iter()
        .map(|q| {
            let body = call(
                &server,
                &mut record,
                SuiteId::Ristretto255,
                Operation::Evaluate(&q.request.to_bytes()),
                &mut rng,
            );
            Some(r255::gate::GateResponse::from_bytes(&body).unwrap())
        })
        .collect();
    let opened = unlock.finish(&answers, &mut rng).unwrap();
    assert_eq!(&**opened.open_unit(&unit).unwrap(), b"alice");
    // An ungated unit has no suite of its own (it decodes with either suite's decoder),
    // but it belongs to its vault: the other suite's vault refuses it.
    assert_eq!(
        p_vault
            .vault
            .open_unit(&p256::SealedUnit::from_bytes(&unit.to_bytes()).unwrap()),
        Err(Error::OtherVault {
            object: "sealed unit"
        })
    );
}

#[test]
fn suite_ids() {
    assert_eq!(SuiteId::from_byte(0x01), Some(SuiteId::P256));
    assert_eq!(SuiteId::from_byte(0x02), Some(SuiteId::Ristretto255));
    assert_eq!(SuiteId::from_byte(0x03), None);
    assert_eq!(
        SuiteId::from_name("ristretto255"),
        Some(SuiteId::Ristretto255)
    );
    assert_eq!(SuiteId::P256.rfc9497_identifier(), "P256-SHA256");
    assert_eq!(
        SuiteId::Ristretto255.rfc9497_identifier(),
        "ristretto255-SHA512"
    );
    assert_eq!(
        suite_of(b"QK\x02\x01\x07"),
        Err(DecodeError::UnknownSuite(7))
    );
    assert_eq!(suite_of(b"QK\x02\x02"), Ok(None));
    assert_eq!(suite_of(b"XX\x02\x01\x01"), Err(DecodeError::BadMagic));
}
