//! Passkeys over real HTTP, with a software authenticator (`authenticator.rs`: a P-256 key that
//! builds real attestation and assertion messages) playing the browser on
//! `http://localhost:8000` (the site's `SITE_URL`; the RP ID is `localhost`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::authenticator::{Passkey, Tamper};
use crate::helpers::{TestApp, attr, spawn_app_with};

const ORIGIN: &str = "http://localhost:8000";

async fn app() -> TestApp {
    spawn_app_with(&[("SITE_URL", "http://localhost:8000/")]).await
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("Accept", "application/json")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Registers `passkey` through the first-run setup page; the browser is then signed in.
async fn set_up(app: &TestApp, passkey: &mut Passkey) {
    let token = app.state.setup.issue();
    let page = app
        .get_html(&format!("/auth/setup?token={token}"), StatusCode::OK)
        .await;
    let csrf = attr(&page, "#passkey-register", "data-csrf");
    let res = post_json(
        app,
        "/auth/setup/passkey/options",
        &json!({ "csrf_token": csrf, "token": token }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let options: Value = res.json().await.unwrap();
    // Enforcing credProtect makes Chromium drop every authenticator without the extension
    // (found with Chromium's virtual authenticator): it may be asked for, not enforced.
    assert_ne!(
        options["extensions"]["enforceCredentialProtectionPolicy"], true,
        "{options}"
    );
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    let credential = passkey.register(&options, ORIGIN);
    let res = post_json(
        app,
        "/auth/setup/passkey/finish",
        &json!({ "csrf_token": csrf, "token": token, "name": "Laptop", "credential": credential }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["location"], "/admin/sign-in");
}

/// Starts a sign-in in `browser`: the form's CSRF token and the options.
async fn start_sign_in(browser: &TestApp) -> (String, Value) {
    let page = browser.get_html("/auth/login", StatusCode::OK).await;
    let csrf = attr(&page, "#passkey-login", "data-csrf");
    let res = post_json(
        browser,
        "/auth/passkey/options",
        &json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    (csrf, res.json().await.unwrap())
}

async fn finish_sign_in(browser: &TestApp, csrf: &str, credential: &Value) -> reqwest::Response {
    post_json(
        browser,
        "/auth/passkey/finish",
        &json!({ "csrf_token": csrf, "credential": credential }),
    )
    .await
}

#[tokio::test]
async fn a_passkey_registered_at_setup_signs_the_owner_in() {
    let app = app().await;
    let mut passkey = Passkey::new("localhost");
    set_up(&app, &mut passkey).await;
    let page = app.get("/admin/sign-in").await.text().await.unwrap();
    assert!(page.contains("Laptop"), "{page}");

    let browser = app.other_browser();
    assert_eq!(browser.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    let login = browser.get_html("/auth/login", StatusCode::OK).await;
    assert_eq!(
        attr(&login, "input[name=username]", "autocomplete"),
        "username webauthn",
        "conditional mediation"
    );
    let (csrf, options) = start_sign_in(&browser).await;
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["userVerification"], "required");
    let answer = passkey.authenticate(&options, ORIGIN);
    let res = finish_sign_in(&browser, &csrf, &answer).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("starpunk_session=")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["location"], "/admin/");
    assert_eq!(browser.get("/admin/").await.status(), StatusCode::OK);
    // The same answer again: its challenge was used up.
    let again = finish_sign_in(&browser, &csrf, &answer).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn forged_passkey_answers_are_refused() {
    let app = app().await;
    let mut passkey = Passkey::new("localhost").with_counter(10);
    set_up(&app, &mut passkey).await;
    // A good sign-in first, so the stored counter is 11.
    let browser = app.other_browser();
    let (csrf, options) = start_sign_in(&browser).await;
    let answer = passkey.authenticate(&options, ORIGIN);
    assert_eq!(
        finish_sign_in(&browser, &csrf, &answer).await.status(),
        StatusCode::OK
    );

    let stranger = app.other_browser();
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "wrong origin",
            Tamper {
                origin: Some("http://evil.example".into()),
                ..Tamper::default()
            },
        ),
        (
            "wrong RP ID",
            Tamper {
                rp_id: Some("evil.example".into()),
                ..Tamper::default()
            },
        ),
        (
            "a challenge that was never issued (or expired)",
            Tamper {
                challenge: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
                ..Tamper::default()
            },
        ),
        (
            "bad signature",
            Tamper {
                bad_signature: true,
                ..Tamper::default()
            },
        ),
        (
            "counter going backwards",
            Tamper {
                counter: Some(3),
                ..Tamper::default()
            },
        ),
        (
            "no user verification",
            Tamper {
                user_verified: false,
                ..Tamper::default()
            },
        ),
    ];
    for (why, tamper) in cases {
        // Every refusal counts against this address; start each case afresh so the back-off
        // (tested in signin.rs) does not answer first.
        app.state.throttle.success("127.0.0.1".parse().ok());
        let (csrf, options) = start_sign_in(&stranger).await;
        let answer = passkey.authenticate_with(&options, ORIGIN, &tamper);
        let res = finish_sign_in(&stranger, &csrf, &answer).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{why}");
        assert!(res.headers().get("set-cookie").is_none(), "{why}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error_description"].is_string(), "{why}");
    }
    // A passkey this site never registered.
    let mut unknown = Passkey::new("localhost");
    let (csrf, options) = start_sign_in(&stranger).await;
    let answer = unknown.authenticate(&options, ORIGIN);
    assert_eq!(
        finish_sign_in(&stranger, &csrf, &answer).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stranger.get("/admin/").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_admin_adds_and_removes_passkeys_but_never_the_last_credential() {
    let app = app().await;
    let mut first = Passkey::new("localhost");
    set_up(&app, &mut first).await;
    let page = app.get_html("/admin/sign-in", StatusCode::OK).await;
    let csrf = attr(&page, "#passkey-register", "data-csrf");
    // Only credential: no remove button, and removing it anyway is refused.
    assert!(crate::helpers::select(&page, "#passkeys form[action$=\"/remove\"]").is_empty());
    let res = app
        .post_form("/admin/sign-in/passkeys/1/remove", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // A second browser signed in with the first passkey loses its session when a passkey is
    // added.
    let other = app.other_browser();
    let (form, options) = start_sign_in(&other).await;
    let answer = first.authenticate(&options, ORIGIN);
    assert_eq!(
        finish_sign_in(&other, &form, &answer).await.status(),
        StatusCode::OK
    );
    let res = post_json(
        &app,
        "/admin/sign-in/passkeys/options",
        &json!({ "csrf_token": "x" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "CSRF");
    let res = post_json(
        &app,
        "/admin/sign-in/passkeys/options",
        &json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let options: Value = res.json().await.unwrap();
    let excluded: Vec<&str> = options["excludeCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(excluded.len(), 1, "the registered passkey is excluded");
    let mut second = Passkey::new("localhost");
    let credential = second.register(&options, ORIGIN);
    assert_eq!(
        second.user_handle(),
        first.user_handle(),
        "one owner, one user handle"
    );
    let res = post_json(
        &app,
        "/admin/sign-in/passkeys/finish",
        &json!({ "csrf_token": csrf, "name": "Phone", "credential": credential }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(other.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    let page = app.get("/admin/sign-in").await.text().await.unwrap();
    assert!(page.contains("Phone") && page.contains("Laptop"));

    // Now the first one can go; the second still signs in, the first no longer does.
    let res = app
        .post_form("/admin/sign-in/passkeys/1/remove", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let browser = app.other_browser();
    let (form, options) = start_sign_in(&browser).await;
    let answer = first.authenticate(&options, ORIGIN);
    assert_eq!(
        finish_sign_in(&browser, &form, &answer).await.status(),
        StatusCode::FORBIDDEN
    );
    let (form, options) = start_sign_in(&browser).await;
    let answer = second.authenticate(&options, ORIGIN);
    assert_eq!(
        finish_sign_in(&browser, &form, &answer).await.status(),
        StatusCode::OK
    );
}
