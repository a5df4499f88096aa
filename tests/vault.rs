//! End-to-end vault flows, in process: enroll, unlock, seal and open units, recover,
//! re-deal — and the errors each wrong input must produce.
//!
//! Written once (`tests/suites/vault.rs`) and run for each suite: P-256, and
//! ristretto255 with the `ristretto255` feature.
// Loading the same test file once per suite is the point.
#![allow(clippy::duplicate_mod)]

#[path = "suites"]
mod p256_sha256 {
    use quorumkey as qk;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::P256;
    #[path = "../common/mod.rs"]
    mod common;
    #[path = "vault.rs"]
    mod tests;
}

#[cfg(feature = "ristretto255")]
#[path = "suites"]
mod ristretto255_sha512 {
    use quorumkey::ristretto255 as qk;
    const SUITE: quorumkey::suite::SuiteId = quorumkey::suite::SuiteId::Ristretto255;
    #[path = "../common/mod.rs"]
    mod common;
    #[path = "vault.rs"]
    mod tests;
}
