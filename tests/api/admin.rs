//! The admin area through its forms: sessions, CSRF, create/edit/delete/restore.

use reqwest::StatusCode;

use crate::helpers::{attr, client, location, select, spawn_app, spawn_app_with, texts};

#[tokio::test]
async fn a_note_lives_through_create_view_edit_delete_and_restore() {
    let app = spawn_app().await;
    let csrf = app.login().await;

    let (slug, id) = app
        .create_note(&csrf, "Morning walk by the river", true)
        .await;
    assert_eq!(slug, "morning-walk-by-the-river");
    let list = app.get_html("/admin/?done=created", StatusCode::OK).await;
    assert_eq!(texts(&list, ".flash-ok"), ["Note published."]);
    assert_eq!(
        texts(&list, ".admin-notes .slug"),
        std::slice::from_ref(&slug)
    );

    let visitor = client();
    let note_url = app.url(&format!("/notes/{slug}"));
    let page = visitor.get(&note_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Morning walk by the river")
    );

    // Edit: the form shows the source; saving re-renders and keeps the slug.
    let form = app
        .get_html(&format!("/admin/edit/{id}"), StatusCode::OK)
        .await;
    assert_eq!(
        texts(&form, "textarea[name=content]"),
        ["Morning walk by the river"]
    );
    let res = app
        .post_form(
            &format!("/admin/edit/{id}"),
            &[
                ("csrf_token", &csrf),
                ("content", "Evening walk, **renamed**"),
                ("published", "true"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/?done=updated");
    let edited = visitor
        .get(&note_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edited.contains("Evening walk, <strong>renamed</strong>"));

    // Delete: 410 for everyone, marked in the admin list.
    let res = app
        .post_form(&format!("/admin/delete/{id}"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let gone = visitor.get(&note_url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("410"));
    let list = app.get_html("/admin/", StatusCode::OK).await;
    assert_eq!(texts(&list, ".badge-deleted"), ["Deleted"]);
    let home = visitor
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("Evening walk"));

    // Restore: back to 200 with the same slug and the edited content.
    let res = app
        .post_form(&format!("/admin/undelete/{id}"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = visitor.get(&note_url).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::OK);
    assert!(back.text().await.unwrap().contains("renamed"));
}

#[tokio::test]
async fn unpublishing_a_note_hides_it_and_publishing_shows_it_again() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, id) = app.create_note(&csrf, "Toggle me", true).await;
    let edit = |published: bool| {
        let mut form = vec![("csrf_token", csrf.as_str()), ("content", "Toggle me")];
        if published {
            form.push(("published", "true"));
        }
        let app = &app;
        async move { app.post_form(&format!("/admin/edit/{id}"), &form).await }
    };
    assert_eq!(edit(false).await.status(), StatusCode::SEE_OTHER);
    let visitor = client();
    let url = app.url(&format!("/notes/{slug}"));
    assert_eq!(
        visitor.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(edit(true).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        visitor.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn preview_renders_without_saving_and_bad_content_loses_nothing() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", &csrf),
                ("content", "# Draft *title*\n<script>x()</script>"),
                ("slug", "my-slug"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    // A note's `# heading` sits one level down, below the page's own `h1` (issue 14).
    assert_eq!(select(&html, ".preview .note-content h2 em").len(), 1);
    assert!(select(&html, ".preview script").is_empty());
    assert_eq!(attr(&html, "input[name=slug]", "value"), "my-slug");
    assert!(
        texts(&html, "textarea")
            .concat()
            .contains("<script>x()</script>")
    );

    let res = app
        .post_form(
            "/admin/new",
            &[("csrf_token", &csrf), ("content", "   "), ("slug", "kept")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".flash-error"), ["a note needs some content"]);
    assert_eq!(attr(&html, "input[name=slug]", "value"), "kept");

    let count = app.note_count();
    assert_eq!(count, 0, "neither preview nor a refused form stores a note");
}

#[tokio::test]
async fn every_admin_post_without_a_valid_csrf_token_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, id) = app.create_note(&csrf, "Protected note", true).await;
    let posts = [
        "/admin/new".to_owned(),
        format!("/admin/edit/{id}"),
        format!("/admin/delete/{id}"),
        format!("/admin/undelete/{id}"),
        "/auth/logout".to_owned(),
    ];
    for path in &posts {
        for token in [None, Some("0".repeat(64)), Some("garbage".to_owned())] {
            let mut form = vec![("content", "Changed"), ("published", "true")];
            if let Some(t) = &token {
                form.push(("csrf_token", t));
            }
            let res = app.post_form(path, &form).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert!(res.text().await.unwrap().contains("security token"));
        }
    }
    // Nothing changed: one note, same content, not deleted, still logged in.
    let res = app.get(&format!("/notes/{slug}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Protected note"));
    assert_eq!(app.get("/admin/").await.status(), StatusCode::OK);
    assert_eq!(app.newest_note().await.1, id);
}

#[tokio::test]
async fn a_csrf_token_from_another_session_is_refused() {
    let app = spawn_app().await;
    let csrf_a = app.login().await;
    let other = client();
    other.get(app.url("/dev/login")).send().await.unwrap();
    let res = other
        .post(app.url("/admin/new"))
        .form(&[("csrf_token", csrf_a.as_str()), ("content", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_routes_without_a_session_redirect_to_login() {
    let app = spawn_app().await;
    for path in ["/admin/", "/admin/new", "/admin/edit/1"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(location(&res), "/auth/login");
    }
    for path in [
        "/admin/new",
        "/admin/edit/1",
        "/admin/delete/1",
        "/admin/undelete/1",
        "/auth/logout",
    ] {
        let res = app.post_form(path, &[("content", "x")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(location(&res), "/auth/login");
    }
    // A forged cookie is no session either.
    let res = app
        .client
        .get(app.url("/admin/"))
        .header("Cookie", format!("starpunk_session={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // JSON clients get a 401 document instead of a redirect.
    let res = app
        .client
        .get(app.url("/admin/"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn unknown_note_ids_are_404_in_the_admin() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    assert_eq!(
        app.get("/admin/edit/999").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/admin/edit/abc").await.status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        "/admin/edit/999",
        "/admin/delete/999",
        "/admin/undelete/999",
    ] {
        let res = app
            .post_form(path, &[("csrf_token", &csrf), ("content", "x")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn dev_login_is_404_unless_dev_mode_is_on() {
    let app = spawn_app_with(&[]).await;
    let res = app.get("/dev/login").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers().get("set-cookie").is_none());
    let login = app.get_html("/auth/login", StatusCode::OK).await;
    assert!(select(&login, "a[href=\"/dev/login\"]").is_empty());
    // Without ADMIN_ME the site is its own owner's identity: sign-in is set up here.
    assert!(
        texts(&login, ".login-box")
            .concat()
            .contains("setup address")
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let res = app.get("/dev/login").await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("starpunk_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(cookie.contains("Max-Age=2592000"));
    assert!(!cookie.contains("Secure"), "http site: no Secure flag");
    let token = cookie["starpunk_session=".len()..]
        .split(';')
        .next()
        .unwrap();
    let stored: i64 = app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sessions WHERE token_hash = ?1",
            [token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "the raw token is never stored");

    let page = app.get_html("/admin/", StatusCode::OK).await;
    assert_eq!(select(&page, ".dev-banner").len(), 1, "dev mode banner");
    let csrf = attr(
        &page,
        "form[action=\"/auth/logout\"] input[name=csrf_token]",
        "value",
    );
    let res = app
        .post_form("/auth/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie no longer opens the admin, even if replayed.
    let replay = client()
        .get(app.url("/admin/"))
        .header("Cookie", format!("starpunk_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_is_https() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("SITE_URL", "https://localhost:8443/"),
    ])
    .await;
    let res = app.get("/dev/login").await;
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}
