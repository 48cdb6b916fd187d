//! Note bodies: Markdown (or HTML from a Micropub client) rendered once, on write, to sanitised
//! HTML, and the plain text a reader sees in it.
//!
//! Whoever wrote the note, the stored HTML passes `ammonia`: no `<script>`, no event handlers,
//! no `javascript:` URLs, no frames. This is the only HTML the views insert unescaped. After
//! sanitising, headings are demoted one level and links that lost their `href` are unwrapped
//! ([`super::html::tidy`]); footnotes carry the note's slug in their ids
//! ([`super::footnotes`]).

use pulldown_cmark::{Options, Parser, html};
use sha2::{Digest, Sha256};

use super::Slug;
use super::html::{Footnotes, text, tidy};

/// The version of the rendering rules. Stored beside each note's HTML; rows rendered under an
/// older version are rendered again when the site starts. Bump it whenever [`NoteContent::render_for`]
/// or [`search_text`] would produce different output for the same source.
pub const RENDER_VERSION: i64 = 1;

/// The footnote id prefix of a rendering that is not stored (the admin's preview).
const PREVIEW_PREFIX: &str = "preview";

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

    /// Sanitised HTML of the note stored under `slug`: its footnote ids carry the slug, so they
    /// stay unique on a page of many notes.
    pub fn render_for(&self, slug: &Slug) -> String {
        self.render_with(slug.as_str())
    }

    /// Sanitised HTML for a page that shows this note alone and unsaved (the admin's preview).
    pub fn render(&self) -> String {
        self.render_with(PREVIEW_PREFIX)
    }

    fn render_with(&self, prefix: &str) -> String {
        match self {
            NoteContent::Markdown(md) => tidy(&sanitize(&markdown_to_html(md, prefix))),
            NoteContent::Html(h) => tidy(&sanitize(h)),
        }
    }

    /// SHA-256 of the source text, hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.source().as_bytes()))
    }

    /// Plain text of the rendered note, cut at a word near `max_chars`.
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

/// The text of already-sanitised HTML as a reader sees it, without footnotes, cut at a word
/// near `max_chars` (see [`super::html::cut`]). Linear, and stops reading once past the limit:
/// used on every page that shows a title, so it never re-renders or re-sanitises a note.
pub fn plain_text(html: &str, max_chars: usize) -> String {
    super::html::cut(
        &text(html, Footnotes::Drop, max_chars.saturating_add(2)),
        max_chars,
    )
}

/// All the text of already-sanitised HTML, footnotes included, for the search index (and so
/// for search excerpts).
pub fn search_text(html: &str) -> String {
    text(html, Footnotes::Keep, usize::MAX)
}

/// The note's HTML with every relative URL made absolute against `base` (its permalink):
/// footnote links `#fn-…` become `{permalink}#fn-…`, site paths become full URLs. For feeds,
/// whose readers resolve a relative link against the feed, not the note.
pub fn absolute_links(html: &str, base: &url::Url) -> String {
    sanitizer()
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .clean(html)
        .to_string()
}

fn markdown_to_html(md: &str, prefix: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let events = super::footnotes::link(Parser::new_ext(md, options), prefix);
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    out
}

/// The sanitiser: ammonia's defaults (a safe allow-list: no scripts, handlers, styles or
/// frames; only http, https, mailto and similar URL schemes), links with `rel="noopener
/// noreferrer nofollow"`, task-list checkboxes, and the footnotes' classes and ids (no other id
/// survives, so a note can never take one of the page's own).
fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked", "disabled"])
        // Task-list checkboxes only: whatever `type` was written, an input is a checkbox.
        .set_tag_attribute_value("input", "type", "checkbox")
        .add_allowed_classes("sup", ["footnote-ref"])
        .add_allowed_classes("div", ["footnotes"])
        .add_allowed_classes("a", ["footnote-backref"])
        .add_tag_attributes("a", ["id"])
        .add_tag_attributes("li", ["id"])
        .attribute_filter(|_, attribute, value| {
            (attribute != "id" || super::footnotes::is_footnote_id(value)).then(|| value.into())
        });
    builder
}

/// Cleans HTML: ammonia's defaults (a safe allow-list: no scripts, handlers, styles or frames;
/// only http, https, mailto and similar URL schemes), links with `rel="noopener noreferrer
/// nofollow"`, task-list checkboxes, and the footnotes' classes and ids only.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = NoteContent::markdown("# Hi\n\n*there* [x](https://example.com)")
            .unwrap()
            .render();
        assert!(
            html.contains("<h2>Hi</h2>"),
            "headings sit one level down: {html}"
        );
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

    /// Issue 14: a sanitised `javascript:`/`data:` link left an `<a>` without `href` (with
    /// `rel`, which the Nu checker refuses there); an image that lost its `src` likewise.
    #[test]
    fn links_and_images_the_sanitiser_emptied_become_their_text() {
        for md in [
            "[click](javascript:alert(1)) here",
            "[click](data:text/html,hi) here",
            "<a href=\"javascript:alert(1)\" title=\"t\">click</a> here",
        ] {
            let html = NoteContent::markdown(md).unwrap().render();
            assert_eq!(html.trim(), "<p>click here</p>", "{md}");
        }
        let html = NoteContent::html("<img src=\"javascript:x\" alt=\"a cat\">")
            .unwrap()
            .render();
        assert_eq!(html, "a cat");
        let kept = NoteContent::markdown("[ok](https://example.com)")
            .unwrap()
            .render();
        assert!(kept.contains("<a href=\"https://example.com\""), "{kept}");
    }

    /// Issue 14: `# heading` in a note outranked the page's own headings; its highest heading
    /// is now an `h2`.
    #[test]
    fn headings_are_one_level_down_in_markdown_and_html() {
        let md = NoteContent::markdown("# One\n## Two\n###### Six")
            .unwrap()
            .render();
        assert_eq!(md, "<h2>One</h2>\n<h3>Two</h3>\n<h6>Six</h6>\n");
        let html = NoteContent::html("<h1>One</h1>").unwrap().render();
        assert_eq!(html, "<h2>One</h2>");
        let md = NoteContent::markdown("## Only\n### Sub").unwrap().render();
        assert_eq!(
            md, "<h2>Only</h2>\n<h3>Sub</h3>\n",
            "no level skipped below the page's"
        );
    }

    /// Issue 14: footnote links pointed at `#1`, which no element had and which every note on
    /// the home page shared.
    #[test]
    fn footnote_ids_carry_the_slug_and_survive_sanitising() {
        let content = NoteContent::markdown("Footnote here[^1].\n\n[^1]: the note.").unwrap();
        let slug = Slug::parse("footnote-here").unwrap();
        let doc = scraper::Html::parse_fragment(&content.render_for(&slug));
        let ids: Vec<&str> = doc
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
            .filter_map(|e| e.value().id())
            .collect();
        assert_eq!(ids, ["fnref-footnote-here-1", "fn-footnote-here-1"]);
        let hrefs: Vec<&str> = doc
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
            .filter_map(|e| e.value().attr("href"))
            .collect();
        assert_eq!(hrefs, ["#fn-footnote-here-1", "#fnref-footnote-here-1"]);
        let other = NoteContent::markdown("Hi[^1]\n\n[^1]: x")
            .unwrap()
            .render_for(&Slug::parse("other").unwrap());
        assert!(other.contains("id=\"fn-other-1\""), "{other}");
        let foreign = NoteContent::html("<p id=\"header-q\">x</p><a id=\"1\" href=\"/\">y</a>")
            .unwrap()
            .render();
        assert!(!foreign.contains("id="), "no other id survives: {foreign}");
    }

    /// Issue 14: the feed validator flags `href="#1"`; feeds carry absolute links.
    #[test]
    fn absolute_links_resolve_fragments_and_paths_against_the_permalink() {
        let content =
            NoteContent::markdown("A[^1] [home](/) [x](https://example.org/)\n\n[^1]: B").unwrap();
        let html = content.render_for(&Slug::parse("a").unwrap());
        let base = url::Url::parse("https://example.com/blog/notes/a").unwrap();
        let absolute = absolute_links(&html, &base);
        assert!(
            absolute.contains("href=\"https://example.com/blog/notes/a#fn-a-1\""),
            "{absolute}"
        );
        assert!(absolute.contains("href=\"https://example.com/blog/notes/a#fnref-a-1\""));
        assert!(absolute.contains("href=\"https://example.com/\""));
        assert!(absolute.contains("href=\"https://example.org/\""));
        assert!(!absolute.contains("href=\"#"), "{absolute}");
        // Nothing else changes: the same HTML, the same ids.
        let no_links = "<p>Hello <strong>world</strong> &amp; a &lt; b 🦀</p>\n";
        assert_eq!(absolute_links(no_links, &base), no_links);
        assert_eq!(
            absolute.replace("https://example.com/blog/notes/a#", "#"),
            html.replace("href=\"/\"", "href=\"https://example.com/\"")
        );
    }

    #[test]
    fn search_text_keeps_footnotes_but_never_their_numbers() {
        let html = NoteContent::markdown("Footnote here[^1].\n\n[^1]: the note.")
            .unwrap()
            .render();
        assert_eq!(search_text(&html), "Footnote here. the note.");
        assert_eq!(plain_text(&html, 60), "Footnote here.");
    }

    #[test]
    fn plain_text_is_cut_at_a_word() {
        let c = NoteContent::markdown("**one** two three four").unwrap();
        assert_eq!(c.plain_text(100), "one two three four");
        assert_eq!(c.plain_text(9), "one two…");
    }
}
