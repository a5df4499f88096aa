//! The protocol paths on every backend (memory, SQLite, PostgreSQL): enrol, evaluate, guess
//! until the password keys burn, rotate and retire master seeds, and verify the audit chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::{
    Backend, Harness, backends, gate, gate_at, password_setup, unlock_proof, unlock_tag,
    verified_audit,
};
use quorumkey::gate::Purpose;
use quorumkey::keyserver::{GuardStatus, KeySet};

/// One password-capsule guess: status, guesses left (after verifying the answer), code.
async fn guess(h: &Harness, keys: &KeySet, user: &str) -> (StatusCode, Option<u8>, String) {
    let g = gate(keys, Purpose::PasswordCapsule, 1, None);
    let reply = h.post("/v1/evaluate", user, &g.bytes.clone()).await;
    let left = if reply.status.is_success() {
        g.finish(&reply.body).1
    } else {
        None
    };
    (reply.status, left, reply.code())
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Harness, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends().await {
        let name: &'static str = backend.name();
        let harness = Harness::new(backend.open().await).await;
        test(harness, name).await;
        drop(backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_and_evaluate() {
    each_backend(|h, backend| async move {
        // The first POST creates the record (201), the next adds a version (200).
        let reply = h.post("/v1/keys", "alice", b"").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {reply:?}");
        let keys = KeySet::from_bytes(&reply.body).unwrap();
        assert_eq!(keys.versions().len(), 1);
        assert!(keys.newest().unwrap().is_current());
        assert_eq!(keys.guard(), GuardStatus::Off);
        assert_eq!(
            reply.headers["content-type"], "application/octet-stream",
            "{backend}"
        );
        let reply = h.post("/v1/keys", "alice", b"").await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}");
        let keys = h.keys("alice").await;
        assert_eq!(keys.versions().len(), 2, "{backend}");

        // A batch of 8 capsule gates and a POPRF unit gate verify against the pinned keys.
        let g = gate(&keys, Purpose::Capsule, 8, None);
        let reply = h.post("/v1/evaluate", "alice", &g.bytes.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {reply:?}");
        let (outputs, guesses) = g.finish(&reply.body);
        assert_eq!((outputs.len(), guesses), (8, None));
        let g = gate(&keys, Purpose::UnitGate, 2, Some(b"vendor:acme"));
        let reply = h.post("/v1/evaluate", "alice", &g.bytes.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {reply:?}");
        assert_eq!(g.finish(&reply.body).0.len(), 2);
        // An older version still answers.
        let g = gate_at(&keys, 1, Purpose::Capsule, 1, None);
        let reply = h.post("/v1/evaluate", "alice", &g.bytes.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}");
        g.finish(&reply.body);

        // Another user has no record; GET keys reads nothing and appends nothing.
        assert_eq!(h.get("/v1/keys", "bob").await.code(), "no_record");
        let g = gate(&keys, Purpose::Capsule, 1, None);
        assert_eq!(
            h.post("/v1/evaluate", "bob", &g.bytes).await.code(),
            "no_record"
        );

        // One event per change, chained; reading the key set adds none.
        let page = verified_audit(&h, "alice").await;
        let actions: Vec<_> = page
            .events
            .iter()
            .map(|e| e.fields.action.as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "key_version_added",
                "key_version_added",
                "evaluated",
                "evaluated",
                "evaluated"
            ],
            "{backend}"
        );
        let batch = &page.events[2].fields;
        assert_eq!(batch.purpose.as_deref(), Some("capsule"));
        assert_eq!(batch.element_count, Some(8));
        assert_eq!(batch.key_version, Some(2));
        assert_eq!(batch.mode.as_deref(), Some("voprf"));
        assert_eq!(batch.info, None);
        let unit = &page.events[3].fields;
        assert_eq!(unit.mode.as_deref(), Some("poprf"));
        assert_eq!(
            unit.info.as_deref(),
            Some(hex::encode("vendor:acme").as_str())
        );
        assert_eq!(page.next, 5);

        // Paging: after=2, limit=2.
        let reply = h.get("/v1/audit?after=2&limit=2", "alice").await;
        let part: quorumkey_server::audit::Page = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(part.events, page.events[2..4], "{backend}");
        assert_eq!(part.next, 4);

        // The operator sees the same log, and the user's state.
        let reply = h
            .admin_get("/v1/admin/audit?user=alice&after=0&limit=1000")
            .await;
        let admin: quorumkey_server::audit::Page = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(admin, page, "{backend}");
        let view = h.admin_get("/v1/admin/users/alice").await.json();
        assert_eq!(view["revision"], 2, "{backend}");
        assert_eq!(view["guard"], "off");
        assert_eq!(view["audit_events"], 5);
        assert_eq!(view["versions"][1]["version"], 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guesses_burn_after_max_guesses() {
    each_backend(|h, backend| async move {
        h.enroll("carol").await;
        let tag = unlock_tag();
        // No password capsule before the guard is on.
        let keys = h.keys("carol").await;
        let g = gate(&keys, Purpose::PasswordCapsule, 1, None);
        assert_eq!(
            h.post("/v1/evaluate", "carol", &g.bytes).await.code(),
            "password_not_set"
        );
        // More guesses than the server allows are refused.
        assert_eq!(
            h.post("/v1/password", "carol", &password_setup(11, &tag))
                .await
                .code(),
            "max_guesses"
        );
        let reply = h
            .post("/v1/password", "carol", &password_setup(3, &tag))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {reply:?}");
        let keys = KeySet::from_bytes(&reply.body).unwrap();
        assert_eq!(
            keys.guard(),
            GuardStatus::Active {
                max_guesses: 3,
                guesses_remaining: 3
            }
        );
        assert_eq!(
            h.post("/v1/password", "carol", &password_setup(3, &tag))
                .await
                .code(),
            "password_already_set"
        );
        // A password capsule request is one element.
        let g = gate(&keys, Purpose::PasswordCapsule, 2, None);
        assert_eq!(
            h.post("/v1/evaluate", "carol", &g.bytes).await.code(),
            "element_budget"
        );

        assert_eq!(guess(&h, &keys, "carol").await.1, Some(2), "{backend}");
        assert_eq!(guess(&h, &keys, "carol").await.1, Some(1));
        // A proven unlock resets the counter; a wrong tag does not.
        let wrong = unlock_proof(&unlock_tag());
        assert_eq!(
            h.post("/v1/password/unlocked", "carol", &wrong)
                .await
                .code(),
            "unlock_tag_mismatch"
        );
        let reply = h
            .post("/v1/password/unlocked", "carol", &unlock_proof(&tag))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            KeySet::from_bytes(&reply.body).unwrap().guard(),
            GuardStatus::Active {
                max_guesses: 3,
                guesses_remaining: 3
            }
        );
        assert_eq!(guess(&h, &keys, "carol").await.1, Some(2));
        assert_eq!(guess(&h, &keys, "carol").await.1, Some(1));
        // The last guess is answered, and burns the password keys with it.
        assert_eq!(guess(&h, &keys, "carol").await.1, Some(0), "{backend}");
        let (status, _, code) = guess(&h, &keys, "carol").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::GONE, "password_burned")
        );
        assert_eq!(
            h.keys("carol").await.guard(),
            GuardStatus::Burned { max_guesses: 3 }
        );
        assert_eq!(
            h.post("/v1/password/unlocked", "carol", &unlock_proof(&tag))
                .await
                .code(),
            "password_burned"
        );
        // A new password may be set after a burn (new keys; old capsules stay dead).
        let tag2 = unlock_tag();
        let reply = h
            .post("/v1/password", "carol", &password_setup(5, &tag2))
            .await;
        assert_eq!(reply.status, StatusCode::OK);

        let page = verified_audit(&h, "carol").await;
        let guesses: Vec<_> = page
            .events
            .iter()
            .filter(|e| e.fields.purpose.as_deref() == Some("password_capsule"))
            .map(|e| e.fields.guesses_remaining)
            .collect();
        assert_eq!(
            guesses,
            [Some(2), Some(1), Some(2), Some(1), Some(0)],
            "{backend}"
        );
        let view = h.admin_get("/v1/admin/users/carol").await.json();
        assert_eq!(view["guard"], "active");
        assert_eq!(view["guesses_remaining"], 5);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_migrate_and_retire() {
    for backend in backends().await {
        let name = backend.name();
        let mut h = Harness::new(backend.open().await).await;
        h.enroll("dave").await;
        h.enroll("erin").await;
        let before = h.keys("dave").await;

        // Rotate: generation 2 becomes current; version 1 is now on a retiring generation.
        let mut ring = h.keyring.clone();
        assert_eq!(ring.rotate(time::Duration::days(30)), 2);
        h.reload(ring.clone());
        let directory = h
            .send(
                axum::http::Request::get("/.well-known/quorumkey/key-directory")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(directory.headers["cache-control"], "public, max-age=300");
        let directory = directory.json();
        assert_eq!(directory["current_generation"], 2, "{name}");
        assert_eq!(directory["generations"][0]["status"], "retiring");
        assert_eq!(directory["generations"][1]["status"], "current");
        let keys = h.keys("dave").await;
        assert!(!keys.newest().unwrap().is_current(), "{name}");
        assert_eq!(
            keys.pin(1, Purpose::Capsule, quorumkey::oprf::Mode::Voprf),
            before.pin(1, Purpose::Capsule, quorumkey::oprf::Mode::Voprf),
            "{name}: the same keys, only no longer current"
        );

        // dave migrates: a new version on generation 2, re-seal, drop version 1.
        let reply = h.post("/v1/keys", "dave", b"").await;
        let keys = KeySet::from_bytes(&reply.body).unwrap();
        let newest = keys.newest().unwrap();
        assert_eq!((newest.version(), newest.is_current()), (2, true), "{name}");
        let g = gate(&keys, Purpose::Capsule, 1, None);
        let reply = h.post("/v1/evaluate", "dave", &g.bytes.clone()).await;
        g.finish(&reply.body);
        assert_eq!(
            h.call(Method::DELETE, "/v1/keys/2", "dave", b"")
                .await
                .code(),
            "newest_key_version"
        );
        let reply = h.call(Method::DELETE, "/v1/keys/1", "dave", b"").await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {reply:?}");
        let g = gate_at(&keys, 1, Purpose::Capsule, 1, None);
        assert_eq!(
            h.post("/v1/evaluate", "dave", &g.bytes).await.code(),
            "unknown_key_version"
        );

        // Retiring the current generation is refused; generation 1 before its window ends
        // only with force.
        assert!(ring.retire(2, true).is_err());
        assert!(ring.retire(1, false).is_err());
        ring.retire(1, true).unwrap();
        h.reload(ring);
        // erin never migrated: her version 1 is gone for good.
        let old = gate_at(&before, 1, Purpose::Capsule, 1, None);
        assert_eq!(
            h.post("/v1/evaluate", "erin", &old.bytes).await.code(),
            "unknown_key_version",
            "{name}"
        );
        assert_eq!(h.get("/v1/keys", "erin").await.code(), "no_record");
        // She can start over on the current generation.
        let keys = h.enroll("erin").await;
        assert_eq!(keys.versions().len(), 1);
        assert_eq!(keys.newest().unwrap().version(), 2);
        // dave is unaffected.
        let keys = h.keys("dave").await;
        let g = gate(&keys, Purpose::Capsule, 1, None);
        let reply = h.post("/v1/evaluate", "dave", &g.bytes.clone()).await;
        g.finish(&reply.body);
        let directory = h
            .send(
                axum::http::Request::get("/.well-known/quorumkey/key-directory")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .json();
        assert_eq!(
            directory["generations"].as_array().unwrap().len(),
            1,
            "{name}"
        );

        for user in ["dave", "erin"] {
            verified_audit(&h, user).await;
        }
        drop(backend);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_are_append_only_in_the_database() {
    for backend in common::sql_backends().await {
        let h = Harness::new(backend.open().await).await;
        h.enroll("frank").await;
        let url = backend.url();
        let (update, delete) = match &backend {
            Backend::Sqlite(_) => {
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                (
                    sqlx::query("UPDATE audit_events SET time_ms = 0")
                        .execute(&pool)
                        .await
                        .is_err(),
                    sqlx::query("DELETE FROM audit_events")
                        .execute(&pool)
                        .await
                        .is_err(),
                )
            }
            _ => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                (
                    sqlx::query("UPDATE audit_events SET time_ms = 0")
                        .execute(&pool)
                        .await
                        .is_err(),
                    sqlx::query("DELETE FROM audit_events")
                        .execute(&pool)
                        .await
                        .is_err(),
                )
            }
        };
        assert!(update, "{}: update allowed", backend.name());
        assert!(delete, "{}: delete allowed", backend.name());
        verified_audit(&h, "frank").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_audit_page_does_not_verify() {
    let backend = Backend::Memory;
    let h = Harness::new(backend.open().await).await;
    let keys = h.enroll("gina").await;
    for _ in 0..3 {
        let g = gate(&keys, Purpose::Capsule, 1, None);
        h.post("/v1/evaluate", "gina", &g.bytes).await;
    }
    let page = verified_audit(&h, "gina").await;
    let verify = |events: &[quorumkey_server::audit::Entry]| {
        quorumkey_server::audit::verify_chain("gina", events, 0, quorumkey_server::audit::GENESIS)
    };
    // Deleted in the middle.
    let mut deleted = page.events.clone();
    deleted.remove(1);
    assert!(verify(&deleted).is_err());
    // Reordered.
    let mut reordered = page.events.clone();
    reordered.swap(1, 2);
    assert!(verify(&reordered).is_err());
    // A field edited (element count) without touching the bytes.
    let mut edited = page.events.clone();
    edited[2].fields.element_count = Some(2);
    assert!(verify(&edited).is_err());
    // Time edited.
    let mut retimed = page.events.clone();
    retimed[2].time_ms += 1;
    assert!(verify(&retimed).is_err());
    // Another user's log.
    assert!(quorumkey_server::audit::verify_chain("mallory", &page.events, 0, [0; 32]).is_err());
    // The last link only verifies a page that really follows it.
    let tail = verify(&page.events[..2]).unwrap();
    assert!(quorumkey_server::audit::verify_chain("gina", &page.events[2..], 2, tail).is_ok());
}

/// One record serves both suites: `?suite=ristretto255` lists the ristretto255 keys, a
/// ristretto255 gate request is evaluated under them, and its proof verifies against the
/// pinned key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_suites_from_one_record() {
    use quorumkey::oprf::Mode;
    use quorumkey::ristretto255::gate::{GateMode, GateResponse};
    use quorumkey::ristretto255::keyserver::KeySet as RistrettoKeySet;
    use quorumkey::ristretto255::oprf::{EvaluationRequest, VoprfClient};

    each_backend(|h, backend| async move {
        let reply = h.post("/v1/keys", "carol", b"").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}");
        let p256 = KeySet::from_bytes(&reply.body).unwrap();
        let reply = h.get("/v1/keys?suite=ristretto255", "carol").await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {reply:?}");
        let keys = RistrettoKeySet::from_bytes(&reply.body).unwrap();
        assert_eq!(keys.versions().len(), p256.versions().len());
        // `suite=p256` is the default.
        let reply = h.get("/v1/keys?suite=p256", "carol").await;
        assert_eq!(KeySet::from_bytes(&reply.body).unwrap(), p256);
        for bad in [
            "/v1/keys?suite=p384",
            "/v1/keys?suite=p256&x=1",
            "/v1/keys?x",
        ] {
            assert_eq!(h.get(bad, "carol").await.code(), "malformed", "{bad}");
        }

        let pin = keys.newest_pin(Purpose::Capsule, Mode::Voprf).unwrap();
        let input = b"gate input".to_vec();
        let (client, blinded) = VoprfClient::blind(&input, &mut rand::rng()).unwrap();
        let mut body = b"QK\x02\x05\x02".to_vec();
        body.push(Purpose::Capsule.to_byte());
        body.extend_from_slice(&pin.key_version.to_be_bytes());
        body.push(GateMode::Voprf.mode().to_byte());
        body.extend_from_slice(&EvaluationRequest::new(vec![blinded]).unwrap().to_bytes());
        let reply = h.post("/v1/evaluate", "carol", &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {reply:?}");
        let response = GateResponse::from_bytes(&reply.body).unwrap();
        let outputs = VoprfClient::finalize_batch(
            vec![client],
            &[input],
            response.evaluation_response(),
            &pin.public_key,
        )
        .expect("the proof verifies against the pinned ristretto255 key");
        assert_eq!(outputs[0].as_secret_bytes().len(), 64);
    })
    .await;
}
