//! Bounded decoding, and the re-encoding that turns an image the right way up.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageError, ImageFormat,
    ImageReader,
};

use super::{JPEG_QUALITY, Limits, PhotoError, kind};

/// The most bytes a decoder may allocate per pixel allowed (16-bit RGBA needs 8).
const BYTES_PER_PIXEL: u64 = 8;

/// Decodes the image (its first frame) within `limits`: its width and height.
pub(super) fn check(
    bytes: &[u8],
    format: ImageFormat,
    limits: Limits,
) -> Result<(u32, u32), PhotoError> {
    let decoder = bounded_decoder(bytes, format, limits)?;
    let dimensions = decoder.dimensions();
    DynamicImage::from_decoder(decoder).map_err(|e| failure(e, format, dimensions, limits))?;
    Ok(dimensions)
}

/// Decodes the image within `limits`, applies `orientation` and encodes it again in its format
/// (JPEG at [`JPEG_QUALITY`], PNG and WebP losslessly) with its ICC profile: the bytes, width
/// and height.
pub(super) fn reorient(
    bytes: &[u8],
    format: ImageFormat,
    orientation: Orientation,
    limits: Limits,
) -> Result<(Vec<u8>, u32, u32), PhotoError> {
    let mut decoder = bounded_decoder(bytes, format, limits)?;
    let dimensions = decoder.dimensions();
    // A CMYK JPEG's profile describes ink, not the RGB pixels it is decoded to: it goes.
    let cmyk = decoder.original_color_type() == ExtendedColorType::Cmyk8;
    let icc = decoder.icc_profile().ok().flatten().filter(|_| !cmyk);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| failure(e, format, dimensions, limits))?;
    image.apply_orientation(orientation);
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Jpeg => encode(
            &image,
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY),
            icc,
        ),
        // zlib's default level: the crate's own default is its fastest, several times larger.
        ImageFormat::Png => encode(
            &image,
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive),
            icc,
        ),
        _ => encode(&image, WebPEncoder::new_lossless(&mut out), icc),
    };
    written.map_err(|e| failure(e, format, dimensions, limits))?;
    Ok((out, image.width(), image.height()))
}

/// Writes `image` with `encoder`, the ICC profile set where the encoder takes one.
fn encode(
    image: &DynamicImage,
    mut encoder: impl ImageEncoder,
    icc: Option<Vec<u8>>,
) -> Result<(), ImageError> {
    if let Some(icc) = icc {
        // Every encoder used here takes a profile; one that did not would drop it.
        let _ = encoder.set_icc_profile(icc);
    }
    image.write_with_encoder(encoder)
}

/// A decoder over `bytes` whose header is read and within `limits`, its allocations capped.
fn bounded_decoder(
    bytes: &[u8],
    format: ImageFormat,
    limits: Limits,
) -> Result<impl ImageDecoder + '_, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // The header is read unbounded (it allocates nothing large), so a refusal can say the size.
    reader.no_limits();
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| failure(e, format, (0, 0), limits))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let mut bounded = image::Limits::default();
    bounded.max_alloc = Some(limits.max_pixels.saturating_mul(BYTES_PER_PIXEL));
    decoder
        .set_limits(bounded)
        .map_err(|e| failure(e, format, (width, height), limits))?;
    Ok(decoder)
}

/// The refusal for a decoding or encoding failure: over the limits, or not an image.
fn failure(
    e: ImageError,
    format: ImageFormat,
    (width, height): (u32, u32),
    limits: Limits,
) -> PhotoError {
    match e {
        ImageError::Limits(_) => PhotoError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        },
        other => PhotoError::Undecodable {
            kind: kind(format),
            detail: other.to_string(),
        },
    }
}
