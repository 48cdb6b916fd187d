-- Full-text search over notes, kept current by the database itself: every insert, edit,
-- publish toggle and delete of a note row updates the index through these triggers, so no code
-- path can forget it. An external-content table: the text lives in `notes`; the index stores
-- only tokens.
--
-- `search_state` (published, draft or deleted) is indexed as a third column, so visibility is
-- part of the full-text match itself and never needs a join over every matching row.

ALTER TABLE notes ADD COLUMN search_state TEXT GENERATED ALWAYS AS (
    CASE
        WHEN deleted_at IS NOT NULL THEN 'deleted'
        WHEN published = 1 THEN 'published'
        ELSE 'draft'
    END
) VIRTUAL;

CREATE VIRTUAL TABLE notes_fts USING fts5(
    name,
    content,
    search_state,
    content = 'notes',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);

-- Rank by BM25 with a note's name weighing more than its text; the state column never counts.
INSERT INTO notes_fts (notes_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0, 0.0)');

CREATE TRIGGER notes_fts_after_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, name, content, search_state)
        VALUES (new.id, new.name, new.content, new.search_state);
END;

CREATE TRIGGER notes_fts_after_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content, search_state)
        VALUES ('delete', old.id, old.name, old.content, old.search_state);
END;

CREATE TRIGGER notes_fts_after_update AFTER UPDATE OF name, content, published, deleted_at ON notes
BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content, search_state)
        VALUES ('delete', old.id, old.name, old.content, old.search_state);
    INSERT INTO notes_fts (rowid, name, content, search_state)
        VALUES (new.id, new.name, new.content, new.search_state);
END;

INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
