-- Full-text search over notes, kept current by the database itself: every insert, edit and
-- delete of a note row updates the index through these triggers, so no code path can forget it.
-- An external-content table: the text lives in `notes`; the index stores only tokens.

CREATE VIRTUAL TABLE notes_fts USING fts5(
    name,
    content,
    content = 'notes',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);

CREATE TRIGGER notes_fts_after_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, name, content) VALUES (new.id, new.name, new.content);
END;

CREATE TRIGGER notes_fts_after_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content)
        VALUES ('delete', old.id, old.name, old.content);
END;

CREATE TRIGGER notes_fts_after_update AFTER UPDATE OF name, content ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, name, content)
        VALUES ('delete', old.id, old.name, old.content);
    INSERT INTO notes_fts (rowid, name, content) VALUES (new.id, new.name, new.content);
END;

INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
