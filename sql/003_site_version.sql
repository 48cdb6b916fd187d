-- A version number of the published site, bumped by the database on every change to a note
-- (create, edit, publish toggle, delete, restore). Generated feeds are cached under it, so any
-- change invalidates them without scanning notes and without any code path having to remember.

CREATE TABLE site_version (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);

INSERT INTO site_version (id, version, changed_at)
    VALUES (1, 0, CAST(strftime('%s', 'now') AS INTEGER));

CREATE TRIGGER site_version_after_note_insert AFTER INSERT ON notes BEGIN
    UPDATE site_version
        SET version = version + 1, changed_at = CAST(strftime('%s', 'now') AS INTEGER)
        WHERE id = 1;
END;

CREATE TRIGGER site_version_after_note_update AFTER UPDATE ON notes BEGIN
    UPDATE site_version
        SET version = version + 1, changed_at = CAST(strftime('%s', 'now') AS INTEGER)
        WHERE id = 1;
END;

CREATE TRIGGER site_version_after_note_delete AFTER DELETE ON notes BEGIN
    UPDATE site_version
        SET version = version + 1, changed_at = CAST(strftime('%s', 'now') AS INTEGER)
        WHERE id = 1;
END;
