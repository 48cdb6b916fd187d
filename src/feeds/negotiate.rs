//! Picks a feed format from an `Accept` header (RFC 9110 §12.5.1).
//!
//! Each offered media type takes the quality of the most specific range that matches it
//! (`type/subtype` over `type/*` over `*/*`), so `*/*, application/rss+xml;q=0` still refuses
//! RSS. The best quality wins; ties go to the more specific match, then to the server's order
//! RSS, Atom, JSON. Ranges that cannot be parsed are skipped and a malformed `q` counts as 1; a
//! header with no usable range at all is treated as absent.

use std::fmt;

use super::Format;

/// The media types offered, in the server's order of preference (for the 406 body).
pub const AVAILABLE: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "text/xml",
];

/// Which format each entry of [`AVAILABLE`] yields.
const FORMATS: [Format; 6] = [
    Format::Rss,
    Format::Atom,
    Format::Json,
    Format::Json,
    Format::Rss,
    Format::Rss,
];

/// No offered feed type is acceptable to the client (answer 406 listing [`AVAILABLE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAcceptable;

impl fmt::Display for NotAcceptable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no acceptable feed type; available: {}",
            AVAILABLE.join(", ")
        )
    }
}

impl std::error::Error for NotAcceptable {}

/// One parsed media range: lower-cased type and subtype, quality in thousandths.
struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    quality: u16,
}

/// The feed format to send for this `Accept` header; no header (or an empty one) means RSS.
pub fn choose(accept: Option<&str>) -> Result<Format, NotAcceptable> {
    choose_type(accept).map(|(format, _)| format)
}

/// The `Content-Type` to send with each entry of [`AVAILABLE`].
const CONTENT_TYPES: [&str; 6] = [
    "application/rss+xml; charset=utf-8",
    "application/atom+xml; charset=utf-8",
    "application/feed+json; charset=utf-8",
    "application/json; charset=utf-8",
    "application/xml; charset=utf-8",
    "text/xml; charset=utf-8",
];

/// The format and the exact `Content-Type` to send: a feed chosen through a generic alias
/// (`application/json`, `application/xml`, `text/xml`) is labelled with that alias, so the
/// answer always carries a type the client accepted. On equal preference a feed's own type
/// wins over an alias.
pub fn choose_type(accept: Option<&str>) -> Result<(Format, &'static str), NotAcceptable> {
    let lowered = accept.unwrap_or_default().to_ascii_lowercase();
    let ranges: Vec<Range> = lowered.split(',').filter_map(parse_range).collect();
    if ranges.is_empty() {
        return Ok((Format::Rss, CONTENT_TYPES[0]));
    }
    AVAILABLE
        .iter()
        .zip(FORMATS)
        .zip(CONTENT_TYPES)
        .enumerate()
        .filter_map(|(i, ((offered, format), content_type))| {
            let (kind, subtype) = offered.split_once('/')?;
            let (specificity, quality) = ranges
                .iter()
                .filter_map(|r| specificity(r, kind, subtype).map(|s| (s, r.quality)))
                .max_by_key(|&(s, _)| s)?;
            let primary = i < 3;
            (quality > 0).then_some((
                (quality, specificity, primary, rank(format)),
                (format, content_type),
            ))
        })
        .max_by_key(|&(key, _)| key)
        .map(|(_, chosen)| chosen)
        .ok_or(NotAcceptable)
}

/// The server's preference between formats: higher is preferred.
fn rank(format: Format) -> u8 {
    match format {
        Format::Rss => 3,
        Format::Atom => 2,
        Format::Json => 1,
    }
}

/// How specifically `range` matches `kind/subtype`: 2 exact, 1 `kind/*`, 0 `*/*`.
fn specificity(range: &Range, kind: &str, subtype: &str) -> Option<u8> {
    match (range.kind, range.subtype) {
        ("*", "*") => Some(0),
        (k, "*") if k == kind => Some(1),
        (k, s) if k == kind && s == subtype => Some(2),
        _ => None,
    }
}

fn parse_range(item: &str) -> Option<Range<'_>> {
    let mut parts = item.split(';');
    let (kind, subtype) = parts.next()?.trim().split_once('/')?;
    let (kind, subtype) = (kind.trim(), subtype.trim());
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
    if !token(kind) || !token(subtype) || (kind == "*" && subtype != "*") {
        return None;
    }
    let quality = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim() == "q")
        .map_or(1000, |(_, v)| quality(v));
    Some(Range {
        kind,
        subtype,
        quality,
    })
}

/// A `q` value in thousandths; anything that is not a finite number counts as 1.
fn quality(value: &str) -> u16 {
    match value.trim().trim_matches('"').parse::<f64>() {
        // Any positive q stays positive (a q of 0.0001 is not a refusal).
        Ok(q) if q.is_finite() && q > 0.0 => ((q.min(1.0) * 1000.0).round() as u16).max(1),
        Ok(q) if q.is_finite() => 0,
        _ => 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Format::{Atom, Json, Rss};

    #[test]
    fn accept_headers_choose_the_expected_format() {
        let cases: &[(Option<&str>, Result<Format, NotAcceptable>)] = &[
            (None, Ok(Rss)),
            (Some(""), Ok(Rss)),
            (Some("   "), Ok(Rss)),
            (Some("application/rss+xml"), Ok(Rss)),
            (Some("application/atom+xml"), Ok(Atom)),
            (Some("application/feed+json"), Ok(Json)),
            (Some("application/json"), Ok(Json)),
            (Some("text/xml"), Ok(Rss)),
            (Some("APPLICATION/ATOM+XML"), Ok(Atom)),
            (Some("*/*"), Ok(Rss)),
            (Some("application/*"), Ok(Rss)),
            (Some("text/*"), Ok(Rss)),
            (Some("text/html"), Err(NotAcceptable)),
            (Some("image/*, text/html;q=0.9"), Err(NotAcceptable)),
            (
                Some("application/rss+xml;q=0.5, application/atom+xml"),
                Ok(Atom),
            ),
            (
                Some("application/atom+xml;q=0.8, application/feed+json;q=0.9"),
                Ok(Json),
            ),
            // Ties: the more specific match wins, then RSS over Atom over JSON.
            (Some("*/*, application/feed+json"), Ok(Json)),
            (
                Some("application/feed+json, application/atom+xml"),
                Ok(Atom),
            ),
            (Some("application/json, application/xml"), Ok(Rss)),
            // q=0 excludes, even under a wildcard.
            (Some("application/rss+xml;q=0"), Err(NotAcceptable)),
            (
                Some("*/*, application/rss+xml;q=0, application/xml;q=0, text/xml;q=0"),
                Ok(Atom),
            ),
            (Some("*/*;q=0"), Err(NotAcceptable)),
            (Some("application/*;q=0, text/xml"), Ok(Rss)),
            (Some("text/html, application/xhtml+xml, */*;q=0.8"), Ok(Rss)),
            (
                Some("application/atom+xml; charset=utf-8; q=0.9, text/*;q=0.1"),
                Ok(Atom),
            ),
            // Garbage: bad ranges are skipped, bad q values count as 1, nothing panics.
            (Some("garbage"), Ok(Rss)),
            (Some(",,;;==//"), Ok(Rss)),
            (Some("*/json, application/atom+xml"), Ok(Atom)),
            (
                Some("application/feed+json;q=abc, application/rss+xml;q=0.5"),
                Ok(Json),
            ),
            (Some("application/atom+xml;q=NaN"), Ok(Atom)),
            (
                Some("application/atom+xml;q=-1, application/json;q=7"),
                Ok(Json),
            ),
            (Some("application/atom+xml;q"), Ok(Atom)),
            (Some("🦀/🦀, application/json;q=1e400"), Ok(Json)),
        ];
        for (accept, expected) in cases {
            assert_eq!(choose(*accept), *expected, "Accept: {accept:?}");
        }
    }

    #[test]
    fn every_available_type_is_chosen_on_its_own() {
        for (media_type, format) in AVAILABLE.iter().zip(FORMATS) {
            assert_eq!(choose(Some(media_type)), Ok(format));
        }
        assert!(NotAcceptable.to_string().contains("application/feed+json"));
    }
}
