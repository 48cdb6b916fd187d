//! Full-text search: ranking, highlighting, pagination, visibility, hostile queries, the API.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, client, select, spawn_app, spawn_app_with, texts};

async fn api(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let res = client()
        .get(app.url("/api/search"))
        .query(&[("q", query)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn better_matches_rank_first_and_matches_are_highlighted() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(
        &csrf,
        "A note that mentions gardening once among many other words about the weather and the week",
        true,
    )
    .await;
    app.create_note(
        &csrf,
        "Gardening, gardening, gardening: all about gardening",
        true,
    )
    .await;
    app.create_note(&csrf, "Nothing relevant here", true).await;
    let (status, body) = api(&app, "gardening").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 2);
    let results = body["results"].as_array().unwrap();
    assert!(
        results[0]["slug"]
            .as_str()
            .unwrap()
            .starts_with("gardening-gardening")
    );
    assert!(
        results[0]["excerpt_html"]
            .as_str()
            .unwrap()
            .contains("<mark>Gardening</mark>")
    );
    // Porter stemming: "gardens" finds "gardening".
    assert_eq!(api(&app, "gardens").await.1["total"], 2);
}

#[tokio::test]
async fn hostile_note_content_never_escapes_the_excerpt() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(
        &csrf,
        "<script>alert('x')</script> <img src=x onerror=alert(1)> needle & \"quotes\"\n\n\
         `<script>alert(2)</script>`",
        true,
    )
    .await;
    let html = app.get_html("/search?q=needle", StatusCode::OK).await;
    assert!(select(&html, ".excerpt script, .excerpt img").is_empty());
    let marks = texts(&html, ".excerpt mark");
    assert_eq!(marks, ["needle"]);
    // The excerpt is the note's text: the sanitised-away script is not in it, the code span's
    // text is, escaped.
    let excerpt = select(&html, ".excerpt")[0].inner_html();
    assert!(excerpt.contains("&lt;script&gt;alert(2)"), "{excerpt}");
    assert!(!excerpt.contains("alert('x')"), "{excerpt}");
    assert!(
        select(&html, "script")
            .iter()
            .all(|s| s.value().attr("src").is_some())
    );
}

#[tokio::test]
async fn the_search_page_paginates_and_shows_counts_and_empty_states() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    for i in 0..23 {
        app.create_note(&csrf, &format!("Paging test note number {i}"), true)
            .await;
    }
    let first = app.get_html("/search?q=paging", StatusCode::OK).await;
    assert!(texts(&first, "#search-count")[0].starts_with("23 notes match"));
    assert_eq!(select(&first, ".search-result").len(), 10);
    let next = select(&first, "a[rel=next]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(next, "/search?q=paging&page=2");
    let third = app
        .get_html("/search?q=paging&page=3", StatusCode::OK)
        .await;
    assert_eq!(select(&third, ".search-result").len(), 3);
    assert!(select(&third, "a[rel=next]").is_empty());
    let none = app.get_html("/search?q=zebra", StatusCode::OK).await;
    assert!(texts(&none, "#search-count")[0].starts_with("No notes match"));
    let form = app.get_html("/search", StatusCode::OK).await;
    assert_eq!(select(&form, "form.search-form").len(), 1);
    let home = app.get_html("/", StatusCode::OK).await;
    assert_eq!(
        select(&home, "header form[action=\"/search\"] input[name=q]").len(),
        1
    );
}

#[tokio::test]
async fn visitors_find_published_notes_and_the_owner_also_drafts() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Published walrus", true).await;
    app.create_note(&csrf, "Draft walrus", false).await;
    let (_, id) = app.create_note(&csrf, "Deleted walrus", true).await;
    app.post_form(&format!("/admin/delete/{id}"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(api(&app, "walrus").await.1["total"], 1);
    let owner: Value = app
        .client
        .get(app.url("/api/search?q=walrus"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(owner["total"], 2);
    assert!(
        owner["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["draft"] == true)
    );
}

#[tokio::test]
async fn the_index_follows_edits_without_any_code_path_updating_it() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (_, id) = app.create_note(&csrf, "Original aardvark", true).await;
    app.post_form(
        &format!("/admin/edit/{id}"),
        &[
            ("csrf_token", &csrf),
            ("content", "Renamed pangolin"),
            ("published", "true"),
        ],
    )
    .await;
    assert_eq!(api(&app, "aardvark").await.1["total"], 0);
    assert_eq!(api(&app, "pangolin").await.1["total"], 1);
}

#[tokio::test]
async fn hostile_and_empty_queries_are_never_a_500() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Some ordinary text about near and far", true)
        .await;
    for query in [
        "\"",
        "\"unbalanced",
        "AND",
        "OR OR",
        "*",
        "near(",
        "NEAR/2",
        "col:x",
        "^a",
        "a -b",
        "((",
        "'); DROP TABLE notes; --",
        "日本語",
        "🦀",
    ] {
        let (status, _) = api(&app, query).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{query:?}: {status}"
        );
        let page = client()
            .get(app.url("/search"))
            .query(&[("q", query)])
            .send()
            .await
            .unwrap();
        assert!(
            page.status() == StatusCode::OK || page.status() == StatusCode::BAD_REQUEST,
            "{query:?}"
        );
    }
    assert_eq!(api(&app, "near").await.1["total"], 1);
    for empty in ["", "   ", "\t"] {
        let (status, body) = api(&app, empty).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{empty:?}");
        assert_eq!(body["error"], "invalid_request");
    }
    let res = client()
        .get(app.url("/search?q=%20%20"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_api_pages_with_limit_and_offset() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    for i in 0..25 {
        app.create_note(&csrf, &format!("Limit test {i}"), true)
            .await;
    }
    let get = |q: &'static str| {
        let app = &app;
        async move {
            let res = client()
                .get(app.url(&format!("/api/search?{q}")))
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (_, body) = get("q=limit").await;
    assert_eq!(
        (body["total"].as_u64(), body["limit"].as_u64()),
        (Some(25), Some(20))
    );
    assert_eq!(body["results"].as_array().unwrap().len(), 20);
    let (_, body) = get("q=limit&limit=500").await;
    assert_eq!(body["limit"], 100);
    let (_, body) = get("q=limit&limit=10&offset=20").await;
    assert_eq!(body["results"].as_array().unwrap().len(), 5);
    for bad in ["q=limit&limit=0", "q=limit&limit=x", "q=limit&offset=-1"] {
        assert_eq!(get(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn search_disabled_is_404_for_both_and_hides_the_box() {
    let app = spawn_app_with(&[("SEARCH_ENABLED", "false")]).await;
    assert_eq!(app.get("/search?q=x").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/search?q=x").await.status(),
        StatusCode::NOT_FOUND
    );
    let home = app.get_html("/", StatusCode::OK).await;
    assert!(select(&home, "form[action=\"/search\"]").is_empty());
}

// ---- What readers see (issue 14) ----------------------------------------------------------

/// Item 3: excerpts showed the Markdown source (`# Trip …`, `**harbour**`, `[text](url)`).
#[tokio::test]
async fn excerpts_are_the_notes_text_not_its_markdown() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(
        &csrf,
        "# Trip to the lighthouse\n\nWe walked past the **harbour**, with \
         [friends](https://example.com/friends)[^1].\n\n[^1]: Old ones.",
        true,
    )
    .await;
    let expected = "Trip to the lighthouse We walked past the <mark>harbour</mark>, with \
                    friends. Old ones.";
    let (_, body) = api(&app, "harbour").await;
    assert_eq!(body["results"][0]["excerpt_html"], expected);
    assert_eq!(body["results"][0]["title"], "Trip to the lighthouse");
    let page = app.get_html("/search?q=harbour", StatusCode::OK).await;
    assert_eq!(select(&page, ".excerpt")[0].inner_html(), expected);
    // Words only in a footnote are found too.
    assert_eq!(api(&app, "old").await.1["total"], 1);
    assert_eq!(api(&app, "example").await.1["total"], 0, "never the URL");
}

/// Item 3: equally good matches came oldest first.
#[tokio::test]
async fn equally_good_matches_come_newest_first() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (first, _) = app.create_note(&csrf, "Lighthouse walk", true).await;
    let (second, _) = app.create_note(&csrf, "Lighthouse walk", true).await;
    let (backdated, id) = app.create_note(&csrf, "Lighthouse walk", true).await;
    app.state
        .db
        .pool
        .get()
        .unwrap()
        .execute(
            "UPDATE notes SET published_at = published_at - 86400 WHERE id = ?1",
            [id],
        )
        .unwrap();
    let (_, body) = api(&app, "lighthouse").await;
    let slugs: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, [&second, &first, &backdated]);
    let page = app.get_html("/search?q=lighthouse", StatusCode::OK).await;
    let links: Vec<String> = select(&page, ".result-title")
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
    assert_eq!(links, [second, first, backdated]);
}

/// Item 3: results were not `h-entry`s, the two search forms were indistinguishable
/// landmarks, and the date could break at its hyphens.
#[tokio::test]
async fn results_are_h_entries_under_a_search_landmark_of_their_own() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, _) = app
        .create_note(&csrf, "Walking to the **lighthouse** at dawn", true)
        .await;
    let res = client()
        .get(app.url("/search?q=lighthouse"))
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    let doc = crate::helpers::mf2(&body, &app.url("/search?q=lighthouse"));
    let entry = &doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"][0] == "h-entry")
        .expect("an h-entry")["properties"];
    assert_eq!(entry["name"][0], "Walking to the lighthouse at dawn");
    assert_eq!(
        entry["url"][0],
        format!("http://127.0.0.1:8000/notes/{slug}")
    );
    assert!(entry["published"][0].as_str().unwrap().starts_with("20"));
    assert_eq!(entry["summary"][0], "Walking to the lighthouse at dawn");

    let page = scraper::Html::parse_document(&body);
    let labels: Vec<&str> = select(&page, "[role=search]")
        .iter()
        .map(|f| f.value().attr("aria-label").unwrap_or_default())
        .collect();
    assert_eq!(labels.len(), 2);
    assert!(
        labels.iter().all(|l| !l.is_empty()) && labels[0] != labels[1],
        "{labels:?}"
    );
    assert_eq!(select(&page, ".result-title[dir=auto]").len(), 1);
    assert_eq!(select(&page, ".excerpt[dir=auto]").len(), 1);

    let css_url = crate::helpers::attr(&page, "link[rel=stylesheet]", "href");
    let css = app.get(&css_url).await.text().await.unwrap();
    assert!(
        css.split('}')
            .any(|r| r.contains(".search-result time") && r.contains("white-space: nowrap")),
        "a rule keeps result dates on one line"
    );
}

/// Item 3 and 4 for notes already stored: their HTML and the index were made by the old
/// renderer; start-up renders them again.
#[tokio::test]
async fn notes_stored_before_the_text_index_are_rendered_again_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::helpers::config_for(dir.path(), &[]);
    {
        let mut conn = rusqlite::Connection::open(&config.database.path).unwrap();
        let migrations = starpunk::db::migrate::known_migrations();
        starpunk::db::migrate::apply(&mut conn, &migrations[..6]).unwrap();
        conn.execute(
            "INSERT INTO notes (slug, content, content_type, content_html, content_hash, \
             published_at, created_at, updated_at) VALUES ('old-note', \
             '# Old **lighthouses**\n\nFootnote here[^1].\n\n[^1]: the note.', 'markdown', \
             '<h1>Old <strong>lighthouses</strong></h1><p>Footnote here<sup><a href=\"#1\">1</a>\
             </sup>.</p><div><sup>1</sup><p>the note.</p></div>', 'x', 1, 1, 1)",
            [],
        )
        .unwrap();
    }
    let app = crate::helpers::spawn_app_in(dir, &[]).await;
    let (_, body) = api(&app, "lighthouses").await;
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["results"][0]["excerpt_html"],
        "Old <mark>lighthouses</mark> Footnote here. the note."
    );
    let page = app.get_html("/notes/old-note", StatusCode::OK).await;
    assert_eq!(texts(&page, "h1"), ["Old lighthouses"]);
    assert_eq!(
        crate::helpers::attr(&page, ".footnote-ref a", "href"),
        "#fn-old-note-1"
    );
    assert_eq!(select(&page, "#fn-old-note-1").len(), 1);
}
