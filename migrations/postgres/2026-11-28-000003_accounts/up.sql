-- Accounts, sessions, login throttling, candidates' answers and their reports on items (PostgreSQL).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    login TEXT UNIQUE,
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

CREATE INDEX login_failures_key ON login_failures (throttle_key, at);

CREATE TABLE responses (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    version INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    variant BIGINT NOT NULL,
    answer TEXT NOT NULL,
    awarded INTEGER NOT NULL,
    max_points INTEGER NOT NULL,
    state TEXT NOT NULL,
    seconds INTEGER,
    context TEXT NOT NULL,
    attempt_id TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX responses_item ON responses (item_id, version);
CREATE INDEX responses_user ON responses (user_id, created_at);

CREATE TABLE item_reports (
    id BIGSERIAL PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (id),
    version INTEGER NOT NULL,
    reporter_id TEXT NOT NULL REFERENCES users (id),
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_by TEXT,
    resolved_at TIMESTAMP,
    resolution TEXT
);

CREATE INDEX item_reports_status ON item_reports (status, created_at);
