//! The application: shared state and the router.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use quorumkey::keyserver::KeyServer;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;
use zeroize::Zeroizing;

use crate::auth::Authenticator;
use crate::error::{ApiError, ErrorCode};
use crate::keyring::Keyring;
use crate::limits::Limits;
use crate::routes;
use crate::storage::Store;
use crate::telemetry;

/// The largest request body accepted (`spec/http-api.md` §1).
pub const MAX_BODY: usize = 16 * 1024;

/// Settings the handlers read.
#[derive(Clone)]
pub struct Settings {
    /// This key server's identity (the key directory's `issuer`).
    pub server_id: String,
    /// The operator token for `/v1/admin/…` (`None`: operator paths are closed).
    pub admin_token: Option<Zeroizing<String>>,
    /// Requests taking longer are answered `503 busy`.
    pub request_timeout: Duration,
    /// Read the client address from this header's last entry (set by a trusted proxy)
    /// instead of the peer address.
    pub client_ip_header: Option<HeaderName>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("server_id", &self.server_id)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("request_timeout", &self.request_timeout)
            .field("client_ip_header", &self.client_ip_header)
            .finish()
    }
}

/// The key server's seeds and the key directory derived from them.
pub struct Keys {
    /// The core's key server.
    pub server: KeyServer,
    /// The key directory (JSON).
    pub directory: Vec<u8>,
}

impl Keys {
    /// The keys of `keyring`, served as `server_id`.
    pub fn new(
        keyring: &Keyring,
        server_id: &str,
        max_guesses: u8,
    ) -> Result<Self, crate::keyring::KeyringError> {
        let server = keyring.key_server(max_guesses)?;
        let directory = serde_json::to_vec_pretty(&keyring.directory(server_id, &server))
            .map_err(|e| crate::keyring::KeyringError::Invalid(e.to_string()))?;
        Ok(Self { server, directory })
    }
}

/// Everything the handlers share.
pub struct Shared {
    keys: RwLock<Arc<Keys>>,
    /// Users, audit logs, used tokens.
    pub store: Arc<dyn Store>,
    /// Token verification.
    pub auth: Arc<Authenticator>,
    /// Rate limits.
    pub limits: Limits,
    /// Settings.
    pub settings: Settings,
}

impl Shared {
    /// The current keys.
    pub fn keys(&self) -> Arc<Keys> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The core's key server.
    pub fn key_server(&self) -> KeyServerRef {
        KeyServerRef(self.keys())
    }

    /// Replaces the keys (a reloaded keyring).
    pub fn set_keys(&self, keys: Keys) {
        match self.keys.write() {
            Ok(mut k) => *k = Arc::new(keys),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
        }
    }
}

/// A handle on the current [`KeyServer`].
pub struct KeyServerRef(Arc<Keys>);

impl std::ops::Deref for KeyServerRef {
    type Target = KeyServer;
    fn deref(&self) -> &KeyServer {
        &self.0.server
    }
}

/// The state handed to the router.
pub type AppState = Arc<Shared>;

/// Builds the shared state.
pub fn state(
    keys: Keys,
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
    limits: Limits,
    settings: Settings,
) -> AppState {
    Arc::new(Shared {
        keys: RwLock::new(Arc::new(keys)),
        store,
        auth,
        limits,
        settings,
    })
}

/// The router: every path of `spec/http-api.md` §3, with request ids, logging, metrics,
/// panics turned into `500 internal`, and the request timeout.
pub fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout;
    Router::new()
        .merge(routes::router())
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(middleware::from_fn_with_state(timeout, time_limit))
        .layer(middleware::from_fn(observe))
        .with_state(state)
}

async fn time_limit(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::busy("request timed out").into_response(),
    }
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

fn request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| rand::Rng::next_u32(&mut rand::rng()));
    format!(
        "{prefix:08x}-{:x}",
        REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Counts a request in `quorumkey_requests_in_flight` from its headers to its response
/// (or until it is dropped: a client gone, the grace period over).
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!(telemetry::IN_FLIGHT).increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(telemetry::IN_FLIGHT).decrement(1.0);
    }
}

/// The outermost layer: a request id (always ours: a client-sent `x-request-id` is not
/// trusted into the logs), a span with the method and route pattern, one log line and the
/// request metrics per response.
async fn observe(request: Request, next: Next) -> Response {
    let _in_flight = InFlight::enter();
    let started = Instant::now();
    let id = request_id();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!("request", %method, route = %route, request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let code = response
        .extensions()
        .get::<ErrorCode>()
        .map_or("ok", |c| c.0);
    let operation = format!("{method} {route}");
    metrics::counter!(telemetry::REQUESTS, "operation" => operation.clone(), "code" => code)
        .increment(1);
    metrics::histogram!(telemetry::DURATION, "operation" => operation).record(elapsed);
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            code,
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "response"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The client address of a request: the last entry of the configured header, or the peer.
pub fn client_address(
    settings: &Settings,
    request: &axum::http::request::Parts,
) -> Option<std::net::IpAddr> {
    if let Some(name) = &settings.client_ip_header {
        let from_header = request
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .next_back();
        if from_header.is_some() {
            return from_header;
        }
    }
    request
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}
