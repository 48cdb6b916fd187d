//! Atom 1.0 (RFC 4287). Entry ids are the permalinks, which never change when a note is edited.
//!
//! RFC 4287 requires an `atom:title` in every entry: an untitled note's is empty, so readers
//! show its content rather than the content twice. A note's first photo is also a
//! `link rel="enclosure"` (its `length` and `type` are optional in Atom: given for uploads).

use std::io;

use quick_xml::Writer;

use super::photos::{self, Lead};
use super::{
    FeedInput, Format, author_name, explicit_title, rfc3339, text, text_element, xml_chars,
    xml_document,
};
use crate::domain::Note;

/// The Atom 1.0 document for `input`.
pub fn atom(input: &FeedInput) -> String {
    xml_document(|w| {
        w.create_element("feed")
            .with_attributes([
                ("xmlns", "http://www.w3.org/2005/Atom"),
                ("xml:lang", input.site.language.as_str()),
            ])
            .write_inner_content(|w| feed(w, input))?;
        Ok(())
    })
}

fn feed(w: &mut Writer<Vec<u8>>, input: &FeedInput) -> io::Result<()> {
    let site = input.site;
    text_element(w, "id", site.url.as_str())?;
    text_element(w, "title", &site.name)?;
    if !site.description.trim().is_empty() {
        text_element(w, "subtitle", &site.description)?;
    }
    text_element(w, "updated", &rfc3339(input.updated))?;
    w.create_element("author")
        .write_inner_content(|w| text_element(w, "name", author_name(site)))?;
    let self_url = site.absolute(Format::Atom.path());
    link(w, "self", &self_url, "application/atom+xml")?;
    link(w, "alternate", site.url.as_str(), "text/html")?;
    for note in input.notes {
        w.create_element("entry")
            .write_inner_content(|w| entry(w, input, note))?;
    }
    Ok(())
}

fn link(w: &mut Writer<Vec<u8>>, rel: &str, href: &str, media_type: &str) -> io::Result<()> {
    w.create_element("link")
        .with_attributes([("rel", rel), ("type", media_type), ("href", href)])
        .write_empty()?;
    Ok(())
}

/// The first photo as `link rel="enclosure"`, its alt text as the link's `title`.
fn enclosure(w: &mut Writer<Vec<u8>>, lead: &Lead) -> io::Result<()> {
    let length = lead.upload.map(|m| m.size.to_string());
    let alt = xml_chars(lead.alt.trim());
    let mut element = w
        .create_element("link")
        .with_attributes([("rel", "enclosure"), ("href", lead.url.as_str())]);
    if let (Some(upload), Some(length)) = (lead.upload, &length) {
        element = element.with_attributes([
            ("type", upload.content_type.as_str()),
            ("length", length.as_str()),
        ]);
    }
    if !alt.is_empty() {
        element = element.with_attribute(("title", alt.as_ref()));
    }
    element.write_empty()?;
    Ok(())
}

fn entry(w: &mut Writer<Vec<u8>>, input: &FeedInput, note: &Note) -> io::Result<()> {
    let permalink = input.site.absolute(&note.path());
    text_element(w, "id", &permalink)?;
    text_element(w, "title", explicit_title(note).unwrap_or_default())?;
    link(w, "alternate", &permalink, "text/html")?;
    if let Some(lead) = photos::lead(input, note) {
        enclosure(w, &lead)?;
    }
    text_element(w, "published", &rfc3339(note.published_at))?;
    text_element(
        w,
        "updated",
        &rfc3339(note.updated_at.max(note.published_at)),
    )?;
    w.create_element("content")
        .with_attribute(("type", "html"))
        // Footnote and site links made absolute: a reader resolves them against the feed.
        .write_text_content(text(&photos::feed_body(input.site, note)))?;
    for category in note.categories() {
        w.create_element("category")
            .with_attribute(("term", xml_chars(&category).as_ref()))
            .write_empty()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::fixtures;

    fn document() -> String {
        let site = fixtures::site();
        let notes = fixtures::notes();
        atom(&FeedInput {
            site: &site,
            notes: &notes,
            media: &[],
            updated: 1_700_000_400,
        })
    }

    #[test]
    fn atom_round_trips_ids_titles_links_dates_order_and_content() {
        let feed = feed_rs::parser::parse(document().as_bytes()).expect("a valid Atom feed");
        let notes = fixtures::notes();
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(feed.id, "https://example.com/blog/");
        assert_eq!(feed.title.unwrap().content, "Star & Punk <notes>");
        assert_eq!(feed.updated.unwrap().timestamp(), 1_700_000_400);
        assert_eq!(feed.authors[0].name.as_deref(), Some("Ada"));
        assert!(
            feed.description.is_none(),
            "no subtitle without a description"
        );
        let rel = |rel: &str| feed.links.iter().find(|l| l.rel.as_deref() == Some(rel));
        assert_eq!(
            rel("self").unwrap().href,
            "https://example.com/blog/feed.atom"
        );
        assert_eq!(rel("alternate").unwrap().href, "https://example.com/blog/");
        assert_eq!(feed.entries.len(), 3);
        for (entry, note) in feed.entries.iter().zip(&notes) {
            let permalink = format!("https://example.com/blog/notes/{}", note.slug);
            assert_eq!(entry.id, permalink);
            assert_eq!(entry.links[0].href, permalink);
            let title = entry.title.as_ref().map(|t| t.content.as_str());
            assert_eq!(title, Some(note.name.as_deref().unwrap_or_default()));
            assert_eq!(entry.published.unwrap().timestamp(), note.published_at);
            assert_eq!(entry.updated.unwrap().timestamp(), note.updated_at);
            // feed-rs trims the ends of text; the exact round trip is checked below.
            let body = entry.content.as_ref().and_then(|c| c.body.as_deref());
            let html = photos::feed_body(&fixtures::site(), note);
            assert_eq!(body, Some(html.trim()));
            let terms: Vec<_> = entry.categories.iter().map(|c| c.term.clone()).collect();
            assert_eq!(terms, note.categories());
        }
    }

    #[test]
    fn atom_has_the_elements_rfc_4287_requires() {
        let xml = document();
        let elements = fixtures::elements(&xml);
        assert_eq!(elements[0].path, "feed");
        assert_eq!(
            elements[0].attrs,
            [
                ("xmlns".into(), "http://www.w3.org/2005/Atom".into()),
                ("xml:lang".into(), "en".into())
            ]
        );
        for required in ["id", "title", "updated", "author/name"] {
            assert_eq!(fixtures::count(&elements, &format!("feed/{required}")), 1);
        }
        for required in ["id", "title", "updated", "published", "content"] {
            assert_eq!(
                fixtures::count(&elements, &format!("feed/entry/{required}")),
                3
            );
        }
        let rels: Vec<_> = elements
            .iter()
            .filter(|e| e.path == "feed/entry/link")
            .map(|e| e.attr("rel").unwrap())
            .collect();
        assert_eq!(rels, ["alternate", "enclosure", "alternate", "alternate"]);
        let contents: Vec<_> = elements
            .iter()
            .filter(|e| e.path == "feed/entry/content")
            .collect();
        let notes = fixtures::notes();
        for (content, note) in contents.iter().zip(&notes) {
            assert_eq!(content.attr("type"), Some("html"));
            assert_eq!(content.text, photos::feed_body(&fixtures::site(), note));
        }
        assert!(!xml.contains("]]>"));
    }

    #[test]
    fn atom_falls_back_to_the_site_name_and_shows_a_subtitle() {
        let mut site = fixtures::site();
        site.author = "  ".into();
        site.description = "Short & sweet".into();
        let xml = atom(&FeedInput {
            site: &site,
            notes: &[],
            media: &[],
            updated: 0,
        });
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert_eq!(feed.authors[0].name.as_deref(), Some("Star & Punk <notes>"));
        assert_eq!(feed.description.unwrap().content, "Short & sweet");
        assert!(feed.entries.is_empty());
    }
}
