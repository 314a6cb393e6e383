DROP INDEX attempts_cohort_totals;
