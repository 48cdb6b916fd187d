//! Reading and reshaping sanitised note HTML without a DOM: a note's plain text (titles,
//! summaries, search), its leading heading, and the small rewrites made after sanitising.
//!
//! The input is always `ammonia`'s output, i.e. html5ever's serialiser: tags are well formed,
//! every attribute value is double-quoted with `"` escaped, text has `&`, `<` and `>` escaped,
//! comments are gone. Anything else is read without panicking, only less precisely.

/// Elements that separate words: a word never runs from one into the next. Every other element
/// (`strong`, `a`, `code`, …) joins its text to its neighbours as written.
const BLOCKS: &str = "address article aside blockquote br caption dd details div dl dt \
    figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr img li nav ol p pre rp rt summary \
    table tbody td tfoot th thead tr ul";

/// One piece of HTML, as it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// Text between tags, still escaped.
    Text(&'a str),
    /// `<name …>`: the name and what follows it up to `>`.
    Start {
        name: &'a str,
        attrs: &'a str,
        raw: &'a str,
    },
    /// `</name>`.
    End { name: &'a str, raw: &'a str },
    /// Anything else that starts with `<` (a comment, a doctype).
    Other(&'a str),
}

impl<'a> Token<'a> {
    fn raw(&self) -> &'a str {
        match *self {
            Token::Text(raw) | Token::Other(raw) => raw,
            Token::Start { raw, .. } | Token::End { raw, .. } => raw,
        }
    }

    fn starts(&self, wanted: &str) -> bool {
        matches!(self, Token::Start { name, .. } if name.eq_ignore_ascii_case(wanted))
    }

    fn ends(&self, wanted: &str) -> bool {
        matches!(self, Token::End { name, .. } if name.eq_ignore_ascii_case(wanted))
    }

    fn is_block(&self) -> bool {
        match self {
            Token::Start { name, .. } | Token::End { name, .. } => BLOCKS
                .split_whitespace()
                .any(|b| name.eq_ignore_ascii_case(b)),
            _ => false,
        }
    }
}

/// The tokens of `html`, in order; their raw texts concatenate to `html` exactly.
fn tokens(html: &str) -> impl Iterator<Item = Token<'_>> {
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let current = rest;
        if !current.starts_with('<') {
            let end = current.find('<').unwrap_or(current.len());
            rest = &current[end..];
            return Some(Token::Text(&current[..end]));
        }
        let mut quoted = false;
        let close = current.bytes().enumerate().skip(1).find_map(|(i, b)| {
            if b == b'"' {
                quoted = !quoted;
            }
            (b == b'>' && !quoted).then_some(i)
        });
        let Some(close) = close else {
            rest = "";
            return Some(Token::Other(current));
        };
        let raw = &current[..=close];
        rest = &current[close + 1..];
        let inner = &raw[1..close];
        let (is_end, inner) = match inner.strip_prefix('/') {
            Some(after) => (true, after),
            None => (false, inner),
        };
        let name_len = inner.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let name = &inner[..name_len];
        Some(match (name_len, is_end) {
            (0, _) => Token::Other(raw),
            (_, true) => Token::End { name, raw },
            (_, false) => Token::Start {
                name,
                attrs: &inner[name_len..],
                raw,
            },
        })
    })
}

/// The raw (still escaped) value of attribute `wanted` in a start tag's attribute text.
fn attr<'a>(attrs: &'a str, wanted: &str) -> Option<&'a str> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c.is_ascii_whitespace() || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        let mut value = "";
        if let Some(after) = rest.strip_prefix('=') {
            if let Some(quoted) = after.strip_prefix('"') {
                let close = quoted.find('"').unwrap_or(quoted.len());
                value = &quoted[..close];
                rest = quoted.get(close + 1..).unwrap_or("");
            } else {
                let end = after
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(after.len());
                value = &after[..end];
                rest = &after[end..];
            }
        }
        if name.eq_ignore_ascii_case(wanted) {
            return Some(value);
        }
    }
}

/// Whether a start tag's attribute text gives it `class`.
fn has_class(attrs: &str, class: &str) -> bool {
    attr(attrs, "class").is_some_and(|v| v.split_ascii_whitespace().any(|c| c == class))
}

/// Decodes the character references html5ever writes (and the numeric ones), pushing each
/// character of `escaped` to `push`. An unknown reference stays as written.
fn unescape(escaped: &str, mut push: impl FnMut(char)) {
    let mut rest = escaped;
    while let Some(amp) = rest.find('&') {
        rest[..amp].chars().for_each(&mut push);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &after[..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            n => n
                .strip_prefix("#x")
                .or_else(|| n.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| n.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                push(c);
                rest = &after[e + 1..];
            }
            _ => {
                push('&');
                rest = after;
            }
        }
    }
    rest.chars().for_each(push);
}

/// Escapes text for an HTML text node.
fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

/// A heading element's level, 1–6.
fn level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h' | b'H', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

/// A heading tag (`raw`, named `name`) renamed to level `to` (clamped to 1–6).
fn retitled(raw: &str, name: &str, to: u8) -> String {
    const NAMES: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];
    raw.replacen(name, NAMES[usize::from(to.clamp(1, 6) - 1)], 1)
}

/// The rewrites made to freshly sanitised HTML:
///
/// - headings move so that the note's highest is an `h2` and the others keep their distance
///   below it (`#`/`##` → `h2`/`h3`; a note of `##` only → `h2`): a note's headings sit below
///   the page's `h1`, and no level is skipped that the author did not skip;
/// - a link the sanitiser took the `href` from (`javascript:`, `data:`) is replaced by its text;
/// - an image without `src` is replaced by its alternative text.
pub fn tidy(html: &str) -> String {
    let top = tokens(html)
        .filter_map(|t| match t {
            Token::Start { name, .. } => level(name),
            _ => None,
        })
        .min()
        .unwrap_or(2);
    let mut out = String::with_capacity(html.len());
    // For each open `<a>`: whether its tags are kept.
    let mut links: Vec<bool> = Vec::new();
    for token in tokens(html) {
        match token {
            Token::Start { attrs, raw, .. } if token.starts("a") => {
                let keep = attr(attrs, "href").is_some();
                links.push(keep);
                if keep {
                    out.push_str(raw);
                }
            }
            Token::End { raw, .. } if token.ends("a") => {
                if links.pop().unwrap_or(true) {
                    out.push_str(raw);
                }
            }
            Token::Start { attrs, .. } if token.starts("img") && attr(attrs, "src").is_none() => {
                let mut alt = String::new();
                unescape(attr(attrs, "alt").unwrap_or_default(), |c| alt.push(c));
                escape_text(&alt, &mut out);
            }
            Token::Start { name, raw, .. } | Token::End { name, raw } => match level(name) {
                Some(n) => out.push_str(&retitled(raw, name, n + 2 - top)),
                None => out.push_str(raw),
            },
            other => out.push_str(other.raw()),
        }
    }
    out
}

/// Whether [`text`] keeps the footnotes' text (for search) or leaves it out (for titles and
/// summaries). Reference numbers and "back" links are always left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Footnotes {
    /// The definitions' text, after the note's.
    Keep,
    /// Only the note's own text.
    Drop,
}

/// The text of sanitised HTML as a reader sees it: elements like `strong` or `a` join their
/// text to the words around them (`**harbour**,` reads `harbour,`), block elements and line
/// breaks separate words; whitespace is collapsed to single spaces. Collecting stops once more
/// than `limit` characters are gathered (`usize::MAX` for all of it).
pub fn text(html: &str, footnotes: Footnotes, limit: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    // The element whose content is being left out, and how deep inside it we are.
    let mut skipping: Option<(&str, usize)> = None;
    for token in tokens(html) {
        if let Some((name, depth)) = skipping.as_mut() {
            if token.starts(name) {
                *depth += 1;
            } else if token.ends(name) {
                *depth -= 1;
            }
            if *depth == 0 {
                skipping = None;
            }
            continue;
        }
        match token {
            Token::Start { name, attrs, .. } if leaves_out(name, attrs, footnotes) => {
                skipping = Some((name, 1));
            }
            Token::Start { attrs, .. } if token.starts("img") => {
                space = true;
                unescape(attr(attrs, "alt").unwrap_or_default(), |c| {
                    push_char(&mut out, &mut count, &mut space, c);
                });
                space = true;
            }
            Token::Text(escaped) => {
                unescape(escaped, |c| push_char(&mut out, &mut count, &mut space, c));
            }
            _ if token.is_block() => space = true,
            _ => {}
        }
        if count > limit {
            break;
        }
    }
    out
}

fn leaves_out(name: &str, attrs: &str, footnotes: Footnotes) -> bool {
    let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
    (is("sup") && has_class(attrs, "footnote-ref"))
        || (is("a") && has_class(attrs, "footnote-backref"))
        || (footnotes == Footnotes::Drop && is("div") && has_class(attrs, "footnotes"))
}

fn push_char(out: &mut String, count: &mut usize, space: &mut bool, c: char) {
    if c.is_whitespace() || c.is_control() {
        *space = true;
        return;
    }
    if *space && !out.is_empty() {
        out.push(' ');
        *count += 1;
    }
    *space = false;
    out.push(c);
    *count += 1;
}

/// The text of the heading the HTML opens with, if it opens with one (of any level).
pub fn leading_heading(html: &str) -> Option<String> {
    let mut pos = 0;
    // The open heading's name, where its content starts, and how many of it are open.
    let mut open: Option<(&str, usize, usize)> = None;
    for token in tokens(html) {
        let len = token.raw().len();
        match (&mut open, token) {
            (None, Token::Text(s)) if s.trim().is_empty() => {}
            (None, Token::Start { name, .. }) if is_heading(name) => {
                open = Some((name, pos + len, 1));
            }
            (None, _) => return None,
            (Some((name, start, depth)), token) => {
                if token.starts(name) {
                    *depth += 1;
                } else if token.ends(name) {
                    *depth -= 1;
                    if *depth == 0 {
                        let heading = text(&html[*start..pos], Footnotes::Drop, usize::MAX);
                        return (!heading.is_empty()).then_some(heading);
                    }
                }
            }
        }
        pos += len;
    }
    None
}

fn is_heading(name: &str) -> bool {
    level(name).is_some()
}

/// The HTML of a note that opens with a heading, for its own page: that leading `h2` becomes
/// the page's `h1` (with `dir="auto"`, as every title has) and the headings below it move up
/// one level (`h3` → `h2`, …), as [`tidy`] had moved them down; other `h2`s stay. `None` when
/// the HTML does not open with an `h2` that has some text.
pub fn promote_leading_heading(html: &str) -> Option<String> {
    leading_heading(html)?;
    let mut out = String::with_capacity(html.len());
    // 0: before the leading heading; 1: inside it; 2: after it.
    let mut state = 0;
    for token in tokens(html) {
        let heading = match token {
            Token::Start { name, .. } | Token::End { name, .. } => level(name).map(|n| (name, n)),
            _ => None,
        };
        match (state, token, heading) {
            (0, Token::Text(s), _) if s.trim().is_empty() => out.push_str(s),
            (0, Token::Start { raw, .. }, Some((_, 2))) => {
                state = 1;
                out.push_str("<h1 dir=\"auto\"");
                out.push_str(&raw[3..]);
            }
            (0, _, _) => return None,
            (1, Token::End { .. }, Some((_, 2))) => {
                state = 2;
                out.push_str("</h1>");
            }
            (2, token, Some((name, n))) if n > 2 => {
                out.push_str(&retitled(token.raw(), name, n - 1))
            }
            (_, token, _) => out.push_str(token.raw()),
        }
    }
    (state == 2).then_some(out)
}

/// `text` cut to at most `max_chars` characters: whole words and an ellipsis. It never leaves
/// only the ellipsis: when the words that fit fill less than half the room (a long URL up
/// front), the next word is cut to fill it.
pub fn cut(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let room = max_chars.saturating_sub(1);
    let mut out = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let needed = word.chars().count() + usize::from(!out.is_empty());
        if len + needed > room {
            if len * 2 < room {
                if !out.is_empty() {
                    out.push(' ');
                    len += 1;
                }
                out.extend(word.chars().take(room - len));
            }
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        len += needed;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_input_is_read_without_panicking(html in "(<[/a-zA-Z0-9 =\"&;#]{0,12}>?|[a-z &;#<>\"]{0,6}|é|🦀){0,40}") {
            let joined: String = tokens(&html).map(|t| t.raw()).collect();
            proptest::prop_assert_eq!(&joined, &html);
            let _ = tidy(&html);
            let _ = text(&html, Footnotes::Keep, 50);
            let _ = leading_heading(&html);
            let _ = promote_leading_heading(&html);
            let _ = cut(&html, 7);
        }
    }

    #[test]
    fn tokens_cover_the_input_exactly() {
        for html in [
            "<p class=\"a>b\">x &amp; y</p><br>",
            "plain",
            "<unterminated",
            "a < b",
            "<!-- c -->",
            "</>",
        ] {
            let joined: String = tokens(html).map(|t| t.raw()).collect();
            assert_eq!(joined, html);
        }
    }

    #[test]
    fn attributes_are_read_from_start_tags() {
        let attrs = " href=\"https://e.com/?a=1&amp;b=2\" class=\"x footnote-ref\" disabled";
        assert_eq!(attr(attrs, "href"), Some("https://e.com/?a=1&amp;b=2"));
        assert!(has_class(attrs, "footnote-ref"));
        assert_eq!(attr(attrs, "disabled"), Some(""));
        assert_eq!(attr(attrs, "id"), None);
        assert_eq!(attr("=\"x\" =", "x"), None);
    }

    #[test]
    fn inline_elements_join_and_blocks_separate() {
        let html = "<p>The <strong>harbour</strong>, with <a href=\"x\">boats</a>.</p>\
                    <ul><li>one</li><li>two</li></ul><p>a<br>b&nbsp;&amp;&#x41;&#66;</p>";
        assert_eq!(
            text(html, Footnotes::Drop, usize::MAX),
            "The harbour, with boats. one two a b &AB"
        );
    }

    #[test]
    fn footnote_numbers_and_back_links_are_never_text() {
        let html = "<p>Footnote here<sup class=\"footnote-ref\"><a href=\"#f\">1</a></sup>.</p>\
                    <div class=\"footnotes\"><ol><li><p>the note. \
                    <a class=\"footnote-backref\" href=\"#r\">↩</a></p></li></ol></div>";
        assert_eq!(text(html, Footnotes::Drop, usize::MAX), "Footnote here.");
        assert_eq!(
            text(html, Footnotes::Keep, usize::MAX),
            "Footnote here. the note."
        );
    }

    #[test]
    fn tidy_demotes_headings_and_unwraps_dead_links_and_images() {
        assert_eq!(
            tidy("<h1 title=\"h1\">A</h1><h6>B</h6><h5>C</h5><h2>D</h2>"),
            "<h2 title=\"h1\">A</h2><h6>B</h6><h6>C</h6><h3>D</h3>"
        );
        assert_eq!(
            tidy("<p>x</p><h3>A</h3><h4>B</h4>"),
            "<p>x</p><h2>A</h2><h3>B</h3>",
            "a note's highest heading is an h2"
        );
        assert_eq!(
            tidy("<p><a rel=\"nofollow\">click</a> <a href=\"/x\">ok</a></p>"),
            "<p>click <a href=\"/x\">ok</a></p>"
        );
        assert_eq!(tidy("<img alt=\"a &lt; b\">"), "a &lt; b");
    }

    #[test]
    fn a_leading_heading_is_found_and_promoted() {
        let html = "<h2>Trip to the <em>lighthouse</em></h2>\n<p>A short walk</p><h3>Lists</h3>";
        assert_eq!(
            leading_heading(html).as_deref(),
            Some("Trip to the lighthouse")
        );
        assert_eq!(
            promote_leading_heading(html).as_deref(),
            Some(
                "<h1 dir=\"auto\">Trip to the <em>lighthouse</em></h1>\n<p>A short walk</p>\
                 <h2>Lists</h2>"
            )
        );
        assert_eq!(leading_heading("<p>x</p><h2>y</h2>"), None);
        assert_eq!(promote_leading_heading("<p>x</p><h2>y</h2>"), None);
        assert_eq!(promote_leading_heading("<h3>x</h3>"), None);
        assert_eq!(
            promote_leading_heading("<h2> </h2><p>x</p>"),
            None,
            "an empty heading"
        );
    }

    #[test]
    fn cuts_keep_words_and_never_leave_only_an_ellipsis() {
        assert_eq!(cut("one two three four", 100), "one two three four");
        assert_eq!(cut("one two three four", 9), "one two…");
        let url = "https://example.com/a/very/long/path/that/never/ends/at/all/index.html";
        let title = cut(url, 60);
        assert_eq!(title.chars().count(), 60);
        assert!(title.starts_with("https://example.com/a/very/long/path/"));
        assert!(title.ends_with('…'));
        let after_a_word = cut(&format!("See {url}"), 60);
        assert!(after_a_word.starts_with("See https://"), "{after_a_word}");
        assert_eq!(after_a_word.chars().count(), 60);
    }
}
