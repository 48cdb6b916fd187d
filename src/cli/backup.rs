//! `starpunk backup FILE`: a consistent copy of the live database through SQLite's online
//! backup API, verified with `PRAGMA integrity_check`, written beside FILE and renamed into
//! place so a half-written copy never carries the final name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// FILE is the live database or one of its companion files.
    #[error("{0} is the live database (or its journal); choose another file")]
    LiveDatabase(PathBuf),
    /// FILE exists and `--force` was not given.
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    /// The database could not be read or the copy written.
    #[error("backup failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The copy did not pass the integrity check.
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    /// Renaming the finished copy into place failed.
    #[error("cannot move the copy into place: {0}")]
    Io(#[from] std::io::Error),
}

/// Whether `target` names the database itself or its `-wal`, `-shm` or `-journal` file
/// (compared after resolving links and `..`, so no spelling of the path slips through).
fn is_live_file(database: &Path, target: &Path) -> bool {
    let resolve = |p: &Path| -> Option<PathBuf> {
        if let Ok(full) = p.canonicalize() {
            return Some(full);
        }
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    let (Some(db), Some(target)) = (resolve(database), resolve(target)) else {
        return false;
    };
    let db_text = db.as_os_str().to_string_lossy().into_owned();
    [
        String::new(),
        "-wal".into(),
        "-shm".into(),
        "-journal".into(),
    ]
    .iter()
    .any(|suffix| target.as_os_str().to_string_lossy() == format!("{db_text}{suffix}"))
}

/// Copies `database` to `target`; returns the number of pages copied.
pub fn backup(database: &Path, target: &Path, force: bool) -> Result<u64, BackupError> {
    if is_live_file(database, target) {
        return Err(BackupError::LiveDatabase(target.to_owned()));
    }
    if target.exists() && !force {
        return Err(BackupError::Exists(target.to_owned()));
    }
    let source = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    source.busy_timeout(Duration::from_secs(10))?;
    let partial = target.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let mut copy = Connection::open(&partial)?;
        let pages = {
            let backup = rusqlite::backup::Backup::new(&source, &mut copy)?;
            // One step copies every page inside one read transaction: a consistent snapshot
            // (WAL readers never block the server's writers) that never restarts.
            let mut attempts = 0;
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    StepResult::Busy | StepResult::Locked if attempts < 200 => {
                        attempts += 1;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    _ => {
                        return Err(BackupError::Sqlite(rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some("the database stayed locked for 10 seconds".to_owned()),
                        )));
                    }
                }
            }
            backup.progress().pagecount
        };
        let verdict: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if verdict != "ok" {
            return Err(BackupError::Corrupt(verdict));
        }
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        drop(copy);
        // On disk before it takes the final name, and the name on disk before we say so.
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, target)?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(u64::try_from(pages).unwrap_or(0))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
