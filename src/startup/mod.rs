//! Building and running the application: pool, migrations, middleware and the one route table.

mod routes;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Server;
use actix_web::error::UrlencodedError;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpRequest, HttpServer, web};
use url::Url;

use crate::auth::session;
use crate::auth::setup::SetupToken;
use crate::auth::throttle::Throttle;
use crate::auth::webauthn::Passkeys;
use crate::clock;
use crate::config::Config;
use crate::db::{self, Db, migrate};
use crate::error::AppError;
use crate::error_pages;
use crate::feeds::cache::FeedCache;
use crate::indieauth::{AppDirectory, Endpoints, IndieAuth, OwnServer};
use crate::monitoring::{self, Metrics};
use crate::security_headers;
use crate::state::AppState;

/// How long in-flight requests may run after a shutdown signal.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database {path}: {source}")]
    Pool {
        /// The database file.
        path: String,
        /// The pool's error.
        source: r2d2::Error,
    },
    /// Migrations failed or the database is from a newer starpunk.
    #[error(transparent)]
    Migration(#[from] migrate::MigrationError),
    /// The HTTP client for IndieAuth could not be set up (its TLS settings).
    #[error("cannot set up the HTTP client for IndieAuth: {source}")]
    HttpClient {
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A built application, listening, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Opens the database, applies migrations, binds `HOST:PORT` (port 0 picks a free one) and
    /// prepares the server.
    pub fn build(config: Config) -> Result<Application, StartupError> {
        std::fs::create_dir_all(&config.data_path).map_err(|source| StartupError::DataDir {
            path: config.data_path.display().to_string(),
            source,
        })?;
        if let Some(parent) = config
            .database
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| StartupError::DataDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let metrics = Arc::new(Metrics::new(config.metrics.clone()));
        let pool = db::build_pool(&config.database, metrics.enabled()).map_err(|source| {
            StartupError::Pool {
                path: config.database.path.display().to_string(),
                source,
            }
        })?;
        let credentials;
        {
            let mut conn = pool.get().map_err(|source| StartupError::Pool {
                path: config.database.path.display().to_string(),
                source,
            })?;
            let _store = monitoring::db::enter(metrics.enabled().then(|| metrics.clone()));
            let applied = migrate::run_migrations(&mut conn)?;
            for name in applied {
                log::info!("applied migration {name}");
            }
            // Notes rendered under older rules (footnotes, headings, search text) are rendered
            // again once, here: every later read finds them current.
            let rendered = db::notes::rerender_stale(&mut conn).map_err(|source| {
                StartupError::Migration(migrate::MigrationError::Database(source))
            })?;
            if rendered > 0 {
                log::info!("rendered {rendered} notes again under the current rules");
            }
            // Uploads stored before photos were cleaned (or under older rules) are cleaned
            // once, here: no GPS position is served after this start.
            let cleaned = db::media::clean_stale(&mut conn).map_err(|source| {
                StartupError::Migration(migrate::MigrationError::Database(source))
            })?;
            if cleaned.cleaned > 0 {
                log::info!("cleaned the metadata of {} stored images", cleaned.cleaned);
            }
            for (name, why) in &cleaned.failed {
                log::warn!("could not clean the stored image {name}: {why}");
            }
            if let Err(e) = db::sessions::delete_expired(&conn, clock::unix_now()) {
                log::warn!("could not remove expired sessions: {e}");
            }
            credentials = db::credentials::count(&conn).map_err(|source| {
                StartupError::Migration(migrate::MigrationError::Database(source))
            })?;
        }
        let address = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        if config.dev_mode {
            log::warn!(
                "DEV_MODE is on: /dev/login signs anyone in as {} without a password",
                config.dev_identity()
            );
        }
        if let (true, Some(interval)) = (metrics.enabled(), config.metrics.memory_interval) {
            monitoring::memory::spawn(&metrics, interval);
        }
        if metrics.enabled() {
            monitoring::memory::sample_now(&metrics);
        }
        let feed_cache = FeedCache::new(config.feed.cache_enabled, config.feed.cache_max_size);
        // When the owner's identity is this site, starpunk is its own authorization server
        // and never discovers (or asks) another.
        let admin_me = config.admin_me.clone().filter(|_| !config.owner_is_site());
        let db = Db::new(pool, metrics.clone());
        let own = config.owner_is_site().then(|| {
            Arc::new(OwnServer {
                db: db.clone(),
                issuer: config.site.url.clone(),
                token_lifetime: config.token_lifetime_secs(),
            })
        });
        let own_endpoints = own.as_ref().map(|own| {
            Arc::new(Endpoints {
                authorization_endpoint: Url::parse(&own.endpoint("auth/authorize")).ok(),
                token_endpoint: Url::parse(&own.endpoint("auth/token")).ok(),
                introspection_endpoint: Url::parse(&own.endpoint("auth/introspect")).ok(),
                metadata: Url::parse(&own.endpoint(".well-known/oauth-authorization-server")).ok(),
                issuer: Some(own.issuer.to_string()),
            })
        });
        let apps = AppDirectory::new().map_err(|source| StartupError::HttpClient { source })?;
        let indieauth = Arc::new(
            IndieAuth::new(
                admin_me,
                config.indielogin_url.clone(),
                config.dev_mode,
                config.indieauth_introspection_token.clone(),
            )
            .map_err(|source| StartupError::HttpClient { source })?,
        );
        let state = web::Data::new(AppState {
            indieauth,
            unauthenticated_uploads: tokio::sync::Semaphore::new(2),
            throttle: Throttle::default(),
            setup: SetupToken::default(),
            passkeys: Passkeys::new(&config.site.url),
            own,
            own_endpoints,
            apps,
            config,
            db,
            feed_cache,
            metrics,
            started: Instant::now(),
            started_unix: clock::unix_now(),
            boot_id: format!("{:08x}", fastrand::u32(..)),
        });
        let blocking_threads = usize::try_from(state.config.database.pool_size)
            .unwrap_or(8)
            .max(2);
        if credentials == (false, 0) {
            let token = state.setup.issue();
            log::warn!(
                "first run: no passkey or password is set. Open {}auth/setup?token={token} \
                 within an hour to register a passkey or set a password (a new address is \
                 printed at every start until one exists; `starpunk password` works too)",
                state.config.site.url
            );
        }
        let app_state = state.clone();
        // Middleware and extractors below the state reach only what they need: the metrics
        // store, the site identity and the IndieAuth client.
        let metrics_data = web::Data::from(state.metrics.clone());
        let site_data = web::Data::new(state.config.site.clone());
        let indieauth_data = web::Data::from(state.indieauth.clone());
        let own_data = state.own.clone().map(web::Data::from);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(metrics_data.clone())
                .app_data(site_data.clone())
                .app_data(indieauth_data.clone())
                .configure(|cfg| {
                    if let Some(own) = own_data.clone() {
                        cfg.app_data(own);
                    }
                })
                .app_data(
                    web::FormConfig::default()
                        .limit(crate::state::FORM_LIMIT)
                        .error_handler(form_error),
                )
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    AppError::BadRequest(
                        "The query string could not be read: it is malformed or repeats a parameter."
                            .to_owned(),
                    )
                    .into()
                }))
                // A path segment that does not parse (e.g. a non-numeric id) is simply not here.
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
                .configure(routes::table)
                .wrap(from_fn(session::refresh_cookie))
                .wrap(from_fn(error_pages::render_errors))
                // Outside the error pages, so that they and every other answer get the headers.
                .wrap(from_fn(security_headers::add))
                .wrap(Compress::default())
                // Outermost, outside compression: it must see the handlers' sized bodies.
                .wrap(from_fn(monitoring::http::track))
        })
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        // Blocking work is database work (and previews): threads beyond the pool's connections
        // would only wait for one, and each costs a stack and, with glibc, a malloc arena.
        .worker_max_blocking_threads(blocking_threads)
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (pool and configuration), e.g. for tests' direct assertions.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM: then stops accepting, lets in-flight requests finish
    /// (at most [`SHUTDOWN_GRACE`]), and checkpoints the WAL into the database file.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Discover the owner's endpoints early, for the pages' discovery links.
        self.state.indieauth.refresh_in_background();
        let result = self.server.await;
        let pool = self.state.db.pool.clone();
        let checkpoint = actix_web::web::block(move || -> Result<(), String> {
            let conn = pool.get().map_err(|e| e.to_string())?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|e| e.to_string())
        })
        .await;
        match checkpoint {
            Ok(Ok(())) => log::info!("stopped; the database is checkpointed"),
            Ok(Err(e)) => log::warn!("stopped; WAL checkpoint failed: {e}"),
            Err(e) => log::warn!("stopped; WAL checkpoint did not run: {e}"),
        }
        result
    }
}

/// Turns form extraction failures into our errors: 413 for oversized bodies, 400 otherwise.
fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        UrlencodedError::Overflow { limit, .. } => AppError::PayloadTooLarge { limit },
        UrlencodedError::ContentType => AppError::UnsupportedMediaType(
            "This form accepts application/x-www-form-urlencoded bodies only.".to_owned(),
        ),
        _ => AppError::BadRequest(
            "The form could not be read: it is malformed or repeats a field.".to_owned(),
        ),
    }
    .into()
}
