//! Statements on `auth_states`: logins in progress, each usable once for ten minutes.

use rusqlite::{Connection, OptionalExtension, params};

/// How long a started login may take.
pub const LIFETIME_SECS: i64 = 10 * 60;

/// Most logins in progress at once: starting one needs no credentials, so this bounds what
/// strangers can make the table hold. The oldest make room, so a flood can never lock the
/// owner out (it can only make an older, unfinished login start again).
pub const MAX_PENDING: i64 = 1000;

/// A login in progress.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// The PKCE verifier.
    pub code_verifier: String,
    /// Where the code is exchanged.
    pub authorization_endpoint: String,
    /// The expected `iss`, when the owner's metadata names one.
    pub issuer: Option<String>,
}

/// Records a started login under the hash of its `state`, dropping expired ones and, beyond
/// [`MAX_PENDING`], the oldest.
pub fn create(
    conn: &Connection,
    state_hash: &str,
    login: &PendingLogin,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM auth_states WHERE created_at <= ?1")?
        .execute([now - LIFETIME_SECS])?;
    let pending: i64 = conn
        .prepare_cached("SELECT count(*) FROM auth_states")?
        .query_row([], |r| r.get(0))?;
    if pending >= MAX_PENDING {
        conn.prepare_cached(
            "DELETE FROM auth_states WHERE state_hash IN \
             (SELECT state_hash FROM auth_states ORDER BY created_at LIMIT ?1)",
        )?
        .execute([pending - MAX_PENDING + 1])?;
    }
    conn.prepare_cached(
        "INSERT INTO auth_states (state_hash, code_verifier, authorization_endpoint, issuer, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        state_hash,
        login.code_verifier,
        login.authorization_endpoint,
        login.issuer,
        now
    ])?;
    Ok(())
}

/// Takes the login started with this `state`: it is deleted whether or not it is still fresh,
/// so a `state` can never be used twice. `None` when unknown, used or expired.
pub fn take(
    conn: &Connection,
    state_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<PendingLogin>> {
    conn.prepare_cached(
        "DELETE FROM auth_states WHERE state_hash = ?1 \
         RETURNING code_verifier, authorization_endpoint, issuer, created_at",
    )?
    .query_row([state_hash], |r| {
        Ok((
            PendingLogin {
                code_verifier: r.get(0)?,
                authorization_endpoint: r.get(1)?,
                issuer: r.get(2)?,
            },
            r.get::<_, i64>(3)?,
        ))
    })
    .optional()
    .map(|found| found.and_then(|(login, at)| (at > now - LIFETIME_SECS).then_some(login)))
}
