//! Numbered migrations from `sql/`, compiled into the binary and applied at start-up.
//!
//! All pending migrations run inside one `BEGIN IMMEDIATE` transaction, so a failure leaves the
//! database exactly as it was. Each applied migration is recorded with the SHA-256 of its text;
//! a database that records a migration this binary does not know (written by a newer starpunk)
//! or whose text changed is refused with a clear message.

use rusqlite::{Connection, TransactionBehavior};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "sql/"]
struct MigrationFiles;

/// One migration: `sql/NNN_name.sql`.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The number `NNN`.
    pub version: i64,
    /// The file name without extension, e.g. `001_initial`.
    pub name: String,
    /// The SQL text.
    pub sql: String,
    /// SHA-256 of the SQL text, hex.
    pub checksum: String,
}

/// Why the database cannot be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database was migrated by a newer binary.
    #[error(
        "the database has migration {name} (version {version}) which this starpunk does not know; \
         it was written by a newer version — upgrade starpunk or restore a backup"
    )]
    UnknownMigration {
        /// Version recorded in the database.
        version: i64,
        /// Name recorded in the database.
        name: String,
    },
    /// A migration already applied differs from the binary's copy.
    #[error("migration {name} was changed after it was applied (checksum mismatch)")]
    ChecksumMismatch {
        /// The migration's name.
        name: String,
    },
    /// A migration's SQL failed; nothing was applied.
    #[error("migration {name} failed: {source}")]
    Failed {
        /// The migration's name.
        name: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Reading or writing the bookkeeping table failed.
    #[error("database error while migrating: {0}")]
    Database(#[from] rusqlite::Error),
}

/// The migrations compiled into this binary, in order.
pub fn known_migrations() -> Vec<Migration> {
    let mut migrations: Vec<Migration> = MigrationFiles::iter()
        .filter_map(|file| {
            let name = file.strip_suffix(".sql")?.to_owned();
            let version = name.split('_').next()?.parse().ok()?;
            let sql = String::from_utf8(MigrationFiles::get(&file)?.data.into_owned()).ok()?;
            let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
            Some(Migration {
                version,
                name,
                sql,
                checksum,
            })
        })
        .collect();
    migrations.sort_by_key(|m| m.version);
    migrations
}

/// Applies every pending migration; returns the names of those applied now.
pub fn run_migrations(conn: &mut Connection) -> Result<Vec<String>, MigrationError> {
    apply(conn, &known_migrations())
}

/// Applies `migrations` (sorted by version) to the database in one immediate transaction.
pub fn apply(
    conn: &mut Connection,
    migrations: &[Migration],
) -> Result<Vec<String>, MigrationError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT    NOT NULL,
             checksum   TEXT    NOT NULL,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let applied: Vec<(i64, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (version, name, checksum) in &applied {
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(MigrationError::UnknownMigration {
                    version: *version,
                    name: name.clone(),
                });
            }
            Some(known) if &known.checksum != checksum => {
                return Err(MigrationError::ChecksumMismatch { name: name.clone() });
            }
            Some(_) => {}
        }
    }
    let mut done = Vec::new();
    for migration in migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
    {
        tx.execute_batch(&migration.sql)
            .map_err(|source| MigrationError::Failed {
                name: migration.name.clone(),
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![migration.version, migration.name, migration.checksum, crate::clock::unix_now()],
        )?;
        done.push(migration.name.clone());
    }
    tx.commit()?;
    Ok(done)
}

/// Names of the compiled-in migrations the database has not applied yet.
pub fn pending_migrations(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    let applied = if has_table {
        applied_migrations(conn)?
    } else {
        Vec::new()
    };
    Ok(known_migrations()
        .into_iter()
        .map(|m| m.name)
        .filter(|name| !applied.contains(name))
        .collect())
}

/// Names of the migrations recorded in the database, in order.
pub fn applied_migrations(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM schema_migrations ORDER BY version")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(version: i64, name: &str, sql: &str) -> Migration {
        Migration {
            version,
            name: name.to_owned(),
            sql: sql.to_owned(),
            checksum: hex::encode(Sha256::digest(sql.as_bytes())),
        }
    }

    #[test]
    fn the_compiled_in_migrations_are_numbered_in_order() {
        let known = known_migrations();
        assert!(!known.is_empty());
        assert_eq!(known[0].name, "001_initial");
        assert!(known.windows(2).all(|w| w[0].version < w[1].version));
    }

    #[test]
    fn migrations_apply_once_and_are_recorded() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            run_migrations(&mut conn).unwrap(),
            [
                "001_initial",
                "002_search",
                "003_site_version",
                "004_indieauth_media",
                "005_owner_credentials",
                "006_authorization_server",
                "007_note_text",
                "008_media_clean"
            ]
        );
        assert!(run_migrations(&mut conn).unwrap().is_empty());
        assert_eq!(
            applied_migrations(&conn).unwrap(),
            [
                "001_initial",
                "002_search",
                "003_site_version",
                "004_indieauth_media",
                "005_owner_credentials",
                "006_authorization_server",
                "007_note_text",
                "008_media_clean"
            ]
        );
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let mut conn = Connection::open_in_memory().unwrap();
        let first = migration(1, "001_a", "CREATE TABLE a (x);");
        apply(&mut conn, std::slice::from_ref(&first)).unwrap();
        let broken = [
            first.clone(),
            migration(2, "002_b", "CREATE TABLE b (x);"),
            migration(3, "003_broken", "CREATE TABLE a (x);"),
        ];
        let err = apply(&mut conn, &broken).unwrap_err();
        assert!(err.to_string().contains("003_broken"), "{err}");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
        assert_eq!(applied_migrations(&conn).unwrap(), ["001_a"]);
    }

    #[test]
    fn a_database_from_a_newer_binary_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run_migrations(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (999, '999_future', 'x', 0)",
            [],
        )
        .unwrap();
        let err = run_migrations(&mut conn).unwrap_err();
        assert!(matches!(
            err,
            MigrationError::UnknownMigration { version: 999, .. }
        ));
        assert!(err.to_string().contains("newer"));
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, &[migration(1, "001_a", "CREATE TABLE a (x);")]).unwrap();
        let err = apply(&mut conn, &[migration(1, "001_a", "CREATE TABLE a (y);")]).unwrap_err();
        assert!(matches!(err, MigrationError::ChecksumMismatch { .. }));
    }
}
