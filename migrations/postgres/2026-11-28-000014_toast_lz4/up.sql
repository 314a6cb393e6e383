-- Large text values (an attempt's paper, tens of KB of JSON; a learner's beliefs) are compressed when
-- stored out of line. PostgreSQL's default compressor (pglz) took about a third of the database's CPU
-- when attempts start at a high rate; lz4 is several times faster. Servers built without lz4 (or older
-- than PostgreSQL 14) store those values uncompressed instead.
DO $$
BEGIN
    ALTER TABLE attempts ALTER COLUMN paper SET COMPRESSION lz4;
    ALTER TABLE learner_models ALTER COLUMN model SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    ALTER TABLE attempts ALTER COLUMN paper SET STORAGE EXTERNAL;
    ALTER TABLE learner_models ALTER COLUMN model SET STORAGE EXTERNAL;
END
$$;
