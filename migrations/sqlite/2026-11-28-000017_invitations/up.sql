-- One-time invitations for accounts made without a password (students from a class list or a signed
-- link): the student sets an e-mail or phone and a password, and can then log in and practise.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE INDEX invitations_user ON invitations (user_id);
