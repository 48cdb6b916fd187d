//! OPML 2.0 list of the site's three feeds, for readers that subscribe to a whole list.
//!
//! OPML 2.0 lets `text` (and, as the W3C validator reads it, `title`) carry HTML, so the site
//! name goes in HTML-escaped: a name such as `Tom & Jerry <3` shows as written either way.

use super::{Format, text_element, xml_chars, xml_document};
use crate::config::SiteConfig;

/// `s` as HTML text: `&`, `<`, `>` and `"` as character references.
fn html_text(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in xml_chars(s).chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The OPML 2.0 document naming the RSS, Atom and JSON feeds.
pub fn opml(site: &SiteConfig) -> String {
    xml_document(|w| {
        w.create_element("opml")
            .with_attribute(("version", "2.0"))
            .write_inner_content(|w| {
                w.create_element("head")
                    .write_inner_content(|w| text_element(w, "title", &html_text(&site.name)))?;
                w.create_element("body").write_inner_content(|w| {
                    for (format, label) in [
                        (Format::Rss, "RSS"),
                        (Format::Atom, "Atom"),
                        (Format::Json, "JSON Feed"),
                    ] {
                        let name = html_text(&format!("{} ({label})", site.name));
                        let xml_url = site.absolute(format.path());
                        // type="rss" is the OPML convention for any feed.
                        w.create_element("outline")
                            .with_attributes([
                                ("type", "rss"),
                                ("text", name.as_str()),
                                ("title", name.as_str()),
                                ("xmlUrl", xml_url.as_str()),
                                ("htmlUrl", site.url.as_str()),
                            ])
                            .write_empty()?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::fixtures;

    #[test]
    fn opml_lists_the_three_feeds() {
        let elements = fixtures::elements(&opml(&fixtures::site()));
        assert_eq!(elements[0].path, "opml");
        assert_eq!(elements[0].attr("version"), Some("2.0"));
        let title = elements.iter().find(|e| e.path == "opml/head/title");
        assert_eq!(title.unwrap().text, "Star &amp; Punk &lt;notes&gt;");
        let outlines: Vec<_> = elements
            .iter()
            .filter(|e| e.path == "opml/body/outline")
            .collect();
        assert_eq!(outlines.len(), 3);
        for (outline, file) in outlines.iter().zip(["feed.rss", "feed.atom", "feed.json"]) {
            assert_eq!(outline.attr("type"), Some("rss"));
            let text = outline.attr("text").unwrap();
            assert!(
                text.starts_with("Star &amp; Punk &lt;notes&gt; ("),
                "{text}"
            );
            assert_eq!(outline.attr("title"), Some(text));
            let xml_url = format!("https://example.com/blog/{file}");
            assert_eq!(outline.attr("xmlUrl"), Some(xml_url.as_str()));
            assert_eq!(outline.attr("htmlUrl"), Some("https://example.com/blog/"));
        }
    }
}
