-- quorumkey-server schema 1 (SQLite). See spec/http-api.md §3.1 and §6.

-- One row per user: the core's record (secret), updated by compare-and-set on `revision`,
-- and the head of the user's audit chain (`audit_seq`, `audit_head`), moved in the same
-- transaction as every event appended.
CREATE TABLE users (
    user_id    TEXT    NOT NULL PRIMARY KEY,
    revision   INTEGER NOT NULL,
    record     BLOB    NOT NULL,
    audit_seq  INTEGER NOT NULL,
    audit_head BLOB    NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;

-- Append-only, per user, numbered from 1; `event` is the core's canonical event encoding,
-- `chain` the link AuditEvent::chain(previous link, seq, time_ms) gives.
CREATE TABLE audit_events (
    user_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    action  TEXT    NOT NULL,
    fields  TEXT    NOT NULL,
    event   BLOB    NOT NULL,
    chain   BLOB    NOT NULL,
    PRIMARY KEY (user_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Tokens already used (`tenant:jti`), kept until they expire: a token authorises one request.
CREATE TABLE spent_tokens (
    token_id   TEXT    NOT NULL PRIMARY KEY,
    expires_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX spent_tokens_expiry ON spent_tokens (expires_ms);
