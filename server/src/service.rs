//! One protocol request, start to finish (`spec/http-api.md` §3.1): read the user's row, call
//! the core once, store what it changed with compare-and-set (retrying a lost race from the
//! read), then release the response. No protocol decision is made here.

use quorumkey::keyserver::{AuditEvent, Operation, UserRecord};

use crate::app::Shared;
use crate::audit::{Fields, GENESIS};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::storage::{
    AuditHead, AuditWrite, Commit, Expected, RecordWrite, StoreError, TokenUse, UserRow,
};
use crate::telemetry;

/// How many times a request reads and tries to commit before it gives up with `503 busy`.
pub const MAX_ATTEMPTS: u32 = 5;

/// A processed request.
#[derive(Debug)]
pub struct Done {
    /// The response body.
    pub body: Vec<u8>,
    /// Whether the request created the user's record.
    pub created: bool,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Maps a storage failure to a response.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::busy("compare-and-set lost"),
        StoreError::TokenSpent => ApiError::token_replayed(),
        StoreError::Database(detail) => ApiError::busy(format!("database: {detail}")),
        StoreError::Corrupt(detail) => ApiError::internal(format!("database: {detail}")),
        StoreError::Invalid(detail) => ApiError::internal(format!("commit: {detail}")),
    }
}

/// Decodes a stored record, checking it is the revision its row says.
pub fn decode_record(row: &UserRow) -> Result<UserRecord, ApiError> {
    let record = UserRecord::from_bytes(&row.record)
        .map_err(|e| ApiError::internal(format!("stored record does not decode: {e}")))?;
    if record.revision() != row.revision {
        return Err(ApiError::internal(
            "stored record's revision differs from its row's",
        ));
    }
    Ok(record)
}

fn token_use(principal: &Principal) -> TokenUse<'_> {
    TokenUse {
        id: &principal.token_id,
        expires_ms: principal.expires_ms,
    }
}

/// Marks the request's token used when the request changes nothing else.
pub async fn spend_token(state: &Shared, principal: &Principal) -> Result<(), ApiError> {
    state
        .store
        .commit(&Commit {
            user: &principal.user,
            expected: Expected::Absent,
            record: None,
            audit: None,
            token: Some(token_use(principal)),
            now_ms: now_ms(),
        })
        .await
        .map_err(store_error)
}

/// The audit event as stored: fields, bytes, position and link.
struct Appended {
    fields: String,
    event: Vec<u8>,
    action: &'static str,
}

impl Appended {
    fn new(event: &AuditEvent) -> Result<Self, ApiError> {
        Ok(Self {
            fields: serde_json::to_string(&Fields::of(event))
                .map_err(|e| ApiError::internal(format!("audit fields: {e}")))?,
            event: event.to_bytes(),
            action: event.action.name(),
        })
    }
}

/// Carries out `operation` for the authenticated `principal`.
/// Key sets are answered in suite `suite`; a gate request is evaluated in its own suite.
pub async fn run(
    state: &Shared,
    principal: &Principal,
    suite: quorumkey::suite::SuiteId,
    operation: Operation<'_>,
) -> Result<Done, ApiError> {
    let server = state.key_server();
    let user = principal.user.as_str();
    let mut attempts = 0;
    'read: loop {
        attempts += 1;
        if attempts > MAX_ATTEMPTS {
            return Err(ApiError::busy("compare-and-set lost too often"));
        }
        let row = state.store.load(user).await.map_err(store_error)?;
        let record = row.as_ref().map(decode_record).transpose()?;
        let outcome = server
            .handle_in(
                suite,
                user.as_bytes(),
                record.as_ref(),
                operation,
                &mut rand::rng(),
            )
            .map_err(|e| ApiError::core(&e))?;
        let update = outcome.record_update().cloned();
        let update_bytes = update.as_ref().map(UserRecord::to_secret_bytes);
        let appended = outcome.audit_event().map(Appended::new).transpose()?;
        let (mut expected, mut head) = match &row {
            None => (
                Expected::Absent,
                AuditHead {
                    seq: 0,
                    link: GENESIS,
                },
            ),
            Some(r) => (
                Expected::At {
                    revision: r.revision,
                    audit_seq: r.audit.seq,
                },
                r.audit,
            ),
        };
        loop {
            let now = now_ms();
            let audit = match (&appended, outcome.audit_event()) {
                (Some(a), Some(event)) => {
                    let seq = head.seq + 1;
                    Some(AuditWrite {
                        seq,
                        time_ms: now,
                        action: a.action,
                        fields: &a.fields,
                        event: &a.event,
                        chain: event.chain(&head.link, seq, now),
                    })
                }
                _ => None,
            };
            let commit = Commit {
                user,
                expected,
                record: update
                    .as_ref()
                    .zip(update_bytes.as_ref())
                    .map(|(u, bytes)| RecordWrite {
                        bytes,
                        revision: u.revision(),
                    }),
                audit,
                token: Some(token_use(principal)),
                now_ms: now,
            };
            match state.store.commit(&commit).await {
                Ok(()) => break,
                Err(StoreError::Conflict) => {
                    metrics::counter!(telemetry::CONFLICTS).increment(1);
                    attempts += 1;
                    if attempts > MAX_ATTEMPTS {
                        return Err(ApiError::busy("compare-and-set lost too often"));
                    }
                    // An evaluation that changes no record only raced another append to the
                    // user's log: if the record is still the one evaluated under, append
                    // after the new head without evaluating again.
                    if update.is_none()
                        && let (Some(old), Some(new)) =
                            (&row, state.store.load(user).await.map_err(store_error)?)
                        && new.revision == old.revision
                    {
                        expected = Expected::At {
                            revision: new.revision,
                            audit_seq: new.audit.seq,
                        };
                        head = new.audit;
                        continue;
                    }
                    attempts -= 1;
                    continue 'read;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        let released = outcome
            .release(update.as_ref())
            .map_err(|e| ApiError::internal(format!("release: {e}")))?;
        return Ok(Done {
            body: released.body,
            created: row.is_none() && update.is_some(),
        });
    }
}
