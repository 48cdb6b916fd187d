//! The `starpunk` binary: load configuration, start logging, serve.

use std::process::ExitCode;

use starpunk::config::Config;
use starpunk::startup::Application;
use starpunk::telemetry;

fn main() -> ExitCode {
    let loaded = match Config::from_env() {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "starpunk did not start: fix the variables above (see README.md, Configuration)."
            );
            return ExitCode::from(2);
        }
    };
    telemetry::init_logging(loaded.config.log_level);
    for warning in &loaded.warnings {
        log::warn!("{warning}");
    }
    let site = loaded.config.site.url.clone();
    let app = match Application::build(loaded.config) {
        Ok(app) => app,
        Err(e) => {
            log::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    log::info!(
        "starpunk {} serving {site} on port {}",
        env!("CARGO_PKG_VERSION"),
        app.port()
    );
    let system = actix_web::rt::System::new();
    match system.block_on(app.run_until_stopped()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("server stopped with an error: {e}");
            ExitCode::FAILURE
        }
    }
}
