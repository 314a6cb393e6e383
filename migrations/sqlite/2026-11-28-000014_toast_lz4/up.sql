-- PostgreSQL only (its large text values are compressed with lz4 from here on): SQLite stores text
-- uncompressed, so there is nothing to change. The folder exists to keep both histories in step.
SELECT 1;
