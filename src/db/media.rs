//! Statements on the `media` table: uploaded files kept in the database.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::media::MediaInfo;

/// A stored upload.
#[derive(Debug, Clone)]
pub struct Media {
    /// The public file name (`/media/{name}`).
    pub name: String,
    /// Detected content type.
    pub content_type: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// The file.
    pub data: Vec<u8>,
}

impl Media {
    /// An upload named `name`, its SHA-256 computed from `data`.
    pub fn new(name: String, content_type: &str, data: Vec<u8>) -> Self {
        use sha2::Digest;
        Media {
            name,
            content_type: content_type.to_owned(),
            sha256: hex::encode(sha2::Sha256::digest(&data)),
            data,
        }
    }
}

/// Stores an upload.
pub fn insert(conn: &Connection, media: &Media, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO media (name, content_type, size, sha256, data, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        media.name,
        media.content_type,
        media.data.len() as i64,
        media.sha256,
        media.data,
        now
    ])?;
    Ok(())
}

/// One upload by name.
pub fn by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<Media>> {
    conn.prepare_cached("SELECT name, content_type, sha256, data FROM media WHERE name = ?1")?
        .query_row([name], |r| {
            Ok(Media {
                name: r.get(0)?,
                content_type: r.get(1)?,
                sha256: r.get(2)?,
                data: r.get(3)?,
            })
        })
        .optional()
}

/// The type and size of each named upload that exists, in the order asked (for feed enclosures).
pub fn infos(conn: &Connection, names: &[String]) -> rusqlite::Result<Vec<MediaInfo>> {
    let mut statement =
        conn.prepare_cached("SELECT name, content_type, size FROM media WHERE name = ?1")?;
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let info = statement
            .query_row([name], |r| {
                Ok(MediaInfo {
                    name: r.get(0)?,
                    content_type: r.get(1)?,
                    size: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                })
            })
            .optional()?;
        found.extend(info);
    }
    Ok(found)
}

/// The newest upload's name.
pub fn last_name(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM media ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()
}

/// Every upload's name, oldest first (for exports).
pub fn names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached("SELECT name FROM media ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect()
}
