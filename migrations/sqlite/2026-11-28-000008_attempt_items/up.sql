-- The item ids of each attempt's paper, space-separated, in a narrow table of their own: a candidate's
-- earlier items are read without touching whole papers.
CREATE TABLE attempt_items (
    attempt_id TEXT PRIMARY KEY NOT NULL REFERENCES attempts (id),
    user_id TEXT NOT NULL,
    items TEXT NOT NULL
);

CREATE INDEX attempt_items_user ON attempt_items (user_id);
