//! CSRF tokens: an HMAC of the session under `SESSION_SECRET`, checked on every admin POST.
//!
//! The token is bound to one session (it is derived from the session's stored hash), so a
//! token from another session or from before a logout never passes. Comparison is constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The form field every state-changing form carries.
pub const FIELD: &str = "csrf_token";

fn mac(secret: &Secret, session_hash: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(b"starpunk-csrf:");
    mac.update(session_hash.as_bytes());
    mac
}

/// The CSRF token for the session whose stored hash is `session_hash`.
pub fn token_for(secret: &Secret, session_hash: &str) -> String {
    hex::encode(mac(secret, session_hash).finalize().into_bytes())
}

/// Whether `given` is the CSRF token of that session (constant-time comparison).
pub fn verify(secret: &Secret, session_hash: &str, given: &str) -> bool {
    match hex::decode(given.trim()) {
        Ok(bytes) => mac(secret, session_hash).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_own_session() {
        let secret = Secret::new("x".repeat(40));
        let token = token_for(&secret, "session-a");
        assert!(verify(&secret, "session-a", &token));
        assert!(!verify(&secret, "session-b", &token));
        assert!(!verify(&Secret::new("y".repeat(40)), "session-a", &token));
        assert!(!verify(&secret, "session-a", ""));
        assert!(!verify(&secret, "session-a", "not hex"));
    }
}
