//! Statement fingerprints, as PostgreSQL's `pg_stat_statements` groups statements: one
//! normalised text per statement shape, with what the statement does and what it touches.
//!
//! # Normalisation
//!
//! [`fingerprint`] reads the SQL text once, token by token, and writes it back as follows.
//!
//! - `--` and `/* */` comments are removed; whitespace is collapsed: one space between tokens,
//!   none after `(` and `.` nor before `)`, `,`, `.` and `;`. Before `(` there is a space when the
//!   source had one (`count(*)`, `notes (slug, …)`) and always after a keyword such as `in`,
//!   `values` or `exists`.
//! - Keywords and bare names are lower-cased (ASCII, as SQLite compares names); quoted
//!   identifiers (`"a b"`, `` `a` ``, `[a]`) keep their text and quotes.
//! - Literals become `?`: strings (`'it''s'`), blobs (`X'0A'`), numbers (`42`, `3.14`, `.5`,
//!   `1e5`, `0x1F`), and a sign glued to a number where it cannot be a subtraction (at the
//!   start, after an operator, `(`, `,` or a keyword such as `select`, `where`, `then`,
//!   `default`): `x = -1` → `x = ?`, but `a - 1` → `a - ?`. Digits inside names stay (`t1`).
//! - Parameters `?`, `?NNN`, `:name`, `@name` and `$name` become `?`.
//! - A parenthesised list of `?` only becomes `(...)`, so `in (?1, ?2)` and `in (?, ?, ?)`
//!   share a fingerprint; the further rows of `values (...), (...)` fold into the first.
//! - Leading and trailing `;` are dropped.
//!
//! The id is the FNV-1a 64-bit hash of the whole normalised text, in 16 hex digits: stable
//! across runs, builds and machines. The text kept is cut to [`TEXT_MAX_CHARS`] characters.
//!
//! # Classification
//!
//! The kind comes from the first word (after `EXPLAIN [QUERY PLAN]`, and after the common table
//! expressions of a `WITH`: `WITH x AS (…) DELETE …` is a delete). Tables are those named after
//! `FROM`, `JOIN`, a comma of a FROM clause, `INTO` (INSERT), `UPDATE` and in schema statements;
//! for INSERT, UPDATE and DELETE the target comes first. Decisions:
//!
//! - A schema-qualified name drops `main.` and `temp.` (they are the connection's own
//!   databases): `main.notes` is `notes`; another schema stays: `backup.notes`.
//! - CREATE INDEX and CREATE TRIGGER name the table they are ON (a trigger's body is part of
//!   its text, not of its tables); CREATE TABLE … AS SELECT and CREATE VIEW name the new table
//!   and then what it reads; DROP INDEX and DROP TRIGGER have no table and show the dropped
//!   object's name as subject.
//! - ATTACH and DETACH are [`StatementKind::Schema`] with the schema's name as subject.
//! - PRAGMA shows the pragma's name without schema; `PRAGMA optimize` is a pragma.
//! - Transactions show their verb; `END` is `commit`, `ROLLBACK TO x` is `rollback`.
//! - An empty text (only comments) is [`StatementKind::Other`] with subject `empty`; anything
//!   not understood is `other unknown`.

mod classify;
mod tokens;

use serde::Serialize;

/// Longest normalised text kept in a [`Fingerprint`], in characters (an `…` follows the cut).
pub const TEXT_MAX_CHARS: usize = 200;

/// What a statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    /// SELECT or VALUES.
    Select,
    /// INSERT, REPLACE, upserts.
    Insert,
    /// UPDATE.
    Update,
    /// DELETE.
    Delete,
    /// CREATE, DROP, ALTER, ATTACH, DETACH.
    Schema,
    /// PRAGMA.
    Pragma,
    /// BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE.
    Transaction,
    /// VACUUM, ANALYZE, REINDEX.
    Maintenance,
    /// Anything else.
    Other,
}

impl StatementKind {
    /// The lower-case name shown on the dashboard and in JSON.
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

/// A statement's fingerprint: its normalised text and what it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// 16 lower-case hex digits: FNV-1a 64-bit hash of the full normalised text.
    pub id: String,
    /// The normalised text on one line, cut to at most [`TEXT_MAX_CHARS`] characters plus `…`.
    pub text: String,
    /// What the statement does.
    pub kind: StatementKind,
    /// Tables (and views, virtual tables) it reads or writes: distinct, lower-case, unquoted, the
    /// target first, then in order of appearance; common table expressions and table-valued
    /// functions left out.
    pub tables: Vec<String>,
    /// What the dashboard shows after the kind: the tables joined with `, `; a pragma's name; a
    /// transaction's verb; a maintenance command; `no table` for a SELECT without one.
    pub subject: String,
}

impl Fingerprint {
    /// `"{kind} {subject}"`, e.g. `select notes, notes_fts` or `pragma journal_mode`.
    pub fn name(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.subject)
    }

    /// Whether kind and subject were worked out (kind not `other`, subject not `unknown`).
    pub fn is_classified(&self) -> bool {
        self.kind != StatementKind::Other && self.subject != "unknown"
    }
}

/// Fingerprints one SQL text as given to SQLite.
pub fn fingerprint(sql: &str) -> Fingerprint {
    let tokens = tokens::fold(tokens::tokenize(sql));
    let text = tokens::render(&tokens);
    let classified = classify::classify(&tokens);
    Fingerprint {
        id: format!("{:016x}", fnv1a(text.as_bytes())),
        text: cut(text),
        kind: classified.kind,
        tables: classified.tables,
        subject: classified.subject,
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// At most [`TEXT_MAX_CHARS`] characters, and `…` when cut.
fn cut(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(TEXT_MAX_CHARS) {
        text.truncate(at);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};

    #[test]
    fn literals_parameters_comments_and_whitespace_are_normalised() {
        let cases = [
            (
                "SELECT id FROM notes WHERE id = ?1",
                "select id from notes where id = ?",
            ),
            (
                "select  id\n\tFROM notes -- trailing\n WHERE id=:id;",
                "select id from notes where id = ?",
            ),
            ("SELECT /* hint */ id FROM/**/notes", "select id from notes"),
            (
                "SELECT 'it''s -- not; a ? /* comment' FROM notes",
                "select ? from notes",
            ),
            ("SELECT x'0A', X'ff'", "select ?, ?"),
            (
                "SELECT 42, 3.14, .5, 1e5, 1.5E-3, 0x1F, 1_000",
                "select ?, ?, ?, ?, ?, ?, ?",
            ),
            (
                "SELECT -1, a - 1, a-1, a -1, (b) -2, x = -3.5, ?-1",
                "select ?, a - ?, a - ?, a - ?, (b) - ?, x = ?, ? - ?",
            ),
            (
                "SELECT CASE WHEN a THEN -1 ELSE +2 END FROM t LIMIT -1 OFFSET 2*-3",
                "select case when a then ? else ? end from t limit ? offset ? * ?",
            ),
            (
                "SELECT * FROM t1 WHERE notes_fts5 = 2",
                "select * from t1 where notes_fts5 = ?",
            ),
            ("SELECT ?, ?12, :name, @name, $name", "select ?, ?, ?, ?, ?"),
            (
                "SELECT * FROM notes WHERE id IN (?1,?2)",
                "select * from notes where id in (...)",
            ),
            (
                "SELECT * FROM t WHERE id IN(1, 'a', -2)",
                "select * from t where id in (...)",
            ),
            (
                "SELECT * FROM t WHERE id IN (1, b)",
                "select * from t where id in (?, b)",
            ),
            (
                "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4), (5, 6);",
                "insert into t (a, b) values (...)",
            ),
            (
                "INSERT INTO t(a) VALUES(?)",
                "insert into t(a) values (...)",
            ),
            (
                "SELECT \"My Col\", [other col], `x y` FROM \"Notes Table\"",
                "select \"My Col\", [other col], `x y` from \"Notes Table\"",
            ),
            ("SELECT \"a\"\"b\" FROM T", "select \"a\"\"b\" from t"),
            (
                "SELECT 'café ☕' FROM notes WHERE name = 'Ünïcödé'",
                "select ? from notes where name = ?",
            ),
            ("SELECT Zoë FROM Notes", "select zoë from notes"),
            (
                "SELECT notes.id, t.* FROM main . notes",
                "select notes.id, t.* from main.notes",
            ),
            (
                "SELECT count( * ), max (id) FROM notes",
                "select count(*), max (id) from notes",
            ),
            (
                "SELECT a||b, c->>'$.x', d<>e, f->g",
                "select a || b, c ->> ?, d <> e, f -> g",
            ),
            ("SELECT 1 ;;", "select ?"),
            (";SELECT 1", "select ?"),
            ("  \n-- only a comment\n", ""),
            ("SELECT 'unterminated", "select ?"),
            ("SELECT \"unterminated", "select \"unterminated"),
            ("SELECT 1 /* unterminated", "select ?"),
            (
                "REPLACE INTO 'main'.'notes_fts_data'(id, block) VALUES(?,?)",
                "replace into 'main'.'notes_fts_data'(id, block) values (...)",
            ),
            ("SELECT 'a' || 'b', 'c'", "select ? || ?, ?"),
        ];
        for (sql, text) in cases {
            assert_eq!(fingerprint(sql).text, text, "{sql}");
        }
    }

    #[test]
    fn equal_statements_share_an_id_and_different_ones_do_not() {
        let same = [
            (
                "SELECT * FROM notes WHERE id IN (?1,?2)",
                "select * from notes where id in (?, ?, ?, ?)",
            ),
            (
                "INSERT INTO t (a, b) VALUES (?1, ?2, ?3)",
                "insert into t (a, b) values (?, ?, ?), (?, ?, ?)",
            ),
            (
                "SELECT id FROM notes WHERE slug = 'a'",
                "select id\nfrom notes -- c\nwhere slug = :slug",
            ),
            (
                "SELECT a FROM t WHERE a=1",
                "SELECT a FROM t WHERE a = 2.5;",
            ),
            ("UPDATE t SET a = -1", "update t set a = 7"),
        ];
        for (a, b) in same {
            assert_eq!(fingerprint(a).id, fingerprint(b).id, "{a} / {b}");
        }
        let different = [
            ("SELECT id FROM notes", "SELECT id FROM sessions"),
            ("SELECT \"Notes\" FROM t", "SELECT notes FROM t"),
            ("SELECT a - 1 FROM t", "SELECT a, -1 FROM t"),
            ("SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = b"),
            (
                "DELETE FROM t WHERE x IN (?, ?)",
                "DELETE FROM t WHERE x IN (?, y)",
            ),
            ("SELECT 'a;b'", "SELECT 'a'; SELECT 'b'"),
        ];
        for (a, b) in different {
            assert_ne!(fingerprint(a).id, fingerprint(b).id, "{a} / {b}");
        }
    }

    use StatementKind::*;

    /// (SQL, kind, tables, subject).
    const CLASSIFIED: &[(&str, StatementKind, &[&str], &str)] = &[
        (
            "SELECT id FROM notes WHERE id = ?1",
            Select,
            &["notes"],
            "notes",
        ),
        ("SELECT 1", Select, &[], "no table"),
        ("VALUES (1, 2)", Select, &[], "no table"),
        (
            "EXPLAIN QUERY PLAN SELECT * FROM notes",
            Select,
            &["notes"],
            "notes",
        ),
        (
            "SELECT a.x FROM notes a, sessions AS b WHERE a.id = b.id",
            Select,
            &["notes", "sessions"],
            "notes, sessions",
        ),
        (
            "SELECT * FROM notes n LEFT OUTER JOIN media m ON m.id = n.id CROSS JOIN sessions \
             NATURAL JOIN grants INNER JOIN passkeys USING (id), owner_password",
            Select,
            &[
                "notes",
                "media",
                "sessions",
                "grants",
                "passkeys",
                "owner_password",
            ],
            "notes, media, sessions, grants, passkeys, owner_password",
        ),
        (
            "SELECT * FROM (SELECT id FROM notes) AS s JOIN (media m JOIN sessions s2 ON 1) ON 1",
            Select,
            &["notes", "media", "sessions"],
            "notes, media, sessions",
        ),
        (
            "SELECT EXISTS (SELECT 1 FROM notes WHERE slug = ?1)",
            Select,
            &["notes"],
            "notes",
        ),
        (
            "SELECT * FROM notes WHERE id IN (SELECT note_id FROM media) \
             AND EXISTS (SELECT 1 FROM sessions)",
            Select,
            &["notes", "media", "sessions"],
            "notes, media, sessions",
        ),
        (
            "SELECT id FROM notes UNION ALL SELECT id FROM media INTERSECT SELECT id FROM grants \
             EXCEPT SELECT id FROM passkeys",
            Select,
            &["notes", "media", "grants", "passkeys"],
            "notes, media, grants, passkeys",
        ),
        (
            "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?1",
            Select,
            &["notes_fts"],
            "notes_fts",
        ),
        (
            "SELECT notes.id, snippet(notes_fts, 1, char(2), char(3), '…', 16) FROM notes_fts \
             JOIN notes ON notes.id = notes_fts.rowid WHERE notes_fts MATCH ?1 \
             ORDER BY notes_fts.rank, notes.published_at DESC LIMIT ?2 OFFSET ?3",
            Select,
            &["notes_fts", "notes"],
            "notes_fts, notes",
        ),
        (
            "WITH recent AS (SELECT * FROM notes) SELECT * FROM recent JOIN media ON 1",
            Select,
            &["notes", "media"],
            "notes, media",
        ),
        (
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 5) \
             SELECT n FROM c",
            Select,
            &[],
            "no table",
        ),
        (
            "WITH a AS (SELECT 1), b(x, y) AS MATERIALIZED (SELECT x, y FROM sessions) \
             SELECT * FROM a, b, notes",
            Select,
            &["sessions", "notes"],
            "sessions, notes",
        ),
        (
            "SELECT DISTINCT c.value FROM notes, json_each(notes.properties, '$.category') AS c \
             WHERE c.type = 'text' ORDER BY c.value, 1 LIMIT 10, 20",
            Select,
            &["notes"],
            "notes",
        ),
        (
            "SELECT * FROM pragma_table_info('notes')",
            Select,
            &[],
            "no table",
        ),
        (
            "SELECT * FROM main.notes JOIN backup.notes USING (id)",
            Select,
            &["notes", "backup.notes"],
            "notes, backup.notes",
        ),
        (
            "SELECT * FROM \"Notes\" JOIN `media` JOIN [Sessions]",
            Select,
            &["notes", "media", "sessions"],
            "notes, media, sessions",
        ),
        (
            "SELECT * FROM t WHERE a IS NOT DISTINCT FROM b.c",
            Select,
            &["t"],
            "t",
        ),
        (
            "SELECT (SELECT count(*) FROM owner_password), (SELECT count(*) FROM passkeys)",
            Select,
            &["owner_password", "passkeys"],
            "owner_password, passkeys",
        ),
        (
            "SELECT T.'id' FROM 'main'.'notes' AS T WHERE T.'id'=?",
            Select,
            &["notes"],
            "notes",
        ),
        (
            "INSERT INTO notes (slug) VALUES (?1) RETURNING id",
            Insert,
            &["notes"],
            "notes",
        ),
        (
            "REPLACE INTO 'main'.'notes_fts_data'(id, block) VALUES(?,?)",
            Insert,
            &["notes_fts_data"],
            "notes_fts_data",
        ),
        ("PRAGMA 'main'.data_version", Pragma, &[], "data_version"),
        (
            "INSERT OR REPLACE INTO sessions VALUES (?)",
            Insert,
            &["sessions"],
            "sessions",
        ),
        (
            "insert or ignore into media (a) values (1)",
            Insert,
            &["media"],
            "media",
        ),
        (
            "REPLACE INTO grants (id) VALUES (?)",
            Insert,
            &["grants"],
            "grants",
        ),
        ("INSERT INTO t DEFAULT VALUES", Insert, &["t"], "t"),
        (
            "INSERT INTO archive (id) SELECT n.id FROM notes n JOIN media ON 1",
            Insert,
            &["archive", "notes", "media"],
            "archive, notes, media",
        ),
        (
            "INSERT INTO owner_password (id, phc, updated_at) VALUES (1, ?1, ?2) ON CONFLICT (id) \
             DO UPDATE SET phc = excluded.phc, updated_at = excluded.updated_at",
            Insert,
            &["owner_password"],
            "owner_password",
        ),
        (
            "WITH x AS (SELECT id FROM notes) INSERT INTO media (id) SELECT id FROM x",
            Insert,
            &["media", "notes"],
            "media, notes",
        ),
        (
            "UPDATE notes SET a = 1 WHERE id = ?",
            Update,
            &["notes"],
            "notes",
        ),
        (
            "UPDATE OR IGNORE notes SET x = 1",
            Update,
            &["notes"],
            "notes",
        ),
        (
            "UPDATE notes SET x = m.x, y = 2 FROM media AS m, sessions WHERE m.id = notes.id",
            Update,
            &["notes", "media", "sessions"],
            "notes, media, sessions",
        ),
        (
            "UPDATE main.notes SET x = (SELECT max(id) FROM media)",
            Update,
            &["notes", "media"],
            "notes, media",
        ),
        (
            "DELETE FROM sessions WHERE expires_at <= ?1",
            Delete,
            &["sessions"],
            "sessions",
        ),
        (
            "WITH old AS (SELECT id FROM notes WHERE x) DELETE FROM media WHERE id IN old",
            Delete,
            &["media", "notes"],
            "media, notes",
        ),
        (
            "DELETE FROM auth_states WHERE state_hash IN (SELECT state_hash FROM auth_states \
             ORDER BY created_at LIMIT 10) RETURNING code_verifier",
            Delete,
            &["auth_states"],
            "auth_states",
        ),
        (
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, \
             g INTEGER REFERENCES grants (id) ON DELETE CASCADE)",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "CREATE TEMP TABLE IF NOT EXISTS scratch (x)",
            Schema,
            &["scratch"],
            "scratch",
        ),
        (
            "CREATE TABLE copy AS SELECT * FROM notes",
            Schema,
            &["copy", "notes"],
            "copy, notes",
        ),
        (
            "CREATE UNIQUE INDEX IF NOT EXISTS notes_slug ON notes (slug)",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "CREATE INDEX notes_by_date ON main.notes (published_at DESC) WHERE deleted_at IS NULL",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE OF name, content ON notes BEGIN \
             UPDATE site_version SET version = version + 1; INSERT INTO x VALUES (1); END",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "CREATE TEMP TRIGGER t INSTEAD OF DELETE ON v BEGIN DELETE FROM notes; END",
            Schema,
            &["v"],
            "v",
        ),
        (
            "CREATE VIEW IF NOT EXISTS visible AS SELECT * FROM notes",
            Schema,
            &["visible", "notes"],
            "visible, notes",
        ),
        (
            "CREATE VIRTUAL TABLE notes_fts USING fts5(name, content = 'notes')",
            Schema,
            &["notes_fts"],
            "notes_fts",
        ),
        (
            "DROP TABLE IF EXISTS notes_fts",
            Schema,
            &["notes_fts"],
            "notes_fts",
        ),
        ("DROP VIEW visible", Schema, &["visible"], "visible"),
        (
            "DROP INDEX IF EXISTS notes_by_date",
            Schema,
            &[],
            "notes_by_date",
        ),
        (
            "DROP TRIGGER notes_fts_after_insert",
            Schema,
            &[],
            "notes_fts_after_insert",
        ),
        (
            "ALTER TABLE notes ADD COLUMN x TEXT",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "ALTER TABLE notes RENAME TO old_notes",
            Schema,
            &["notes"],
            "notes",
        ),
        (
            "ALTER TABLE sessions RENAME COLUMN a TO b",
            Schema,
            &["sessions"],
            "sessions",
        ),
        (
            "ATTACH DATABASE 'backup.db' AS backup",
            Schema,
            &[],
            "backup",
        ),
        ("ATTACH ? AS old", Schema, &[], "old"),
        ("DETACH DATABASE backup", Schema, &[], "backup"),
        ("DETACH old", Schema, &[], "old"),
        ("PRAGMA journal_mode", Pragma, &[], "journal_mode"),
        ("PRAGMA journal_mode = WAL", Pragma, &[], "journal_mode"),
        ("PRAGMA journal_mode='WAL'", Pragma, &[], "journal_mode"),
        ("PRAGMA main.journal_mode", Pragma, &[], "journal_mode"),
        (
            "PRAGMA wal_checkpoint(TRUNCATE)",
            Pragma,
            &[],
            "wal_checkpoint",
        ),
        ("PRAGMA table_info(notes)", Pragma, &[], "table_info"),
        ("PRAGMA optimize", Pragma, &[], "optimize"),
        ("PRAGMA foreign_keys=1", Pragma, &[], "foreign_keys"),
        ("BEGIN", Transaction, &[], "begin"),
        ("BEGIN DEFERRED", Transaction, &[], "begin"),
        ("BEGIN IMMEDIATE TRANSACTION", Transaction, &[], "begin"),
        ("BEGIN EXCLUSIVE", Transaction, &[], "begin"),
        ("COMMIT", Transaction, &[], "commit"),
        ("COMMIT TRANSACTION", Transaction, &[], "commit"),
        ("END", Transaction, &[], "commit"),
        ("END TRANSACTION", Transaction, &[], "commit"),
        ("ROLLBACK", Transaction, &[], "rollback"),
        ("ROLLBACK TO _rusqlite_sp", Transaction, &[], "rollback"),
        (
            "ROLLBACK TRANSACTION TO SAVEPOINT x",
            Transaction,
            &[],
            "rollback",
        ),
        ("SAVEPOINT _rusqlite_sp", Transaction, &[], "savepoint"),
        ("RELEASE _rusqlite_sp", Transaction, &[], "release"),
        ("RELEASE SAVEPOINT x", Transaction, &[], "release"),
        ("VACUUM", Maintenance, &[], "vacuum"),
        ("VACUUM INTO ?", Maintenance, &[], "vacuum"),
        ("VACUUM main INTO '/tmp/x.db'", Maintenance, &[], "vacuum"),
        ("ANALYZE", Maintenance, &[], "analyze"),
        ("ANALYZE notes", Maintenance, &[], "analyze"),
        ("REINDEX notes_by_date", Maintenance, &[], "reindex"),
        ("", Other, &[], "empty"),
        ("-- TRIGGER notes_fts_after_insert", Other, &[], "empty"),
        ("FROBNICATE x", Other, &[], "unknown"),
        ("INSERT", Insert, &[], "unknown"),
        ("((", Other, &[], "unknown"),
    ];

    #[test]
    fn every_form_of_statement_is_classified() {
        let mut wrong = Vec::new();
        for &(sql, kind, tables, subject) in CLASSIFIED {
            let f = fingerprint(sql);
            if (f.kind, f.tables.as_slice(), f.subject.as_str())
                != (
                    kind,
                    &tables.iter().map(|t| t.to_string()).collect::<Vec<_>>()[..],
                    subject,
                )
            {
                wrong.push(format!(
                    "{sql}\n  got {:?} {:?} {:?}",
                    f.kind, f.tables, f.subject
                ));
            }
            let expected = kind != Other && subject != "unknown";
            assert_eq!(f.is_classified(), expected, "{sql}");
        }
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn the_name_is_kind_and_subject() {
        let names = [
            (
                "SELECT * FROM notes_fts JOIN notes ON 1",
                "select notes_fts, notes",
            ),
            ("PRAGMA journal_mode", "pragma journal_mode"),
            ("BEGIN IMMEDIATE", "transaction begin"),
            ("SELECT 1", "select no table"),
            ("VACUUM", "maintenance vacuum"),
        ];
        for (sql, name) in names {
            assert_eq!(fingerprint(sql).name(), name, "{sql}");
        }
        assert_eq!(StatementKind::Maintenance.as_str(), "maintenance");
        assert_eq!(
            serde_json::to_value(StatementKind::Pragma).unwrap(),
            "pragma"
        );
    }

    #[test]
    fn the_id_is_sixteen_hex_digits_of_fnv_1a() {
        // Reference values of FNV-1a 64 (the empty text and "a").
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fingerprint("-- nothing").id, "cbf29ce484222325");
        // Pinned: a change of algorithm or normalisation shows here.
        let f = fingerprint("SELECT id FROM notes WHERE id = ?1");
        assert_eq!(f.text, "select id from notes where id = ?");
        assert_eq!(f.id, PINNED_ID);
    }

    /// FNV-1a 64 of `select id from notes where id = ?` (checked with an independent script).
    const PINNED_ID: &str = "00c1f79c4ac5ff83";

    #[test]
    fn the_text_is_cut_at_two_hundred_characters_after_the_id_is_taken() {
        let long = |last: &str| format!("SELECT {} {last} FROM notes", "é, ".repeat(100));
        let (a, b) = (fingerprint(&long("a")), fingerprint(&long("b")));
        assert_eq!(a.text.chars().count(), TEXT_MAX_CHARS + 1);
        assert!(a.text.ends_with('…'));
        assert_eq!(a.text, b.text);
        assert_ne!(a.id, b.id);
        let exact = format!("select {}", "x".repeat(TEXT_MAX_CHARS - 7));
        assert_eq!(fingerprint(&exact).text, exact);
    }

    proptest! {
        #[test]
        fn any_text_fingerprints_without_panic(sql in any::<String>()) {
            let f = fingerprint(&sql);
            prop_assert!(is_hex_id(&f.id));
            prop_assert!(!f.text.contains('\n'));
            prop_assert!(f.text.chars().count() <= TEXT_MAX_CHARS + 1);
        }

        #[test]
        fn sql_like_soup_fingerprints_without_panic(
            parts in proptest::collection::vec(proptest::sample::select(SOUP.to_vec()), 0..40),
            glue in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\n"]), 40),
        ) {
            let sql: String = parts.iter().zip(&glue).map(|(p, g)| format!("{p}{g}")).collect();
            let f = fingerprint(&sql);
            prop_assert!(is_hex_id(&f.id));
            let again = fingerprint(&f.text);
            prop_assert_eq!(&again.text, &f.text, "normalising is idempotent: {}", sql);
        }
    }

    const SOUP: &[&str] = &[
        "SELECT",
        "FROM",
        "notes",
        "WITH",
        "AS",
        "(",
        ")",
        ",",
        ";",
        "'",
        "''",
        "\"",
        "`",
        "[",
        "]",
        "-",
        "+",
        "1",
        "0x",
        ".5",
        "e",
        "?",
        "?3",
        ":a",
        "$",
        "@",
        "--",
        "/*",
        "*/",
        "JOIN",
        "ON",
        "INSERT",
        "INTO",
        "VALUES",
        "UPDATE",
        "SET",
        "DELETE",
        "CREATE",
        "TRIGGER",
        "BEGIN",
        "END",
        "PRAGMA",
        "main",
        ".",
        "x'",
        "é",
        "DISTINCT",
        "RECURSIVE",
        "json_each",
        "ATTACH",
        "DROP",
    ];

    fn is_hex_id(id: &str) -> bool {
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    // Starpunk's own SQL: every statement it runs must be classified, with plausible tables.

    fn manifest() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every string literal (plain, byte and raw) of a Rust source, unescaped; comments skipped.
    fn rust_strings(src: &str) -> Vec<String> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let previous_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = src[i..].find('\n').map_or(b.len(), |e| i + e);
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i = src[i + 2..].find("*/").map_or(b.len(), |e| i + 4 + e);
                }
                b'r' if (!previous_ident || b[i - 1] == b'b')
                    && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
                {
                    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                    if b.get(i + 1 + hashes) != Some(&b'"') {
                        i += 1;
                        continue;
                    }
                    let start = i + 2 + hashes;
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = src[start..].find(&close).map_or(b.len(), |e| start + e);
                    out.push(src[start..end].to_owned());
                    i = end + close.len();
                }
                b'"' => {
                    let (text, end) = unescape(src, i + 1);
                    out.push(text);
                    i = end;
                }
                b'\'' if b.get(i + 1) == Some(&b'\\') => {
                    i = src[i + 3..].find('\'').map_or(b.len(), |e| i + 4 + e);
                }
                b'\'' => {
                    let c = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    i += if src[i + 1 + c..].starts_with('\'') {
                        2 + c
                    } else {
                        1
                    };
                }
                _ => i += 1,
            }
        }
        out
    }

    /// The text of a Rust string literal whose body starts at `i`, and the index after it.
    fn unescape(src: &str, mut i: usize) -> (String, usize) {
        let mut text = String::new();
        let mut chars = src[i..].chars();
        while let Some(c) = chars.next() {
            i += c.len_utf8();
            match c {
                '"' => return (text, i),
                '\\' => {
                    let e = chars.next().unwrap();
                    i += e.len_utf8();
                    match e {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        'r' => text.push('\r'),
                        '0' => text.push('\0'),
                        '\n' => {
                            let rest = chars.as_str();
                            let skipped = rest.len() - rest.trim_start().len();
                            i += skipped;
                            chars = src[i..].chars();
                        }
                        'x' => {
                            let code = u32::from_str_radix(&src[i..i + 2], 16).unwrap();
                            text.push(char::from_u32(code).unwrap());
                            i += 2;
                            chars = src[i..].chars();
                        }
                        'u' => {
                            let close = src[i..].find('}').unwrap();
                            let code = u32::from_str_radix(&src[i + 1..i + close], 16).unwrap();
                            text.push(char::from_u32(code).unwrap());
                            i += close + 1;
                            chars = src[i..].chars();
                        }
                        other => text.push(other),
                    }
                }
                _ => text.push(c),
            }
        }
        (text, i)
    }

    /// Whether a string literal is a SQL statement: its first word (any case) is a statement
    /// keyword and the next word fits that statement's grammar (so that "Delete", "create" or
    /// "update by form" in the user interface are not taken for SQL).
    fn is_sql(text: &str) -> bool {
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        let first = words.first().map_or("", String::as_str);
        let second = words.get(1).map_or("", |w| w.trim_end_matches(';'));
        let one_of = |set: &[&str]| set.contains(&second);
        match first {
            "SELECT" | "PRAGMA" => !second.is_empty(),
            "WITH" => words.iter().any(|w| w == "AS"),
            "INSERT" => one_of(&["INTO", "OR"]),
            "REPLACE" => one_of(&["INTO"]),
            "UPDATE" => words.iter().any(|w| w == "SET"),
            "DELETE" => one_of(&["FROM"]),
            "CREATE" => one_of(&[
                "TABLE",
                "INDEX",
                "UNIQUE",
                "TRIGGER",
                "VIEW",
                "VIRTUAL",
                "TEMP",
                "TEMPORARY",
            ]),
            "DROP" => one_of(&["TABLE", "INDEX", "TRIGGER", "VIEW"]),
            "ALTER" => one_of(&["TABLE"]),
            "BEGIN" | "COMMIT" | "ROLLBACK" | "VACUUM" | "ANALYZE" | "RELEASE" => {
                words.len() <= 4
                    && one_of(&[
                        "",
                        "DEFERRED",
                        "IMMEDIATE",
                        "EXCLUSIVE",
                        "TRANSACTION",
                        "TO",
                        "SAVEPOINT",
                        "INTO",
                    ])
            }
            "SAVEPOINT" => words.len() == 2,
            _ => false,
        }
    }

    /// `format!` placeholders (`{COLUMNS}`, `{}`) replaced by a column name.
    fn without_placeholders(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let inner_end = rest[open + 1..].find('}').map(|e| open + 1 + e);
            match inner_end {
                Some(close)
                    if rest[open + 1..close]
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_:?.".contains(c)) =>
                {
                    out.push('x');
                    rest = &rest[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = &rest[open + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The SQL string literals of `src/` outside `monitoring/` (whose literals are metric names
    /// and this module's own test inputs, not statements starpunk runs), as (file, SQL).
    fn source_statements() -> Vec<(String, String)> {
        let mut files = Vec::new();
        rust_files(&manifest().join("src"), &mut files);
        files.sort();
        let mut found = Vec::new();
        for file in files {
            let rel = file.strip_prefix(manifest()).unwrap().display().to_string();
            if rel.starts_with("src/monitoring") {
                continue;
            }
            let src = std::fs::read_to_string(&file).unwrap();
            for text in rust_strings(&src) {
                if is_sql(text.trim()) {
                    found.push((rel.clone(), without_placeholders(&text)));
                }
            }
        }
        found
    }

    thread_local! {
        static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// The SQL text of every statement SQLite ran during `work`, as the metrics hook sees it.
    fn traced(work: impl FnOnce(&mut rusqlite::Connection)) -> Vec<String> {
        use rusqlite::trace::{TraceEvent, TraceEventCodes};
        fn hook(event: TraceEvent<'_>) {
            if let TraceEvent::Profile(stmt, _) = event {
                SEEN.with(|seen| seen.borrow_mut().push(stmt.sql().into_owned()));
            }
        }
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        SEEN.with(|seen| seen.borrow_mut().clear());
        conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(hook));
        work(&mut conn);
        SEEN.with(|seen| seen.take())
    }

    /// Every statement of the migrations in `sql/`, split by SQLite itself (which keeps a
    /// trigger's body and a string's `;` inside their statement), as (file, SQL).
    fn migration_statements() -> Vec<(String, String)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("sql"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        let mut found = Vec::new();
        traced(|conn| {
            for file in &files {
                let sql = std::fs::read_to_string(file).unwrap();
                SEEN.with(|seen| seen.borrow_mut().clear());
                conn.execute_batch(&sql).unwrap();
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                for text in SEEN.with(|seen| seen.take()) {
                    found.push((name.clone(), text));
                }
            }
        });
        found
    }

    /// What SQLite itself runs for starpunk's full-text index (FTS5 keeps it in shadow tables,
    /// `'main'.'notes_fts_data'` …) while notes are written, searched and deleted.
    fn fts5_statements() -> Vec<(String, String)> {
        let migrations: Vec<String> = {
            let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("sql"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap())
                .collect()
        };
        traced(|conn| {
            for sql in &migrations {
                conn.execute_batch(sql).unwrap();
            }
            SEEN.with(|seen| seen.borrow_mut().clear());
            conn.execute(
                "INSERT INTO notes (slug, content, content_html, content_hash, published_at, \
                 created_at, updated_at, content_text, render_version) \
                 VALUES ('a', 'x', 'x', 'x', 1, 1, 1, 'harbour trip', 1)",
                [],
            )
            .unwrap();
            for query in [
                "SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'harbour' ORDER BY rank",
                "SELECT notes.id, snippet(notes_fts, 1, '[', ']', '…', 16) FROM notes_fts \
                 JOIN notes ON notes.id = notes_fts.rowid WHERE notes_fts MATCH 'harbour' \
                 ORDER BY notes_fts.rank",
            ] {
                let mut stmt = conn.prepare(query).unwrap();
                let rows = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap();
                assert_eq!(rows.count(), 1, "{query}");
            }
            conn.execute(
                "UPDATE notes SET content_text = 'boat' WHERE slug = 'a'",
                [],
            )
            .unwrap();
            conn.execute("DELETE FROM notes WHERE slug = 'a'", [])
                .unwrap();
            conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('optimize')", [])
                .unwrap();
        })
        .into_iter()
        .map(|sql| ("sqlite".to_owned(), sql))
        .collect()
    }

    /// What rusqlite's own helpers run: pragma_update/pragma_query_value, transactions,
    /// savepoints (the backup API runs no SQL).
    fn rusqlite_statements() -> Vec<(String, String)> {
        traced(|conn| {
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.pragma_update(None, "synchronous", "FULL").unwrap();
            conn.pragma_update(None, "journal_size_limit", 16_i64 << 20)
                .unwrap();
            conn.pragma_update(None, "foreign_keys", true).unwrap();
            conn.pragma_update(None, "temp_store", "MEMORY").unwrap();
            let _: String = conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
            let mut tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .unwrap();
            tx.savepoint().unwrap().commit().unwrap();
            drop(tx.savepoint().unwrap());
            tx.commit().unwrap();
            drop(conn.transaction().unwrap());
        })
        .into_iter()
        .map(|sql| ("rusqlite".to_owned(), sql))
        .collect()
    }

    /// What is wrong with a statement's fingerprint, if anything; `known` are the tables some
    /// CREATE statement makes.
    fn implausible(f: &Fingerprint, known: &[String]) -> Option<String> {
        let plain =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let fine = f.is_classified()
            && match f.kind {
                Select | Insert | Update | Delete => {
                    !f.tables.is_empty() && f.tables.iter().all(|t| known.contains(t))
                }
                Schema => f.tables.iter().all(|t| known.contains(t)) && !f.subject.is_empty(),
                Pragma => plain(&f.subject),
                Transaction => ["begin", "commit", "rollback", "savepoint", "release"]
                    .contains(&f.subject.as_str()),
                Maintenance => ["vacuum", "analyze", "reindex"].contains(&f.subject.as_str()),
                Other => false,
            };
        (!fine).then(|| format!("{} {:?}", f.name(), f.tables))
    }

    #[test]
    fn every_statement_starpunk_runs_is_classified() {
        let statements: Vec<(String, String)> = [
            source_statements(),
            migration_statements(),
            fts5_statements(),
            rusqlite_statements(),
        ]
        .concat();
        let fingerprints: Vec<(&str, &str, Fingerprint)> = statements
            .iter()
            .map(|(file, sql)| (file.as_str(), sql.as_str(), fingerprint(sql)))
            .collect();
        let mut known: Vec<String> = vec!["sqlite_master".to_owned()];
        for (_, _, f) in &fingerprints {
            if f.kind == Schema && f.text.starts_with("create") && f.text.contains(" table ") {
                known.extend(f.tables.first().cloned());
            }
        }
        let mut offenders = Vec::new();
        for (file, sql, f) in &fingerprints {
            eprintln!("{file}: {} | {}", f.name(), f.text);
            if let Some(problem) = implausible(f, &known) {
                offenders.push(format!("{file}: {problem}\n    {sql}"));
            }
        }
        let count = |prefix: &str| {
            statements
                .iter()
                .filter(|(f, _)| f.starts_with(prefix))
                .count()
        };
        assert!(
            count("src/db/") >= 80,
            "the scan found only {} statements in src/db",
            count("src/db/")
        );
        assert!(
            count("0") >= 50,
            "SQLite ran only {} migration statements",
            count("0")
        );
        assert!(
            count("rusqlite") >= 10,
            "rusqlite ran only {} statements",
            count("rusqlite")
        );
        assert!(
            count("sqlite") >= 10,
            "FTS5 ran only {} statements",
            count("sqlite")
        );
        assert!(
            offenders.is_empty(),
            "{} statements not classified:\n{}",
            offenders.len(),
            offenders.join("\n")
        );
        // SQLite split the migrations: a trigger is one statement, its body's `;` included.
        let trigger = fingerprints
            .iter()
            .find(|(_, _, f)| f.text.starts_with("create trigger notes_fts_after_update"));
        assert!(
            trigger.is_some_and(
                |(_, sql, f)| sql.matches("INSERT INTO notes_fts").count() == 2
                    && sql.trim_end().ends_with("END;")
                    && f.name() == "schema notes"
            )
        );
    }
}
