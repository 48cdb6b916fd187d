//! Statements on the `media` table: uploaded files kept in the database.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::media::MediaInfo;
use crate::domain::photo::{self, CLEAN_VERSION, Clean};

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
    /// Width and height in pixels as displayed; unknown for a row not yet cleaned.
    pub dimensions: Option<(u32, u32)>,
}

impl Media {
    /// A cleaned image (see [`photo::sanitize`]) stored as `name`, its SHA-256 computed.
    pub fn new(name: String, clean: Clean) -> Self {
        Media {
            name,
            content_type: clean.content_type.to_owned(),
            sha256: sha256(&clean.bytes),
            data: clean.bytes,
            dimensions: Some((clean.width, clean.height)),
        }
    }
}

/// The hex SHA-256 of `data`: the strong ETag.
fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Stores a cleaned upload, marked clean under the current [`CLEAN_VERSION`].
pub fn insert(conn: &Connection, media: &Media, now: i64) -> rusqlite::Result<()> {
    let (width, height) = media.dimensions.unzip();
    conn.prepare_cached(
        "INSERT INTO media (name, content_type, size, sha256, data, created_at, clean_version, \
         width, height) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        media.name,
        media.content_type,
        media.data.len() as i64,
        media.sha256,
        media.data,
        now,
        CLEAN_VERSION,
        width,
        height
    ])?;
    Ok(())
}

/// One upload by name.
pub fn by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<Media>> {
    conn.prepare_cached(
        "SELECT name, content_type, sha256, data, width, height FROM media WHERE name = ?1",
    )?
    .query_row([name], |r| {
        let (width, height): (Option<u32>, Option<u32>) = (r.get(4)?, r.get(5)?);
        Ok(Media {
            name: r.get(0)?,
            content_type: r.get(1)?,
            sha256: r.get(2)?,
            data: r.get(3)?,
            dimensions: width.zip(height),
        })
    })
    .optional()
}

/// Rows read per batch by [`clean_stale`] (each may hold a large image).
pub const CLEAN_BATCH: usize = 8;

/// What [`clean_stale`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// Rows cleaned and stored again.
    pub cleaned: usize,
    /// Rows that could not be cleaned (left as they are, tried again at the next start), with
    /// their names and why.
    pub failed: Vec<(String, String)>,
}

/// Cleans every upload stored under an older [`CLEAN_VERSION`] (metadata stripped, orientation
/// applied: [`photo::sanitize`]), [`CLEAN_BATCH`] rows at a time, each batch in its own
/// transaction; its data, size, SHA-256 (so its ETag), width and height change. Run at start-up,
/// after the migrations.
pub fn clean_stale(conn: &mut Connection) -> rusqlite::Result<Cleaned> {
    let mut done = Cleaned::default();
    let mut after = 0_i64;
    loop {
        let batch: Vec<(i64, String, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT id, name, data FROM media WHERE clean_version < ?1 AND id > ?2 \
                 ORDER BY id LIMIT ?3",
            )?
            .query_map(params![CLEAN_VERSION, after, CLEAN_BATCH as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some((last, _, _)) = batch.last() else {
            break;
        };
        after = *last;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (id, name, data) in batch {
            match photo::sanitize(&data, photo::Limits::default()) {
                Ok(clean) => {
                    tx.prepare_cached(
                        "UPDATE media SET data = ?2, size = ?3, sha256 = ?4, width = ?5, \
                         height = ?6, clean_version = ?7 WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        clean.bytes,
                        clean.bytes.len() as i64,
                        sha256(&clean.bytes),
                        clean.width,
                        clean.height,
                        CLEAN_VERSION
                    ])?;
                    done.cleaned += 1;
                }
                Err(e) => done.failed.push((name, e.to_string())),
            }
        }
        tx.commit()?;
    }
    Ok(done)
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
