//! Arbitrary bytes as a request to `KeyServer::evaluate`: never panics; an accepted request
//! yields a response for the same key version and element count, whose bytes round-trip,
//! and an audit event that describes the request.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::gate::{GateRequest, GateResponse};
use quorumkey::keyserver::KeyServer;

const ACTIVE: &[u32] = &[1, 2, 0xffff_ffff];

fuzz_target!(|data: &[u8]| {
    // The server is cheap to build: a seed, no precomputation.
    let server = KeyServer::new([0x5e; 32]);
    let mut rng = fixture::rng(11);
    let Ok((response, event)) = server.evaluate(fixture::USER, ACTIVE, data, &mut rng) else {
        return;
    };
    let request = GateRequest::from_bytes(data).expect("an evaluated request decodes");
    assert_eq!(response.key_version(), request.key_version());
    assert_eq!(event.key_version, request.key_version());
    assert_eq!(event.mode, request.mode().mode());
    assert_eq!(event.element_count, request.evaluation_request().len());
    assert_eq!(response.evaluation_response().len(), event.element_count);
    assert_eq!(event.user_id, fixture::USER);
    let bytes = response.to_bytes();
    assert_eq!(GateResponse::from_bytes(&bytes).ok(), Some(response));
});
