//! Uploaded photos made safe to publish: metadata stripped, orientation applied, decoding bounded.
//!
//! [`sanitize`] is the one entry: the bytes of an upload in, the bytes to store and serve out
//! (or why not). It is pure computation, no I/O, and CPU work of up to about a second for the
//! largest image, so async callers run it on the blocking pool.
//!
//! What leaves every image: EXIF (camera, GPS position, time), XMP, IPTC/Photoshop blocks,
//! comments and text chunks, and anything after the image's end (e.g. the second picture of a
//! JPEG "multi-picture" file). What stays: the pixels, the colour profile (ICC), the colour and
//! gamma information, the pixel density and, in GIFs, the animation.
//!
//! How, per format:
//!
//! - **JPEG** is rewritten losslessly, segment by segment: APP0 (JFIF), APP2 `ICC_PROFILE` and
//!   APP14 (Adobe, the colour transform) stay, every other APPn (APP1 EXIF and XMP, APP2 MPF,
//!   APP13 IPTC …) and COM go; the compressed data is copied byte for byte. When the EXIF
//!   orientation is 2–8 the image is decoded, turned the right way up and re-encoded at
//!   [`JPEG_QUALITY`] with the ICC profile carried over.
//! - **PNG** is rewritten losslessly, chunk by chunk, whole chunks copied with their CRCs: the
//!   critical chunks and the ancillary chunks that change how pixels look or move (`tRNS`,
//!   `iCCP`, `sRGB`, `gAMA`, `cHRM`, `cICP`, `mDCV`, `cLLI`, `sBIT`, `bKGD`, `hIST`, `pHYs` and
//!   APNG's `acTL`, `fcTL`, `fdAT`) stay; every other ancillary chunk (`eXIf`, `tEXt`, `zTXt`,
//!   `iTXt`, `tIME`, private ones) goes. An `eXIf` orientation 2–8 is applied by decoding and
//!   re-encoding as PNG, which is lossless too.
//! - **WebP** is rewritten losslessly, RIFF chunk by chunk: `EXIF`, `XMP ` and unknown chunks go,
//!   their flags in `VP8X` are cleared and the RIFF size is fixed; `ICCP` and the image and
//!   animation chunks stay. An orientation 2–8 is applied by decoding and re-encoding with the
//!   `image` crate's WebP encoder, which is lossless only: a lossy photo can come out several
//!   times larger.
//! - **GIF** is rewritten losslessly, block by block: comment extensions and application
//!   extensions other than `NETSCAPE2.0`/`ANIMEXTS1.0` (the loop count) and `ICCRGBG1012` (the
//!   colour profile) go, so XMP (`XMP DataXMP`) goes; every frame, delay and the loop count stay.
//!
//! An animated PNG or WebP is never re-encoded (that would keep only its first frame): its EXIF
//! goes, and an orientation in it is not applied.
//!
//! Decoding is bounded: the header's width × height is checked against [`Limits::max_pixels`]
//! before any pixel is decoded ([`PhotoError::TooManyPixels`]), and the decoder's allocations are
//! capped. Every result is decoded once (the first frame of an animation) before it is accepted,
//! so what is stored is an image of its type ([`PhotoError::Undecodable`] otherwise).

mod gif;
mod jpeg;
mod pixels;
mod png;
mod webp;

use image::ImageFormat;
use image::metadata::Orientation;

/// The most pixels an uploaded image may have: 40 megapixels (a 7,746 × 5,164 photo).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// The version of the cleaning rules: a stored image cleaned under an older one is cleaned
/// again at start-up. Raise it when [`sanitize`] removes more.
pub const CLEAN_VERSION: i64 = 1;

/// The quality a JPEG is re-encoded at when its orientation has to be applied (0–100).
pub const JPEG_QUALITY: u8 = 90;

/// How large an image [`sanitize`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most pixels (width × height) an image may have.
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: MAX_IMAGE_PIXELS,
        }
    }
}

/// An image made safe to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clean {
    /// The bytes to store and serve.
    pub bytes: Vec<u8>,
    /// Its content type, e.g. `image/jpeg`.
    pub content_type: &'static str,
    /// The extension its stored name gets, e.g. `jpg`.
    pub extension: &'static str,
    /// Its width in pixels, as displayed (after the orientation).
    pub width: u32,
    /// Its height in pixels, as displayed.
    pub height: u32,
}

/// Why an upload is not accepted as an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not a JPEG, PNG, GIF or WebP file.
    #[error(
        "Only JPEG, PNG, GIF and WebP images can be uploaded (the type is read from the file's content)."
    )]
    Unsupported,
    /// More pixels than [`Limits::max_pixels`].
    #[error(
        "The image is {width} × {height} pixels; the limit is {} megapixels.",
        limit / 1_000_000
    )]
    TooManyPixels {
        /// The header's width.
        width: u32,
        /// The header's height.
        height: u32,
        /// The limit, in pixels.
        limit: u64,
    },
    /// The content is not a decodable image of its detected type.
    #[error("The file looks like a {kind} image but cannot be read as one: {detail}.")]
    Undecodable {
        /// The detected type, e.g. `JPEG`.
        kind: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// What a format's rewrite hands back: the bytes without metadata and what the pixels need.
struct Rewritten {
    /// The file, metadata removed.
    bytes: Vec<u8>,
    /// The EXIF block's TIFF data (`II*\0…` or `MM\0*…`), if there was one, for its orientation.
    exif: Option<Vec<u8>>,
    /// Whether the image has more than one frame (never re-encoded).
    animated: bool,
}

/// The image in `bytes` without its metadata, the right way up, checked to decode within
/// `limits`.
pub fn sanitize(bytes: &[u8], limits: Limits) -> Result<Clean, PhotoError> {
    let Some((content_type, extension)) = super::media::detect_image(bytes) else {
        return Err(PhotoError::Unsupported);
    };
    let format = match content_type {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        _ => ImageFormat::WebP,
    };
    let undecodable = |detail: String| PhotoError::Undecodable {
        kind: kind(format),
        detail,
    };
    let rewritten = match format {
        ImageFormat::Jpeg => jpeg::rewrite(bytes),
        ImageFormat::Png => png::rewrite(bytes),
        ImageFormat::Gif => gif::rewrite(bytes),
        _ => webp::rewrite(bytes),
    }
    .map_err(|e| undecodable(e.to_owned()))?;
    let orientation = rewritten
        .exif
        .as_deref()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let (bytes, width, height) = if orientation != Orientation::NoTransforms && !rewritten.animated
    {
        pixels::reorient(&rewritten.bytes, format, orientation, limits)?
    } else {
        let (width, height) = pixels::check(&rewritten.bytes, format, limits)?;
        (rewritten.bytes, width, height)
    };
    Ok(Clean {
        bytes,
        content_type,
        extension,
        width,
        height,
    })
}

/// The format's name in messages.
fn kind(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        _ => "WebP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_limit_is_told_in_megapixels() {
        let e = PhotoError::TooManyPixels {
            width: 20000,
            height: 20000,
            limit: MAX_IMAGE_PIXELS,
        };
        assert_eq!(
            e.to_string(),
            "The image is 20000 × 20000 pixels; the limit is 40 megapixels."
        );
    }

    #[test]
    fn what_is_not_an_image_is_unsupported() {
        assert_eq!(
            sanitize(
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                Limits::default()
            ),
            Err(PhotoError::Unsupported)
        );
        assert_eq!(
            sanitize(b"", Limits::default()),
            Err(PhotoError::Unsupported)
        );
    }
}
