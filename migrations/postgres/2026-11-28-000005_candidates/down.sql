DROP TABLE payment_events;
DROP TABLE registrations;
DROP TABLE sittings;
DROP TABLE candidates;
