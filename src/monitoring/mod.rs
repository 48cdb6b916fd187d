//! Monitoring: the metrics store and everything that feeds it or reads it.
//!
//! Design rules, each against one of StarPunk 1.1.2's release bugs:
//! - the HTTP middleware reads only a body's declared size and never the body itself;
//! - every setting comes from the one typed [`crate::config::MetricsConfig`]; aggregates are
//!   exact and never sampled, so counts cannot read zero while the site is busy.

mod breakdown;
pub mod db;
pub mod fingerprint;
pub mod health;
pub mod histogram;
pub mod http;
mod inner;
pub mod memory;
pub mod prometheus;
pub mod records;
mod render;
pub mod report;
pub mod request_id;
pub mod snapshot;
mod stats;
pub mod store;

pub use records::{DbMeta, HttpMeta, MemorySample, Metadata, OpType, Sample};
pub use render::render;
pub use snapshot::{PageViews, Snapshot, StatementSummary};
pub use store::{Admission, Aggregate, Metrics, RequestWork};
