//! The `vault` tests of one suite: see `tests/vault.rs`.

use super::common::*;
use super::qk;
use qk::Error;
use qk::gate::{GateMode, GateResponse, Purpose};
use qk::policy::Policy;
use qk::vault::{Capsule, KeyServerSetup, SealedUnit, ShareCard, Trust, VaultHeader, VaultShare};
use quorumkey::suite as qk_suite;

#[test]
fn two_of_three_device_and_server_unlock_and_open_units() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 1);
    assert_eq!(enrolled.device_shares.len(), 1);
    assert_eq!(enrolled.capsules.len(), 1);
    assert_eq!(enrolled.cards.len(), 1);
    let mut rng = rng(2);
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"alice:hunter2", &mut rng)
        .unwrap();
    let unit = SealedUnit::from_bytes(&unit.to_bytes()).unwrap();

    let header = VaultHeader::from_bytes(&enrolled.header.to_bytes()).unwrap();
    assert_eq!(header, enrolled.header);
    let device = VaultShare::from_bytes(&*enrolled.device_shares[0].to_secret_bytes()).unwrap();
    let capsule = Capsule::from_bytes(&enrolled.capsules[0].to_bytes()).unwrap();
    let vault = unlock(&header, &[device], &[capsule], &servers, None, 3).unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"alice:hunter2");
}

#[test]
fn recovery_from_card_and_server_without_device() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 4);
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"secret", &mut rng(5))
        .unwrap();
    let text = enrolled.cards[0].to_secret_text();
    let card = ShareCard::from_text(&text.to_lowercase()).unwrap();
    let vault = unlock(
        &enrolled.header,
        &[card.into_share()],
        &enrolled.capsules,
        &servers,
        None,
        6,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"secret");
}

#[test]
fn one_share_is_not_enough() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 7);
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &[],
        &servers,
        None,
        8,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
    // The server refusing leaves the device share alone, too.
    let refusing = [Server::down("keys.example", 7)];
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &refusing,
        None,
        9,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
}

#[test]
fn wrong_server_key_is_a_bad_proof() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 10);
    let impostor = [Server::new("keys.example", 8)];
    // Trusting the impostor's key set: the capsule's pin is not in it.
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &impostor,
        None,
        11,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::UntrustedKey {
            holder: enrolled.capsules[0].holder()
        }
    );
    // Trusting only the header (anchored by the device share): the impostor's answer fails
    // the proof against the capsule's pin.
    let err = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &impostor,
        None,
        11,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::BadProof {
            holder: enrolled.capsules[0].holder()
        }
    );
}

#[test]
fn three_of_four_with_two_servers_and_poprf_and_password() {
    let (policy, servers) = three_of_four_two_servers();
    let mode = GateMode::poprf(b"vault gate").unwrap();
    let enrolled = enroll(policy, &servers, mode, Some(b"correct horse"), 12);
    let unit = enrolled.vault.seal_unit(b"u", b"x", &mut rng(13)).unwrap();
    let vault = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"correct horse"),
        14,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"x");
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        Some(b"wrong horse"),
        15,
    )
    .unwrap_err();
    // Each server counted the guess: 10 allowed, 1 left after enrollment's was proven, so 9.
    assert!(
        matches!(
            err,
            Error::WrongPassword {
                guesses_remaining: Some(9),
                ..
            }
        ),
        "{err:?}"
    );
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        16,
    )
    .unwrap_err();
    assert!(matches!(err, Error::PasswordPresence { .. }), "{err:?}");
}

#[test]
fn refresh_bumps_epoch_keeps_units_and_revokes_old_material() {
    let servers = [Server::new("keys.example", 7)];
    let policy = two_of_three();
    let enrolled = enroll(policy.clone(), &servers, GateMode::Voprf, None, 20);
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"kept", &mut rng(21))
        .unwrap();
    // The server adds version 2; the client refreshes under it.
    let keys = servers[0].add_version();
    let mut r = rng(22);
    let holder = enrolled.capsules[0].holder();
    // The version in use is refused: revocation only moves forward.
    let stale = KeyServerSetup {
        holder,
        pin: servers[0].pin(1, Purpose::Capsule, &GateMode::Voprf),
        mode: GateMode::Voprf,
    };
    assert_eq!(
        enrolled
            .vault
            .refresh(
                &enrolled.header,
                &enrolled.capsules,
                policy.clone(),
                &[stale],
                None,
                &mut r
            )
            .unwrap_err(),
        Error::KeyVersionNotNewer {
            holder,
            current: 1,
            requested: 1
        }
    );
    let setup = KeyServerSetup::newest(holder, &keys, GateMode::Voprf, false).unwrap();
    let (redeal, requests) = enrolled
        .vault
        .refresh(
            &enrolled.header,
            &enrolled.capsules,
            policy,
            &[setup],
            None,
            &mut r,
        )
        .unwrap();
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| servers[0].answer(q).unwrap())
        .collect();
    let fresh = redeal.finish(&responses, &mut r).unwrap();
    assert_eq!(fresh.header.epoch(), 1);
    assert_eq!(fresh.header.vault_id(), enrolled.header.vault_id());
    // New material unlocks and opens the old unit.
    let vault = unlock(
        &fresh.header,
        &fresh.device_shares,
        &fresh.capsules,
        &servers,
        None,
        23,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"kept");
    // Old share with the new header: stale epoch.
    let err = unlock(
        &fresh.header,
        &enrolled.device_shares,
        &fresh.capsules,
        &servers,
        None,
        24,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::StaleEpoch {
                found: 0,
                expected: 1,
                ..
            }
        ),
        "{err:?}"
    );
    // The server drops version 1: the old device share + old capsule can no longer unlock.
    // The app no longer trusts version 1, and the server refuses it anyway.
    servers[0].drop_version(1).unwrap();
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        25,
    )
    .unwrap_err();
    assert_eq!(err, Error::UntrustedKey { holder });
    let err = unlock_trusting(
        &Trust::new(),
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        26,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
}

#[test]
fn objects_of_another_vault_are_refused() {
    let servers = [Server::new("keys.example", 7)];
    let a = enroll(two_of_three(), &servers, GateMode::Voprf, None, 30);
    let b = enroll(two_of_three(), &servers, GateMode::Voprf, None, 31);
    let err = unlock(&a.header, &b.device_shares, &a.capsules, &servers, None, 32).unwrap_err();
    assert!(matches!(err, Error::WrongVault { .. }), "{err:?}");
    let err = unlock(&a.header, &a.device_shares, &b.capsules, &servers, None, 33).unwrap_err();
    assert!(matches!(err, Error::WrongVault { .. }), "{err:?}");
    let unit = b.vault.seal_unit(b"u", b"b's", &mut rng(34)).unwrap();
    assert!(matches!(
        a.vault.open_unit(&unit),
        Err(Error::OtherVault { .. })
    ));
}

#[test]
fn replayed_response_for_another_request_fails() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 40);
    let mut r = rng(41);
    let (_first, requests1) = start_unlock(&enrolled, None, &mut r).unwrap();
    let old = servers[0].answer(&requests1[0]).unwrap();
    let (second, _requests2) = start_unlock(&enrolled, None, &mut r).unwrap();
    let err = second.finish(&[Some(old)], &mut r).unwrap_err();
    assert_eq!(
        err,
        Error::BadProof {
            holder: enrolled.capsules[0].holder()
        }
    );
}

#[test]
fn tampered_units_fail_opaquely() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 50);
    let unit = enrolled
        .vault
        .seal_unit(b"vendor:acme", b"pw", &mut rng(51))
        .unwrap();
    let bytes = unit.to_bytes();
    for i in 4..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 1;
        match SealedUnit::from_bytes(&bad) {
            Ok(u) => {
                let err = enrolled.vault.open_unit(&u).unwrap_err();
                assert!(
                    matches!(err, Error::UnitOpen | Error::OtherVault { .. }),
                    "byte {i}: {err:?}"
                );
            }
            Err(Error::Decode { .. }) => {}
            Err(e) => panic!("byte {i}: {e:?}"),
        }
    }
}

#[test]
fn unknown_key_version_is_refused_by_the_server() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 60);
    let mut r = rng(61);
    let (_u, requests) = start_unlock(&enrolled, None, &mut r).unwrap();
    servers[0].add_version();
    servers[0].drop_version(1).unwrap();
    let err = servers[0].answer(&requests[0]).unwrap_err();
    assert_eq!(err, Error::UnknownKeyVersion { version: 1 });
}

#[test]
fn two_of_two_device_and_server() {
    let servers = [Server::new("keys.example", 3)];
    let policy = Policy::builder(2)
        .device(1, "phone")
        .key_server(9, "keys", "keys.example")
        .build()
        .unwrap();
    let enrolled = enroll(policy, &servers, GateMode::Voprf, None, 70);
    assert!(enrolled.cards.is_empty());
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"2-of-2", &mut rng(71))
        .unwrap();
    let vault = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &servers,
        None,
        72,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"2-of-2");
    // Neither the device nor the server alone suffices.
    let err = unlock(
        &enrolled.header,
        &[],
        &enrolled.capsules,
        &servers,
        None,
        73,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 2, got: 1 });
}

#[test]
fn one_server_down_in_three_of_four_changes_nothing() {
    let (policy, servers) = three_of_four_two_servers();
    let enrolled = enroll(policy, &servers, GateMode::Voprf, None, 80);
    let unit = enrolled
        .vault
        .seal_unit(b"u", b"3-of-4", &mut rng(81))
        .unwrap();
    let card = enrolled.cards[0].share().clone();
    let down = [Server::new("a.example", 1), Server::down("b.example", 2)];
    // Device + card + server A: enough without B.
    let mut shares = enrolled.device_shares.clone();
    shares.push(card);
    let vault = unlock(
        &enrolled.header,
        &shares,
        &enrolled.capsules,
        &down,
        None,
        82,
    )
    .unwrap();
    assert_eq!(&**vault.open_unit(&unit).unwrap(), b"3-of-4");
    // Device + both servers, one down: not enough.
    let err = unlock(
        &enrolled.header,
        &enrolled.device_shares,
        &enrolled.capsules,
        &down,
        None,
        83,
    )
    .unwrap_err();
    assert_eq!(err, Error::NotEnoughShares { needed: 3, got: 2 });
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(
        two_of_three(),
        &servers,
        GateMode::poprf(b"label").unwrap(),
        None,
        90,
    );
    let unit = enrolled
        .vault
        .seal_unit(b"unit", b"data", &mut rng(91))
        .unwrap();
    let mut r = rng(92);
    let (_u, requests) = start_unlock(&enrolled, None, &mut r).unwrap();
    let response = servers[0].answer(&requests[0]).unwrap();
    type Decoder = fn(&[u8]) -> bool;
    let objects: Vec<(&str, Vec<u8>, Decoder)> = vec![
        ("header", enrolled.header.to_bytes(), |b| {
            VaultHeader::from_bytes(b).is_ok()
        }),
        (
            "share",
            enrolled.device_shares[0].to_secret_bytes().to_vec(),
            |b| VaultShare::from_bytes(b).is_ok(),
        ),
        ("capsule", enrolled.capsules[0].to_bytes(), |b| {
            Capsule::from_bytes(b).is_ok()
        }),
        ("unit", unit.to_bytes(), |b| {
            SealedUnit::from_bytes(b).is_ok()
        }),
        ("request", requests[0].request.to_bytes(), |b| {
            qk::gate::GateRequest::from_bytes(b).is_ok()
        }),
        ("response", response.to_bytes(), |b| {
            GateResponse::from_bytes(b).is_ok()
        }),
        ("policy", enrolled.header.policy().to_bytes(), |b| {
            Policy::from_bytes(b).is_ok()
        }),
    ];
    for (name, bytes, decode) in objects {
        assert!(decode(&bytes), "{name} must decode");
        for len in 0..bytes.len() {
            assert!(!decode(&bytes[..len]), "{name} truncated to {len} accepted");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(!decode(&longer), "{name} with a trailing byte accepted");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Random policies: any t holders (local shares + capsules) unlock; t-1 never do.
        #[test]
        fn random_policies_unlock_with_any_t(
            servers_n in 1usize..=2,
            custodians in 0usize..=2,
            extra in 0usize..=3,
            seed in any::<u64>(),
        ) {
            let n = 1 + servers_n + custodians;
            let t = 2 + extra % (n - 1);
            let servers: Vec<Server> = (0..servers_n)
                .map(|i| Server::new(["a.example", "b.example"][i], i as u8 + 1))
                .collect();
            let mut builder = Policy::builder(t as u8).device(1, "device");
            if servers_n >= t {
                builder = builder.servers_alone_may_unlock();
            }
            for (i, server) in servers.iter().enumerate() {
                builder = builder.key_server(2 + i as u8, "server", server.key_id);
            }
            for i in 0..custodians {
                builder = builder.custodian(10 + i as u8, "card");
            }
            let policy = builder.build().unwrap();
            let enrolled = enroll(policy, &servers, GateMode::Voprf, None, seed);
            let unit = enrolled.vault.seal_unit(b"u", b"p", &mut rng(seed ^ 1)).unwrap();
            let mut local: Vec<VaultShare> = enrolled.device_shares.clone();
            local.extend(enrolled.cards.iter().map(|c| c.share().clone()));
            // Take holders in a seed-dependent order.
            let total = local.len() + enrolled.capsules.len();
            let take = |k: usize| -> (Vec<VaultShare>, Vec<Capsule>) {
                let mut order: Vec<usize> = (0..total).collect();
                order.rotate_left((seed % total as u64) as usize);
                let chosen = &order[..k];
                let shares = chosen.iter().filter(|&&i| i < local.len()).map(|&i| local[i].clone()).collect();
                let caps = chosen.iter().filter(|&&i| i >= local.len()).map(|&i| enrolled.capsules[i - local.len()].clone()).collect();
                (shares, caps)
            };
            let (shares, caps) = take(t);
            let vault = unlock(&enrolled.header, &shares, &caps, &servers, None, seed ^ 2).unwrap();
            prop_assert_eq!(&**vault.open_unit(&unit).unwrap(), b"p");
            let (shares, caps) = take(t - 1);
            let err = unlock(&enrolled.header, &shares, &caps, &servers, None, seed ^ 3).unwrap_err();
            prop_assert_eq!(err, Error::NotEnoughShares { needed: t as u8, got: t - 1 });
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_uses_the_canonical_bytes() {
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 100);
    let json = serde_json::to_string(&enrolled.header).unwrap();
    let back: VaultHeader = serde_json::from_str(&json).unwrap();
    assert_eq!(back, enrolled.header);
    let expected: Vec<u8> = serde_json::from_str(&json).unwrap();
    assert_eq!(expected, enrolled.header.to_bytes());
    let json = serde_json::to_string(&enrolled.capsules[0]).unwrap();
    assert_eq!(
        serde_json::from_str::<Capsule>(&json).unwrap(),
        enrolled.capsules[0]
    );
    // A malformed object is refused by the strict decoder.
    assert!(serde_json::from_str::<Capsule>("[81,75,1,3]").is_err());
}

#[test]
fn card_text_is_canonical_and_checksummed() {
    use qk::vault::CardError;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 110);
    let text = enrolled.cards[0].to_secret_text().to_string();
    assert_eq!(ShareCard::from_text(&text).unwrap(), enrolled.cards[0]);
    // Case, spaces, line breaks and look-alikes are forgiven.
    let body = &text["QK2-".len()..];
    let relaxed = format!(
        "qk2-{}",
        body.to_lowercase()
            .replace('-', " \n")
            .replace('0', "o")
            .replace('1', "l")
    );
    assert_eq!(ShareCard::from_text(&relaxed).unwrap(), enrolled.cards[0]);
    // The last character holds one padding bit: setting it is refused.
    let last = text.chars().last().unwrap();
    let alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let index = alphabet.find(last).unwrap();
    let odd = alphabet.chars().nth(index ^ 1).unwrap();
    let mut bad = text.clone();
    bad.pop();
    bad.push(odd);
    assert_eq!(
        ShareCard::from_text(&bad).unwrap_err(),
        Error::Card(CardError::Padding)
    );
    // A mistyped character is caught by the checksum.
    let mut typo: Vec<char> = text.chars().collect();
    typo[10] = if typo[10] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    assert_eq!(
        ShareCard::from_text(&typo).unwrap_err(),
        Error::Card(CardError::Checksum)
    );
    assert_eq!(
        ShareCard::from_text("QK1-AAAA").unwrap_err(),
        Error::Card(CardError::Prefix)
    );
    assert!(matches!(
        ShareCard::from_text(&text[..text.len() - 1]).unwrap_err(),
        Error::Card(CardError::Length { .. })
    ));
    assert!(matches!(
        ShareCard::from_text(&format!("{text}U")).unwrap_err(),
        Error::Card(CardError::Character { .. })
    ));
}

#[test]
fn card_text_separators_are_ascii_whitespace_and_hyphens_only() {
    use qk::vault::CardError;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 111);
    let card = &enrolled.cards[0];
    let text = card.to_secret_text().to_string();
    let body = &text["QK2-".len()..];
    // Every ASCII whitespace `u8::is_ascii_whitespace` accepts, in place of the hyphens.
    for separator in [" ", "\t", "\n", "\r", "\x0c", "\r\n", " - "] {
        let spaced = format!("QK2-{}", body.replace('-', separator));
        assert_eq!(
            ShareCard::from_text(&spaced).unwrap(),
            *card,
            "{separator:?}"
        );
    }
    // Unicode spaces (and the ASCII vertical tab, which `char::is_whitespace` accepts but
    // `u8::is_ascii_whitespace` does not) are not separators: the first one is refused
    // where it stands, counted among the significant characters before it.
    for separator in [
        '\u{a0}', '\u{2003}', '\u{2009}', '\u{202f}', '\u{3000}', '\u{85}', '\u{2028}', '\u{b}',
    ] {
        let spaced = format!("QK2-{}", body.replace('-', &separator.to_string()));
        assert_eq!(
            ShareCard::from_text(&spaced).unwrap_err(),
            Error::Card(CardError::Character { position: 4 }),
            "{separator:?}"
        );
        // Before the prefix it is no whitespace either.
        assert_eq!(
            ShareCard::from_text(&format!("{separator}{text}")).unwrap_err(),
            Error::Card(CardError::Prefix),
            "{separator:?}"
        );
    }
    // Round trips are unchanged, for many share values: text -> card -> the same text.
    let bytes = card.to_secret_bytes();
    let mut r = rng(112);
    for _ in 0..64 {
        let mut b = bytes.to_vec();
        rand_core::Rng::fill_bytes(&mut r, &mut b[57..]);
        // Below the group order: clear the top bits of the most significant byte (the
        // first for P-256's big-endian scalars, the last for ristretto255's little-endian).
        match super::SUITE {
            qk_suite::SuiteId::P256 => b[57] &= 0x7f,
            _ => b[88] &= 0x0f,
        }
        let card = ShareCard::from_bytes(&b).unwrap();
        let text = card.to_secret_text();
        let again = ShareCard::from_text(&text).unwrap();
        assert_eq!(again, card);
        assert_eq!(*again.to_secret_text(), *text);
        assert_eq!(ShareCard::from_text(&text.to_lowercase()).unwrap(), card);
    }
}

#[test]
fn a_tampered_card_is_named_as_the_culprit() {
    use qk::sharing::HolderSet;
    let servers = [Server::new("keys.example", 7)];
    let enrolled = enroll(two_of_three(), &servers, GateMode::Voprf, None, 120);
    // A custodian's card whose value was altered (here: +1 in the last byte) still decodes:
    // only the Feldman check against the header can tell, and it names holder 3.
    let mut bytes = enrolled.cards[0].to_secret_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = bytes[last].wrapping_add(1);
    let card = VaultShare::from_bytes(&bytes).unwrap();
    let err = unlock(
        &enrolled.header,
        &[card],
        &enrolled.capsules,
        &servers,
        None,
        121,
    )
    .unwrap_err();
    let culprits: HolderSet = [3u8.try_into().unwrap()].into_iter().collect();
    assert_eq!(err, Error::InvalidShares { culprits });
    assert_eq!(err.to_string(), "shares of holders {3} failed verification");
}
