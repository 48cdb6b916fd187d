//! starpunk as its own IndieAuth server: the whole dance a Micropub app does against the
//! running site, and every refusal the standard calls for.

use reqwest::StatusCode;
use serde_json::Value;

use crate::client_app::{
    ClientApp, Describe, authorization_url, consent, discover, micropub_create, pkce, post_json,
    request, spawn_site,
};
use crate::helpers::{TestApp, location, spawn_app_with, texts};

/// An app the owner approved with `scope` (nothing unticked): the token response.
async fn approved(site: &TestApp, app: &ClientApp, scope: &str) -> Value {
    let (verifier, challenge) = pkce();
    let redirect = app.redirect_uri();
    let url = authorization_url(
        &site.url("/auth/authorize"),
        &request(app, &redirect, &challenge, scope),
    );
    let callback = consent(site, &url, &[], "approve").await;
    let (status, body) = post_json(
        site,
        "/auth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback["code"]),
            ("client_id", &app.client_id),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_micropub_app_signs_in_asks_and_posts_with_nothing_but_starpunk() {
    let site = spawn_site(&[]).await;
    let issuer = site.url("/");

    // 1. Discovery from the site's address.
    let metadata = discover(&site).await;
    assert_eq!(metadata["issuer"], issuer.as_str());
    assert_eq!(
        metadata["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        metadata["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    ] {
        assert!(
            metadata[key].as_str().unwrap().starts_with(&issuer),
            "{key} is on the site"
        );
    }
    assert!(metadata["scopes_supported"].as_array().unwrap().len() >= 5);
    let page = site.get("/").await.text().await.unwrap();
    assert!(page.contains("rel=\"indieauth-metadata\""));
    assert!(page.contains("rel=\"authorization_endpoint\""));

    // 2. The app sends the owner, who is not signed in, to the authorization endpoint.
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let (verifier, challenge) = pkce();
    let redirect = app.redirect_uri();
    let url = authorization_url(
        metadata["authorization_endpoint"].as_str().unwrap(),
        &request(&app, &redirect, &challenge, "create update media profile"),
    );
    let res = site.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/auth/login");
    // Signing in comes back to the request.
    let res = site.get("/dev/login").await;
    assert!(
        location(&res).starts_with("/auth/authorize?"),
        "{}",
        location(&res)
    );

    // 3. The consent page names the app; the owner unticks `update` and allows.
    let res = site.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY", "no clickjacking");
    let policy = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // Allow ends on the app's own site: no form-action may block that redirect.
    assert!(!policy.contains("form-action"), "{policy}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let consent_page = res.text().await.unwrap();
    assert!(
        consent_page.contains("Loopback Poster"),
        "the app's name is shown"
    );
    assert!(consent_page.contains("logo.png"), "the app's logo is shown");
    let callback = consent(&site, &url, &["update"], "approve").await;
    assert_eq!(callback["state"], "s-123");
    assert_eq!(callback["iss"], issuer);
    let code = callback["code"].clone();

    // 4. The exchange with the PKCE verifier: a token with the narrower scope.
    let (status, token) = post_json(
        &site,
        "/auth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &app.client_id),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "create media profile");
    assert_eq!(token["me"], issuer.as_str());
    assert_eq!(token["profile"]["url"], issuer.as_str());
    assert!(token["expires_in"].as_i64().unwrap() >= 24 * 3600);
    let access = token["access_token"].as_str().unwrap().to_owned();
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();

    // 5. Micropub: a bare GET (how some apps check a token) answers the config; create works,
    // update is beyond the scope.
    let res = site
        .client
        .get(site.url("/micropub"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let config: Value = res.json().await.unwrap();
    assert!(config["media-endpoint"].is_string());
    assert_eq!(
        micropub_create(&site, &access, "Posted from an app").await,
        StatusCode::CREATED
    );
    // Its permalink names the server too, in the Link header and the head.
    let res = site.get("/notes/posted-from-an-app").await;
    assert_eq!(res.status(), StatusCode::OK);
    let links = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(links.contains("rel=\"indieauth-metadata\""), "{links}");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("rel=\"indieauth-metadata\"")
    );
    let res = site
        .client
        .post(site.url("/micropub"))
        .bearer_auth(&access)
        .json(&serde_json::json!({
            "action": "update",
            "url": site.url("/notes/posted-from-an-app"),
            "replace": { "content": ["changed"] }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");

    // Userinfo with the profile scope.
    let res = site
        .client
        .get(site.url("/auth/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let profile: Value = res.json().await.unwrap();
    assert_eq!(profile["url"], issuer.as_str());

    // 6. Refresh rotates: new tokens, the old access token is dead.
    let (status, refreshed) = post_json(
        &site,
        "/auth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &app.client_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["scope"], "create media profile");
    let access2 = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access2, access);
    assert_ne!(refreshed["refresh_token"].as_str().unwrap(), refresh);
    assert_eq!(
        micropub_create(&site, &access, "Old token").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        micropub_create(&site, &access2, "New token").await,
        StatusCode::CREATED
    );

    // 7. Revoke: the token is 401 from then on.
    let (status, _) = post_json(&site, "/auth/revoke", &[("token", &access2)]).await;
    assert_eq!(status, StatusCode::OK);
    let res = site
        .client
        .post(site.url("/micropub"))
        .bearer_auth(&access2)
        .form(&[("h", "entry"), ("content", "after revoke")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // RFC 6750's `invalid_token` in the challenge; the body keeps Micropub's `unauthorized`.
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    // Revoking anything at all is still 200.
    let (status, _) = post_json(&site, "/auth/revoke", &[("token", "never-issued")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_tokens_are_single_use_and_never_widen() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let token = approved(&site, &app, "create media").await;
    let refresh = token["refresh_token"].as_str().unwrap();
    let refresh_with = |scope: &'static str, token: String| {
        let site = &site;
        let client_id = app.client_id.clone();
        async move {
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token),
                ("client_id", client_id),
            ];
            if !scope.is_empty() {
                form.push(("scope", scope.to_owned()));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_json(site, "/auth/token", &form).await
        }
    };
    // Widening is refused, and does not use the token up.
    let (status, body) = refresh_with("create update", refresh.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    // Narrowing is fine.
    let (status, narrower) = refresh_with("create", refresh.to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{narrower}");
    assert_eq!(narrower["scope"], "create");
    let live = narrower["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        micropub_create(&site, &live, "narrow").await,
        StatusCode::CREATED
    );
    // The old refresh token again: refused, and the whole grant dies.
    let (status, body) = refresh_with("", refresh.to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        micropub_create(&site, &live, "after reuse").await,
        StatusCode::UNAUTHORIZED
    );
    let newer = narrower["refresh_token"].as_str().unwrap().to_owned();
    let (_, body) = refresh_with("", newer).await;
    assert_eq!(
        body["error"], "invalid_grant",
        "the rotated-in token died too"
    );
    // Another client cannot use someone's refresh token.
    let token = approved(&site, &app, "create").await;
    let (status, body) = post_json(
        &site,
        "/auth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
            ("client_id", "https://other.example/"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = post_json(&site, "/auth/token", &[("grant_type", "password")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
    let (_, body) = post_json(&site, "/auth/token", &[("code", "x")]).await;
    assert_eq!(body["error"], "invalid_request");
}

/// Requests a code for `app` and returns (code, verifier, redirect).
async fn code_for(site: &TestApp, app: &ClientApp, scope: &str) -> (String, String, String) {
    let (verifier, challenge) = pkce();
    let redirect = app.redirect_uri();
    let url = authorization_url(
        &site.url("/auth/authorize"),
        &request(app, &redirect, &challenge, scope),
    );
    let callback = consent(site, &url, &[], "approve").await;
    (callback["code"].clone(), verifier, redirect)
}

async fn exchange(
    site: &TestApp,
    app: &ClientApp,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> (StatusCode, Value) {
    post_json(
        site,
        "/auth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &app.client_id),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

#[tokio::test]
async fn codes_need_the_right_verifier_and_work_once() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;

    // A wrong verifier: refused, and the code is used up.
    let (code, verifier, redirect) = code_for(&site, &app, "create").await;
    let (wrong, _) = pkce();
    let (status, body) = exchange(&site, &app, &code, &wrong, &redirect).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (_, body) = exchange(&site, &app, &code, &verifier, &redirect).await;
    assert_eq!(body["error"], "invalid_grant", "a code is single use");

    // No verifier at all.
    let (code, _, redirect) = code_for(&site, &app, "create").await;
    let (_, body) = post_json(
        &site,
        "/auth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &app.client_id),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_request");

    // Replay: the second use fails and revokes what the first issued.
    let (code, verifier, redirect) = code_for(&site, &app, "create").await;
    let (status, token) = exchange(&site, &app, &code, &verifier, &redirect).await;
    assert_eq!(status, StatusCode::OK);
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        micropub_create(&site, &access, "first").await,
        StatusCode::CREATED
    );
    let (status, body) = exchange(&site, &app, &code, &verifier, &redirect).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        micropub_create(&site, &access, "replayed").await,
        StatusCode::UNAUTHORIZED
    );

    // The same redirect_uri written another way (scheme in capitals) is the same.
    let (code, verifier, redirect) = code_for(&site, &app, "create").await;
    let shouted = redirect.replacen("http://", "HTTP://", 1);
    let (status, body) = exchange(&site, &app, &code, &verifier, &shouted).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A redirect_uri other than the request's.
    let (code, verifier, _) = code_for(&site, &app, "create").await;
    let other = format!("{}elsewhere", app.client_id);
    let (_, body) = exchange(&site, &app, &code, &verifier, &other).await;
    assert_eq!(body["error"], "invalid_grant");

    // An expired code (ten minutes at most): its clock is moved back in the database.
    let (code, verifier, redirect) = code_for(&site, &app, "create").await;
    site.state
        .db
        .pool
        .get()
        .unwrap()
        .execute(
            "UPDATE authorization_codes SET expires_at = expires_at - 601",
            [],
        )
        .unwrap();
    let (_, body) = exchange(&site, &app, &code, &verifier, &redirect).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // No code is ever stored in the clear.
    let stored: i64 = site
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM authorization_codes WHERE code_hash = ?1",
            [&code],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn authentication_only_codes_are_redeemed_at_the_authorization_endpoint() {
    let site = spawn_site(&[("SITE_AUTHOR", "Ada")]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let (code, verifier, redirect) = code_for(&site, &app, "").await;
    // No access token for a code without scope.
    let (status, body) = exchange(&site, &app, &code, &verifier, &redirect).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    let (code, verifier, redirect) = code_for(&site, &app, "profile").await;
    let (status, body) = post_json(
        &site,
        "/auth/authorize",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &app.client_id),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["me"], site.url("/"));
    assert_eq!(body["profile"]["name"], "Ada");
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn bad_requests_are_refused_on_a_page_or_back_to_the_app() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let redirect = app.redirect_uri();
    let (_, challenge) = pkce();
    let base = request(&app, &redirect, &challenge, "create");
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut params: Vec<(&str, &str)> = base
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        params.extend(changes.iter().filter(|(_, v)| !v.is_empty()).copied());
        authorization_url(&site.url("/auth/authorize"), &params)
    };

    // Missing or `plain` PKCE: refused on a page (never an automatic redirect) that links back
    // to the app with invalid_request, its state and our iss.
    for changes in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
    ] {
        let res = site.client.get(with(&changes)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(res.headers().get("location").is_none());
        let page = scraper::Html::parse_document(&res.text().await.unwrap());
        let back = crate::helpers::attr(&page, "a.button-secondary", "href");
        let to = url::Url::parse(&back).unwrap();
        assert!(to.as_str().starts_with(&redirect));
        let query: std::collections::HashMap<String, String> =
            to.query_pairs().into_owned().collect();
        assert_eq!(query["error"], "invalid_request");
        assert_eq!(query["state"], "s-123");
        assert_eq!(query["iss"], site.url("/"));
    }
    // A stranger's link with a bad parameter never redirects to the app's site either (that
    // would make this site an open redirector), and never makes the site fetch the app.
    let stranger = site.other_browser();
    let res = stranger
        .client
        .get(with(&[("response_type", "bogus")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    let fetched = app.fetched.load(std::sync::atomic::Ordering::SeqCst);
    let res = stranger.client.get(with(&[])).send().await.unwrap();
    assert_eq!(
        location(&res),
        "/auth/login",
        "a valid request: sign in first"
    );
    assert_eq!(
        app.fetched.load(std::sync::atomic::Ordering::SeqCst),
        fetched,
        "nothing is fetched for someone who is not signed in"
    );

    // Untrustworthy clients and redirects: a page, never a redirect.
    for (client_id, redirect_uri) in [
        ("https://app.example/#x", "https://app.example/cb"),
        ("https://user:pw@app.example/", "https://app.example/cb"),
        ("https://app.example/a/../b", "https://app.example/cb"),
        ("https://10.0.0.1/", "https://10.0.0.1/cb"),
        ("mailto:me@app.example", "https://app.example/cb"),
        ("", "https://app.example/cb"),
    ] {
        let url = authorization_url(
            &site.url("/auth/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("state", "s"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let res = site.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{client_id}");
        assert!(res.headers().get("location").is_none(), "{client_id}");
    }
    // A redirect_uri on another site that the app does not list.
    let res = site
        .client
        .get(with(&[("redirect_uri", "https://evil.example/cb")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(texts(&page, "[role=alert]")[0].contains("does not list it"));

    // Deny: access_denied back to the app.
    let callback = consent(&site, &with(&[]), &[], "deny").await;
    assert_eq!(callback["error"], "access_denied");
    assert_eq!(callback["state"], "s-123");
    assert_eq!(callback["iss"], site.url("/"));
    assert!(!callback.contains_key("code"));
    // Allowing with every scope unticked allows nothing: also access_denied.
    let callback = consent(&site, &with(&[]), &["create"], "approve").await;
    assert_eq!(callback["error"], "access_denied");
    assert!(!callback.contains_key("code"));
}

#[tokio::test]
async fn listed_redirects_and_h_app_clients_are_accepted() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec!["com.example.app://callback".into()],
    })
    .await;
    let (_, challenge) = pkce();
    let url = authorization_url(
        &site.url("/auth/authorize"),
        &request(&app, "com.example.app://callback", &challenge, "create"),
    );
    let callback = consent(&site, &url, &[], "approve").await;
    assert!(callback.contains_key("code"));

    let old = ClientApp::start(Describe::HApp).await;
    let redirect = old.redirect_uri();
    let url = authorization_url(
        &site.url("/auth/authorize"),
        &request(&old, &redirect, &challenge, "create"),
    );
    let page = site
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Allow Old Style App?"), "{page}");
}

#[tokio::test]
async fn client_ids_are_never_followed_to_private_addresses() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let (_, challenge) = pkce();
    let ask = |client_id: String, redirect: String| {
        authorization_url(
            &site.url("/auth/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", &redirect),
                ("state", "s"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("scope", "create"),
            ],
        )
    };
    // A loopback app whose description redirects into the private network: not followed,
    // so a redirect_uri only it could list is refused.
    let app = ClientApp::start(Describe::RedirectTo("http://10.255.255.1/meta".into())).await;
    let res = site
        .client
        .get(ask(
            app.client_id.clone(),
            "https://elsewhere.example/cb".into(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("away from loopback"), "{page}");

    // A public-looking name that resolves to this machine (a name of this host in
    // /etc/hosts): refused before any connection.
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let name = hosts
        .lines()
        .filter(|l| l.starts_with("127."))
        .flat_map(|l| l.split_whitespace().skip(1))
        .find(|n| !n.eq_ignore_ascii_case("localhost") && !n.contains("localhost"))
        .map(str::to_owned);
    if let Some(name) = name {
        let port = app
            .client_id
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/');
        let client_id = format!("http://{name}:{port}/");
        let res = site
            .client
            .get(ask(
                client_id.clone(),
                "https://elsewhere.example/cb".into(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{client_id}");
        let page = res.text().await.unwrap();
        assert!(page.contains("private or local addresses"), "{page}");
    } else {
        eprintln!(
            "no non-localhost name for 127.0.0.1 in /etc/hosts; the DNS case is covered by unit tests only"
        );
    }
}

#[tokio::test]
async fn introspection_needs_a_token_and_tells_the_truth() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let token = approved(&site, &app, "create").await;
    let access = token["access_token"].as_str().unwrap();
    // Tokens are stored only as hashes.
    let conn = site.state.db.pool.get().unwrap();
    let clear: i64 = conn
        .query_row(
            "SELECT count(*) FROM grant_tokens WHERE token_hash IN (?1, ?2)",
            [access, token["refresh_token"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let hashed: i64 = conn
        .query_row(
            "SELECT count(*) FROM grant_tokens WHERE token_hash = ?1",
            [starpunk::secret::hash_token(access)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!((clear, hashed), (0, 1));
    drop(conn);
    let (status, body) = post_json(&site, "/auth/introspect", &[("token", access)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let res = site
        .client
        .post(site.url("/auth/introspect"))
        .bearer_auth(access)
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["me"], site.url("/"));
    assert_eq!(body["scope"], "create");
    assert_eq!(body["client_id"], app.client_id.as_str());

    let other = approved(&site, &app, "create").await;
    let other_access = other["access_token"].as_str().unwrap();
    post_json(&site, "/auth/revoke", &[("token", access)]).await;
    let res = site
        .client
        .post(site.url("/auth/introspect"))
        .bearer_auth(other_access)
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn the_owner_sees_and_revokes_apps() {
    let site = spawn_site(&[]).await;
    let csrf = site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let first = approved(&site, &app, "create media").await;
    let second = approved(&site, &app, "create").await;
    let page = site.get_html("/admin/apps", StatusCode::OK).await;
    let names = texts(&page, "tbody strong");
    assert_eq!(names, ["Loopback Poster", "Loopback Poster"]);
    let forms = crate::helpers::select(&page, "form[action$='/revoke']");
    let revoke = forms
        .last()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    // Without the CSRF token: refused.
    let res = site.post_form(&revoke, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = site.post_form(&revoke, &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let first_token = first["access_token"].as_str().unwrap();
    let second_token = second["access_token"].as_str().unwrap();
    assert_eq!(
        micropub_create(&site, first_token, "one").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        micropub_create(&site, second_token, "two").await,
        StatusCode::CREATED
    );
    let res = site
        .post_form("/admin/apps/revoke-all", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        micropub_create(&site, second_token, "three").await,
        StatusCode::UNAUTHORIZED
    );
    let page = site.get_html("/admin/apps", StatusCode::OK).await;
    assert!(texts(&page, "tbody strong").is_empty());
    // Strangers never see the page.
    let res = site.other_browser().get("/admin/apps").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn no_secret_reaches_the_metrics() {
    let site = spawn_site(&[]).await;
    site.login().await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let token = approved(&site, &app, "create").await;
    let metrics = site
        .get("/admin/metrics?format=json")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("indieauth.token_issued"),
        "the grant is an event"
    );
    for secret in ["access_token", "refresh_token"] {
        assert!(!metrics.contains(token[secret].as_str().unwrap()));
    }
}

#[tokio::test]
async fn a_site_owned_elsewhere_runs_no_authorization_server() {
    let site = spawn_app_with(&[("ADMIN_ME", "https://me.example/")]).await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/auth/authorize?client_id=https://a.example/",
        "/auth/userinfo",
    ] {
        assert_eq!(
            site.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = site
        .post_form("/auth/token", &[("grant_type", "refresh_token")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_apps_state_survives_signing_in_exactly() {
    let site = spawn_site(&[]).await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    let (_, challenge) = pkce();
    let redirect = app.redirect_uri();
    let odd_state = "a+b&c=d%e f;g/\u{e9}";
    let mut params = request(&app, &redirect, &challenge, "create");
    params.retain(|(k, _)| *k != "state");
    params.push(("state", odd_state));
    let url = authorization_url(&site.url("/auth/authorize"), &params);
    let res = site.client.get(&url).send().await.unwrap();
    assert_eq!(location(&res), "/auth/login");
    let res = site.get("/dev/login").await;
    let back = location(&res);
    assert_eq!(site.url(&back), url, "the request comes back byte for byte");
    let callback = consent(&site, &url, &[], "approve").await;
    assert_eq!(callback["state"], odd_state);
}
