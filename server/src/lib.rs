//! quorumkey-server: a deployable key server for [`quorumkey`] vaults.
//!
//! The server authenticates users with bearer JWTs, applies rate limits, stores each user's
//! record with compare-and-set and appends a hash-chained audit event for every change, and
//! otherwise hands every request to the core's sans-IO [`quorumkey::keyserver::KeyServer`]:
//! it makes no protocol decision of its own. The HTTP contract is `spec/http-api.md`.
//!
//! The library exposes the pieces so tests, benchmarks and fuzzing can drive the router in
//! process: [`app::app`] builds it from an [`app::AppState`], [`server::build`] builds that
//! state from a configuration as the binary does.

#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod fsutil;
pub mod keyring;
pub mod limits;
pub mod routes;
pub mod server;
pub mod service;
pub mod storage;
pub mod telemetry;
