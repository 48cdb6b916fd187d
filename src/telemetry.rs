//! Logging: env_logger set up once, every line tagged with the current request id.
//!
//! The access line itself is written by [`crate::monitoring::http::track`]: method, the path
//! *without* its query string (tokens may travel there) and the status; never a cookie or
//! header value.

use std::io::Write;

use crate::monitoring::request_id;

/// Starts logging to stderr at `level`: time, level, request id (or `-`), module, message.
pub fn init_logging(level: log::LevelFilter) {
    let _ = env_logger::Builder::new()
        .filter_level(level)
        // actix-http logs every malformed request from a client at ERROR; those are the
        // client's problem and would let anyone flood the log.
        .filter_module("actix_http::h1::dispatcher", log::LevelFilter::Off)
        .format(|buf, record| {
            writeln!(
                buf,
                "{} {:<5} [{}] {} {}",
                buf.timestamp_millis(),
                record.level(),
                request_id::current().as_deref().unwrap_or("-"),
                record.target(),
                record.args()
            )
        })
        .try_init();
}
