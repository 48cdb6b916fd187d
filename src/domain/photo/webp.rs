//! WebP: the RIFF chunks that carry metadata removed, their `VP8X` flags cleared, the RIFF size
//! fixed; the image chunks copied whole.

use super::Rewritten;

/// The chunks that stay: the image, its alpha, animation and colour profile.
const KEPT: [&[u8; 4]; 7] = [
    b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];
/// The `VP8X` flag of an EXIF chunk.
const EXIF_FLAG: u8 = 0x08;
/// The `VP8X` flag of an XMP chunk.
const XMP_FLAG: u8 = 0x04;
/// The `VP8X` flag of an animation.
const ANIMATION_FLAG: u8 = 0x02;

/// The WebP with only the chunks in [`KEPT`]; the `EXIF` chunk's TIFF data on the side.
pub(super) fn rewrite(bytes: &[u8]) -> Result<Rewritten, &'static str> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Err("it has no RIFF WebP header");
    }
    let riff_end = usize::try_from(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]))
        .ok()
        .and_then(|size| size.checked_add(8))
        .ok_or("its RIFF size is out of range")?
        .min(bytes.len());
    let mut body = Vec::with_capacity(bytes.len());
    let (mut exif, mut animated) = (None, false);
    let mut pos = 12;
    while pos + 8 <= riff_end {
        let kind = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]);
        let data_end = usize::try_from(size)
            .ok()
            .and_then(|s| (pos + 8).checked_add(s))
            .filter(|end| *end <= riff_end)
            .ok_or("a chunk's size runs past the end of the file")?;
        // Chunks are padded to an even size.
        let end = (data_end + usize::from(size % 2 == 1)).min(riff_end);
        let data = &bytes[pos + 8..data_end];
        if kind == b"EXIF" && exif.is_none() {
            exif = Some(data.strip_prefix(b"Exif\0\0").unwrap_or(data).to_vec());
        }
        animated |= kind == b"ANIM";
        if KEPT.iter().any(|k| k.as_slice() == kind) {
            let start = body.len();
            body.extend_from_slice(&bytes[pos..end]);
            if kind == b"VP8X" && data_end > pos + 8 {
                animated |= body[start + 8] & ANIMATION_FLAG != 0;
                body[start + 8] &= !(EXIF_FLAG | XMP_FLAG);
            }
            if (end - pos) % 2 == 1 {
                body.push(0);
            }
        }
        pos = end;
    }
    if body.is_empty() {
        return Err("it has no image chunk");
    }
    let size = u32::try_from(body.len() + 4).map_err(|_| "it is too large")?;
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(body);
    Ok(Rewritten {
        bytes: out,
        exif,
        animated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body = chunks.concat();
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        file.extend_from_slice(b"WEBP");
        file.extend(body);
        file
    }

    #[test]
    fn exif_and_xmp_go_with_their_flags_and_the_size_is_fixed() {
        let vp8x = |flags: u8| chunk(b"VP8X", &[flags, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
        let (iccp, vp8l) = (chunk(b"ICCP", b"icc"), chunk(b"VP8L", b"pixels"));
        let file = riff(&[
            vp8x(0x20 | EXIF_FLAG | XMP_FLAG),
            iccp.clone(),
            vp8l.clone(),
            chunk(b"EXIF", b"Exif\0\0II*\0"),
            chunk(b"XMP ", b"<x:xmpmeta/>"),
        ]);
        let rewritten = rewrite(&file).unwrap();
        assert_eq!(rewritten.bytes, riff(&[vp8x(0x20), iccp, vp8l]));
        assert_eq!(rewritten.exif.as_deref(), Some(&b"II*\0"[..]));
        assert!(!rewritten.animated);
    }

    #[test]
    fn broken_structures_are_refused() {
        assert!(rewrite(b"RIFF\0\0\0\0WEBP").is_err());
        assert!(rewrite(&riff(&[b"VP8L\xFF\0\0\0ab".to_vec()])).is_err());
    }
}
