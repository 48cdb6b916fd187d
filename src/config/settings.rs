//! The typed configuration: what the rest of the program reads. Built only by
//! [`Config::load`](super::Config::load) in `config/load.rs`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Identity of the site: its canonical URL and the words it shows.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// `SITE_URL`: canonical public URL, always ending in `/`; every absolute URL starts here.
    pub url: Url,
    /// `SITE_NAME`: the site title.
    pub name: String,
    /// `SITE_AUTHOR`: the author's name for the h-card and feeds (may be empty).
    pub author: String,
    /// `SITE_DESCRIPTION`: used in feeds and `<meta name=description>` (may be empty).
    pub description: String,
    /// `SITE_LANGUAGE`: the notes' language as a valid BCP 47 tag in its canonical case (e.g.
    /// `en`, `pt-BR`, `zh-Hant`), for `<html lang>` and every feed.
    pub language: String,
}

impl SiteConfig {
    /// An absolute URL for a site path such as `notes/hello` (no leading `/` needed).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }

    /// Whether the public URL is https (cookies are then marked `Secure`).
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }
}

/// Per-type sampling rates for detailed metrics samples (`METRICS_SAMPLING_RATE`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingRates {
    /// Share of database statements kept as detailed samples.
    pub database: f64,
    /// Share of HTTP requests kept as detailed samples.
    pub http: f64,
    /// Share of template and feed renders kept as detailed samples.
    pub render: f64,
}

/// Settings of the monitoring subsystem (`METRICS_*`).
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// `METRICS_ENABLED`: master switch for all instrumentation.
    pub enabled: bool,
    /// `METRICS_SAMPLING_RATE`: one rate for every type or `database=0.1,http=1.0,render=1.0`.
    pub sampling: SamplingRates,
    /// `METRICS_BUFFER_SIZE`: detailed samples kept in memory.
    pub buffer_size: usize,
    /// `METRICS_SLOW_QUERY_THRESHOLD`: statements slower than this are always recorded.
    pub slow_query_threshold: Duration,
    /// `METRICS_MEMORY_INTERVAL`: time between memory samples; `None` turns the sampler off.
    pub memory_interval: Option<Duration>,
    /// `METRICS_PROMETHEUS_TOKEN`: bearer token for `GET /metrics`; `None` disables the route.
    pub prometheus_token: Option<Secret>,
}

/// Feed settings (`FEED_*`).
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `FEED_MAX_ITEMS`: items per feed.
    pub max_items: u32,
    /// `FEED_CACHE_ENABLED`: keep generated feeds in memory.
    pub cache_enabled: bool,
    /// `FEED_CACHE_SECONDS`: `Cache-Control: max-age` of feeds.
    pub cache_seconds: u64,
    /// `FEED_CACHE_MAX_SIZE`: generated feeds kept at most.
    pub cache_max_size: usize,
}

/// Database pool settings (`DB_*`).
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_PATH`: the SQLite file (default `$DATA_PATH/starpunk.db`).
    pub path: PathBuf,
    /// `DB_POOL_SIZE`: connections in the pool.
    pub pool_size: u32,
    /// `DB_POOL_TIMEOUT`: longest wait for a free connection.
    pub pool_timeout: Duration,
    /// `DB_BUSY_TIMEOUT_MS`: how long SQLite waits on a locked database.
    pub busy_timeout: Duration,
}

/// The validated configuration; built only by [`Config::load`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Site identity (`SITE_*`).
    pub site: SiteConfig,
    /// `HOST`: listen address.
    pub host: String,
    /// `PORT`: listen port; `0` asks the system for a free one (tests).
    pub port: u16,
    /// `DATA_PATH`: data directory, created if missing.
    pub data_path: PathBuf,
    /// Database file and pool (`DATABASE_PATH`, `DB_*`).
    pub database: DatabaseConfig,
    /// `ADMIN_ME`: the owner's identity URL; unset means nobody can log in through IndieAuth.
    pub admin_me: Option<Url>,
    /// `SESSION_SECRET`: key for CSRF tokens; generated into `$DATA_PATH/session_secret` if unset.
    pub session_secret: Secret,
    /// `INDIELOGIN_URL`: authorization server used when `ADMIN_ME` advertises none.
    pub indielogin_url: Url,
    /// `INDIEAUTH_INTROSPECTION_TOKEN`: the credential the owner's IndieAuth server gave this
    /// site (as a resource server) for its introspection endpoint; unset, each token is
    /// presented as its own credential.
    pub indieauth_introspection_token: Option<Secret>,
    /// `DEV_MODE`: enables `/dev/login`, which logs in without any network.
    pub dev_mode: bool,
    /// `DEV_ADMIN_ME`: identity used by dev login (falls back to `ADMIN_ME`, then `SITE_URL`).
    pub dev_admin_me: Option<Url>,
    /// `LOG_LEVEL`: error, warn, info, debug or trace.
    pub log_level: log::LevelFilter,
    /// `NOTES_PER_PAGE`: homepage page size.
    pub notes_per_page: u32,
    /// Feed settings (`FEED_*`).
    pub feed: FeedConfig,
    /// `SEARCH_ENABLED`: full-text search pages and API.
    pub search_enabled: bool,
    /// `MAX_UPLOAD_BYTES`: largest media upload.
    pub max_upload_bytes: usize,
    /// Monitoring settings (`METRICS_*`).
    pub metrics: MetricsConfig,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); empty: the
    /// client's address is always the connection's peer.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `INDIEAUTH_TOKEN_LIFETIME_DAYS`: how long an access token this site issued lives after
    /// its last use (and a refresh token after its issue). 90 days by default, so an app that
    /// never refreshes keeps working as long as it is used.
    pub token_lifetime_days: u32,
}

impl Config {
    /// Every variable with its effective value, secrets redacted (`starpunk config`).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let opt = |u: &Option<Url>| {
            u.as_ref()
                .map_or_else(|| "(unset)".to_owned(), Url::to_string)
        };
        let m = &self.metrics;
        vec![
            ("SITE_URL", self.site.url.to_string()),
            ("SITE_NAME", self.site.name.clone()),
            ("SITE_AUTHOR", self.site.author.clone()),
            ("SITE_DESCRIPTION", self.site.description.clone()),
            ("SITE_LANGUAGE", self.site.language.clone()),
            ("HOST", self.host.clone()),
            ("PORT", self.port.to_string()),
            ("DATA_PATH", self.data_path.display().to_string()),
            ("DATABASE_PATH", self.database.path.display().to_string()),
            ("ADMIN_ME", opt(&self.admin_me)),
            ("SESSION_SECRET", "[redacted]".to_owned()),
            ("INDIELOGIN_URL", self.indielogin_url.to_string()),
            (
                "INDIEAUTH_INTROSPECTION_TOKEN",
                redacted(&self.indieauth_introspection_token),
            ),
            ("DEV_MODE", self.dev_mode.to_string()),
            ("DEV_ADMIN_ME", opt(&self.dev_admin_me)),
            ("LOG_LEVEL", self.log_level.to_string().to_ascii_lowercase()),
            ("NOTES_PER_PAGE", self.notes_per_page.to_string()),
            ("FEED_MAX_ITEMS", self.feed.max_items.to_string()),
            ("FEED_CACHE_ENABLED", self.feed.cache_enabled.to_string()),
            ("FEED_CACHE_SECONDS", self.feed.cache_seconds.to_string()),
            ("FEED_CACHE_MAX_SIZE", self.feed.cache_max_size.to_string()),
            ("SEARCH_ENABLED", self.search_enabled.to_string()),
            ("MAX_UPLOAD_BYTES", self.max_upload_bytes.to_string()),
            ("DB_POOL_SIZE", self.database.pool_size.to_string()),
            (
                "DB_POOL_TIMEOUT",
                self.database.pool_timeout.as_secs_f64().to_string(),
            ),
            (
                "DB_BUSY_TIMEOUT_MS",
                self.database.busy_timeout.as_millis().to_string(),
            ),
            ("METRICS_ENABLED", m.enabled.to_string()),
            (
                "METRICS_SAMPLING_RATE",
                format!(
                    "database={},http={},render={}",
                    m.sampling.database, m.sampling.http, m.sampling.render
                ),
            ),
            ("METRICS_BUFFER_SIZE", m.buffer_size.to_string()),
            (
                "METRICS_SLOW_QUERY_THRESHOLD",
                m.slow_query_threshold.as_secs_f64().to_string(),
            ),
            (
                "METRICS_MEMORY_INTERVAL",
                m.memory_interval
                    .map_or(0.0, |d| d.as_secs_f64())
                    .to_string(),
            ),
            ("METRICS_PROMETHEUS_TOKEN", redacted(&m.prometheus_token)),
            (
                "TRUSTED_PROXIES",
                self.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            (
                "INDIEAUTH_TOKEN_LIFETIME_DAYS",
                self.token_lifetime_days.to_string(),
            ),
        ]
    }

    /// [`Config::token_lifetime_days`] in seconds.
    pub fn token_lifetime_secs(&self) -> i64 {
        i64::from(self.token_lifetime_days) * 24 * 60 * 60
    }

    /// The owner's identity: `ADMIN_ME` when it names another site, otherwise this site itself
    /// (`SITE_URL`), whose owner signs in here with a passkey or password.
    pub fn owner(&self) -> Url {
        self.admin_me
            .clone()
            .unwrap_or_else(|| self.site.url.clone())
    }

    /// Whether the owner's identity is this site (`ADMIN_ME` unset or equal to `SITE_URL`):
    /// starpunk itself authenticates the owner.
    pub fn owner_is_site(&self) -> bool {
        self.admin_me.as_ref().is_none_or(|me| *me == self.site.url)
    }

    /// The identity dev login signs in as: `DEV_ADMIN_ME`, else `ADMIN_ME`, else `SITE_URL`.
    pub fn dev_identity(&self) -> Url {
        self.dev_admin_me
            .clone()
            .or_else(|| self.admin_me.clone())
            .unwrap_or_else(|| self.site.url.clone())
    }
}

/// How `describe()` shows an optional secret: `(unset)` or `[redacted]`, never the value.
fn redacted(secret: &Option<Secret>) -> String {
    secret
        .as_ref()
        .map_or("(unset)", |_| "[redacted]")
        .to_owned()
}

/// Whether a URL points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_local_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
