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

/// Where and how a session was opened.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The client's address (see `auth::client`).
    pub ip: Option<String>,
    /// The browser's `User-Agent`, at most 200 characters.
    pub user_agent: Option<String>,
    /// `password`, `passkey`, `indieauth`, `dev` or `setup`.
    pub method: &'static str,
}

/// An open session as the admin lists it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// SHA-256 of its token (identifies it in forms; the token itself is never stored).
    pub token_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of its last use (updated at most hourly).
    pub last_seen_at: i64,
    /// Where it was opened.
    pub ip: Option<String>,
    /// With what browser.
    pub user_agent: Option<String>,
    /// How.
    pub method: Option<String>,
}

/// Stores a new session.
pub fn create(
    conn: &Connection,
    token_hash: &str,
    me: &str,
    origin: &Origin,
    now: i64,
) -> rusqlite::Result<()> {
    let user_agent = origin
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(200).collect::<String>());
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, me, created_at, last_seen_at, expires_at, ip, \
         user_agent, method) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        token_hash,
        me,
        now,
        now + LIFETIME_SECS,
        origin.ip,
        user_agent,
        origin.method
    ])?;
    Ok(())
}

/// Every live session, most recently used first.
pub fn list(conn: &Connection, now: i64) -> rusqlite::Result<Vec<SessionInfo>> {
    conn.prepare_cached(
        "SELECT token_hash, created_at, last_seen_at, ip, user_agent, method FROM sessions \
         WHERE expires_at > ?1 ORDER BY last_seen_at DESC, created_at DESC",
    )?
    .query_map([now], |r| {
        Ok(SessionInfo {
            token_hash: r.get(0)?,
            created_at: r.get(1)?,
            last_seen_at: r.get(2)?,
            ip: r.get(3)?,
            user_agent: r.get(4)?,
            method: r.get(5)?,
        })
    })?
    .collect()
}

/// Ends every session but `keep` (all of them when `keep` is `None`); how many ended.
pub fn delete_all_except(conn: &Connection, keep: Option<&str>) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash IS NOT ?1")?
        .execute([keep])
}

/// When a session was opened.
pub fn created_at(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT created_at FROM sessions WHERE token_hash = ?1")?
        .query_row([token_hash], |r| r.get(0))
        .optional()
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
        create(&conn, "h", "https://me.example/", &Origin::default(), 1000).unwrap();
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
