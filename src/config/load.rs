//! Loading the configuration: [`RawConfig`] is filled by envy with every value as an optional
//! string, then the parser turns it into the typed [`Config`] and collects *every* problem
//! before failing, so a bad deployment is told all that is wrong at once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::settings::{
    Config, DatabaseConfig, FeedConfig, MetricsConfig, SamplingRates, Secret, SiteConfig,
    is_local_host,
};

/// Every variable starpunk reads; anything else with a known prefix earns a warning.
pub const KNOWN_VARIABLES: &[&str] = &[
    "SITE_URL",
    "SITE_NAME",
    "SITE_AUTHOR",
    "SITE_DESCRIPTION",
    "HOST",
    "PORT",
    "DATA_PATH",
    "DATABASE_PATH",
    "ADMIN_ME",
    "SESSION_SECRET",
    "INDIELOGIN_URL",
    "DEV_MODE",
    "DEV_ADMIN_ME",
    "LOG_LEVEL",
    "NOTES_PER_PAGE",
    "FEED_MAX_ITEMS",
    "FEED_CACHE_ENABLED",
    "FEED_CACHE_SECONDS",
    "FEED_CACHE_MAX_SIZE",
    "SEARCH_ENABLED",
    "MAX_UPLOAD_BYTES",
    "DB_POOL_SIZE",
    "DB_POOL_TIMEOUT",
    "DB_BUSY_TIMEOUT_MS",
    "METRICS_ENABLED",
    "METRICS_SAMPLING_RATE",
    "METRICS_BUFFER_SIZE",
    "METRICS_SLOW_QUERY_THRESHOLD",
    "METRICS_MEMORY_INTERVAL",
    "METRICS_PROMETHEUS_TOKEN",
];

/// Prefixes that mark a variable as meant for starpunk.
const KNOWN_PREFIXES: &[&str] = &["METRICS_", "FEED_", "DB_", "SEARCH_", "SITE_", "DEV_"];

/// The name of the file that holds a generated session secret inside `DATA_PATH`.
pub const SESSION_SECRET_FILE: &str = "session_secret";

/// Environment variables exactly as given: all optional strings, parsed later.
/// (envy lower-cases variable names, so the fields match `SITE_URL` as `site_url`.)
#[derive(Debug, Default, Deserialize)]
pub struct RawConfig {
    site_url: Option<String>,
    site_name: Option<String>,
    site_author: Option<String>,
    site_description: Option<String>,
    host: Option<String>,
    port: Option<String>,
    data_path: Option<String>,
    database_path: Option<String>,
    admin_me: Option<String>,
    session_secret: Option<String>,
    indielogin_url: Option<String>,
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
}

/// One invalid variable: its name, the value given and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The variable's name.
    pub variable: &'static str,
    /// The value given (secrets are never echoed).
    pub value: String,
    /// What would have been accepted.
    pub expected: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

/// Every problem found in the environment; the program prints them and exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "configuration error: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A configuration that loaded, with the warnings to print once logging is up.
#[derive(Debug)]
pub struct Loaded {
    /// The validated configuration.
    pub config: Config,
    /// Unknown or removed variables worth a warning.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads the process environment plus a `.env` file in the working directory (the real
    /// environment wins) and loads the configuration from them.
    pub fn from_env() -> Result<Loaded, ConfigErrors> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        if let Ok(entries) = dotenvy::from_path_iter(".env") {
            for (key, value) in entries.flatten() {
                vars.insert(key, value);
            }
        }
        vars.extend(std::env::vars());
        Self::load(vars)
    }

    /// Loads the configuration from explicit variables: validates every value, creates the data
    /// directory and, when `SESSION_SECRET` is unset, reads or creates the persisted secret.
    pub fn load<I, K, V>(vars: I) -> Result<Loaded, ConfigErrors>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let warnings = unknown_variable_warnings(vars.keys().map(String::as_str));
        let raw: RawConfig = envy::from_iter(
            vars.iter()
                .filter(|(k, _)| KNOWN_VARIABLES.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone())),
        )
        .map_err(|e| {
            ConfigErrors(vec![ConfigProblem {
                variable: "environment",
                value: String::new(),
                expected: e.to_string(),
            }])
        })?;
        let config = Parser::default().parse(raw)?;
        Ok(Loaded { config, warnings })
    }
}

/// Collects problems while converting raw strings.
#[derive(Default)]
struct Parser {
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

    fn parse(mut self, raw: RawConfig) -> Result<Config, ConfigErrors> {
        let site = SiteConfig {
            url: self.site_url(raw.site_url),
            name: self.text(raw.site_name, "StarPunk"),
            author: self.text(raw.site_author, ""),
            description: self.text(raw.site_description, ""),
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
            dev_mode,
            dev_admin_me,
            log_level,
            notes_per_page,
            feed,
            search_enabled,
            max_upload_bytes,
            metrics,
        })
    }
}

/// Reads the generated session secret from the data directory, creating both when missing.
fn persisted_secret(data_path: &Path) -> std::io::Result<Secret> {
    std::fs::create_dir_all(data_path)?;
    let path = data_path.join(SESSION_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 32 => return Ok(Secret::new(existing.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = crate::secret::random_token();
    write_private(&path, &secret)?;
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Warnings for variables that look meant for starpunk but are not read by it.
pub fn unknown_variable_warnings<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut warnings: Vec<String> = names
        .filter_map(|name| {
            if name == "TOKEN_ENDPOINT" {
                return Some(
                    "TOKEN_ENDPOINT is ignored: the token endpoint is discovered from ADMIN_ME"
                        .to_owned(),
                );
            }
            if KNOWN_VARIABLES.contains(&name)
                || !KNOWN_PREFIXES.iter().any(|p| name.starts_with(p))
            {
                return None;
            }
            let closest = KNOWN_VARIABLES
                .iter()
                .max_by(|a, b| {
                    strsim::jaro_winkler(name, a).total_cmp(&strsim::jaro_winkler(name, b))
                })
                .copied()
                .unwrap_or("SITE_URL");
            Some(format!(
                "unknown variable {name} is ignored; did you mean `{closest}`?"
            ))
        })
        .collect();
    warnings.sort();
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Loaded, ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let mut all: Vec<(String, String)> = vec![("DATA_PATH".into(), data)];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let loaded = Config::load(all);
        drop(dir);
        loaded
    }

    #[test]
    fn describe_lists_every_known_variable_and_redacts_secrets() {
        let loaded = load(&[("METRICS_PROMETHEUS_TOKEN", "very-secret-token")]).unwrap();
        let described = loaded.config.describe();
        let names: Vec<&str> = described.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, KNOWN_VARIABLES);
        let text = format!("{described:?}");
        assert!(!text.contains("very-secret-token"));
        assert!(!text.contains(loaded.config.session_secret.expose()));
    }

    #[test]
    fn defaults_need_no_variables() {
        let loaded = load(&[]).unwrap();
        assert_eq!(loaded.config.site.url.as_str(), "http://127.0.0.1:8000/");
        assert_eq!(loaded.config.port, 8000);
        assert_eq!(loaded.config.notes_per_page, 20);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn site_url_gains_a_trailing_slash() {
        let loaded = load(&[("SITE_URL", "https://example.com/blog")]).unwrap();
        assert_eq!(loaded.config.site.url.as_str(), "https://example.com/blog/");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = load(&[
            ("PORT", "eighty"),
            ("SITE_URL", "ftp://x"),
            ("DEV_MODE", "maybe"),
            ("METRICS_SAMPLING_RATE", "1.5"),
        ])
        .unwrap_err();
        let vars: Vec<_> = errors.0.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            ["SITE_URL", "PORT", "DEV_MODE", "METRICS_SAMPLING_RATE"]
        );
        assert!(errors.to_string().contains("PORT=\"eighty\" is invalid"));
    }

    #[test]
    fn sampling_rate_accepts_one_rate_or_per_type_rates() {
        let one = load(&[("METRICS_SAMPLING_RATE", "0.25")]).unwrap();
        assert_eq!(one.config.metrics.sampling.database, 0.25);
        let per = load(&[("METRICS_SAMPLING_RATE", "database=0.1,http=1.0,render=0.5")]).unwrap();
        let rates = per.config.metrics.sampling;
        assert_eq!((rates.database, rates.http, rates.render), (0.1, 1.0, 0.5));
        for bad in ["cache=0.5", "database=2", "fast", "-0.1", "NaN"] {
            assert!(
                load(&[("METRICS_SAMPLING_RATE", bad)]).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn near_miss_variables_get_a_did_you_mean_warning() {
        let loaded = load(&[("METRICS_SAMPLING_RATES", "0.5"), ("TOKEN_ENDPOINT", "x")]).unwrap();
        assert_eq!(loaded.warnings.len(), 2);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("did you mean `METRICS_SAMPLING_RATE`?"))
        );
        assert!(loaded.warnings.iter().any(|w| w.contains("TOKEN_ENDPOINT")));
    }

    #[test]
    fn dev_mode_is_refused_for_a_public_https_site() {
        let errors = load(&[("DEV_MODE", "true"), ("SITE_URL", "https://example.com/")]);
        assert_eq!(errors.unwrap_err().0[0].variable, "DEV_MODE");
        assert!(
            load(&[
                ("DEV_MODE", "true"),
                ("SITE_URL", "https://localhost:8443/")
            ])
            .is_ok()
        );
    }

    #[test]
    fn a_generated_session_secret_is_persisted_privately_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let vars = [("DATA_PATH", data.to_str().unwrap())];
        let first = Config::load(vars).unwrap().config.session_secret;
        let second = Config::load(vars).unwrap().config.session_secret;
        assert_eq!(first, second);
        assert!(first.expose().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(SESSION_SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "[redacted]");
    }

    #[test]
    fn a_short_session_secret_is_refused_without_echoing_it() {
        let errors = load(&[("SESSION_SECRET", "hunter2")]).unwrap_err();
        assert_eq!(errors.0[0].variable, "SESSION_SECRET");
        assert!(!errors.to_string().contains("hunter2"));
    }
}
