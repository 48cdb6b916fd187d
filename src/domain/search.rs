//! Search queries from visitors, made safe for FTS5 once at the edge.
//!
//! Whatever a visitor types is reduced to its words (runs of Unicode letters and digits); each
//! word is quoted, so FTS5 operators, quotes and column filters in the input are plain text and
//! FTS5 never sees a syntax error. All words must match (implicit AND).

/// Most words a query keeps.
pub const MAX_WORDS: usize = 16;
/// Longest query accepted, in characters.
pub const MAX_CHARS: usize = 500;

/// A parsed, non-empty search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    words: Vec<String>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Empty or only whitespace.
    #[error("type something to search for")]
    Empty,
    /// Only punctuation or symbols.
    #[error("a search needs at least one letter or digit")]
    NoWords,
    /// Longer than [`MAX_CHARS`].
    #[error("a search can be at most {MAX_CHARS} characters")]
    TooLong,
}

impl SearchQuery {
    /// Parses what a visitor typed.
    pub fn parse(input: &str) -> Result<SearchQuery, QueryError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(QueryError::Empty);
        }
        if text.chars().count() > MAX_CHARS {
            return Err(QueryError::TooLong);
        }
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return Err(QueryError::NoWords);
        }
        Ok(SearchQuery {
            text: text.to_owned(),
            words,
        })
    }

    /// The query as typed (trimmed), for display.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The FTS5 `MATCH` expression: every word quoted and looked for in the name and the text a
    /// reader sees (`content_text`),
    /// restricted to published notes (and drafts when `include_drafts`).
    pub fn fts(&self, include_drafts: bool) -> String {
        let words = self
            .words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ");
        let states = if include_drafts {
            "(published OR draft)"
        } else {
            "published"
        };
        format!("search_state : {states} AND {{name content_text}} : ({words})")
    }
}

/// Turns an FTS5 snippet with `start`/`end` markers into HTML: everything escaped, then only
/// `<mark>`/`</mark>` added, always balanced.
pub fn highlight(raw: &str, start: char, end: char) -> String {
    let mut out = String::with_capacity(raw.len() + 32);
    let mut open = false;
    for c in raw.chars() {
        match c {
            c if c == start => {
                if !open {
                    out.push_str("<mark>");
                    open = true;
                }
            }
            c if c == end => {
                if open {
                    out.push_str("</mark>");
                    open = false;
                }
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_quotes_become_plain_words() {
        let q = SearchQuery::parse(r#"  "unbalanced AND (rust OR* NEAR/ -x col:y ^z  "#).unwrap();
        assert_eq!(
            q.fts(false),
            r#"search_state : published AND {name content_text} : ("unbalanced" "and" "rust" "or" "near" "x" "col" "y" "z")"#
        );
        assert!(
            q.fts(true)
                .starts_with("search_state : (published OR draft) AND ")
        );
    }

    #[test]
    fn empty_and_wordless_queries_are_refused() {
        assert_eq!(SearchQuery::parse("   "), Err(QueryError::Empty));
        assert_eq!(SearchQuery::parse("\"*()"), Err(QueryError::NoWords));
        assert_eq!(
            SearchQuery::parse(&"a".repeat(501)),
            Err(QueryError::TooLong)
        );
        assert!(
            SearchQuery::parse("Grüße")
                .unwrap()
                .fts(false)
                .ends_with("(\"grüße\")")
        );
    }

    #[test]
    fn highlighting_escapes_everything_else_and_stays_balanced() {
        let raw = "<script>\u{2}alert\u{3}</script> & \u{3}x\u{2}y";
        assert_eq!(
            highlight(raw, '\u{2}', '\u{3}'),
            "&lt;script&gt;<mark>alert</mark>&lt;/script&gt; &amp; x<mark>y</mark>"
        );
    }
}
