//! The application's shared state: what every handler reaches through `web::Data<AppState>`.
//!
//! It sits above the services it holds (database, metrics, feed cache, IndieAuth client) and
//! below everything that serves requests; the lower layers never see it.

use std::sync::Arc;
use std::time::Instant;

use crate::auth::setup::SetupToken;
use crate::auth::throttle::Throttle;
use crate::auth::webauthn::Passkeys;
use crate::config::Config;
use crate::db::Db;
use crate::feeds::cache::FeedCache;
use crate::indieauth::{AppDirectory, Endpoints, IndieAuth, OwnServer};
use crate::monitoring::Metrics;
use crate::views::layout::PageContext;

/// Largest urlencoded form accepted (a note plus its fields).
/// Percent-encoding can triple a note's size, so this is three times the content limit plus
/// room for the other fields.
pub const FORM_LIMIT: usize = 3 * crate::domain::content::MAX_CONTENT_BYTES + 16 * 1024;

/// What every handler can reach: the configuration and the database pool.
#[derive(Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The database: pool and the metrics its statements report to.
    pub db: Db,
    /// The metrics store.
    pub metrics: Arc<Metrics>,
    /// When the application started.
    pub started: Instant,
    /// The same, in Unix seconds (OPML's Last-Modified).
    pub started_unix: i64,
    /// A random id of this process run, part of feed ETags (so a restart with other settings
    /// never serves a stale 304).
    pub boot_id: String,
    /// Generated feeds.
    pub feed_cache: FeedCache,
    /// The owner's IndieAuth endpoints and verified tokens.
    pub indieauth: Arc<IndieAuth>,
    /// Multipart bodies read before their (body) token is known, at most two at a time.
    pub unauthenticated_uploads: tokio::sync::Semaphore,
    /// Failed sign-ins, per client address and in all.
    pub throttle: Throttle,
    /// The first-run setup token, while the owner has no credential.
    pub setup: SetupToken,
    /// The passkey relying party and its waiting ceremonies.
    pub passkeys: Passkeys,
    /// This site's own authorization server, when the owner's identity is the site.
    pub own: Option<Arc<OwnServer>>,
    /// Its endpoints, as pages advertise them.
    pub own_endpoints: Option<Arc<Endpoints>>,
    /// What apps asking the owner for access say about themselves.
    pub apps: AppDirectory,
}

impl AppState {
    /// The page frame's context for a visitor, or for the owner when `owner_csrf` is given.
    /// Advertises this site's own endpoints, or those already discovered from `ADMIN_ME`
    /// (refreshed in the background when stale).
    pub fn page<'a>(&'a self, owner_csrf: Option<&'a str>) -> PageContext<'a> {
        let endpoints = match &self.own_endpoints {
            Some(own) => Some(own.clone()),
            None => {
                self.indieauth.refresh_in_background();
                self.indieauth.cached_endpoints()
            }
        };
        PageContext {
            config: &self.config,
            owner_csrf,
            endpoints,
            meta: None,
        }
    }
}
