DROP TABLE item_reports;
DROP TABLE responses;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
