-- LTI 1.3: the platforms (course sites) registered by an admin, the tool's own signing keys, and the
-- one-time values of launches: login states, used id_token nonces, deep-linking picks (SQLite).

-- A platform registration belongs to one school: its launches open that school's assessments only.
CREATE TABLE lti_platforms (
    id TEXT PRIMARY KEY NOT NULL,
    school_id TEXT NOT NULL REFERENCES schools (id),
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    auth_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    jwks_url TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (issuer, client_id)
);

-- The tool's RSA keys (PKCS#8 PEM). Made on first need; every server signs with the oldest one.
CREATE TABLE lti_tool_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    private_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- OIDC login states: one-time, ten minutes. Kept here, not in a cookie: the tool runs in a cross-site frame.
CREATE TABLE lti_states (
    state TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    platform_id TEXT NOT NULL REFERENCES lti_platforms (id),
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX lti_states_created ON lti_states (created_at);

-- id_token nonces already accepted, until the token would have expired anyway.
CREATE TABLE lti_nonces (
    platform_id TEXT NOT NULL REFERENCES lti_platforms (id),
    nonce TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform_id, nonce)
);

CREATE INDEX lti_nonces_expiry ON lti_nonces (expires_at);

-- Resource links placed in a course: which assessment they open and where their grades go.
CREATE TABLE lti_links (
    platform_id TEXT NOT NULL REFERENCES lti_platforms (id),
    resource_link_id TEXT NOT NULL,
    assessment_id TEXT NOT NULL,
    lineitem TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform_id, resource_link_id)
);

-- A validated deep-linking request waiting for the teacher's pick: one-time, ten minutes; only the
-- SHA-256 of the token in the pick form is stored.
CREATE TABLE lti_deep_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES lti_platforms (id),
    deployment_id TEXT NOT NULL,
    return_url TEXT NOT NULL,
    data TEXT,
    created_at TIMESTAMP NOT NULL
);

-- The score-scope access token each platform last gave, shared by every server, until shortly before it
-- expires (a burst of submissions at a deadline asks the token endpoint once, not once per score).
CREATE TABLE lti_access_tokens (
    platform_id TEXT PRIMARY KEY NOT NULL REFERENCES lti_platforms (id),
    token TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
