//! The one typed configuration of starpunk.
//!
//! Every environment variable the program understands is read here and nowhere else (the second
//! bug of StarPunk 1.1.2 was a key written under one name and read under another). Loading works
//! in two stages: [`RawConfig`] is filled by envy with every value as an optional string, then
//! [`Config::load`] turns it into typed values and collects *every* problem before failing, so a
//! bad deployment is told all that is wrong at once.
//!
//! The typed settings live in `settings.rs`, the raw values and their parser in `parse.rs`, the
//! problems it reports in `problems.rs`, reading the environment in `load.rs`.

mod load;
mod parse;
mod problems;
mod secret_file;
mod settings;

pub use load::{KNOWN_VARIABLES, Loaded, unknown_variable_warnings};
pub use parse::RawConfig;
pub use problems::{ConfigErrors, ConfigProblem};
pub use secret_file::SESSION_SECRET_FILE;
pub use settings::{
    Config, DatabaseConfig, FeedConfig, MetricsConfig, SamplingRates, Secret, SiteConfig,
    is_local_host,
};
