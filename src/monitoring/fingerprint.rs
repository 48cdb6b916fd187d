//! Statement fingerprints (placeholder until the full normaliser lands).

use serde::Serialize;

/// What a statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    /// Reads.
    Select,
    /// Inserts.
    Insert,
    /// Updates.
    Update,
    /// Deletes.
    Delete,
    /// Schema changes.
    Schema,
    /// Pragmas.
    Pragma,
    /// Transaction control.
    Transaction,
    /// Maintenance.
    Maintenance,
    /// Anything else.
    Other,
}

impl StatementKind {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Select => "select",
            StatementKind::Insert => "insert",
            StatementKind::Update => "update",
            StatementKind::Delete => "delete",
            StatementKind::Schema => "schema",
            StatementKind::Pragma => "pragma",
            StatementKind::Transaction => "transaction",
            StatementKind::Maintenance => "maintenance",
            StatementKind::Other => "other",
        }
    }
}

/// A statement's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// 16 hex digits.
    pub id: String,
    /// Normalised text.
    pub text: String,
    /// Kind.
    pub kind: StatementKind,
    /// Tables.
    pub tables: Vec<String>,
    /// What follows the kind in the name.
    pub subject: String,
}

impl Fingerprint {
    /// `"{kind} {subject}"`.
    pub fn name(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.subject)
    }

    /// Whether kind and subject were worked out.
    pub fn is_classified(&self) -> bool {
        self.kind != StatementKind::Other && self.subject != "unknown"
    }
}

/// Fingerprints one SQL text.
pub fn fingerprint(sql: &str) -> Fingerprint {
    let text = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split([' ', '(', ')', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let kind = match words.first().copied().unwrap_or("") {
        "select" | "with" => StatementKind::Select,
        "insert" | "replace" => StatementKind::Insert,
        "update" => StatementKind::Update,
        "delete" => StatementKind::Delete,
        "create" | "drop" | "alter" => StatementKind::Schema,
        "pragma" => StatementKind::Pragma,
        "begin" | "commit" | "rollback" | "savepoint" | "release" | "end" => {
            StatementKind::Transaction
        }
        _ => StatementKind::Other,
    };
    let after = |k: &str| {
        words
            .iter()
            .position(|w| *w == k)
            .and_then(|i| words.get(i + 1))
    };
    let table = after("from")
        .or_else(|| after("into"))
        .or_else(|| after("update"))
        .map_or_else(|| "unknown".to_owned(), |t| (*t).to_owned());
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    Fingerprint {
        id: format!("{hash:016x}"),
        text,
        kind,
        tables: vec![table.clone()],
        subject: table,
    }
}
