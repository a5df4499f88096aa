//! The paths of `spec/http-api.md` §3. Handlers decode, make one call, and encode.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use quorumkey::keyserver::{GuardStatus, Operation};
use quorumkey::suite::SuiteId;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::app::{AppState, MAX_BODY, Shared, client_address};
use crate::audit::{Entry, Fields, Page};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::limits::State as BucketState;
use crate::service::{self, decode_record, store_error};
use crate::telemetry;

/// The routes (state still to be supplied).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/evaluate", post(evaluate))
        .route("/v1/keys", get(get_keys).post(add_key_version))
        .route("/v1/keys/{version}", delete(drop_key_version))
        .route("/v1/password", post(set_password))
        .route("/v1/password/unlocked", post(confirm_unlock))
        .route("/v1/password/tag", post(change_tag))
        .route("/v1/audit", get(own_audit))
        .route("/v1/admin/audit", get(admin_audit))
        .route("/v1/admin/users/{id}", get(admin_user))
        .route("/.well-known/quorumkey/key-directory", get(key_directory))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

fn now_secs() -> u64 {
    service::now_ms() / 1000
}

fn authenticate(state: &Shared, headers: &HeaderMap) -> Result<Principal, ApiError> {
    state
        .auth
        .authenticate(headers, now_secs())
        .inspect_err(|_| {
            metrics::counter!(telemetry::AUTH_FAILURES).increment(1);
        })
}

/// What a protocol request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carries {
    /// A QK object (`application/octet-stream`).
    Object,
    /// Nothing (the body must be empty).
    Nothing,
}

fn is_octet_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/octet-stream"))
}

async fn read_body(parts: &Parts, body: Body, carries: Carries) -> Result<Vec<u8>, ApiError> {
    if carries == Carries::Object && !is_octet_stream(&parts.headers) {
        return Err(ApiError::unsupported_media_type());
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::body_too_large(MAX_BODY));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::body_too_large(MAX_BODY)
        } else {
            ApiError::malformed("the request body could not be read")
        }
    })?;
    if carries == Carries::Nothing && !bytes.is_empty() {
        return Err(ApiError::malformed("this request takes an empty body"));
    }
    Ok(bytes.to_vec())
}

fn set_rate_headers(response: &mut Response, state: Option<BucketState>) {
    if let Some(s) = state {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(s.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(s.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(s.reset_secs));
    }
}

/// Which operation a protocol request is, before its body is read.
#[derive(Clone, Debug)]
enum Kind {
    Evaluate,
    GetKeys,
    AddKeyVersion,
    /// The `{version}` segment, parsed once the request is authenticated.
    DropKeyVersion(String),
    SetPassword,
    ConfirmUnlock,
    ChangeTag,
}

impl Kind {
    fn carries(&self) -> Carries {
        match self {
            Kind::Evaluate | Kind::SetPassword | Kind::ConfirmUnlock | Kind::ChangeTag => {
                Carries::Object
            }
            Kind::GetKeys | Kind::AddKeyVersion | Kind::DropKeyVersion(_) => Carries::Nothing,
        }
    }

    fn operation<'a>(&self, body: &'a [u8]) -> Result<Operation<'a>, ApiError> {
        Ok(match self {
            Kind::Evaluate => Operation::Evaluate(body),
            Kind::GetKeys => Operation::GetKeys,
            Kind::AddKeyVersion => Operation::AddKeyVersion,
            Kind::DropKeyVersion(v) => Operation::DropKeyVersion(parse_version(v)?),
            Kind::SetPassword => Operation::SetPassword(body),
            Kind::ConfirmUnlock => Operation::ConfirmUnlock(body),
            Kind::ChangeTag => Operation::ChangeTag(body),
        })
    }
}

/// The suite of the key set a request answers with: the `suite` query parameter
/// (`p256` or `ristretto255`), P-256 without one (`spec/http-api.md` §3).
fn key_set_suite(parts: &Parts) -> Result<SuiteId, ApiError> {
    let Some(query) = parts.uri.query().filter(|q| !q.is_empty()) else {
        return Ok(SuiteId::P256);
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| ApiError::malformed("query: only suite=p256|ristretto255"))?;
    match pairs.as_slice() {
        [(key, value)] if key == "suite" => SuiteId::from_name(value)
            .ok_or_else(|| ApiError::malformed("query: suite must be p256 or ristretto255")),
        _ => Err(ApiError::malformed("query: only suite=p256|ristretto255")),
    }
}

/// A gate request's element count and purpose name, in the suite its suite byte names,
/// from its header (`GateRequest::peek`: no point decoded twice); `None` if even the header
/// is malformed (the core refuses the request).
fn gate_cost(bytes: &[u8]) -> Option<(usize, &'static str)> {
    fn of<S: quorumkey::suite::Suite>(bytes: &[u8]) -> Option<(usize, &'static str)> {
        let (purpose, count) = quorumkey::generic::GateRequest::<S>::peek(bytes).ok()?;
        Some((count, purpose.name()))
    }
    match quorumkey::codec::suite_of(bytes) {
        Ok(Some(SuiteId::Ristretto255)) => of::<quorumkey::suite::Ristretto255>(bytes),
        _ => of::<quorumkey::suite::P256>(bytes),
    }
}

/// Authenticate, read the body, apply rate limits, run the operation.
async fn protocol(state: &Shared, request: Request, kind: Kind) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let principal = authenticate(state, &parts.headers)?;
    let suite = key_set_suite(&parts)?;
    let body = read_body(&parts, body, kind.carries()).await?;
    let operation = kind.operation(&body)?;
    // An evaluation costs its element count; anything else (and a request that does not
    // even decode, which the core will refuse) one token.
    let gate = match operation {
        Operation::Evaluate(bytes) => gate_cost(bytes),
        _ => None,
    };
    let cost = gate.map_or(1, |(count, _)| count);
    let purpose = gate.map(|(_, purpose)| purpose);
    let admitted = state
        .limits
        .admit(
            &principal.user,
            client_address(&state.settings, &parts),
            u32::try_from(cost).unwrap_or(u32::MAX),
        )
        .map_err(|refused| {
            metrics::counter!(telemetry::RATE_LIMITED, "bucket" => refused.bucket).increment(1);
            ApiError::rate_limited(refused.retry_after)
        })?;
    let result = service::run(state, &principal, suite, operation).await;
    if let Operation::Evaluate(_) = operation {
        let purpose = purpose.unwrap_or("unknown");
        let outcome = result.as_ref().map_or_else(|e| e.code(), |_| "ok");
        metrics::counter!(telemetry::EVALUATIONS, "purpose" => purpose, "result" => outcome)
            .increment(1);
        if result.is_ok() {
            metrics::counter!(telemetry::ELEMENTS, "purpose" => purpose).increment(cost as u64);
        }
    }
    let done = result?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        done.body,
    )
        .into_response();
    set_rate_headers(&mut response, admitted);
    Ok(response)
}

async fn evaluate(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::Evaluate).await
}

async fn get_keys(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::GetKeys).await
}

async fn add_key_version(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::AddKeyVersion).await
}

/// A `{version}` path segment: 1 to 10 decimal digits fitting a `u32`.
fn parse_version(segment: &str) -> Result<u32, ApiError> {
    if segment.is_empty() || segment.len() > 10 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_version());
    }
    segment.parse().map_err(|_| ApiError::invalid_version())
}

async fn drop_key_version(
    State(state): State<AppState>,
    version: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    // A segment that does not even decode is an invalid version too (said after the token
    // is checked).
    let version = version.map(|Path(v)| v).unwrap_or_default();
    protocol(&state, request, Kind::DropKeyVersion(version)).await
}

async fn set_password(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::SetPassword).await
}

async fn confirm_unlock(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::ConfirmUnlock).await
}

async fn change_tag(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    protocol(&state, request, Kind::ChangeTag).await
}

/// `?after=&limit=` of the audit paths.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    user: Option<String>,
    #[serde(default)]
    after: u64,
    #[serde(default = "default_limit")]
    limit: u32,
}

/// Events per page unless asked.
pub const DEFAULT_AUDIT_LIMIT: u32 = 100;
/// Most events per page.
pub const MAX_AUDIT_LIMIT: u32 = 1000;

fn default_limit() -> u32 {
    DEFAULT_AUDIT_LIMIT
}

fn audit_query(query: Option<&str>) -> Result<AuditQuery, ApiError> {
    let query: AuditQuery = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| ApiError::malformed("query: after and limit must be decimal numbers"))?;
    if query.limit == 0 || query.limit > MAX_AUDIT_LIMIT {
        return Err(ApiError::malformed(format!(
            "query: limit must be 1..={MAX_AUDIT_LIMIT}"
        )));
    }
    Ok(query)
}

async fn audit_page(state: &Shared, user: &str, query: &AuditQuery) -> Result<Page, ApiError> {
    let rows = state
        .store
        .audit(user, query.after, query.limit)
        .await
        .map_err(store_error)?;
    let next = rows.last().map_or(query.after, |r| r.seq);
    let events = rows
        .into_iter()
        .map(|row| {
            let fields: Fields = serde_json::from_str(&row.fields)
                .map_err(|e| ApiError::internal(format!("stored audit fields: {e}")))?;
            Ok(Entry {
                seq: row.seq,
                time_ms: row.time_ms,
                fields,
                event: hex::encode(&row.event),
                chain: hex::encode(row.chain),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Page {
        user: user.to_owned(),
        events,
        next,
    })
}

fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("json: {e}")).into_response(),
    }
}

async fn own_audit(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let principal = authenticate(&state, request.headers())?;
    let query = audit_query(request.uri().query())?;
    if query.user.is_some() {
        return Err(ApiError::malformed("query: user is for the operator path"));
    }
    state
        .limits
        .admit(
            &principal.user,
            client_address(&state.settings, &request.into_parts().0),
            1,
        )
        .map_err(|refused| {
            metrics::counter!(telemetry::RATE_LIMITED, "bucket" => refused.bucket).increment(1);
            ApiError::rate_limited(refused.retry_after)
        })?;
    let page = audit_page(&state, &principal.user, &query).await?;
    service::spend_token(&state, &principal).await?;
    Ok(json(&page))
}

/// Checks the operator token (constant time in its contents).
fn operator(state: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.settings.admin_token else {
        return Err(ApiError::forbidden());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

async fn admin_audit(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    operator(&state, request.headers())?;
    let query = audit_query(request.uri().query())?;
    let user = query
        .user
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::malformed("query: user is required"))?;
    Ok(json(&audit_page(&state, &user, &query).await?))
}

/// `GET /v1/admin/users/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserView {
    /// The user.
    pub user: String,
    /// The record's revision.
    pub revision: u64,
    /// Key versions, ascending.
    pub versions: Vec<VersionView>,
    /// `off`, `active` or `burned`.
    pub guard: String,
    /// Guesses allowed between proven unlocks (guard on or burned).
    pub max_guesses: Option<u8>,
    /// Guesses left (guard active).
    pub guesses_remaining: Option<u8>,
    /// Events in the user's audit log.
    pub audit_events: u64,
    /// This process's per-user bucket: size (elements).
    pub rate_limit_burst: u32,
    /// This process's per-user bucket: refill per minute (elements).
    pub rate_limit_per_minute: u32,
}

/// One key version in [`UserView`].
#[derive(Debug, Serialize, Deserialize)]
pub struct VersionView {
    /// The version.
    pub version: u32,
    /// Its master-seed generation.
    pub generation: u32,
    /// Whether that generation is the current one.
    pub current: bool,
    /// Whether its generation's seed is still held (not retired).
    pub servable: bool,
}

async fn admin_user(
    State(state): State<AppState>,
    user: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    operator(&state, &headers)?;
    let Path(user) =
        user.map_err(|_| ApiError::malformed("the user id must be percent-encoded UTF-8"))?;
    let row = state
        .store
        .load(&user)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::core(&quorumkey::Error::NoRecord))?;
    let record = decode_record(&row)?;
    let server = state.key_server();
    let current = server.current_generation();
    let (guard, max_guesses, guesses_remaining) = match record.guard_status() {
        GuardStatus::Off => ("off", None, None),
        GuardStatus::Active {
            max_guesses,
            guesses_remaining,
        } => ("active", Some(max_guesses), Some(guesses_remaining)),
        GuardStatus::Burned { max_guesses } => ("burned", Some(max_guesses), None),
    };
    let bucket = state.limits.user_config();
    Ok(json(&UserView {
        user,
        revision: record.revision(),
        versions: record
            .versions()
            .map(|(version, generation)| VersionView {
                version,
                generation,
                current: generation == current,
                servable: server.generations().any(|g| g == generation),
            })
            .collect(),
        guard: guard.to_owned(),
        max_guesses,
        guesses_remaining,
        audit_events: row.audit.seq,
        rate_limit_burst: bucket.burst,
        rate_limit_per_minute: bucket.per_minute,
    }))
}

async fn key_directory(State(state): State<AppState>) -> Response {
    let keys = state.keys();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        keys.directory.clone(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state
        .store
        .ping()
        .await
        .map(|()| "ready")
        .map_err(|e| ApiError::unavailable(e.to_string()))
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::metrics().render(),
    )
        .into_response()
}
