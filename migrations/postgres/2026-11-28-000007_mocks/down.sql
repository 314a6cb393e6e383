DROP TABLE item_exposure;
DROP TABLE attempt_answers;
DROP TABLE attempts;
