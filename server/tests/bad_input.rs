//! Bad input: every malformed, oversized, mistyped, unauthenticated, misdirected or replayed
//! request gets a 4xx with a stable code, nothing panics, and nothing is written (no record
//! change, no audit event, no token used). The error bodies are snapshotted in
//! `tests/snapshots/errors.txt` (regenerate with `UPDATE_SNAPSHOTS=1`), so a change of
//! status, code or message shows up in review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{
    Backend, Harness, SERVER_ID, gate, gate_prefix, now_secs, password_setup, test_issuer,
    unlock_tag,
};
use quorumkey::gate::Purpose;
use quorumkey_server::auth::DevIssuer;
use serde_json::json;

struct Case {
    name: &'static str,
    request: Request<Body>,
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn claims(user: &str) -> serde_json::Value {
    let now = now_secs();
    json!({
        "sub": user, "iss": test_issuer().issuer, "aud": SERVER_ID,
        "iat": now, "exp": now + 60, "jti": hex::encode(rand::random::<[u8; 8]>()),
    })
}

fn with(mut claims: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(key);
    } else {
        claims[key] = value;
    }
    claims
}

fn unsigned(header: serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn post(path: &str, token: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post(path).header(header::AUTHORIZATION, bearer(token));
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    r.body(Body::from(body)).unwrap()
}

fn get(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(a) = authorization {
        r = r.header(header::AUTHORIZATION, a);
    }
    r.body(Body::empty()).unwrap()
}

const OCTETS: Option<&str> = Some("application/octet-stream");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_stable_4xx_codes_and_write_nothing() {
    let backend = Backend::Sqlite(tempfile::tempdir().unwrap());
    let h = Harness::new(backend.open().await).await;
    let keys = h.enroll("alice").await;
    let tag = unlock_tag();
    assert!(
        h.post("/v1/password", "alice", &password_setup(3, &tag))
            .await
            .status
            .is_success()
    );
    let keys_pw = h.keys("alice").await;
    let issuer = test_issuer();
    let token = |user: &str| h.token(user);
    let sign = |c: &serde_json::Value| issuer.sign(c).unwrap();

    // The replayed token: used once successfully before the snapshot of the database.
    let replayed = token("alice");
    let reply = h.send(get("/v1/keys", Some(&bearer(&replayed)))).await;
    assert_eq!(reply.status, StatusCode::OK);

    let valid = gate(&keys, Purpose::Capsule, 1, None).bytes;
    let mut trailing = valid.clone();
    trailing.push(0);
    let mut old_version = valid.clone();
    old_version[2] = 1;
    // About half of all x coordinates are on the curve: flip bits of the last element's x
    // until it is not (the request's inputs are random).
    let n = valid.len();
    let not_on_curve = (n - 8..n)
        .flat_map(|byte| (0..8).map(move |bit| (byte, bit)))
        .map(|(byte, bit)| {
            let mut candidate = valid.clone();
            candidate[byte] ^= 1 << bit;
            candidate
        })
        .find(|c| quorumkey::oprf::BlindedElement::from_bytes(&c[n - 33..]).is_err())
        .expect("an x off the curve");
    let mut identity = valid[..valid.len() - 33].to_vec();
    identity.extend_from_slice(&[0u8; 33]);
    let mut too_many = gate_prefix().to_vec();
    too_many.extend_from_slice(&[Purpose::Capsule.to_byte(), 0, 0, 0, 1, 1]);
    too_many.extend_from_slice(&257u16.to_be_bytes());
    for _ in 0..257 {
        too_many.extend_from_slice(&valid[valid.len() - 33..]);
    }
    let mut empty_info = gate_prefix().to_vec();
    empty_info.extend_from_slice(&[Purpose::UnitGate.to_byte(), 0, 0, 0, 1, 2, 0]);
    empty_info.extend_from_slice(&valid[11..]);
    let two_guesses = gate(&keys_pw, Purpose::PasswordCapsule, 2, None).bytes;
    let other_issuer = DevIssuer::from_seed(&[9; 32], "app:1", &issuer.issuer).unwrap();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some("app:1".into()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &claims("alice"),
        &jsonwebtoken::EncodingKey::from_secret(issuer.jwks().as_bytes()).unwrap(),
    )
    .unwrap();
    let now = now_secs();

    let cases = vec![
        // Bodies.
        Case {
            name: "oversized body",
            request: post(
                "/v1/evaluate",
                &token("alice"),
                OCTETS,
                vec![0; 16 * 1024 + 1],
            ),
        },
        Case {
            name: "oversized declared length",
            request: Request::post("/v1/evaluate")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_LENGTH, "100000")
                .body(Body::from(vec![0; 10]))
                .unwrap(),
        },
        Case {
            name: "truncated gate request",
            request: post(
                "/v1/evaluate",
                &token("alice"),
                OCTETS,
                valid[..valid.len() - 10].to_vec(),
            ),
        },
        Case {
            name: "prefix only",
            request: post(
                "/v1/evaluate",
                &token("alice"),
                OCTETS,
                gate_prefix().to_vec(),
            ),
        },
        Case {
            name: "empty body",
            request: post("/v1/evaluate", &token("alice"), OCTETS, vec![]),
        },
        Case {
            name: "garbage",
            request: post(
                "/v1/evaluate",
                &token("alice"),
                OCTETS,
                b"not a QK object at all".to_vec(),
            ),
        },
        Case {
            name: "trailing byte",
            request: post("/v1/evaluate", &token("alice"), OCTETS, trailing),
        },
        Case {
            name: "format version 1",
            request: post("/v1/evaluate", &token("alice"), OCTETS, old_version),
        },
        Case {
            name: "element not on the curve",
            request: post("/v1/evaluate", &token("alice"), OCTETS, not_on_curve),
        },
        Case {
            name: "identity element",
            request: post("/v1/evaluate", &token("alice"), OCTETS, identity),
        },
        Case {
            name: "257 elements",
            request: post("/v1/evaluate", &token("alice"), OCTETS, too_many),
        },
        Case {
            name: "empty POPRF label",
            request: post("/v1/evaluate", &token("alice"), OCTETS, empty_info),
        },
        Case {
            name: "two guesses in one request",
            request: post("/v1/evaluate", &token("alice"), OCTETS, two_guesses),
        },
        Case {
            name: "key set object as a password setup",
            request: post("/v1/password", &token("alice"), OCTETS, valid.clone()),
        },
        Case {
            name: "truncated unlock proof",
            request: post(
                "/v1/password/unlocked",
                &token("alice"),
                OCTETS,
                vec![b'Q', b'K', 2, 0x0A, 1, 2],
            ),
        },
        Case {
            name: "wrong content type",
            request: post(
                "/v1/evaluate",
                &token("alice"),
                Some("application/json"),
                valid.clone(),
            ),
        },
        Case {
            name: "no content type",
            request: post("/v1/evaluate", &token("alice"), None, valid.clone()),
        },
        Case {
            name: "body on POST /v1/keys",
            request: post("/v1/keys", &token("alice"), OCTETS, vec![1]),
        },
        // Paths and queries.
        Case {
            name: "version not a number",
            request: Request::delete("/v1/keys/one")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .body(Body::empty())
                .unwrap(),
        },
        Case {
            name: "version beyond u32",
            request: Request::delete("/v1/keys/4294967296")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .body(Body::empty())
                .unwrap(),
        },
        Case {
            name: "version with a sign",
            request: Request::delete("/v1/keys/+1")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .body(Body::empty())
                .unwrap(),
        },
        Case {
            name: "unknown version",
            request: Request::delete("/v1/keys/7")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .body(Body::empty())
                .unwrap(),
        },
        Case {
            name: "audit limit 0",
            request: get("/v1/audit?limit=0", Some(&bearer(&token("alice")))),
        },
        Case {
            name: "audit after not a number",
            request: get("/v1/audit?after=x", Some(&bearer(&token("alice")))),
        },
        Case {
            name: "unknown path",
            request: get("/v1/nothing", Some(&bearer(&token("alice")))),
        },
        Case {
            name: "wrong method",
            request: Request::put("/v1/evaluate")
                .header(header::AUTHORIZATION, bearer(&token("alice")))
                .body(Body::empty())
                .unwrap(),
        },
        // Tokens.
        Case {
            name: "no token",
            request: post("/v1/evaluate", "", OCTETS, valid.clone()),
        },
        Case {
            name: "no Authorization header",
            request: get("/v1/keys", None),
        },
        Case {
            name: "Basic scheme",
            request: get("/v1/keys", Some("Basic YWxpY2U6aHVudGVyMg==")),
        },
        Case {
            name: "not a JWT",
            request: get("/v1/keys", Some("Bearer not-a-jwt")),
        },
        Case {
            name: "expired token",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(
                    with(claims("alice"), "iat", json!(now - 120)),
                    "exp",
                    json!(now - 60),
                )))),
            ),
        },
        Case {
            name: "wrong audience",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(
                    claims("alice"),
                    "aud",
                    json!("keys.other.example"),
                )))),
            ),
        },
        Case {
            name: "wrong issuer",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(
                    claims("alice"),
                    "iss",
                    json!("https://evil.example"),
                )))),
            ),
        },
        Case {
            name: "alg none",
            request: get(
                "/v1/keys",
                Some(&bearer(&unsigned(
                    json!({"alg": "none", "kid": "app:1"}),
                    &claims("alice"),
                ))),
            ),
        },
        Case {
            name: "alg HS256 keyed with the public key",
            request: get("/v1/keys", Some(&bearer(&hs256))),
        },
        Case {
            name: "unknown kid",
            request: get(
                "/v1/keys",
                Some(&bearer(
                    &DevIssuer::from_seed(&[7; 32], "app:2", &issuer.issuer)
                        .unwrap()
                        .sign(&claims("alice"))
                        .unwrap(),
                )),
            ),
        },
        Case {
            name: "signed by another key",
            request: get(
                "/v1/keys",
                Some(&bearer(&other_issuer.sign(&claims("alice")).unwrap())),
            ),
        },
        Case {
            name: "lives too long",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(
                    claims("alice"),
                    "exp",
                    json!(now + 3600),
                )))),
            ),
        },
        Case {
            name: "issued in the future",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(
                    with(claims("alice"), "iat", json!(now + 600)),
                    "exp",
                    json!(now + 700),
                )))),
            ),
        },
        Case {
            name: "no jti",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(claims("alice"), "jti", json!(null))))),
            ),
        },
        Case {
            name: "no sub",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(claims("alice"), "sub", json!(null))))),
            ),
        },
        Case {
            name: "empty sub",
            request: get(
                "/v1/keys",
                Some(&bearer(&sign(&with(claims("alice"), "sub", json!(""))))),
            ),
        },
        Case {
            name: "replayed token",
            request: get("/v1/keys", Some(&bearer(&replayed))),
        },
        Case {
            name: "replayed token, other path",
            request: post("/v1/evaluate", &replayed, OCTETS, valid.clone()),
        },
        // Someone else's record.
        Case {
            name: "bob evaluates at alice's key version",
            request: post("/v1/evaluate", &token("bob"), OCTETS, valid.clone()),
        },
        Case {
            name: "bob drops a version",
            request: Request::delete("/v1/keys/1")
                .header(header::AUTHORIZATION, bearer(&token("bob")))
                .body(Body::empty())
                .unwrap(),
        },
        Case {
            name: "operator path with a user token",
            request: get("/v1/admin/users/alice", Some(&bearer(&token("alice")))),
        },
        Case {
            name: "operator path with a wrong token",
            request: get(
                "/v1/admin/audit?user=alice",
                Some("Bearer wrong-operator-token-0000000000000000"),
            ),
        },
        Case {
            name: "operator audit without user",
            request: get("/v1/admin/audit", Some(&bearer(common::ADMIN_TOKEN))),
        },
    ];

    let before = snapshot(&backend, "alice").await;
    let mut lines = Vec::new();
    for case in cases {
        let reply = h.send(case.request).await;
        assert!(reply.status.is_client_error(), "{}: {:?}", case.name, reply);
        let code = reply.code();
        assert!(
            quorumkey_server::error::status_of(&code) == Some(reply.status),
            "{}: code {code:?} is not in the table with status {}",
            case.name,
            reply.status
        );
        if reply.status == StatusCode::UNAUTHORIZED {
            assert_eq!(
                reply.headers[header::WWW_AUTHENTICATE],
                "Bearer",
                "{}",
                case.name
            );
        }
        lines.push(format!(
            "{}: {} {}",
            case.name,
            reply.status.as_u16(),
            String::from_utf8_lossy(&reply.body)
        ));
    }
    assert_eq!(
        snapshot(&backend, "alice").await,
        before,
        "a bad request wrote something"
    );
    assert_eq!(snapshot(&backend, "bob").await, (0, 0, before.2));
    check_snapshot("errors.txt", &(lines.join("\n") + "\n"));

    // Unauthenticated paths never need a token and never write.
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/.well-known/quorumkey/key-directory",
    ] {
        assert_eq!(
            h.send(get(path, None)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

/// (revision, audit events, used tokens) of a user in the SQLite file.
async fn snapshot(backend: &Backend, user: &str) -> (i64, i64, i64) {
    let pool = sqlx::SqlitePool::connect(&backend.url()).await.unwrap();
    let (revision, events): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE((SELECT revision FROM users WHERE user_id = ?1), 0), \
         (SELECT COUNT(*) FROM audit_events WHERE user_id = ?1)",
    )
    .bind(user)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (tokens,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM spent_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    (revision, events, tokens)
}

/// Compares `actual` with the checked-in snapshot; `UPDATE_SNAPSHOTS=1` rewrites it.
fn check_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{} is stale (rerun with UPDATE_SNAPSHOTS=1 and review the diff):\n{actual}",
            path.display()
        );
    }
}

#[tokio::test]
async fn method_and_path_errors_use_the_error_envelope() {
    let h = Harness::new(Backend::Memory.open().await).await;
    let reply = h
        .send(
            Request::builder()
                .method(Method::PATCH)
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/json");
}

#[test]
fn each_refused_token_is_refused_for_its_own_reason() {
    let issuer = test_issuer();
    let auth = common::authenticator(&issuer);
    let sign = |c: &serde_json::Value| issuer.sign(c).unwrap();
    let now = now_secs();
    let cases: Vec<(String, &str)> = vec![
        (
            sign(&with(
                with(claims("a"), "iat", json!(now - 120)),
                "exp",
                json!(now - 60),
            )),
            "ExpiredSignature",
        ),
        (
            sign(&with(claims("a"), "aud", json!("keys.other.example"))),
            "InvalidAudience",
        ),
        (
            sign(&with(claims("a"), "iss", json!("https://evil.example"))),
            "InvalidIssuer",
        ),
        (
            unsigned(json!({"alg": "none", "kid": "app:1"}), &claims("a")),
            "malformed token header",
        ),
        (
            DevIssuer::from_seed(&[7; 32], "app:2", &issuer.issuer)
                .unwrap()
                .sign(&claims("a"))
                .unwrap(),
            "unknown kid",
        ),
        (
            DevIssuer::from_seed(&[9; 32], "app:1", &issuer.issuer)
                .unwrap()
                .sign(&claims("a"))
                .unwrap(),
            "InvalidSignature",
        ),
        (
            sign(&with(claims("a"), "exp", json!(now + 3600))),
            "lives longer",
        ),
        (
            sign(&with(
                with(claims("a"), "iat", json!(now + 600)),
                "exp",
                json!(now + 700),
            )),
            "issued in the future",
        ),
        (sign(&with(claims("a"), "jti", json!(null))), "jti"),
        (
            sign(&with(claims("a"), "jti", json!("x".repeat(129)))),
            "jti must be",
        ),
        (sign(&with(claims("a"), "sub", json!(null))), "sub"),
        (
            sign(&with(claims("a"), "sub", json!("u".repeat(256)))),
            "sub must be",
        ),
    ];
    for (token, reason) in cases {
        let error = auth.verify(&token, now).unwrap_err();
        assert_eq!(error.code(), "unauthorized");
        let detail = error.detail().unwrap_or_default();
        assert!(
            detail.contains(reason),
            "expected {reason:?}, got {detail:?}"
        );
    }
    // The same claims, properly signed, pass; the token id is tenant:jti.
    let ok = auth
        .verify(&sign(&with(claims("a"), "jti", json!("j1"))), now)
        .unwrap();
    assert_eq!((ok.user.as_str(), ok.token_id.as_str()), ("a", "app:j1"));
}
