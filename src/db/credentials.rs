//! Statements on the owner's own credentials: the password hash (`owner_password`) and passkeys
//! (`passkeys`). Only an Argon2id PHC string and public keys are stored, never a secret.

use rusqlite::{Connection, OptionalExtension, params};

/// A registered passkey as the admin lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// Row id (for renaming and removing).
    pub id: i64,
    /// The owner's name for it ("Laptop", "Phone").
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last sign-in with it.
    pub last_used_at: Option<i64>,
}

/// A passkey as the sign-in ceremony needs it.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    /// Row id.
    pub id: i64,
    /// The authenticator's credential id.
    pub credential_id: Vec<u8>,
    /// The user handle the passkey was registered with.
    pub user_handle: Vec<u8>,
    /// The public key and its algorithm (webauthn_rp's encoding).
    pub static_state: Vec<u8>,
    /// The signature counter and flags (webauthn_rp's encoding).
    pub dynamic_state: Vec<u8>,
}

/// A new passkey to store.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    /// The authenticator's credential id.
    pub credential_id: &'a [u8],
    /// The user handle it was registered with.
    pub user_handle: &'a [u8],
    /// Its name.
    pub name: &'a str,
    /// Public key (encoded).
    pub static_state: &'a [u8],
    /// Counter and flags (encoded).
    pub dynamic_state: &'a [u8],
}

/// The password's PHC string, if a password is set.
pub fn password(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT phc FROM owner_password WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()
}

/// Sets (or replaces) the password hash.
pub fn set_password(conn: &Connection, phc: &str, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO owner_password (id, phc, updated_at) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET phc = excluded.phc, updated_at = excluded.updated_at",
    )?
    .execute(params![phc, now])?;
    Ok(())
}

/// Removes the password; whether there was one.
pub fn remove_password(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM owner_password WHERE id = 1")?
        .execute([])?
        > 0)
}

/// How many credentials exist: (password set, passkeys).
pub fn count(conn: &Connection) -> rusqlite::Result<(bool, i64)> {
    conn.prepare_cached(
        "SELECT (SELECT count(*) FROM owner_password), (SELECT count(*) FROM passkeys)",
    )?
    .query_row([], |r| Ok((r.get::<_, i64>(0)? > 0, r.get(1)?)))
}

/// Every passkey, oldest first.
pub fn passkeys(conn: &Connection) -> rusqlite::Result<Vec<PasskeyInfo>> {
    conn.prepare_cached(
        "SELECT id, name, created_at, last_used_at FROM passkeys ORDER BY created_at, id",
    )?
    .query_map([], |r| {
        Ok(PasskeyInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: r.get(2)?,
            last_used_at: r.get(3)?,
        })
    })?
    .collect()
}

/// What registering another passkey needs.
#[derive(Debug, Clone, Default)]
pub struct RegistrationContext {
    /// The owner's user handle: that of the first passkey, if any.
    pub user_handle: Option<Vec<u8>>,
    /// Every credential id (so an authenticator is not registered twice).
    pub credential_ids: Vec<Vec<u8>>,
}

/// The owner's user handle and every credential id, in one query.
pub fn registration_context(conn: &Connection) -> rusqlite::Result<RegistrationContext> {
    let rows: Vec<(Vec<u8>, Vec<u8>)> = conn
        .prepare_cached("SELECT credential_id, user_handle FROM passkeys ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(RegistrationContext {
        user_handle: rows.first().map(|(_, handle)| handle.clone()),
        credential_ids: rows.into_iter().map(|(id, _)| id).collect(),
    })
}

/// The passkey with this credential id.
pub fn passkey_by_credential(
    conn: &Connection,
    credential_id: &[u8],
) -> rusqlite::Result<Option<StoredPasskey>> {
    conn.prepare_cached(
        "SELECT id, credential_id, user_handle, static_state, dynamic_state FROM passkeys \
         WHERE credential_id = ?1",
    )?
    .query_row([credential_id], |r| {
        Ok(StoredPasskey {
            id: r.get(0)?,
            credential_id: r.get(1)?,
            user_handle: r.get(2)?,
            static_state: r.get(3)?,
            dynamic_state: r.get(4)?,
        })
    })
    .optional()
}

/// Stores a new passkey; its row id.
pub fn add_passkey(conn: &Connection, passkey: &NewPasskey<'_>, now: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO passkeys (credential_id, user_handle, name, static_state, dynamic_state, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        passkey.credential_id,
        passkey.user_handle,
        passkey.name,
        passkey.static_state,
        passkey.dynamic_state,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Records a sign-in: the new counter state and the time.
pub fn passkey_used(
    conn: &Connection,
    id: i64,
    dynamic_state: &[u8],
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE passkeys SET dynamic_state = ?2, last_used_at = ?3 WHERE id = ?1")?
        .execute(params![id, dynamic_state, now])?;
    Ok(())
}

/// Renames a passkey; whether it exists.
pub fn rename_passkey(conn: &Connection, id: i64, name: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE passkeys SET name = ?2 WHERE id = ?1")?
        .execute(params![id, name])?
        > 0)
}

/// Removes a passkey; whether it existed.
pub fn remove_passkey(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM passkeys WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// Removes every passkey; how many there were.
pub fn remove_all_passkeys(conn: &Connection) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM passkeys")?.execute([])
}
