//! The IndieAuth client itself: one per application, with its HTTP clients, the owner's
//! identity and the caches that discovery and token verification fill.
//!
//! Every outgoing request has a 5-second timeout, follows at most [`MAX_REDIRECTS`] redirects and
//! refuses plain `http` unless the host is loopback or `DEV_MODE` is on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use url::Url;

use super::model::{Endpoints, IndieAuthError, TokenVerdict};
use crate::config::Secret;

/// Time allowed for each outgoing request.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How many redirects discovery follows.
pub const MAX_REDIRECTS: usize = 5;
/// Largest profile page or JSON document read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The IndieAuth client of one application.
#[derive(Debug)]
pub struct IndieAuth {
    pub(super) http: reqwest::Client,
    /// For POSTs carrying secrets (code + verifier, introspected tokens): never redirected, so
    /// a 307/308 cannot forward the body to another host.
    pub(super) http_post: reqwest::Client,
    /// The last failed discovery, shared with waiting callers for a short while.
    pub(super) failure: Mutex<Option<(Instant, IndieAuthError)>>,
    pub(super) admin_me: Option<Url>,
    pub(super) fallback: Url,
    pub(super) allow_http: bool,
    /// `INDIEAUTH_INTROSPECTION_TOKEN`: this site's credential at the owner's introspection
    /// endpoint; without it, each token is presented as its own credential.
    pub(super) introspection_credential: Option<Secret>,
    pub(super) endpoints: Mutex<Option<(Instant, Arc<Endpoints>)>>,
    pub(super) last_background_attempt: Mutex<Option<Instant>>,
    /// Held while discovering, so concurrent callers share one fetch.
    pub(super) discovering: tokio::sync::Mutex<()>,
    pub(super) tokens: Mutex<HashMap<[u8; 32], (Instant, TokenVerdict)>>,
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

/// Mozilla's root certificates, as the `webpki-root-certs` crate ships them.
fn mozilla_roots() -> impl Iterator<Item = reqwest::Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok())
}

/// An HTTP client as every outgoing IndieAuth request uses it: [`TIMEOUT`], starpunk's user
/// agent, Mozilla's roots plus the system's. Callers add the redirect policy.
pub(super) fn http_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a bundled crypto provider; ring is the one we ship. Installing
    // twice (several applications in one test process) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("starpunk/", env!("CARGO_PKG_VERSION")))
        .tls_certs_merge(mozilla_roots())
}

/// Whether IndieAuth may use `url`: https, a loopback host, or anything with `allow_http`
/// (`DEV_MODE`). The one rule for profiles, endpoints, issuers and redirects.
pub(super) fn is_secure_enough(url: &Url, allow_http: bool) -> bool {
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
    /// A client for `admin_me`; `allow_http` (DEV_MODE) permits plain http everywhere;
    /// `introspection_credential` (`INDIEAUTH_INTROSPECTION_TOKEN`) authenticates this site at
    /// the owner's introspection endpoint.
    ///
    /// Server certificates are checked against Mozilla's root store, compiled in, and the
    /// system's roots when it has any: a static binary in an empty root (a `scratch` image, a
    /// systemd `RootDirectory=`) still verifies https peers, and a private CA added to the
    /// system store is still trusted.
    pub fn new(
        admin_me: Option<Url>,
        fallback: Url,
        allow_http: bool,
        introspection_credential: Option<Secret>,
    ) -> Result<Self, reqwest::Error> {
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
        let http = http_builder().redirect(policy).build()?;
        let http_post = http_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(IndieAuth {
            http,
            http_post,
            failure: Mutex::new(None),
            admin_me,
            fallback,
            allow_http,
            introspection_credential,
            endpoints: Mutex::new(None),
            last_background_attempt: Mutex::new(None),
            discovering: tokio::sync::Mutex::new(()),
            tokens: Mutex::new(HashMap::new()),
        })
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

    pub(super) fn check_scheme(&self, url: &Url) -> Result<(), IndieAuthError> {
        if is_secure_enough(url, self.allow_http) {
            Ok(())
        } else {
            Err(IndieAuthError::Insecure(url.to_string()))
        }
    }
}

/// The body of a response, refusing more than [`MAX_DOCUMENT_BYTES`].
pub(super) async fn read_limited(
    mut response: reqwest::Response,
) -> Result<Vec<u8>, reqwest::Error> {
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

pub(super) fn unreachable(what: &str, url: &Url, error: &reqwest::Error) -> IndieAuthError {
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

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
}
