//! Security headers on every response (issue 14, item 9): "a strict `Content-Security-Policy`
//! (no inline script or style anywhere …; `frame-ancestors 'none'` …), `X-Content-Type-Options:
//! nosniff`, `Referrer-Policy` (strict on admin pages), `X-Frame-Options: DENY`,
//! `Strict-Transport-Security` when `SITE_URL` is https" — pages, JSON, feeds, static files,
//! media, errors and redirects alike.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response, StatusCode};
use scraper::Html;

use crate::client_app::{
    ClientApp, Describe, authorization_url, discover, pkce, request, spawn_site,
};
use crate::helpers::{TestApp, attr, location, select, spawn_app_with};
use crate::peers::{Advertise, Peer};

const JPG: &[u8] = include_bytes!("../fixtures/pixel.jpg");

/// The policy of every response outside `/auth/`.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' https: http:; connect-src 'self'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

/// The policy of the sign-in and authorization pages: the same without `form-action`, whose
/// forms end on other sites (the owner's authorization endpoint, an app's `redirect_uri`).
const AUTH_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' https: http:; connect-src 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

const PUBLIC_REFERRER: &str = "strict-origin-when-cross-origin";
const PRIVATE_REFERRER: &str = "same-origin";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

/// Asserts the headers every response carries (and, on an http site, no HSTS).
fn assert_secured(res: &Response, what: &str, policy: &str, referrer: &str) {
    assert_eq!(
        header(res, "content-security-policy"),
        Some(policy),
        "{what}: CSP"
    );
    assert_eq!(header(res, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(res, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(res, "referrer-policy"), Some(referrer), "{what}");
    assert_eq!(
        header(res, "strict-transport-security"),
        None,
        "{what}: no HSTS on an http site"
    );
    assert_eq!(
        res.headers()
            .get_all("content-security-policy")
            .iter()
            .count(),
        1,
        "{what}: one policy, not two to intersect"
    );
}

/// An app whose owner is a peer (for a Micropub token), with dev login, a note and a photo.
struct Site {
    app: TestApp,
    token: String,
    _peer: Peer,
}

async fn site() -> Site {
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("ADMIN_ME", me.as_str())]).await;
    let token = peer.issue_token("create media");
    Site {
        app,
        token,
        _peer: peer,
    }
}

impl Site {
    async fn send(&self, method: Method, path: &str) -> Response {
        self.app
            .client
            .request(method, self.app.url(path))
            .send()
            .await
            .unwrap()
    }

    /// Uploads a photo; returns its site path.
    async fn upload(&self) -> String {
        let res = self
            .app
            .client
            .post(self.app.url("/micropub/media"))
            .bearer_auth(&self.token)
            .multipart(Form::new().part("file", Part::bytes(JPG).file_name("p.jpg")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let url = location(&res);
        url[url.find("/media/").unwrap()..].to_owned()
    }
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let site = site().await;
    let visitor = site.app.other_browser();
    let csrf = site.app.login().await;
    let (slug, _) = site
        .app
        .create_note(&csrf, "A note about the harbour", true)
        .await;
    let media = site.upload().await;
    let home = visitor.get_html("/", StatusCode::OK).await;
    let stylesheet = attr(&home, "link[rel=stylesheet]", "href");

    let public: Vec<(&str, Method, String, StatusCode)> = vec![
        ("home", Method::GET, "/".into(), StatusCode::OK),
        ("home, HEAD", Method::HEAD, "/".into(), StatusCode::OK),
        (
            "permalink",
            Method::GET,
            format!("/notes/{slug}"),
            StatusCode::OK,
        ),
        ("RSS feed", Method::GET, "/feed.xml".into(), StatusCode::OK),
        (
            "JSON Feed",
            Method::GET,
            "/feed.json".into(),
            StatusCode::OK,
        ),
        (
            "static css",
            Method::GET,
            stylesheet.clone(),
            StatusCode::OK,
        ),
        ("media", Method::GET, media, StatusCode::OK),
        (
            "JSON API",
            Method::GET,
            "/api/search?q=harbour".into(),
            StatusCode::OK,
        ),
        ("health JSON", Method::GET, "/health".into(), StatusCode::OK),
        (
            "404 page",
            Method::GET,
            "/no-such-page".into(),
            StatusCode::NOT_FOUND,
        ),
        (
            "400 error page",
            Method::GET,
            "/?before=garbage".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "405",
            Method::POST,
            "/feed.xml".into(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "401 JSON error",
            Method::GET,
            "/micropub?q=config".into(),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (what, method, path, status) in public {
        let res = visitor
            .client
            .request(method, visitor.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{what}: {path}");
        assert_secured(&res, what, POLICY, PUBLIC_REFERRER);
    }

    // A cached file's 304 too.
    let etag = visitor.get(&stylesheet).await.headers()["etag"].clone();
    let res = visitor
        .client
        .get(visitor.url(&stylesheet))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_secured(&res, "304", POLICY, PUBLIC_REFERRER);

    // The owner's side: pages with the Delete and Log out buttons, redirects, JSON for a token.
    let owner: Vec<(&str, &str, StatusCode)> = vec![
        ("admin list", "/admin/", StatusCode::OK),
        ("admin new", "/admin/new", StatusCode::OK),
        ("admin metrics", "/admin/metrics", StatusCode::OK),
        ("admin health", "/admin/health", StatusCode::OK),
        ("303 redirect", "/admin", StatusCode::SEE_OTHER),
    ];
    for (what, path, status) in owner {
        let res = site.send(Method::GET, path).await;
        assert_eq!(res.status(), status, "{what}");
        assert_secured(&res, what, POLICY, PRIVATE_REFERRER);
    }
    let res = site
        .app
        .client
        .get(site.app.url("/micropub?q=config"))
        .bearer_auth(&site.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_secured(&res, "Micropub JSON", POLICY, PUBLIC_REFERRER);
    let res = site
        .app
        .post_form("/auth/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "logging out redirects");
    assert_secured(&res, "logout redirect", AUTH_POLICY, PRIVATE_REFERRER);
    let res = site.send(Method::GET, "/admin/").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "signed out: to sign-in"
    );
    assert_secured(&res, "sign-in redirect", POLICY, PRIVATE_REFERRER);
}

#[tokio::test]
async fn sign_in_pages_leave_out_form_action_and_keep_their_referrer_on_the_site() {
    let app = spawn_app_with(&[("DEV_MODE", "true")]).await;
    for path in ["/auth/login", "/auth/setup?token=wrong"] {
        let res = app.get(path).await;
        assert!(res.status().is_success() || res.status().is_client_error());
        assert_secured(&res, path, AUTH_POLICY, PRIVATE_REFERRER);
    }
    // A failed password sign-in shows the sign-in page (with the IndieAuth form) again.
    let res = app
        .post_form("/auth/password", &[("csrf_token", "x"), ("password", "y")])
        .await;
    assert_secured(&res, "POST /auth/password", AUTH_POLICY, PRIVATE_REFERRER);
    let res = app.get("/dev/login").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_secured(&res, "dev login", POLICY, PRIVATE_REFERRER);
    // Paths that merely begin like the private ones are public.
    let res = app.get("/administrator").await;
    assert_secured(&res, "/administrator", POLICY, PUBLIC_REFERRER);
}

#[tokio::test]
async fn hsts_is_sent_only_when_site_url_is_https() {
    let https = spawn_app_with(&[("SITE_URL", "https://notes.example/")]).await;
    for (path, status) in [("/", StatusCode::OK), ("/nothing", StatusCode::NOT_FOUND)] {
        let res = https.get(path).await;
        assert_eq!(res.status(), status);
        assert_eq!(
            header(&res, "strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
        assert_eq!(header(&res, "x-frame-options"), Some("DENY"));
    }
    let http = spawn_app_with(&[("SITE_URL", "http://notes.example/")]).await;
    let res = http.get("/").await;
    assert_eq!(header(&res, "strict-transport-security"), None);
}

#[tokio::test]
async fn the_consent_page_allows_the_apps_logo_and_its_redirect_to_the_app() {
    let site = spawn_site(&[]).await;
    let app = ClientApp::start(Describe::Json {
        extra_redirects: vec![],
    })
    .await;
    site.login().await;
    let metadata = discover(&site).await;
    let (_, challenge) = pkce();
    let redirect = app.redirect_uri();
    let url = authorization_url(
        metadata["authorization_endpoint"].as_str().unwrap(),
        &request(&app, &redirect, &challenge, "create"),
    );
    let res = site.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The logo is on the app's own (http, loopback) origin: `img-src` allows http: and https:.
    assert_secured(&res, "consent page", AUTH_POLICY, PRIVATE_REFERRER);
    let page = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        attr(&page, "img.app-logo", "src"),
        format!("{}logo.png", app.client_id)
    );
}

/// Every HTML element attribute that runs script or sets style inline.
fn inline_code(doc: &Html) -> Vec<String> {
    let mut found = Vec::new();
    for el in select(doc, "*") {
        let name = el.value().name();
        if name == "style" || (name == "script" && el.value().attr("src").is_none()) {
            found.push(format!("<{name}> element"));
        }
        for (attr, value) in el.value().attrs() {
            if attr == "style" || attr.starts_with("on") {
                found.push(format!("<{name} {attr}={value:?}>"));
            }
            if value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("javascript:")
            {
                found.push(format!("<{name} {attr}={value:?}>"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_page_has_inline_script_or_style() {
    let site = site().await;
    let csrf = site.app.login().await;
    let (slug, id) = site
        .app
        .create_note(
            &csrf,
            "# Heading\n\nText with **bold**, a [link](https://example.com/) and \
             <span style=\"color:red\" onclick=\"alert(1)\">html</span>.",
            true,
        )
        .await;
    let pages = [
        "/".to_owned(),
        format!("/notes/{slug}"),
        "/search?q=text".into(),
        "/admin/".into(),
        "/admin/new".into(),
        format!("/admin/edit/{id}"),
        "/admin/metrics".into(),
        "/admin/health".into(),
        "/admin/sign-in".into(),
        "/admin/apps".into(),
        "/no-such-page".into(),
    ];
    for path in &pages {
        let res = site.app.get(path).await;
        let doc = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(inline_code(&doc), Vec::<String>::new(), "{path}");
    }
    let visitor = site.app.other_browser();
    let doc = visitor.get_html("/auth/login", StatusCode::OK).await;
    assert_eq!(inline_code(&doc), Vec::<String>::new(), "/auth/login");
}
