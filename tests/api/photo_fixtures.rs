//! Test images made at test time (no binary files in git): pictures with four coloured
//! quadrants, carrying an EXIF block (Make, Orientation, GPS position), XMP, a comment and an ICC
//! profile in each format's own way.

use std::io::Cursor;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{Delay, Frame, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// The picture's width and height: wider than high, so a quarter turn shows.
pub const W: u32 = 48;
/// See [`W`].
pub const H: u32 = 32;

/// Top-left red, top-right green, bottom-left blue, bottom-right yellow.
pub const QUADRANTS: [[u8; 3]; 4] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];

/// The XMP packet and comment every fixture carries, to look for afterwards.
pub const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>52,22.025N</exif:GPSLatitude></x:xmpmeta>";
/// See [`XMP`].
pub const COMMENT: &[u8] = b"taken at home, Herengracht 1";

/// The colour of the quadrant that holds source pixel (x, y).
pub fn quadrant(x: u32, y: u32) -> [u8; 3] {
    QUADRANTS[usize::from(y >= H / 2) * 2 + usize::from(x >= W / 2)]
}

/// The W × H quadrant picture.
pub fn picture() -> RgbImage {
    RgbImage::from_fn(W, H, |x, y| Rgb(quadrant(x, y)))
}

/// A small ICC profile: a valid 128-byte header ("acsp") with no tags.
pub fn icc() -> Vec<u8> {
    let mut p = vec![0u8; 132];
    p[0..4].copy_from_slice(&132u32.to_be_bytes());
    p[8..12].copy_from_slice(&[4, 0x30, 0, 0]);
    p[12..16].copy_from_slice(b"mntr");
    p[16..20].copy_from_slice(b"RGB ");
    p[20..24].copy_from_slice(b"XYZ ");
    p[36..40].copy_from_slice(b"acsp");
    p[64..68].copy_from_slice(&[0, 0, 0, 1]);
    p
}

/// An EXIF block's TIFF data (big-endian): IFD0 with Make "Phone", the orientation and a GPS
/// IFD at 52° 22′ 1.5″ N, 4° 53′ 4″ E.
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    let (ascii, short, long, rational) = (2, 3, 4, 5);
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut t, 0x010F, ascii, 6, 50u32.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, short, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, long, 1, 56u32.to_be_bytes());
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(b"Phone\0");
    assert_eq!(t.len(), 56);
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 1, ascii, 2, *b"N\0\0\0");
    entry(&mut t, 2, rational, 3, 110u32.to_be_bytes());
    entry(&mut t, 3, ascii, 2, *b"E\0\0\0");
    entry(&mut t, 4, rational, 3, 134u32.to_be_bytes());
    t.extend_from_slice(&[0; 4]);
    assert_eq!(t.len(), 110);
    for (n, d) in [(52, 1), (22, 1), (15, 10), (4, 1), (53, 1), (400, 100)] {
        t.extend_from_slice(&u32::to_be_bytes(n));
        t.extend_from_slice(&u32::to_be_bytes(d));
    }
    t
}

fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, code];
    s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// The picture as a JPEG (quality 100) without any metadata.
pub fn plain_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 100)
        .write_image(picture().as_raw(), W, H, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// The picture as a JPEG with EXIF (GPS, `orientation`), XMP, a comment and an ICC profile.
pub fn jpeg(orientation: u16) -> Vec<u8> {
    let plain = plain_jpeg();
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff(orientation));
    let xmp = [&b"http://ns.adobe.com/xap/1.0/\0"[..], XMP].concat();
    let icc = [&b"ICC_PROFILE\0\x01\x01"[..], &icc()].concat();
    [
        plain[..2].to_vec(),
        segment(0xE1, &exif),
        segment(0xE1, &xmp),
        segment(0xED, b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\0"),
        segment(0xFE, COMMENT),
        segment(0xE2, &icc),
        plain[2..].to_vec(),
    ]
    .concat()
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    c.extend_from_slice(&crc.finalize().to_be_bytes());
    c
}

/// The picture as a PNG with an ICC profile (`iCCP`), `eXIf` (GPS, `orientation`), `tEXt`,
/// `iTXt` (XMP) and `tIME`.
pub fn png(orientation: u16) -> Vec<u8> {
    let mut plain = Vec::new();
    let mut encoder = PngEncoder::new(&mut plain);
    encoder.set_icc_profile(icc()).unwrap();
    encoder
        .write_image(picture().as_raw(), W, H, image::ExtendedColorType::Rgb8)
        .unwrap();
    // After the signature and IHDR (8 + 25 bytes).
    let xmp = [&b"XML:com.adobe.xmp\0\0\0\0\0"[..], XMP].concat();
    [
        plain[..33].to_vec(),
        chunk(b"eXIf", &exif_tiff(orientation)),
        chunk(b"tEXt", &[&b"Comment\0"[..], COMMENT].concat()),
        chunk(b"iTXt", &xmp),
        chunk(b"tIME", &[7, 234, 5, 1, 12, 0, 0]),
        plain[33..].to_vec(),
    ]
    .concat()
}

fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = kind.to_vec();
    c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    c.extend_from_slice(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// The picture as an extended (`VP8X`) lossless WebP with `ICCP`, `EXIF` (GPS, `orientation`)
/// and `XMP ` chunks.
pub fn webp(orientation: u16) -> Vec<u8> {
    let mut plain = Vec::new();
    WebPEncoder::new_lossless(&mut plain)
        .write_image(picture().as_raw(), W, H, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert_eq!(&plain[12..16], b"VP8L");
    let mut vp8x = vec![0x20 | 0x08 | 0x04, 0, 0, 0];
    vp8x.extend_from_slice(&(W - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(H - 1).to_le_bytes()[..3]);
    let body = [
        riff_chunk(b"VP8X", &vp8x),
        riff_chunk(b"ICCP", &icc()),
        plain[12..].to_vec(),
        riff_chunk(b"EXIF", &exif_tiff(orientation)),
        riff_chunk(b"XMP ", XMP),
    ]
    .concat();
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
    file.extend_from_slice(b"WEBP");
    file.extend(body);
    file
}

/// The frame delays of [`gif`], in milliseconds.
pub const GIF_DELAYS: [u32; 3] = [100, 200, 300];

/// An animated GIF (three frames, looping forever) with a comment and an XMP application
/// extension.
pub fn gif() -> Vec<u8> {
    let mut plain = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut plain);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        let frames = GIF_DELAYS.iter().enumerate().map(|(i, ms)| {
            let colour = QUADRANTS[i];
            let frame = RgbaImage::from_pixel(8, 6, Rgba([colour[0], colour[1], colour[2], 255]));
            Frame::from_parts(frame, 0, 0, Delay::from_numer_denom_ms(*ms, 1))
        });
        encoder.encode_frames(frames).unwrap();
    }
    let packed = plain[10];
    let start = 13
        + if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        };
    let mut comment = vec![0x21, 0xFE, u8::try_from(COMMENT.len()).unwrap()];
    comment.extend_from_slice(COMMENT);
    comment.push(0);
    let mut xmp = b"\x21\xFF\x0BXMP DataXMP".to_vec();
    for piece in XMP.chunks(255) {
        xmp.push(u8::try_from(piece.len()).unwrap());
        xmp.extend_from_slice(piece);
    }
    xmp.push(0);
    [
        plain[..start].to_vec(),
        comment,
        xmp,
        plain[start..].to_vec(),
    ]
    .concat()
}

/// What a real EXIF reader finds in a file: `None` when it has no EXIF at all.
pub fn exif_of(bytes: &[u8]) -> Option<exif::Exif> {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
