-- Photos are stored without their metadata (EXIF with GPS, XMP, IPTC, comments) and the right
-- way up (issue 16). `clean_version` says under which rules a row was cleaned: rows below the
-- current `domain::photo::CLEAN_VERSION` (all rows stored before this migration) are cleaned
-- again at start-up. `width` and `height` are the displayed size in pixels, known once cleaned.
ALTER TABLE media ADD COLUMN clean_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN width INTEGER;
ALTER TABLE media ADD COLUMN height INTEGER;
