//! IndieAuth against a real peer on loopback: login (discovery through HTML links, Link headers,
//! metadata with `iss`, fallback; PKCE, a short single-use state and every failure path), then
//! how Micropub tokens are verified at someone else's server: introspection first,
//! authenticated, the token endpoint's `GET` only as the fallback.

use reqwest::StatusCode;

use crate::helpers::{TestApp, location, select, spawn_app_with};
use crate::peers::{Advertise, Peer};

/// The app's default `SITE_URL`: redirects to it are sent to the test app's real port.
const SITE: &str = "http://127.0.0.1:8000";

pub async fn app_owned_by(peer: &Peer) -> TestApp {
    spawn_app_with(&[("ADMIN_ME", &peer.me())]).await
}

/// Starts a login: `POST /auth/login` → the authorization URL.
async fn start(app: &TestApp) -> url::Url {
    let res = app.post_form("/auth/login", &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "login starts with a redirect"
    );
    url::Url::parse(&location(&res)).unwrap()
}

/// Visits the (auto-approving) authorization endpoint and returns the callback URL on the app.
async fn approve(app: &TestApp, authorization: &url::Url) -> String {
    let res = app.client.get(authorization.as_str()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "the peer approves");
    let callback = location(&res);
    assert!(
        callback.starts_with(&format!("{SITE}/auth/callback?")),
        "{callback}"
    );
    callback.replace(SITE, &app.address)
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether the app's client holds a live session.
async fn logged_in(app: &TestApp) -> bool {
    app.get("/admin/").await.status() == StatusCode::OK
}

/// Completes a login and returns the callback's response.
async fn full_login(app: &TestApp) -> reqwest::Response {
    let authorization = start(app).await;
    let callback = approve(app, &authorization).await;
    app.client.get(callback).send().await.unwrap()
}

async fn failure_text(res: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Login failed"),
        "a login failure page: {body}"
    );
    body
}

#[tokio::test]
async fn login_through_html_links_uses_pkce_and_opens_a_session() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    assert_eq!(
        authorization.path(),
        "/auth",
        "the relative link was resolved"
    );
    assert_eq!(
        param(&authorization, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        param(&authorization, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        param(&authorization, "client_id").as_deref(),
        Some("http://127.0.0.1:8000/")
    );
    assert_eq!(
        param(&authorization, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:8000/auth/callback")
    );
    assert_eq!(param(&authorization, "me"), Some(peer.me()));
    let challenge = param(&authorization, "code_challenge").unwrap();
    let callback = approve(&app, &authorization).await;
    let res = app.client.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/");
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(logged_in(&app).await);
    // The verifier the app sent hashes to the challenge it sent (the peer also checked).
    use base64::Engine;
    use sha2::Digest;
    let verifier = peer.state.lock().unwrap().last_verifier.clone().unwrap();
    assert!((43..=128).contains(&verifier.len()));
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&verifier)),
        challenge
    );
}

#[tokio::test]
async fn login_through_link_headers_only() {
    let peer = Peer::start(Advertise::Headers).await;
    let app = app_owned_by(&peer).await;
    let res = full_login(&app).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(logged_in(&app).await);
}

#[tokio::test]
async fn metadata_wins_over_links_and_iss_is_checked() {
    let peer = Peer::start(Advertise::Metadata).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    assert_eq!(
        authorization.path(),
        "/auth",
        "the metadata's endpoint, not the decoy link"
    );
    let callback = approve(&app, &authorization).await;
    assert!(callback.contains("iss="));
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(logged_in(&app).await);

    // A callback whose `iss` is not the metadata's issuer is refused.
    let other = Peer::start(Advertise::Metadata).await;
    other.with(|s| s.callback_iss = Some("https://evil.example/".into()));
    let app = app_owned_by(&other).await;
    let body = failure_text(full_login(&app).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("evil.example"), "{body}");
    assert!(!logged_in(&app).await, "no session");
}

#[tokio::test]
async fn a_state_works_once() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    let callback = approve(&app, &authorization).await;
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // Replayed by someone else: refused, no session for them.
    let stranger = crate::helpers::client();
    let res = stranger.get(&callback).send().await.unwrap();
    let body = failure_text(res, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("already used"), "{body}");
    let admin = stranger.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(admin.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_or_missing_state_is_refused() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    for path in [
        "/auth/callback?code=x&state=never-issued",
        "/auth/callback?code=x",
    ] {
        failure_text(app.get(path).await, StatusCode::BAD_REQUEST).await;
    }
    assert!(!logged_in(&app).await);
    // A state older than ten minutes no longer works.
    let authorization = start(&app).await;
    let callback = approve(&app, &authorization).await;
    app.state
        .db
        .pool
        .get()
        .unwrap()
        .execute("UPDATE auth_states SET created_at = created_at - 601", [])
        .unwrap();
    let res = app.client.get(&callback).send().await.unwrap();
    let body = failure_text(res, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("expired"), "{body}");
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn a_verifier_that_does_not_match_the_challenge_fails_the_login() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let mut authorization = start(&app).await;
    // The authorization server is given another challenge: the app's verifier cannot match it,
    // exactly as if the verifier were missing.
    let pairs: Vec<(String, String)> = authorization
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "code_challenge" {
                "A".repeat(43)
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    authorization.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = approve(&app, &authorization).await;
    let res = app.client.get(&callback).send().await.unwrap();
    let body = failure_text(res, StatusCode::FORBIDDEN).await;
    assert!(body.contains("code_verifier does not match"), "{body}");
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn a_login_as_someone_else_is_refused() {
    let peer = Peer::start(Advertise::Html).await;
    peer.with(|s| s.login_me = Some("https://someone-else.example/".into()));
    let app = app_owned_by(&peer).await;
    let body = failure_text(full_login(&app).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("someone-else.example"), "{body}");
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn a_denied_login_says_so() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    let state = param(&authorization, "state").unwrap();
    let res = app
        .get(&format!(
            "/auth/callback?error=access_denied&error_description=User+said+no&state={state}"
        ))
        .await;
    let body = failure_text(res, StatusCode::FORBIDDEN).await;
    assert!(
        body.contains("access_denied") && body.contains("User said no"),
        "{body}"
    );
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn bad_json_from_the_authorization_server_fails_cleanly() {
    let peer = Peer::start(Advertise::Html).await;
    peer.with(|s| s.exchange_body = Some("<html>not json".into()));
    let app = app_owned_by(&peer).await;
    let body = failure_text(full_login(&app).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("valid JSON"), "{body}");
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn an_unreachable_profile_or_server_gives_a_page_not_a_crash() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    let app = spawn_app_with(&[("ADMIN_ME", &dead)]).await;
    let res = app.post_form("/auth/login", &[]).await;
    let body = failure_text(res, StatusCode::BAD_GATEWAY).await;
    assert!(body.contains("could not be connected to"), "{body}");

    // The authorization server goes away between the redirect and the exchange.
    let peer = Peer::start(Advertise::Headers).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    let state = param(&authorization, "state").unwrap();
    // Point the pending login at the dead server by discovering it from a profile that moved.
    app.state
        .db
        .pool
        .get()
        .unwrap()
        .execute(
            "UPDATE auth_states SET authorization_endpoint = ?1",
            [&format!("{dead}auth")],
        )
        .unwrap();
    let res = app
        .get(&format!("/auth/callback?code=c&state={state}"))
        .await;
    failure_text(res, StatusCode::BAD_GATEWAY).await;
    assert!(!logged_in(&app).await);
}

#[tokio::test]
async fn redirects_are_followed_but_bounded() {
    let peer = Peer::start(Advertise::Html).await;
    let app = spawn_app_with(&[("ADMIN_ME", &format!("{}/moved", peer.base))]).await;
    let authorization = start(&app).await;
    assert_eq!(
        authorization.as_str().split('?').next().unwrap(),
        format!("{}/auth", peer.base)
    );

    let app = spawn_app_with(&[("ADMIN_ME", &format!("{}/loop", peer.base))]).await;
    let res = app.post_form("/auth/login", &[]).await;
    let body = failure_text(res, StatusCode::BAD_GATEWAY).await;
    assert!(body.contains("redirected too often"), "{body}");
    assert!(peer.hits("/loop") <= 6, "at most 5 redirects were followed");
}

#[tokio::test]
async fn plain_http_is_refused_off_loopback() {
    let app = spawn_app_with(&[("ADMIN_ME", "http://owner.invalid/")]).await;
    let res = app.post_form("/auth/login", &[]).await;
    let body = failure_text(res, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("not https"), "{body}");
}

#[tokio::test]
async fn a_site_that_names_no_server_falls_back_to_indielogin() {
    let peer = Peer::start(Advertise::Nothing).await;
    let fallback = Peer::start(Advertise::Html).await;
    let app = spawn_app_with(&[("ADMIN_ME", &peer.me()), ("INDIELOGIN_URL", &fallback.me())]).await;
    let authorization = start(&app).await;
    assert_eq!(
        authorization.as_str().split('?').next().unwrap(),
        format!("{}/auth", fallback.base)
    );
    // The fallback service vouches for the owner.
    fallback.with(|s| s.login_me = Some(peer.me()));
    let callback = approve(&app, &authorization).await;
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(logged_in(&app).await);

    // A site that does name a server never goes to the fallback.
    let named = Peer::start(Advertise::Html).await;
    let app = spawn_app_with(&[
        ("ADMIN_ME", &named.me()),
        ("INDIELOGIN_URL", &fallback.me()),
    ])
    .await;
    assert!(start(&app).await.as_str().starts_with(&named.base));
}

#[tokio::test]
async fn discovery_is_cached() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    full_login(&app).await;
    full_login(&app).await;
    assert_eq!(
        peer.hits("/"),
        1,
        "the profile was fetched once for both logins"
    );
}

#[tokio::test]
async fn without_admin_me_the_owner_signs_in_here_not_at_another_server() {
    let app = spawn_app_with(&[]).await;
    let page = app.get_html("/auth/login", StatusCode::OK).await;
    assert!(page.html().contains("setup address"));
    assert!(select(&page, "form[action=\"/auth/login\"]").is_empty());
    let res = app.post_form("/auth/login", &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("passkey or password"));
}

#[tokio::test]
async fn pages_and_the_home_link_header_advertise_the_owners_endpoints() {
    let peer = Peer::start(Advertise::Metadata).await;
    let app = app_owned_by(&peer).await;
    // Discovery runs in the background after start-up; wait for it.
    let mut head = String::new();
    for _ in 0..100 {
        let res = app.get("/").await;
        head = res
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if head.contains("token_endpoint") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for (rel, url) in [
        ("micropub", format!("{SITE}/micropub")),
        ("authorization_endpoint", format!("{}/auth", peer.base)),
        ("token_endpoint", format!("{}/token", peer.base)),
        ("indieauth-metadata", format!("{}/metadata", peer.base)),
    ] {
        assert!(
            head.contains(&format!("<{url}>; rel=\"{rel}\"")),
            "{rel} in {head}"
        );
        for path in ["/", "/search?q=x", "/auth/login"] {
            let page = app.get_html(path, StatusCode::OK).await;
            let links = select(&page, &format!("head link[rel=\"{rel}\"]"));
            assert_eq!(links.len(), 1, "{rel} on {path}");
            assert_eq!(links[0].value().attr("href"), Some(url.as_str()));
        }
    }
}

#[tokio::test]
async fn a_callback_must_return_to_the_browser_that_started_the_login() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    let callback = approve(&app, &authorization).await;
    // An attacker's browser finishing the victim's login (login CSRF) is refused …
    let stranger = crate::helpers::client();
    let res = stranger.get(&callback).send().await.unwrap();
    let body = failure_text(res, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("another browser"), "{body}");
    // … and the state is spent, so the real browser must start again.
    let res = app.client.get(&callback).send().await.unwrap();
    failure_text(res, StatusCode::BAD_REQUEST).await;
    assert!(!logged_in(&app).await);
    let res = full_login(&app).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("starpunk_login=;"));
    assert!(cleared, "the login cookie is removed after the callback");
}

#[tokio::test]
async fn pending_logins_are_bounded() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    {
        let conn = app.state.db.pool.get().unwrap();
        let now = starpunk::clock::unix_now();
        for i in 0..1000 {
            conn.execute(
                "INSERT INTO auth_states (state_hash, code_verifier, authorization_endpoint, \
                 created_at) VALUES (?1, 'v', 'http://x/', ?2)",
                rusqlite::params![format!("h{i}"), now],
            )
            .unwrap();
        }
    }
    // A flood never locks the owner out: the oldest pending login makes room.
    let authorization = start(&app).await;
    let pending: i64 = app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM auth_states", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pending, 1000);
    let callback = approve(&app, &authorization).await;
    let res = app.client.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(logged_in(&app).await);
}

#[tokio::test]
async fn a_profile_that_never_answers_times_out_after_five_seconds() {
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let app = spawn_app_with(&[("ADMIN_ME", &silent)]).await;
    let started = std::time::Instant::now();
    let res = app.post_form("/auth/login", &[]).await;
    let body = failure_text(res, StatusCode::BAD_GATEWAY).await;
    assert!(body.contains("timed out"), "{body}");
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(8),
        "gave up in {waited:?}"
    );
}

#[tokio::test]
async fn the_login_state_is_32_hex_characters_of_fresh_randomness_and_login_completes() {
    // django-indieweb refuses a `state` longer than 32 characters.
    let peer = Peer::start(Advertise::Html).await;
    let app = app_owned_by(&peer).await;
    let authorization = start(&app).await;
    let state = param(&authorization, "state").unwrap();
    assert!(state.len() <= 32, "{state}");
    assert_eq!(state.len(), 32, "128 random bits as hex: {state}");
    assert!(state.chars().all(|c| c.is_ascii_hexdigit()), "{state}");
    // Another browser (this one's cookie binds it to the first login).
    let again = param(&start(&app.other_browser()).await, "state").unwrap();
    assert_ne!(state, again, "each login has its own state");
    let callback = approve(&app, &authorization).await;
    let res = app.client.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/");
    assert!(logged_in(&app).await);
}

// ---- Verifying Micropub tokens at the owner's server ----------------------------------------

/// A Micropub create with `token` as Bearer.
async fn micropub_create(app: &TestApp, token: &str, content: &str) -> reqwest::Response {
    app.client
        .post(app.url("/micropub"))
        .bearer_auth(token)
        .form(&[("h", "entry"), ("content", content)])
        .send()
        .await
        .unwrap()
}

/// The `error` and `error_description` of a JSON error with `status`.
async fn micropub_error(res: reqwest::Response, status: StatusCode) -> (String, String) {
    assert_eq!(res.status(), status);
    let body: serde_json::Value = res.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

/// A peer like django-indieweb: metadata with an introspection endpoint that demands
/// authentication, and a token endpoint that refuses `GET`.
async fn strict_peer() -> Peer {
    let peer = Peer::start(Advertise::Metadata).await;
    peer.with(|s| {
        s.introspection_auth = true;
        s.refuse_get = true;
        s.resource_credential = Some(RESOURCE_CREDENTIAL.into());
    });
    peer
}

/// The credential [`strict_peer`] gave the app as a resource server.
const RESOURCE_CREDENTIAL: &str = "resource-server-credential";

/// An app owned by `peer` with `INDIEAUTH_INTROSPECTION_TOKEN=credential`.
async fn app_with_credential(peer: &Peer, credential: &str) -> TestApp {
    spawn_app_with(&[
        ("ADMIN_ME", &peer.me()),
        ("INDIEAUTH_INTROSPECTION_TOKEN", credential),
    ])
    .await
}

#[tokio::test]
async fn a_token_is_introspected_first_presenting_itself_as_the_credential() {
    let peer = strict_peer().await;
    let app = app_owned_by(&peer).await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "introspected").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(peer.hits("/introspect"), 1);
    assert_eq!(peer.hits("/token"), 0, "no GET before introspection");
    assert_eq!(
        peer.introspection_authorizations(),
        [Some(format!("Bearer {token}"))],
        "introspection was authenticated"
    );

    // Introspection comes first even when the token endpoint would answer a GET.
    let lenient = Peer::start(Advertise::Metadata).await;
    let app = app_owned_by(&lenient).await;
    let token = lenient.issue_token("create");
    assert_eq!(
        micropub_create(&app, &token, "first").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        (lenient.hits("/introspect"), lenient.hits("/token")),
        (1, 0)
    );
}

#[tokio::test]
async fn the_configured_introspection_credential_is_sent_instead_of_the_token() {
    let peer = strict_peer().await;
    let app = app_with_credential(&peer, RESOURCE_CREDENTIAL).await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "with our credential").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        peer.introspection_authorizations(),
        [Some(format!("Bearer {RESOURCE_CREDENTIAL}"))],
        "exactly the configured credential, never the token"
    );
    assert_eq!(peer.hits("/token"), 0);
}

#[tokio::test]
async fn a_wrong_introspection_credential_is_a_clear_error_never_a_pass() {
    let peer = strict_peer().await;
    let app = app_with_credential(&peer, "not-the-credential").await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "refused").await;
    let (error, description) = micropub_error(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(error, "temporarily_unavailable");
    assert!(
        description.contains("INDIEAUTH_INTROSPECTION_TOKEN") && description.contains("401"),
        "{description}"
    );
    assert!(
        !description.contains(&token) && !description.contains("not-the-credential"),
        "neither the token nor the credential is echoed: {description}"
    );
    assert_eq!(app.note_count(), 0);
    assert_eq!(
        peer.hits("/token"),
        1,
        "the refused credential sent us to GET"
    );
    // Not cached as a verdict: once the token endpoint answers GET again, the fallback works.
    peer.with(|s| s.refuse_get = false);
    let res = micropub_create(&app, &token, "via the fallback").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!((peer.hits("/introspect"), peer.hits("/token")), (2, 2));
}

#[tokio::test]
async fn without_an_introspection_endpoint_the_token_endpoint_get_is_used() {
    let peer = Peer::start(Advertise::Html).await;
    let app = app_with_credential(&peer, "unused-credential").await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "legacy").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!((peer.hits("/token"), peer.hits("/introspect")), (1, 0));

    // A token endpoint that refuses GET, with nothing else to ask: an error, not a verdict.
    peer.with(|s| s.refuse_get = true);
    let other = peer.issue_token("create");
    let res = micropub_create(&app, &other, "nowhere to ask").await;
    let (_, description) = micropub_error(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        description.contains("advertises no introspection_endpoint"),
        "{description}"
    );
}

#[tokio::test]
async fn an_introspection_endpoint_that_refuses_post_falls_back_to_get() {
    let peer = Peer::start(Advertise::Metadata).await;
    peer.with(|s| s.refuse_introspection = true);
    let app = app_owned_by(&peer).await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "fallback").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!((peer.hits("/introspect"), peer.hits("/token")), (1, 1));

    // Both refusing their method: the token cannot be verified, which is never a pass.
    peer.with(|s| s.refuse_get = true);
    let other = peer.issue_token("create");
    let res = micropub_create(&app, &other, "refused twice").await;
    let (_, description) = micropub_error(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        description.contains("refused POST") && description.contains("refused GET"),
        "{description}"
    );
    assert_eq!(app.note_count(), 1);
}

#[tokio::test]
async fn introspection_alone_suffices_without_a_token_endpoint() {
    let peer = Peer::start(Advertise::Metadata).await;
    peer.with(|s| s.omit_token_endpoint = true);
    let app = app_owned_by(&peer).await;
    let token = peer.issue_token("create");
    let res = micropub_create(&app, &token, "introspection only").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(peer.hits("/introspect"), 1);

    // And when it refuses its method there is nothing to fall back on: a clear error.
    peer.with(|s| s.refuse_introspection = true);
    let other = peer.issue_token("create");
    let (_, description) = micropub_error(
        micropub_create(&app, &other, "x").await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(
        description.contains("advertises no token_endpoint"),
        "{description}"
    );
}

#[tokio::test]
async fn an_inactive_token_is_401_invalid_token() {
    let peer = strict_peer().await;
    // With the site's own credential the server answers `active: false` …
    let app = app_with_credential(&peer, RESOURCE_CREDENTIAL).await;
    // … and a forged token presented as its own credential is refused with 401.
    let anonymous = app_owned_by(&peer).await;
    for app in [&app, &anonymous] {
        let res = micropub_create(app, "forged-token", "x").await;
        let challenge = res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        let (error, description) = micropub_error(res, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error, "unauthorized");
        assert!(!description.contains("forged-token"), "{description}");
        assert_eq!(app.note_count(), 0);
    }
    // Refusals are verdicts, cached like successes.
    let introspected = peer.hits("/introspect");
    micropub_create(&anonymous, "forged-token", "x").await;
    assert_eq!(peer.hits("/introspect"), introspected);
}
