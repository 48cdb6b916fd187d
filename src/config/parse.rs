//! The raw configuration and its parser: [`RawConfig`] is filled by envy with every value as
//! an optional string; the parser turns it into the typed [`Config`] and collects *every*
//! problem before failing, so a bad deployment is told all that is wrong at once.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::problems::{ConfigErrors, ConfigProblem};
use super::secret_file::persisted_secret;
use super::settings::{
    Config, DatabaseConfig, FeedConfig, MetricsConfig, SamplingRates, Secret, SiteConfig,
    is_local_host,
};

/// Environment variables exactly as given: all optional strings, parsed later.
/// (envy lower-cases variable names, so the fields match `SITE_URL` as `site_url`.)
#[derive(Debug, Default, Deserialize)]
pub struct RawConfig {
    site_url: Option<String>,
    site_name: Option<String>,
    site_author: Option<String>,
    site_description: Option<String>,
    site_language: Option<String>,
    host: Option<String>,
    port: Option<String>,
    data_path: Option<String>,
    database_path: Option<String>,
    admin_me: Option<String>,
    session_secret: Option<String>,
    indielogin_url: Option<String>,
    indieauth_introspection_token: Option<String>,
    dev_mode: Option<String>,
    dev_admin_me: Option<String>,
    log_level: Option<String>,
    notes_per_page: Option<String>,
    feed_max_items: Option<String>,
    feed_cache_enabled: Option<String>,
    feed_cache_seconds: Option<String>,
    feed_cache_max_size: Option<String>,
    search_enabled: Option<String>,
    max_upload_bytes: Option<String>,
    db_pool_size: Option<String>,
    db_pool_timeout: Option<String>,
    db_busy_timeout_ms: Option<String>,
    metrics_enabled: Option<String>,
    metrics_sampling_rate: Option<String>,
    metrics_buffer_size: Option<String>,
    metrics_slow_query_threshold: Option<String>,
    metrics_memory_interval: Option<String>,
    metrics_prometheus_token: Option<String>,
    trusted_proxies: Option<String>,
    indieauth_token_lifetime_days: Option<String>,
}

/// Collects problems while converting raw strings.
#[derive(Default)]
pub(super) struct Parser {
    problems: Vec<ConfigProblem>,
}

impl Parser {
    fn problem(&mut self, variable: &'static str, value: &str, expected: &str) {
        self.problems.push(ConfigProblem {
            variable,
            value: value.to_owned(),
            expected: expected.to_owned(),
        });
    }

    fn text(&mut self, value: Option<String>, default: &str) -> String {
        value.unwrap_or_else(|| default.to_owned())
    }

    fn number<T>(
        &mut self,
        var: &'static str,
        value: Option<String>,
        default: T,
        range: (T, T),
    ) -> T
    where
        T: std::str::FromStr + PartialOrd + Copy + fmt::Display,
    {
        let Some(value) = value else { return default };
        match value.trim().parse::<T>() {
            Ok(n) if n >= range.0 && n <= range.1 => n,
            _ => {
                let expected = format!("a whole number from {} to {}", range.0, range.1);
                self.problem(var, &value, &expected);
                default
            }
        }
    }

    fn seconds(
        &mut self,
        var: &'static str,
        value: Option<String>,
        default: f64,
        max: f64,
    ) -> Duration {
        let Some(value) = value else {
            return Duration::from_secs_f64(default);
        };
        match value.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && (0.0..=max).contains(&n) => Duration::from_secs_f64(n),
            _ => {
                self.problem(var, &value, &format!("a number of seconds from 0 to {max}"));
                Duration::from_secs_f64(default)
            }
        }
    }

    fn boolean(&mut self, var: &'static str, value: Option<String>, default: bool) -> bool {
        let Some(value) = value else { return default };
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => {
                self.problem(var, &value, "true or false");
                default
            }
        }
    }

    fn http_url(&mut self, var: &'static str, value: &str) -> Option<Url> {
        match Url::parse(value.trim()) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some_and(|h| !h.is_empty())
                    && url.fragment().is_none() =>
            {
                Some(url)
            }
            _ => {
                self.problem(var, value, "an absolute http:// or https:// URL");
                None
            }
        }
    }

    fn optional_url(&mut self, var: &'static str, value: Option<String>) -> Option<Url> {
        let value = value.filter(|v| !v.trim().is_empty())?;
        self.http_url(var, &value)
    }

    fn site_url(&mut self, value: Option<String>) -> Url {
        let default = Url::parse("http://127.0.0.1:8000/").expect("default SITE_URL is valid");
        let Some(value) = value else { return default };
        let Some(mut url) = self.http_url("SITE_URL", &value) else {
            return default;
        };
        if url.query().is_some() {
            self.problem("SITE_URL", &value, "a URL without a query string");
            return default;
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url
    }

    /// `SITE_LANGUAGE`: a BCP 47 tag that is well-formed and whose subtags are in the IANA
    /// registry (RFC 5646 "valid"), in its canonical case (`pt-br` → `pt-BR`); default `en`.
    fn language(&mut self, value: Option<String>) -> String {
        let Some(value) = value else {
            return "en".to_owned();
        };
        match language_tags::LanguageTag::parse(value.trim()) {
            Ok(tag) if tag.is_valid() => tag.into_string(),
            _ => {
                let expected = "a BCP 47 language tag such as en, en-GB, pt-BR or zh-Hant";
                self.problem("SITE_LANGUAGE", &value, expected);
                "en".to_owned()
            }
        }
    }

    fn sampling(&mut self, value: Option<String>) -> SamplingRates {
        let all = |r| SamplingRates {
            database: r,
            http: r,
            render: r,
        };
        let Some(value) = value else { return all(1.0) };
        let expected = "a rate from 0.0 to 1.0, or per type: database=0.1,http=1.0,render=1.0";
        let rate = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && (0.0..=1.0).contains(r))
        };
        if !value.contains('=') {
            return match rate(&value) {
                Some(r) => all(r),
                None => {
                    self.problem("METRICS_SAMPLING_RATE", &value, expected);
                    all(1.0)
                }
            };
        }
        let mut rates = all(1.0);
        for part in value.split(',').filter(|p| !p.trim().is_empty()) {
            let (kind, r) = part.split_once('=').unwrap_or((part, ""));
            let slot = match kind.trim() {
                "database" => &mut rates.database,
                "http" => &mut rates.http,
                "render" => &mut rates.render,
                _ => {
                    self.problem("METRICS_SAMPLING_RATE", &value, expected);
                    return all(1.0);
                }
            };
            match rate(r) {
                Some(r) => *slot = r,
                None => {
                    self.problem("METRICS_SAMPLING_RATE", &value, expected);
                    return all(1.0);
                }
            }
        }
        rates
    }

    pub(super) fn parse(mut self, raw: RawConfig) -> Result<Config, ConfigErrors> {
        let site = SiteConfig {
            url: self.site_url(raw.site_url),
            name: self.text(raw.site_name, "StarPunk"),
            author: self.text(raw.site_author, ""),
            description: self.text(raw.site_description, ""),
            language: self.language(raw.site_language),
        };
        let host = raw.host.unwrap_or_else(|| "127.0.0.1".to_owned());
        let host_name_like = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if host.parse::<IpAddr>().is_err() && !host_name_like {
            self.problem("HOST", &host, "an IP address or host name to listen on");
        }
        let port = self.number("PORT", raw.port, 8000u16, (0, u16::MAX));
        let data_path = PathBuf::from(raw.data_path.unwrap_or_else(|| "./data".to_owned()));
        let database_path = raw
            .database_path
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| data_path.join("starpunk.db"));
        let database = DatabaseConfig {
            path: database_path,
            pool_size: self.number("DB_POOL_SIZE", raw.db_pool_size, 8u32, (1, 64)),
            pool_timeout: self.seconds("DB_POOL_TIMEOUT", raw.db_pool_timeout, 10.0, 600.0),
            busy_timeout: Duration::from_millis(self.number(
                "DB_BUSY_TIMEOUT_MS",
                raw.db_busy_timeout_ms,
                5000u64,
                (0, 600_000),
            )),
        };
        let admin_me = self.optional_url("ADMIN_ME", raw.admin_me);
        let indielogin_url = raw
            .indielogin_url
            .and_then(|v| self.http_url("INDIELOGIN_URL", &v))
            .unwrap_or_else(|| Url::parse("https://indielogin.com/").expect("default is valid"));
        let indieauth_introspection_token = self.bearer_credential(
            "INDIEAUTH_INTROSPECTION_TOKEN",
            raw.indieauth_introspection_token,
        );
        let dev_mode = self.boolean("DEV_MODE", raw.dev_mode, false);
        let dev_admin_me = self.optional_url("DEV_ADMIN_ME", raw.dev_admin_me);
        if dev_mode && !is_local_host(&site.url) {
            self.problem(
                "DEV_MODE",
                "true",
                "false unless SITE_URL is a localhost address (dev login has no password)",
            );
        }
        let log_level = match raw.log_level.as_deref().map(str::trim) {
            None => log::LevelFilter::Info,
            Some(level) => match level.to_ascii_lowercase().as_str() {
                "error" => log::LevelFilter::Error,
                "warn" | "warning" => log::LevelFilter::Warn,
                "info" => log::LevelFilter::Info,
                "debug" => log::LevelFilter::Debug,
                "trace" => log::LevelFilter::Trace,
                _ => {
                    self.problem("LOG_LEVEL", level, "error, warn, info, debug or trace");
                    log::LevelFilter::Info
                }
            },
        };
        let notes_per_page = self.number("NOTES_PER_PAGE", raw.notes_per_page, 20u32, (1, 500));
        let feed = FeedConfig {
            max_items: self.number("FEED_MAX_ITEMS", raw.feed_max_items, 50u32, (1, 1000)),
            cache_enabled: self.boolean("FEED_CACHE_ENABLED", raw.feed_cache_enabled, true),
            cache_seconds: self.number(
                "FEED_CACHE_SECONDS",
                raw.feed_cache_seconds,
                300u64,
                (0, 31_536_000),
            ),
            cache_max_size: self.number(
                "FEED_CACHE_MAX_SIZE",
                raw.feed_cache_max_size,
                50usize,
                (1, 10_000),
            ),
        };
        let search_enabled = self.boolean("SEARCH_ENABLED", raw.search_enabled, true);
        let token_lifetime_days = self.number(
            "INDIEAUTH_TOKEN_LIFETIME_DAYS",
            raw.indieauth_token_lifetime_days,
            90u32,
            (1, 3650),
        );
        let max_upload_bytes = self.number(
            "MAX_UPLOAD_BYTES",
            raw.max_upload_bytes,
            10_485_760usize,
            (1024, 1 << 30),
        );
        let metrics = MetricsConfig {
            enabled: self.boolean("METRICS_ENABLED", raw.metrics_enabled, true),
            sampling: self.sampling(raw.metrics_sampling_rate),
            buffer_size: self.number(
                "METRICS_BUFFER_SIZE",
                raw.metrics_buffer_size,
                1000usize,
                (1, 1_000_000),
            ),
            slow_query_threshold: self.seconds(
                "METRICS_SLOW_QUERY_THRESHOLD",
                raw.metrics_slow_query_threshold,
                1.0,
                3600.0,
            ),
            memory_interval: Some(self.seconds(
                "METRICS_MEMORY_INTERVAL",
                raw.metrics_memory_interval,
                30.0,
                86_400.0,
            ))
            .filter(|d| !d.is_zero()),
            prometheus_token: raw
                .metrics_prometheus_token
                .filter(|t| !t.trim().is_empty())
                .map(Secret::new),
        };
        let trusted_proxies = self.networks("TRUSTED_PROXIES", raw.trusted_proxies);
        let session_secret = match raw.session_secret {
            Some(secret) if secret.len() >= 32 => Some(Secret::new(secret)),
            Some(_) => {
                self.problem(
                    "SESSION_SECRET",
                    "[redacted]",
                    "at least 32 characters (or unset, to generate one)",
                );
                None
            }
            None => None,
        };
        if !self.problems.is_empty() {
            return Err(ConfigErrors(self.problems));
        }
        let session_secret = match session_secret {
            Some(secret) => secret,
            None => persisted_secret(&data_path).map_err(|e| {
                ConfigErrors(vec![ConfigProblem {
                    variable: "DATA_PATH",
                    value: data_path.display().to_string(),
                    expected: format!("a writable directory for the session secret ({e})"),
                }])
            })?,
        };
        Ok(Config {
            site,
            host,
            port,
            data_path,
            database,
            admin_me,
            session_secret,
            indielogin_url,
            indieauth_introspection_token,
            dev_mode,
            dev_admin_me,
            log_level,
            notes_per_page,
            feed,
            search_enabled,
            max_upload_bytes,
            metrics,
            trusted_proxies,
            token_lifetime_days,
        })
    }

    /// A credential sent as `Authorization: Bearer …`: surrounding blanks are dropped, empty is
    /// unset, and anything but visible ASCII is refused (it could not travel in a header). The
    /// value is never echoed.
    fn bearer_credential(
        &mut self,
        variable: &'static str,
        value: Option<String>,
    ) -> Option<Secret> {
        let value = value?.trim().to_owned();
        if value.is_empty() {
            return None;
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            self.problem(
                variable,
                "[redacted]",
                "visible ASCII characters without spaces (a Bearer credential)",
            );
            return None;
        }
        Some(Secret::new(value))
    }

    /// A comma-separated list of IP addresses and CIDR networks (`10.0.0.0/8`, `::1`).
    fn networks(&mut self, variable: &'static str, value: Option<String>) -> Vec<ipnet::IpNet> {
        let Some(value) = value else {
            return Vec::new();
        };
        let mut networks = Vec::new();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = part
                .parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(ipnet::IpNet::from));
            match parsed {
                Ok(net) => networks.push(net),
                Err(_) => {
                    self.problem(
                        variable,
                        &value,
                        "a comma-separated list of IP addresses or networks, e.g. 127.0.0.1,10.0.0.0/8",
                    );
                    return Vec::new();
                }
            }
        }
        networks
    }
}
