//! Notes as the rest of the program sees them.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{NoteContent, Slug};

/// A stored note.
#[derive(Debug, Clone)]
pub struct Note {
    /// Row id (stable; used by the admin).
    pub id: i64,
    /// Permalink segment.
    pub slug: Slug,
    /// Source text and its format.
    pub content: NoteContent,
    /// Sanitised HTML, rendered on write.
    pub content_html: String,
    /// SHA-256 of the source.
    pub content_hash: String,
    /// Optional title (`name`).
    pub name: Option<String>,
    /// Microformats2 properties as given by Micropub (object of arrays), in order.
    pub properties: Map<String, Value>,
    /// Visible to the public (otherwise a draft).
    pub published: bool,
    /// Publication time (Unix seconds); orders the site.
    pub published_at: i64,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last change (Unix seconds).
    pub updated_at: i64,
    /// Soft-delete time; deleted notes answer 410.
    pub deleted_at: Option<i64>,
}

/// A photo attached to a note (`u-photo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// Absolute or site-relative URL.
    pub url: String,
    /// Alternative text (may be empty).
    pub alt: String,
}

impl Note {
    /// Whether the note is soft-deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether visitors may see the note.
    pub fn is_visible(&self) -> bool {
        self.published && !self.is_deleted()
    }

    /// The site path of the note, `notes/{slug}` (no leading slash).
    pub fn path(&self) -> String {
        format!("notes/{}", self.slug)
    }

    /// `category` values that are plain strings, in order.
    pub fn categories(&self) -> Vec<String> {
        values(&self.properties, "category")
            .filter_map(|v| v.as_str().map(str::to_owned))
            .filter(|s| !s.trim().is_empty())
            .collect()
    }

    /// `photo` values: plain URLs or `{"value", "alt"}` objects, in order.
    pub fn photos(&self) -> Vec<Photo> {
        values(&self.properties, "photo")
            .filter_map(|v| match v {
                Value::String(url) => Some(Photo {
                    url: url.clone(),
                    alt: String::new(),
                }),
                Value::Object(o) => Some(Photo {
                    url: o.get("value")?.as_str()?.to_owned(),
                    alt: o
                        .get("alt")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                }),
                _ => None,
            })
            .filter(|p| is_safe_url(&p.url))
            .collect()
    }

    /// The note's microformats2 properties as Micropub's `q=source` returns them: what the
    /// client sent, in order, plus the body, title and draft status of notes written in the
    /// admin (which have no such properties stored).
    pub fn source_properties(&self) -> Map<String, Value> {
        let mut properties = self.properties.clone();
        if !properties.contains_key("content") && !self.content.source().is_empty() {
            let content = match &self.content {
                NoteContent::Markdown(text) => Value::String(text.clone()),
                NoteContent::Html(html) => serde_json::json!({ "html": html }),
            };
            properties.insert("content".into(), Value::Array(vec![content]));
        }
        if let (false, Some(name)) = (properties.contains_key("name"), &self.name) {
            properties.insert(
                "name".into(),
                Value::Array(vec![Value::String(name.clone())]),
            );
        }
        if !self.published && !properties.contains_key("post-status") {
            properties.insert("post-status".into(), serde_json::json!(["draft"]));
        }
        properties
    }

    /// A short plain-text title: the name, or the first words of the content.
    pub fn title(&self) -> String {
        match &self.name {
            Some(name) if !name.trim().is_empty() => name.clone(),
            // From the stored HTML: showing a title never renders the note again.
            _ => super::content::plain_text(&self.content_html, 60),
        }
    }

    /// The keyset cursor that pages past this note.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            published_at: self.published_at,
            id: self.id,
        }
    }
}

fn values<'a>(props: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    props
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Only web URLs and site paths may become `src`/`href` attributes.
fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with('/')
}

/// What a new note is made of; the slug is settled when it is stored.
#[derive(Debug, Clone)]
pub struct NewNote {
    /// The body.
    pub content: NoteContent,
    /// Optional title.
    pub name: Option<String>,
    /// Requested slug, folded by the slug rules.
    pub requested_slug: Option<String>,
    /// Visible to the public.
    pub published: bool,
    /// Publication time; `None` means now.
    pub published_at: Option<OffsetDateTime>,
    /// Microformats2 properties to keep.
    pub properties: Map<String, Value>,
}

impl NewNote {
    /// A note from the admin form: Markdown, optional slug, published or draft.
    pub fn from_markdown(
        content: NoteContent,
        requested_slug: Option<String>,
        published: bool,
    ) -> Self {
        NewNote {
            content,
            name: None,
            requested_slug: requested_slug.filter(|s| !s.trim().is_empty()),
            published,
            published_at: None,
            properties: Map::new(),
        }
    }
}

/// A change to an existing note's body and visibility; its slug never changes.
#[derive(Debug, Clone)]
pub struct NoteUpdate {
    /// The new body.
    pub content: NoteContent,
    /// Visible to the public.
    pub published: bool,
}

/// A keyset position in the listing: notes strictly older than `(published_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Publication time of the last note shown.
    pub published_at: i64,
    /// Its id, breaking ties.
    pub id: i64,
}

impl Cursor {
    /// Parses the `?before=` value `published_at-id`.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (at, id) = s.rsplit_once('-')?;
        let cursor = Cursor {
            published_at: at.parse().ok()?,
            id: id.parse().ok()?,
        };
        (cursor.id > 0).then_some(cursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.published_at, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            published_at: 1_700_000_000,
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        let old = Cursor {
            published_at: -5,
            id: 3,
        };
        assert_eq!(Cursor::parse(&old.to_string()), Some(old), "before 1970");
        for bad in ["", "x", "1-", "-1", "1-x", "1-0", "1.5-2"] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
    }
}
