-- Notes, the owner's sessions, and nothing else yet.
-- Times are Unix seconds (UTC); ordering and keyset pagination use (published_at, id).

CREATE TABLE notes (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 100),
    -- Markdown source, or HTML exactly as a Micropub client sent it.
    content       TEXT    NOT NULL,
    content_type  TEXT    NOT NULL DEFAULT 'markdown' CHECK (content_type IN ('markdown', 'html')),
    -- Sanitised HTML rendered once on write.
    content_html  TEXT    NOT NULL,
    -- SHA-256 of `content`, hex.
    content_hash  TEXT    NOT NULL,
    name          TEXT,
    -- Every microformats2 property given by Micropub, in order (JSON object of arrays).
    properties    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),
    published     INTEGER NOT NULL DEFAULT 1 CHECK (published IN (0, 1)),
    published_at  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);

-- The public listing: newest visible notes first, keyset-paginated.
CREATE INDEX notes_visible_by_date ON notes (published_at DESC, id DESC)
    WHERE published = 1 AND deleted_at IS NULL;

-- The admin listing: every note, newest first.
CREATE INDEX notes_by_date ON notes (published_at DESC, id DESC);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token; the token itself is never stored.
    token_hash    TEXT    PRIMARY KEY,
    me            TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_by_expiry ON sessions (expires_at);
