//! Note slugs: the last segment of `/notes/{slug}`.
//!
//! Rules (SPEC §4): made from the note's title (a Micropub `name`, or the heading a note opens
//! with), else the first five words of its text as a reader sees it (no Markdown syntax, no
//! footnotes); folded from Unicode to ASCII (`deunicode`), lower-case letters, digits and single
//! hyphens, at most 100 characters; any whitespace or control character separates words; a
//! timestamp `YYYYMMDD-HHMMSS` when nothing usable is left; collisions get `-2`, `-3`, …; reserved
//! words are never slugs (they are treated as taken). A requested slug (`mp-slug`, admin form)
//! goes through the same folding.

use std::fmt;

use time::OffsetDateTime;
use time::macros::format_description;

/// Longest slug, in characters (all ASCII, so also bytes).
pub const MAX_LEN: usize = 100;

/// Words of the content a slug is made from.
const WORDS: usize = 5;

/// Words that are never slugs: the site's own path segments and their near relatives.
pub const RESERVED: &[&str] = &[
    "admin",
    "api",
    "atom",
    "auth",
    "callback",
    "dashboard",
    "delete",
    "dev",
    "edit",
    "feed",
    "feeds",
    "health",
    "login",
    "logout",
    "media",
    "metrics",
    "micropub",
    "new",
    "notes",
    "opml",
    "rss",
    "search",
    "static",
    "undelete",
];

/// A valid slug: 1–100 of `[a-z0-9-]`, no leading, trailing or doubled hyphen, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

/// Why a string is not a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Empty or over 100 characters.
    #[error("a slug has 1 to {MAX_LEN} characters")]
    Length,
    /// A character other than `a-z`, `0-9` or a single inner hyphen.
    #[error("a slug uses only a-z, 0-9 and single hyphens between them")]
    Characters,
    /// One of the site's own words.
    #[error("`{0}` is reserved")]
    Reserved(String),
}

impl Slug {
    /// Accepts an existing slug exactly as given (e.g. from a URL); no folding.
    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        if s.is_empty() || s.len() > MAX_LEN {
            return Err(SlugError::Length);
        }
        let well_formed = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !well_formed {
            return Err(SlugError::Characters);
        }
        if is_reserved(s) {
            return Err(SlugError::Reserved(s.to_owned()));
        }
        Ok(Slug(s.to_owned()))
    }

    /// The base a new note's slug is made from: the requested slug if it folds to something
    /// usable, else the note's title (all its words, up to 100 characters), else the first words
    /// of its `text`, else the creation time.
    pub fn base(
        requested: Option<&str>,
        title: Option<&str>,
        text: &str,
        created: OffsetDateTime,
    ) -> String {
        requested
            .and_then(|r| slugify(r, usize::MAX))
            .or_else(|| title.and_then(|t| slugify(t, usize::MAX)))
            .or_else(|| slugify(text, WORDS))
            .unwrap_or_else(|| timestamp_slug(created))
    }

    /// The first candidate built on `base` that is not reserved and not `taken`: `base`, then
    /// `base-2`, `base-3`, … (the base shortened so that the whole stays within 100 characters).
    pub fn unique(base: &str, mut taken: impl FnMut(&str) -> bool) -> Slug {
        let base = match slugify(base, usize::MAX) {
            Some(b) => b,
            None => "note".to_owned(),
        };
        for n in 1u64.. {
            let candidate = with_suffix(&base, n);
            if !is_reserved(&candidate) && !taken(&candidate) {
                return Slug(candidate);
            }
        }
        unreachable!("u64 candidates are never all taken")
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is one of the reserved words.
pub fn is_reserved(s: &str) -> bool {
    RESERVED.contains(&s)
}

/// Folds `text` to ASCII and keeps its first `max_words` runs of letters and digits, joined by
/// hyphens and cut to 100 characters at a word boundary where possible; `None` if nothing usable.
pub fn slugify(text: &str, max_words: usize) -> Option<String> {
    let folded = fold(text);
    let mut slug = String::new();
    for word in folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(max_words)
    {
        let needed = word.len() + usize::from(!slug.is_empty());
        if slug.len() + needed > MAX_LEN {
            if slug.is_empty() {
                slug.push_str(&word[..MAX_LEN]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    (!slug.is_empty()).then_some(slug)
}

/// Letters and digits folded to lower-case ASCII (`é` → `e`, `ß` → `ss`, `北京` → `bei jing`);
/// combining marks dropped; everything else (whitespace, control characters, punctuation,
/// symbols, emoji) becomes a space.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            // Before the mark test: deunicode folds controls to nothing, as it does accents.
            out.push(' ');
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            out.push_str(
                &deunicode::deunicode_char(c)
                    .unwrap_or(" ")
                    .to_ascii_lowercase(),
            );
        } else if deunicode::deunicode_char(c) == Some("") {
            // A combining mark: part of the letter before it.
        } else {
            out.push(' ');
        }
    }
    out
}

/// `YYYYMMDD-HHMMSS` of the given time, in UTC.
pub fn timestamp_slug(at: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]-[hour][minute][second]");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "note".to_owned())
}

fn with_suffix(base: &str, n: u64) -> String {
    if n == 1 {
        return base.to_owned();
    }
    let suffix = format!("-{n}");
    let room = MAX_LEN - suffix.len();
    let stem = base[..base.len().min(room)].trim_end_matches('-');
    format!("{stem}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:05:07 UTC);

    fn base(content: &str) -> String {
        Slug::base(None, None, content, NOW)
    }

    #[test]
    fn a_slug_is_the_first_five_words_in_lower_case() {
        assert_eq!(
            base("Hello World, this is my very first note"),
            "hello-world-this-is-my"
        );
    }

    /// Issue 14: `Hello⏎World again` became `helloworld-again` (deunicode folds control
    /// characters to nothing, as it does accents).
    #[test]
    fn any_whitespace_separates_words() {
        for text in [
            "Hello\nWorld again",
            "Hello\tWorld again",
            "Hello\r\nWorld again",
            "Hello\u{2028}World\u{85}again",
        ] {
            assert_eq!(base(text), "hello-world-again", "{text:?}");
        }
        assert_eq!(
            base("# Trip to the lighthouse\nA short walk"),
            "trip-to-the-lighthouse-a"
        );
        assert_eq!(
            Slug::base(Some("My\nTrip"), None, "", NOW),
            "my-trip",
            "requested slugs too"
        );
    }

    #[test]
    fn a_title_gives_the_slug_all_its_words() {
        assert_eq!(
            Slug::base(
                None,
                Some("Trip to the lighthouse and back again"),
                "A short walk",
                NOW
            ),
            "trip-to-the-lighthouse-and-back-again"
        );
        assert_eq!(
            Slug::base(None, Some("🎉"), "Text words", NOW),
            "text-words",
            "a title with nothing usable falls back to the text"
        );
    }

    #[test]
    fn punctuation_and_markdown_become_single_hyphens() {
        assert_eq!(base("## Rust -- *fast* & __safe__!"), "rust-fast-safe");
    }

    #[test]
    fn unicode_is_folded_to_ascii() {
        assert_eq!(base("Café crème à Zürich"), "cafe-creme-a-zurich");
        assert_eq!(base("Ελληνικά"), "ellenika");
    }

    #[test]
    fn content_with_nothing_usable_falls_back_to_a_timestamp() {
        assert_eq!(base("🎉🎉 !!! ✨"), "20261123-090507");
        assert_eq!(base(""), "20261123-090507");
    }

    #[test]
    fn collisions_get_numbered_suffixes() {
        let taken: HashSet<&str> = ["hello", "hello-2"].into();
        assert_eq!(
            Slug::unique("hello", |s| taken.contains(s)).as_str(),
            "hello-3"
        );
        assert_eq!(
            Slug::unique("fresh", |s| taken.contains(s)).as_str(),
            "fresh"
        );
    }

    #[test]
    fn reserved_words_are_never_slugs() {
        for word in RESERVED {
            let slug = Slug::unique(word, |_| false);
            assert_eq!(slug.as_str(), format!("{word}-2"));
            assert!(Slug::parse(word).is_err());
        }
        assert_eq!(
            base("Admin"),
            "admin",
            "a base may be reserved; unique() moves it"
        );
    }

    #[test]
    fn slugs_are_capped_at_one_hundred_characters() {
        let long_word = "a".repeat(150);
        assert_eq!(base(&long_word).len(), MAX_LEN);
        let words = "abcdefghijklmnopqrst ".repeat(5);
        let slug = base(&words);
        assert!(slug.len() <= MAX_LEN);
        assert!(!slug.ends_with('-'));
        let capped = "a".repeat(MAX_LEN);
        let suffixed = Slug::unique(&long_word, |s| s == capped);
        assert_eq!(suffixed.as_str().len(), MAX_LEN);
        assert!(suffixed.as_str().ends_with("-2"));
    }

    #[test]
    fn a_requested_slug_is_folded_the_same_way() {
        assert_eq!(
            Slug::base(Some("My Trip to Köln!"), Some("ignored"), "ignored", NOW),
            "my-trip-to-koln"
        );
        assert_eq!(
            Slug::base(Some("???"), None, "use the content", NOW),
            "use-the-content"
        );
    }

    #[test]
    fn parse_accepts_only_well_formed_slugs() {
        assert!(Slug::parse("hello-world-2").is_ok());
        for bad in ["", "Hello", "a--b", "-a", "a-", "a/b", "../x", "a b", "é"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Slug::parse(&"a".repeat(101)), Err(SlugError::Length));
    }

    proptest! {
        #[test]
        fn any_input_yields_a_valid_unique_slug(
            contents in proptest::collection::vec(any::<String>(), 1..20),
            requested in proptest::option::of(any::<String>()),
        ) {
            let mut taken: HashSet<String> = HashSet::new();
            for content in &contents {
                let base = Slug::base(requested.as_deref(), None, content, NOW);
                let slug = Slug::unique(&base, |s| taken.contains(s));
                prop_assert!(Slug::parse(slug.as_str()).is_ok(), "invalid slug {:?}", slug);
                prop_assert!(taken.insert(slug.as_str().to_owned()), "duplicate {:?}", slug);
            }
        }
    }
}
