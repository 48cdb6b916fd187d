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
    for path in ["/admin/", "/admin/new", "/admin/edit/1", "/admin/delete/1"] {
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
    for path in ["/admin/delete/999", "/admin/delete/abc"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
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

/// Issue 14: "Delete sits against Edit with no confirmation". The list's Delete has the danger
/// style and leads to a page that asks first; nothing is deleted until that page's CSRF-protected
/// form is posted. Without JavaScript: a link and a form.
#[tokio::test]
async fn delete_looks_like_delete_and_asks_first_without_javascript() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let (slug, id) = app.create_note(&csrf, "Delete me please", true).await;
    let confirm = format!("/admin/delete/{id}");

    let list = app.get_html("/admin/", StatusCode::OK).await;
    let delete = select(&list, ".admin-notes a.button.button-danger");
    assert_eq!(delete.len(), 1);
    assert_eq!(delete[0].value().attr("href"), Some(confirm.as_str()));
    assert_eq!(texts(&list, ".admin-notes a.button-danger"), ["Delete"]);
    assert!(
        select(&list, "form[action^=\"/admin/delete/\"]").is_empty(),
        "the list never deletes in one click"
    );
    // Edit is secondary and sits apart from Delete, in the row's own actions box.
    assert_eq!(
        select(&list, ".row-actions > a.button.button-secondary").len(),
        1
    );
    assert_eq!(select(&list, ".row-actions > a.button-danger").len(), 1);

    // The question, with the title, and a form that posts back with the session's CSRF token.
    let page = app.get_html(&confirm, StatusCode::OK).await;
    assert_eq!(texts(&page, "h1"), ["Delete «Delete me please»?"]);
    assert!(
        texts(&page, "main")
            .concat()
            .contains("It can be restored from the list.")
    );
    let form = format!("form[method=post][action=\"{confirm}\"]");
    assert_eq!(
        attr(&page, &format!("{form} input[name=csrf_token]"), "value"),
        csrf
    );
    assert_eq!(
        texts(
            &page,
            &format!("{form} button.button.button-danger[type=submit]")
        ),
        ["Delete"]
    );
    assert_eq!(attr(&page, "main a[href=\"/admin/\"]", "href"), "/admin/");
    let head = app.client.head(app.url(&confirm)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);

    // Looking at the question deleted nothing.
    let note = format!("/notes/{slug}");
    assert_eq!(app.get(&note).await.status(), StatusCode::OK);

    // The existing POST stays the action.
    let res = app.post_form(&confirm, &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/?done=deleted");
    assert_eq!(app.get(&note).await.status(), StatusCode::GONE);

    // Asked again, the page says so and offers Restore instead (a secondary action in the list).
    let again = app.get_html(&confirm, StatusCode::OK).await;
    assert_eq!(
        texts(&again, "h1"),
        ["«Delete me please» is already deleted"]
    );
    assert!(select(&again, &form).is_empty());
    assert_eq!(
        select(
            &again,
            &format!("form[action=\"/admin/undelete/{id}\"] button")
        )
        .len(),
        1
    );
    let list = app.get_html("/admin/", StatusCode::OK).await;
    assert!(select(&list, ".admin-notes .button-danger").is_empty());
    assert_eq!(
        texts(
            &list,
            &format!("form[action=\"/admin/undelete/{id}\"] button.button.button-secondary")
        ),
        ["Restore"]
    );
}

/// The rules behind "secondary actions look secondary" and the filled red confirmation: each
/// variant has two classes, so it outranks `button.button` (Delete and Preview were filled blue).
#[tokio::test]
async fn the_button_variants_outrank_the_plain_button_rule() {
    let app = spawn_app().await;
    let css = app.get("/static/css/site.css").await.text().await.unwrap();
    for rule in [
        ".button.button-secondary {",
        ".button.button-danger {",
        ".confirm-delete .button.button-danger {",
    ] {
        assert!(css.contains(rule), "{rule}");
    }
}

/// Issue 14: "today it appears at y = 891 in a 900 px window and looks like nothing happened".
/// With a preview, the form and the preview share a grid (side by side on a wide screen), and the
/// Preview button posts to `…#preview`, so a narrow screen scrolls to it; Save does not.
#[tokio::test]
async fn the_preview_sits_beside_the_editor_or_is_scrolled_to() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    let new = app.get_html("/admin/new", StatusCode::OK).await;
    assert_eq!(
        attr(&new, "button[value=preview]", "formaction"),
        "/admin/new#preview"
    );
    assert!(select(&new, "button[value=save][formaction]").is_empty());
    assert_eq!(attr(&new, "form.note-form", "action"), "/admin/new");
    assert!(
        select(&new, ".editor-with-preview").is_empty(),
        "no empty column without a preview"
    );

    let res = app
        .post_form(
            "/admin/new#preview",
            &[
                ("csrf_token", &csrf),
                ("content", "Seen **at once**"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        select(&page, ".editor-with-preview > form.note-form").len(),
        1
    );
    assert_eq!(
        texts(
            &page,
            ".editor-with-preview > section#preview .note-content strong"
        ),
        ["at once"]
    );
    assert_eq!(
        attr(&page, "#preview", "aria-labelledby"),
        "preview-heading"
    );

    let (_, id) = app.create_note(&csrf, "An older note", true).await;
    let edit = app
        .get_html(&format!("/admin/edit/{id}"), StatusCode::OK)
        .await;
    assert_eq!(
        attr(&edit, "button[value=preview]", "formaction"),
        format!("/admin/edit/{id}#preview")
    );

    let css = app.get("/static/css/site.css").await.text().await.unwrap();
    let grid = &css[css.find(".editor-with-preview {").expect("a grid rule")..];
    let grid = &grid[..grid.find('}').unwrap()];
    assert!(grid.contains("display: grid"), "{grid}");
    assert!(grid.contains("grid-template-columns"), "{grid}");
}
