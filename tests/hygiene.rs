//! Secret hygiene: no type holding a secret prints it (`Debug`, `Display`), secrets compare
//! in constant time, zeroize on drop, and no error value carries secret bytes.
//!
//! "Prints it" is checked in every form a leak would take: lower- and upper-case hex of the
//! secret and of every 8-byte window of it, the decimal byte list (`[1, 2, …]`, as a derived
//! `Debug` of an array prints) and its 8-byte windows, and the `Debug` form of the secret as
//! a p256 `Scalar`.

use quorumkey as qk;
/// The suite `common` runs its key servers in.
const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
mod common;

use common::*;
use p256::elliptic_curve::PrimeField;
use quorumkey::gate::{GateMode, GateResponse, Purpose};
use quorumkey::keyserver::{KeyServer, Operation, PasswordSetup, TagChange, UnlockProof};
use quorumkey::oprf::{Mode, OprfClient, Output, PoprfClient, ServerKey, VoprfClient};
use quorumkey::sharing::{self, Secret, Share};
use quorumkey::vault::{
    Capsule, Enrolled, Enrollment, GatedSeal, KeyServerSetup, Password, PendingEnrollment, Reseal,
    SealedUnit, ShareCard, Trust, Unlock, VaultHeader, VaultShare,
};
use quorumkey::{Error, codec, group, oprf, policy, vault};
use subtle::ConstantTimeEq;
use zeroize::ZeroizeOnDrop;

/// The secret byte strings of one world, with a name for failure messages.
#[derive(Default)]
struct Secrets(Vec<(String, Vec<u8>)>);

impl Secrets {
    fn add(&mut self, name: impl Into<String>, bytes: &[u8]) {
        self.0.push((name.into(), bytes.to_vec()));
    }

    /// Every form in which `bytes` could appear in formatted text.
    fn forms(bytes: &[u8]) -> Vec<String> {
        let mut forms = Vec::new();
        let dec = |b: &[u8]| {
            b.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        forms.push(hex::encode(bytes));
        forms.push(hex::encode_upper(bytes));
        forms.push(format!("{bytes:?}"));
        for w in bytes.windows(8) {
            forms.push(hex::encode(w));
            forms.push(hex::encode_upper(w));
            forms.push(dec(w));
        }
        if let Ok(repr) = <[u8; 32]>::try_from(bytes) {
            let scalar: Option<p256::Scalar> = p256::Scalar::from_repr(repr.into()).into();
            if let Some(s) = scalar {
                forms.push(format!("{s:?}"));
                forms.push(format!("{s:x?}"));
            }
        }
        forms
    }

    /// The first secret that `text` shows, by name and the form it shows it in.
    fn leak(&self, text: &str) -> Option<(&str, String)> {
        self.0.iter().find_map(|(name, bytes)| {
            Self::forms(bytes)
                .into_iter()
                .find(|form| text.contains(form))
                .map(|form| (name.as_str(), form))
        })
    }

    /// Asserts that `text` (the formatting of `what`) shows none of the secrets.
    #[track_caller]
    fn assert_absent(&self, what: &str, text: &str) {
        if let Some((name, form)) = self.leak(text) {
            panic!("{what} prints secret {name} as {form:?}: {text}");
        }
    }

    #[track_caller]
    fn check_debug<T: std::fmt::Debug>(&self, what: &str, value: &T) {
        self.assert_absent(what, &format!("{value:?}"));
        self.assert_absent(what, &format!("{value:#?}"));
    }

    #[track_caller]
    fn check_display<T: std::fmt::Display>(&self, what: &str, value: &T) {
        self.assert_absent(what, &format!("{value}"));
    }
}

/// The world: an enrolled 2-of-3 vault {device, key server, card}, with all its secrets
/// computed from public API (the root secret recombined from two shares).
struct World {
    server: Server,
    enrolled: Enrolled,
    secrets: Secrets,
}

fn root_key(secret: &Secret, header: &VaultHeader) -> [u8; 32] {
    let mut material = secret.to_secret_bytes().to_vec();
    material.extend_from_slice(header.vault_id().as_bytes());
    blake3::derive_key("quorumkey v2 root", &material)
}

/// The vault's unlock tag for the test server, through the public API.
fn unlock_tag_bytes(enrolled: &Enrolled) -> Vec<u8> {
    let proof = enrolled
        .vault
        .unlock_proof("keys.example")
        .to_secret_bytes();
    proof[4..].to_vec()
}

fn world() -> World {
    let server = Server::new("keys.example", 9);
    let enrolled = enroll(
        two_of_three(),
        std::slice::from_ref(&server),
        GateMode::Voprf,
        None,
        21,
    );
    let mut secrets = Secrets::default();
    let device = &enrolled.device_shares[0];
    let card = &enrolled.cards[0];
    let shares = [
        Share::from_bytes(&device.to_secret_bytes()[56..]).unwrap(),
        Share::from_bytes(&card.to_secret_bytes()[56..]).unwrap(),
    ];
    let secret = sharing::combine(enrolled.header.commitments(), &shares, &mut rng(1)).unwrap();
    secrets.add("root secret", &*secret.to_secret_bytes());
    secrets.add("root key", &root_key(&secret, &enrolled.header));
    secrets.add("device share value", &device.to_secret_bytes()[57..]);
    secrets.add("card share value", &card.to_secret_bytes()[57..]);
    secrets.add("card text", card.to_secret_text().as_bytes());
    secrets.add(
        "card text body",
        card.to_secret_text()[4..].replace('-', "").as_bytes(),
    );
    // The key server's share (holder 2), re-derived by interpolation at x = 2.
    let server_share = sharing::share_for(
        enrolled.header.commitments(),
        &shares,
        2.try_into().unwrap(),
        &mut rng(2),
    )
    .unwrap();
    secrets.add("server share value", &server_share.to_secret_bytes()[1..]);
    secrets.add("key server seed", &[9u8; 32]);
    let record = server.record.borrow().clone().unwrap();
    let user_key = server
        .server
        .user_key(USER, &record, 1, Purpose::Capsule, Mode::Voprf)
        .unwrap();
    secrets.add("server user key", &*user_key.to_secret_bytes());
    // The record's secret bytes: every window of its materials.
    secrets.add("user record", &record.to_secret_bytes());
    secrets.add("unlock tag", &unlock_tag_bytes(&enrolled));
    World {
        server,
        enrolled,
        secrets,
    }
}

// ---- Debug / Display ---------------------------------------------------------------------

#[test]
fn secret_types_do_not_print_their_secrets() {
    let w = world();
    let s = &w.secrets;
    let e = &w.enrolled;

    // sharing::Secret, sharing::Share
    let shares = [
        Share::from_bytes(&e.device_shares[0].to_secret_bytes()[56..]).unwrap(),
        Share::from_bytes(&e.cards[0].to_secret_bytes()[56..]).unwrap(),
    ];
    let secret = sharing::combine(e.header.commitments(), &shares, &mut rng(2)).unwrap();
    s.check_debug("Secret", &secret);
    s.check_debug("Share", &shares[0]);
    s.check_debug("[Share]", &shares);

    // vault::VaultShare, vault::ShareCard, vault::Enrolled, vault::UnlockedVault
    s.check_debug("VaultShare", &e.device_shares[0]);
    s.check_debug("ShareCard", &e.cards[0]);
    s.check_debug("Enrolled", e);
    s.check_debug("UnlockedVault", &e.vault);

    // vault::Unlock (pending: holds the device share and the blinds)
    let (unlock, requests) = Unlock::start(
        &e.header,
        &e.device_shares,
        &e.capsules,
        &Trust::new(),
        None,
        &mut rng(3),
    )
    .unwrap();
    s.check_debug("Unlock", &unlock);
    let mut r = rng(4);
    let responses: Vec<Option<GateResponse>> =
        requests.iter().map(|q| w.server.answer(q).ok()).collect();
    let vault = unlock.finish(&responses, &mut r).unwrap();
    s.check_debug("UnlockedVault (from unlock)", &vault);

    // vault::GatedSeal (holds the plaintext and a blind)
    let plaintext = b"alice / correct horse battery";
    let mut with_plaintext = Secrets::default();
    with_plaintext.add("unit plaintext", plaintext);
    let pin = w.server.pin(1, Purpose::UnitGate, &GateMode::Voprf);
    let (seal, request) = vault
        .seal_gated_unit(
            b"vendor:gated",
            plaintext,
            "keys.example",
            pin.clone(),
            GateMode::Voprf,
            &mut r,
        )
        .unwrap();
    s.check_debug("GatedSeal", &seal);
    with_plaintext.check_debug("GatedSeal", &seal);
    with_plaintext.assert_absent("GatedSeal", &String::from_utf8_lossy(plaintext));
    let _ = request;

    let _ = pin;

    // vault::Reseal (holds the server's share), to a newer key version
    let keys = w.server.add_version();
    let setup =
        KeyServerSetup::newest(2.try_into().unwrap(), &keys, GateMode::Voprf, false).unwrap();
    let (reseal, _request): (Reseal, _) = vault
        .reseal(&e.header, &e.capsules[0], &setup, None, &mut r)
        .unwrap();
    s.check_debug("Reseal", &reseal);

    // vault::Enrollment and PendingEnrollment (hold the new secret and all shares), checked
    // once finished; the password and the guard's messages.
    let enrollment = Enrollment::new(two_of_three(), &mut r).unwrap();
    let printed_new = format!("{enrollment:?} {enrollment:#?}");
    let tag = enrollment.unlock_tag("keys.example");
    let password = Password::new(b"correct horse battery");
    let mut pw = Secrets::default();
    pw.add("password", b"correct horse battery");
    pw.check_debug("Password", &password);
    let (enrollment, requests): (PendingEnrollment, _) = enrollment
        .request_gates(std::slice::from_ref(&setup), None, &mut r)
        .unwrap();
    let printed = format!("{printed_new} {enrollment:?} {enrollment:#?}");
    let responses: Vec<GateResponse> = requests
        .iter()
        .map(|q| w.server.answer(q).unwrap())
        .collect();
    let fresh = enrollment.finish(&responses, &mut r).unwrap();
    let mut fresh_secrets = Secrets::default();
    let fresh_shares = [
        Share::from_bytes(&fresh.device_shares[0].to_secret_bytes()[56..]).unwrap(),
        Share::from_bytes(&fresh.cards[0].to_secret_bytes()[56..]).unwrap(),
    ];
    let fresh_secret = sharing::combine(fresh.header.commitments(), &fresh_shares, &mut r).unwrap();
    fresh_secrets.add("enrollment secret", &*fresh_secret.to_secret_bytes());
    for share in &fresh_shares {
        fresh_secrets.add("enrollment share", &share.to_secret_bytes()[1..]);
    }
    fresh_secrets.add("fresh unlock tag", &unlock_tag_bytes(&fresh));
    fresh_secrets.assert_absent("Enrollment", &printed);
    fresh_secrets.check_debug("Enrolled (fresh)", &fresh);
    fresh_secrets.check_debug("UnlockTag", &tag);
    fresh_secrets.check_debug("PasswordSetup", &PasswordSetup::new(10, &tag).unwrap());
    fresh_secrets.check_debug("UnlockProof", &UnlockProof::new(tag.clone()));
    fresh_secrets.check_debug("TagChange", &TagChange::new(tag.clone(), &tag));

    // keyserver::UserRecord (holds the materials)
    let record = w.server.record.borrow().clone().unwrap();
    let mut materials = Secrets::default();
    materials.add("user record", &record.to_secret_bytes());
    materials.check_debug("UserRecord", &record);
    s.check_debug("UserRecord", &record);

    // keyserver::KeyServer
    s.check_debug("KeyServer", &w.server.server);
    let generated = KeyServer::new([0xa7; 32]);
    let mut seed = Secrets::default();
    seed.add("generated seed", &[0xa7; 32]);
    seed.check_debug("KeyServer", &generated);
}

#[test]
fn oprf_secrets_do_not_print() {
    const SK: [u8; 32] = [0x15; 32];
    const BLIND: [u8; 32] = [
        0x3c, 0x11, 0x9e, 0x50, 0x71, 0xa2, 0x0b, 0x44, 0xd5, 0x6e, 0x17, 0x88, 0x29, 0xfa, 0x40,
        0x5b, 0x66, 0xc7, 0x18, 0x39, 0xea, 0x4b, 0x9c, 0x0d, 0x7e, 0x8f, 0x20, 0x31, 0xb2, 0xc3,
        0x54, 0x05,
    ];
    let mut s = Secrets::default();
    s.add("server key", &SK);
    s.add("blind", &BLIND);
    let key = ServerKey::from_secret_bytes(&SK).unwrap();
    s.check_debug("ServerKey", &key);
    let input = b"an input";
    // A known blind needs the `danger` feature's fixed-blind entry points; without it the
    // states get random blinds and are checked against the other secrets and for redaction.
    #[cfg(feature = "danger")]
    let (oprf_client, voprf_client, poprf_client) = (
        OprfClient::deterministic_blind(input, &BLIND).unwrap().0,
        VoprfClient::deterministic_blind(input, &BLIND).unwrap().0,
        PoprfClient::deterministic_blind(input, b"info", key.public_key(), &BLIND)
            .unwrap()
            .0,
    );
    #[cfg(not(feature = "danger"))]
    let (oprf_client, voprf_client, poprf_client) = {
        let mut r = rng(6);
        (
            OprfClient::blind(input, &mut r).unwrap().0,
            VoprfClient::blind(input, &mut r).unwrap().0,
            PoprfClient::blind(input, b"info", key.public_key(), &mut r)
                .unwrap()
                .0,
        )
    };
    s.check_debug("OprfClient", &oprf_client);
    s.check_debug("VoprfClient", &voprf_client);
    s.check_debug("PoprfClient", &poprf_client);
    for printed in [
        format!("{oprf_client:?}"),
        format!("{voprf_client:?}"),
        format!("{poprf_client:?}"),
    ] {
        assert!(printed.contains("<redacted>"), "{printed}");
    }
    let output: Output = key.evaluate(Mode::Oprf, input).unwrap();
    s.add("output", output.as_secret_bytes());
    s.check_debug("Output", &output);
    // Derived keys (the key server's path).
    let derived = ServerKey::derive(Mode::Voprf, &[0x42; 32], b"user").unwrap();
    let mut d = Secrets::default();
    d.add("derived key", &*derived.to_secret_bytes());
    d.add("seed", &[0x42; 32]);
    d.check_debug("ServerKey (derived)", &derived);
}

// ---- constant-time equality ---------------------------------------------------------------

fn assert_ct_eq<T: ConstantTimeEq>() {}

#[test]
fn secret_equality_is_constant_time() {
    // Public `ConstantTimeEq` impls; `PartialEq` on these goes through `ct_eq`.
    assert_ct_eq::<Secret>();
    assert_ct_eq::<Share>();
    assert_ct_eq::<Output>();
    // By construction (no public `ConstantTimeEq`):
    // - `VaultShare: PartialEq` compares `to_secret_bytes()` with `subtle`'s `ct_eq`
    //   (src/vault/share.rs); `ShareCard` derives `PartialEq` over its one `VaultShare`.
    // - `UnlockedVault`, `KeyServer`, `ServerKey`, the OPRF client states, `Enrollment`,
    //   `Unlock`, `Reseal`, `GatedSeal` and `Enrolled` implement no equality at all (and
    //   the crate-private `RootKey` compares with `ct_eq`).
    // Equality must still be correct.
    let w = world();
    let d = &w.enrolled.device_shares[0];
    let same = VaultShare::from_bytes(&*d.to_secret_bytes()).unwrap();
    assert_eq!(&same, d);
    let mut other = d.to_secret_bytes().to_vec();
    other[88] ^= 1;
    assert_ne!(&VaultShare::from_bytes(&other).unwrap(), d);
    let card = &w.enrolled.cards[0];
    assert_eq!(ShareCard::from_text(&card.to_secret_text()).unwrap(), *card);
    let a = Share::from_bytes(&d.to_secret_bytes()[56..]).unwrap();
    let b = Share::from_bytes(&other[56..]).unwrap();
    assert!(bool::from(a.ct_eq(&a.clone())));
    assert!(!bool::from(a.ct_eq(&b)));
}

// ---- zeroize on drop ----------------------------------------------------------------------

fn assert_zod<T: ZeroizeOnDrop>() {}

#[test]
fn secrets_zeroize_on_drop() {
    // Types that promise it with the marker trait (each has a `Drop` that zeroizes).
    assert_zod::<Secret>();
    assert_zod::<Share>();
    assert_zod::<Output>();
    assert_zod::<ServerKey>();
    assert_zod::<zeroize::Zeroizing<[u8; 32]>>();
    assert_zod::<zeroize::Zeroizing<Vec<u8>>>();
    // Types that zeroize through their fields (no marker trait on the type itself):
    // - VaultShare, ShareCard: the secret is a `Share` (ZeroizeOnDrop); the rest (vault id,
    //   epoch, header digest) is public.
    // - UnlockedVault: `RootKey` (crate-private, derives Zeroize + ZeroizeOnDrop), `Secret`,
    //   `Vec<Share>`.
    // - KeyServer: `Zeroizing<[u8; 32]>` seed.
    // - OprfClient / VoprfClient / PoprfClient: a private `BlindState` whose `Drop` zeroizes
    //   the blind (the POPRF tweak scalar and key are public, derived from info and pkS).
    // - Enrollment: `Secret`, `Vec<Share>`, pending gates (inputs `Zeroizing<Vec<u8>>`,
    //   client states as above). Unlock: `Vec<Share>` and pending gates. Reseal: `Share` and
    //   a pending gate. GatedSeal: plaintext `Zeroizing<Vec<u8>>` and a pending gate.
    // - Enrolled: `VaultShare`s, `ShareCard`s, `UnlockedVault` as above.
    // What is observable through the public API: the secret-returning accessors hand out
    // `Zeroizing` buffers.
    let w = world();
    let bytes: zeroize::Zeroizing<[u8; 89]> = w.enrolled.device_shares[0].to_secret_bytes();
    let text: zeroize::Zeroizing<String> = w.enrolled.cards[0].to_secret_text();
    let unit = w
        .enrolled
        .vault
        .seal_unit(b"u", b"plain", &mut rng(5))
        .unwrap();
    let opened: zeroize::Zeroizing<Vec<u8>> = w.enrolled.vault.open_unit(&unit).unwrap();
    let key: zeroize::Zeroizing<[u8; 32]> = ServerKey::from_secret_bytes(&[3; 32])
        .unwrap()
        .to_secret_bytes();
    drop((bytes, text, opened, key));
}

// ---- errors ---------------------------------------------------------------------------------

fn assert_copy<T: Copy + std::fmt::Debug + std::fmt::Display>() {}

#[test]
fn errors_are_copy_and_carry_no_secret() {
    // Copy: no heap payload, so no byte buffers can ride along.
    assert_copy::<Error>();
    assert_copy::<codec::DecodeError>();
    assert_copy::<sharing::Error>();
    assert_copy::<oprf::Error>();
    assert_copy::<policy::PolicyError>();
    assert_copy::<policy::PolicyDecodeError>();
    assert_copy::<vault::CardError>();
    assert_copy::<group::EncodingError>();

    let w = world();
    let s = &w.secrets;
    let e = &w.enrolled;
    let servers = std::slice::from_ref(&w.server);
    let mut errors: Vec<Error> = Vec::new();

    // The failure paths of tests/vault.rs and tests/lifecycle.rs, on this world.
    // Not enough shares.
    errors.push(unlock(&e.header, &e.device_shares, &[], servers, None, 1).unwrap_err());
    // A device share whose value was tampered with: InvalidShares naming the holder.
    let mut tampered = e.device_shares[0].to_secret_bytes().to_vec();
    tampered[70] ^= 0x40;
    let tampered = VaultShare::from_bytes(&tampered).unwrap();
    errors.push(
        unlock(
            &e.header,
            std::slice::from_ref(&tampered),
            &e.capsules,
            servers,
            None,
            2,
        )
        .unwrap_err(),
    );
    // A password where the capsule takes none.
    errors.push(
        unlock(
            &e.header,
            &e.device_shares,
            &e.capsules,
            servers,
            Some(b"hunter2"),
            3,
        )
        .unwrap_err(),
    );
    // A server with another key: BadProof.
    let impostor = [Server::new("keys.example", 10)];
    errors.push(unlock(&e.header, &e.device_shares, &e.capsules, &impostor, None, 4).unwrap_err());
    // A tampered capsule (the ciphertext): CapsuleOpen.
    let mut capsule = e.capsules[0].to_bytes();
    let last = capsule.len() - 1;
    capsule[last] ^= 1;
    let capsule = Capsule::from_bytes(&capsule).unwrap();
    errors.push(
        unlock(
            &e.header,
            &e.device_shares,
            std::slice::from_ref(&capsule),
            servers,
            None,
            5,
        )
        .unwrap_err(),
    );
    // The same holder twice.
    errors.push(
        Unlock::start(
            &e.header,
            &[e.device_shares[0].clone(), e.device_shares[0].clone()],
            &[],
            &Trust::new(),
            None,
            &mut rng(6),
        )
        .unwrap_err(),
    );
    // A share of another vault / another header.
    let other = enroll(two_of_three(), servers, GateMode::Voprf, None, 77);
    let trust = Trust::new();
    errors.push(
        Unlock::start(
            &e.header,
            &other.device_shares,
            &[],
            &trust,
            None,
            &mut rng(7),
        )
        .unwrap_err(),
    );
    errors.push(
        Unlock::start(
            &other.header,
            &e.device_shares,
            &[],
            &trust,
            None,
            &mut rng(8),
        )
        .unwrap_err(),
    );
    // Units: tampered, of another vault, gated opened directly, refused gate.
    let unit = e
        .vault
        .seal_unit(b"u", b"alice / hunter2", &mut rng(9))
        .unwrap();
    let mut bad = unit.to_bytes();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    errors.push(
        e.vault
            .open_unit(&SealedUnit::from_bytes(&bad).unwrap())
            .unwrap_err(),
    );
    errors.push(other.vault.open_unit(&unit).unwrap_err());
    let pin = w.server.pin(1, Purpose::UnitGate, &GateMode::Voprf);
    let (seal, request): (GatedSeal, _) = e
        .vault
        .seal_gated_unit(
            b"g",
            b"alice / hunter2",
            "keys.example",
            pin,
            GateMode::Voprf,
            &mut rng(10),
        )
        .unwrap();
    let answer = w.server.answer(&request).unwrap();
    let gated = seal.finish(&e.vault, &answer, &mut rng(12)).unwrap();
    errors.push(e.vault.open_unit(&gated).unwrap_err());
    let (read, _) =
        quorumkey::vault::UnitRead::start(std::slice::from_ref(&gated), &mut rng(13)).unwrap();
    for result in read.finish(&e.vault, &[None]).unwrap() {
        errors.push(result.unwrap_err());
    }
    // A wrong-proof gate answer (an answer to another request).
    let (read, _) =
        quorumkey::vault::UnitRead::start(std::slice::from_ref(&gated), &mut rng(14)).unwrap();
    for result in read.finish(&e.vault, &[Some(answer.clone())]).unwrap() {
        errors.push(result.unwrap_err());
    }
    // Key server refusals.
    let record = w.server.record.borrow().clone();
    let request_bytes = request.request.to_bytes();
    for (user, operation) in [
        (USER, Operation::DropKeyVersion(9)),
        (&b""[..], Operation::Evaluate(&request_bytes)),
        (USER, Operation::ConfirmUnlock(b"QK\x02\x0a")),
    ] {
        errors.push(
            w.server
                .server
                .handle(user, record.as_ref(), operation, &mut rng(15))
                .unwrap_err(),
        );
    }
    // Decoding: a card with one character changed, a share with a non-canonical value.
    let mut text: Vec<char> = e.cards[0].to_secret_text().chars().collect();
    text[10] = if text[10] == 'Z' { 'Y' } else { 'Z' };
    errors.push(ShareCard::from_text(&text.into_iter().collect::<String>()).unwrap_err());
    let mut share = e.device_shares[0].to_secret_bytes().to_vec();
    share[57..].fill(0xff);
    errors.push(VaultShare::from_bytes(&share).unwrap_err());
    errors.push(VaultShare::from_bytes(&e.device_shares[0].to_secret_bytes()[..60]).unwrap_err());

    assert!(errors.len() >= 18, "{} errors", errors.len());
    for error in &errors {
        s.check_debug("error", error);
        s.check_display("error", error);
    }
    // And the lower-level errors a vault error wraps.
    let share_error = Share::from_bytes(&[0u8; 33]).unwrap_err();
    s.check_debug("sharing::Error", &share_error);
    s.check_display("sharing::Error", &share_error);
}

/// The detector itself: each leak form is caught.
#[test]
fn detector_catches_every_form() {
    let bytes: [u8; 32] = core::array::from_fn(|i| i as u8 * 7 + 1);
    let mut s = Secrets::default();
    s.add("x", &bytes);
    let scalar: p256::Scalar = Option::from(p256::Scalar::from_repr(bytes.into())).unwrap();
    let leaks = [
        format!("k={}", hex::encode(bytes)),
        format!("K={}", hex::encode_upper(bytes)),
        format!("{bytes:?}"),
        format!("V({:?})", &bytes[3..20]),
        format!("partial {}", hex::encode(&bytes[10..18])),
        format!("{scalar:?}"),
    ];
    for leak in leaks {
        assert!(s.leak(&leak).is_some(), "not caught: {leak}");
    }
    assert_eq!(s.leak("nothing here"), None);
}
