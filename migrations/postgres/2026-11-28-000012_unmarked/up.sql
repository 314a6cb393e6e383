-- Submitted attempts are marked (answer log, learner model, totals) right after their submission is
-- acknowledged, by a background marker; an index finds those not marked yet (total still NULL).
CREATE INDEX attempts_unmarked ON attempts (status, total);
