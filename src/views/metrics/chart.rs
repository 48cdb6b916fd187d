//! Server-rendered SVG charts over time: axes, tick labels, units, grid lines, a legend and a
//! hover `<title>` per slot, with "No data yet" instead of a line stuck to an edge.
//!
//! The SVG has no `viewBox`, so its units are CSS pixels and its text keeps its CSS size on any
//! screen: horizontal positions are percentages of the chart's width, vertical ones pixels of its
//! fixed height. The y-axis labels sit left of the plot in a margin the stylesheet reserves
//! (`svg.chart` is drawn with `overflow: visible`).

use maud::{Markup, html};

use super::units::hhmm;

/// Height of the plot area, px.
const PLOT_H: f64 = 140.0;
/// Room above the plot for the unit.
const TOP: f64 = 20.0;
/// Room below the plot for the time labels.
const BOTTOM: f64 = 24.0;
/// The whole SVG's height, px.
const HEIGHT: f64 = TOP + PLOT_H + BOTTOM;

/// The time axis of a chart: `slots` equal slots from `start` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    /// Start of the first slot, Unix seconds.
    pub start: i64,
    /// Length of a slot, seconds.
    pub slot_seconds: i64,
    /// Number of slots.
    pub slots: usize,
    /// Distance between time labels, seconds (labels fall on multiples of it).
    pub tick_seconds: i64,
}

impl TimeAxis {
    /// End of the last slot, Unix seconds.
    pub fn end(&self) -> i64 {
        self.start + self.slot_seconds * self.slots as i64
    }

    /// Start of slot `i`, Unix seconds.
    pub fn slot_start(&self, i: usize) -> i64 {
        self.start + self.slot_seconds * i as i64
    }

    /// Where time `t` falls, percent of the width.
    fn x(&self, t: i64) -> f64 {
        (t - self.start) as f64 / (self.end() - self.start).max(1) as f64 * 100.0
    }

    /// Slot `i` as people read it: `12:05 UTC` or `12:05–12:10 UTC`.
    fn slot_label(&self, i: usize) -> String {
        let start = self.slot_start(i);
        if self.slot_seconds <= 60 {
            format!("{} UTC", hhmm(start))
        } else {
            format!("{}–{} UTC", hhmm(start), hhmm(start + self.slot_seconds))
        }
    }

    /// The label times: multiples of `tick_seconds` within the axis.
    fn ticks(&self) -> impl Iterator<Item = i64> + '_ {
        let step = self.tick_seconds.max(60);
        let first = (self.start + step - 1).div_euclid(step) * step;
        (0..)
            .map(move |k| first + k * step)
            .take_while(|t| *t <= self.end())
    }
}

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bars stacked in series order (counts and totals per slot).
    Bars,
    /// One line per series (percentiles, shares, levels).
    Lines,
}

/// One series: a value per slot, `None` where there is no data.
#[derive(Debug, Clone)]
pub struct Series {
    /// What the legend and hover titles call it.
    pub label: &'static str,
    /// Its colour class (`s-ok`, `s-warn`, `s-bad`, `s-main` …).
    pub class: &'static str,
    /// One value per slot of the axis.
    pub values: Vec<Option<f64>>,
}

/// A chart over a time axis.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// What it shows, for the accessible name: "Requests per minute".
    pub name: &'a str,
    /// The unit of the values: `req/min`, `ms`, `%`, `MiB`.
    pub unit: &'a str,
    /// Bars or lines.
    pub style: Style,
    /// The time axis.
    pub axis: TimeAxis,
    /// The series, bottom (or first) first.
    pub series: Vec<Series>,
    /// What a reader needs to know to read it right (slot size, how slots are summarised).
    pub note: String,
    /// What it says over a plot whose values are all zero: `No waits`.
    pub zero: &'a str,
}

/// The scale of a y axis: a 1-2-5 step and the top (a multiple of it) for values up to `max`.
pub fn nice_scale(max: f64) -> (f64, f64) {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let top = ((max / step) * (1.0 - 1e-9)).ceil().max(1.0) * step;
    (step, top)
}

/// A tick value with as many decimals as its step needs.
fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{value:.decimals$}")
}

/// A value for hover titles and the accessible name: about three significant digits.
pub fn value_label(value: f64) -> String {
    if value == 0.0 || value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else if value >= 0.01 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn pct(x: f64) -> String {
    format!("{x:.3}%")
}

fn px(y: f64) -> String {
    format!("{y:.1}")
}

impl Chart<'_> {
    /// The largest value drawn: the tallest stack, or the highest point.
    fn max(&self) -> Option<f64> {
        let slots = 0..self.axis.slots;
        let at = |i: usize| {
            self.series
                .iter()
                .filter_map(move |s| s.values.get(i).copied()?)
        };
        let per_slot: Vec<f64> = match self.style {
            Style::Bars => slots
                .filter(|i| at(*i).next().is_some())
                .map(|i| at(i).sum())
                .collect(),
            Style::Lines => slots.flat_map(at).collect(),
        };
        per_slot.into_iter().reduce(f64::max)
    }

    /// The hover title of slot `i`, or `None` when no series has data there.
    fn slot_title(&self, i: usize) -> Option<String> {
        let values: Vec<String> = self
            .series
            .iter()
            .filter_map(|s| {
                let v = s.values.get(i).copied()??;
                Some(format!("{}: {} {}", s.label, value_label(v), self.unit))
            })
            .collect();
        (!values.is_empty()).then(|| format!("{}\n{}", self.axis.slot_label(i), values.join("\n")))
    }

    /// The accessible name: what, over which window, and the highest value (or no data).
    fn aria_label(&self, max: Option<f64>) -> String {
        match max {
            Some(max) => format!(
                "{} ({}); highest {} {}",
                self.name,
                self.note,
                value_label(max),
                self.unit
            ),
            None => format!("{} ({}): no data yet", self.name, self.note),
        }
    }
}

/// The chart as an SVG figure with its legend.
pub fn render(chart: &Chart<'_>) -> Markup {
    let max = chart.max();
    let (step, top) = nice_scale(max.unwrap_or(0.0));
    let y = |v: f64| TOP + PLOT_H - (v / top).clamp(0.0, 1.0) * PLOT_H;
    let base = TOP + PLOT_H;
    let ticks: Vec<f64> = (0..=(top / step).round() as usize)
        .map(|k| k as f64 * step)
        .collect();
    html! {
        figure.chart-figure {
            svg.chart role="img" aria-label=(chart.aria_label(max)) height=(HEIGHT) {
                g.grid {
                    @for t in ticks.iter().skip(1) {
                        line x1="0" x2="100%" y1=(px(y(*t))) y2=(px(y(*t))) {}
                    }
                }
                g.y-axis {
                    text.unit x="0" y="12" { (chart.unit) }
                    @if max.is_some() {
                        @for t in &ticks {
                            text x="-6" y=(px(y(*t))) dy="0.35em" text-anchor="end" { (tick_label(*t, step)) }
                        }
                    }
                }
                (x_axis(&chart.axis, base))
                @if max.is_none() {
                    text.no-data x="50%" y=(px(TOP + PLOT_H / 2.0)) text-anchor="middle" { "No data yet" }
                } @else {
                    @if max == Some(0.0) {
                        text.zero-note x="50%" y=(px(TOP + PLOT_H / 2.0)) text-anchor="middle" { (chart.zero) }
                    }
                    @match chart.style {
                        Style::Bars => (bars(chart, &y)),
                        Style::Lines => (lines(chart, &y)),
                    }
                }
            }
            (legend(chart))
        }
    }
}

/// The x axis: the axis lines, tick marks and `HH:MM` labels.
fn x_axis(axis: &TimeAxis, base: f64) -> Markup {
    html! {
        g.x-axis {
            line.axis x1="0" x2="100%" y1=(px(base)) y2=(px(base)) {}
            line.axis x1="0" x2="0" y1=(px(TOP)) y2=(px(base)) {}
            @for t in axis.ticks() {
                @let x = axis.x(t);
                @let anchor = if x < 6.0 { "start" } else if x > 94.0 { "end" } else { "middle" };
                line.tick x1=(pct(x)) x2=(pct(x)) y1=(px(base)) y2=(px(base + 4.0)) {}
                text x=(pct(x)) y=(px(base + 17.0)) text-anchor=(anchor) { (hhmm(t)) }
            }
        }
    }
}

/// Stacked bars, one group per slot with data, each with its hover title.
fn bars(chart: &Chart<'_>, y: &dyn Fn(f64) -> f64) -> Markup {
    let width = 100.0 / chart.axis.slots.max(1) as f64;
    let slots = (0..chart.axis.slots).filter_map(|i| {
        let title = chart.slot_title(i)?;
        let mut below = 0.0;
        let stack: Vec<(&'static str, f64, f64)> = chart
            .series
            .iter()
            .filter_map(|s| {
                let v = s.values.get(i).copied().flatten().filter(|v| *v > 0.0)?;
                let (bottom, top) = (y(below), y(below + v));
                below += v;
                Some((s.class, top, (bottom - top).max(1.0)))
            })
            .collect();
        Some((i as f64 * width, title, stack))
    });
    html! {
        @for (x, title, stack) in slots {
            g.slot {
                title { (title) }
                rect.hit x=(pct(x)) width=(pct(width)) y=(px(TOP)) height=(px(PLOT_H)) {}
                @for (class, top, height) in stack {
                    rect.bar.(class) x=(pct(x + width * 0.12)) width=(pct(width * 0.76))
                        y=(px(top)) height=(px(height)) {}
                }
            }
        }
    }
}

/// One line per series (segments between neighbouring slots with data, a dot where a point has
/// no neighbour), then a hover column per slot with data.
fn lines(chart: &Chart<'_>, y: &dyn Fn(f64) -> f64) -> Markup {
    let n = chart.axis.slots;
    let width = 100.0 / n.max(1) as f64;
    let cx = |i: usize| pct((i as f64 + 0.5) * width);
    // The first series is drawn last, on top: a dashed p95 shows over an equal p99.
    let drawn = chart.series.iter().rev().map(|s| {
        let v = |i: usize| s.values.get(i).copied().flatten();
        let segments: Vec<(usize, f64, f64)> = (0..n)
            .filter_map(|i| Some((i, y(v(i)?), y(v(i + 1)?))))
            .collect();
        let dots: Vec<(usize, f64)> = (0..n)
            .filter(|i| v(i + 1).is_none() && i.checked_sub(1).and_then(v).is_none())
            .filter_map(|i| Some((i, y(v(i)?))))
            .collect();
        (s.class, segments, dots)
    });
    html! {
        @for (class, segments, dots) in drawn {
            g.series.(class) {
                @for (i, y1, y2) in segments {
                    line x1=(cx(i)) y1=(px(y1)) x2=(cx(i + 1)) y2=(px(y2)) {}
                }
                @for (i, cy) in dots {
                    circle cx=(cx(i)) cy=(px(cy)) r="3" {}
                }
            }
        }
        @for i in 0..n {
            @if let Some(title) = chart.slot_title(i) {
                g.slot {
                    title { (title) }
                    rect.hit x=(pct(i as f64 * width)) width=(pct(width)) y=(px(TOP)) height=(px(PLOT_H)) {}
                }
            }
        }
    }
}

/// The legend: a swatch and name per series, then the note.
fn legend(chart: &Chart<'_>) -> Markup {
    html! {
        figcaption.legend {
            @for s in &chart.series {
                span.key { span.swatch.(s.class) {} (s.label) }
                " "
            }
            span.chart-note { (chart.note) }
        }
    }
}

/// One minute of a sparkline.
#[derive(Debug, Clone)]
pub struct SparkMinute {
    /// Requests.
    pub requests: u64,
    /// 5xx answers.
    pub errors: u64,
    /// The slowest request, ms.
    pub slowest_ms: f64,
    /// What hovering the minute shows.
    pub title: String,
}

/// An hour in 120 × 24: a bar per minute for requests (5xx in red over them) and a line for the
/// slowest request of each minute, scaled to its own peak, so a route's slowness shows since
/// when. Hovering a minute shows its `title`.
pub fn sparkline(points: &[SparkMinute], label: &str) -> Markup {
    let max = points.iter().map(|p| p.requests).max().unwrap_or(0).max(1) as f64;
    let h = |n: u64| (n as f64 / max * 22.0).max(1.0);
    let slot = 120.0 / points.len().max(1) as f64;
    let slowest = points.iter().map(|p| p.slowest_ms).fold(0.0_f64, f64::max);
    let line = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.requests > 0 && slowest > 0.0)
        .map(|(i, p)| {
            format!(
                "{},{}",
                px(i as f64 * slot + slot / 2.0),
                px(23.0 - p.slowest_ms / slowest * 21.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.sparkline viewBox="0 0 120 24" preserveAspectRatio="none" role="img" aria-label=(label) {
            line.axis x1="0" x2="120" y1="23.5" y2="23.5" {}
            @for (i, p) in points.iter().enumerate() {
                @let x = i as f64 * slot;
                g {
                    title { (p.title) }
                    rect.hit x=(px(x)) width=(px(slot)) y="0" height="24" {}
                    @if p.requests > 0 {
                        rect.s-main x=(px(x)) width="1.6" y=(px(24.0 - h(p.requests))) height=(px(h(p.requests))) {}
                    }
                    @if p.errors > 0 {
                        rect.s-bad x=(px(x)) width="1.6" y=(px(24.0 - h(p.errors))) height=(px(h(p.errors))) {}
                    }
                }
            }
            @if !line.is_empty() {
                polyline.slowest points=(line) vector-effect="non-scaling-stroke" {}
            }
        }
    }
}

/// A share 0–1 as a small horizontal bar (decoration beside the number).
pub fn share_bar(fraction: f64) -> Markup {
    let width = fraction.clamp(0.0, 1.0) * 100.0;
    html! {
        svg.minibar viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" {
            rect.track x="0" y="0" width="100" height="8" {}
            rect x="0" y="0" width=(px(width)) height="8" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_use_one_two_five_steps_above_the_highest_value() {
        assert_eq!(nice_scale(42.0), (10.0, 50.0));
        assert_eq!(nice_scale(51.0), (20.0, 60.0));
        assert_eq!(nice_scale(100.0), (20.0, 100.0));
        assert_eq!(nice_scale(0.0), (0.2, 1.0));
        assert_eq!(nice_scale(3.7), (1.0, 4.0));
        let (step, top) = nice_scale(0.042);
        assert!((step - 0.01).abs() < 1e-12 && (top - 0.05).abs() < 1e-12);
        assert_eq!(tick_label(0.6000000001, 0.2), "0.6");
        assert_eq!(tick_label(40.0, 10.0), "40");
    }

    #[test]
    fn time_labels_fall_on_round_times_inside_the_axis() {
        let axis = TimeAxis {
            start: 12 * 3600 + 7 * 60,
            slot_seconds: 60,
            slots: 60,
            tick_seconds: 15 * 60,
        };
        let ticks: Vec<String> = axis.ticks().map(hhmm).collect();
        assert_eq!(ticks, ["12:15", "12:30", "12:45", "13:00"]);
        assert_eq!(axis.slot_label(0), "12:07 UTC");
        let slots = TimeAxis {
            slot_seconds: 300,
            ..axis
        };
        assert_eq!(slots.slot_label(1), "12:12–12:17 UTC");
    }
}
