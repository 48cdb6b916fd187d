//! The first-run setup address: while the owner has no credential, every start issues a new
//! random token (128 bits) valid for an hour, logged once at warn as `SITE_URL` +
//! `auth/setup?token=…`. Only its hash is kept. Registering the first credential ends it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::secret::{hash_token, random_token};

/// How long a setup token works.
pub const LIFETIME: Duration = Duration::from_secs(60 * 60);

/// The setup token of this run, if one was issued and has not been used.
#[derive(Debug, Default)]
pub struct SetupToken {
    current: Mutex<Option<(String, Instant)>>,
}

impl SetupToken {
    /// Issues a new token (replacing any other); returns it for the log line.
    pub fn issue(&self) -> String {
        let token = random_token()[..32].to_owned();
        *self.lock() = Some((hash_token(&token), Instant::now() + LIFETIME));
        token
    }

    /// Whether `token` is the current, unexpired setup token.
    pub fn is_valid(&self, token: &str) -> bool {
        self.is_valid_at(token, Instant::now())
    }

    fn is_valid_at(&self, token: &str, now: Instant) -> bool {
        let given = hash_token(token);
        self.lock().as_ref().is_some_and(|(hash, expires)| {
            now < *expires && crate::secret::same(hash.as_bytes(), given.as_bytes())
        })
    }

    /// Ends the token (a credential now exists).
    pub fn finish(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, Instant)>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_token_works_for_an_hour_until_used() {
        let setup = SetupToken::default();
        assert!(!setup.is_valid("anything"));
        let token = setup.issue();
        assert_eq!(token.len(), 32, "128 bits in hex");
        assert!(setup.is_valid(&token));
        assert!(!setup.is_valid(&token[1..]));
        assert!(!setup.is_valid_at(&token, Instant::now() + LIFETIME));
        let newer = setup.issue();
        assert!(!setup.is_valid(&token), "a new start replaces it");
        setup.finish();
        assert!(!setup.is_valid(&newer));
    }
}
