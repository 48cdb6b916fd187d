//! `starpunk export DIR` and `starpunk import DIR`: notes as Markdown files with TOML front
//! matter (`+++` … `+++`), one file per note, named after its slug; uploaded media as files in
//! `DIR/media/` under their public names (the notes' `photo` URLs point at them).
//!
//! Import is idempotent by slug (a slug already present is left alone), checks every file fully
//! before writing it, stores notes in batches of [`IMPORT_BATCH`] per transaction with a
//! savepoint for each (so nothing is half-imported) and reports malformed files with their path
//! instead of stopping.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::db::{media, notes};
use crate::domain::media::is_media_name;
use crate::domain::photo;
use crate::domain::{Note, NoteContent, Slug};
use crate::views::rfc3339;

/// The front matter of an exported note.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The permalink slug.
    pub slug: String,
    /// Optional title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `markdown` or `html`.
    #[serde(default = "markdown")]
    pub content_type: String,
    /// Visible to the public.
    pub published: bool,
    /// RFC 3339.
    pub published_at: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339, when deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Categories (also inside `properties`; shown here for people reading the file).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Photo URLs (also inside `properties`).
    #[serde(default)]
    pub photos: Vec<String>,
    /// Every microformats2 property, as JSON text (the source of truth on import).
    #[serde(default = "empty_object")]
    pub properties: String,
}

fn markdown() -> String {
    "markdown".to_owned()
}

fn empty_object() -> String {
    "{}".to_owned()
}

fn parse_time(field: &str, value: &str) -> Result<i64, String> {
    let time = OffsetDateTime::parse(value, &Rfc3339)
        .map_err(|e| format!("{field} {value:?} is not an RFC 3339 time: {e}"))?;
    // Feeds (RFC 822 dates) cannot express years before 1900.
    if !(1900..=9999).contains(&time.year()) {
        return Err(format!("{field} {value:?} is outside the years 1900–9999"));
    }
    Ok(time.unix_timestamp())
}

/// The file text for a note.
pub fn to_file(note: &Note) -> Result<String, String> {
    let front = FrontMatter {
        slug: note.slug.to_string(),
        name: note.name.clone(),
        content_type: note.content.kind().to_owned(),
        published: note.published,
        published_at: rfc3339(note.published_at),
        created_at: rfc3339(note.created_at),
        updated_at: rfc3339(note.updated_at),
        deleted_at: note.deleted_at.map(rfc3339),
        categories: note.categories(),
        photos: note.photos().into_iter().map(|p| p.url).collect(),
        properties: Value::Object(note.properties.clone()).to_string(),
    };
    let toml = toml::to_string(&front).map_err(|e| e.to_string())?;
    Ok(format!("+++\n{toml}+++\n{}", note.content.source()))
}

/// A note read back from a file, checked and ready to store.
#[derive(Debug)]
pub struct Imported {
    slug: Slug,
    name: Option<String>,
    content: NoteContent,
    published: bool,
    published_at: i64,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
    properties: Map<String, Value>,
}

/// Parses and checks a file's text.
pub fn from_file(text: &str) -> Result<Imported, String> {
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or("the file does not start with a +++ front matter line")?;
    // The closing fence is the first `+++` line after which the front matter parses: a
    // multi-line string value may itself hold a `+++` line.
    let mut first_error = None;
    let mut parsed = None;
    for (i, _) in rest.match_indices("\n+++") {
        let after = &rest[i + 4..];
        let body_start = if after.starts_with('\n') {
            i + 5
        } else if after.starts_with("\r\n") {
            i + 6
        } else if after.is_empty() {
            i + 4
        } else {
            continue;
        };
        match toml::from_str::<FrontMatter>(&rest[..i + 1]) {
            Ok(front) => {
                parsed = Some((front, &rest[body_start..]));
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let (front, body) = match (parsed, first_error) {
        (Some(found), _) => found,
        (None, Some(e)) => return Err(format!("front matter: {e}")),
        (None, None) => return Err("the front matter has no closing +++ line".to_owned()),
    };
    let slug = Slug::parse(&front.slug).map_err(|e| format!("slug {:?}: {e}", front.slug))?;
    let content = match front.content_type.as_str() {
        "markdown" => NoteContent::markdown(body),
        "html" => NoteContent::html(body),
        other => return Err(format!("content_type {other:?} is not markdown or html")),
    }
    .map_err(|e| e.to_string())?;
    let properties = match serde_json::from_str::<Value>(&front.properties) {
        Ok(Value::Object(map)) => map,
        _ => return Err("properties is not a JSON object".to_owned()),
    };
    Ok(Imported {
        slug,
        name: front.name.filter(|n| !n.trim().is_empty()),
        content,
        published: front.published,
        published_at: parse_time("published_at", &front.published_at)?,
        created_at: parse_time("created_at", &front.created_at)?,
        updated_at: parse_time("updated_at", &front.updated_at)?,
        deleted_at: front
            .deleted_at
            .map(|d| parse_time("deleted_at", &d))
            .transpose()?,
        properties,
    })
}

/// What an export or import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Notes written or stored.
    pub done: usize,
    /// Notes already present (import) — left alone.
    pub present: usize,
    /// Files skipped, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Media files written (export) or stored (import).
    pub media: usize,
}

/// Writes every note (every state) into `dir` as `{slug}.md`.
pub fn export(
    conn: &Connection,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summary, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let total = notes::count_all(conn).map_err(|e| e.to_string())?;
    let total = usize::try_from(total).unwrap_or(0);
    let mut summary = Summary::default();
    let mut last_id = 0;
    loop {
        let page = notes::after_id(conn, last_id, 500).map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        last_id = last.id;
        for note in &page {
            let path = dir.join(format!("{}.md", note.slug));
            let text = to_file(note)?;
            // An export is a backup: prove each file reads back before calling it done.
            from_file(&text)
                .map_err(|e| format!("note {} would not import back: {e}", note.slug))?;
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            summary.done += 1;
            progress(summary.done, total);
        }
    }
    let names = media::names(conn).map_err(|e| e.to_string())?;
    if !names.is_empty() {
        let media_dir = dir.join("media");
        std::fs::create_dir_all(&media_dir)
            .map_err(|e| format!("cannot create {}: {e}", media_dir.display()))?;
        for name in names {
            let Some(file) = media::by_name(conn, &name).map_err(|e| e.to_string())? else {
                continue;
            };
            let path = media_dir.join(&file.name);
            std::fs::write(&path, &file.data)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            summary.media += 1;
        }
    }
    sync_file_system(dir)?;
    Ok(summary)
}

/// Flushes everything written on `dir`'s file system to disk, so that "exported" means on disk
/// (one `syncfs` instead of an fsync per file).
fn sync_file_system(dir: &Path) -> Result<(), String> {
    let handle =
        std::fs::File::open(dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `handle` is an open file descriptor for the whole call.
        if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(format!("cannot flush {} to disk: {e}", dir.display()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    handle
        .sync_all()
        .map_err(|e| format!("cannot flush {} to disk: {e}", dir.display()))?;
    Ok(())
}

/// Reads `dir/media/*` into the media table: names must be ours and contents images of the
/// type their extension says; a name already present is left alone.
fn import_media(conn: &Connection, dir: &Path, summary: &mut Summary) -> Result<(), String> {
    let media_dir = dir.join("media");
    if !media_dir.is_dir() {
        return Ok(());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&media_dir)
        .map_err(|e| format!("cannot read {}: {e}", media_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !is_media_name(&name) {
            summary.skipped.push((
                path,
                "not a starpunk media name (32 hex digits and an image extension)".into(),
            ));
            continue;
        }
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) => {
                summary.skipped.push((path, format!("cannot read: {e}")));
                continue;
            }
        };
        // Imported files are cleaned like uploads: no metadata, the right way up.
        let clean = match photo::sanitize(&data, photo::Limits::default()) {
            Ok(clean) if name.ends_with(&format!(".{}", clean.extension)) => clean,
            Ok(_) => {
                summary.skipped.push((
                    path,
                    "the content is not an image of the type its name says".into(),
                ));
                continue;
            }
            Err(e) => {
                summary.skipped.push((path, e.to_string()));
                continue;
            }
        };
        if media::by_name(conn, &name)
            .map_err(|e| e.to_string())?
            .is_some()
        {
            continue;
        }
        let file = media::Media::new(name, clean);
        media::insert(conn, &file, now).map_err(|e| e.to_string())?;
        summary.media += 1;
    }
    Ok(())
}

/// Notes stored per transaction by [`import`]: one fsync per batch instead of one per note.
pub const IMPORT_BATCH: usize = 1000;

/// Reads every `*.md` file of `dir` (sorted by name) into the database.
///
/// Notes are committed [`IMPORT_BATCH`] at a time, each inside its own savepoint, so a note the
/// database refuses is reported and skipped without touching the others. A batch that cannot be
/// committed (a full disk) stops the import with an error naming it: earlier batches are stored,
/// and running the import again skips them.
pub fn import(
    conn: &mut Connection,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summary, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
        .collect();
    files.sort();
    let mut summary = Summary::default();
    let total = files.len();
    for (batch_index, batch) in files.chunks(IMPORT_BATCH).enumerate() {
        let first = batch_index * IMPORT_BATCH;
        let mut tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| format!("cannot start a transaction: {e}"))?;
        let mut stored = 0;
        for (offset, path) in batch.iter().enumerate() {
            progress(first + offset + 1, total);
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|text| from_file(&text));
            let note = match parsed {
                Ok(note) => note,
                Err(reason) => {
                    summary.skipped.push((path.clone(), reason));
                    continue;
                }
            };
            match store(&mut tx, &note) {
                Ok(true) => stored += 1,
                Ok(false) => summary.present += 1,
                Err(e) => summary
                    .skipped
                    .push((path.clone(), format!("database: {e}"))),
            }
        }
        tx.commit().map_err(|e| {
            format!(
                "files {}–{} could not be stored ({e}); nothing of them was kept, the {} \
                 notes before them were; run the import again once this is fixed",
                first + 1,
                first + batch.len(),
                summary.done
            )
        })?;
        summary.done += stored;
    }
    import_media(conn, dir, &mut summary)?;
    Ok(summary)
}

/// Stores one imported note inside its own savepoint of `tx`; `false` when its slug already
/// exists. A failure rolls back this note only.
fn store(tx: &mut rusqlite::Transaction<'_>, note: &Imported) -> rusqlite::Result<bool> {
    let sp = tx.savepoint()?;
    if notes::slug_exists(&sp, note.slug.as_str())? {
        return Ok(false);
    }
    notes::insert_row(
        &sp,
        &notes::NoteRow {
            slug: &note.slug,
            content: &note.content,
            name: note.name.as_deref(),
            properties: &note.properties,
            published: note.published,
            published_at: note.published_at,
            created_at: note.created_at,
            updated_at: note.updated_at,
            deleted_at: note.deleted_at,
        },
    )?;
    sp.commit()?;
    Ok(true)
}
