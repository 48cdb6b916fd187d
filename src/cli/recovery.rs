//! `starpunk password` and `starpunk passkeys --remove-all`: setting the owner's password and
//! removing every passkey from the command line, which always works (no back-off, no session).
//! Both write to the database directly (safe while the server runs) and end every session.

use std::io::{BufRead, IsTerminal};

use rusqlite::Connection;

use crate::auth::password;
use crate::clock;
use crate::db::{credentials, sessions};

/// Reads the new password: twice without echo on a terminal, one line when piped.
pub fn read_new_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        password::check_new(&first, None).map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("The same again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        password::check_new(&first, Some(&second)).map_err(|e| e.to_string())?;
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        password::check_new(&password, None).map_err(|e| e.to_string())?;
        Ok(password)
    }
}

/// Stores `password` (hashed) and ends every session; how many sessions ended.
pub fn set_password(conn: &mut Connection, password: &str) -> Result<usize, String> {
    let phc = password::hash(password)?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    credentials::set_password(&tx, &phc, clock::unix_now()).map_err(|e| e.to_string())?;
    let ended = sessions::delete_all_except(&tx, None).map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(ended)
}

/// Removes every passkey and ends every session; (passkeys removed, sessions ended).
pub fn remove_all_passkeys(conn: &mut Connection) -> Result<(usize, usize), String> {
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let removed = credentials::remove_all_passkeys(&tx).map_err(|e| e.to_string())?;
    let ended = sessions::delete_all_except(&tx, None).map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok((removed, ended))
}
