//! Statements on the `sessions` table. Only SHA-256 hashes of session tokens are stored.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StorageFault;

/// How long a session lives after its last use.
pub const LIFETIME_SECS: i64 = 30 * 24 * 60 * 60;

/// How stale a session's expiry may get before a request slides it forward (saves a write per
/// request).
pub const SLIDE_AFTER_SECS: i64 = 60 * 60;

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The owner's identity URL.
    pub me: String,
    /// SHA-256 of the cookie token.
    pub token_hash: String,
    /// Whether this lookup moved the expiry forward (the cookie is then re-issued).
    pub slid: bool,
}

/// Stores a new session.
pub fn create(conn: &Connection, token_hash: &str, me: &str, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, me, created_at, last_seen_at, expires_at) \
         VALUES (?1, ?2, ?3, ?3, ?4)",
    )?
    .execute(params![token_hash, me, now, now + LIFETIME_SECS])?;
    Ok(())
}

/// Finds a live session and slides its expiry when it has not been moved for an hour.
pub fn touch(conn: &Connection, token_hash: &str, now: i64) -> rusqlite::Result<Option<Session>> {
    let found: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT me, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
        )?
        .query_row(params![token_hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((me, expires_at)) = found else {
        return Ok(None);
    };
    let mut slid = expires_at < now + LIFETIME_SECS - SLIDE_AFTER_SECS;
    if slid {
        let extended = conn
            .prepare_cached(
                "UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 WHERE token_hash = ?1",
            )?
            .execute(params![token_hash, now, now + LIFETIME_SECS]);
        match extended {
            Ok(_) => {}
            // A full or read-only disk must not lock the owner out (or lose the note they are
            // posting): the session stays valid and slides at a later request.
            Err(e) if StorageFault::of(&e).is_some() => slid = false,
            Err(e) => return Err(e),
        }
    }
    Ok(Some(Session {
        me,
        token_hash: token_hash.to_owned(),
        slid,
    }))
}

/// Ends a session.
pub fn delete(conn: &Connection, token_hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub fn delete_expired(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([now])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run_migrations(&mut conn).unwrap();
        conn
    }

    #[test]
    fn sessions_slide_and_expire() {
        let conn = db();
        create(&conn, "h", "https://me.example/", 1000).unwrap();
        let fresh = touch(&conn, "h", 1010).unwrap().unwrap();
        assert!(!fresh.slid, "a fresh session is not rewritten");
        let later = 1000 + 2 * SLIDE_AFTER_SECS;
        assert!(touch(&conn, "h", later).unwrap().unwrap().slid);
        // Slid: still alive just past the original expiry.
        let last_use = 1000 + LIFETIME_SECS + 10;
        assert!(touch(&conn, "h", last_use).unwrap().is_some());
        let dead = last_use + LIFETIME_SECS + 1;
        assert!(touch(&conn, "h", dead).unwrap().is_none());
        assert_eq!(delete_expired(&conn, dead).unwrap(), 1);
    }
}
