//! Error answers: styled pages, JSON for JSON clients, limits, never a 500 for bad input.

use reqwest::StatusCode;

use crate::helpers::{select, spawn_app, texts};

#[tokio::test]
async fn unknown_pages_get_a_styled_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["404"]);
    assert_eq!(select(&html, "link[rel=stylesheet]").len(), 1);
}

#[tokio::test]
async fn json_clients_get_json_errors() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/notes/missing"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn a_wrong_method_is_a_405_page() {
    let app = spawn_app().await;
    for (method, path) in [
        ("DELETE", "/"),
        ("PUT", "/notes/x"),
        ("POST", "/admin/delete/1"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        let expected = if method == "POST" {
            // POST is the right method there; without a session it is a login redirect.
            StatusCode::SEE_OTHER
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        };
        assert_eq!(res.status(), expected, "{method} {path}");
        if expected == StatusCode::METHOD_NOT_ALLOWED {
            let html = scraper::Html::parse_document(&res.text().await.unwrap());
            assert_eq!(texts(&html, ".error-code"), ["405"]);
        }
    }
    // `GET /admin/delete/{id}` asks before deleting (issue 14); restoring is POST only.
    let res = app
        .client
        .get(app.url("/admin/undelete/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn an_oversized_form_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let huge = "x".repeat(starpunk::state::FORM_LIMIT + 10);
    let res = app
        .post_form("/admin/new", &[("csrf_token", &csrf), ("content", &huge)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["413"]);
    let count = app.note_count();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn malformed_forms_are_400_not_500() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let bodies: [(&str, Vec<u8>); 4] = [
        (
            "application/x-www-form-urlencoded",
            b"content=%ZZ&csrf_token=1".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
        ),
        ("application/json", b"{\"content\": \"x\"}".to_vec()),
        ("text/plain", b"content=x".to_vec()),
    ];
    for (content_type, body) in bodies {
        let res = app
            .client
            .post(app.url("/admin/new"))
            .header("Content-Type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            // Unreadable: 400; readable but without the right token: 403.
            assert!(
                matches!(
                    res.status(),
                    StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN
                ),
                "{content_type} {body:?}: {}",
                res.status()
            );
        } else {
            assert_eq!(
                res.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type}"
            );
        }
    }
    // The session still works: nothing broke.
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", &csrf),
                ("content", "still fine"),
                ("published", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_exhausted_database_pool_is_a_503_page_not_a_500() {
    let app =
        crate::helpers::spawn_app_with(&[("DB_POOL_SIZE", "1"), ("DB_POOL_TIMEOUT", "0.2")]).await;
    let held = app.state.db.pool.get().unwrap();
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["503"]);
    assert!(texts(&html, ".error-message").concat().contains("busy"));
    drop(held);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn parser_details_never_reach_the_visitor() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let res = app.get("/admin/edit/abc").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains("i64"));
    let res = app
        .client
        .post(app.url("/admin/new"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={csrf}&content=a&content=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(!res.text().await.unwrap().contains("duplicate field"));
    let res = app.get("/?before=1-1&before=2-2").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A health probe's odd query string is still a health check.
    let res = app.get("/health?detailed=x&detailed=y").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn owner_pages_are_never_stored_in_shared_caches() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, _) = app.create_note(&csrf, "Private draft", false).await;
    for path in [
        "/".to_owned(),
        format!("/notes/{slug}"),
        "/search?q=draft".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(
            res.headers()["cache-control"],
            "private, no-store",
            "{path}"
        );
        assert_eq!(res.headers()["vary"], "Cookie", "{path}");
    }
    let visitor = crate::helpers::client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(visitor.headers()["cache-control"], "public, max-age=60");
}

#[tokio::test]
async fn a_deleted_draft_is_404_not_410_for_visitors() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, id) = app.create_note(&csrf, "Secret then gone", false).await;
    app.post_form(&format!("/admin/delete/{id}"), &[("csrf_token", &csrf)])
        .await;
    let res = crate::helpers::client()
        .get(app.url(&format!("/notes/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn published_false_keeps_a_draft_and_disabled_routes_hide_for_every_method() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", &csrf),
                ("content", "Not public"),
                ("published", "false"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (slug, _) = app.newest_note().await;
    let visitor = crate::helpers::client();
    let res = visitor
        .get(app.url(&format!("/notes/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for method in ["GET", "PUT", "OPTIONS", "DELETE"] {
        let res = visitor
            .request(method.parse().unwrap(), app.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} /metrics");
    }
    let off = crate::helpers::spawn_app_with(&[]).await;
    for method in ["GET", "POST", "HEAD"] {
        let res = visitor
            .request(method.parse().unwrap(), off.url("/dev/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} /dev/login");
    }
}
