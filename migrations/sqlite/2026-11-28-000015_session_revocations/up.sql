-- Sessions ended (logouts), kept for a while so that every server sharing the database forgets its
-- cached copy of the session within about a second (see src/web/sessions.rs).
CREATE TABLE session_revocations (
    token_hash TEXT NOT NULL,
    revoked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_hash, revoked_at)
);

CREATE INDEX session_revocations_at ON session_revocations (revoked_at);
