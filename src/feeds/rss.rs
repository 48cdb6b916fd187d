//! RSS 2.0, with an `atom:link rel="self"` and the full HTML in `content:encoded`.
//!
//! HTML goes in as escaped text rather than CDATA: a note containing `]]>` would end a CDATA
//! section early, escaped text has no such hole.
//!
//! An untitled note's item has no `<title>` (RSS 2.0 needs a title *or* a description; readers
//! then show the description, as for any microblog). A note's first photo is a Media RSS
//! `media:content` (which needs no size) and, when it was uploaded here and so its size is
//! known, also an `enclosure` (whose `length` RSS requires).

use std::io;

use quick_xml::Writer;

use super::photos::{self, Lead};
use quick_xml::events::BytesText;

use super::{
    FeedInput, Format, explicit_title, rfc2822, text, text_element, xml_chars, xml_document,
};
use crate::domain::Note;

/// The Media RSS namespace (`media:content`).
const MEDIA_RSS: &str = "http://search.yahoo.com/mrss/";

/// The RSS 2.0 document for `input`.
pub fn rss(input: &FeedInput) -> String {
    xml_document(|w| {
        w.create_element("rss")
            .with_attributes([
                ("version", "2.0"),
                ("xmlns:atom", "http://www.w3.org/2005/Atom"),
                ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
                ("xmlns:media", MEDIA_RSS),
            ])
            .write_inner_content(|w| {
                w.create_element("channel")
                    .write_inner_content(|w| channel(w, input))?;
                Ok(())
            })?;
        Ok(())
    })
}

/// Plain text as the RSS Best Practices Profile asks: `&`, `<` and `>` as hexadecimal character
/// references (`&#x26;`, `&#x3C;`, `&#x3E;`), which no reader can take for HTML markup or an
/// HTML entity, where `&amp;` and `&lt;` leave readers guessing whether the text is HTML.
fn plain(s: &str) -> BytesText<'static> {
    let mut escaped = String::with_capacity(s.len());
    for c in xml_chars(s).chars() {
        match c {
            '&' => escaped.push_str("&#x26;"),
            '<' => escaped.push_str("&#x3C;"),
            '>' => escaped.push_str("&#x3E;"),
            c => escaped.push(c),
        }
    }
    BytesText::from_escaped(escaped)
}

/// Writes `<name>text</name>` with [`plain`] text.
fn plain_element(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(plain(value))?;
    Ok(())
}

fn channel(w: &mut Writer<Vec<u8>>, input: &FeedInput) -> io::Result<()> {
    let site = input.site;
    let description = match site.description.trim() {
        "" => site.name.as_str(),
        d => d,
    };
    plain_element(w, "title", &site.name)?;
    text_element(w, "link", site.url.as_str())?;
    plain_element(w, "description", description)?;
    text_element(w, "language", &site.language)?;
    text_element(w, "lastBuildDate", &rfc2822(input.updated))?;
    let self_url = site.absolute(Format::Rss.path());
    w.create_element("atom:link")
        .with_attributes([
            ("href", self_url.as_str()),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ])
        .write_empty()?;
    for note in input.notes {
        w.create_element("item")
            .write_inner_content(|w| item(w, input, note))?;
    }
    Ok(())
}

fn item(w: &mut Writer<Vec<u8>>, input: &FeedInput, note: &Note) -> io::Result<()> {
    let permalink = input.site.absolute(&note.path());
    if let Some(title) = explicit_title(note) {
        plain_element(w, "title", title)?;
    }
    text_element(w, "link", &permalink)?;
    w.create_element("guid")
        .with_attribute(("isPermaLink", "true"))
        .write_text_content(text(&permalink))?;
    text_element(w, "pubDate", &rfc2822(note.published_at))?;
    // Footnote and site links made absolute: a reader resolves them against the feed.
    let html = photos::feed_body(input.site, note);
    text_element(w, "description", &html)?;
    text_element(w, "content:encoded", &html)?;
    for category in note.categories() {
        plain_element(w, "category", &category)?;
    }
    if let Some(lead) = photos::lead(input, note) {
        enclosure(w, &lead)?;
    }
    Ok(())
}

/// The first photo: `enclosure` when its size is known, and always `media:content`.
fn enclosure(w: &mut Writer<Vec<u8>>, lead: &Lead) -> io::Result<()> {
    let length = lead.upload.map(|m| m.size.to_string());
    if let (Some(upload), Some(length)) = (lead.upload, &length) {
        w.create_element("enclosure")
            .with_attributes([
                ("url", lead.url.as_str()),
                ("length", length.as_str()),
                ("type", upload.content_type.as_str()),
            ])
            .write_empty()?;
    }
    let mut content = w
        .create_element("media:content")
        .with_attributes([("url", lead.url.as_str()), ("medium", "image")]);
    if let (Some(upload), Some(length)) = (lead.upload, &length) {
        content = content.with_attributes([
            ("type", upload.content_type.as_str()),
            ("fileSize", length.as_str()),
        ]);
    }
    if lead.alt.trim().is_empty() {
        content.write_empty()?;
    } else {
        content.write_inner_content(|w| {
            w.create_element("media:description")
                .with_attribute(("type", "plain"))
                .write_text_content(plain(&lead.alt))?;
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::fixtures;

    fn parsed() -> (String, feed_rs::model::Feed) {
        let site = fixtures::site();
        let notes = fixtures::notes();
        let xml = rss(&FeedInput {
            site: &site,
            notes: &notes,
            media: &[],
            updated: 1_700_000_400,
        });
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("a valid RSS feed");
        (xml, feed)
    }

    #[test]
    fn rss_round_trips_titles_links_dates_order_and_content() {
        let (_, feed) = parsed();
        let (site, notes) = (fixtures::site(), fixtures::notes());
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::RSS2);
        assert_eq!(feed.title.unwrap().content, "Star & Punk <notes>");
        assert_eq!(feed.description.unwrap().content, "Star & Punk <notes>");
        assert_eq!(feed.updated.unwrap().timestamp(), 1_700_000_400);
        assert_eq!(feed.entries.len(), 3);
        for (entry, note) in feed.entries.iter().zip(&notes) {
            let permalink = format!("https://example.com/blog/notes/{}", note.slug);
            assert_eq!(entry.id, permalink);
            assert_eq!(entry.links[0].href, permalink);
            let title = entry.title.as_ref().map(|t| t.content.as_str());
            assert_eq!(title, note.name.as_deref());
            assert_eq!(entry.published.unwrap().timestamp(), note.published_at);
            let html = photos::feed_body(&site, note);
            let body = entry.content.as_ref().and_then(|c| c.body.as_deref());
            assert_eq!(body, Some(html.as_str()));
            // feed-rs trims the ends of `description` text.
            assert_eq!(entry.summary.as_ref().unwrap().content, html.trim());
            let terms: Vec<_> = entry.categories.iter().map(|c| c.term.as_str()).collect();
            assert_eq!(terms, note.categories());
        }
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "Tom & Jerry <3 ]]> 🎉"
        );
    }

    #[test]
    fn rss_has_its_required_elements_and_self_link() {
        let (xml, _) = parsed();
        let elements = fixtures::elements(&xml);
        assert_eq!(elements[0].path, "rss");
        assert_eq!(elements[0].attr("version"), Some("2.0"));
        assert_eq!(
            elements[0].attr("xmlns:atom"),
            Some("http://www.w3.org/2005/Atom")
        );
        let content_ns = "http://purl.org/rss/1.0/modules/content/";
        assert_eq!(elements[0].attr("xmlns:content"), Some(content_ns));
        for required in ["title", "link", "description", "lastBuildDate", "atom:link"] {
            let path = format!("rss/channel/{required}");
            assert_eq!(fixtures::count(&elements, &path), 1, "{path}");
        }
        for required in ["link", "guid", "pubDate", "description", "content:encoded"] {
            let path = format!("rss/channel/item/{required}");
            assert_eq!(fixtures::count(&elements, &path), 3, "{path}");
        }
        // The untitled note has a description and no title.
        assert_eq!(fixtures::count(&elements, "rss/channel/item/title"), 2);
        assert_eq!(fixtures::count(&elements, "rss/channel/language"), 1);
        let texts = |path: &str| -> Vec<&str> {
            let found = elements.iter().filter(|e| e.path == path);
            found.map(|e| e.text.as_str()).collect()
        };
        let (site, notes) = (fixtures::site(), fixtures::notes());
        let html: Vec<_> = notes.iter().map(|n| photos::feed_body(&site, n)).collect();
        assert_eq!(texts("rss/channel/item/content:encoded"), html);
        assert_eq!(texts("rss/channel/item/description"), html);
        let guids = elements
            .iter()
            .filter(|e| e.path == "rss/channel/item/guid");
        assert!(
            guids
                .into_iter()
                .all(|e| e.attr("isPermaLink") == Some("true"))
        );
        assert!(xml.contains(
            r#"<atom:link href="https://example.com/blog/feed.rss" rel="self" type="application/rss+xml"/>"#
        ));
        assert!(!xml.contains("CDATA") && !xml.contains("]]>"));
    }
}
