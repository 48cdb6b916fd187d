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
    let res = app
        .client
        .get(app.url("/admin/delete/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn an_oversized_form_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let huge = "x".repeat(starpunk::startup::FORM_LIMIT + 10);
    let res = app
        .post_form("/admin/new", &[("csrf_token", &csrf), ("content", &huge)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["413"]);
    let count: i64 = app
        .state
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
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
        assert!(
            res.status() == StatusCode::BAD_REQUEST || res.status() == StatusCode::FORBIDDEN,
            "{content_type} {body:?}: {}",
            res.status()
        );
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
    let held = app.state.pool.get().unwrap();
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["503"]);
    assert!(texts(&html, ".error-message").concat().contains("busy"));
    drop(held);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}
