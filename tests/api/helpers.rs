//! `spawn_app()` and typed helpers shared by the integration tests.

use actix_web::web;
use reqwest::{Response, StatusCode, header};
use scraper::{Html, Selector};
use starpunk::config::Config;
use starpunk::startup::Application;
use starpunk::state::AppState;
use tempfile::TempDir;

/// A running application on a free port with its own temporary data directory.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A client with a cookie store and no automatic redirects.
    pub client: reqwest::Client,
    /// Configuration and pool, for direct assertions.
    pub state: web::Data<AppState>,
    /// The data directory (kept alive as long as the app and its other browsers).
    pub dir: std::sync::Arc<TempDir>,
}

/// A client that keeps cookies and shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider (as the app is); a test that has not
    // built an app yet installs ring itself.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The app with dev login on (most tests need the admin).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[("DEV_MODE", "true")]).await
}

/// The app with extra variables, in a fresh data directory.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    spawn_app_in(dir, vars).await
}

/// The app on an existing data directory.
pub async fn spawn_app_in(dir: TempDir, vars: &[(&str, &str)]) -> TestApp {
    let config = config_for(dir.path(), vars);
    let app = Application::build(config).expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: client(),
        state,
        dir: std::sync::Arc::new(dir),
    }
}

/// The configuration a test app gets: port 0 and the given data directory.
pub fn config_for(data: &std::path::Path, vars: &[(&str, &str)]) -> Config {
    let mut all = vec![
        ("DATA_PATH".to_owned(), data.to_str().unwrap().to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("LOG_LEVEL".to_owned(), "warn".to_owned()),
    ];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::load(all)
        .expect("test configuration is valid")
        .config
}

/// Every statement a test made the app run must be classified on the dashboard: a kind and the
/// tables (or pragma, transaction verb …) it is about, never "unknown". Checked when each test's
/// app is dropped, so the whole suite walks every statement starpunk issues.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let unclassified: Vec<String> = self
            .state
            .metrics
            .snapshot()
            .statements
            .iter()
            .filter(|s| !s.fingerprint.is_classified())
            .map(|s| format!("{} — {}", s.fingerprint.name(), s.fingerprint.text))
            .collect();
        assert!(
            unclassified.is_empty(),
            "statements the dashboard cannot classify: {unclassified:#?}"
        );
    }
}

impl TestApp {
    /// The same app seen from another browser: a client with its own (empty) cookie store.
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: client(),
            state: self.state.clone(),
            dir: self.dir.clone(),
        }
    }

    /// The absolute URL of a path on this app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `GET path` with this app's client.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `GET path` and the body, asserting the status.
    pub async fn get_html(&self, path: &str, status: StatusCode) -> Html {
        let res = self.get(path).await;
        assert_eq!(res.status(), status, "GET {path}");
        Html::parse_document(&res.text().await.unwrap())
    }

    /// `POST path` with a urlencoded form.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Logs in through dev login; returns the session's CSRF token.
    pub async fn login(&self) -> String {
        let res = self.get("/dev/login").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/admin/");
        self.csrf().await
    }

    /// The CSRF token from the admin's new-note form.
    pub async fn csrf(&self) -> String {
        let page = self.get_html("/admin/new", StatusCode::OK).await;
        attr(&page, "input[name=csrf_token]", "value")
    }

    /// Creates a note through the admin form; returns its slug and id.
    pub async fn create_note(&self, csrf: &str, content: &str, published: bool) -> (String, i64) {
        let mut form = vec![
            ("csrf_token", csrf),
            ("content", content),
            ("action", "save"),
        ];
        if published {
            form.push(("published", "true"));
        }
        let res = self.post_form("/admin/new", &form).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "create {content:?}");
        self.newest_note().await
    }

    /// How many notes the database holds, in every state.
    pub fn note_count(&self) -> i64 {
        self.state
            .db
            .pool
            .get()
            .unwrap()
            .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
            .unwrap()
    }

    /// Slug and id of the most recently created note, read from the database.
    pub async fn newest_note(&self) -> (String, i64) {
        let conn = self.state.db.pool.get().unwrap();
        conn.query_row(
            "SELECT slug, id FROM notes ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }
}

/// The `Location` header of a response.
pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// All elements matching a CSS selector.
pub fn select<'a>(doc: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(selector).unwrap();
    doc.select(&selector).collect()
}

/// An attribute of the first element matching a selector.
pub fn attr(doc: &Html, selector: &str, name: &str) -> String {
    select(doc, selector)
        .first()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .value()
        .attr(name)
        .unwrap_or_else(|| panic!("{selector} has no {name}"))
        .to_owned()
}

/// The text of all elements matching a selector.
pub fn texts(doc: &Html, selector: &str) -> Vec<String> {
    select(doc, selector)
        .iter()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The page parsed as microformats2, in the canonical JSON shape.
pub fn mf2(html: &str, url: &str) -> serde_json::Value {
    let doc = microformats::from_html(html, &url.parse().unwrap()).expect("valid mf2 document");
    serde_json::to_value(doc).unwrap()
}
