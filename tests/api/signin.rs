//! The owner signs in without any other service: the first-run setup address, the password
//! (Argon2id, throttled, `starpunk password`), sessions and the admin's Sign-in page.
//! Passkeys are in `passkeys.rs`.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::{TestApp, attr, location, select, spawn_app_in, spawn_app_with};

const PASSWORD: &str = "correct horse battery staple";

/// The CSRF token of a sign-in form on `path` (and this client's form cookie).
async fn form_token(app: &TestApp, path: &str) -> String {
    let page = app.get_html(path, StatusCode::OK).await;
    attr(&page, "input[name=csrf_token]", "value")
}

/// Sets the password the way the first-run page does; returns the setup token used.
async fn set_up_password(app: &TestApp) {
    let token = app.state.setup.issue();
    let csrf = form_token(app, &format!("/auth/setup?token={token}")).await;
    let res = app
        .post_form(
            "/auth/setup/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("password", PASSWORD),
                ("repeat", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/sign-in");
}

async fn sign_in(app: &TestApp, password: &str) -> reqwest::Response {
    let csrf = form_token(app, "/auth/login").await;
    app.post_form(
        "/auth/password",
        &[("csrf_token", csrf.as_str()), ("password", password)],
    )
    .await
}

fn stored_password(app: &TestApp) -> Option<String> {
    let conn = app.state.db.pool.get().unwrap();
    conn.query_row("SELECT phc FROM owner_password", [], |r| r.get(0))
        .ok()
}

#[tokio::test]
async fn the_setup_page_needs_the_current_token_and_is_gone_once_a_credential_exists() {
    let app = spawn_app_with(&[]).await;
    assert_eq!(app.get("/auth/setup").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/auth/setup?token=0123456789abcdef0123456789abcdef")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let old = app.state.setup.issue();
    let token = app.state.setup.issue();
    assert_eq!(
        app.get(&format!("/auth/setup?token={old}")).await.status(),
        StatusCode::NOT_FOUND,
        "a new token replaces the old one"
    );
    let page = app
        .get_html(&format!("/auth/setup?token={token}"), StatusCode::OK)
        .await;
    assert!(!select(&page, "#passkey-register").is_empty());
    let csrf = attr(&page, "input[name=csrf_token]", "value");

    // Rules: at least 12 characters, typed twice the same.
    for (password, repeat, why) in [
        ("short", "short", "at least 12 characters"),
        (PASSWORD, "something else entirely", "not the same"),
    ] {
        let res = app
            .post_form(
                "/auth/setup/password",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("token", token.as_str()),
                    ("password", password),
                    ("repeat", repeat),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains(why));
    }
    assert!(stored_password(&app).is_none());

    set_up_password(&app).await;
    // Signed in, on the Sign-in page.
    assert_eq!(app.get("/admin/sign-in").await.status(), StatusCode::OK);
    let phc = stored_password(&app).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains(PASSWORD));
    // Single use: the page and its forms are gone, even with a fresh token.
    assert_eq!(
        app.get(&format!("/auth/setup?token={token}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let fresh = app.state.setup.issue();
    assert_eq!(
        app.get(&format!("/auth/setup?token={fresh}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_password_signs_the_owner_in_and_a_wrong_one_does_not() {
    let app = spawn_app_with(&[]).await;
    set_up_password(&app).await;
    let visitor = app.other_browser();
    let res = sign_in(&visitor, "correct horse battery stapler").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("starpunk_session="))
    );
    assert!(res.text().await.unwrap().contains("not right"));
    assert_eq!(visitor.get("/admin/").await.status(), StatusCode::SEE_OTHER);

    let res = sign_in(&visitor, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("starpunk_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert_eq!(visitor.get("/admin/").await.status(), StatusCode::OK);

    // Signing in again rotates the session: the old cookie no longer works.
    let old = cookie.split(';').next().unwrap().to_owned();
    let res = sign_in(&visitor, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let stale = crate::helpers::client()
        .get(visitor.url("/admin/"))
        .header("Cookie", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&stale),
        "/auth/login",
        "the rotated session sends the browser to log in"
    );
}

#[tokio::test]
async fn sign_in_forms_refuse_a_missing_or_foreign_csrf_token() {
    let app = spawn_app_with(&[]).await;
    set_up_password(&app).await;
    let stranger = app.other_browser();
    // No form cookie, or a token of another browser: 403, no session.
    let theirs = form_token(&app, "/auth/login").await;
    for token in ["", theirs.as_str()] {
        let res = stranger
            .post_form(
                "/auth/password",
                &[("csrf_token", token), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    for path in [
        "/admin/sign-in/password",
        "/admin/sign-in/password/remove",
        "/admin/sign-in/sessions/end",
        "/admin/sign-in/sessions/end-others",
    ] {
        let res = app
            .post_form(path, &[("csrf_token", "wrong"), ("password", PASSWORD)])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let res = app
        .client
        .post(app.url("/auth/passkey/options"))
        .json(&serde_json::json!({ "csrf_token": "wrong" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_sign_ins_back_off_to_429_per_address_and_forwarded_headers_are_not_believed() {
    let app = spawn_app_with(&[]).await;
    set_up_password(&app).await;
    let visitor = app.other_browser();
    let csrf = form_token(&visitor, "/auth/login").await;
    let attempt = |forwarded: String| {
        let visitor = &visitor;
        let csrf = csrf.clone();
        async move {
            visitor
                .client
                .post(visitor.url("/auth/password"))
                .header("X-Forwarded-For", forwarded)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("password", "wrong password!"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Each failure claims another address: without TRUSTED_PROXIES nobody believes it.
    for i in 0..5 {
        let res = attempt(format!("198.51.100.{i}")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = attempt("198.51.100.99".into()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits: the owner is slowed down, never locked out for good.
    let res = sign_in(&visitor, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_count() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    set_up_password(&app).await;
    let csrf = form_token(&app, "/auth/login").await;
    let attempt = |forwarded: &'static str, password: &'static str| {
        let app = &app;
        let csrf = csrf.clone();
        async move {
            app.client
                .post(app.url("/auth/password"))
                .header("X-Forwarded-For", forwarded)
                .form(&[("csrf_token", csrf.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("203.0.113.66", "wrong password!").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("203.0.113.66", "wrong password!").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(attempt("192.0.2.10", PASSWORD).await, StatusCode::SEE_OTHER);
    // The session remembers where it was opened.
    let page = app.get("/admin/sign-in").await.text().await.unwrap();
    assert!(page.contains("192.0.2.10"), "{page}");
}

#[tokio::test]
async fn the_last_credential_cannot_be_removed_and_changes_end_other_sessions() {
    let app = spawn_app_with(&[]).await;
    set_up_password(&app).await;
    let csrf = {
        let page = app.get_html("/admin/sign-in", StatusCode::OK).await;
        attr(&page, "#password input[name=csrf_token]", "value")
    };
    let res = app
        .post_form("/admin/sign-in/password/remove", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(stored_password(&app).is_some());

    // A second browser signs in; changing the password ends that session, not this one.
    let other = app.other_browser();
    assert_eq!(
        sign_in(&other, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let new = "an even better passphrase";
    let res = app
        .post_form(
            "/admin/sign-in/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current", "not the password at all"),
                ("password", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "the current one is needed"
    );
    let res = app
        .post_form(
            "/admin/sign-in/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current", PASSWORD),
                ("password", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/admin/").await.status(), StatusCode::OK);
    assert_eq!(other.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(sign_in(&other, new).await.status(), StatusCode::SEE_OTHER);
}

/// `starpunk password` through the built binary, piped: sets the password while the server
/// runs and ends every session; short passwords are refused.
#[tokio::test]
async fn the_command_line_sets_the_password_and_ends_every_session() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let app = spawn_app_in(dir, &[("DEV_MODE", "true")]).await;
    app.login().await;
    assert_eq!(app.get("/admin/").await.status(), StatusCode::OK);

    let run = |input: &str, args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_starpunk"))
            .env_clear()
            .env("DATA_PATH", &data)
            .current_dir(&data)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("too short\n", &["password"]);
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    assert!(stored_password(&app).is_none());

    let out = run(&format!("{PASSWORD}\n"), &["password"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("password set; 1 sessions ended"));
    assert!(stored_password(&app).unwrap().starts_with("$argon2id$"));
    assert_eq!(app.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&app, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let out = run("", &["passkeys", "--remove-all"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 passkeys removed; 1 sessions ended"));
    assert_eq!(app.get("/admin/").await.status(), StatusCode::SEE_OTHER);
}

/// What the login page says and offers in one configuration.
struct LoginPage {
    text: String,
    warnings: Vec<String>,
    password_form: bool,
    passkey_button: bool,
    indieauth_form: bool,
    dev_login: bool,
}

async fn login_page(vars: &[(&str, &str)], password: bool, passkey: bool) -> LoginPage {
    let app = spawn_app_with(vars).await;
    {
        let conn = app.state.db.pool.get().unwrap();
        if password {
            starpunk::db::credentials::set_password(&conn, "$argon2id$v=19$stand-in", 0).unwrap();
        }
        if passkey {
            // The login page only counts passkeys; a stand-in row is enough.
            conn.execute(
                "INSERT INTO passkeys (credential_id, user_handle, name, static_state, \
                 dynamic_state, created_at) VALUES (x'01', x'02', 'Laptop', x'00', x'00', 0)",
                [],
            )
            .unwrap();
        }
    }
    let page = app.get_html("/auth/login", StatusCode::OK).await;
    LoginPage {
        text: crate::helpers::texts(&page, "main").concat(),
        warnings: crate::helpers::texts(&page, "main .flash-warning"),
        password_form: !select(&page, "form[action=\"/auth/password\"]").is_empty(),
        passkey_button: !select(&page, "#passkey-button").is_empty(),
        indieauth_form: !select(&page, "form[action=\"/auth/login\"]").is_empty(),
        dev_login: !select(&page, "a[href=\"/dev/login\"]").is_empty(),
    }
}

/// Issue 14: "with DEV_MODE it said 'Nobody can log in yet' above a working dev login button".
/// Every combination of credentials, DEV_MODE and ADMIN_ME elsewhere offers exactly the ways
/// that work, and the page never says sign-in is impossible beside one of them.
#[tokio::test]
async fn the_login_page_never_contradicts_itself_in_any_mode() {
    const SETUP_ONLY: &str =
        "No passkey or password is set yet. To sign in, open the one-time setup address";
    const SETUP_MORE: &str =
        "No passkey or password is set yet. To add one, open the one-time setup address";
    let elsewhere = ("ADMIN_ME", "https://owner.example/");
    let dev = ("DEV_MODE", "true");
    for (vars, password, passkey) in [
        (vec![], false, false),
        (vec![dev], false, false),
        (vec![], true, false),
        (vec![dev], true, false),
        (vec![], false, true),
        (vec![], true, true),
        (vec![dev], false, true),
        (vec![elsewhere], false, false),
        (vec![elsewhere, dev], false, false),
        (vec![elsewhere], true, false),
        (vec![elsewhere], false, true),
    ] {
        let case = format!("{vars:?} password={password} passkey={passkey}");
        let page = login_page(&vars, password, passkey).await;
        let is_dev = vars.contains(&dev);
        let is_elsewhere = vars.contains(&elsewhere);
        assert_eq!(page.password_form, password, "{case}");
        assert_eq!(page.passkey_button, passkey, "{case}");
        assert_eq!(page.indieauth_form, is_elsewhere, "{case}");
        assert_eq!(page.dev_login, is_dev, "{case}");
        let works = password || passkey || is_elsewhere || is_dev;
        assert!(
            !page.text.to_lowercase().contains("nobody"),
            "{case}: {}",
            page.text
        );
        // The setup address is offered while no credential exists: as the way in when it is the
        // only one, as a way to add one beside the others, and never once a credential exists.
        let pending = !password && !passkey;
        assert_eq!(
            page.text.contains(SETUP_ONLY),
            pending && !works,
            "{case}: {}",
            page.text
        );
        assert_eq!(
            page.text.contains(SETUP_MORE),
            pending && works,
            "{case}: {}",
            page.text
        );
        assert!(
            page.warnings
                .iter()
                .all(|w| !w.contains("No passkey or password"))
                || !works,
            "{case}: a warning that nothing is set up beside a way that works: {:?}",
            page.warnings
        );
        if is_dev {
            assert!(
                page.warnings
                    .iter()
                    .any(|w| w.contains("Development mode is on: the button below logs you in")),
                "{case}"
            );
        }
        if is_elsewhere {
            let also = page
                .text
                .contains("You can also sign in at the authorization server");
            assert_eq!(also, password || passkey, "{case}: {}", page.text);
        }
    }
}
