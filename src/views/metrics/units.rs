//! Numbers as the dashboard writes them: milliseconds, bytes, shares, durations and clock times,
//! short enough for a table cell and never split across lines.

/// Milliseconds without a unit (the column header carries it): `0.25`, `2.5`, `25.3`, `250`.
pub fn ms(ms: f64) -> String {
    if ms >= 100.0 || ms == 0.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else if ms >= 0.1 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

/// Milliseconds with their unit, for prose and hover titles: `2.5 ms`.
pub fn ms_unit(value: f64) -> String {
    format!("{} ms", ms(value))
}

/// Bytes in binary units: `512 B`, `12.0 KiB`, `43.2 MiB`, `1.25 GiB`.
pub fn bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

/// Bytes, or a dash when unknown.
pub fn maybe_bytes(value: Option<u64>) -> String {
    value.map_or_else(|| "–".to_owned(), bytes)
}

/// Bytes as MiB, the memory chart's unit.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A share 0–1 as a percentage: `0 %`, `0.4 %`, `12 %`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

/// A count of seconds as the largest two units: `45 s`, `12 min 5 s`, `3 h 20 min`, `2 d 4 h`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

/// A rate with at most one decimal, or two below 1: `0.05`, `3.2`, `120`.
pub fn rate(value: f64) -> String {
    if value == 0.0 {
        "0".to_owned()
    } else if value < 1.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// A count and its noun: `1 row`, `3 rows`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Unix seconds as `HH:MM` (UTC).
pub fn hhmm(unix: i64) -> String {
    let minutes = unix.div_euclid(60);
    format!("{:02}:{:02}", minutes.div_euclid(60) % 24, minutes % 60)
}

/// Unix milliseconds as `HH:MM:SS` (UTC).
pub fn hhmmss(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000);
    format!("{}:{:02}", hhmm(seconds), seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_keep_about_three_significant_digits() {
        assert_eq!(ms(0.0), "0");
        assert_eq!(ms(0.0421), "0.042");
        assert_eq!(ms(0.25), "0.25");
        assert_eq!(ms(2.5), "2.50");
        assert_eq!(ms(25.34), "25.3");
        assert_eq!(ms(250.4), "250");
        assert_eq!(ms_unit(1.5), "1.50 ms");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(12 * 1024), "12.0 KiB");
        assert_eq!(bytes(43 * 1024 * 1024 + 200 * 1024), "43.2 MiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024 / 4), "1.25 GiB");
        assert_eq!(maybe_bytes(None), "–");
    }

    #[test]
    fn durations_and_times_read_as_people_write_them() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(12 * 60 + 5), "12 min 5 s");
        assert_eq!(duration(3 * 3600 + 20 * 60 + 7), "3 h 20 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3600), "2 d 4 h");
        assert_eq!(hhmm(1_700_000_000), "22:13");
        assert_eq!(hhmmss(1_700_000_000_000), "22:13:20");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.004), "0.4 %");
        assert_eq!(percent(0.123), "12 %");
        assert_eq!(count(1, "row", "rows"), "1 row");
        assert_eq!(count(0, "row", "rows"), "0 rows");
    }
}
