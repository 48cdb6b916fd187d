//! Timing page renders.

use std::time::Instant;

use maud::Markup;

use super::records::{Metadata, OpType};
use super::store::Metrics;

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
