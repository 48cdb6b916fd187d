//! Note bodies: Markdown (or HTML from a Micropub client) rendered once, on write, to sanitised
//! HTML.
//!
//! Whoever wrote the note, the stored HTML passes `ammonia`: no `<script>`, no event handlers,
//! no `javascript:` URLs, no frames. This is the only HTML the views insert unescaped.

use pulldown_cmark::{Options, Parser, html};
use sha2::{Digest, Sha256};

/// Largest note body accepted, in bytes.
pub const MAX_CONTENT_BYTES: usize = 200_000;

/// A note's source text, tagged with its format. Empty only for Micropub posts made of other
/// properties (a photo, a check-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteContent {
    /// Markdown (CommonMark with tables, strikethrough, footnotes and task lists).
    Markdown(String),
    /// HTML exactly as a client sent it; sanitised when rendered.
    Html(String),
}

/// Why a body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// Nothing but whitespace.
    #[error("a note needs some content")]
    Empty,
    /// Longer than [`MAX_CONTENT_BYTES`].
    #[error("a note can hold at most {MAX_CONTENT_BYTES} bytes")]
    TooLong,
    /// Nested deeper than [`MAX_NESTING`] (quotes, lists or HTML elements), which would make
    /// rendering very slow.
    #[error("a note can nest quotes, lists and HTML elements at most {MAX_NESTING} levels deep")]
    TooDeep,
    /// More than [`MAX_SPECIAL`] of `&`, `<`, `>` and `"`.
    #[error("a note can contain at most {MAX_SPECIAL} of the characters & < > \"")]
    TooManySpecial,
}

/// Most `&`, `<`, `>` and `"` characters a note may hold. Each becomes an entity or tag that
/// the HTML sanitiser's parser handles at a cost that grows faster than linearly; real notes
/// hold a few dozen.
pub const MAX_SPECIAL: usize = 5_000;

/// Deepest nesting of block quotes, lists and HTML elements accepted. Markdown and HTML
/// parsers slow down sharply with depth; real notes never come close.
pub const MAX_NESTING: usize = 32;

/// Estimates the deepest nesting of `text`: Markdown container markers at the start of a line
/// (`>`, `-`, `*`, `+`, `1.`) and unclosed HTML start tags. Cheap and conservative.
fn nesting(text: &str) -> usize {
    let mut deepest = 0;
    for line in text.lines() {
        let mut depth = 0;
        let mut rest = line.trim_start();
        loop {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let marker = match rest.as_bytes().first() {
                Some(b'>') => 1,
                Some(b'-' | b'*' | b'+') if rest[1..].starts_with(' ') => 1,
                Some(b'0'..=b'9')
                    if digits < 10 && matches!(rest.as_bytes().get(digits), Some(b'.' | b')')) =>
                {
                    digits + 1
                }
                _ => 0,
            };
            if marker == 0 {
                break;
            }
            depth += 1;
            rest = rest[marker..].trim_start();
        }
        deepest = deepest.max(depth);
    }
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let mut open: usize = 0;
    let mut html_deepest = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'<' {
            continue;
        }
        if bytes.get(i + 1) == Some(&b'/') {
            open = open.saturating_sub(1);
            continue;
        }
        let name_len = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let after = bytes.get(i + 1 + name_len);
        // A start tag: a name followed by space, `>` or `/` (not `<https:` autolinks).
        if name_len == 0 || !matches!(after, Some(b' ' | b'\t' | b'\n' | b'>' | b'/')) {
            continue;
        }
        let name = text[i + 1..i + 1 + name_len].to_ascii_lowercase();
        let self_closing = bytes[i..]
            .iter()
            .take(512)
            .position(|&c| c == b'>')
            .is_some_and(|end| end > 0 && bytes[i + end - 1] == b'/');
        if VOID.contains(&name.as_str()) || self_closing {
            continue;
        }
        open += 1;
        html_deepest = html_deepest.max(open);
    }
    deepest.max(html_deepest)
}

fn check(text: &str) -> Result<(), ContentError> {
    if text.trim().is_empty() {
        Err(ContentError::Empty)
    } else if text.len() > MAX_CONTENT_BYTES {
        Err(ContentError::TooLong)
    } else if text
        .bytes()
        .filter(|b| matches!(b, b'&' | b'<' | b'>' | b'"'))
        .count()
        > MAX_SPECIAL
    {
        Err(ContentError::TooManySpecial)
    } else if nesting(text) > MAX_NESTING {
        Err(ContentError::TooDeep)
    } else {
        Ok(())
    }
}

impl NoteContent {
    /// Markdown source; refuses empty or oversized text. Windows line endings are normalised.
    pub fn markdown(text: impl Into<String>) -> Result<Self, ContentError> {
        let text = strip_controls(&text.into().replace("\r\n", "\n"));
        check(&text)?;
        Ok(NoteContent::Markdown(text))
    }

    /// HTML source; refuses empty or oversized text.
    pub fn html(text: impl Into<String>) -> Result<Self, ContentError> {
        let text = strip_controls(&text.into());
        check(&text)?;
        Ok(NoteContent::Html(text))
    }

    /// No body at all: a Micropub post made only of other properties.
    pub fn empty() -> Self {
        NoteContent::Markdown(String::new())
    }

    /// Rebuilds stored content from its column values.
    pub fn from_stored(kind: &str, text: String) -> Self {
        match kind {
            "html" => NoteContent::Html(text),
            _ => NoteContent::Markdown(text),
        }
    }

    /// The stored `content_type` column value.
    pub fn kind(&self) -> &'static str {
        match self {
            NoteContent::Markdown(_) => "markdown",
            NoteContent::Html(_) => "html",
        }
    }

    /// The source text.
    pub fn source(&self) -> &str {
        match self {
            NoteContent::Markdown(s) | NoteContent::Html(s) => s,
        }
    }

    /// Sanitised HTML for display.
    pub fn render(&self) -> String {
        match self {
            NoteContent::Markdown(md) => sanitize(&markdown_to_html(md)),
            NoteContent::Html(h) => sanitize(h),
        }
    }

    /// SHA-256 of the source text, hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.source().as_bytes()))
    }

    /// Plain text of the rendered note, for titles and summaries.
    pub fn plain_text(&self, max_chars: usize) -> String {
        plain_text(&self.render(), max_chars)
    }
}

/// The text without C0 control characters other than tab and line breaks (they have no place in
/// a page and some break XML).
pub fn strip_controls(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return text.to_owned();
    }
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The text of already-sanitised HTML, whitespace collapsed and cut at a word near
/// `max_chars`. Linear and allocation-light: used on every page that shows a title, so it
/// must never re-render or re-sanitise a note.
pub fn plain_text(html: &str, max_chars: usize) -> String {
    let mut text = String::with_capacity(html.len().min(max_chars * 4 + 16));
    let mut in_tag = false;
    let mut rest = html;
    // Stop collecting once well past the limit: the tail is never shown.
    while let Some(c) = rest.chars().next() {
        if text.len() > max_chars * 4 + 16 {
            break;
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '&' => {
                let entity_end = rest.find(';').filter(|&e| e <= 8);
                let decoded = entity_end.and_then(|e| match &rest[..e] {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "#39" | "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => None,
                });
                match (decoded, entity_end) {
                    (Some(d), Some(e)) => {
                        text.push(d);
                        rest = &rest[e + 1..];
                    }
                    _ => text.push('&'),
                }
            }
            c => text.push(c),
        }
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > max_chars {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn markdown_to_html(md: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(md, options));
    out
}

/// Cleans HTML with ammonia's defaults (a safe allow-list: no scripts, handlers, styles or
/// frames; only http, https, mailto and similar URL schemes); links get `rel="noopener
/// noreferrer nofollow"`.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked", "disabled"])
        // Task-list checkboxes only: whatever `type` was written, an input is a checkbox.
        .set_tag_attribute_value("input", "type", "checkbox")
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = NoteContent::markdown("# Hi\n\n*there* [x](https://example.com)")
            .unwrap()
            .render();
        assert!(html.contains("<h1>Hi</h1>"));
        assert!(html.contains("<em>there</em>"));
        assert!(html.contains("href=\"https://example.com\""));
    }

    #[test]
    fn hostile_markup_is_removed_from_markdown_and_html() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
        ];
        for payload in payloads {
            for content in [
                NoteContent::markdown(payload).unwrap(),
                NoteContent::html(payload).unwrap(),
            ] {
                let html = content.render();
                let doc = scraper::Html::parse_fragment(&html);
                for element in doc
                    .root_element()
                    .descendants()
                    .filter_map(scraper::ElementRef::wrap)
                {
                    let el = element.value();
                    assert!(
                        !matches!(el.name(), "script" | "iframe" | "svg" | "style"),
                        "{payload:?} left <{}> in {html:?}",
                        el.name()
                    );
                    for (name, value) in el.attrs() {
                        assert!(
                            !name.starts_with("on") && name != "style",
                            "{payload:?} left {name} in {html:?}"
                        );
                        assert!(
                            !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                            "{payload:?} left a javascript: URL in {html:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn empty_and_oversized_content_is_refused() {
        assert_eq!(NoteContent::markdown("  \n "), Err(ContentError::Empty));
        assert_eq!(
            NoteContent::markdown("x".repeat(MAX_CONTENT_BYTES + 1)),
            Err(ContentError::TooLong)
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_any_parser_sees_it() {
        for deep in [
            "> ".repeat(40),
            "- ".repeat(40),
            "1. ".repeat(40),
            "<div>".repeat(40),
        ] {
            assert_eq!(
                NoteContent::markdown(deep.clone()),
                Err(ContentError::TooDeep)
            );
            assert_eq!(NoteContent::html(deep), Err(ContentError::TooDeep));
        }
        assert!(NoteContent::markdown("> quote\n> > nested\n\n- a\n  - b").is_ok());
        assert!(NoteContent::markdown("<p>".repeat(40) + &"</p>".repeat(40)).is_err());
        assert!(NoteContent::markdown("<b>x</b>".repeat(100)).is_ok());
        assert!(NoteContent::markdown("line<br>".repeat(100)).is_ok());
        assert!(NoteContent::markdown("<https://example.com> ".repeat(100)).is_ok());
    }

    #[test]
    fn pathological_inputs_within_the_limits_render_quickly() {
        let inputs = [
            "&#".repeat(60_000),
            "&#".repeat(4_900),
            "&amp;".repeat(4_900),
            "[".repeat(150_000),
            "*a ".repeat(50_000),
            "<a>".repeat(30) + &"x ".repeat(50_000),
            "`".repeat(100_000),
            "_".repeat(100_000),
            "[a](".repeat(40_000),
        ];
        for input in inputs {
            let start = std::time::Instant::now();
            if let Ok(content) = NoteContent::markdown(input.clone()) {
                let html = content.render();
                let _ = plain_text(&html, 60);
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(5),
                "{:?}… took {:?}",
                &input[..10],
                start.elapsed()
            );
        }
    }

    #[test]
    fn inputs_are_always_checkboxes() {
        let html = NoteContent::html("<input type=\"password\" checked>")
            .unwrap()
            .render();
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(!html.contains("password"));
    }

    #[test]
    fn plain_text_is_cut_at_a_word() {
        let c = NoteContent::markdown("**one** two three four").unwrap();
        assert_eq!(c.plain_text(100), "one two three four");
        assert_eq!(c.plain_text(9), "one two…");
    }
}
