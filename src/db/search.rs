//! Full-text search statements over the `notes_fts` index (see `sql/002_search.sql`).

use rusqlite::{Connection, params};

use crate::domain::Note;

/// Marks the start of a highlighted match inside an excerpt (never valid in HTML text).
pub const MARK_START: char = '\u{2}';
/// Marks the end of a highlighted match.
pub const MARK_END: char = '\u{3}';

/// One search hit.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The note.
    pub note: Note,
    /// Raw excerpt with [`MARK_START`]/[`MARK_END`] around matches (unescaped text).
    pub excerpt: String,
}

/// A page of results and the total number of matches.
#[derive(Debug, Clone)]
pub struct Results {
    /// Hits on this page, best first.
    pub hits: Vec<Hit>,
    /// Matches in all.
    pub total: u64,
}

/// Searches visible notes (drafts too when `include_drafts`) for an FTS5 `query` built by
/// [`crate::domain::search::SearchQuery`], best matches first.
pub fn search(
    conn: &Connection,
    query: &str,
    include_drafts: bool,
    limit: u32,
    offset: u32,
) -> rusqlite::Result<Results> {
    let total: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid \
             WHERE notes_fts MATCH ?1 AND notes.deleted_at IS NULL \
             AND (notes.published = 1 OR ?2)",
        )?
        .query_row(params![query, include_drafts], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}, snippet(notes_fts, 1, char(2), char(3), '…', 16) \
         FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid \
         WHERE notes_fts MATCH ?1 AND notes.deleted_at IS NULL \
         AND (notes.published = 1 OR ?2) \
         ORDER BY bm25(notes_fts, 5.0, 1.0), notes.published_at DESC \
         LIMIT ?3 OFFSET ?4",
        super::notes::COLUMNS_QUALIFIED
    ))?;
    let hits = stmt
        .query_map(params![query, include_drafts, limit, offset], |row| {
            Ok(Hit {
                note: super::notes::from_row(row)?,
                excerpt: row.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Results {
        hits,
        total: u64::try_from(total).unwrap_or(0),
    })
}
