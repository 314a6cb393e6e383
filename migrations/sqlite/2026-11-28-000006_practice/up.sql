-- Practice: sessions (their queue of items and the item being served), where a candidate stopped in
-- sequential practice, the mistakes notebook and favourites.
CREATE TABLE practice_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    mode TEXT NOT NULL,
    scope TEXT NOT NULL,
    queue TEXT NOT NULL,
    position INTEGER NOT NULL,
    current_version INTEGER,
    current_variant BIGINT,
    served_at TIMESTAMP,
    answered TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX practice_sessions_user ON practice_sessions (user_id, created_at);

CREATE TABLE practice_progress (
    user_id TEXT NOT NULL REFERENCES users (id),
    scope TEXT NOT NULL,
    last_item TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, scope)
);

CREATE TABLE mistakes (
    user_id TEXT NOT NULL REFERENCES users (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    question_id TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    right_streak INTEGER NOT NULL,
    last_right_on DATE,
    PRIMARY KEY (user_id, question_id)
);

CREATE TABLE favorites (
    user_id TEXT NOT NULL REFERENCES users (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
