DROP INDEX attempts_unmarked;
