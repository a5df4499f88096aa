//! Sequences of key-server operations with arbitrary bodies, run the way a server runs
//! them: `KeyServer::handle` on the stored record (the fixture's, or none), the update
//! stored (through its encoding, as a database keeps it) and the response released against
//! it. For any input, beyond never panicking:
//!
//! * a released record update has revision + 1, decodes to itself, and is present exactly
//!   when the operation changes something (every password-capsule evaluation does);
//! * a response is withheld (`RecordNotStored`) when released against anything but the
//!   stored update;
//! * the guard's remaining guesses never increase, except through a successful
//!   `ConfirmUnlock` or `ChangeTag` (back to the maximum) or `SetPassword` (allowed only
//!   when the guard is off or burned, with password keys never seen before);
//! * no more than `max_guesses` password-capsule evaluations are released between two
//!   resets, each answer reports the guesses left, and the last one burns the guard;
//! * key versions only grow by one, and a dropped one is gone;
//! * every body decodes (a `GateResponse` or a `KeySet` showing the record's guard) and
//!   every change is audited.
//!
//! Input: a start byte (bit 0 set: the user has no record yet), then up to 8 operations,
//! each an op byte (bit 7: also check that a wrongly released copy is withheld; the rest,
//! mod 10, the operation) and its arguments:
//!
//! | op | operation | arguments |
//! |---|---|---|
//! | 0 | `Evaluate` | u16 length, body |
//! | 1 | `GetKeys` | — |
//! | 2 | `AddKeyVersion` | — |
//! | 3 | `DropKeyVersion` | u8 version |
//! | 4, 5, 6 | `SetPassword`, `ConfirmUnlock`, `ChangeTag` | u8 length, body |
//! | 7 | `Evaluate`, a request built here | u8: bits 0-3 key version (0: newest), bit 4 POPRF, bit 5 two elements, bits 6-7 purpose (0, 3 password capsule; 1 capsule; 2 unit gate) |
//! | 8 | `ConfirmUnlock`, a genuine proof | u8: bit 0 the other vault's tag (valid after the fixture's tag change) |
//! | 9 | `SetPassword` with the fixture vault's tag | u8 max guesses (0 read as 1) |
#![no_main]

#[path = "common/fixture.rs"]
mod fixture;

use libfuzzer_sys::fuzz_target;
use quorumkey::Error;
use quorumkey::gate::Purpose;
use quorumkey::generic::{
    EvaluationRequest, GateRequest, GateResponse, KeySet, P256, PublicKey, Ristretto255, Suite,
    VoprfClient,
};
use quorumkey::keyserver::{GuardStatus, Operation, PasswordSetup, UserRecord};
use quorumkey::oprf::Mode;

const MAX_OPS: usize = 8;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// Up to `n` bytes (fewer if the input ends).
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head.to_vec()
    }
}

enum Op {
    Evaluate(Vec<u8>),
    GetKeys,
    AddKeyVersion,
    DropKeyVersion(u32),
    SetPassword(Vec<u8>),
    ConfirmUnlock(Vec<u8>),
    ChangeTag(Vec<u8>),
}

impl Op {
    fn operation(&self) -> Operation<'_> {
        match self {
            Self::Evaluate(b) => Operation::Evaluate(b),
            Self::GetKeys => Operation::GetKeys,
            Self::AddKeyVersion => Operation::AddKeyVersion,
            Self::DropKeyVersion(v) => Operation::DropKeyVersion(*v),
            Self::SetPassword(b) => Operation::SetPassword(b),
            Self::ConfirmUnlock(b) => Operation::ConfirmUnlock(b),
            Self::ChangeTag(b) => Operation::ChangeTag(b),
        }
    }
}

/// A gate request built from one parameter byte (see the table above).
fn built_request<S: Suite>(param: u8, newest: u32) -> Vec<u8> {
    let purpose = match param >> 6 {
        1 => Purpose::Capsule,
        2 => Purpose::UnitGate,
        _ => Purpose::PasswordCapsule,
    };
    let version = match param & 0x0f {
        0 => newest,
        v => u32::from(v),
    };
    // QK, format version 2, object type 05 (gate request), the suite's byte.
    let mut out = b"QK\x02\x05".to_vec();
    out.push(S::ID.to_byte());
    out.push(purpose.to_byte());
    out.extend_from_slice(&version.to_be_bytes());
    if param & 0x10 != 0 {
        out.extend_from_slice(&[Mode::Poprf.to_byte(), 4]);
        out.extend_from_slice(b"fuzz");
    } else {
        out.push(Mode::Voprf.to_byte());
    }
    let n: u8 = if param & 0x20 != 0 { 2 } else { 1 };
    let blinded = (0..n)
        .map(|i| {
            let mut blind = [0x33; 32];
            blind[31] = i + 1;
            VoprfClient::<S>::deterministic_blind(&[param, i], &blind)
                .expect("blind")
                .1
        })
        .collect();
    out.extend_from_slice(
        &EvaluationRequest::new(blinded)
            .expect("one or two elements")
            .to_bytes(),
    );
    out
}

fn next_op<S: Suite>(
    input: &mut Input<'_>,
    f: &fixture::Fixture<S>,
    newest: u32,
) -> Option<(Op, bool)> {
    let op = input.byte()?;
    let check_release = op & 0x80 != 0;
    let op = match (op & 0x7f) % 10 {
        0 => {
            let len = u16::from_be_bytes([input.byte()?, input.byte()?]);
            Op::Evaluate(input.bytes(usize::from(len)))
        }
        1 => Op::GetKeys,
        2 => Op::AddKeyVersion,
        3 => Op::DropKeyVersion(u32::from(input.byte()?)),
        k @ 4..=6 => {
            let len = input.byte()?;
            let body = input.bytes(usize::from(len));
            match k {
                4 => Op::SetPassword(body),
                5 => Op::ConfirmUnlock(body),
                _ => Op::ChangeTag(body),
            }
        }
        7 => Op::Evaluate(built_request::<S>(input.byte()?, newest)),
        8 => Op::ConfirmUnlock(if input.byte()? & 1 == 0 {
            f.unlock_proof.clone()
        } else {
            f.other_unlock_proof.clone()
        }),
        _ => {
            let max = input.byte()?.max(1);
            let tag = f.vault.unlock_tag(fixture::KEY_ID);
            Op::SetPassword(PasswordSetup::new(max, &tag).expect("max ≥ 1").to_bytes())
        }
    };
    Some((op, check_release))
}

/// Guesses left: `None` without a guard, 0 once burned.
fn remaining(guard: GuardStatus) -> Option<u8> {
    match guard {
        GuardStatus::Off => None,
        GuardStatus::Active {
            guesses_remaining, ..
        } => Some(guesses_remaining),
        GuardStatus::Burned { .. } => Some(0),
    }
}

fn max_guesses(guard: GuardStatus) -> Option<u8> {
    match guard {
        GuardStatus::Off => None,
        GuardStatus::Active { max_guesses, .. } | GuardStatus::Burned { max_guesses } => {
            Some(max_guesses)
        }
    }
}

fn password_keys<S: Suite>(keys: &KeySet<S>) -> Vec<PublicKey<S>> {
    keys.versions()
        .iter()
        .flat_map(|v| {
            [Mode::Voprf, Mode::Poprf]
                .into_iter()
                .filter_map(|m| v.public_key(Purpose::PasswordCapsule, m).copied())
        })
        .collect()
}

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
    let f = fixture::fixture::<S>();
    let mut input = Input(data);
    let Some(start) = input.byte() else {
        return;
    };
    let mut record: Option<UserRecord> = (start & 1 == 0).then(|| f.record.clone());
    // Password evaluations released since the guard was set or last reset.
    let mut since_reset: u8 = 0;
    // Every password-capsule key ever listed.
    let mut seen_password_keys = password_keys(&f.keys);
    let mut rng = fixture::rng(17);
    for _ in 0..MAX_OPS {
        let newest = record.as_ref().map_or(1, UserRecord::newest_version);
        let Some((op, check_release)) = next_op(&mut input, f, newest) else {
            break;
        };
        // A request of another suite is that suite's run's to check.
        if let Op::Evaluate(body) = &op
            && !evaluated_in::<S>(body)
        {
            continue;
        }
        let before = record.as_ref();
        let guard_before = before.map_or(GuardStatus::Off, UserRecord::guard_status);
        let versions_before: Vec<u32> = before
            .map(|r| r.versions().map(|(v, _)| v).collect())
            .unwrap_or_default();
        let handle = |rng: &mut rand_chacha::ChaCha20Rng| {
            f.server
                .handle_in(S::ID, fixture::USER, before, op.operation(), rng)
        };
        let mut again_rng = rng.clone();
        let Ok(outcome) = handle(&mut rng) else {
            // Refused: nothing to store, nothing released.
            continue;
        };
        let update = outcome.record_update().cloned();
        if check_release {
            let again = handle(&mut again_rng).expect("the same operation succeeds again");
            let wrong = if update.is_some() {
                before
            } else {
                Some(&f.record)
            };
            assert_eq!(again.release(wrong).err(), Some(Error::RecordNotStored));
        }
        // Stored through its encoding, compare-and-set on the revision read.
        let stored = update
            .as_ref()
            .map(|u| UserRecord::from_bytes(&u.to_secret_bytes()).expect("an update decodes"));
        assert_eq!(stored, update);
        if let Some(stored) = &stored {
            assert_eq!(
                stored.revision(),
                before.map_or(0, UserRecord::revision) + 1,
                "an update is exactly one revision up"
            );
        }
        let released = outcome
            .release(stored.as_ref())
            .expect("released against the stored update");
        let current = stored.as_ref().or(before).expect("a record after success");
        let guard_after = current.guard_status();
        let versions_after: Vec<u32> = current.versions().map(|(v, _)| v).collect();
        assert_eq!(released.audit.is_some(), !matches!(op, Op::GetKeys));
        if let Some(event) = &released.audit {
            assert_eq!(event.user_id, fixture::USER);
        }

        // The guesses left never go up, except on a reset.
        let reset = matches!(
            op,
            Op::ConfirmUnlock(_) | Op::ChangeTag(_) | Op::SetPassword(_)
        );
        if !reset {
            assert_eq!(max_guesses(guard_after), max_guesses(guard_before));
            assert!(remaining(guard_after) <= remaining(guard_before));
        }
        match &op {
            Op::Evaluate(body) => {
                let request =
                    GateRequest::<S>::from_bytes(body).expect("an evaluated request decodes");
                let response =
                    GateResponse::<S>::from_bytes(&released.body).expect("the response decodes");
                assert_eq!(response.purpose(), request.purpose());
                assert_eq!(response.key_version(), request.key_version());
                assert_eq!(
                    response.evaluation_response().len(),
                    request.evaluation_request().len()
                );
                if request.purpose() == Purpose::PasswordCapsule {
                    assert!(stored.is_some(), "a guess is counted before it is answered");
                    let GuardStatus::Active {
                        max_guesses,
                        guesses_remaining,
                    } = guard_before
                    else {
                        panic!("a password evaluation without a live guard");
                    };
                    assert_eq!(guesses_remaining, max_guesses - since_reset);
                    since_reset += 1;
                    assert!(since_reset <= max_guesses, "more guesses than allowed");
                    let left = max_guesses - since_reset;
                    assert_eq!(response.guesses_remaining(), Some(left));
                    let expected = if left == 0 {
                        GuardStatus::Burned { max_guesses }
                    } else {
                        GuardStatus::Active {
                            max_guesses,
                            guesses_remaining: left,
                        }
                    };
                    assert_eq!(guard_after, expected);
                } else {
                    assert!(stored.is_none(), "only a guess changes the record");
                    assert_eq!(response.guesses_remaining(), None);
                }
                assert_eq!(versions_after, versions_before);
            }
            _ => {
                let keys = KeySet::<S>::from_bytes(&released.body).expect("the key set decodes");
                assert_eq!(keys.guard(), guard_after);
                let listed = password_keys(&keys);
                match &op {
                    Op::GetKeys => assert!(stored.is_none()),
                    Op::AddKeyVersion => {
                        assert!(stored.is_some());
                        let newest = versions_before.last().copied().unwrap_or(0);
                        assert_eq!(versions_after.last().copied(), Some(newest + 1));
                        assert_eq!(&versions_after[..versions_after.len() - 1], versions_before);
                    }
                    Op::DropKeyVersion(v) => {
                        assert!(stored.is_some());
                        assert!(versions_before.contains(v) && !versions_after.contains(v));
                        assert_eq!(versions_after.len() + 1, versions_before.len());
                        assert_eq!(versions_after.last(), versions_before.last());
                    }
                    Op::SetPassword(_) => {
                        assert!(stored.is_some());
                        assert!(
                            matches!(guard_before, GuardStatus::Off | GuardStatus::Burned { .. }),
                            "a live guard was replaced"
                        );
                        let max = max_guesses(guard_after).expect("a guard");
                        assert_eq!(
                            guard_after,
                            GuardStatus::Active {
                                max_guesses: max,
                                guesses_remaining: max
                            }
                        );
                        assert!(!listed.is_empty());
                        assert!(
                            listed.iter().all(|k| !seen_password_keys.contains(k)),
                            "a new guard revived an old password key"
                        );
                        since_reset = 0;
                    }
                    Op::ConfirmUnlock(_) | Op::ChangeTag(_) => {
                        assert!(stored.is_some());
                        let GuardStatus::Active { max_guesses, .. } = guard_before else {
                            panic!("a reset without a live guard");
                        };
                        assert_eq!(
                            guard_after,
                            GuardStatus::Active {
                                max_guesses,
                                guesses_remaining: max_guesses
                            }
                        );
                        since_reset = 0;
                    }
                    Op::Evaluate(_) => unreachable!(),
                }
                if !matches!(op, Op::AddKeyVersion | Op::DropKeyVersion(_)) {
                    assert_eq!(versions_after, versions_before);
                }
                seen_password_keys.extend(listed);
            }
        }
        if stored.is_some() {
            record = stored;
        }
    }
}

// Every input is tried in each suite, against that suite's fixture.
fuzz_target!(|data: &[u8]| {
    check::<P256>(data);
    check::<Ristretto255>(data);
});
