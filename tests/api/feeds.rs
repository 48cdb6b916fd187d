//! Feeds over HTTP, parsed with a real feed parser (feed-rs): content, order, ids, caching,
//! conditional requests, negotiation, OPML.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, client, spawn_app, spawn_app_with};

async fn fetch(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = client().get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

async fn parsed(app: &TestApp, path: &str) -> feed_rs::model::Feed {
    let (_, body) = fetch(app, path).await;
    feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

fn entry_links(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.links.first().map(|l| l.href.clone()).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn every_format_lists_published_notes_newest_first_with_stable_ids() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("FEED_MAX_ITEMS", "3"),
        ("SITE_NAME", "Feed Site"),
    ])
    .await;
    let csrf = app.login().await;
    for i in 1..=4 {
        app.create_note(&csrf, &format!("Feed note {i}"), true)
            .await;
    }
    app.create_note(&csrf, "Hidden draft", false).await;
    let (_, deleted) = app.create_note(&csrf, "Deleted one", true).await;
    app.post_form(
        &format!("/admin/delete/{deleted}"),
        &[("csrf_token", &csrf)],
    )
    .await;

    let expected = [
        "http://127.0.0.1:8000/notes/feed-note-4",
        "http://127.0.0.1:8000/notes/feed-note-3",
        "http://127.0.0.1:8000/notes/feed-note-2",
    ];
    for path in ["/feed.rss", "/feed.atom", "/feed.json", "/feed.xml"] {
        let feed = parsed(&app, path).await;
        assert_eq!(feed.title.as_ref().unwrap().content, "Feed Site", "{path}");
        assert_eq!(entry_links(&feed), expected, "{path}");
        for entry in &feed.entries {
            assert!(entry.published.is_some(), "{path}: dates");
            let body = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
                .unwrap_or_default();
            assert!(body.contains("Feed note"), "{path}: full content");
        }
    }
    let atom = parsed(&app, "/feed.atom").await;
    let ids: Vec<String> = atom.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, expected);

    // Editing a note keeps its id.
    let (_, id) = app.newest_note().await;
    let _ = id;
    let conn = app.state.db.pool.get().unwrap();
    let note4: i64 = conn
        .query_row("SELECT id FROM notes WHERE slug = 'feed-note-4'", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(conn);
    app.post_form(
        &format!("/admin/edit/{note4}"),
        &[
            ("csrf_token", &csrf),
            ("content", "Feed note 4, edited"),
            ("published", "true"),
        ],
    )
    .await;
    let atom = parsed(&app, "/feed.atom").await;
    assert_eq!(atom.entries[0].id, expected[0]);
    assert!(
        atom.entries[0]
            .content
            .as_ref()
            .unwrap()
            .body
            .as_ref()
            .unwrap()
            .contains("edited")
    );
}

#[tokio::test]
async fn xml_special_and_unicode_content_survives_every_format() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let nasty = "Tom & Jerry <b>bold</b> a < b ]]> done 🎉 مرحبا بالعالم שלום";
    app.create_note(&csrf, nasty, true).await;
    for path in ["/feed.rss", "/feed.atom", "/feed.json"] {
        let feed = parsed(&app, path).await;
        let entry = &feed.entries[0];
        let body = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
            .unwrap();
        for piece in [
            "Tom &amp; Jerry",
            "<b>bold</b>",
            "a &lt; b",
            "]]&gt; done",
            "🎉",
            "مرحبا بالعالم",
            "שלום",
        ] {
            assert!(body.contains(piece), "{path}: {piece:?} lost in {body:?}");
        }
    }
    let (_, json) = fetch(&app, "/feed.json").await;
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], "http://127.0.0.1:8000/feed.json");
}

#[tokio::test]
async fn conditional_requests_get_304_with_no_body() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Conditional", true).await;
    for path in ["/feed.rss", "/feed.atom", "/feed.json", "/opml.xml"] {
        // A date validator is sent only once the last change's second is over.
        let mut headers = fetch(&app, path).await.0;
        while !headers.contains_key("last-modified") {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            headers = fetch(&app, path).await.0;
        }
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let modified = headers["last-modified"].to_str().unwrap().to_owned();
        assert_eq!(headers["cache-control"], "public, max-age=300", "{path}");
        let res = client()
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::NOT_MODIFIED,
            "{path} If-None-Match"
        );
        assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
        assert!(res.bytes().await.unwrap().is_empty());
        let res = client()
            .get(app.url(path))
            .header("If-Modified-Since", &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::NOT_MODIFIED,
            "{path} If-Modified-Since"
        );
        let res = client()
            .get(app.url(path))
            .header("If-None-Match", "\"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path} stale ETag");
        let res = client()
            .get(app.url(path))
            .header("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path} old date");
    }
}

#[tokio::test]
async fn every_kind_of_note_change_invalidates_the_cached_feeds() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (_, id) = app.create_note(&csrf, "Cached alpha", true).await;
    let etag_of =
        |headers: &reqwest::header::HeaderMap| headers["etag"].to_str().unwrap().to_owned();
    let (h0, _) = fetch(&app, "/feed.atom").await;
    let (h0b, _) = fetch(&app, "/feed.atom").await;
    assert_eq!(etag_of(&h0), etag_of(&h0b), "unchanged site, same ETag");

    let mut seen = vec![etag_of(&h0)];
    let mut check = |headers: reqwest::header::HeaderMap, what: &str| {
        let etag = etag_of(&headers);
        assert!(!seen.contains(&etag), "{what} must change the ETag");
        seen.push(etag);
    };
    // Create.
    app.create_note(&csrf, "Cached beta", true).await;
    let feed = parsed(&app, "/feed.atom").await;
    assert_eq!(feed.entries.len(), 2, "create");
    check(fetch(&app, "/feed.atom").await.0, "create");
    // Edit.
    app.post_form(
        &format!("/admin/edit/{id}"),
        &[
            ("csrf_token", &csrf),
            ("content", "Cached gamma"),
            ("published", "true"),
        ],
    )
    .await;
    let feed = parsed(&app, "/feed.atom").await;
    assert!(
        feed.entries.iter().any(|e| e
            .content
            .as_ref()
            .unwrap()
            .body
            .as_ref()
            .unwrap()
            .contains("gamma")),
        "edit"
    );
    check(fetch(&app, "/feed.atom").await.0, "edit");
    // Publish toggle (unpublish).
    app.post_form(
        &format!("/admin/edit/{id}"),
        &[("csrf_token", &csrf), ("content", "Cached gamma")],
    )
    .await;
    assert_eq!(
        parsed(&app, "/feed.atom").await.entries.len(),
        1,
        "unpublish"
    );
    check(fetch(&app, "/feed.atom").await.0, "unpublish");
    // Delete.
    let (_, beta) = app.newest_note().await;
    app.post_form(&format!("/admin/delete/{beta}"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(parsed(&app, "/feed.atom").await.entries.len(), 0, "delete");
    check(fetch(&app, "/feed.atom").await.0, "delete");

    assert!(app.state.feed_cache.len() <= 50);
    app.login().await;
    let report: Value = app
        .get("/admin/metrics?format=json")
        .await
        .json()
        .await
        .unwrap();
    let count = |name: &str| {
        report["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .map_or(0, |o| o["count"].as_u64().unwrap())
    };
    assert!(count("feed.cache_hit.atom") >= 1);
    assert!(count("feed.cache_miss.atom") >= 5);
    // The dashboard's feed panel: one row per format, with the atom hit rate.
    let page = app.get_html("/admin/metrics", StatusCode::OK).await;
    let rows = crate::helpers::select(&page, "#feeds tbody tr");
    assert_eq!(rows.len(), 3);
    let atom: Vec<String> = rows[1]
        .text()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(atom[0], "atom");
    assert!(atom.last().unwrap().ends_with('%'), "{atom:?}");
}

#[tokio::test]
async fn the_feed_endpoint_negotiates_by_accept() {
    let app = spawn_app().await;
    let cases: [(Option<&str>, Result<&str, ()>); 10] = [
        (None, Ok("application/rss+xml")),
        (Some("*/*"), Ok("application/rss+xml")),
        (Some("application/atom+xml"), Ok("application/atom+xml")),
        (Some("application/feed+json"), Ok("application/feed+json")),
        // Chosen through a generic alias: labelled with the alias the client asked for.
        (Some("application/json"), Ok("application/json")),
        (Some("text/xml"), Ok("text/xml")),
        (
            Some("application/rss+xml;q=0.5, application/atom+xml;q=0.9"),
            Ok("application/atom+xml"),
        ),
        (
            Some("application/*;q=0.2, application/rss+xml;q=0"),
            Ok("application/atom+xml"),
        ),
        (Some("text/html"), Err(())),
        (
            Some("application/rss+xml;q=0, application/atom+xml;q=0, application/*;q=0"),
            Err(()),
        ),
    ];
    for (accept, expected) in cases {
        let mut req = client().get(app.url("/feed"));
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.headers()["vary"], "Accept", "{accept:?}");
        match expected {
            Ok(kind) => {
                assert_eq!(res.status(), StatusCode::OK, "{accept:?}");
                assert!(
                    res.headers()["content-type"]
                        .to_str()
                        .unwrap()
                        .starts_with(kind),
                    "{accept:?}"
                );
            }
            Err(()) => {
                assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE, "{accept:?}");
                let body = res.text().await.unwrap();
                assert!(
                    body.contains("application/atom+xml") && body.contains("application/feed+json")
                );
            }
        }
    }
}

#[tokio::test]
async fn opml_lists_the_three_feeds() {
    let app = spawn_app_with(&[("SITE_NAME", "Outline")]).await;
    let (headers, body) = fetch(&app, "/opml.xml").await;
    assert!(headers["content-type"].to_str().unwrap().contains("opml"));
    let text = String::from_utf8(body).unwrap();
    let doc = scraper::Html::parse_document(&text);
    let outlines = crate::helpers::select(&doc, "outline");
    let urls: Vec<&str> = outlines
        .iter()
        .filter_map(|o| o.value().attr("xmlurl"))
        .collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:8000/feed.rss",
            "http://127.0.0.1:8000/feed.atom",
            "http://127.0.0.1:8000/feed.json"
        ]
    );
    assert!(text.contains("<opml version=\"2.0\""));
}

#[tokio::test]
async fn a_change_within_the_current_second_sends_no_date_validator() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(&csrf, "First of two", true).await;
    let (headers, _) = fetch(&app, "/feed.atom").await;
    if let Some(date) = headers.get("last-modified") {
        // The second rolled over between the change and the fetch: a second change now must
        // still not be hidden behind that date.
        let date = date.to_str().unwrap().to_owned();
        app.create_note(&csrf, "Second of two", true).await;
        let res = client()
            .get(app.url("/feed.atom"))
            .header("If-Modified-Since", &date)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    } else {
        app.create_note(&csrf, "Second of two", true).await;
        let body = String::from_utf8(fetch(&app, "/feed.atom").await.1).unwrap();
        assert!(body.contains("Second of two"));
    }
}

// ---- What readers see (issue 14) ----------------------------------------------------------

/// The body of every entry of a parsed feed.
fn bodies(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
                .unwrap_or_default()
        })
        .collect()
}

/// Item 4: the feed validator flags `href="#1"`; a feed reader resolves it against the feed.
#[tokio::test]
async fn footnote_links_in_feeds_are_absolute_and_reach_their_targets() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, _) = app
        .create_note(&csrf, "Footnote here[^1].\n\n[^1]: the note.", true)
        .await;
    assert_eq!(slug, "footnote-here");
    let permalink = "http://127.0.0.1:8000/notes/footnote-here";
    for path in ["/feed.rss", "/feed.atom", "/feed.json"] {
        let body = bodies(&parsed(&app, path).await).remove(0);
        assert!(!body.contains("href=\"#"), "{path}: {body}");
        assert!(
            body.contains(&format!("href=\"{permalink}#fn-footnote-here-1\"")),
            "{path}: {body}"
        );
        assert!(
            body.contains(&format!("href=\"{permalink}#fnref-footnote-here-1\"")),
            "{path}: {body}"
        );
        // The targets travel with the links.
        assert!(body.contains("id=\"fn-footnote-here-1\""), "{path}: {body}");
        assert!(
            body.contains("id=\"fnref-footnote-here-1\""),
            "{path}: {body}"
        );
    }
}

/// Item 2: an untitled note whose first word is long was titled `…` in RSS and Atom, and
/// text from HTML had a space before punctuation.
#[tokio::test]
async fn feed_titles_are_the_words_a_reader_sees() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(
        &csrf,
        &format!("{} is worth reading", crate::public::LONG_URL),
        true,
    )
    .await;
    app.create_note(
        &csrf,
        "We sailed into the **harbour**, with the tide.",
        true,
    )
    .await;
    app.create_note(&csrf, "Footnote here[^1].\n\n[^1]: the note.", true)
        .await;
    for path in ["/feed.rss", "/feed.atom"] {
        let feed = parsed(&app, path).await;
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert_eq!(titles[0], "Footnote here.", "{path}");
        assert_eq!(
            titles[1], "We sailed into the harbour, with the tide.",
            "{path}"
        );
        assert!(
            titles[2].starts_with("https://example.com/notes/") && titles[2].ends_with('…'),
            "{path}: {}",
            titles[2]
        );
    }
}
