//! Uploaded images: which types are accepted (judged by content, never by name) and what their
//! stored names look like.

/// Image types the media endpoint accepts, with the extension their stored names get.
pub const IMAGE_TYPES: [(&str, &str); 4] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

/// What feeds tell of a stored upload: its name, detected type and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// The public file name (`/media/{name}`).
    pub name: String,
    /// The detected content type, e.g. `image/jpeg`.
    pub content_type: String,
    /// The size in bytes.
    pub size: u64,
}

/// The content type and extension of an accepted image, detected from its bytes.
pub fn detect_image(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let detected = infer::get(bytes)?.mime_type();
    IMAGE_TYPES.into_iter().find(|(mime, _)| *mime == detected)
}

/// Whether `name` is a stored media name: 32 lower-case hex digits and an accepted extension.
pub fn is_media_name(name: &str) -> bool {
    let Some((stem, extension)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && IMAGE_TYPES.iter().any(|(_, e)| *e == extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_names_are_strict() {
        assert!(is_media_name("0123456789abcdef0123456789abcdef.jpg"));
        for bad in [
            "0123456789ABCDEF0123456789abcdef.jpg",
            "0123456789abcdef0123456789abcdef.exe",
            "0123456789abcdef0123456789abcdef.jpg.png",
            "../0123456789abcdef0123456789abc.jpg",
            "x.jpg",
            "",
        ] {
            assert!(!is_media_name(bad), "{bad}");
        }
    }

    #[test]
    fn images_are_detected_by_content() {
        assert_eq!(
            detect_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("image/png", "png"))
        );
        assert_eq!(detect_image(b"GIF89a...."), Some(("image/gif", "gif")));
        assert_eq!(
            detect_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(detect_image(b""), None);
    }
}
