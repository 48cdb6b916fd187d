//! What pages say about themselves (issue 14, item 10): "`<meta name="description">` on every
//! page (a note's own summary on its permalink; the site description elsewhere); OpenGraph and
//! Twitter card tags (`og:title`, `og:description`, `og:url`, `og:image` from the note's first
//! photo, `og:type`); `<link rel="canonical">`".

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use scraper::Html;
use serde_json::json;

use crate::helpers::{TestApp, attr, location, mf2, select, spawn_app_with};
use crate::peers::{Advertise, Peer};

const SITE: &str = "http://127.0.0.1:8000/";
const JPG: &[u8] = include_bytes!("../fixtures/pixel.jpg");

/// The `content` of the one `<meta>` with this `name` or `property`.
fn meta(doc: &Html, key: &str) -> String {
    let found: Vec<String> = select(
        doc,
        &format!("head meta[name='{key}'], head meta[property='{key}']"),
    )
    .iter()
    .map(|m| m.value().attr("content").unwrap().to_owned())
    .collect();
    assert_eq!(found.len(), 1, "exactly one {key}: {found:?}");
    found[0].clone()
}

fn has_meta(doc: &Html, key: &str) -> bool {
    !select(
        doc,
        &format!("head meta[name='{key}'], head meta[property='{key}']"),
    )
    .is_empty()
}

fn canonical(doc: &Html) -> String {
    assert_eq!(select(doc, "head link[rel=canonical]").len(), 1);
    attr(doc, "head link[rel=canonical]", "href")
}

async fn page(app: &TestApp, path: &str) -> (Html, String) {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let body = res.text().await.unwrap();
    (Html::parse_document(&body), body)
}

#[tokio::test]
async fn the_home_page_and_its_older_pages_name_their_own_canonical_address() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("SITE_NAME", "Field Notes"),
        ("SITE_DESCRIPTION", "Notes from the harbour"),
        ("NOTES_PER_PAGE", "1"),
    ])
    .await;
    let csrf = app.login().await;
    app.create_note(&csrf, "The first note", true).await;
    app.create_note(&csrf, "The second note", true).await;
    let visitor = app.other_browser();

    let (home, body) = page(&visitor, "/").await;
    assert_eq!(meta(&home, "description"), "Notes from the harbour");
    assert_eq!(canonical(&home), SITE);
    assert_eq!(mf2(&body, SITE)["rels"]["canonical"][0], SITE);
    assert_eq!(meta(&home, "og:type"), "website");
    assert_eq!(meta(&home, "og:title"), "Field Notes");
    assert_eq!(meta(&home, "og:site_name"), "Field Notes");
    assert_eq!(meta(&home, "og:description"), "Notes from the harbour");
    assert_eq!(meta(&home, "og:url"), SITE);
    assert!(!has_meta(&home, "og:image"), "the home page has no photo");
    assert_eq!(meta(&home, "twitter:card"), "summary");
    assert_eq!(meta(&home, "twitter:title"), "Field Notes");
    assert_eq!(meta(&home, "twitter:description"), "Notes from the harbour");

    let older = attr(&home, "a[rel=next]", "href");
    assert!(older.starts_with("/?before="), "{older}");
    let (second, _) = page(&visitor, &older).await;
    let own = format!("{SITE}{}", older.trim_start_matches('/'));
    assert_eq!(canonical(&second), own, "a paginated page is its own page");
    assert_eq!(meta(&second, "og:url"), own);
    assert_eq!(meta(&second, "description"), "Notes from the harbour");
}

#[tokio::test]
async fn a_permalink_is_described_by_its_note_and_previewed_with_its_first_photo() {
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let app = spawn_app_with(&[
        ("SITE_NAME", "Field Notes"),
        ("SITE_DESCRIPTION", "Notes from the harbour"),
        ("ADMIN_ME", me.as_str()),
    ])
    .await;
    let token = peer.issue_token("create media");
    let res = app
        .client
        .post(app.url("/micropub/media"))
        .bearer_auth(&token)
        .multipart(Form::new().part("file", Part::bytes(JPG).file_name("dawn.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let photo = location(&res);
    let res = app
        .client
        .post(app.url("/micropub"))
        .bearer_auth(&token)
        .json(&json!({"type": ["h-entry"], "properties": {
            "name": ["Trip to the lighthouse"],
            "content": ["A short walk along the harbour, with gulls and a lighthouse."],
            "photo": [
                {"value": photo, "alt": "The lighthouse at dawn"},
                "https://photos.example/second.jpg"
            ]
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let url = location(&res);
    let path = &url[SITE.len() - 1..];

    let (doc, body) = page(&app, path).await;
    let entry = &mf2(&body, &url)["items"][0]["properties"];
    let summary = "A short walk along the harbour, with gulls and a lighthouse.";
    assert_eq!(meta(&doc, "description"), summary, "the note's own summary");
    assert_eq!(canonical(&doc), url);
    assert_eq!(entry["url"][0], url, "canonical is the h-entry's u-url");
    assert_eq!(mf2(&body, &url)["rels"]["canonical"][0], url);
    assert_eq!(meta(&doc, "og:type"), "article");
    assert_eq!(meta(&doc, "og:title"), "Trip to the lighthouse");
    assert_eq!(meta(&doc, "og:description"), summary);
    assert_eq!(meta(&doc, "og:url"), url);
    assert_eq!(meta(&doc, "og:image"), photo, "the first photo, absolute");
    assert!(photo.starts_with(&format!("{SITE}media/")), "{photo}");
    assert_eq!(meta(&doc, "og:image:alt"), "The lighthouse at dawn");
    assert_eq!(
        meta(&doc, "article:published_time"),
        entry["published"][0].as_str().unwrap()
    );
    assert_eq!(meta(&doc, "twitter:card"), "summary_large_image");
    assert_eq!(meta(&doc, "twitter:title"), "Trip to the lighthouse");
    assert_eq!(meta(&doc, "twitter:description"), summary);
    assert_eq!(meta(&doc, "twitter:image"), photo);
}

#[tokio::test]
async fn a_long_untitled_note_is_summarised_in_its_first_words() {
    let app = spawn_app_with(&[("DEV_MODE", "true")]).await;
    let csrf = app.login().await;
    let words = "The tide came in slowly over the flats while the boats waited. ".repeat(6);
    let (slug, _) = app
        .create_note(&csrf, &format!("**Bold** start. {words}"), true)
        .await;
    let (doc, _) = page(&app, &format!("/notes/{slug}")).await;
    let description = meta(&doc, "description");
    assert!(
        description.starts_with("Bold start. The tide came in slowly"),
        "plain text, no Markdown: {description}"
    );
    assert!(description.ends_with('…'), "{description}");
    assert!(description.chars().count() <= 161, "{description}");
    assert_eq!(meta(&doc, "og:description"), description);
    assert_eq!(meta(&doc, "twitter:card"), "summary", "no photo");
    assert!(!has_meta(&doc, "og:image"));
}

#[tokio::test]
async fn every_other_page_carries_the_site_description_and_no_preview_tags() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("SITE_DESCRIPTION", "Notes from the harbour"),
    ])
    .await;
    let visitor = app.other_browser();
    for path in ["/search?q=harbour", "/auth/login"] {
        let (doc, _) = page(&visitor, path).await;
        assert_eq!(
            meta(&doc, "description"),
            "Notes from the harbour",
            "{path}"
        );
        assert!(!has_meta(&doc, "og:url"), "{path}");
    }
    let res = visitor.get("/no-such-page").await;
    let doc = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(meta(&doc, "description"), "Notes from the harbour");
    app.login().await;
    for path in ["/admin/", "/admin/new", "/admin/metrics"] {
        let (doc, _) = page(&app, path).await;
        assert_eq!(
            meta(&doc, "description"),
            "Notes from the harbour",
            "{path}"
        );
        assert!(select(&doc, "link[rel=canonical]").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn without_a_site_description_pages_say_whose_notes_they_are() {
    let app = spawn_app_with(&[("SITE_AUTHOR", "Ada Example")]).await;
    let (home, _) = page(&app, "/").await;
    assert_eq!(meta(&home, "description"), "Notes by Ada Example");
    assert_eq!(meta(&home, "og:description"), "Notes by Ada Example");
}
