//! Feeds over HTTP, parsed with a real feed parser (feed-rs): content, order, ids, caching,
//! conditional requests, negotiation, OPML.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, client, location, spawn_app, spawn_app_with};
use crate::peers::{Advertise, Peer};

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
/// text from HTML had a space before punctuation. Since item 8, untitled notes carry no title
/// made from their text in the feeds at all (no RSS title, an empty Atom title): the reader shows
/// the text once, as written.
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
    for path in ["/feed.rss", "/feed.atom"] {
        let (_, body) = fetch(&app, path).await;
        let xml = String::from_utf8(body).unwrap();
        assert!(!xml.contains("<title>…</title>"), "{path}");
        assert!(!xml.contains("harbour , with"), "{path}");
        let feed = parsed(&app, path).await;
        for entry in &feed.entries {
            let title = entry.title.as_ref().map_or("", |t| t.content.as_str());
            assert_eq!(title, "", "{path}: untitled notes get no title");
        }
        let body = feed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.body.clone());
        let summary = feed.entries[0].summary.as_ref().map(|s| s.content.clone());
        let text = body.or(summary).unwrap_or_default();
        assert!(
            text.contains("<strong>harbour</strong>, with"),
            "{path}: {text}"
        );
    }
}

// Issue 14, items 6–8: photos, language and untitled notes in the feeds.

const JPG: &[u8] = include_bytes!("../fixtures/pixel.jpg");

/// An app whose owner is a peer on loopback, and a Micropub token with `create` and `media`.
async fn micropub_app(vars: &[(&str, &str)]) -> (TestApp, Peer, String) {
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let mut all = vec![("ADMIN_ME", me.as_str())];
    all.extend_from_slice(vars);
    let app = spawn_app_with(&all).await;
    let token = peer.issue_token("create media");
    (app, peer, token)
}

/// Posts a Micropub request (JSON or multipart) and returns the new note's URL.
async fn post(app: &TestApp, token: &str, body: Result<Value, Form>) -> String {
    let request = app.client.post(app.url("/micropub")).bearer_auth(token);
    let res = match body {
        Ok(json) => request.json(&json),
        Err(form) => request.multipart(form),
    }
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    location(&res)
}

async fn text(app: &TestApp, path: &str) -> String {
    String::from_utf8(fetch(app, path).await.1).unwrap()
}

/// The raw XML of the RSS item or Atom entry whose permalink is `url`.
fn item_xml<'a>(xml: &'a str, tag: &str, url: &str) -> &'a str {
    let open = format!("<{tag}>");
    xml.split(open.as_str())
        .skip(1)
        .find(|item| item.contains(&format!(">{url}<")))
        .unwrap_or_else(|| panic!("no <{tag}> for {url} in {xml}"))
}

#[tokio::test]
async fn photos_by_url_with_alt_and_uploaded_reach_rss_and_atom() {
    let (app, _peer, token) = micropub_app(&[]).await;
    let sunset = "https://example.com/photos/sunset.jpg";
    let alt = "The sun setting over a calm sea & <pink> sky";
    let by_url = post(
        &app,
        &token,
        Ok(json!({"type": ["h-entry"], "properties": {
            "content": ["A photo by URL, with alt"],
            "photo": [{"value": sunset, "alt": alt}, "https://example.com/second.jpg"]}})),
    )
    .await;
    let form = Form::new()
        .text("h", "entry")
        .text("content", "An uploaded photo")
        .part("photo", Part::bytes(JPG).file_name("pixel.jpg"));
    let uploaded = post(&app, &token, Err(form)).await;
    let conn = app.state.db.pool.get().unwrap();
    let name: String = conn
        .query_row("SELECT name FROM media", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let upload_url = format!("http://127.0.0.1:8000/media/{name}");
    let length = JPG.len().to_string();

    // RSS: every photo in content:encoded (and description) with its alt text; the first as
    // media:content, and as an enclosure (url, length, type) when it was uploaded.
    let rss = text(&app, "/feed.rss").await;
    assert!(rss.contains(r#"xmlns:media="http://search.yahoo.com/mrss/""#));
    let item = item_xml(&rss, "item", &by_url);
    let img = format!(
        "&lt;img src=&quot;{sunset}&quot; alt=&quot;The sun setting over a calm sea &amp;amp; \
         &amp;lt;pink&amp;gt; sky&quot;&gt;"
    );
    assert_eq!(
        item.matches(&img).count(),
        2,
        "description and content:encoded: {item}"
    );
    assert!(item.contains("second.jpg"), "every photo is in the HTML");
    assert!(
        !item.contains("<enclosure"),
        "a photo by URL has no known length: {item}"
    );
    assert!(
        item.contains(&format!(r#"<media:content url="{sunset}" medium="image">"#)),
        "{item}"
    );
    assert!(item.contains(
        r#"<media:description type="plain">The sun setting over a calm sea &#x26; &#x3C;pink&#x3E; sky</media:description>"#
    ), "{item}");
    let item = item_xml(&rss, "item", &uploaded);
    assert!(
        item.contains(&format!(
            r#"<enclosure url="{upload_url}" length="{length}" type="image/jpeg"/>"#
        )),
        "{item}"
    );
    assert!(item.contains(&format!(
        r#"<media:content url="{upload_url}" medium="image" type="image/jpeg" fileSize="{length}"/>"#
    )), "{item}");
    assert!(item.contains(&format!(
        "&lt;img src=&quot;{upload_url}&quot; alt=&quot;&quot;&gt;"
    )));
    let feed = feed_rs::parser::parse(rss.as_bytes()).unwrap();
    let media = |entry: &feed_rs::model::Entry| -> Vec<(String, Option<u64>)> {
        let contents = entry.media.iter().flat_map(|m| &m.content);
        contents
            .map(|c| (c.url.as_ref().unwrap().to_string(), c.size))
            .collect()
    };
    assert_eq!(
        media(&feed.entries[0]),
        // feed-rs merges the enclosure and the media:content of one URL.
        [(upload_url.clone(), Some(JPG.len() as u64))]
    );
    assert_eq!(media(&feed.entries[1]), [(sunset.to_owned(), None)]);
    let description = feed.entries[1].media[0].description.as_ref().unwrap();
    assert_eq!(description.content, alt);

    // Atom: the photos in the content, the first as link rel="enclosure" (type and length
    // when uploaded, the alt text as its title).
    let atom = text(&app, "/feed.atom").await;
    let entry = item_xml(&atom, "entry", &by_url);
    assert!(entry.contains(&img), "{entry}");
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    let enclosure = |entry: &feed_rs::model::Entry| {
        let links = entry.links.iter();
        links
            .filter(|l| l.rel.as_deref() == Some("enclosure"))
            .map(|l| {
                (
                    l.href.clone(),
                    l.media_type.clone(),
                    l.length,
                    l.title.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        enclosure(&feed.entries[0]),
        [(
            upload_url.clone(),
            Some("image/jpeg".into()),
            Some(JPG.len() as u64),
            None
        )]
    );
    assert_eq!(
        enclosure(&feed.entries[1]),
        [(sunset.to_owned(), None, None, Some(alt.to_owned()))]
    );
    let content = feed.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(
        content.contains(&format!(r#"<img src="{upload_url}" alt="">"#)),
        "{content}"
    );
}

#[tokio::test]
async fn site_language_reaches_the_pages_and_every_feed() {
    for (given, tag) in [(None, "en"), (Some("pt-br"), "pt-BR")] {
        let mut vars = vec![("DEV_MODE", "true")];
        vars.extend(given.map(|g| ("SITE_LANGUAGE", g)));
        let app = spawn_app_with(&vars).await;
        let csrf = app.login().await;
        let (slug, _) = app.create_note(&csrf, "Olá mundo", true).await;
        for path in ["/".to_owned(), format!("/notes/{slug}")] {
            let page = app.get_html(&path, StatusCode::OK).await;
            assert_eq!(crate::helpers::attr(&page, "html", "lang"), tag, "{path}");
        }
        let rss = text(&app, "/feed.rss").await;
        assert!(
            rss.contains(&format!("<language>{tag}</language>")),
            "{rss}"
        );
        let atom = text(&app, "/feed.atom").await;
        assert!(
            atom.contains(&format!(
                r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{tag}">"#
            )),
            "{atom}"
        );
        for path in ["/feed.rss", "/feed.atom"] {
            // feed-rs lower-cases RSS's tag (case is not significant in BCP 47).
            let language = parsed(&app, path).await.language.unwrap();
            assert!(language.eq_ignore_ascii_case(tag), "{path}: {language}");
        }
        let json: Value = serde_json::from_slice(&fetch(&app, "/feed.json").await.1).unwrap();
        assert_eq!(json["language"], tag);
    }
}

#[tokio::test]
async fn untitled_notes_have_no_rss_title_and_an_empty_atom_title() {
    let (app, _peer, token) = micropub_app(&[]).await;
    let untitled = post(
        &app,
        &token,
        Ok(json!({"type": ["h-entry"], "properties": {
            "content": ["Just a short untitled note, as microblogs have."]}})),
    )
    .await;
    let titled = post(
        &app,
        &token,
        Ok(json!({"type": ["h-entry"], "properties": {
            "name": ["Tom & Jerry <3"], "content": ["A titled note."]}})),
    )
    .await;

    let rss = text(&app, "/feed.rss").await;
    let item = item_xml(&rss, "item", &untitled);
    assert!(!item.contains("<title>"), "no title: {item}");
    assert!(
        item.contains("<description>&lt;p&gt;Just a short untitled note"),
        "{item}"
    );
    // Plain text in RSS as hexadecimal references (the RSS Best Practices Profile).
    let item = item_xml(&rss, "item", &titled);
    assert!(
        item.contains("<title>Tom &#x26; Jerry &#x3C;3</title>"),
        "{item}"
    );
    let feed = feed_rs::parser::parse(rss.as_bytes()).unwrap();
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    assert_eq!(titles, [Some("Tom & Jerry <3".to_owned()), None]);

    let atom = text(&app, "/feed.atom").await;
    let entry = item_xml(&atom, "entry", &untitled);
    assert!(entry.contains("<title></title>"), "an empty title: {entry}");
    let entry = item_xml(&atom, "entry", &titled);
    assert!(
        entry.contains("<title>Tom &amp; Jerry &lt;3</title>"),
        "{entry}"
    );
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(titles, ["Tom & Jerry <3", ""]);

    let json: Value = serde_json::from_slice(&fetch(&app, "/feed.json").await.1).unwrap();
    assert_eq!(json["items"][0]["title"], "Tom & Jerry <3");
    assert!(json["items"][1].get("title").is_none());
}
