//! Monitoring: the metrics store and everything that feeds it or reads it.
//!
//! Design rules, each against one of StarPunk 1.1.2's release bugs:
//! - the HTTP middleware reads only a body's declared size and never the body itself;
//! - every setting comes from the one typed [`crate::config::MetricsConfig`]; aggregates are
//!   exact and never sampled, so counts cannot read zero while the site is busy.

pub mod db;
pub mod health;
pub mod http;
pub mod memory;
pub mod prometheus;
pub mod report;
pub mod request_id;
pub mod store;

pub use store::{
    Admission, Aggregate, DbMeta, HttpMeta, MemorySample, Metadata, Metrics, OpType, Sample,
    Snapshot,
};

use std::time::Instant;

use maud::Markup;

/// Renders a page and records the render time under `render`/`name`.
pub fn render(metrics: &Metrics, name: &str, page: impl FnOnce() -> Markup) -> String {
    if !metrics.enabled() {
        return page().into_string();
    }
    let start = Instant::now();
    let html = page().into_string();
    metrics.record(OpType::Render, name, start.elapsed(), false, false, || {
        let mut meta = serde_json::Map::new();
        meta.insert("bytes".into(), html.len().into());
        Metadata::Fields(meta)
    });
    html
}
