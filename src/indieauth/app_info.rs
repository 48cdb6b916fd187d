//! What an app says about itself, for starpunk's own authorization endpoint: the JSON client
//! metadata document at its `client_id` (IndieAuth §4.2.2), or for older apps the `h-app`
//! microformat and `rel=redirect_uri` links of the page there.
//!
//! Fetches take at most five seconds and read at most 1 MiB. A public `client_id` is never
//! followed to a private or local address ([`guard::PublicOnly`]); a `client_id` on loopback
//! (an app running on the owner's own machine) may only lead to loopback.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde::Deserialize;
use url::Url;

use super::client::{MAX_REDIRECTS, http_builder, is_loopback, lock, read_limited};
use super::guard::{self, PRIVATE_ADDRESS};
use super::links;

/// How long what an app said is reused.
const INFO_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a failure to learn it is reused (so strangers cannot make this server fetch the
/// same dead address over and over).
const FAILURE_TTL: Duration = Duration::from_secs(30);
/// Most apps remembered at once.
const INFO_CACHE_MAX: usize = 64;

/// An app, as its `client_id` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppInfo {
    /// `client_name` or the `h-app`'s name.
    pub name: Option<String>,
    /// `client_uri` or the `h-app`'s URL: the app's home page.
    pub uri: Option<Url>,
    /// `logo_uri` or the `h-app`'s logo.
    pub logo: Option<Url>,
    /// Redirect URIs the app lists (beyond its own origin).
    pub redirect_uris: Vec<Url>,
}

/// Fetches and remembers app information.
#[derive(Debug)]
pub struct AppDirectory {
    public: reqwest::Client,
    loopback: reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, Learnt)>>,
}

/// What a fetch taught: the app's description, or why there is none.
type Learnt = Result<Arc<AppInfo>, String>;

impl AppDirectory {
    /// The two HTTP clients: one for public apps that never reaches a private address, one
    /// for apps on loopback that never leaves it.
    pub fn new() -> Result<Self, reqwest::Error> {
        let public_policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if !guard::public_url(attempt.url()) {
                attempt.error(PRIVATE_ADDRESS)
            } else {
                attempt.follow()
            }
        });
        let loopback_policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if !is_loopback(attempt.url()) {
                attempt.error("redirected away from loopback")
            } else {
                attempt.follow()
            }
        });
        Ok(AppDirectory {
            public: http_builder()
                .redirect(public_policy)
                .dns_resolver(Arc::new(guard::PublicOnly))
                .build()?,
            loopback: http_builder().redirect(loopback_policy).build()?,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// What `client_id` says about itself; the error says, for a person, why nothing could be
    /// learnt.
    pub async fn lookup(&self, client_id: &Url) -> Learnt {
        let fresh = |(at, learnt): &(Instant, Learnt)| {
            at.elapsed()
                < if learnt.is_ok() {
                    INFO_TTL
                } else {
                    FAILURE_TTL
                }
        };
        if let Some(entry) = lock(&self.cache).get(client_id.as_str())
            && fresh(entry)
        {
            return entry.1.clone();
        }
        let learnt = self.fetch(client_id).await.map(Arc::new);
        let mut cache = lock(&self.cache);
        if cache.len() >= INFO_CACHE_MAX {
            cache.retain(|_, entry| fresh(entry));
            if cache.len() >= INFO_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(client_id.to_string(), (Instant::now(), learnt.clone()));
        learnt
    }

    async fn fetch(&self, client_id: &Url) -> Result<AppInfo, String> {
        let (http, public) = if is_loopback(client_id) {
            (&self.loopback, false)
        } else if guard::public_url(client_id) {
            (&self.public, true)
        } else {
            return Err(format!("{client_id} {PRIVATE_ADDRESS}"));
        };
        let response = http
            .get(client_id.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/json, text/html;q=0.9, */*;q=0.1",
            )
            .send()
            .await
            .map_err(|e| fetch_error(client_id, public, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{client_id} answered {status}"));
        }
        let final_url = response.url().clone();
        let header_links = links::from_headers(response.headers(), &final_url);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = read_limited(response)
            .await
            .map_err(|e| fetch_error(client_id, public, &e))?;
        if content_type.contains("json") {
            return metadata_document(&body, client_id);
        }
        let html = String::from_utf8_lossy(&body);
        let mut info = h_app(&html, &final_url);
        info.redirect_uris = header_links
            .into_iter()
            .chain(links::parse_html(&html, &final_url))
            .filter(|l| l.rel == "redirect_uri")
            .map(|l| l.href)
            .collect();
        Ok(info)
    }
}

/// Why a fetch failed, in words (a refused private address is named as such).
fn fetch_error(client_id: &Url, public: bool, error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = error.source();
    while let Some(e) = source {
        if e.to_string().contains(PRIVATE_ADDRESS) {
            return format!("{client_id} {PRIVATE_ADDRESS}, which this server does not fetch");
        }
        source = e.source();
    }
    let why = if error.is_timeout() {
        "did not answer within five seconds"
    } else if error.is_redirect() && public {
        "redirected too often or to a private address"
    } else if error.is_redirect() {
        "redirected too often or away from loopback"
    } else if error.is_connect() {
        "could not be connected to"
    } else {
        "could not be fetched"
    };
    format!("{client_id} {why}")
}

/// Reads a JSON client metadata document; its `client_id` must be the URL it came from.
fn metadata_document(body: &[u8], client_id: &Url) -> Result<AppInfo, String> {
    #[derive(Deserialize)]
    struct Document {
        client_id: Option<String>,
        client_name: Option<String>,
        client_uri: Option<String>,
        logo_uri: Option<String>,
        #[serde(default)]
        redirect_uris: Vec<String>,
    }
    let doc: Document = serde_json::from_slice(body)
        .map_err(|_| format!("the client metadata at {client_id} is not valid JSON"))?;
    let named = doc.client_id.as_deref().and_then(|c| Url::parse(c).ok());
    if named.as_ref() != Some(client_id) {
        return Err(format!(
            "the client metadata at {client_id} names another client_id ({})",
            doc.client_id.as_deref().unwrap_or("none")
        ));
    }
    let url = |s: Option<String>| s.and_then(|s| client_id.join(&s).ok());
    Ok(AppInfo {
        name: doc.client_name.map(|n| clean(&n)).filter(|n| !n.is_empty()),
        uri: url(doc.client_uri).filter(|u| client_id.as_str().starts_with(u.as_str())),
        logo: url(doc.logo_uri).filter(|u| matches!(u.scheme(), "http" | "https")),
        redirect_uris: doc
            .redirect_uris
            .iter()
            .filter_map(|r| Url::parse(r).ok())
            .collect(),
    })
}

/// Collapses whitespace and bounds a name's length (it is shown on pages).
fn clean(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(100)
        .collect()
}

/// The first `h-app` (or legacy `h-x-app`) of a page: `p-name`, `u-url`, `u-logo`.
pub fn h_app(html: &str, base: &Url) -> AppInfo {
    let sink = AppSink {
        base: base.clone(),
        state: RefCell::new(AppState::default()),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    // Only web addresses become links and images on the consent page (never `javascript:`).
    let web = |u: Option<Url>| u.filter(|u| matches!(u.scheme(), "http" | "https"));
    AppInfo {
        name: Some(clean(&state.name)).filter(|n| !n.is_empty()),
        uri: web(state.url),
        logo: web(state.logo),
        redirect_uris: Vec::new(),
    }
}

/// Elements that never have an end tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

#[derive(Debug, Default)]
struct AppState {
    /// Open elements inside the `h-app` (0 outside; 1 is the root).
    depth: usize,
    /// Whether the `h-app` was found and closed (later ones are ignored).
    done: bool,
    /// The depth of the open `p-name`, while its text is collected.
    name_depth: Option<usize>,
    name: String,
    url: Option<Url>,
    logo: Option<Url>,
}

struct AppSink {
    base: Url,
    state: RefCell<AppState>,
}

impl AppSink {
    fn start(&self, tag: &Tag) {
        let mut s = self.state.borrow_mut();
        let attr = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == name)
                .map(|a| a.value.to_string())
        };
        let class = attr("class").unwrap_or_default();
        let has = |c: &str| class.split_ascii_whitespace().any(|x| x == c);
        let void = VOID.contains(&&*tag.name) || tag.self_closing;
        if s.depth == 0 {
            if !s.done && (has("h-app") || has("h-x-app")) && !void {
                s.depth = 1;
            }
            return;
        }
        let link = |s: Option<String>| s.and_then(|h| self.base.join(h.trim()).ok());
        if has("u-logo") && s.logo.is_none() {
            s.logo = link(attr("src").or_else(|| attr("href")));
        }
        if has("u-url") && s.url.is_none() {
            s.url = link(attr("href"));
        }
        if void {
            if has("p-name") && s.name.is_empty() {
                s.name = attr("alt").or_else(|| attr("value")).unwrap_or_default();
            }
            return;
        }
        s.depth += 1;
        if has("p-name") && s.name.is_empty() && s.name_depth.is_none() {
            s.name_depth = Some(s.depth);
        }
    }

    fn end(&self) {
        let mut s = self.state.borrow_mut();
        if s.depth == 0 {
            return;
        }
        if s.name_depth == Some(s.depth) {
            s.name_depth = None;
        }
        s.depth -= 1;
        if s.depth == 0 {
            s.done = true;
        }
    }
}

impl TokenSink for AppSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => self.start(&tag),
            Token::TagToken(tag) if !VOID.contains(&&*tag.name) => self.end(),
            Token::CharacterTokens(text) => {
                let mut s = self.state.borrow_mut();
                if s.name_depth.is_some() {
                    s.name.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://app.example/").unwrap()
    }

    #[test]
    fn h_app_properties_are_read() {
        let html = r#"<html><body><p>Other <span class="p-name">Not it</span></p>
            <div class="h-x-app h-app"><img class="u-logo" src="/logo.png" alt="">
            <a class="u-url p-name" href="/"> Quill <b>Editor</b></a></div>
            <div class="h-app"><span class="p-name">Second</span></div></body></html>"#;
        let info = h_app(html, &base());
        assert_eq!(info.name.as_deref(), Some("Quill Editor"));
        assert_eq!(info.logo.unwrap().as_str(), "https://app.example/logo.png");
        assert_eq!(info.uri.unwrap().as_str(), "https://app.example/");
        assert_eq!(h_app("<p>No app</p>", &base()), AppInfo::default());
        let hostile = h_app(
            r#"<div class="h-app"><a class="u-url p-name" href="javascript:alert(1)">X</a>
            <img class="u-logo" src="data:image/png;base64,AAAA" alt=""></div>"#,
            &base(),
        );
        assert_eq!((hostile.uri, hostile.logo), (None, None));
    }

    #[test]
    fn metadata_documents_must_name_their_own_url() {
        let doc = br#"{"client_id":"https://app.example/","client_name":" My  App ",
            "client_uri":"https://app.example/","logo_uri":"/logo.svg",
            "redirect_uris":["https://other.example/cb"]}"#;
        let info = metadata_document(doc, &base()).unwrap();
        assert_eq!(info.name.as_deref(), Some("My App"));
        assert_eq!(info.logo.unwrap().as_str(), "https://app.example/logo.svg");
        assert_eq!(info.redirect_uris.len(), 1);
        let other = br#"{"client_id":"https://evil.example/","client_name":"X"}"#;
        assert!(metadata_document(other, &base()).is_err());
        assert!(metadata_document(b"<html>", &base()).is_err());
    }
}
