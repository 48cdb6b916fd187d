//! Compiled-in assets (`assets/`): the embedded files, their fingerprints and fingerprinted URLs.
//!
//! Only paths that are exactly a key of the embedded set are found; anything with `..`, `.`,
//! empty, absolute or backslash segments is refused before the lookup. The handler that serves
//! them is `routes::files`.

use rust_embed::{EmbeddedFile, RustEmbed};

/// The files under `assets/`, embedded in every build (`debug-embed`), so tests exercise exactly
/// what a release serves.
#[derive(RustEmbed)]
#[folder = "assets/"]
pub struct Assets;

/// The hex SHA-256 of an embedded asset, if it exists.
pub fn hash(path: &str) -> Option<String> {
    Assets::get(path).map(|f| hex::encode(f.metadata.sha256_hash()))
}

/// The URL of an asset with a fingerprint, e.g. `/static/css/site.css?v=1a2b3c4d5e6f`; views
/// use it so browsers may cache the file for a year and still see every new version.
pub fn url(path: &str) -> String {
    match hash(path) {
        Some(h) => format!("/static/{path}?v={}", &h[..12]),
        None => format!("/static/{path}"),
    }
}

/// The embedded file at a requested path, if the path is a plain relative path inside the
/// asset tree and names a file.
pub fn lookup(path: &str) -> Option<EmbeddedFile> {
    if is_safe(path) {
        Assets::get(path)
    } else {
        None
    }
}

/// Whether a requested path is a plain relative path inside the asset tree.
fn is_safe(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert!(is_safe("css/site.css"));
        for bad in [
            "",
            "/etc/passwd",
            "../Cargo.toml",
            "css/../../x",
            "css//x",
            "./x",
            "a\\b",
            "css/.",
        ] {
            assert!(!is_safe(bad), "{bad:?}");
        }
    }
}
