//! The owner's password: stored only as an Argon2id PHC string (memory 19 MiB, 2 passes, one
//! lane: OWASP's recommended minimum), checked by argon2's own constant-time comparison.
//!
//! Hashing costs tens of milliseconds on purpose; callers run it on the blocking pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Fewer characters than this are refused.
pub const MIN_CHARS: usize = 12;
/// More bytes than this are refused (hashing is bounded work, whatever is sent).
pub const MAX_BYTES: usize = 1024;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password needs at least {MIN_CHARS} characters")]
    TooShort,
    /// Too long.
    #[error("the password may have at most {MAX_BYTES} bytes")]
    TooLong,
    /// The two entries differ.
    #[error("the two passwords are not the same")]
    Mismatch,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(
        Params::DEFAULT_M_COST,
        Params::DEFAULT_T_COST,
        Params::DEFAULT_P_COST,
        None,
    )
    .unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password (and its repetition, when given) against the rules.
pub fn check_new(password: &str, repeated: Option<&str>) -> Result<(), PasswordError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if repeated.is_some_and(|r| r != password) {
        return Err(PasswordError::Mismatch);
    }
    Ok(())
}

/// The PHC string of a new password (random salt).
pub fn hash(password: &str) -> Result<String, String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed string matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_stored_as_argon2id_and_only_it_matches() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("correct horse battery", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn new_passwords_follow_the_rules() {
        assert_eq!(check_new("short", None), Err(PasswordError::TooShort));
        assert_eq!(check_new("ünïcödé-twelve", None), Ok(()));
        assert_eq!(
            check_new("long enough pw", Some("long enough pX")),
            Err(PasswordError::Mismatch)
        );
        assert_eq!(
            check_new(&"x".repeat(2000), None),
            Err(PasswordError::TooLong)
        );
    }
}
