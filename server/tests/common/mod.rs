//! Test support: an in-process key server with a development issuer, the three stores
//! (memory, SQLite in a temporary directory, PostgreSQL in a throwaway schema), a client
//! that builds and verifies gate requests with the core's public API, and a runner that
//! spawns the real binary on port 0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod process;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use quorumkey::codec::{FORMAT_VERSION, ObjectType};
use quorumkey::gate::{GateResponse, Purpose};
use quorumkey::keyserver::KeySet;
use quorumkey::oprf::{
    BlindedElement, EvaluationRequest, Mode, Output, PoprfClient, PublicKey, VoprfClient,
};
use quorumkey_server::app::{self, AppState, Keys, Settings};
use quorumkey_server::auth::{Authenticator, DevIssuer, JwksSource};
use quorumkey_server::keyring::Keyring;
use quorumkey_server::limits::{BucketConfig, Limits};
use quorumkey_server::storage::{Store, StoreOptions, memory::MemoryStore};
use tower::ServiceExt;

/// The audience of the test servers.
pub const SERVER_ID: &str = "keys.test.example";
/// The operator token of the test servers.
pub const ADMIN_TOKEN: &str = "test-operator-token-0123456789abcdef";

pub fn now_secs() -> u64 {
    quorumkey_server::service::now_ms() / 1000
}

/// Which store a test runs against.
pub enum Backend {
    Memory,
    Sqlite(tempfile::TempDir),
    Postgres(pg::TestSchema),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub fn url(&self) -> String {
        match self {
            Backend::Memory => "memory:".into(),
            Backend::Sqlite(dir) => format!("sqlite://{}", dir.path().join("qk.sqlite3").display()),
            Backend::Postgres(schema) => schema.url(),
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            Backend::Memory => Arc::new(MemoryStore::default()),
            _ => quorumkey_server::storage::open(&self.url(), &StoreOptions::default())
                .await
                .unwrap(),
        }
    }
}

/// Every backend available here: memory and SQLite always, PostgreSQL when
/// `TEST_DATABASE_URL` is set (see [`pg::url`]).
pub async fn backends() -> Vec<Backend> {
    let mut all = vec![
        Backend::Memory,
        Backend::Sqlite(tempfile::tempdir().unwrap()),
    ];
    if let Some(schema) = pg::TestSchema::new().await {
        all.push(Backend::Postgres(schema));
    }
    all
}

/// SQLite and PostgreSQL (when available): the two real backends.
pub async fn sql_backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite(tempfile::tempdir().unwrap())];
    if let Some(schema) = pg::TestSchema::new().await {
        all.push(Backend::Postgres(schema));
    }
    all
}

pub mod pg {
    //! PostgreSQL tests use `TEST_DATABASE_URL`; each test gets a fresh schema (through
    //! `search_path`), dropped afterwards. Without the variable they are skipped with a
    //! message, unless `QUORUMKEY_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes that a
    //! failure.

    use sqlx::Connection;

    pub fn url() -> Option<String> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                if std::env::var("QUORUMKEY_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("QUORUMKEY_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
                }
                eprintln!("SKIPPED PostgreSQL backend: set TEST_DATABASE_URL to run it");
                None
            }
        }
    }

    pub struct TestSchema {
        base: String,
        pub name: String,
    }

    impl TestSchema {
        pub async fn new() -> Option<Self> {
            let base = url()?;
            let name = format!("t_{}", hex::encode(rand::random::<[u8; 8]>()));
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            Some(Self { base, name })
        }

        pub fn url(&self) -> String {
            let sep = if self.base.contains('?') { '&' } else { '?' };
            format!("{}{sep}options[search_path]={}", self.base, self.name)
        }
    }

    impl Drop for TestSchema {
        fn drop(&mut self) {
            let base = self.base.clone();
            let name = self.name.clone();
            // Drop may run inside a runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                        let _ =
                            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// An in-process key server.
pub struct Harness {
    pub router: Router,
    pub state: AppState,
    pub issuer: DevIssuer,
    pub keyring: Keyring,
}

/// Options for [`Harness::build`].
pub struct Options {
    pub limits: Limits,
    pub max_guesses: u8,
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits::new(
                BucketConfig {
                    burst: 0,
                    per_minute: 0,
                },
                BucketConfig {
                    burst: 0,
                    per_minute: 0,
                },
            ),
            max_guesses: 10,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A test issuer (same seed every run, so snapshots of its tokens are stable).
pub fn test_issuer() -> DevIssuer {
    DevIssuer::from_seed(&[7; 32], "app:1", "https://issuer.test.example").unwrap()
}

pub fn authenticator(issuer: &DevIssuer) -> Authenticator {
    Authenticator::new(
        SERVER_ID.into(),
        [(issuer.tenant().to_owned(), issuer.issuer.clone())].into(),
        vec![JwksSource::Inline(issuer.jwks())],
        Duration::from_secs(300),
    )
    .unwrap()
}

impl Harness {
    pub async fn new(store: Arc<dyn Store>) -> Self {
        Self::build(store, Options::default()).await
    }

    pub async fn build(store: Arc<dyn Store>, options: Options) -> Self {
        let keyring = Keyring::generate();
        let issuer = test_issuer();
        let state = app::state(
            Keys::new(&keyring, SERVER_ID, options.max_guesses).unwrap(),
            store,
            Arc::new(authenticator(&issuer)),
            options.limits,
            Settings {
                server_id: SERVER_ID.into(),
                admin_token: Some(zeroize::Zeroizing::new(ADMIN_TOKEN.into())),
                request_timeout: options.timeout,
                client_ip_header: None,
            },
        );
        Self {
            router: app::app(Arc::clone(&state)),
            state,
            issuer,
            keyring,
        }
    }

    /// Applies a keyring change, as SIGHUP does in the binary.
    pub fn reload(&mut self, keyring: Keyring) {
        self.state
            .set_keys(Keys::new(&keyring, SERVER_ID, 10).unwrap());
        self.keyring = keyring;
    }

    pub fn token(&self, user: &str) -> String {
        self.issuer.token(user, SERVER_ID, now_secs(), 120).unwrap()
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A protocol request with a fresh token for `user`.
    pub async fn call(&self, method: Method, path: &str, user: &str, body: &[u8]) -> Reply {
        let mut request = Request::builder().method(method).uri(path).header(
            header::AUTHORIZATION,
            format!("Bearer {}", self.token(user)),
        );
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/octet-stream");
        }
        self.send(request.body(Body::from(body.to_vec())).unwrap())
            .await
    }

    pub async fn post(&self, path: &str, user: &str, body: &[u8]) -> Reply {
        self.call(Method::POST, path, user, body).await
    }

    pub async fn get(&self, path: &str, user: &str) -> Reply {
        self.call(Method::GET, path, user, b"").await
    }

    pub async fn admin_get(&self, path: &str) -> Reply {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// `POST /v1/keys`, expecting success; the key set.
    pub async fn enroll(&self, user: &str) -> KeySet {
        let reply = self.post("/v1/keys", user, b"").await;
        assert!(reply.status.is_success(), "{reply:?}");
        KeySet::from_bytes(&reply.body).unwrap()
    }

    pub async fn keys(&self, user: &str) -> KeySet {
        let reply = self.get("/v1/keys", user).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        KeySet::from_bytes(&reply.body).unwrap()
    }

    /// Every audit event of `user`, through the user's own path.
    pub async fn audit(&self, user: &str) -> quorumkey_server::audit::Page {
        let reply = self.get("/v1/audit?after=0&limit=1000", user).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        serde_json::from_slice(&reply.body).unwrap()
    }
}

/// A response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
                .chars()
                .take(300)
                .collect::<String>()
        )
    }
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The error code, or "" for a success.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The encoding prefix of a gate request (`spec/wire-format.md` §2).
/// `QK 02 05 ‖ suite 01`: a P-256 gate request's first bytes.
pub fn gate_prefix() -> [u8; 5] {
    [
        b'Q',
        b'K',
        FORMAT_VERSION,
        ObjectType::GateRequest as u8,
        quorumkey::codec::SUITE_P256_SHA256,
    ]
}

enum Clients {
    Voprf(Vec<VoprfClient>),
    Poprf(Vec<PoprfClient>, Vec<u8>),
}

/// A client's side of one gate request: blinds kept to verify the answer.
pub struct Gate {
    clients: Clients,
    inputs: Vec<Vec<u8>>,
    pub purpose: Purpose,
    pub version: u32,
    pin: PublicKey,
    pub bytes: Vec<u8>,
}

/// A gate request of `n` random inputs for `purpose` at the newest version of `keys`
/// (VOPRF, or POPRF with `info`).
pub fn gate(keys: &KeySet, purpose: Purpose, n: usize, info: Option<&[u8]>) -> Gate {
    let version = keys.newest().unwrap().version();
    gate_at(keys, version, purpose, n, info)
}

pub fn gate_at(
    keys: &KeySet,
    version: u32,
    purpose: Purpose,
    n: usize,
    info: Option<&[u8]>,
) -> Gate {
    let mode = if info.is_some() {
        Mode::Poprf
    } else {
        Mode::Voprf
    };
    let pin = keys
        .pin(version, purpose, mode)
        .map(|p| p.public_key)
        .unwrap_or_else(|| keys.newest_pin(Purpose::Capsule, mode).unwrap().public_key);
    let mut rng = rand::rng();
    let inputs: Vec<Vec<u8>> = (0..n)
        .map(|_| rand::random::<[u8; 32]>().to_vec())
        .collect();
    let mut blinded: Vec<BlindedElement> = Vec::new();
    let clients = match info {
        None => Clients::Voprf(
            inputs
                .iter()
                .map(|i| {
                    let (c, b) = VoprfClient::blind(i, &mut rng).unwrap();
                    blinded.push(b);
                    c
                })
                .collect(),
        ),
        Some(info) => Clients::Poprf(
            inputs
                .iter()
                .map(|i| {
                    let (c, b) = PoprfClient::blind(i, info, &pin, &mut rng).unwrap();
                    blinded.push(b);
                    c
                })
                .collect(),
            info.to_vec(),
        ),
    };
    let mut bytes = gate_prefix().to_vec();
    bytes.push(purpose.to_byte());
    bytes.extend_from_slice(&version.to_be_bytes());
    match info {
        None => bytes.push(Mode::Voprf.to_byte()),
        Some(info) => {
            bytes.push(Mode::Poprf.to_byte());
            bytes.push(u8::try_from(info.len()).unwrap());
            bytes.extend_from_slice(info);
        }
    }
    bytes.extend_from_slice(&EvaluationRequest::new(blinded).unwrap().to_bytes());
    Gate {
        clients,
        inputs,
        purpose,
        version,
        pin,
        bytes,
    }
}

impl Gate {
    /// Verifies the server's answer against the pinned key; the outputs and, for a password
    /// capsule, the guesses left.
    pub fn finish(self, response: &[u8]) -> (Vec<Output>, Option<u8>) {
        let response = GateResponse::from_bytes(response).unwrap();
        assert_eq!(response.purpose(), self.purpose);
        assert_eq!(response.key_version(), self.version);
        let outputs = match self.clients {
            Clients::Voprf(c) => VoprfClient::finalize_batch(
                c,
                &self.inputs,
                response.evaluation_response(),
                &self.pin,
            ),
            Clients::Poprf(c, info) => {
                PoprfClient::finalize_batch(c, &self.inputs, &info, response.evaluation_response())
            }
        }
        .expect("the response verifies against the pinned key");
        (outputs, response.guesses_remaining())
    }
}

/// An unlock tag for this key server, from a dealt (never finished) enrollment.
pub fn unlock_tag() -> quorumkey::keyserver::UnlockTag {
    let policy = quorumkey::policy::Policy::builder(2)
        .device(1, "phone")
        .key_server(2, "key server", SERVER_ID)
        .build()
        .unwrap();
    quorumkey::vault::Enrollment::new(policy, &mut rand::rng())
        .unwrap()
        .unlock_tag(SERVER_ID)
}

/// `QK 02 09` for `tag`.
pub fn password_setup(max_guesses: u8, tag: &quorumkey::keyserver::UnlockTag) -> Vec<u8> {
    quorumkey::keyserver::PasswordSetup::new(max_guesses, tag)
        .unwrap()
        .to_bytes()
}

/// `QK 02 0A` for `tag`.
pub fn unlock_proof(tag: &quorumkey::keyserver::UnlockTag) -> Vec<u8> {
    quorumkey::keyserver::UnlockProof::new(tag.clone())
        .to_secret_bytes()
        .to_vec()
}

/// Verifies `user`'s whole audit log as served, and returns it.
pub async fn verified_audit(h: &Harness, user: &str) -> quorumkey_server::audit::Page {
    let page = h.audit(user).await;
    quorumkey_server::audit::verify_chain(user, &page.events, 0, quorumkey_server::audit::GENESIS)
        .unwrap_or_else(|e| panic!("audit chain of {user}: {e}"));
    page
}
