-- The owner's own credentials (sign-in without another service): an Argon2id password hash and
-- WebAuthn passkeys. Sessions remember where they were opened, for the admin's session list.

-- At most one row: the owner's password as an Argon2id PHC string (never the password itself).
CREATE TABLE owner_password (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    phc         TEXT    NOT NULL CHECK (phc LIKE '$argon2id$%'),
    updated_at  INTEGER NOT NULL
);

-- One row per registered passkey. `static_state` and `dynamic_state` are webauthn_rp's binary
-- encodings of the credential's public key (fixed) and of its signature counter and flags
-- (updated at each sign-in).
CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY,
    credential_id  BLOB    NOT NULL UNIQUE,
    user_handle    BLOB    NOT NULL,
    name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    static_state   BLOB    NOT NULL,
    dynamic_state  BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);

ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
-- How the session was opened: `password`, `passkey`, `indieauth`, `dev`, `setup`.
ALTER TABLE sessions ADD COLUMN method TEXT;
