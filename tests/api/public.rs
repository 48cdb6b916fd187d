//! The public site: h-feed, h-entry, discovery links, pagination, visibility, hostile content.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::{attr, mf2, select, spawn_app, spawn_app_with, texts};

#[tokio::test]
async fn the_home_page_is_an_h_feed_of_h_entries_with_the_author_h_card() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("SITE_NAME", "Field Notes"),
        ("SITE_AUTHOR", "Ada Example"),
        ("ADMIN_ME", "https://ada.example/"),
    ])
    .await;
    let csrf = app.login().await;
    app.create_note(&csrf, "First note about *rust*", true)
        .await;
    app.create_note(&csrf, "Second note", true).await;

    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = res.text().await.unwrap();
    let doc = mf2(&body, &app.url("/"));
    let feed = &doc["items"][0];
    assert_eq!(feed["type"][0], "h-feed");
    assert_eq!(feed["properties"]["name"][0], "Field Notes");
    let author = &feed["properties"]["author"][0];
    assert_eq!(author["type"][0], "h-card");
    assert_eq!(author["properties"]["name"][0], "Ada Example");
    assert_eq!(author["properties"]["url"][0], "https://ada.example/");
    let entries = feed["children"].as_array().expect("h-entry children");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["type"][0] == "h-entry"));
    // Newest first.
    let first_content = entries[0]["properties"]["content"][0]["value"]
        .as_str()
        .unwrap();
    assert_eq!(first_content.trim(), "Second note");
    let second_html = entries[1]["properties"]["content"][0]["html"]
        .as_str()
        .unwrap();
    assert!(second_html.contains("<em>rust</em>"));
    assert!(
        entries[0]["properties"]["published"][0]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        entries[0]["properties"]["url"][0],
        "http://127.0.0.1:8000/notes/second-note"
    );
}

#[tokio::test]
async fn every_page_head_advertises_feeds_micropub_and_rel_me() {
    let app = spawn_app_with(&[("ADMIN_ME", "https://owner.example/")]).await;
    let html = Html::parse_document(&app.get("/").await.text().await.unwrap());
    for kind in [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    ] {
        let href = attr(
            &html,
            &format!("link[rel=alternate][type=\"{kind}\"]"),
            "href",
        );
        assert!(href.starts_with("http://127.0.0.1:8000/feed."), "{href}");
    }
    assert_eq!(
        attr(&html, "link[rel=micropub]", "href"),
        "http://127.0.0.1:8000/micropub"
    );
    assert_eq!(
        attr(&html, "link[rel=me]", "href"),
        "https://owner.example/"
    );
    let login = app.get_html("/auth/login", StatusCode::OK).await;
    assert_eq!(
        attr(&login, "link[rel=me]", "href"),
        "https://owner.example/"
    );
}

#[tokio::test]
async fn a_note_page_is_an_h_entry_with_its_author() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("SITE_AUTHOR", "Ada")]).await;
    let csrf = app.login().await;
    let (slug, _) = app
        .create_note(&csrf, "Hello from the **permalink**", true)
        .await;
    assert_eq!(slug, "hello-from-the-permalink");

    let url = app.url(&format!("/notes/{slug}"));
    let body = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = mf2(&body, &url);
    let entry = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"][0] == "h-entry")
        .expect("an h-entry");
    let props = &entry["properties"];
    assert!(
        props["content"][0]["html"]
            .as_str()
            .unwrap()
            .contains("<strong>permalink</strong>")
    );
    assert_eq!(
        props["url"][0],
        format!("http://127.0.0.1:8000/notes/{slug}")
    );
    assert!(props["published"][0].is_string());
    assert_eq!(props["author"][0]["type"][0], "h-card");
    assert_eq!(props["author"][0]["properties"]["name"][0], "Ada");
}

#[tokio::test]
async fn the_home_page_paginates_by_keyset_across_pages() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("NOTES_PER_PAGE", "3")]).await;
    let csrf = app.login().await;
    let mut created = Vec::new();
    for i in 1..=8 {
        created.push(
            app.create_note(&csrf, &format!("Note number {i}"), true)
                .await
                .0,
        );
    }
    // A draft never shows up on any page.
    app.create_note(&csrf, "Secret draft", false).await;

    let visitor = crate::helpers::client();
    let mut path = "/".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let res = visitor.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = Html::parse_document(&res.text().await.unwrap());
        let links: Vec<String> = select(&html, ".h-entry .u-url")
            .iter()
            .map(|a| {
                a.value()
                    .attr("href")
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(links.len() <= 3);
        seen.extend(links);
        pages += 1;
        match select(&html, "a[rel=next]").first() {
            Some(next) => path = next.value().attr("href").unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    created.reverse();
    assert_eq!(seen, created, "every note once, newest first");

    let bad = visitor
        .get(app.url("/?before=not-a-cursor"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn drafts_and_unknown_slugs_are_404_for_visitors() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (draft, _) = app.create_note(&csrf, "Not ready yet", false).await;

    // The owner sees the draft, marked as such.
    let own = app
        .get_html(&format!("/notes/{draft}"), StatusCode::OK)
        .await;
    assert_eq!(texts(&own, ".badge-draft").len(), 1);

    let visitor = crate::helpers::client();
    for path in [
        format!("/notes/{draft}"),
        "/notes/no-such-note".to_owned(),
        "/notes/Not%20A%20Slug".to_owned(),
        "/notes/admin".to_owned(),
    ] {
        let res = visitor.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn hostile_markdown_never_reaches_the_page() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let payloads = [
        "<script>alert('x')</script> script",
        "<img src=x onerror=\"alert(1)\"> onerror",
        "[click me](javascript:alert(1)) link",
        "<a href=\"JaVaScRiPt:alert(1)\">upper</a>",
        "<iframe src=\"https://evil.example/\"></iframe> frame",
        "<div onclick=\"alert(1)\" style=\"position:fixed\">styled</div>",
    ];
    for payload in payloads {
        let (slug, _) = app.create_note(&csrf, payload, true).await;
        for path in [format!("/notes/{slug}"), "/".to_owned()] {
            let html = app.get_html(&path, StatusCode::OK).await;
            for content in select(&html, ".e-content") {
                for element in content.descendants().filter_map(scraper::ElementRef::wrap) {
                    let el = element.value();
                    assert!(
                        !matches!(el.name(), "script" | "iframe" | "object" | "embed"),
                        "{payload:?}: <{}> on {path}",
                        el.name()
                    );
                    for (name, value) in el.attrs() {
                        assert!(
                            !name.starts_with("on") && name != "style",
                            "{payload:?}: {name}"
                        );
                        assert!(
                            !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                            "{payload:?}: {name}={value}"
                        );
                    }
                }
            }
            assert!(select(&html, "script").is_empty(), "{payload:?} on {path}");
        }
    }
}

#[tokio::test]
async fn identical_content_gets_numbered_slugs() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let slugs: Vec<String> = [
        app.create_note(&csrf, "Same words again", true).await.0,
        app.create_note(&csrf, "Same words again", true).await.0,
        app.create_note(&csrf, "Same words again", true).await.0,
    ]
    .into();
    assert_eq!(
        slugs,
        [
            "same-words-again",
            "same-words-again-2",
            "same-words-again-3"
        ]
    );
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", &csrf),
                ("content", "x"),
                ("slug", "Admin"),
                ("published", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.newest_note().await.0,
        "admin-2",
        "a reserved slug is never used"
    );
}

/// The elements a keyboard reaches, in document order.
fn focusable(doc: &Html) -> Vec<scraper::ElementRef<'_>> {
    select(
        doc,
        "body a[href], body button, body input:not([type=hidden]), body textarea, body select, \
         body [tabindex]",
    )
}

/// Issue 14: "A skip link". On every kind of page, visitor's and owner's, the first thing a
/// keyboard reaches is "Skip to content", and it leads to the one `main#main`.
#[tokio::test]
async fn every_page_starts_with_a_skip_link_to_main() {
    let app = spawn_app().await;
    let visitor = app.other_browser();
    let csrf = app.login().await;
    let (slug, id) = app.create_note(&csrf, "Skip me", true).await;
    let pages = [
        (&visitor, "/".to_owned(), StatusCode::OK),
        (&visitor, format!("/notes/{slug}"), StatusCode::OK),
        (&visitor, "/search?q=skip".to_owned(), StatusCode::OK),
        (&visitor, "/auth/login".to_owned(), StatusCode::OK),
        (
            &visitor,
            "/notes/no-such-note".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (&app, "/admin/".to_owned(), StatusCode::OK),
        (&app, "/admin/new".to_owned(), StatusCode::OK),
        (&app, format!("/admin/edit/{id}"), StatusCode::OK),
        (&app, format!("/admin/delete/{id}"), StatusCode::OK),
        (&app, "/admin/sign-in".to_owned(), StatusCode::OK),
    ];
    for (who, path, status) in pages {
        let page = who.get_html(&path, status).await;
        let first = focusable(&page);
        let first = first
            .first()
            .unwrap_or_else(|| panic!("{path}: nothing focusable"));
        assert_eq!(first.value().attr("href"), Some("#main"), "{path}");
        assert_eq!(
            first.text().collect::<String>(),
            "Skip to content",
            "{path}"
        );
        assert!(
            first
                .value()
                .has_class("skip-link", scraper::CaseSensitivity::CaseSensitive)
        );
        assert_eq!(select(&page, "main#main").len(), 1, "{path}");
        assert_eq!(select(&page, "#main").len(), 1, "{path}: one target");
    }
    // Hidden until focused, then shown: never `display: none`, which no keyboard could reach.
    let css = visitor
        .get("/static/css/site.css")
        .await
        .text()
        .await
        .unwrap();
    assert!(css.contains(".skip-link:not(:focus) {"));
    assert!(css.contains(".skip-link:focus {"));
}

/// Issue 14: "visible links to the feeds in the footer". Every page's footer links RSS, Atom,
/// JSON Feed and the OPML list, in plain sight, and each answers.
#[tokio::test]
async fn the_footer_links_every_feed() {
    let app = spawn_app().await;
    for path in ["/", "/auth/login", "/search?q=x"] {
        let page = app.get_html(path, StatusCode::OK).await;
        assert_eq!(
            texts(&page, "footer.site-footer nav.feed-links a"),
            ["RSS", "Atom", "JSON Feed", "OPML"],
            "{path}"
        );
        assert!(select(&page, "footer .visually-hidden .feed-links").is_empty());
        for (href, kind) in [
            ("/feed.rss", "application/rss+xml"),
            ("/feed.atom", "application/atom+xml"),
            ("/feed.json", "application/feed+json"),
            ("/opml.xml", "text/x-opml"),
        ] {
            let selector = format!("footer a[href=\"{href}\"]");
            assert_eq!(attr(&page, &selector, "type"), kind, "{path} {href}");
        }
    }
    for href in ["/feed.rss", "/feed.atom", "/feed.json", "/opml.xml"] {
        assert_eq!(app.get(href).await.status(), StatusCode::OK, "{href}");
    }
}

// ---- What readers see (issue 14) ----------------------------------------------------------

/// A 67-character URL, the note's first word: it made the home page scroll sideways and the
/// note's title `…`.
pub const LONG_URL: &str = "https://example.com/notes/2026/11/23/the-long-road-to-a-lighthouse/";

/// Stores a note with a `name`, as Micropub does, straight through the database layer.
pub fn insert_named(app: &crate::helpers::TestApp, name: &str, content: &str) -> String {
    let mut conn = app.state.db.pool.get().unwrap();
    let note = starpunk::domain::NewNote {
        content: starpunk::domain::NoteContent::markdown(content).unwrap(),
        name: Some(name.to_owned()),
        requested_slug: None,
        published: true,
        published_at: None,
        properties: serde_json::Map::new(),
    };
    let stored = starpunk::db::notes::insert(&mut conn, &note, time::OffsetDateTime::now_utc());
    stored.unwrap().slug.to_string()
}

/// The level of every heading of a page, in order.
fn heading_levels(page: &Html) -> Vec<u8> {
    select(page, "h1, h2, h3, h4, h5, h6")
        .iter()
        .map(|h| h.value().name().as_bytes()[1] - b'0')
        .collect()
}

/// Every `id` in `scope` and every in-page link target, which must each be one of them.
fn ids_and_fragment_links(scope: scraper::ElementRef<'_>) -> (Vec<String>, Vec<String>) {
    let elements = scope.descendants().filter_map(scraper::ElementRef::wrap);
    let ids = elements
        .clone()
        .filter_map(|e| e.value().id().map(str::to_owned));
    let fragments =
        elements.filter_map(|e| e.value().attr("href")?.strip_prefix('#').map(str::to_owned));
    (ids.collect(), fragments.collect())
}

/// Item 1: `Hello⏎World again` was `helloworld-again`; headings, Markdown syntax and footnote
/// definitions reached slugs.
#[tokio::test]
async fn slugs_are_made_of_the_words_a_reader_sees() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    for (content, slug) in [
        ("Hello\nWorld again", "hello-world-again"),
        ("Hello\tWorld again", "hello-world-again-2"),
        ("Hello\r\nWorld again", "hello-world-again-3"),
        ("Hello\rWorld again", "hello-world-again-4"),
        (
            "# Trip to the lighthouse\nA short walk",
            "trip-to-the-lighthouse",
        ),
        ("Footnote here[^1].\n\n[^1]: the note.", "footnote-here"),
        (
            "See [the harbour](https://example.com/harbour-map) at **dawn** today",
            "see-the-harbour-at-dawn",
        ),
    ] {
        assert_eq!(
            app.create_note(&csrf, content, true).await.0,
            slug,
            "{content:?}"
        );
    }
    assert_eq!(
        insert_named(&app, "An article about boats", "Body text here"),
        "an-article-about-boats",
        "a name gives the slug"
    );
}

/// Item 2: a long first word titled the note `…`; text from HTML had a space before
/// punctuation (`harbour , with`, `Footnote here 1 . 1 the note`).
#[tokio::test]
async fn titles_are_the_words_a_reader_sees_and_never_a_bare_ellipsis() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("SITE_NAME", "Field Notes")]).await;
    let csrf = app.login().await;
    let cases = [
        (format!("{LONG_URL} is worth reading"), ""),
        (
            "We sailed into the **harbour**, with the tide.".to_owned(),
            "We sailed into the harbour, with the tide.",
        ),
        (
            "Footnote here[^1].\n\n[^1]: the note.".to_owned(),
            "Footnote here.",
        ),
        (
            "# Trip to the lighthouse\nA short walk".to_owned(),
            "Trip to the lighthouse",
        ),
    ];
    for (content, expected) in &cases {
        let (slug, _) = app.create_note(&csrf, content, true).await;
        let page = app
            .get_html(&format!("/notes/{slug}"), StatusCode::OK)
            .await;
        let title = texts(&page, "title")[0].clone();
        let title = title.strip_suffix(" · Field Notes").expect("a note title");
        if expected.is_empty() {
            assert!(title.starts_with("https://example.com/notes/"), "{title}");
            assert!(title.chars().count() <= 60, "{title}");
        } else {
            assert_eq!(title, *expected);
        }
    }
    let admin = app.get_html("/admin/", StatusCode::OK).await;
    let listed = texts(&admin, ".note-summary a");
    assert!(
        listed.iter().all(|t| t != "…" && !t.contains(" ,")),
        "{listed:?}"
    );
    assert!(listed.iter().any(|t| t.starts_with("https://example.com/")));
    assert!(listed.contains(&"We sailed into the harbour, with the tide.".to_owned()));
}

/// Item 4: footnote links pointed at `#1`, an id no element had, shared by every note.
#[tokio::test]
async fn footnote_links_reach_their_own_notes_targets_on_a_page_of_twenty() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let mut slug = String::new();
    for i in 0..20 {
        let content = format!(
            "Footnote here[^1] and there[^2], again[^1].\n\n[^1]: the note {i}.\n[^2]: another."
        );
        slug = app.create_note(&csrf, &content, true).await.0;
    }
    for path in ["/".to_owned(), format!("/notes/{slug}")] {
        let html = app.get_html(&path, StatusCode::OK).await;
        let (ids, _) = ids_and_fragment_links(html.root_element());
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{path}: duplicate ids");
        let articles = select(&html, "article.h-entry");
        assert_eq!(articles.len(), if path == "/" { 20 } else { 1 });
        for article in articles {
            let (ids, links) = ids_and_fragment_links(article);
            // Three references to two footnotes, and a way back from each.
            assert_eq!(links.len(), 5, "{path}: {links:?}");
            for target in &links {
                assert!(ids.contains(target), "{path}: #{target} not in its note");
            }
        }
    }
}

/// Item 5: sanitised links left `<a>` without `href`; right-to-left text had no direction;
/// a note's `# heading` outranked the site's; permalinks had no `h1`.
#[tokio::test]
async fn note_markup_is_valid_directional_and_headed_once() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (links, _) = app
        .create_note(
            &csrf,
            "Try [this](javascript:alert(1)), [that](data:text/html,hi) or [ok](https://example.com).",
            true,
        )
        .await;
    let (heading, _) = app
        .create_note(
            &csrf,
            "# Trip to the lighthouse\nA short walk\n\n## Lists\n\n- a",
            true,
        )
        .await;
    let (sections, _) = app
        .create_note(
            &csrf,
            "Sections follow.\n\n## One\n\n### One and a half",
            true,
        )
        .await;
    let (plain, _) = app.create_note(&csrf, "مرحبا بالعالم", true).await;
    let named = insert_named(&app, "رحلة إلى المنارة", "نص قصير");

    let page = app
        .get_html(&format!("/notes/{links}"), StatusCode::OK)
        .await;
    assert!(select(&page, ".e-content a:not([href])").is_empty());
    assert_eq!(
        texts(&page, ".e-content p")[0],
        "Try this, that or ok.",
        "dead links become their text"
    );

    let home = app.get_html("/", StatusCode::OK).await;
    assert_eq!(select(&home, "h1").len(), 1, "the site's name only");
    assert_eq!(select(&home, ".feed-header h1").len(), 1);
    assert!(select(&home, ".e-content h1").is_empty());
    assert_eq!(
        texts(&home, ".e-content h2"),
        ["One", "Trip to the lighthouse"]
    );
    assert_eq!(select(&home, ".e-content").len(), 5);
    assert_eq!(select(&home, ".e-content[dir=auto]").len(), 5);
    assert_eq!(
        heading_levels(&home),
        [1, 2, 2, 3, 2, 3],
        "site, name, and two notes"
    );
    assert_eq!(select(&home, "h2.p-name[dir=auto]").len(), 1);

    for (slug, h1) in [
        (&heading, "Trip to the lighthouse"),
        (&sections, "Sections follow. One One and a half"),
        (&plain, "مرحبا بالعالم"),
        (&named, "رحلة إلى المنارة"),
        (&links, "Try this, that or ok."),
    ] {
        let page = app
            .get_html(&format!("/notes/{slug}"), StatusCode::OK)
            .await;
        assert_eq!(texts(&page, "h1"), [h1], "{slug}");
        let levels = heading_levels(&page);
        assert!(
            levels.windows(2).all(|w| w[1] <= w[0] + 1),
            "{slug}: no level skipped: {levels:?}"
        );
        assert_eq!(attr(&page, "h1", "dir"), "auto", "{slug}");
    }
    let heading_page = app
        .get_html(&format!("/notes/{heading}"), StatusCode::OK)
        .await;
    assert_eq!(
        texts(&heading_page, ".e-content h1"),
        ["Trip to the lighthouse"]
    );
    assert_eq!(texts(&heading_page, ".e-content h2"), ["Lists"]);

    for path in [
        "/search",
        "/search?q=lighthouse",
        "/admin/",
        "/admin/new",
        "/notes/nothing-here",
    ] {
        let res = app.get(path).await;
        let page = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(select(&page, "h1").len(), 1, "{path}");
    }
}
