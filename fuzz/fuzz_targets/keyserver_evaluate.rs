//! Arbitrary bytes as the body of `POST /v1/evaluate` (`Operation::Evaluate`) against the
//! fixture's user record: never panics. An accepted request yields a response with the
//! request's purpose, key version and element count, whose bytes round-trip, and an audit
//! event that describes the request. A password-capsule request counts exactly one guess
//! in a record update one revision up, and its response is released only against that
//! stored update; any other purpose changes nothing.
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::Error;
use quorumkey::gate::Purpose;
use quorumkey::generic::{GateRequest, GateResponse, P256, Ristretto255, Suite};
use quorumkey::keyserver::{AuditAction, GuardStatus, Operation};

/// Whether the key server evaluates `request` in suite `S`: the suite its suite byte names,
/// and P-256 for bytes that name none it knows (the P-256 decoder reports what is wrong),
/// as `KeyServer::handle` dispatches.
fn evaluated_in<S: Suite>(request: &[u8]) -> bool {
    match quorumkey::codec::suite_of(request) {
        Ok(Some(id)) => id == S::ID,
        _ => S::ID == quorumkey::suite::SuiteId::P256,
    }
}

fn check<S: Suite>(data: &[u8]) {
    if !evaluated_in::<S>(data) {
        return;
    }
    let f = fixture::fixture::<S>();
    let handle = || {
        f.server.handle_in(
            S::ID,
            fixture::USER,
            Some(&f.record),
            Operation::Evaluate(data),
            &mut fixture::rng(11),
        )
    };
    let Ok(outcome) = handle() else {
        return;
    };
    let request = GateRequest::<S>::from_bytes(data).expect("an evaluated request decodes");
    let password = request.purpose() == Purpose::PasswordCapsule;
    let update = outcome.record_update().cloned();
    assert_eq!(
        update.is_some(),
        password,
        "only a guess changes the record"
    );
    let guesses_remaining = update.as_ref().map(|update| {
        assert_eq!(update.revision(), f.record.revision() + 1);
        let GuardStatus::Active {
            max_guesses,
            guesses_remaining,
        } = f.record.guard_status()
        else {
            panic!("the fixture's guard is live");
        };
        let left = guesses_remaining - 1;
        let expected = if left == 0 {
            GuardStatus::Burned { max_guesses }
        } else {
            GuardStatus::Active {
                max_guesses,
                guesses_remaining: left,
            }
        };
        assert_eq!(update.guard_status(), expected, "exactly one guess counted");
        // The same outcome, released against the record as it was: withheld.
        let again = handle().expect("the same request is evaluated again");
        assert_eq!(
            again.release(Some(&f.record)).err(),
            Some(Error::RecordNotStored)
        );
        left
    });
    let released = outcome
        .release(update.as_ref())
        .expect("released against the stored update");
    let response = GateResponse::<S>::from_bytes(&released.body).expect("the response decodes");
    assert_eq!(response.to_bytes(), released.body);
    assert_eq!(response.purpose(), request.purpose());
    assert_eq!(response.key_version(), request.key_version());
    assert_eq!(response.guesses_remaining(), guesses_remaining);
    assert_eq!(
        response.evaluation_response().len(),
        request.evaluation_request().len()
    );
    let event = released.audit.expect("an evaluation is audited");
    assert_eq!(event.user_id, fixture::USER);
    let AuditAction::Evaluated {
        purpose,
        key_version,
        mode,
        info,
        element_count,
        guesses_remaining: event_guesses,
        ..
    } = event.action
    else {
        panic!("an evaluation is audited as one");
    };
    assert_eq!(purpose, request.purpose());
    assert_eq!(key_version, request.key_version());
    assert_eq!(mode, request.mode().mode());
    assert_eq!(info.as_deref(), request.mode().info());
    assert_eq!(element_count, request.evaluation_request().len());
    assert_eq!(event_guesses, guesses_remaining);
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
