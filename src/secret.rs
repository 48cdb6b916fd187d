//! Random secrets and their stored form: the primitives behind sessions, login states, CSRF
//! and tokens. Imports nothing of the crate, so configuration (the persisted session secret)
//! and every layer above can use it.

/// A fresh 256-bit random token from the operating system, hex encoded (64 characters).
///
/// `fastrand` is fine for sampling metrics but not for secrets; this uses `getrandom`.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    hex::encode(bytes)
}

/// The SHA-256 of a token, hex encoded: what is stored instead of the token itself.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two byte strings (their lengths are not secret).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
