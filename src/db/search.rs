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
    /// Raw excerpt of the note's plain text with [`MARK_START`]/[`MARK_END`] around matches
    /// (unescaped text).
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

/// Runs an FTS5 `query` built by [`crate::domain::search::SearchQuery::fts`] (which already
/// restricts the note states): best matches first, and among equally good ones the newest.
pub fn search(
    conn: &Connection,
    query: &str,
    limit: u32,
    offset: u32,
) -> rusqlite::Result<Results> {
    // Visibility is inside the match, so counting needs no join.
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?1")?
        .query_row([query], |r| r.get(0))?;
    // Snippets are made for this page only, from the note's plain text (`content_text`, FTS5
    // column 1): what a reader sees, never the Markdown source.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}, snippet(notes_fts, 1, char(2), char(3), '…', 16) \
         FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid \
         WHERE notes_fts MATCH ?1 \
         ORDER BY notes_fts.rank, notes.published_at DESC, notes.id DESC \
         LIMIT ?2 OFFSET ?3",
        super::notes::COLUMNS_QUALIFIED
    ))?;
    let hits = stmt
        .query_map(params![query, limit, offset], |row| {
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
