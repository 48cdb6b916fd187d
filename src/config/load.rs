//! Loading the configuration from the environment (and a `.env` file): the variables starpunk
//! knows, the warnings for those it does not, and the hand-over to the parser.

use std::collections::{BTreeMap, HashMap};

use super::parse::{Parser, RawConfig};
use super::problems::{ConfigErrors, ConfigProblem};
use super::settings::Config;

/// Every variable starpunk reads; anything else with a known prefix earns a warning.
pub const KNOWN_VARIABLES: &[&str] = &[
    "SITE_URL",
    "SITE_NAME",
    "SITE_AUTHOR",
    "SITE_DESCRIPTION",
    "SITE_LANGUAGE",
    "HOST",
    "PORT",
    "DATA_PATH",
    "DATABASE_PATH",
    "ADMIN_ME",
    "SESSION_SECRET",
    "INDIELOGIN_URL",
    "INDIEAUTH_INTROSPECTION_TOKEN",
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
    "TRUSTED_PROXIES",
    "INDIEAUTH_TOKEN_LIFETIME_DAYS",
];

/// Prefixes that mark a variable as meant for starpunk.
const KNOWN_PREFIXES: &[&str] = &[
    "METRICS_",
    "FEED_",
    "DB_",
    "SEARCH_",
    "SITE_",
    "DEV_",
    "INDIEAUTH_",
];

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
    use crate::config::{SESSION_SECRET_FILE, Secret};

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
        let loaded = load(&[
            ("METRICS_PROMETHEUS_TOKEN", "very-secret-token"),
            (
                "INDIEAUTH_INTROSPECTION_TOKEN",
                "resource-server-credential",
            ),
        ])
        .unwrap();
        let described = loaded.config.describe();
        let names: Vec<&str> = described.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, KNOWN_VARIABLES);
        let text = format!("{described:?} {:?}", loaded.config);
        assert!(!text.contains("very-secret-token"));
        assert!(!text.contains("resource-server-credential"));
        assert_eq!(
            loaded
                .config
                .indieauth_introspection_token
                .as_ref()
                .map(Secret::expose),
            Some("resource-server-credential")
        );
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
        let loaded = load(&[
            ("METRICS_SAMPLING_RATES", "0.5"),
            ("TOKEN_ENDPOINT", "x"),
            ("INDIEAUTH_INTROSPECTION_TOKN", "x"),
        ])
        .unwrap();
        assert_eq!(loaded.warnings.len(), 3);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("did you mean `INDIEAUTH_INTROSPECTION_TOKEN`?"))
        );
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
    fn an_introspection_credential_is_trimmed_and_one_that_cannot_be_a_header_is_refused() {
        let blank = load(&[("INDIEAUTH_INTROSPECTION_TOKEN", "  ")]).unwrap();
        assert!(blank.config.indieauth_introspection_token.is_none());
        let padded = load(&[("INDIEAUTH_INTROSPECTION_TOKEN", " abc.def \n")]).unwrap();
        assert_eq!(
            padded
                .config
                .indieauth_introspection_token
                .as_ref()
                .map(Secret::expose),
            Some("abc.def")
        );
        let errors = load(&[("INDIEAUTH_INTROSPECTION_TOKEN", "two words")]).unwrap_err();
        assert_eq!(errors.0[0].variable, "INDIEAUTH_INTROSPECTION_TOKEN");
        assert!(!errors.to_string().contains("two words"));
    }

    #[test]
    fn a_short_session_secret_is_refused_without_echoing_it() {
        let errors = load(&[("SESSION_SECRET", "hunter2")]).unwrap_err();
        assert_eq!(errors.0[0].variable, "SESSION_SECRET");
        assert!(!errors.to_string().contains("hunter2"));
    }

    #[test]
    fn site_language_defaults_to_en_and_must_be_a_valid_bcp_47_tag() {
        assert_eq!(load(&[]).unwrap().config.site.language, "en");
        for (given, canonical) in [
            ("pt-br", "pt-BR"),
            (" zh-hant-tw ", "zh-Hant-TW"),
            ("de", "de"),
        ] {
            let loaded = load(&[("SITE_LANGUAGE", given)]).unwrap();
            assert_eq!(loaded.config.site.language, canonical, "{given}");
        }
        for bad in ["", "english", "en_US", "xx-YY", "en-", "e"] {
            let errors = load(&[("SITE_LANGUAGE", bad)]).unwrap_err();
            assert_eq!(errors.0[0].variable, "SITE_LANGUAGE", "{bad}");
            assert!(errors.to_string().contains("BCP 47"), "{bad}");
        }
    }
}
