//! Syndication feeds of the published notes: RSS 2.0, Atom 1.0 and JSON Feed 1.1, the OPML list
//! that names them, and the `Accept` negotiation that picks one.
//!
//! Every writer is a pure function of a [`FeedInput`]: the caller loads the notes (newest first,
//! published, not deleted) and caches the result. XML is written with quick-xml events, so every
//! text node and attribute is escaped by the writer, never by hand.

pub mod atom;
pub mod cache;
pub mod json;
pub mod negotiate;
pub mod opml;
pub mod photos;
pub mod rss;

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::config::SiteConfig;
use crate::domain::Note;
use crate::domain::media::MediaInfo;

pub use negotiate::{NotAcceptable, choose};

/// What every feed is made of.
#[derive(Debug, Clone, Copy)]
pub struct FeedInput<'a> {
    /// The site's identity and canonical URL.
    pub site: &'a SiteConfig,
    /// The notes to list: newest first, published and not deleted.
    pub notes: &'a [Note],
    /// Type and size of the uploads named by [`photos::upload_names`] (those not found are
    /// simply missing).
    pub media: &'a [MediaInfo],
    /// The feed's last change (Unix seconds).
    pub updated: i64,
}

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RSS 2.0 (`feed.rss`).
    Rss,
    /// Atom 1.0, RFC 4287 (`feed.atom`).
    Atom,
    /// JSON Feed 1.1 (`feed.json`).
    Json,
}

impl Format {
    /// The `Content-Type` of a feed in this format.
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The site path of the feed (no leading slash).
    pub fn path(&self) -> &'static str {
        match self {
            Format::Rss => "feed.rss",
            Format::Atom => "feed.atom",
            Format::Json => "feed.json",
        }
    }
}

/// Renders the feed in the given format.
pub fn render(format: Format, input: &FeedInput) -> String {
    match format {
        Format::Rss => rss::rss(input),
        Format::Atom => atom::atom(input),
        Format::Json => json::json(input),
    }
}

/// The name shown as the feed's author: `SITE_AUTHOR`, or the site name when that is empty.
fn author_name(site: &SiteConfig) -> &str {
    match site.author.trim() {
        "" => &site.name,
        author => author,
    }
}

/// The note's own title (`name`), if it has one: an untitled note gets no title in RSS and an
/// empty one in Atom, never one made from its text (a reader would show the text twice).
fn explicit_title(note: &Note) -> Option<&str> {
    note.name.as_deref().filter(|n| !n.trim().is_empty())
}

/// Unix seconds as RFC 3339 in UTC (Atom and JSON Feed dates).
fn rfc3339(ts: i64) -> String {
    crate::views::rfc3339(ts)
}

/// Unix seconds as RFC 2822 in UTC (RSS dates), e.g. `Tue, 14 Nov 2023 22:13:20 +0000`.
fn rfc2822(ts: i64) -> String {
    // RFC 822 dates cannot carry years before 1900: clamp rather than emit an empty date.
    const YEAR_1900: i64 = -2_208_988_800;
    OffsetDateTime::from_unix_timestamp(ts.max(YEAR_1900))
        .ok()
        .and_then(|t| t.format(&Rfc2822).ok())
        .unwrap_or_default()
}

/// Drops the characters XML 1.0 cannot carry even escaped: C0 controls other than tab, line
/// feed and carriage return, and U+FFFE/U+FFFF. A stray one would make the whole feed unreadable.
fn xml_chars(s: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if s.chars().all(allowed) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| allowed(c)).collect())
    }
}

/// Escaped XML text for `s`.
fn text(s: &str) -> BytesText<'static> {
    BytesText::new(&xml_chars(s)).into_owned()
}

/// Writes `<name>text</name>`.
fn text_element(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(text(value))?;
    Ok(())
}

/// An XML document: the declaration, then whatever `body` writes.
fn xml_document(body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .and_then(|()| body(&mut w));
    match written {
        // Writing into a Vec cannot fail, and quick-xml writes only the UTF-8 it is given.
        Ok(()) => String::from_utf8_lossy(&w.into_inner()).into_owned(),
        Err(e) => {
            log::error!("writing a feed failed: {e}");
            String::new()
        }
    }
}

/// Sample notes shared by the tests of every feed format.
#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::json;

    use crate::config::SiteConfig;
    use crate::domain::{Note, NoteContent, Slug};

    /// A site whose name needs escaping, under a sub-path.
    pub fn site() -> SiteConfig {
        SiteConfig {
            url: url::Url::parse("https://example.com/blog/").unwrap(),
            name: "Star & Punk <notes>".into(),
            author: "Ada".into(),
            description: String::new(),
            language: "en".into(),
        }
    }

    fn note(
        id: i64,
        slug: &str,
        name: Option<&str>,
        md: &str,
        props: serde_json::Value,
        at: i64,
    ) -> Note {
        let content = NoteContent::markdown(md).unwrap();
        Note {
            id,
            slug: Slug::parse(slug).unwrap(),
            content_html: content.render(),
            content_hash: content.hash(),
            content,
            name: name.map(str::to_owned),
            properties: props.as_object().cloned().unwrap_or_default(),
            published: true,
            published_at: at,
            created_at: at,
            updated_at: at + 60,
            deleted_at: None,
        }
    }

    /// One element of a parsed XML document.
    #[derive(Debug, PartialEq)]
    pub struct Element {
        /// Slash-joined names from the root, e.g. `rss/channel/title`.
        pub path: String,
        /// Attributes, unescaped, in document order.
        pub attrs: Vec<(String, String)>,
        /// Its own text, unescaped.
        pub text: String,
    }

    impl Element {
        /// The value of attribute `name`.
        pub fn attr(&self, name: &str) -> Option<&str> {
            let found = self.attrs.iter().find(|(k, _)| k == name);
            found.map(|(_, v)| v.as_str())
        }
    }

    /// Every element of an XML document, in document order, read with quick-xml.
    pub fn elements(xml: &str) -> Vec<Element> {
        use quick_xml::XmlVersion::Implicit1_0;
        use quick_xml::escape::resolve_predefined_entity;
        use quick_xml::events::{BytesStart, Event};
        let element = |stack: &[String], e: &BytesStart| Element {
            path: stack.join("/"),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    let value = a.normalized_value(Implicit1_0).unwrap().into_owned();
                    (a.key.as_ref().to_owned(), value)
                })
                .collect(),
            text: String::new(),
        };
        let mut reader = quick_xml::Reader::from_str(xml);
        let (mut stack, mut open, mut out) = (Vec::new(), Vec::<usize>::new(), Vec::new());
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => {
                    stack.push(e.name().as_ref().to_owned());
                    open.push(out.len());
                    out.push(element(&stack, &e));
                }
                Event::Empty(e) => {
                    stack.push(e.name().as_ref().to_owned());
                    out.push(element(&stack, &e));
                    stack.pop();
                }
                Event::Text(t) => {
                    let text = t.xml_content(Implicit1_0);
                    if let Some(&i) = open.last() {
                        out[i].text.push_str(&text);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&r).unwrap().to_owned(),
                    };
                    if let Some(&i) = open.last() {
                        out[i].text.push_str(&resolved);
                    }
                }
                Event::End(_) => {
                    stack.pop();
                    open.pop();
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    /// How many elements have this path.
    pub fn count(elements: &[Element], path: &str) -> usize {
        elements.iter().filter(|e| e.path == path).count()
    }

    /// Three notes, newest first: named with nasty text, unnamed RTL, named with code.
    pub fn notes() -> Vec<Note> {
        vec![
            note(
                3,
                "nasty",
                Some("Tom & Jerry <3 ]]> 🎉"),
                "Hello **world** & <b>bold</b> a < b ]]> done 🎉🦀",
                json!({"category": ["rust", "web"],
                       "photo": [{"value": "https://example.com/a.jpg", "alt": "A"}]}),
                1_700_000_300,
            ),
            note(
                2,
                "rtl",
                None,
                "مرحبا بالعالم — שלום עולם & \"quotes\" 'apos'",
                json!({}),
                1_700_000_200,
            ),
            note(
                1,
                "code",
                Some("Plain"),
                "Code: `a < b && c > d` and [x](https://example.com/?a=1&b=2)",
                json!({"category": ["code"]}),
                1_700_000_100,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_name_their_content_types_and_paths() {
        assert_eq!(
            Format::Json.content_type(),
            "application/feed+json; charset=utf-8"
        );
        assert_eq!(Format::Atom.path(), "feed.atom");
        let site = fixtures::site();
        let input = FeedInput {
            site: &site,
            notes: &[],
            media: &[],
            updated: 0,
        };
        assert!(render(Format::Rss, &input).contains("<rss"));
        assert!(render(Format::Atom, &input).contains("<feed"));
        assert!(render(Format::Json, &input).starts_with('{'));
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        assert_eq!(xml_chars("a\u{1}b\u{FFFF}c\t🦀"), "abc\t🦀");
        assert!(matches!(xml_chars("plain"), Cow::Borrowed(_)));
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
    }
}
