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
