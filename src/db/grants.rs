//! Statements of starpunk's own IndieAuth server: authorization codes, grants (an app the owner
//! allowed) and their access and refresh tokens. Only SHA-256 hashes of codes and tokens are
//! stored.

use rusqlite::{Connection, OptionalExtension, params};

/// How long an authorization code may wait for its redemption (the standard's maximum).
pub const CODE_LIFETIME_SECS: i64 = 10 * 60;

/// How stale an access token's sliding expiry may get before a use moves it (saves a write per
/// request).
const SLIDE_AFTER_SECS: i64 = 60 * 60;

/// An approval about to become an authorization code.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// The app's `client_id`.
    pub client_id: String,
    /// Where the code was sent; the redemption must name the same.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// Approved scopes, space-separated (empty: authentication only).
    pub scope: String,
    /// Whose identity the code vouches for.
    pub me: String,
    /// The app's name and logo, from its metadata.
    pub client_name: Option<String>,
    /// See `client_name`.
    pub client_logo: Option<String>,
}

/// A code being redeemed.
#[derive(Debug, Clone)]
pub enum Redemption {
    /// No such code.
    Unknown,
    /// Older than ten minutes.
    Expired,
    /// Already redeemed once: what that redemption created must be revoked.
    Replayed {
        /// The grant the first redemption created, if any.
        grant_id: Option<i64>,
    },
    /// First use; it is now marked used.
    Fresh(NewCode),
}

/// Stores an authorization code (dropping expired ones).
pub fn create_code(
    conn: &Connection,
    code_hash: &str,
    code: &NewCode,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM authorization_codes WHERE expires_at < ?1")?
        .execute([now])?;
    conn.prepare_cached(
        "INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, code_challenge, \
         scope, me, client_name, client_logo, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        code_hash,
        code.client_id,
        code.redirect_uri,
        code.code_challenge,
        code.scope,
        code.me,
        code.client_name,
        code.client_logo,
        now,
        now + CODE_LIFETIME_SECS
    ])?;
    Ok(())
}

/// Marks a code used and returns it, or says why it cannot be redeemed. Any attempt uses the
/// code up, whether or not the rest of the request is right.
pub fn redeem_code(conn: &Connection, code_hash: &str, now: i64) -> rusqlite::Result<Redemption> {
    let fresh = conn
        .prepare_cached(
            "UPDATE authorization_codes SET used_at = ?2 \
             WHERE code_hash = ?1 AND used_at IS NULL \
             RETURNING client_id, redirect_uri, code_challenge, scope, me, client_name, \
             client_logo, expires_at",
        )?
        .query_row(params![code_hash, now], |r| {
            Ok((
                NewCode {
                    client_id: r.get(0)?,
                    redirect_uri: r.get(1)?,
                    code_challenge: r.get(2)?,
                    scope: r.get(3)?,
                    me: r.get(4)?,
                    client_name: r.get(5)?,
                    client_logo: r.get(6)?,
                },
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    if let Some((code, expires_at)) = fresh {
        return Ok(if expires_at < now {
            Redemption::Expired
        } else {
            Redemption::Fresh(code)
        });
    }
    let used = conn
        .prepare_cached("SELECT grant_id FROM authorization_codes WHERE code_hash = ?1")?
        .query_row([code_hash], |r| r.get::<_, Option<i64>>(0))
        .optional()?;
    Ok(match used {
        Some(grant_id) => Redemption::Replayed { grant_id },
        None => Redemption::Unknown,
    })
}

/// Records the grant a code's redemption created (revoked if the code is replayed).
pub fn link_code(conn: &Connection, code_hash: &str, grant_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE authorization_codes SET grant_id = ?2 WHERE code_hash = ?1")?
        .execute(params![code_hash, grant_id])?;
    Ok(())
}

/// How long a revoked or expired grant is kept (for the record) before it is dropped.
const KEEP_ENDED_SECS: i64 = 30 * 24 * 60 * 60;

/// Stores a new grant from a redeemed code; returns its id. Grants revoked, or left without a
/// token, more than 30 days ago are dropped.
pub fn create_grant(conn: &Connection, code: &NewCode, now: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "DELETE FROM grants WHERE revoked_at < ?1 OR (created_at < ?1 AND NOT EXISTS \
         (SELECT 1 FROM grant_tokens t WHERE t.grant_id = grants.id))",
    )?
    .execute([now - KEEP_ENDED_SECS])?;
    conn.prepare_cached(
        "INSERT INTO grants (client_id, client_name, client_logo, me, scope, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        code.client_id,
        code.client_name,
        code.client_logo,
        code.me,
        code.scope,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A pair of new tokens for a grant, by hash.
#[derive(Debug, Clone)]
pub struct NewTokens<'a> {
    /// SHA-256 of the access token.
    pub access_hash: &'a str,
    /// SHA-256 of the refresh token.
    pub refresh_hash: &'a str,
    /// The access token's scopes (at most the grant's).
    pub scope: &'a str,
    /// Seconds each lives.
    pub lifetime: i64,
}

/// Stores a grant's access and refresh tokens (dropping expired tokens of every grant).
pub fn issue_tokens(
    conn: &Connection,
    grant_id: i64,
    tokens: &NewTokens<'_>,
    grant_scope: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM grant_tokens WHERE expires_at < ?1")?
        .execute([now])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO grant_tokens (token_hash, grant_id, kind, scope, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let expires = now + tokens.lifetime;
    insert.execute(params![
        tokens.access_hash,
        grant_id,
        "access",
        tokens.scope,
        now,
        expires
    ])?;
    insert.execute(params![
        tokens.refresh_hash,
        grant_id,
        "refresh",
        grant_scope,
        now,
        expires
    ])?;
    Ok(())
}

/// A live token, as verification and introspection see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    /// The grant it belongs to.
    pub grant_id: i64,
    /// `access` or `refresh`.
    pub kind: String,
    /// Whose it is.
    pub me: String,
    /// The app it was issued to.
    pub client_id: String,
    /// Its scopes, space-separated.
    pub scope: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A token that is live now: known, unexpired, not rotated away, of a grant not revoked.
/// With `lifetime` (a use, not a look), an access token's expiry slides to `now + lifetime`
/// (at most hourly) and the grant's last use is recorded.
pub fn live_token(
    conn: &Connection,
    token_hash: &str,
    lifetime: Option<i64>,
    now: i64,
) -> rusqlite::Result<Option<LiveToken>> {
    let found = conn
        .prepare_cached(
            "SELECT t.grant_id, t.kind, g.me, g.client_id, t.scope, t.created_at, t.expires_at \
             FROM grant_tokens t JOIN grants g ON g.id = t.grant_id \
             WHERE t.token_hash = ?1 AND t.expires_at >= ?2 AND t.rotated_at IS NULL \
             AND g.revoked_at IS NULL",
        )?
        .query_row(params![token_hash, now], |r| {
            Ok(LiveToken {
                grant_id: r.get(0)?,
                kind: r.get(1)?,
                me: r.get(2)?,
                client_id: r.get(3)?,
                scope: r.get(4)?,
                issued_at: r.get(5)?,
                expires_at: r.get(6)?,
            })
        })
        .optional()?;
    let (Some(mut token), Some(lifetime)) = (found.clone(), lifetime) else {
        return Ok(found);
    };
    if token.kind == "access" && token.expires_at < now + lifetime - SLIDE_AFTER_SECS {
        token.expires_at = now + lifetime;
        conn.prepare_cached("UPDATE grant_tokens SET expires_at = ?2 WHERE token_hash = ?1")?
            .execute(params![token_hash, token.expires_at])?;
        conn.prepare_cached("UPDATE grants SET last_used_at = ?2 WHERE id = ?1")?
            .execute(params![token.grant_id, now])?;
    } else if token.kind == "access" {
        conn.prepare_cached(
            "UPDATE grants SET last_used_at = ?2 WHERE id = ?1 \
             AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
        )?
        .execute(params![token.grant_id, now])?;
    }
    Ok(Some(token))
}

/// A refresh token being used.
#[derive(Debug, Clone)]
pub enum Refresh {
    /// Not a refresh token of a live grant, or expired.
    Unknown,
    /// Already replaced by a refresh: someone holds a copy, so the grant must be revoked.
    Reused {
        /// The grant to revoke.
        grant_id: i64,
    },
    /// Usable.
    Live {
        /// Its grant.
        grant_id: i64,
        /// The app the grant is for.
        client_id: String,
        /// The scopes the owner approved.
        grant_scope: String,
        /// Whose grant it is.
        me: String,
    },
}

/// Looks a refresh token up without changing anything.
pub fn find_refresh(conn: &Connection, token_hash: &str, now: i64) -> rusqlite::Result<Refresh> {
    let found = conn
        .prepare_cached(
            "SELECT t.grant_id, t.expires_at, t.rotated_at, g.client_id, g.scope, g.me \
             FROM grant_tokens t JOIN grants g ON g.id = t.grant_id \
             WHERE t.token_hash = ?1 AND t.kind = 'refresh' AND g.revoked_at IS NULL",
        )?
        .query_row([token_hash], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()?;
    Ok(match found {
        None => Refresh::Unknown,
        Some((grant_id, _, Some(_), ..)) => Refresh::Reused { grant_id },
        Some((_, expires_at, None, ..)) if expires_at < now => Refresh::Unknown,
        Some((grant_id, _, None, client_id, grant_scope, me)) => Refresh::Live {
            grant_id,
            client_id,
            grant_scope,
            me,
        },
    })
}

/// Retires a refresh token (kept, so a later reuse is recognised) and the grant's access
/// tokens, before new ones are issued.
pub fn rotate(
    conn: &Connection,
    refresh_hash: &str,
    grant_id: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE grant_tokens SET rotated_at = ?2 WHERE token_hash = ?1")?
        .execute(params![refresh_hash, now])?;
    conn.prepare_cached("DELETE FROM grant_tokens WHERE grant_id = ?1 AND kind = 'access'")?
        .execute([grant_id])?;
    Ok(())
}

/// Revokes a grant: marks it and deletes its tokens. `false` when it was already revoked or
/// does not exist.
pub fn revoke_grant(conn: &Connection, grant_id: i64, now: i64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached("UPDATE grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
        .execute(params![grant_id, now])?;
    conn.prepare_cached("DELETE FROM grant_tokens WHERE grant_id = ?1")?
        .execute([grant_id])?;
    Ok(changed > 0)
}

/// Revokes the grant a token (access or refresh, live or rotated) belongs to; the grant's id
/// when one was revoked.
pub fn revoke_by_token(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    let grant = conn
        .prepare_cached("SELECT grant_id FROM grant_tokens WHERE token_hash = ?1")?
        .query_row([token_hash], |r| r.get::<_, i64>(0))
        .optional()?;
    match grant {
        Some(id) if revoke_grant(conn, id, now)? => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// Revokes every grant; how many there were.
pub fn revoke_all(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    let revoked = conn
        .prepare_cached("UPDATE grants SET revoked_at = ?1 WHERE revoked_at IS NULL")?
        .execute([now])?;
    conn.prepare_cached("DELETE FROM grant_tokens")?
        .execute([])?;
    Ok(revoked)
}

/// A grant as the admin's Apps page lists it.
#[derive(Debug, Clone)]
pub struct GrantInfo {
    /// Its id (for the revoke form).
    pub id: i64,
    /// The app.
    pub client_id: String,
    /// The app's name, when its metadata gave one.
    pub client_name: Option<String>,
    /// The app's logo URL, when given.
    pub client_logo: Option<String>,
    /// Approved scopes, space-separated.
    pub scope: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last Micropub (or other) use of its access token.
    pub last_used_at: Option<i64>,
    /// When its last token expires unless used or refreshed.
    pub expires_at: i64,
}

/// Grants that still have a live token, newest first.
pub fn list(conn: &Connection, now: i64) -> rusqlite::Result<Vec<GrantInfo>> {
    conn.prepare_cached(
        "SELECT g.id, g.client_id, g.client_name, g.client_logo, g.scope, g.created_at, \
         g.last_used_at, max(t.expires_at) \
         FROM grants g JOIN grant_tokens t ON t.grant_id = g.id \
         WHERE g.revoked_at IS NULL AND t.rotated_at IS NULL AND t.expires_at >= ?1 \
         GROUP BY g.id ORDER BY g.created_at DESC, g.id DESC",
    )?
    .query_map([now], |r| {
        Ok(GrantInfo {
            id: r.get(0)?,
            client_id: r.get(1)?,
            client_name: r.get(2)?,
            client_logo: r.get(3)?,
            scope: r.get(4)?,
            created_at: r.get(5)?,
            last_used_at: r.get(6)?,
            expires_at: r.get(7)?,
        })
    })?
    .collect()
}
