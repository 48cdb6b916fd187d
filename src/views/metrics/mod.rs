//! `/admin/metrics`: the performance dashboard, server-rendered, with SVG charts that need no
//! script. Readable with JavaScript off; with it on, `assets/js/metrics.js` reloads the
//! `#panels` element every 10 seconds (and offers a pause button).
//!
//! `page` lays the page out; `timeline` and `chart` draw the charts over time; `tables` and
//! `samples` list routes, statements, pages and sampled detail; `query` holds the reader's
//! choices (window, sample type, request); `units` writes the numbers.

mod chart;
mod page;
mod query;
mod samples;
mod tables;
mod timeline;
mod units;

pub use page::dashboard;
pub use query::{Options, Window, parse_type};
