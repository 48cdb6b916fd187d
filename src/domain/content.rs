//! Note bodies: Markdown (or HTML from a Micropub client) rendered once, on write, to sanitised
//! HTML.
//!
//! Whoever wrote the note, the stored HTML passes `ammonia`: no `<script>`, no event handlers,
//! no `javascript:` URLs, no frames. This is the only HTML the views insert unescaped.

use pulldown_cmark::{Options, Parser, html};
use sha2::{Digest, Sha256};

/// Largest note body accepted, in bytes.
pub const MAX_CONTENT_BYTES: usize = 200_000;

/// A note's source text, tagged with its format. Never empty.
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
}

fn check(text: &str) -> Result<(), ContentError> {
    if text.trim().is_empty() {
        Err(ContentError::Empty)
    } else if text.len() > MAX_CONTENT_BYTES {
        Err(ContentError::TooLong)
    } else {
        Ok(())
    }
}

impl NoteContent {
    /// Markdown source; refuses empty or oversized text. Windows line endings are normalised.
    pub fn markdown(text: impl Into<String>) -> Result<Self, ContentError> {
        let text = text.into().replace("\r\n", "\n");
        check(&text)?;
        Ok(NoteContent::Markdown(text))
    }

    /// HTML source; refuses empty or oversized text.
    pub fn html(text: impl Into<String>) -> Result<Self, ContentError> {
        let text = text.into();
        check(&text)?;
        Ok(NoteContent::Html(text))
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
        let html = self.render();
        let text = ammonia::Builder::empty().clean(&html).to_string();
        let text = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut out = String::new();
        for word in words {
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
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tags(["input"])
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
    fn plain_text_is_cut_at_a_word() {
        let c = NoteContent::markdown("**one** two three four").unwrap();
        assert_eq!(c.plain_text(100), "one two three four");
        assert_eq!(c.plain_text(9), "one two…");
    }
}
