//! The one mapping from failures to HTTP responses (`spec/http-api.md` §4).
//!
//! Every error response has the body `{"error": {"code": …, "message": …}}` and a status
//! taken from [`CODES`]. `code` is stable: the core's [`quorumkey::Error::code`] where the
//! core reports the error, or one of this server's own codes. 5xx responses carry a generic
//! message; the detail goes to the log (never a token, a request body or a record).

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every error code this server sends, with its status and whether retrying the same
/// request can succeed. Append-only: codes are never renamed or reused.
pub const CODES: &[(&str, u16, bool)] = &[
    // The core's codes (`quorumkey::Error::code`) that a key server reports.
    ("malformed", 400, false),
    ("batch_size", 400, false),
    ("element_budget", 400, false),
    ("user_id_length", 400, false),
    ("max_guesses", 400, false),
    ("info_length", 400, false),
    ("unlock_tag_mismatch", 403, false),
    ("no_record", 404, false),
    ("unknown_key_version", 404, false),
    ("password_already_set", 409, false),
    ("password_not_set", 409, false),
    ("newest_key_version", 409, false),
    ("too_many_key_versions", 409, false),
    ("password_burned", 410, false),
    // The server's own.
    ("invalid_version", 400, false),
    ("unauthorized", 401, false),
    ("token_replayed", 401, false),
    ("forbidden", 403, false),
    ("not_found", 404, false),
    ("method_not_allowed", 405, false),
    ("body_too_large", 413, false),
    ("unsupported_media_type", 415, false),
    ("rate_limited", 429, true),
    ("internal", 500, false),
    ("busy", 503, true),
    ("unavailable", 503, true),
];

/// The status of a code in [`CODES`] (`None` for a code this server never sends).
pub fn status_of(code: &str) -> Option<StatusCode> {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .and_then(|(_, status, _)| StatusCode::from_u16(*status).ok())
}

/// The error code of a response, left in its extensions for the metrics and log layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
    /// For the log only (5xx causes, why a token was refused).
    detail: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: status_of(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            retry_after: None,
            detail: None,
        }
    }

    /// An error the core reported. Codes a key server never expects from the core (they
    /// belong to the client side) become `500 internal`.
    pub fn core(error: &quorumkey::Error) -> Self {
        let code = error.code();
        match status_of(code) {
            Some(status) if status.is_client_error() => Self::new(code, error.to_string()),
            _ => Self::internal(format!("core error {code}: {error}")),
        }
    }

    /// `401 unauthorized`; `reason` is logged, not sent.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(
            "unauthorized",
            "a valid bearer token for this key server is required",
        )
        .with_detail(reason.into())
    }

    /// `401 token_replayed`: the token was already used for a request.
    pub fn token_replayed() -> Self {
        Self::new(
            "token_replayed",
            "this token was already used; every request needs a fresh token",
        )
    }

    /// `403 forbidden`: an operator path without the operator token.
    pub fn forbidden() -> Self {
        Self::new("forbidden", "the operator token is required")
    }

    /// `404 not_found`: no such path.
    pub fn not_found() -> Self {
        Self::new("not_found", "no such path")
    }

    /// `405 method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new("method_not_allowed", "method not allowed on this path")
    }

    /// `413 body_too_large`.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            "body_too_large",
            format!("request bodies are at most {limit} bytes"),
        )
    }

    /// `415 unsupported_media_type`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            "unsupported_media_type",
            "protocol bodies are application/octet-stream",
        )
    }

    /// `400 malformed` for a request the server itself rejects (query, empty-body rule).
    pub fn malformed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new("malformed", message)
    }

    /// `400 invalid_version`: a `{version}` path segment that is not a `u32`.
    pub fn invalid_version() -> Self {
        Self::new("invalid_version", "the key version must be a decimal u32")
    }

    /// `429 rate_limited`, retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        let mut e = Self::new("rate_limited", "rate limit reached; retry later");
        e.retry_after = Some(seconds.max(1));
        e
    }

    /// `503 busy`: lost compare-and-set too often, timed out, or the database is down.
    pub fn busy(detail: impl Into<String>) -> Self {
        let mut e = Self::new("busy", "the key server is busy; retry shortly");
        e.retry_after = Some(1);
        e.with_detail(detail.into())
    }

    /// `503 unavailable` (`/readyz`).
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut e = Self::new("unavailable", "not ready");
        e.retry_after = Some(1);
        e.with_detail(detail.into())
    }

    /// `500 internal`; `detail` is logged, not sent.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new("internal", "internal error").with_detail(detail.into())
    }

    fn with_detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What is logged besides the code (why a token was refused, a 5xx cause).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match (&self.detail, self.status.is_server_error()) {
            (Some(detail), true) => tracing::error!(code = self.code, %detail, "request failed"),
            (Some(detail), false) => tracing::info!(code = self.code, %detail, "request refused"),
            (None, _) => tracing::debug!(code = self.code, "request refused"),
        }
        let body = serde_json::to_vec(&Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        })
        .unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec()
        });
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}
