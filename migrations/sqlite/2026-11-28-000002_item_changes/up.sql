-- Every saved item change, in order, so that search indexes on any server can follow (SQLite).
CREATE TABLE item_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    item_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
