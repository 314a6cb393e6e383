-- The cohort's standing (how many passers, how many above a total) counted from the index alone.

CREATE INDEX attempts_cohort_totals ON attempts (blueprint, passed, status, submitted_at, total);
