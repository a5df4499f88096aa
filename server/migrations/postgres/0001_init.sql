-- quorumkey-server schema 1 (PostgreSQL). See spec/http-api.md §3.1 and §6.

-- One row per user: the core's record (secret), updated by compare-and-set on `revision`,
-- and the head of the user's audit chain (`audit_seq`, `audit_head`), moved in the same
-- transaction as every event appended.
CREATE TABLE users (
    user_id    TEXT   NOT NULL PRIMARY KEY,
    revision   BIGINT NOT NULL,
    record     BYTEA  NOT NULL,
    audit_seq  BIGINT NOT NULL,
    audit_head BYTEA  NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- Append-only, per user, numbered from 1; `event` is the core's canonical event encoding,
-- `chain` the link AuditEvent::chain(previous link, seq, time_ms) gives.
CREATE TABLE audit_events (
    user_id TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    time_ms BIGINT NOT NULL,
    action  TEXT   NOT NULL,
    fields  TEXT   NOT NULL,
    event   BYTEA  NOT NULL,
    chain   BYTEA  NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Tokens already used (`tenant:jti`), kept until they expire: a token authorises one request.
CREATE TABLE spent_tokens (
    token_id   TEXT   NOT NULL PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);

CREATE INDEX spent_tokens_expiry ON spent_tokens (expires_ms);
