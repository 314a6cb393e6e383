DROP TABLE favorites;
DROP TABLE mistakes;
DROP TABLE practice_progress;
DROP TABLE practice_sessions;
