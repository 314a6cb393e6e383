-- Regrades after a key correction: a response remembers the version whose key last marked it.
ALTER TABLE responses ADD COLUMN marked_version INTEGER;
ALTER TABLE responses ADD COLUMN regraded_at TIMESTAMP;

CREATE INDEX responses_attempt ON responses (attempt_id);
CREATE INDEX item_reports_item ON item_reports (item_id, status);
