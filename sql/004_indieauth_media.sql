-- Uploaded media (served at /media/{name}) and pending IndieAuth logins.

CREATE TABLE media (
    id            INTEGER PRIMARY KEY,
    -- Random hex and the extension of the detected type, e.g. `3f…9a.jpg`.
    name          TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 5 AND 64),
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL CHECK (size = length(data)),
    -- SHA-256 of the bytes, hex; the strong ETag.
    sha256        TEXT    NOT NULL,
    data          BLOB    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- One row per login started at /auth/login; taken (deleted) by the callback, so a `state`
-- works once. Rows older than ten minutes are refused and removed.
CREATE TABLE auth_states (
    -- SHA-256 of the `state` sent to the authorization server.
    state_hash              TEXT    PRIMARY KEY,
    -- The PKCE verifier whose S256 challenge went with the request.
    code_verifier           TEXT    NOT NULL,
    authorization_endpoint  TEXT    NOT NULL,
    -- The issuer from the owner's metadata; the callback's `iss` must equal it.
    issuer                  TEXT,
    created_at              INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX auth_states_by_age ON auth_states (created_at);
