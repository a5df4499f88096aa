//! Drives the whole router in process with arbitrary requests: method, path, query,
//! `Authorization` (none, a fresh valid token for a user with a record, for a user without
//! one, a replayed one, a mangled one, or arbitrary bytes), content type and body.
//!
//! Asserts: nothing panics (a panic would also surface as a 500); every response is a
//! success or an error whose JSON body carries a code from the server's table with that
//! code's status; no 5xx at all (the in-memory store cannot fail).
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use quorumkey_server::app::{self, Keys, Settings};
use quorumkey_server::auth::{Authenticator, DevIssuer, JwksSource};
use quorumkey_server::keyring::Keyring;
use quorumkey_server::limits::{BucketConfig, Limits};
use quorumkey_server::storage::memory::MemoryStore;
use tower::ServiceExt;

const SERVER_ID: &str = "keys.fuzz.example";
const ADMIN: &str = "fuzz-operator-token-0123456789abcdef";

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    issuer: DevIssuer,
    replayed: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn now() -> u64 {
    quorumkey_server::service::now_ms() / 1000
}

impl Fixture {
    fn token(&self, user: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let t = now();
        self.issuer
            .sign(&serde_json::json!({
                "sub": user, "iss": self.issuer.issuer, "aud": SERVER_ID,
                "iat": t, "exp": t + 60, "jti": format!("fuzz-{n}"),
            }))
            .unwrap_or_default()
    }

    fn send(&self, request: Request<Body>) -> (u16, Vec<u8>) {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap()
                .to_vec();
            (status, body)
        })
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let issuer =
            DevIssuer::from_seed(&[3; 32], "app:1", "https://issuer.fuzz.example").unwrap();
        let auth = Authenticator::new(
            SERVER_ID.into(),
            [("app".to_owned(), issuer.issuer.clone())].into(),
            vec![JwksSource::Inline(issuer.jwks())],
            Duration::from_secs(300),
        )
        .unwrap();
        let keyring = Keyring::generate();
        let state = app::state(
            Keys::new(&keyring, SERVER_ID, 10).unwrap(),
            Arc::new(MemoryStore::default()),
            Arc::new(auth),
            Limits::new(
                BucketConfig {
                    burst: 1 << 20,
                    per_minute: 1 << 30,
                },
                BucketConfig {
                    burst: 0,
                    per_minute: 0,
                },
            ),
            Settings {
                server_id: SERVER_ID.into(),
                admin_token: Some(zeroize::Zeroizing::new(ADMIN.into())),
                request_timeout: Duration::from_secs(10),
                client_ip_header: None,
            },
        );
        let router = app::app(state);
        let mut f = Fixture {
            runtime,
            router,
            issuer,
            replayed: String::new(),
        };
        // alice has a record with the password guard on (max 255 guesses, the most a
        // client may ask for is 10 here, so set it to 10).
        let t = f.token("alice");
        let create = Request::post("/v1/keys")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(f.send(create).0, 201);
        f.replayed = t;
        f
    })
}

const PATHS: &[&str] = &[
    "/v1/evaluate",
    "/v1/keys",
    "/v1/keys/1",
    "/v1/keys/",
    "/v1/password",
    "/v1/password/unlocked",
    "/v1/password/tag",
    "/v1/audit",
    "/v1/admin/audit",
    "/v1/admin/users/alice",
    "/.well-known/quorumkey/key-directory",
    "/healthz",
    "/readyz",
];

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let [m, p, a, c, rest @ ..] = data else {
        return;
    };
    let method = ["GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS"][usize::from(*m) % 6];
    // The path: one of the routes plus a fuzzed suffix, or fuzzed entirely.
    let (suffix, body) = rest.split_at(rest.len().min(usize::from(*p >> 4)));
    let suffix: String = String::from_utf8_lossy(suffix)
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect();
    let path = if *p & 0x0f == 0x0f {
        format!("/{suffix}")
    } else {
        format!("{}{suffix}", PATHS[usize::from(*p & 0x0f) % PATHS.len()])
    };
    let Ok(uri) = path.parse::<axum::http::Uri>() else {
        return;
    };
    let mut request = Request::builder().method(method).uri(uri);
    let authorization = match a % 8 {
        0 => None,
        1 | 2 => Some(format!("Bearer {}", f.token("alice"))),
        3 => Some(format!("Bearer {}", f.token("bob"))),
        4 => Some(format!("Bearer {}", f.replayed)),
        5 => {
            let t = f.token("alice");
            let cut = usize::from(*c) % t.len().max(1);
            Some(format!("Bearer {}", &t[..cut]))
        }
        6 => Some(format!("Bearer {ADMIN}")),
        _ => Some(String::from_utf8_lossy(body).into_owned()),
    };
    if let Some(value) = authorization {
        match axum::http::HeaderValue::from_str(&value) {
            Ok(v) => request = request.header(header::AUTHORIZATION, v),
            Err(_) => return,
        }
    }
    match c % 4 {
        0 => {}
        1 | 2 => request = request.header(header::CONTENT_TYPE, "application/octet-stream"),
        _ => request = request.header(header::CONTENT_TYPE, "application/json; charset=x"),
    }
    let Ok(request) = request.body(Body::from(body.to_vec())) else {
        return;
    };
    let (status, response) = f.send(request);
    assert!(
        status < 500,
        "{status} {}",
        String::from_utf8_lossy(&response)
    );
    // HEAD responses carry no body (axum strips it), so only their status is checked.
    if status >= 400 && method != "HEAD" {
        let value: serde_json::Value = serde_json::from_slice(&response)
            .unwrap_or_else(|_| panic!("{status}: not JSON: {response:?}"));
        let code = value["error"]["code"].as_str().expect("an error code");
        let expected = quorumkey_server::error::status_of(code).map(|s| s.as_u16());
        assert_eq!(expected, Some(status), "{code}");
    }
});
