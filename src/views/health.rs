//! `/admin/health`: the detailed health report as a page.

use maud::{Markup, html};

use super::layout::{PageContext, page as layout};
use crate::monitoring::health::Details;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The page.
pub fn page(ctx: &PageContext<'_>, d: &Details) -> Markup {
    let content = html! {
        h1 { "Health" }
        @if d.failed.is_empty() {
            p.flash.flash-ok #health-status { "All checks pass." }
        } @else {
            div.flash.flash-error #health-status {
                p { "Failing checks:" }
                ul { @for (name, why) in &d.failed { li { code { (name) } ": " (why.as_str().unwrap_or("")) } } }
            }
        }
        @if let Some(incident) = &d.storage_incident {
            div.flash.flash-error #storage-incident role="alert" {
                p { strong { "Writes are failing. " } (incident.message) }
                p {
                    (incident.failures) " failed "
                    @if incident.failures == 1 { "request" } @else { "requests" }
                    " since " (super::human_date(incident.since)) "."
                }
            }
        }
        @if let Some(incident) = &d.last_storage_incident {
            p #last-storage-incident {
                "Last storage incident: " (incident.fault) ", " (incident.failures) " failed "
                @if incident.failures == 1 { "request" } @else { "requests" }
                ", from " (super::human_date(incident.since))
                @if let Some(end) = incident.resolved_at { " to " (super::human_date(end)) }
                "."
            }
        }
        table.metrics-table {
            tbody {
                tr { th { "Version" } td { (d.version) } }
                tr { th { "Uptime" } td { (d.uptime_seconds / 3600) "h " (d.uptime_seconds / 60 % 60) "m " (d.uptime_seconds % 60) "s" } }
                tr { th { "Database latency" } td { @match d.database_latency_ms { Some(ms) => { (format!("{ms:.2} ms")) }, None => { "no answer" } } } }
                tr { th { "Pool" } td { (d.pool.in_use) " in use, " (d.pool.idle) " idle, " (d.pool.connections) " open of " (d.pool.size) } }
                tr { th { "Migrations" } td { (d.migrations_applied.len()) " applied of " (d.migrations_known) " known: " (d.migrations_applied.join(", ")) } }
                tr { th { "Disk" } td { @match &d.disk { Some(disk) => { (mib(disk.free_bytes)) " free of " (mib(disk.total_bytes)) }, None => { "unknown" } } } }
                tr { th { "Memory" } td { @match &d.memory { Some(m) => { (mib(m.rss_bytes)) " resident, peak " (mib(m.peak_rss_bytes)) ", SQLite " (mib(m.sqlite_bytes)) }, None => { "unknown" } } } }
                tr { th { "Data directory" } td { code { (d.data_path) } } }
                tr { th { "Metrics" } td { @if d.metrics_enabled { "on" } @else { "off (METRICS_ENABLED=false)" } } }
            }
        }
        p { a href="/health?detailed=true" { "JSON" } " · " a href="/admin/metrics" { "Metrics" } }
    };
    layout(ctx, "Health", content)
}
