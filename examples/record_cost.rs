//! What recording costs: nanoseconds per request and per SQL statement recorded into the metrics
//! store, with every record sampled (rate 1.0, the default) and with none (rate 0), and the
//! time of one snapshot (what a dashboard refresh reads).
//!
//! Run: `cargo run --release --example record_cost` (figures in BENCHMARKS.md).

use std::sync::Arc;
use std::time::{Duration, Instant};

use starpunk::config::{MetricsConfig, SamplingRates};
use starpunk::monitoring::fingerprint::fingerprint;
use starpunk::monitoring::{HttpMeta, Metadata, Metrics, RequestWork};

const RECORDS: u64 = 2_000_000;

fn store(rate: f64) -> Metrics {
    Metrics::new(MetricsConfig {
        enabled: true,
        sampling: SamplingRates {
            database: rate,
            http: rate,
            render: rate,
        },
        buffer_size: 1000,
        slow_query_threshold: Duration::from_secs(1),
        memory_interval: None,
        prometheus_token: None,
    })
}

fn per_record(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / RECORDS as f64
}

fn main() {
    let routes = [
        "GET /",
        "GET /notes/{slug}",
        "GET /static/{path:.*}",
        "GET /feed.xml",
    ];
    let statements = [
        "SELECT id, slug FROM notes WHERE slug = ?1",
        "SELECT version FROM site_version WHERE id = 1",
    ]
    .map(|sql| Arc::new(fingerprint(sql)));
    for rate in [1.0, 0.0] {
        let metrics = store(rate);
        let start = Instant::now();
        for i in 0..RECORDS {
            let route = routes[(i % 4) as usize];
            metrics.record_request(
                route,
                Duration::from_micros(50 + i % 500),
                if i % 50 == 0 { 404 } else { 200 },
                RequestWork {
                    statements: 2,
                    database_us: 20,
                },
                || {
                    Metadata::Http(HttpMeta {
                        request_id: format!("{i:016x}"),
                        method: "GET".to_owned(),
                        route: route.to_owned(),
                        status: 200,
                        request_size: None,
                        response_size: Some(5_000),
                        statements: 2,
                        database_ms: 0.02,
                    })
                },
            );
        }
        let request = per_record(start);
        let start = Instant::now();
        for i in 0..RECORDS {
            metrics.record_statement(
                &statements[(i % 2) as usize],
                Duration::from_micros(5 + i % 50),
                1,
                || Metadata::Fields(serde_json::Map::new()),
            );
        }
        let statement = per_record(start);
        let start = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(metrics.snapshot());
        }
        println!(
            "sampling rate {rate}: {request:.0} ns per request, {statement:.0} ns per statement, \
             snapshot {:.2} ms, histograms {} bytes",
            start.elapsed().as_secs_f64() * 10.0,
            metrics.snapshot().histogram_bytes
        );
    }
}
