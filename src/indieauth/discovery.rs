//! Discovering the owner's endpoints from `ADMIN_ME`: the profile's `Link` headers and HTML
//! `<link>` elements, `indieauth-metadata` first. Cached for an hour; a failure is reused for
//! 30 seconds and stale endpoints are kept when a refresh fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use super::client::{IndieAuth, is_secure_enough, lock, read_limited, unreachable};
use super::links::{self, Link};
use super::model::{Endpoints, IndieAuthError};

/// How long discovered endpoints are reused.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a failed discovery is reused before trying again.
const FAILURE_TTL: Duration = Duration::from_secs(30);

impl IndieAuth {
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
        let mut found: Vec<Link> = links::from_headers(response.headers(), &final_url);
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
}
