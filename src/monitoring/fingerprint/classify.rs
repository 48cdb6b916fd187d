//! What a tokenized statement does and what it touches: its [`StatementKind`], its tables and
//! the subject the dashboard shows (see [`super::Fingerprint`] for the rules).

use super::StatementKind;
use super::tokens::{Class, Token, is_one_of};

/// Words that end a FROM clause at their parenthesis depth.
const FROM_ENDS: &str = "where group having order limit offset window union intersect except \
    returning select values set do conflict";

/// Words that start the statement a `WITH` clause leads to.
const MAIN_WORDS: &str = "select values insert replace update delete";

/// A statement's kind, tables and subject.
pub struct Classified {
    /// What the statement does.
    pub kind: StatementKind,
    /// The tables it reads or writes.
    pub tables: Vec<String>,
    /// What the dashboard shows after the kind.
    pub subject: String,
}

/// Classifies a statement's folded tokens (no trailing `;`).
pub fn classify(t: &[Token]) -> Classified {
    if t.is_empty() {
        return done(StatementKind::Other, Vec::new(), "empty");
    }
    let mut at = t.iter().position(|token| !token.is("(")).unwrap_or(t.len());
    if word(t, at, "explain") {
        at += if word(t, at + 1, "query") && word(t, at + 2, "plan") {
            3
        } else {
            1
        };
    }
    if t.get(at).is_some_and(|token| token.is("with")) {
        at = with_clause(t, at).1.unwrap_or(t.len());
    }
    let Some(first) = t.get(at).filter(|token| token.class == Class::Word) else {
        return done(StatementKind::Other, Vec::new(), "unknown");
    };
    match first.text.as_str() {
        "select" | "values" => dml(StatementKind::Select, t, None),
        "insert" | "replace" => {
            let into = (at..t.len()).find(|&i| t[i].is("into"));
            dml(
                StatementKind::Insert,
                t,
                into.and_then(|i| name_at(t, i + 1)),
            )
        }
        "update" => {
            let skip = if word(t, at + 1, "or") { 3 } else { 1 };
            dml(StatementKind::Update, t, name_at(t, at + skip))
        }
        "delete" => {
            let skip = if word(t, at + 1, "from") { 2 } else { 1 };
            dml(StatementKind::Delete, t, name_at(t, at + skip))
        }
        "create" | "drop" | "alter" | "attach" | "detach" => schema(t, at),
        "pragma" => {
            let name = name_at(t, at + 1).map(|(name, _)| unqualified(&name).to_owned());
            done_name(StatementKind::Pragma, Vec::new(), name)
        }
        "begin" | "commit" | "rollback" | "savepoint" | "release" => {
            done(StatementKind::Transaction, Vec::new(), &first.text)
        }
        "end" => done(StatementKind::Transaction, Vec::new(), "commit"),
        "vacuum" | "analyze" | "reindex" => {
            done(StatementKind::Maintenance, Vec::new(), &first.text)
        }
        _ => done(StatementKind::Other, Vec::new(), "unknown"),
    }
}

fn done(kind: StatementKind, tables: Vec<String>, subject: &str) -> Classified {
    Classified {
        kind,
        tables,
        subject: subject.to_owned(),
    }
}

/// A classification whose subject is `name`, else its tables, else `unknown`.
fn done_name(kind: StatementKind, tables: Vec<String>, name: Option<String>) -> Classified {
    let subject = name
        .or_else(|| (!tables.is_empty()).then(|| tables.join(", ")))
        .unwrap_or_else(|| "unknown".to_owned());
    Classified {
        kind,
        tables,
        subject,
    }
}

/// SELECT, INSERT, UPDATE, DELETE: the target (if any) first, then every table read.
fn dml(kind: StatementKind, t: &[Token], target: Option<(String, usize)>) -> Classified {
    let mut tables: Vec<String> = target.into_iter().map(|(name, _)| name).collect();
    add_all(&mut tables, sources(t));
    let subject = match (tables.is_empty(), kind) {
        (false, _) => tables.join(", "),
        (true, StatementKind::Select) => "no table".to_owned(),
        (true, _) => "unknown".to_owned(),
    };
    Classified {
        kind,
        tables,
        subject,
    }
}

/// CREATE, DROP, ALTER, ATTACH, DETACH.
fn schema(t: &[Token], at: usize) -> Classified {
    let kind = StatementKind::Schema;
    let verb = t[at].text.as_str();
    let mut i = at + 1;
    while ["temp", "temporary", "unique", "virtual", "database"]
        .iter()
        .any(|w| word(t, i, w))
    {
        i += 1;
    }
    if matches!(verb, "attach" | "detach") {
        let as_at = (i..t.len()).find(|&j| t[j].is("as")).map_or(i, |j| j + 1);
        let name = name_at(t, if verb == "attach" { as_at } else { i });
        return done_name(kind, Vec::new(), name.map(|(name, _)| name));
    }
    let object = t.get(i).map_or("", |token| token.text.as_str());
    i += 1;
    if word(t, i, "if") {
        i += if verb == "create" { 3 } else { 2 };
    }
    let Some((name, after)) = name_at(t, i) else {
        return done(kind, Vec::new(), "unknown");
    };
    let mut tables = Vec::new();
    match (verb, object) {
        ("create", "index" | "trigger") => {
            let on = (after..t.len()).find(|&j| t[j].is("on"));
            tables.extend(on.and_then(|j| name_at(t, j + 1)).map(|(table, _)| table));
        }
        ("create", "table" | "view") => {
            tables.push(name);
            add_all(&mut tables, sources(t));
        }
        (_, "table" | "view") => tables.push(name),
        ("drop", "index" | "trigger") => return done(kind, tables, &name),
        _ => {}
    }
    done_name(kind, tables, None)
}

/// Adds the names of `more` not yet in `tables`, in order.
fn add_all(tables: &mut Vec<String>, more: Vec<String>) {
    for name in more {
        if !tables.contains(&name) {
            tables.push(name);
        }
    }
}

/// Whether `token` is a word among the space-separated `words`.
fn is_word_of(token: &Token, words: &str) -> bool {
    token.class == Class::Word && is_one_of(&token.text, words)
}

fn word(t: &[Token], i: usize, text: &str) -> bool {
    t.get(i).is_some_and(|token| token.is(text))
}

/// The name starting at `i` (`notes`, `"Notes"`, `main.notes`) and the index after it.
/// `main.` and `temp.` are dropped; another schema stays (`backup.notes`).
fn name_at(t: &[Token], i: usize) -> Option<(String, usize)> {
    let first = t.get(i)?.name()?;
    if let Some(second) = t
        .get(i + 2)
        .and_then(Token::name)
        .filter(|_| word(t, i + 1, "."))
    {
        let name = match first.as_str() {
            "main" | "temp" => second,
            _ => format!("{first}.{second}"),
        };
        return Some((name, i + 3));
    }
    Some((first, i + 1))
}

/// The part of a name after its schema.
fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The common table expressions a `WITH` at `at` names, and where its statement starts.
fn with_clause(t: &[Token], at: usize) -> (Vec<String>, Option<usize>) {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut previous = "with";
    for (i, token) in t.iter().enumerate().skip(at + 1) {
        if token.is("(") {
            depth += 1;
        } else if token.is(")") {
            let Some(d) = depth.checked_sub(1) else { break };
            depth = d;
        } else if depth == 0 {
            if is_word_of(token, MAIN_WORDS) {
                return (names, Some(i));
            }
            if matches!(previous, "with" | "recursive" | ",") && !token.is("recursive") {
                names.extend(token.name());
            }
            previous = if token.class == Class::Word || token.is(",") {
                token.text.as_str()
            } else {
                ""
            };
        }
    }
    (names, None)
}

/// Every table named in a FROM clause or a join, at any depth, in order of appearance; common
/// table expressions and table-valued functions (`json_each(...)`) left out.
fn sources(t: &[Token]) -> Vec<String> {
    let mut ctes = Vec::new();
    for i in 0..t.len() {
        if t[i].is("with") {
            ctes.extend(with_clause(t, i).0);
        }
    }
    let mut found: Vec<String> = Vec::new();
    // Per open parenthesis: whether that level is inside a FROM clause.
    let mut in_from = vec![false];
    let mut expect = false;
    let mut i = 0;
    while i < t.len() {
        let token = &t[i];
        let level = in_from.len() - 1;
        if (token.is("from") && !(i > 0 && t[i - 1].is("distinct"))) || token.is("join") {
            (in_from[level], expect) = (true, true);
        } else if token.is(",") && in_from[level] {
            expect = true;
        } else if token.is("(") {
            in_from.push(expect);
        } else if token.is(")") {
            if level > 0 {
                in_from.pop();
            }
            expect = false;
        } else if is_word_of(token, FROM_ENDS) {
            (in_from[level], expect) = (false, false);
        } else if expect {
            expect = false;
            if let Some((name, after)) = name_at(t, i) {
                let function = t.get(after).is_some_and(Token::opens);
                if !function && !ctes.contains(&name) && !found.contains(&name) {
                    found.push(name);
                }
                i = after;
                continue;
            }
        }
        i += 1;
    }
    found
}
