//! Logs and metrics.
//!
//! Logs go through `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or,
//! with `LOG_FORMAT=json`, one JSON object per line. Nothing logged ever contains a token, a
//! request or response body (blinded or evaluated elements, unlock tags), a record or a seed:
//! spans carry the method, the route pattern (never the raw URI) and a request id.
//!
//! Metrics are Prometheus text at `/metrics`:
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `quorumkey_requests_total` | `operation`, `code` | requests by route and outcome (`ok` or the error code) |
//! | `quorumkey_request_duration_seconds` | `operation` | latency histogram |
//! | `quorumkey_requests_in_flight` | | requests received and not yet answered (this one included) |
//! | `quorumkey_evaluations_total` | `purpose`, `result` | gate requests by purpose and outcome |
//! | `quorumkey_evaluated_elements_total` | `purpose` | OPRF elements evaluated |
//! | `quorumkey_rate_limited_total` | `bucket` | requests refused by a rate limit (`user`, `address`) |
//! | `quorumkey_store_conflicts_total` | | compare-and-set retries |
//! | `quorumkey_auth_failures_total` | | refused tokens |

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Requests by operation and code.
pub const REQUESTS: &str = "quorumkey_requests_total";
/// Request latency.
pub const DURATION: &str = "quorumkey_request_duration_seconds";
/// Requests received and not yet answered.
pub const IN_FLIGHT: &str = "quorumkey_requests_in_flight";
/// Gate requests by purpose and result.
pub const EVALUATIONS: &str = "quorumkey_evaluations_total";
/// Elements evaluated by purpose.
pub const ELEMENTS: &str = "quorumkey_evaluated_elements_total";
/// Rate-limit refusals by bucket.
pub const RATE_LIMITED: &str = "quorumkey_rate_limited_total";
/// Compare-and-set retries.
pub const CONFLICTS: &str = "quorumkey_store_conflicts_total";
/// Refused tokens.
pub const AUTH_FAILURES: &str = "quorumkey_auth_failures_total";

/// Latency buckets (seconds): 0.5 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new())
        };
        builder().install_recorder().unwrap_or_else(|_| {
            // Another recorder is installed (an embedding program's): keep ours local.
            builder().build_recorder().handle()
        })
    })
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global `tracing` subscriber (stderr; `RUST_LOG` or `info`).
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    let _ = result;
}
