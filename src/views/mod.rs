//! HTML pages, written with maud. [`layout::page`] wraps every page; one file per page family.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod error;
pub mod health;
pub mod layout;
pub mod metrics;
pub mod notes;
pub mod search;
pub mod signin;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Unix seconds as RFC 3339 in UTC, for `datetime` attributes.
pub fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Unix seconds as a short human date, e.g. `23 Nov 2026, 09:05 UTC`.
pub fn human_date(ts: i64) -> String {
    let format =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
