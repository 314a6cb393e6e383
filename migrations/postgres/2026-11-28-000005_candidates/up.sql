-- Candidates' registration details, the exam's sittings, registrations for a sitting (each one an order
-- for the exam fee) and the payment provider's callbacks already processed.
CREATE TABLE candidates (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    id_number TEXT NOT NULL UNIQUE,
    birth_date DATE NOT NULL,
    photo BYTEA,
    photo_type TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sittings (
    id TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    registration_opens DATE NOT NULL,
    registration_closes DATE NOT NULL,
    payment_opens DATE NOT NULL,
    payment_closes DATE NOT NULL,
    test_date DATE NOT NULL,
    test_time TEXT NOT NULL,
    fee_fen INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The two 2025 sittings of the official notice (../shared/exam.md).
INSERT INTO sittings VALUES
    ('2025-1', '2025年上半年', 'First half of 2025', '2025-04-07', '2025-05-15', '2025-05-15', '2025-05-30',
     '2025-06-07', '13:00–16:00', 26000, '2026-11-28 00:00:00'),
    ('2025-2', '2025年下半年', 'Second half of 2025', '2025-09-01', '2025-09-15', '2025-09-16', '2025-09-30',
     '2025-11-08', '13:00–16:00', 26000, '2026-11-28 00:00:00');

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    sitting_id TEXT NOT NULL REFERENCES sittings (id),
    amount_fen INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    paid_via TEXT,
    provider_ref TEXT UNIQUE,
    UNIQUE (user_id, sitting_id)
);

CREATE INDEX registrations_user ON registrations (user_id);

CREATE TABLE payment_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
