-- Items and their immutable versions, the bank's documents, and the audit log (SQLite).
CREATE TABLE items (
    id TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    published_version INTEGER,
    bank_hash TEXT,
    bank_version INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE item_versions (
    item_id TEXT NOT NULL REFERENCES items (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    difficulty INTEGER NOT NULL,
    tags TEXT NOT NULL,
    points INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (item_id, version)
);

CREATE INDEX item_versions_status ON item_versions (status);

CREATE TABLE bank_documents (
    name TEXT PRIMARY KEY NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
