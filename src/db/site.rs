//! The site version (see `sql/003_site_version.sql`): bumped by triggers on every note change.

use rusqlite::Connection;

use crate::domain::Note;

/// The site's version and when it last changed (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteVersion {
    /// Increases on every note change.
    pub version: i64,
    /// Time of the last change.
    pub changed_at: i64,
}

/// Reads the current version.
pub fn version(conn: &Connection) -> rusqlite::Result<SiteVersion> {
    conn.prepare_cached("SELECT version, changed_at FROM site_version WHERE id = 1")?
        .query_row([], |r| {
            Ok(SiteVersion {
                version: r.get(0)?,
                changed_at: r.get(1)?,
            })
        })
}

/// The version and the newest `limit` visible notes, read in one transaction so they agree.
pub fn feed_snapshot(
    conn: &mut Connection,
    limit: u32,
) -> rusqlite::Result<(SiteVersion, Vec<Note>)> {
    let tx = conn.transaction()?;
    let current = version(&tx)?;
    let notes = super::notes::visible_page(&tx, None, limit)?;
    tx.commit()?;
    Ok((current, notes))
}
