DROP TABLE item_params;
DROP TABLE learner_models;
