//! IndieAuth as a client and a resource server: discovering the owner's endpoints from
//! `ADMIN_ME`, exchanging login codes, and verifying Micropub access tokens.
//!
//! Every outgoing request has a 5-second timeout, follows at most [`MAX_REDIRECTS`] redirects and
//! refuses plain `http` unless the host is loopback or `DEV_MODE` is on. Discovery is cached for
//! an hour, token verdicts for five minutes keyed by the token's SHA-256 (the token itself is
//! never kept or logged). An endpoint that cannot be reached is an error, never a pass.

pub mod links;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use links::Link;

/// Time allowed for each outgoing request.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How many redirects discovery follows.
pub const MAX_REDIRECTS: usize = 5;
/// How long discovered endpoints are reused.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a token verdict is reused.
pub const TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a failed discovery is reused before trying again.
const FAILURE_TTL: Duration = Duration::from_secs(30);
/// Most token verdicts kept at once.
const TOKEN_CACHE_MAX: usize = 1024;
/// Largest profile page or JSON document read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The owner's IndieAuth endpoints, as discovered from `ADMIN_ME`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Where the browser is sent to log in and where login codes are exchanged.
    pub authorization_endpoint: Option<Url>,
    /// Where access tokens are verified.
    pub token_endpoint: Option<Url>,
    /// Token introspection (RFC 7662), from the metadata.
    pub introspection_endpoint: Option<Url>,
    /// The `indieauth-metadata` document, when the owner has one.
    pub metadata: Option<Url>,
    /// The issuer named by the metadata; callbacks must carry it as `iss`.
    pub issuer: Option<String>,
}

/// What went wrong talking to another server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IndieAuthError {
    /// `ADMIN_ME` is not set.
    #[error("ADMIN_ME is not set, so this site has no owner to log in or verify tokens for")]
    NoOwner,
    /// The server could not be reached, timed out or failed (5xx).
    #[error("{0}")]
    Unreachable(String),
    /// The server answered, but not with what the protocol requires.
    #[error("{0}")]
    Invalid(String),
    /// A URL is plain http on a non-loopback host.
    #[error(
        "{0} is not https; IndieAuth needs https unless the host is loopback or DEV_MODE is on"
    )]
    Insecure(String),
}

/// A verified access token: who it is for and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The canonical `me` of the token.
    pub me: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
}

impl TokenInfo {
    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why a token is refused (the answer is cached like a success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenVerdict {
    /// Valid, for this owner.
    Valid(TokenInfo),
    /// The token endpoint does not know the token or it has expired.
    Invalid(String),
    /// Valid, but for someone other than `ADMIN_ME`.
    WrongOwner(String),
}

/// A verification outcome with whether the cache answered (for metrics and benchmarks).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The verdict.
    pub verdict: TokenVerdict,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// The IndieAuth client of one application.
#[derive(Debug)]
pub struct IndieAuth {
    http: reqwest::Client,
    /// For POSTs carrying secrets (code + verifier, introspected tokens): never redirected, so
    /// a 307/308 cannot forward the body to another host.
    http_post: reqwest::Client,
    /// The last failed discovery, shared with waiting callers for a short while.
    failure: Mutex<Option<(Instant, IndieAuthError)>>,
    admin_me: Option<Url>,
    fallback: Url,
    allow_http: bool,
    endpoints: Mutex<Option<(Instant, Arc<Endpoints>)>>,
    last_background_attempt: Mutex<Option<Instant>>,
    /// Held while discovering, so concurrent callers share one fetch.
    discovering: tokio::sync::Mutex<()>,
    tokens: Mutex<HashMap<[u8; 32], (Instant, TokenVerdict)>>,
}

/// The canonical form of a profile URL (IndieAuth §3.4): scheme and host lower-cased, an empty
/// path becomes `/`, no fragment. `None` for anything that is not an http(s) URL with a host.
pub fn canonical_me(me: &str) -> Option<String> {
    let mut url = Url::parse(me.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url.to_string())
}

/// Whether IndieAuth may use `url`: https, a loopback host, or anything with `allow_http`
/// (`DEV_MODE`). The one rule for profiles, endpoints, issuers and redirects.
fn is_secure_enough(url: &Url, allow_http: bool) -> bool {
    allow_http || url.scheme() == "https" || is_loopback(url)
}

/// Whether `url`'s host is loopback (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl IndieAuth {
    /// A client for `admin_me`; `allow_http` (DEV_MODE) permits plain http everywhere.
    pub fn new(admin_me: Option<Url>, fallback: Url, allow_http: bool) -> Self {
        // reqwest is built without a bundled crypto provider; ring is the one we ship. Installing
        // twice (several applications in one test process) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            // `previous()` holds the original URL too.
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if !is_secure_enough(attempt.url(), allow_http) {
                attempt.error("redirected to plain http")
            } else {
                attempt.follow()
            }
        });
        let builder = || {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                .user_agent(concat!("starpunk/", env!("CARGO_PKG_VERSION")))
        };
        let http = builder()
            .redirect(policy)
            .build()
            .expect("the HTTP client's settings are valid");
        let http_post = builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the HTTP client's settings are valid");
        IndieAuth {
            http,
            http_post,
            failure: Mutex::new(None),
            admin_me,
            fallback,
            allow_http,
            endpoints: Mutex::new(None),
            last_background_attempt: Mutex::new(None),
            discovering: tokio::sync::Mutex::new(()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The owner's identity, canonical.
    pub fn admin_me(&self) -> Option<&Url> {
        self.admin_me.as_ref()
    }

    /// The fallback authorization server's endpoint (`INDIELOGIN_URL` + `auth`).
    pub fn fallback_endpoint(&self) -> Url {
        // `join` replaces the last segment of a base without a trailing slash.
        let mut base = self.fallback.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join("auth").unwrap_or(base)
    }

    fn check_scheme(&self, url: &Url) -> Result<(), IndieAuthError> {
        if is_secure_enough(url, self.allow_http) {
            Ok(())
        } else {
            Err(IndieAuthError::Insecure(url.to_string()))
        }
    }

    /// The endpoints last discovered, even if stale, without any network (for page heads).
    pub fn cached_endpoints(&self) -> Option<Arc<Endpoints>> {
        lock(&self.endpoints).as_ref().map(|(_, e)| e.clone())
    }

    /// Starts a discovery in the background when the cached endpoints are missing or stale (at
    /// most one attempt a minute), so pages can advertise them without waiting on the network.
    pub fn refresh_in_background(self: &Arc<Self>) {
        if self.admin_me.is_none() {
            return;
        }
        let fresh = lock(&self.endpoints)
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < DISCOVERY_TTL);
        if fresh {
            return;
        }
        {
            let mut last = lock(&self.last_background_attempt);
            if last.is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.endpoints().await {
                log::warn!("IndieAuth discovery failed: {e}");
            }
        });
    }

    /// The owner's endpoints: from the cache when fresh, otherwise discovered now.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>, IndieAuthError> {
        if let Some(endpoints) = self.fresh_endpoints() {
            return Ok(endpoints);
        }
        let _gate = self.discovering.lock().await;
        // Someone else may have discovered them while this caller waited.
        if let Some(endpoints) = self.fresh_endpoints() {
            return Ok(endpoints);
        }
        let me = self.admin_me.clone().ok_or(IndieAuthError::NoOwner)?;
        // A failure is reused for a short while, so callers queued behind a dead profile do not
        // each wait out another timeout.
        if let Some((at, error)) = lock(&self.failure).as_ref()
            && at.elapsed() < FAILURE_TTL
        {
            return self.stale_or(error.clone());
        }
        match self.discover(&me).await {
            Ok(found) => {
                let endpoints = Arc::new(found);
                *lock(&self.endpoints) = Some((Instant::now(), endpoints.clone()));
                *lock(&self.failure) = None;
                Ok(endpoints)
            }
            Err(error) => {
                log::warn!("IndieAuth discovery failed: {error}");
                *lock(&self.failure) = Some((Instant::now(), error.clone()));
                self.stale_or(error)
            }
        }
    }

    /// The last endpoints found, however old, or `error` when there never were any.
    fn stale_or(&self, error: IndieAuthError) -> Result<Arc<Endpoints>, IndieAuthError> {
        lock(&self.endpoints)
            .as_ref()
            .map(|(_, e)| e.clone())
            .ok_or(error)
    }

    fn fresh_endpoints(&self) -> Option<Arc<Endpoints>> {
        lock(&self.endpoints)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < DISCOVERY_TTL)
            .map(|(_, e)| e.clone())
    }

    /// Fetches `me` and reads its links: `indieauth-metadata` first, then the
    /// `authorization_endpoint`/`token_endpoint` relations.
    async fn discover(&self, me: &Url) -> Result<Endpoints, IndieAuthError> {
        self.check_scheme(me)?;
        let response = self
            .http
            .get(me.clone())
            .header(reqwest::header::ACCEPT, "text/html, */*;q=0.5")
            .send()
            .await
            .map_err(|e| unreachable("your profile", me, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(IndieAuthError::Unreachable(format!(
                "your profile {me} answered {status}"
            )));
        }
        let final_url = response.url().clone();
        let mut found: Vec<Link> = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| links::parse_link_header(v, &final_url))
            .collect();
        let is_html = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|t| t.to_ascii_lowercase().contains("html"));
        if is_html {
            let body = read_limited(response)
                .await
                .map_err(|e| unreachable("your profile", me, &e))?;
            found.extend(links::parse_html(
                &String::from_utf8_lossy(&body),
                &final_url,
            ));
        }
        // The first link of each relation wins, headers before HTML.
        let first = |rel: &str| found.iter().find(|l| l.rel == rel).map(|l| l.href.clone());
        if let Some(metadata_url) = first("indieauth-metadata") {
            return self.metadata(metadata_url).await;
        }
        let endpoints = Endpoints {
            authorization_endpoint: first("authorization_endpoint"),
            token_endpoint: first("token_endpoint"),
            ..Endpoints::default()
        };
        for url in [&endpoints.authorization_endpoint, &endpoints.token_endpoint]
            .into_iter()
            .flatten()
        {
            self.check_scheme(url)?;
        }
        Ok(endpoints)
    }

    /// Reads an IndieAuth server metadata document.
    async fn metadata(&self, url: Url) -> Result<Endpoints, IndieAuthError> {
        #[derive(Deserialize)]
        struct Metadata {
            issuer: Option<String>,
            authorization_endpoint: Option<String>,
            token_endpoint: Option<String>,
            introspection_endpoint: Option<String>,
        }
        self.check_scheme(&url)?;
        let response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable("the IndieAuth metadata", &url, &e))?;
        if !response.status().is_success() {
            return Err(IndieAuthError::Unreachable(format!(
                "the IndieAuth metadata {url} answered {}",
                response.status()
            )));
        }
        let base = response.url().clone();
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the IndieAuth metadata", &url, &e))?;
        let metadata: Metadata = serde_json::from_slice(&body).map_err(|_| {
            IndieAuthError::Invalid(format!("the IndieAuth metadata {url} is not valid JSON"))
        })?;
        let resolve = |s: Option<String>| -> Result<Option<Url>, IndieAuthError> {
            let Some(s) = s else { return Ok(None) };
            let url = base.join(&s).map_err(|_| {
                IndieAuthError::Invalid(format!("the IndieAuth metadata names a bad URL: {s}"))
            })?;
            self.check_scheme(&url)?;
            Ok(Some(url))
        };
        // The issuer is required (IndieAuth §4.1.1): an https URL, no query or fragment, a
        // prefix of the metadata URL. Without it the callback's `iss` could not be checked.
        let issuer = metadata
            .issuer
            .filter(|issuer| {
                Url::parse(issuer).is_ok_and(|i| {
                    is_secure_enough(&i, self.allow_http)
                        && i.query().is_none()
                        && i.fragment().is_none()
                        && url.as_str().starts_with(i.as_str())
                })
            })
            .ok_or_else(|| {
                IndieAuthError::Invalid(format!(
                    "the IndieAuth metadata {url} has no valid `issuer` (an https URL that prefixes the metadata URL)"
                ))
            })?;
        Ok(Endpoints {
            authorization_endpoint: resolve(metadata.authorization_endpoint)?,
            token_endpoint: resolve(metadata.token_endpoint)?,
            introspection_endpoint: resolve(metadata.introspection_endpoint)?,
            metadata: Some(url),
            issuer: Some(issuer),
        })
    }

    /// Exchanges a login `code` at the authorization endpoint (with the PKCE verifier) and
    /// returns the canonical `me` it vouches for.
    pub async fn exchange_code(
        &self,
        endpoint: &Url,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<String, IndieAuthError> {
        #[derive(Deserialize)]
        struct Profile {
            me: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        self.check_scheme(endpoint)?;
        let response = self
            .http_post
            .post(endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|e| unreachable("the authorization endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the authorization endpoint {endpoint} answered {status}"
            )));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the authorization endpoint", endpoint, &e))?;
        let profile: Profile = serde_json::from_slice(&body).map_err(|_| {
            IndieAuthError::Invalid(format!(
                "the authorization endpoint answered {status} without valid JSON"
            ))
        })?;
        if !status.is_success() || profile.error.is_some() {
            let error = profile.error.unwrap_or_else(|| status.to_string());
            let detail = profile
                .error_description
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(IndieAuthError::Invalid(format!(
                "the authorization endpoint refused the login ({error}{detail})"
            )));
        }
        profile.me.as_deref().and_then(canonical_me).ok_or_else(|| {
            IndieAuthError::Invalid(
                "the authorization endpoint did not say who you are (no valid `me`)".into(),
            )
        })
    }

    /// Verifies an access token at the owner's token endpoint (or its introspection endpoint
    /// when a GET is refused), answering from the cache when a verdict is under 5 minutes old.
    pub async fn verify(&self, token: &str) -> Result<Verification, IndieAuthError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((at, verdict)) = lock(&self.tokens).get(&key)
            && at.elapsed() < TOKEN_TTL
        {
            return Ok(Verification {
                verdict: verdict.clone(),
                cached: true,
            });
        }
        let admin_me = self.admin_me.as_ref().ok_or(IndieAuthError::NoOwner)?;
        let endpoints = self.endpoints().await?;
        let Some(endpoint) = endpoints.token_endpoint.clone() else {
            return Err(IndieAuthError::Invalid(format!(
                "{admin_me} advertises no token_endpoint, so no token can be verified"
            )));
        };
        let verdict = match self.token_get(&endpoint, token).await? {
            Some(answer) => answer,
            None => match &endpoints.introspection_endpoint {
                Some(introspection) => self.introspect(introspection, token).await?,
                None => TokenAnswer::Inactive("the token endpoint did not accept the token".into()),
            },
        };
        let verdict = match verdict {
            TokenAnswer::Inactive(why) => TokenVerdict::Invalid(why),
            TokenAnswer::Active(info)
                if Some(info.me.as_str()) == canonical_me(admin_me.as_str()).as_deref() =>
            {
                TokenVerdict::Valid(info)
            }
            TokenAnswer::Active(info) => TokenVerdict::WrongOwner(info.me),
        };
        let mut cache = lock(&self.tokens);
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.retain(|_, (at, _)| at.elapsed() < TOKEN_TTL);
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), verdict.clone()));
        Ok(Verification {
            verdict,
            cached: false,
        })
    }

    /// `GET token_endpoint` with the token as Bearer. `None` when the endpoint refuses the
    /// method or the token without saying more (then introspection may be tried).
    async fn token_get(
        &self,
        endpoint: &Url,
        token: &str,
    ) -> Result<Option<TokenAnswer>, IndieAuthError> {
        self.check_scheme(endpoint)?;
        let response = self
            .http
            .get(endpoint.clone())
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable("the token endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the token endpoint {endpoint} answered {status}"
            )));
        }
        if !status.is_success() {
            return Ok(None);
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the token endpoint", endpoint, &e))?;
        // A success that is not a token answer (an HTML page) counts as a refused GET, so
        // introspection may still be tried.
        Ok(parse_token_answer(&body, false).ok())
    }

    /// RFC 7662 introspection: `POST token=…`.
    async fn introspect(&self, endpoint: &Url, token: &str) -> Result<TokenAnswer, IndieAuthError> {
        self.check_scheme(endpoint)?;
        let response = self
            .http_post
            .post(endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|e| unreachable("the introspection endpoint", endpoint, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(IndieAuthError::Unreachable(format!(
                "the introspection endpoint {endpoint} answered {status}"
            )));
        }
        if !status.is_success() {
            return Ok(TokenAnswer::Inactive(format!(
                "the introspection endpoint answered {status}"
            )));
        }
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable("the introspection endpoint", endpoint, &e))?;
        parse_token_answer(&body, true)
    }
}

/// What a token or introspection endpoint said.
#[derive(Debug)]
enum TokenAnswer {
    Active(TokenInfo),
    Inactive(String),
}

/// Reads `{"me", "scope", "client_id"}` (token endpoint) or the same with `"active"`
/// (introspection).
/// With `introspection`, `active` is required to be true (RFC 7662 §2.2).
fn parse_token_answer(body: &[u8], introspection: bool) -> Result<TokenAnswer, IndieAuthError> {
    #[derive(Deserialize)]
    struct Answer {
        active: Option<bool>,
        me: Option<String>,
        scope: Option<String>,
        client_id: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        IndieAuthError::Invalid("the token endpoint did not answer with valid JSON".into())
    })?;
    if answer.active == Some(false) || (introspection && answer.active.is_none()) {
        return Ok(TokenAnswer::Inactive("the token is not active".into()));
    }
    let Some(me) = answer.me.as_deref().and_then(canonical_me) else {
        return Ok(TokenAnswer::Inactive(
            "the token endpoint did not name the token's owner (`me`)".into(),
        ));
    };
    Ok(TokenAnswer::Active(TokenInfo {
        me,
        scopes: answer
            .scope
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect(),
        client_id: answer.client_id,
    }))
}

/// The body of a response, refusing more than [`MAX_DOCUMENT_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_DOCUMENT_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(body)
}

fn unreachable(what: &str, url: &Url, error: &reqwest::Error) -> IndieAuthError {
    let why = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_redirect() {
        "redirected too often or to plain http".to_owned()
    } else if error.is_connect() {
        "could not be connected to".to_owned()
    } else {
        "failed".to_owned()
    };
    // The URL is the owner's public endpoint; the token is never part of it.
    IndieAuthError::Unreachable(format!("{what} {url} {why}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_urls_are_canonicalised() {
        assert_eq!(
            canonical_me("HTTPS://Me.Example").as_deref(),
            Some("https://me.example/")
        );
        assert_eq!(
            canonical_me("https://me.example/a#frag").as_deref(),
            Some("https://me.example/a")
        );
        assert_eq!(canonical_me("mailto:me@example.com"), None);
        assert_eq!(canonical_me("not a url"), None);
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for url in ["http://localhost:1/", "http://127.0.0.9/", "http://[::1]/"] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        assert!(!is_loopback(&Url::parse("http://example.com/").unwrap()));
    }

    #[test]
    fn token_answers_are_read() {
        let active = parse_token_answer(
            br#"{"me":"https://me.example","scope":"create  media","client_id":"c"}"#,
            false,
        )
        .unwrap();
        match active {
            TokenAnswer::Active(info) => {
                assert_eq!(info.me, "https://me.example/");
                assert_eq!(info.scopes, vec!["create", "media"]);
                assert!(info.has_scope("media") && !info.has_scope("update"));
            }
            TokenAnswer::Inactive(why) => panic!("inactive: {why}"),
        }
        assert!(matches!(
            parse_token_answer(br#"{"active":false}"#, true).unwrap(),
            TokenAnswer::Inactive(_)
        ));
        assert!(matches!(
            parse_token_answer(br#"{"me":"https://me.example/","scope":"create"}"#, true).unwrap(),
            TokenAnswer::Inactive(_)
        ));
        assert!(parse_token_answer(b"<html>", false).is_err());
    }
}
