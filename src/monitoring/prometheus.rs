//! Prometheus text exposition (format 0.0.4) of the store.

use std::fmt::Write;

use super::report::Report;
use super::store::BUCKETS_US;
use super::{OpType, Snapshot};

/// Escapes a label value (backslash, double quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text.
pub fn render(snap: &Snapshot, report: &Report) -> String {
    let mut out = String::with_capacity(4096);
    let _ = writeln!(out, "# HELP starpunk_build_info Build information.");
    let _ = writeln!(out, "# TYPE starpunk_build_info gauge");
    let _ = writeln!(
        out,
        "starpunk_build_info{{version=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION"))
    );
    let _ = writeln!(
        out,
        "# HELP starpunk_uptime_seconds Seconds since the process started."
    );
    let _ = writeln!(out, "# TYPE starpunk_uptime_seconds gauge");
    let _ = writeln!(out, "starpunk_uptime_seconds {}", report.uptime_seconds);

    let _ = writeln!(
        out,
        "# HELP starpunk_operations_total Operations recorded, by type and name."
    );
    let _ = writeln!(out, "# TYPE starpunk_operations_total counter");
    for (kind, name, agg) in &snap.operations {
        let _ = writeln!(
            out,
            "starpunk_operations_total{{type=\"{}\",name=\"{}\"}} {}",
            kind.as_str(),
            label(name),
            agg.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP starpunk_operation_errors_total Failed operations, by type and name."
    );
    let _ = writeln!(out, "# TYPE starpunk_operation_errors_total counter");
    for (kind, name, agg) in &snap.operations {
        let _ = writeln!(
            out,
            "starpunk_operation_errors_total{{type=\"{}\",name=\"{}\"}} {}",
            kind.as_str(),
            label(name),
            agg.errors
        );
    }
    let _ = writeln!(
        out,
        "# HELP starpunk_operation_duration_seconds Operation latency."
    );
    let _ = writeln!(out, "# TYPE starpunk_operation_duration_seconds histogram");
    for (kind, name, agg) in snap
        .operations
        .iter()
        .filter(|(k, _, _)| *k != OpType::Business)
    {
        let labels = format!("type=\"{}\",name=\"{}\"", kind.as_str(), label(name));
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_US.iter().enumerate() {
            cumulative += agg.buckets[i];
            let _ = writeln!(
                out,
                "starpunk_operation_duration_seconds_bucket{{{labels},le=\"{}\"}} {cumulative}",
                *bound as f64 / 1e6
            );
        }
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            agg.count
        );
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_sum{{{labels}}} {}",
            agg.total_us as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_count{{{labels}}} {}",
            agg.count
        );
    }

    let pool = &report.pool;
    let gauges = [
        (
            "starpunk_db_pool_size",
            "Configured pool size.",
            pool.gauges.size,
        ),
        (
            "starpunk_db_pool_connections",
            "Open pool connections.",
            pool.gauges.connections,
        ),
        (
            "starpunk_db_pool_idle_connections",
            "Idle pool connections.",
            pool.gauges.idle,
        ),
        (
            "starpunk_db_pool_in_use_connections",
            "Pool connections in use.",
            pool.gauges.in_use,
        ),
    ];
    for (metric, help, value) in gauges {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} gauge");
        let _ = writeln!(out, "{metric} {value}");
    }
    let counters = [
        (
            "starpunk_db_pool_checkouts_total",
            "Connections handed out.",
            pool.checkouts as f64,
        ),
        (
            "starpunk_db_pool_waits_total",
            "Checkouts that waited.",
            pool.waits as f64,
        ),
        (
            "starpunk_db_pool_wait_seconds_total",
            "Time spent waiting for a connection.",
            pool.wait_ms_total / 1000.0,
        ),
        (
            "starpunk_db_pool_timeouts_total",
            "Checkouts that timed out.",
            pool.timeouts as f64,
        ),
    ];
    for (metric, help, value) in counters {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} counter");
        let _ = writeln!(out, "{metric} {value}");
    }
    if let (Some(rss), Some(peak)) = (
        report.memory.current_rss_bytes,
        report.memory.peak_rss_bytes,
    ) {
        let _ = writeln!(
            out,
            "# HELP starpunk_memory_resident_bytes Resident memory."
        );
        let _ = writeln!(out, "# TYPE starpunk_memory_resident_bytes gauge");
        let _ = writeln!(out, "starpunk_memory_resident_bytes {rss}");
        let _ = writeln!(
            out,
            "# HELP starpunk_memory_peak_resident_bytes High-water mark of resident memory."
        );
        let _ = writeln!(out, "# TYPE starpunk_memory_peak_resident_bytes gauge");
        let _ = writeln!(out, "starpunk_memory_peak_resident_bytes {peak}");
    }
    out
}
