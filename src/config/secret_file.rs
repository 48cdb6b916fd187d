//! The session secret kept in `DATA_PATH` when `SESSION_SECRET` is unset: generated once,
//! readable by its owner only.

use std::path::Path;

use super::settings::Secret;

/// The name of the file that holds a generated session secret inside `DATA_PATH`.
pub const SESSION_SECRET_FILE: &str = "session_secret";

/// Reads the generated session secret from the data directory, creating both when missing.
pub(super) fn persisted_secret(data_path: &Path) -> std::io::Result<Secret> {
    std::fs::create_dir_all(data_path)?;
    let path = data_path.join(SESSION_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 32 => return Ok(Secret::new(existing.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = crate::secret::random_token();
    write_private(&path, &secret)?;
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
