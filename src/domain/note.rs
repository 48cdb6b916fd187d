//! Notes as the rest of the program sees them.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::html::{self, Footnotes};
use super::{NoteContent, Slug};

/// Longest title made from a note's first words, in characters.
pub const TITLE_CHARS: usize = 60;

/// Longest title taken from the heading a note opens with, in characters.
pub const HEADING_CHARS: usize = 100;

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

    /// A short plain-text title, for the browser tab, the admin list, search results and
    /// feeds: the name; else the heading the note opens with; else its first words (cut at a
    /// word, or inside a long first word such as a pasted URL, never to a bare `…`).
    pub fn title(&self) -> String {
        let name = self.name.as_deref().unwrap_or_default();
        if !name.trim().is_empty() {
            return name.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        // From the stored HTML: showing a title never renders the note again.
        match html::leading_heading(&self.content_html) {
            Some(heading) => html::cut(&heading, HEADING_CHARS),
            None => self.summary(TITLE_CHARS),
        }
    }

    /// The note's text as a reader sees it (no markup, no footnotes), cut at a word near
    /// `max_chars`.
    pub fn summary(&self, max_chars: usize) -> String {
        super::content::plain_text(&self.content_html, max_chars)
    }

    /// The note's HTML for a document read away from the site (a feed): every relative link,
    /// footnotes' included, made absolute against the note's `permalink`.
    pub fn absolute_html(&self, permalink: &str) -> String {
        match url::Url::parse(permalink) {
            Ok(base) => super::content::absolute_links(&self.content_html, &base),
            Err(_) => self.content_html.clone(),
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
    /// The base of the note's slug (see [`Slug::base`]): the requested slug, else the title
    /// (its `name`, or the heading its content opens with), else the first words of its text
    /// as a reader sees it — never Markdown syntax or footnotes.
    pub fn slug_base(&self, created: OffsetDateTime) -> String {
        let rendered = self.content.render();
        let title = match self.name.as_deref() {
            Some(name) if !name.trim().is_empty() => Some(name.to_owned()),
            _ => html::leading_heading(&rendered),
        };
        let text = html::text(&rendered, Footnotes::Drop, 1_000);
        Slug::base(
            self.requested_slug.as_deref(),
            title.as_deref(),
            &text,
            created,
        )
    }

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

    fn note(name: Option<&str>, md: &str) -> Note {
        let content = NoteContent::markdown(md).unwrap();
        let slug = Slug::parse("a-note").unwrap();
        Note {
            id: 1,
            content_html: content.render_for(&slug),
            content_hash: content.hash(),
            slug,
            content,
            name: name.map(str::to_owned),
            properties: Map::new(),
            published: true,
            published_at: 0,
            created_at: 0,
            updated_at: 0,
            deleted_at: None,
        }
    }

    fn new_note(name: Option<&str>, md: &str) -> NewNote {
        NewNote {
            name: name.map(str::to_owned),
            ..NewNote::from_markdown(NoteContent::markdown(md).unwrap(), None, true)
        }
    }

    /// Issue 14: a pasted URL up front titled the note `…`; text from HTML read
    /// `harbour , with` and `Footnote here 1 . 1 the note`.
    #[test]
    fn titles_are_the_words_a_reader_sees() {
        let url = "https://example.com/notes/2026/11/23/the-long-road-to-a-lighthouse/";
        let title = note(None, &format!("{url} is worth reading")).title();
        assert_eq!(title.chars().count(), TITLE_CHARS);
        assert!(
            title.starts_with("https://example.com/notes/2026/"),
            "{title}"
        );
        assert_eq!(
            note(None, "We sailed into the **harbour**, with the tide.").title(),
            "We sailed into the harbour, with the tide."
        );
        assert_eq!(
            note(None, "Footnote here[^1].\n\n[^1]: the note.").title(),
            "Footnote here."
        );
        assert_eq!(
            note(None, "# Trip to the lighthouse\nA short walk").title(),
            "Trip to the lighthouse"
        );
        assert_eq!(
            note(Some("  A  name\n"), "# Heading").title(),
            "A name",
            "a name comes first"
        );
        assert_eq!(
            note(None, "Hello\nWorld again").title(),
            "Hello World again"
        );
    }

    #[test]
    fn summaries_leave_markup_and_footnotes_out() {
        let n = note(
            None,
            "# Trip\n\nPast the **harbour**[^1], [on foot](https://e.com).\n\n[^1]: x",
        );
        assert_eq!(n.summary(100), "Trip Past the harbour, on foot.");
        assert_eq!(n.summary(12), "Trip Past…");
    }

    /// Issue 14: slugs from the Markdown source glued lines (`trip-to-the-lighthousea-short`)
    /// and carried footnotes (`footnote-here-1-1-the`).
    #[test]
    fn slugs_come_from_the_title_or_the_text_a_reader_sees() {
        let at = time::macros::datetime!(2026-11-23 09:05:07 UTC);
        let base = |name: Option<&str>, md: &str| new_note(name, md).slug_base(at);
        assert_eq!(base(None, "Hello\nWorld again"), "hello-world-again");
        assert_eq!(
            base(None, "# Trip to the lighthouse\nA short walk"),
            "trip-to-the-lighthouse"
        );
        assert_eq!(
            base(None, "Footnote here[^1] and more words.\n\n[^1]: the note."),
            "footnote-here-and-more-words"
        );
        assert_eq!(base(Some("My Trip"), "Body words"), "my-trip");
        assert_eq!(
            base(None, "[the harbour](https://e.com/x) at **dawn**"),
            "the-harbour-at-dawn"
        );
    }

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
