//! Random secrets and their stored form: the primitives behind sessions, login states, CSRF
//! and tokens. Imports nothing of the crate, so configuration (the persisted session secret)
//! and every layer above can use it.

/// A fresh 256-bit random token from the operating system, hex encoded (64 characters).
///
/// `fastrand` is fine for sampling metrics but not for secrets; this uses `getrandom`.
pub fn random_token() -> String {
    random_hex::<32>()
}

/// A fresh 128-bit random token, hex encoded (32 characters): for values another server may
/// limit in length, such as the login `state` (some authorization servers refuse more than 32
/// characters).
pub fn random_token_128() -> String {
    random_hex::<16>()
}

/// `N` random bytes from the operating system, hex encoded.
fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_of_their_size_and_differ() {
        let (long, short) = (random_token(), random_token_128());
        assert_eq!(long.len(), 64);
        assert_eq!(short.len(), 32);
        assert!(
            long.chars()
                .chain(short.chars())
                .all(|c| c.is_ascii_hexdigit())
        );
        assert_ne!(random_token_128(), short);
    }
}
