-- Every saved item change, in order, so that search indexes on any server can follow (PostgreSQL).
CREATE TABLE item_changes (
    seq BIGSERIAL PRIMARY KEY,
    item_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
