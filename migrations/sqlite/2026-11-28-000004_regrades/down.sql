DROP INDEX item_reports_item;
DROP INDEX responses_attempt;
ALTER TABLE responses DROP COLUMN regraded_at;
ALTER TABLE responses DROP COLUMN marked_version;
