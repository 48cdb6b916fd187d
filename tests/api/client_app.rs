//! A real IndieAuth client app on loopback, for the tests of starpunk's own authorization
//! server: it serves its own description at its `client_id` (a JSON client metadata document,
//! an `h-app` page, or a redirect elsewhere) and does the client's side of the protocol over
//! real HTTP — discovery from the site's address, PKCE, the code exchange, refresh, revoke.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, location, select, spawn_app_with};

/// How the app describes itself at its `client_id`.
#[derive(Debug, Clone)]
pub enum Describe {
    /// A JSON client metadata document listing these extra redirect URIs.
    Json { extra_redirects: Vec<String> },
    /// An HTML page with an `h-app`.
    HApp,
    /// A redirect to this URL.
    RedirectTo(String),
}

/// A running client app.
pub struct ClientApp {
    /// `http://127.0.0.1:PORT/` — also its `client_id`.
    pub client_id: String,
    /// How often its description was fetched.
    pub fetched: Arc<AtomicUsize>,
}

impl ClientApp {
    /// Starts an app describing itself as `describe`.
    pub async fn start(describe: Describe) -> ClientApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client_id = format!(
            "http://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        let fetched = Arc::new(AtomicUsize::new(0));
        let data = web::Data::new((client_id.clone(), describe, fetched.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/", web::get().to(describe_self))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        ClientApp { client_id, fetched }
    }

    /// The app's callback.
    pub fn redirect_uri(&self) -> String {
        format!("{}callback", self.client_id)
    }
}

async fn describe_self(data: web::Data<(String, Describe, Arc<AtomicUsize>)>) -> HttpResponse {
    let (client_id, describe, fetched) = data.get_ref();
    fetched.fetch_add(1, Ordering::SeqCst);
    match describe {
        Describe::Json { extra_redirects } => {
            let mut redirects = vec![format!("{client_id}callback")];
            redirects.extend(extra_redirects.iter().cloned());
            HttpResponse::Ok().json(json!({
                "client_id": client_id,
                "client_name": "Loopback Poster",
                "client_uri": client_id,
                "logo_uri": format!("{client_id}logo.png"),
                "redirect_uris": redirects,
            }))
        }
        Describe::HApp => HttpResponse::Ok().content_type("text/html").body(
            r#"<!doctype html><title>x</title><div class="h-app"><img class="u-logo" src="/l.png" alt="">
            <a class="u-url p-name" href="/">Old Style App</a></div>"#,
        ),
        Describe::RedirectTo(to) => HttpResponse::Found()
            .insert_header(("Location", to.as_str()))
            .finish(),
    }
}

/// A starpunk whose `SITE_URL` is its own address (so its issuer and `me` are reachable), with
/// dev login for the owner.
pub async fn spawn_site(extra: &[(&str, &str)]) -> TestApp {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let site = format!("http://127.0.0.1:{port}/");
    let mut vars = vec![
        ("DEV_MODE", "true"),
        ("PORT", port.as_str()),
        ("SITE_URL", site.as_str()),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

/// A fresh PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!("{:032x}{:032x}", fastrand::u128(..), fastrand::u128(..));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The server metadata, discovered the way a client does: the site's `Link` header names
/// `indieauth-metadata`, which is fetched.
pub async fn discover(site: &TestApp) -> Value {
    let home = site.get("/").await;
    let links = home.headers()["link"].to_str().unwrap().to_owned();
    let metadata_url = links
        .split(',')
        .find(|l| l.contains("rel=\"indieauth-metadata\""))
        .and_then(|l| l.trim().strip_prefix('<'))
        .and_then(|l| l.split('>').next())
        .expect("the home page links indieauth-metadata")
        .to_owned();
    let res = site.client.get(&metadata_url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// An authorization request's URL at the site.
pub fn authorization_url(endpoint: &str, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(endpoint).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// The usual request parameters for `app` with `scope`, `state` and a challenge.
pub fn request<'a>(
    app: &'a ClientApp,
    redirect_uri: &'a str,
    challenge: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("state", "s-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", scope),
        ("me", "http://example.invalid/"),
    ]
}

/// The signed-in owner opens the consent page at `url`, leaves `untick` unticked and answers
/// `decision`; returns the redirect's query (the app's callback).
pub async fn consent(
    site: &TestApp,
    url: &str,
    untick: &[&str],
    decision: &str,
) -> HashMap<String, String> {
    let res = site.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the consent page opens");
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    let mut form: Vec<(String, String)> = select(
        &page,
        "form[action='/auth/authorize/decide'] input[type=hidden]",
    )
    .iter()
    .map(|i| {
        (
            i.value().attr("name").unwrap().to_owned(),
            i.value().attr("value").unwrap_or("").to_owned(),
        )
    })
    .collect();
    for scope in select(&page, "input[name=scope]") {
        let value = scope.value().attr("value").unwrap();
        if !untick.contains(&value) {
            form.push(("scope".into(), value.to_owned()));
        }
    }
    form.push(("decision".into(), decision.into()));
    let res = site
        .client
        .post(site.url("/auth/authorize/decide"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = url::Url::parse(&location(&res)).unwrap();
    to.query_pairs().into_owned().collect()
}

/// `POST` a form to one of the site's endpoints; status and JSON body.
pub async fn post_json(site: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = site
        .client
        .post(site.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A Micropub create with `token`; the status.
pub async fn micropub_create(site: &TestApp, token: &str, content: &str) -> StatusCode {
    site.client
        .post(site.url("/micropub"))
        .bearer_auth(token)
        .form(&[("h", "entry"), ("content", content)])
        .send()
        .await
        .unwrap()
        .status()
}
