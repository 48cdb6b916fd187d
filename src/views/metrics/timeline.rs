//! The charts over time: the report's per-minute totals and memory readings grouped into the
//! window's slots, drawn as request rate, latency, error rate, memory, pool wait and database
//! time.
//!
//! A minute absent from the report had no operation: its counts are zero and its latency
//! unknown. Slots before the first recorded minute (before the process started, or older than
//! the store keeps) have no data at all and stay empty. Counts become rates per minute of the
//! slot's covered minutes. A multi-minute slot's latency is the slowest of its minutes'
//! percentiles (the store keeps percentiles per minute, not the requests), and the legend says
//! so.

use maud::{Markup, html};

use super::chart::{self, Chart, Series, Style, TimeAxis};
use super::query::{Options, Window};
use super::units::mib;
use crate::monitoring::report::Report;

/// Everything recorded in one slot.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Minutes of the slot with data (0: before the first recorded minute).
    covered: f64,
    requests: f64,
    client_errors: f64,
    server_errors: f64,
    database_ms: f64,
    pool_wait_ms: f64,
    /// The slowest minute's percentiles (minutes with requests only).
    latency: Option<[f64; 3]>,
    /// The highest resident and high-water memory readings, bytes.
    memory: Option<(u64, u64)>,
}

/// The axis of `window` ending with the minute of `now_ms`; slots align to their length.
fn axis(window: Window, now_ms: i64) -> TimeAxis {
    let slot_seconds = window.slot_minutes() * 60;
    let now_minute = now_ms.div_euclid(60_000) * 60;
    let last = now_minute.div_euclid(slot_seconds) * slot_seconds;
    TimeAxis {
        start: last - slot_seconds * (window.slots() as i64 - 1),
        slot_seconds,
        slots: window.slots(),
        tick_seconds: window.tick_minutes() * 60,
    }
}

/// The report's minutes and memory readings, slot by slot.
fn slots(report: &Report, axis: &TimeAxis) -> Vec<Slot> {
    let now_minute = report.generated_at_ms.div_euclid(60_000) * 60;
    let started = (now_minute - report.uptime_seconds as i64).div_euclid(60) * 60;
    let data_start = report.per_minute.first().map(|m| m.minute.min(started));
    let mut slots: Vec<Slot> = (0..axis.slots)
        .map(|i| {
            let (start, end) = (axis.slot_start(i), axis.slot_start(i + 1));
            let covered = data_start.map_or(0, |first| {
                ((end.min(now_minute + 60) - start.max(first)) / 60).max(0)
            });
            Slot {
                covered: covered as f64,
                ..Slot::default()
            }
        })
        .collect();
    let index = |t: i64| {
        let i = (t - axis.start).div_euclid(axis.slot_seconds);
        usize::try_from(i).ok().filter(|i| *i < axis.slots)
    };
    for m in &report.per_minute {
        let Some(slot) = index(m.minute).map(|i| &mut slots[i]) else {
            continue;
        };
        slot.requests += m.http as f64;
        slot.client_errors += m.http_client_errors as f64;
        slot.server_errors += m.http_server_errors as f64;
        slot.database_ms += m.database_ms;
        slot.pool_wait_ms += m.pool_wait_ms;
        if m.http > 0 {
            let minute = [m.http_p50_ms, m.http_p95_ms, m.http_p99_ms];
            let worst = slot.latency.unwrap_or_default();
            slot.latency = Some(std::array::from_fn(|k| worst[k].max(minute[k])));
        }
    }
    for reading in &report.memory.samples {
        if let Some(slot) = index(reading.at).map(|i| &mut slots[i]) {
            let (rss, hwm) = slot.memory.unwrap_or_default();
            slot.memory = Some((rss.max(reading.rss_bytes), hwm.max(reading.hwm_bytes)));
        }
    }
    slots
}

/// One value per slot: `f` of the slots with data.
fn per_slot(slots: &[Slot], f: impl Fn(&Slot) -> Option<f64>) -> Vec<Option<f64>> {
    slots
        .iter()
        .map(|s| if s.covered > 0.0 { f(s) } else { None })
        .collect()
}

/// A count per minute of the slot's covered minutes.
fn per_minute(slots: &[Slot], count: impl Fn(&Slot) -> f64) -> Vec<Option<f64>> {
    per_slot(slots, |s| Some(count(s) / s.covered))
}

/// A share of the slot's requests, percent (no data without requests).
fn share(slots: &[Slot], part: impl Fn(&Slot) -> f64) -> Vec<Option<f64>> {
    per_slot(slots, |s| {
        (s.requests > 0.0).then(|| part(s) / s.requests * 100.0)
    })
}

/// The six charts of `options.window`, one panel each.
pub fn charts(report: &Report, options: &Options) -> Markup {
    let window = options.window;
    let axis = axis(window, report.generated_at_ms);
    let slots = slots(report, &axis);
    let slot = match window.slot_minutes() {
        1 => "1-minute slots".to_owned(),
        n => format!("{n}-minute slots"),
    };
    let span = format!("{slot} over {}, times in UTC", window.phrase());
    let rates = if window.slot_minutes() > 1 {
        format!("{span}; a slot's count ÷ its minutes")
    } else {
        span.clone()
    };
    let latency_note = if window.slot_minutes() > 1 {
        format!("{span}; each point is the slowest minute's percentile in its slot")
    } else {
        format!("{span}; percentiles of each minute's requests")
    };
    let memory_note = if report.memory.samples.is_empty() {
        format!("{span}; no readings: METRICS_MEMORY_INTERVAL=0, or not on Linux")
    } else {
        format!("{span}; the highest reading in each slot")
    };
    let series = |label, class, values| Series {
        label,
        class,
        values,
    };
    let latency = |k: usize| per_slot(&slots, |s| s.latency.map(|l| l[k]));
    let memory = |pick: fn((u64, u64)) -> u64| {
        slots
            .iter()
            .map(|s| s.memory.map(|m| mib(pick(m))))
            .collect()
    };
    let all = [
        (
            "chart-requests",
            "Requests",
            Chart {
                name: "Requests per minute",
                unit: "req/min",
                style: Style::Bars,
                axis,
                series: vec![
                    series(
                        "2xx–3xx",
                        "s-main",
                        per_minute(&slots, |s| s.requests - s.client_errors - s.server_errors),
                    ),
                    series("4xx", "s-warn", per_minute(&slots, |s| s.client_errors)),
                    series("5xx", "s-bad", per_minute(&slots, |s| s.server_errors)),
                ],
                note: rates.clone(),
                zero: "No requests",
            },
        ),
        (
            "chart-latency",
            "Latency",
            Chart {
                name: "HTTP latency percentiles",
                unit: "ms",
                style: Style::Lines,
                axis,
                series: vec![
                    series("p50", "s-main", latency(0)),
                    series("p95", "s-warn", latency(1)),
                    series("p99", "s-bad", latency(2)),
                ],
                note: latency_note,
                zero: "No requests",
            },
        ),
        (
            "chart-errors",
            "Error rate",
            Chart {
                name: "Share of requests answered with an error",
                unit: "%",
                style: Style::Lines,
                axis,
                series: vec![
                    series("4xx", "s-warn", share(&slots, |s| s.client_errors)),
                    series("5xx", "s-bad", share(&slots, |s| s.server_errors)),
                ],
                note: span.clone(),
                zero: "No errors",
            },
        ),
        (
            "chart-memory",
            "Memory",
            Chart {
                name: "Resident memory",
                unit: "MiB",
                style: Style::Lines,
                axis,
                series: vec![
                    series("resident", "s-main", memory(|m| m.0)),
                    series("high-water", "s-muted", memory(|m| m.1)),
                ],
                note: memory_note,
                zero: "No readings",
            },
        ),
        (
            "chart-pool",
            "Connection pool wait",
            Chart {
                name: "Time spent waiting for a database connection",
                unit: "ms/min",
                style: Style::Bars,
                axis,
                series: vec![series(
                    "waiting",
                    "s-warn",
                    per_minute(&slots, |s| s.pool_wait_ms),
                )],
                note: rates.clone(),
                zero: "No waits",
            },
        ),
        (
            "chart-database",
            "Database time",
            Chart {
                name: "Time spent in SQL statements",
                unit: "ms/min",
                style: Style::Bars,
                axis,
                series: vec![series(
                    "in SQL",
                    "s-main",
                    per_minute(&slots, |s| s.database_ms),
                )],
                note: rates,
                zero: "No time in SQL",
            },
        ),
    ];
    html! {
        nav.panel.panel-wide.window-picker aria-label="Chart window" {
            span.picker-label { "Charts over" }
            @for w in Window::ALL {
                @if w == window {
                    a href=(options.with_window(w).href()) aria-current="page" { (w.label()) }
                } @else {
                    a href=(options.with_window(w).href()) { (w.label()) }
                }
            }
        }
        @for (id, heading, chart) in &all {
            section.panel.chart-panel id=(id) {
                h2 { (heading) }
                (chart::render(chart))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_end_with_the_current_minute_and_align_to_their_length() {
        let now_ms = (10 * 3600 + 7 * 60 + 30) * 1000;
        let hour = axis(Window::Hour, now_ms);
        assert_eq!(hour.slot_start(59), 10 * 3600 + 7 * 60);
        assert_eq!(hour.end() - hour.start, 3600);
        let day = axis(Window::Day, now_ms);
        assert_eq!(day.slot_start(71), 10 * 3600);
        assert_eq!(day.end() - day.start, 24 * 3600);
        let six = axis(Window::SixHours, now_ms);
        assert_eq!(six.slot_start(71), 10 * 3600 + 5 * 60);
    }
}
