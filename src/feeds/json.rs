//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), written with serde.

use serde::Serialize;

use super::{FeedInput, Format, author_name, rfc3339};
use crate::domain::Note;

/// The `version` every JSON Feed 1.1 document declares.
pub const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    language: &'a str,
    authors: [Author<'a>; 1],
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    content_html: String,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
}

/// The JSON Feed 1.1 document for `input`.
pub fn json(input: &FeedInput) -> String {
    let site = input.site;
    let feed = JsonFeed {
        version: VERSION,
        title: &site.name,
        home_page_url: site.url.as_str(),
        feed_url: site.absolute(Format::Json.path()),
        description: Some(site.description.trim()).filter(|d| !d.is_empty()),
        language: &site.language,
        authors: [Author {
            name: author_name(site),
        }],
        items: input.notes.iter().map(|n| item(input, n)).collect(),
    };
    serde_json::to_string_pretty(&feed).unwrap_or_else(|e| {
        log::error!("writing the JSON feed failed: {e}");
        String::new()
    })
}

fn item<'a>(input: &FeedInput, note: &'a Note) -> Item<'a> {
    let permalink = input.site.absolute(&note.path());
    Item {
        // Footnote and site links made absolute: a reader resolves them against the feed.
        content_html: note.absolute_html(&permalink),
        id: permalink.clone(),
        url: permalink,
        title: note.name.as_deref().filter(|n| !n.trim().is_empty()),
        date_published: rfc3339(note.published_at),
        date_modified: rfc3339(note.updated_at.max(note.published_at)),
        tags: note.categories(),
        image: note.photos().into_iter().next().map(|p| p.url),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    use super::*;
    use crate::feeds::fixtures;

    fn document() -> Value {
        let site = fixtures::site();
        let notes = fixtures::notes();
        let text = json(&FeedInput {
            site: &site,
            notes: &notes,
            media: &[],
            updated: 1_700_000_400,
        });
        serde_json::from_str(&text).expect("valid JSON")
    }

    fn date(v: &Value) -> i64 {
        let s = v.as_str().expect("a date string");
        OffsetDateTime::parse(s, &Rfc3339).unwrap().unix_timestamp()
    }

    #[test]
    fn json_feed_follows_the_1_1_field_rules() {
        let feed = document();
        assert_eq!(feed["version"], VERSION);
        assert_eq!(feed["title"], "Star & Punk <notes>");
        assert_eq!(feed["home_page_url"], "https://example.com/blog/");
        assert_eq!(feed["feed_url"], "https://example.com/blog/feed.json");
        assert_eq!(feed["authors"], serde_json::json!([{"name": "Ada"}]));
        assert!(feed.get("description").is_none());
        assert_eq!(feed["language"], "en");
        let items = feed["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        for (item, note) in items.iter().zip(fixtures::notes()) {
            let permalink = format!("https://example.com/blog/notes/{}", note.slug);
            assert_eq!(item["id"], permalink.as_str());
            assert_eq!(item["url"], permalink.as_str());
            assert_eq!(item["content_html"], note.content_html.as_str());
            assert_eq!(date(&item["date_published"]), note.published_at);
            assert_eq!(date(&item["date_modified"]), note.updated_at);
            match item.get("tags") {
                Some(tags) => assert!(tags.as_array().unwrap().iter().all(Value::is_string)),
                None => assert!(note.categories().is_empty()),
            }
            assert_eq!(
                item.get("title").and_then(Value::as_str),
                note.name.as_deref()
            );
        }
        assert_eq!(items[0]["title"], "Tom & Jerry <3 ]]> 🎉");
        assert_eq!(items[0]["tags"], serde_json::json!(["rust", "web"]));
        assert_eq!(items[0]["image"], "https://example.com/a.jpg");
        assert!(items[1].get("title").is_none() && items[1].get("tags").is_none());
        assert!(items[1].get("image").is_none());
    }

    #[test]
    fn json_feed_includes_a_description_when_the_site_has_one() {
        let mut site = fixtures::site();
        site.description = "About".into();
        let text = json(&FeedInput {
            site: &site,
            notes: &[],
            media: &[],
            updated: 0,
        });
        let feed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(feed["description"], "About");
        assert_eq!(feed["items"], serde_json::json!([]));
    }
}
