-- Mock exam attempts: the assembled paper, the deadline kept by the server, every saved answer, and how
-- often each item has been put on a paper (to keep exposure low).
CREATE TABLE attempts (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    blueprint TEXT NOT NULL,
    seed BIGINT NOT NULL,
    pool_version TEXT NOT NULL,
    paper TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    submitted_at TIMESTAMP,
    submitted_by TEXT,
    total INTEGER,
    passed BOOLEAN
);

CREATE INDEX attempts_user ON attempts (user_id, started_at);
CREATE INDEX attempts_open ON attempts (status, deadline);
CREATE INDEX attempts_cohort ON attempts (blueprint, submitted_at);

CREATE TABLE attempt_answers (
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    slot TEXT NOT NULL,
    answer TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, slot)
);

CREATE TABLE item_exposure (
    item_id TEXT PRIMARY KEY NOT NULL,
    uses BIGINT NOT NULL
);
