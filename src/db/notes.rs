//! Statements on the `notes` table.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::domain::content::{RENDER_VERSION, search_text};
use crate::domain::{Cursor, NewNote, Note, NoteContent, NoteUpdate, Slug};

const COLUMNS: &str = "id, slug, content, content_type, content_html, content_hash, name, \
                       properties, published, published_at, created_at, updated_at, deleted_at";

/// The same columns qualified with the table name, for joins.
pub const COLUMNS_QUALIFIED: &str = "notes.id, notes.slug, notes.content, notes.content_type, \
    notes.content_html, notes.content_hash, notes.name, notes.properties, notes.published, \
    notes.published_at, notes.created_at, notes.updated_at, notes.deleted_at";

/// Builds a [`Note`] from the first 13 columns of a row, in [`COLUMNS_QUALIFIED`] order.
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Note> {
    let slug: String = row.get(1)?;
    let kind: String = row.get(3)?;
    let properties: String = row.get(7)?;
    Ok(Note {
        id: row.get(0)?,
        // Stored slugs were built by `Slug::unique`; an impossible one is a corrupt row.
        slug: Slug::parse(&slug).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        content: NoteContent::from_stored(&kind, row.get(2)?),
        content_html: row.get(4)?,
        content_hash: row.get(5)?,
        name: row.get(6)?,
        properties: serde_json::from_str::<Map<String, Value>>(&properties).unwrap_or_default(),
        published: row.get(8)?,
        published_at: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        deleted_at: row.get(12)?,
    })
}

/// Whether any note, deleted or not, holds `slug`.
pub fn slug_exists(conn: &Connection, slug: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM notes WHERE slug = ?1)")?
        .query_row([slug], |r| r.get(0))
}

/// Stores a new note with a fresh unique slug, in one immediate transaction.
pub fn insert(
    conn: &mut Connection,
    note: &NewNote,
    now: OffsetDateTime,
) -> rusqlite::Result<Note> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = insert_in(&tx, note, now)?;
    tx.commit()?;
    Ok(stored)
}

/// Stores a new note with a fresh unique slug inside the caller's transaction.
pub fn insert_in(conn: &Connection, note: &NewNote, now: OffsetDateTime) -> rusqlite::Result<Note> {
    let base = note.slug_base(now);
    let mut failure = None;
    let slug = Slug::unique(&base, |candidate| match slug_exists(conn, candidate) {
        Ok(taken) => taken,
        Err(e) => {
            failure = Some(e);
            false
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let now_ts = now.unix_timestamp();
    let id = insert_row(
        conn,
        &NoteRow {
            slug: &slug,
            content: &note.content,
            name: note.name.as_deref(),
            properties: &note.properties,
            published: note.published,
            published_at: note.published_at.map_or(now_ts, |t| t.unix_timestamp()),
            created_at: now_ts,
            updated_at: now_ts,
            deleted_at: None,
        },
    )?;
    by_id(conn, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// Every column of a note as it is written; the rendered HTML, its text and the hash come from
/// `content`.
#[derive(Debug)]
pub struct NoteRow<'a> {
    /// The slug, already settled.
    pub slug: &'a Slug,
    /// The body.
    pub content: &'a NoteContent,
    /// Optional title.
    pub name: Option<&'a str>,
    /// Microformats2 properties.
    pub properties: &'a Map<String, Value>,
    /// Visible to the public.
    pub published: bool,
    /// Publication time (Unix seconds).
    pub published_at: i64,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Soft-delete time.
    pub deleted_at: Option<i64>,
}

/// Inserts one note row as given (the caller settles the slug and owns the transaction);
/// returns its id.
pub fn insert_row(conn: &Connection, row: &NoteRow<'_>) -> rusqlite::Result<i64> {
    let html = row.content.render_for(row.slug);
    conn.prepare_cached(
        "INSERT INTO notes (slug, content, content_type, content_html, content_hash, name, \
         properties, published, published_at, created_at, updated_at, deleted_at, \
         content_text, render_version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
    )?
    .query_row(
        params![
            row.slug.as_str(),
            row.content.source(),
            row.content.kind(),
            html,
            row.content.hash(),
            row.name,
            Value::Object(row.properties.clone()).to_string(),
            row.published,
            row.published_at,
            row.created_at,
            row.updated_at,
            row.deleted_at,
            search_text(&html),
            RENDER_VERSION,
        ],
        |r| r.get(0),
    )
}

/// Renders again every note stored under an older [`RENDER_VERSION`] (its HTML and search
/// text), in one transaction; returns how many. Run at start-up, after the migrations.
pub fn rerender_stale(conn: &mut Connection) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut done = 0;
    loop {
        let batch: Vec<(i64, String, String, String)> = tx
            .prepare_cached(
                "SELECT id, slug, content_type, content FROM notes \
                 WHERE render_version < ?1 ORDER BY id LIMIT 100",
            )?
            .query_map([RENDER_VERSION], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if batch.is_empty() {
            break;
        }
        for (id, slug, kind, text) in batch {
            let content = NoteContent::from_stored(&kind, text);
            let html = match Slug::parse(&slug) {
                Ok(slug) => content.render_for(&slug),
                Err(_) => content.render(),
            };
            tx.prepare_cached(
                "UPDATE notes SET content_html = ?2, content_text = ?3, render_version = ?4 \
                 WHERE id = ?1",
            )?
            .execute(params![id, html, search_text(&html), RENDER_VERSION])?;
            done += 1;
        }
    }
    tx.commit()?;
    Ok(done)
}

/// How many notes exist, in every state.
pub fn count_all(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM notes")?
        .query_row([], |r| r.get(0))
}

/// Up to `limit` notes of every state with ids above `after_id`, in id order (for exports).
pub fn after_id(conn: &Connection, after_id: i64, limit: u32) -> rusqlite::Result<Vec<Note>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notes WHERE id > ?1 ORDER BY id LIMIT ?2"
    ))?
    .query_map(params![after_id, limit], from_row)?
    .collect()
}

/// Replaces a note's body and visibility, re-rendering it; the slug is kept.
///
/// A note posted through Micropub keeps its properties in step (`content` in its kind's
/// shape, `post-status`, and no `visibility: private` once published), so `q=source` and later
/// Micropub updates never bring back what the admin form replaced. The caller holds the
/// transaction (or accepts a last-writer-wins edit).
pub fn update(
    conn: &Connection,
    id: i64,
    change: &NoteUpdate,
    now: i64,
) -> rusqlite::Result<Option<Note>> {
    let Some(current) = by_id(conn, id)? else {
        return Ok(None);
    };
    let mut properties = current.properties;
    if properties.contains_key("content") {
        let content = match &change.content {
            NoteContent::Html(html) => serde_json::json!({ "html": html }),
            NoteContent::Markdown(text) => Value::String(text.clone()),
        };
        properties.insert("content".into(), Value::Array(vec![content]));
    }
    if properties.contains_key("post-status") {
        let status = if change.published {
            "published"
        } else {
            "draft"
        };
        properties.insert("post-status".into(), serde_json::json!([status]));
    }
    if change.published {
        properties.remove("visibility");
    }
    let html = change.content.render_for(&current.slug);
    let changed = conn
        .prepare_cached(
            "UPDATE notes SET content = ?2, content_type = ?3, content_html = ?4, \
             content_hash = ?5, published = ?6, updated_at = ?7, properties = ?8, \
             content_text = ?9, render_version = ?10 WHERE id = ?1",
        )?
        .execute(params![
            id,
            change.content.source(),
            change.content.kind(),
            html,
            change.content.hash(),
            change.published,
            now,
            Value::Object(properties).to_string(),
            search_text(&html),
            RENDER_VERSION,
        ])?;
    if changed == 0 {
        return Ok(None);
    }
    by_id(conn, id)
}

/// Rewrites a note from changed Micropub properties: body, title, date, visibility and the
/// properties themselves; the slug is kept.
pub fn rewrite(
    conn: &Connection,
    id: i64,
    note: &NewNote,
    now: i64,
) -> rusqlite::Result<Option<Note>> {
    let Some(current) = by_id(conn, id)? else {
        return Ok(None);
    };
    let html = note.content.render_for(&current.slug);
    let changed = conn
        .prepare_cached(
            "UPDATE notes SET content = ?2, content_type = ?3, content_html = ?4, \
             content_hash = ?5, name = ?6, properties = ?7, published = ?8, \
             published_at = coalesce(?9, published_at), updated_at = ?10, \
             content_text = ?11, render_version = ?12 WHERE id = ?1",
        )?
        .execute(params![
            id,
            note.content.source(),
            note.content.kind(),
            html,
            note.content.hash(),
            note.name,
            Value::Object(note.properties.clone()).to_string(),
            note.published,
            note.published_at.map(OffsetDateTime::unix_timestamp),
            now,
            search_text(&html),
            RENDER_VERSION,
        ])?;
    if changed == 0 {
        return Ok(None);
    }
    by_id(conn, id)
}

/// Categories in use on undeleted notes, distinct and sorted, optionally those starting with
/// `prefix`.
pub fn categories(conn: &Connection, prefix: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT DISTINCT c.value FROM notes, json_each(notes.properties, '$.category') AS c \
         WHERE notes.deleted_at IS NULL AND c.type = 'text' \
         AND substr(c.value, 1, length(?1)) = ?1 ORDER BY c.value LIMIT 1000",
    )?
    .query_map([prefix], |r| r.get(0))?
    .collect()
}

/// Up to `limit` undeleted notes after skipping `offset`, newest first (Micropub's source list).
pub fn newest(conn: &Connection, limit: u32, offset: u32) -> rusqlite::Result<Vec<Note>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notes WHERE deleted_at IS NULL \
         ORDER BY published_at DESC, id DESC LIMIT ?1 OFFSET ?2"
    ))?
    .query_map(params![limit, offset], from_row)?
    .collect()
}

/// Marks a note deleted (`Some(time)`) or restores it (`None`); false if there is no such note.
pub fn set_deleted(
    conn: &Connection,
    id: i64,
    deleted_at: Option<i64>,
    now: i64,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached("UPDATE notes SET deleted_at = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, deleted_at, now])?;
    Ok(changed > 0)
}

/// One note by id, deleted or not.
pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Note>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM notes WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()
}

/// One note by slug, deleted or not.
pub fn by_slug(conn: &Connection, slug: &Slug) -> rusqlite::Result<Option<Note>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM notes WHERE slug = ?1"))?
        .query_row([slug.as_str()], from_row)
        .optional()
}

/// Up to `limit` published, undeleted notes older than `before`, newest first.
pub fn visible_page(
    conn: &Connection,
    before: Option<Cursor>,
    limit: u32,
) -> rusqlite::Result<Vec<Note>> {
    let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.published_at, c.id));
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notes \
         WHERE published = 1 AND deleted_at IS NULL AND (published_at, id) < (?1, ?2) \
         ORDER BY published_at DESC, id DESC LIMIT ?3"
    ))?
    .query_map(params![at, id, limit], from_row)?
    .collect()
}

/// Up to `limit` notes of every state older than `before`, newest first (the admin list).
pub fn all_page(
    conn: &Connection,
    before: Option<Cursor>,
    limit: u32,
) -> rusqlite::Result<Vec<Note>> {
    let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.published_at, c.id));
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notes WHERE (published_at, id) < (?1, ?2) \
         ORDER BY published_at DESC, id DESC LIMIT ?3"
    ))?
    .query_map(params![at, id, limit], from_row)?
    .collect()
}
