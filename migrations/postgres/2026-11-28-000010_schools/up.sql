-- Schools (the exam's training centres): their staff and students, classes, assessments, the in-page
-- sessions of embedded sittings, one-time nonces of signed embed links, and the outbox of results to
-- send to the schools' sites (postgres).
CREATE TABLE schools (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    embed_secret TEXT NOT NULL,
    webhook_url TEXT,
    licence_until DATE,
    created_at TIMESTAMP NOT NULL
);

-- A user belongs to at most one school: as staff (school_admin, teacher) or as a student (candidate).
-- external_id is the student's number in the school's own systems (or the LTI subject).
CREATE TABLE school_members (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    external_id TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX school_members_external ON school_members (school_id, external_id);

CREATE TABLE classes (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    teacher_id TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX classes_name ON classes (school_id, name);

CREATE TABLE class_students (
    class_id TEXT NOT NULL REFERENCES classes (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (class_id, user_id)
);

CREATE INDEX class_students_user ON class_students (user_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    class_id TEXT NOT NULL REFERENCES classes (id),
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    blueprint TEXT NOT NULL,
    form TEXT,
    minutes INTEGER NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    max_attempts INTEGER NOT NULL,
    show_keys TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX assessments_class ON assessments (class_id);

ALTER TABLE attempts ADD COLUMN assessment_id TEXT;
CREATE INDEX attempts_assessment ON attempts (assessment_id, user_id);

-- What to tell the school's site when an embedded attempt is submitted (e.g. the LTI line item).
CREATE TABLE attempt_hooks (
    attempt_id TEXT PRIMARY KEY NOT NULL REFERENCES attempts (id),
    hook TEXT NOT NULL
);

CREATE TABLE embed_nonces (
    school_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (school_id, nonce)
);

-- An embedded sitting's session travels in the page (no third-party cookie): only its digest is kept.
CREATE TABLE embed_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    hook TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Results to deliver to schools' sites (webhook, LTI score), written in the transaction that submits
-- the attempt and retried until delivered.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    tries INTEGER NOT NULL,
    next_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX outbox_due ON outbox (done_at, next_at);
