-- starpunk as its own IndieAuth server: the apps the owner allowed (grants), their access and
-- refresh tokens, and the authorization codes that led to them. Codes and tokens are stored
-- only as SHA-256 hashes; the values themselves exist only in the client.

-- One row per approval the owner gave an app (one redeemed authorization code).
CREATE TABLE grants (
    id            INTEGER PRIMARY KEY,
    client_id     TEXT    NOT NULL,
    -- What the client's metadata said at approval time (shown on the admin's Apps page).
    client_name   TEXT,
    client_logo   TEXT,
    me            TEXT    NOT NULL,
    -- Space-separated scopes the owner approved; refreshes never widen them.
    scope         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    -- Set when revoked (by the owner, the app, or a replayed code or refresh token); its tokens
    -- are deleted at the same time.
    revoked_at    INTEGER
);

CREATE TABLE grant_tokens (
    token_hash  TEXT    PRIMARY KEY,
    grant_id    INTEGER NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    scope       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Access tokens: slides forward with use. Refresh tokens: fixed.
    expires_at  INTEGER NOT NULL,
    -- Refresh tokens only: when a refresh replaced it. Presenting it again revokes the grant.
    rotated_at  INTEGER
) WITHOUT ROWID;

CREATE INDEX grant_tokens_by_grant ON grant_tokens (grant_id);
CREATE INDEX grant_tokens_by_expiry ON grant_tokens (expires_at);

-- One row per approval until it expires (ten minutes at most). Redeeming marks it used rather
-- than deleting it, so a second use is recognised and revokes what the first use issued.
CREATE TABLE authorization_codes (
    code_hash       TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    redirect_uri    TEXT    NOT NULL,
    -- The PKCE S256 challenge: BASE64URL(SHA-256(code_verifier)).
    code_challenge  TEXT    NOT NULL,
    -- Space-separated approved scopes; empty for authentication only.
    scope           TEXT    NOT NULL,
    me              TEXT    NOT NULL,
    client_name     TEXT,
    client_logo     TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    -- The grant its redemption created.
    grant_id        INTEGER
) WITHOUT ROWID;

CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
