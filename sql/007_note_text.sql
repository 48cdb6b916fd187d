-- What readers see, indexed (issue 14): search matched and excerpted the Markdown source, so
-- results showed `# Trip …`, `**harbour**` and `[text](url)`. Each note now keeps the plain text
-- of its rendered HTML beside it, and the full-text index covers that text instead.
--
-- `render_version` records the rules a row's HTML and text were rendered under. Rows from before
-- this migration are 0; starpunk renders every row below its current version again when it
-- starts (`db::notes::rerender_stale`), which also fills `content_text` and so the index.

ALTER TABLE notes ADD COLUMN content_text TEXT NOT NULL DEFAULT '';
ALTER TABLE notes ADD COLUMN render_version INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER notes_fts_after_insert;
DROP TRIGGER notes_fts_after_delete;
DROP TRIGGER notes_fts_after_update;
DROP TABLE notes_fts;

CREATE VIRTUAL TABLE notes_fts USING fts5(
    name,
    content_text,
    search_state,
    content = 'notes',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);

-- Rank by BM25 with a note's name weighing more than its text; the state column never counts.
INSERT INTO notes_fts (notes_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0, 0.0)');

CREATE TRIGGER notes_fts_after_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, name, content_text, search_state)
        VALUES (new.id, new.name, new.content_text, new.search_state);
END;

CREATE TRIGGER notes_fts_after_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content_text, search_state)
        VALUES ('delete', old.id, old.name, old.content_text, old.search_state);
END;

CREATE TRIGGER notes_fts_after_update
    AFTER UPDATE OF name, content_text, published, deleted_at ON notes
BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content_text, search_state)
        VALUES ('delete', old.id, old.name, old.content_text, old.search_state);
    INSERT INTO notes_fts (rowid, name, content_text, search_state)
        VALUES (new.id, new.name, new.content_text, new.search_state);
END;

INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
