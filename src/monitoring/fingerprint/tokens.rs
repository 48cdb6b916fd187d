//! The one-pass SQL tokenizer behind [`super::fingerprint`]: comments and whitespace dropped,
//! words lower-cased, literals and parameters turned into `?`, lists of `?` folded into `(...)`,
//! and the tokens written back as one line.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A bare word: a keyword or an unquoted name, lower-cased.
    Word,
    /// A quoted identifier (`"a b"`, `` `a` ``, `[a]`, and `'a'` beside a `.`), as written.
    Quoted,
    /// A literal or a parameter, written `?`.
    Value,
    /// A parenthesised list of values only, written `(...)`.
    Folded,
    /// An operator or punctuation.
    Punct,
}

/// One token of a statement, as the normalised text shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub class: Class,
    /// Its normalised text.
    pub text: String,
    /// Whether whitespace or a comment came before it in the source.
    pub spaced: bool,
}

impl Token {
    /// Whether this is the word or punctuation `text` (a quoted identifier never is).
    pub fn is(&self, text: &str) -> bool {
        matches!(self.class, Class::Word | Class::Punct) && self.text == text
    }

    /// Whether this token opens a parenthesis (a folded list included).
    pub fn opens(&self) -> bool {
        self.is("(") || self.class == Class::Folded
    }

    /// The name a word or quoted identifier stands for: lower-case and unquoted.
    pub fn name(&self) -> Option<String> {
        match self.class {
            Class::Word => Some(self.text.clone()),
            Class::Quoted => {
                let (open, rest) = self.text.split_at(1);
                let (close, doubled) = match open {
                    "\"" => ('"', "\"\""),
                    "`" => ('`', "``"),
                    "'" => ('\'', "''"),
                    _ => (']', "]"),
                };
                let inner = rest.strip_suffix(close).unwrap_or(rest);
                let single = &doubled[..1];
                Some(inner.replace(doubled, single).to_ascii_lowercase())
            }
            _ => None,
        }
    }
}

/// Keywords after which a `-` or `+` before a number is a sign, not a subtraction.
const EXPRESSION_STARTS: &str = "select distinct all where and or not then else when case limit \
    offset by between is like glob match regexp having on escape default returning in set values";

/// Keywords always followed by a space before an opening parenthesis, however the source had it.
const SPACED_BEFORE_PAREN: &str = "in values exists as on using and or not where select from join \
    then else when by set check key unique over filter";

/// Whether `word` is one of the space-separated `words`.
pub fn is_one_of(word: &str, words: &str) -> bool {
    words.split(' ').any(|w| w == word)
}

/// Splits `sql` into tokens; never fails (anything unknown becomes punctuation).
pub fn tokenize(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let (mut i, mut spaced) = (0, false);
    while i < b.len() {
        let (c, next) = (b[i], b.get(i + 1).copied().unwrap_or(0));
        let (end, class) = match c {
            _ if c.is_ascii_whitespace() => (i + 1, None),
            b'-' if next == b'-' => (find(b, i, b"\n"), None),
            b'/' if next == b'*' => ((find(b, i + 2, b"*/") + 2).min(b.len()), None),
            b'\'' => (quoted_end(b, i, b'\''), Some(Class::Value)),
            b'x' | b'X' if next == b'\'' => (quoted_end(b, i + 1, b'\''), Some(Class::Value)),
            b'"' | b'`' => (quoted_end(b, i, c), Some(Class::Quoted)),
            b'[' => ((find(b, i, b"]") + 1).min(b.len()), Some(Class::Quoted)),
            b'0'..=b'9' => (number_end(b, i), Some(Class::Value)),
            b'.' if next.is_ascii_digit() => (number_end(b, i), Some(Class::Value)),
            b'-' | b'+' if starts_number(b, i + 1) && is_sign(out.last()) => {
                (number_end(b, i + 1), Some(Class::Value))
            }
            b'?' => (digits_end(b, i + 1), Some(Class::Value)),
            b':' | b'@' | b'$' if is_ident(next) => (ident_end(b, i + 1), Some(Class::Value)),
            _ if is_ident(c) && !c.is_ascii_digit() && c != b'$' => {
                (ident_end(b, i), Some(Class::Word))
            }
            _ => (operator_end(b, i), Some(Class::Punct)),
        };
        let raw = &sql[i..end];
        i = end;
        let Some(mut class) = class else {
            spaced = true;
            continue;
        };
        // SQLite takes a string beside a `.` for a name: `'main'.'notes_fts_data'` (FTS5's own).
        // (`'x'.5` is a string and a number, not a qualified name.)
        let dot_name = b.get(end) == Some(&b'.') && !b.get(end + 1).is_some_and(u8::is_ascii_digit);
        if c == b'\'' && (dot_name || out.last().is_some_and(|t| t.is("."))) {
            class = Class::Quoted;
        }
        let text = match class {
            Class::Value => "?".to_owned(),
            Class::Word => raw.to_ascii_lowercase(),
            Class::Quoted => raw.replace(['\n', '\r', '\t'], " "),
            _ => raw.to_owned(),
        };
        out.push(Token {
            class,
            text,
            spaced,
        });
        spaced = false;
    }
    out
}

/// Whether a `-` or `+` after `previous` is a sign: at the start, after an operator or an opening
/// parenthesis, or after a keyword that an expression follows.
fn is_sign(previous: Option<&Token>) -> bool {
    previous.is_none_or(|p| match p.class {
        Class::Punct => p.text != ")",
        Class::Word => is_one_of(&p.text, EXPRESSION_STARTS),
        _ => false,
    })
}

/// Whether a character may be part of a bare word (digits and `$` not first).
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    i
}

fn digits_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    i
}

fn starts_number(b: &[u8], i: usize) -> bool {
    let digit = |at: usize| b.get(at).is_some_and(u8::is_ascii_digit);
    digit(i) || (b.get(i) == Some(&b'.') && digit(i + 1))
}

/// The end of a number: `42`, `3.14`, `.5`, `1e-5`, `0x1F`, `1_000`; letters glued to it
/// (`1abc`, an error for SQLite) stay part of it.
fn number_end(b: &[u8], i: usize) -> usize {
    let mut j = if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        i + 2
    } else {
        let mut j = digits_end(b, i);
        if b.get(j) == Some(&b'.') {
            j = digits_end(b, j + 1);
        }
        if matches!(b.get(j), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(b.get(j + 1), Some(b'+' | b'-')));
            if b.get(j + 1 + sign).is_some_and(u8::is_ascii_digit) {
                j = digits_end(b, j + 1 + sign);
            }
        }
        j
    };
    while j < b.len() && is_ident(b[j]) {
        j += 1;
    }
    j
}

/// Where `needle` starts at or after `from` (the end of the text when it does not occur).
fn find(b: &[u8], from: usize, needle: &[u8]) -> usize {
    b.get(from..)
        .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
        .map_or(b.len(), |at| from + at)
}

/// The end of a text quoted with `quote` starting at `i`, where a doubled quote stands for one.
fn quoted_end(b: &[u8], i: usize, quote: u8) -> usize {
    let mut j = i + 1;
    loop {
        j = find(b, j, &[quote]);
        if j + 1 < b.len() && b[j + 1] == quote {
            j += 2;
        } else {
            return (j + 1).min(b.len());
        }
    }
}

/// The end of the operator at `i`: the longest of SQLite's two- and three-character operators,
/// else one character.
fn operator_end(b: &[u8], i: usize) -> usize {
    let rest = &b[i..];
    if rest.starts_with(b"->>") {
        return i + 3;
    }
    const PAIRS: [&[u8]; 9] = [
        b"||", b"->", b"<=", b">=", b"==", b"!=", b"<>", b"<<", b">>",
    ];
    if PAIRS.iter().any(|p| rest.starts_with(p)) {
        i + 2
    } else {
        i + 1
    }
}

/// Folds every parenthesised list of values only into one `(...)` token, and the further rows
/// of a `VALUES (...), (...)` into the first; drops leading and trailing `;`.
pub fn fold(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let row = out.len() >= 2
            && out[out.len() - 1].class == Class::Folded
            && out[out.len() - 2].is("values");
        let more = values_list_end(&tokens, i + 1).filter(|_| row && tokens[i].is(","));
        if let Some(end) = more {
            i = end;
            continue;
        }
        if let Some(end) = values_list_end(&tokens, i) {
            out.push(Token {
                class: Class::Folded,
                text: "(...)".to_owned(),
                spaced: tokens[i].spaced,
            });
            i = end;
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    let lead = out.iter().take_while(|t| t.is(";")).count();
    out.drain(..lead);
    while out.last().is_some_and(|t| t.is(";")) {
        out.pop();
    }
    out
}

/// The index after `( ?, ?, … )` starting at `i`, if a list of values only starts there.
fn values_list_end(tokens: &[Token], i: usize) -> Option<usize> {
    if !tokens.get(i)?.is("(") {
        return None;
    }
    let mut j = i + 1;
    loop {
        if tokens.get(j)?.class != Class::Value {
            return None;
        }
        let after = tokens.get(j + 1)?;
        if after.is(")") {
            return Some(j + 2);
        }
        if !after.is(",") {
            return None;
        }
        j += 2;
    }
}

/// Writes tokens back as one line: one space between tokens, none after `(` and `.` nor before
/// `)`, `,`, `.` and `;`; before `(` a space as in the source (`count(*)`, `in (...)`), except
/// after a keyword of [`SPACED_BEFORE_PAREN`], which always has one.
pub fn render(tokens: &[Token]) -> String {
    let mut text = String::new();
    let mut previous: Option<&Token> = None;
    for token in tokens {
        if let Some(p) = previous {
            let glued = p.is("(") || p.is(".") || [")", ",", ".", ";"].iter().any(|s| token.is(s));
            let space = if token.opens() {
                token.spaced || (p.class == Class::Word && is_one_of(&p.text, SPACED_BEFORE_PAREN))
            } else {
                true
            };
            if space && !glued {
                text.push(' ');
            }
        }
        text.push_str(&token.text);
        previous = Some(token);
    }
    text
}
