-- The learner model, derived from the answer log (responses) and rebuilt from it by `tiku rebuild-model`.
-- One row per candidate: their beliefs as JSON, and the last answer applied (so none is applied twice).
CREATE TABLE learner_models (
    user_id TEXT PRIMARY KEY NOT NULL,
    model TEXT NOT NULL,
    last_response BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row per question (item id, or item.part): its calibrated parameters.
CREATE TABLE item_params (
    question_id TEXT PRIMARY KEY NOT NULL,
    a REAL NOT NULL,
    b REAL NOT NULL,
    var_b REAL NOT NULL,
    answers INTEGER NOT NULL
);
