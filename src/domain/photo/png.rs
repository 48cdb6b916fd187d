//! PNG: the chunks that carry metadata removed; the others copied whole, CRCs included.

use super::Rewritten;

/// The PNG signature.
const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that change how the pixels look or move: they stay.
const KEPT: [&[u8; 4]; 14] = [
    b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"cICP", b"mDCV", b"cLLI", b"sBIT", b"bKGD",
    b"hIST", b"pHYs", b"acTL", b"fcTL",
];

/// The PNG with only its critical chunks, the ancillary chunks in [`KEPT`] and APNG frame data,
/// cut after `IEND`; the `eXIf` chunk's TIFF data on the side.
pub(super) fn rewrite(bytes: &[u8]) -> Result<Rewritten, &'static str> {
    if !bytes.starts_with(SIGNATURE) {
        return Err("it has no PNG signature");
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let (mut exif, mut animated) = (None, false);
    let mut pos = SIGNATURE.len();
    loop {
        let header = bytes
            .get(pos..pos + 8)
            .ok_or("it ends before its IEND chunk")?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = &header[4..8];
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| (pos + 12).checked_add(l))
            .filter(|end| *end <= bytes.len())
            .ok_or("a chunk's length runs past the end of the file")?;
        let data = &bytes[pos + 8..end - 4];
        if kind == b"eXIf" && exif.is_none() {
            exif = Some(data.to_vec());
        }
        animated |= kind == b"acTL";
        if keeps(kind) {
            out.extend_from_slice(&bytes[pos..end]);
        }
        pos = end;
        if kind == b"IEND" {
            break;
        }
    }
    Ok(Rewritten {
        bytes: out,
        exif,
        animated,
    })
}

/// Whether a chunk stays: critical ones (upper-case first letter), `fdAT` and [`KEPT`].
fn keeps(kind: &[u8]) -> bool {
    kind.first().is_some_and(u8::is_ascii_uppercase)
        || kind == b"fdAT"
        || KEPT.iter().any(|k| k.as_slice() == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD]); // the CRC is copied, not checked
        c
    }

    #[test]
    fn text_time_and_exif_go_and_colour_stays() {
        let (ihdr, iccp, idat, iend) = (
            chunk(b"IHDR", &[0; 13]),
            chunk(b"iCCP", b"p\0\0x"),
            chunk(b"IDAT", b"xyz"),
            chunk(b"IEND", b""),
        );
        let mut file = SIGNATURE.to_vec();
        for c in [
            ihdr.clone(),
            chunk(b"eXIf", b"MM\0*"),
            iccp.clone(),
            chunk(b"tEXt", b"GPS\0here"),
            chunk(b"zTXt", b"k\0\0z"),
            chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"),
            chunk(b"tIME", &[7; 7]),
            chunk(b"prVt", b"private"),
            idat.clone(),
            iend.clone(),
        ] {
            file.extend(c);
        }
        file.extend_from_slice(b"trailing");
        let rewritten = rewrite(&file).unwrap();
        let expected = [SIGNATURE.to_vec(), ihdr, iccp, idat, iend].concat();
        assert_eq!(rewritten.bytes, expected);
        assert_eq!(rewritten.exif.as_deref(), Some(&b"MM\0*"[..]));
        assert!(!rewritten.animated);
    }

    #[test]
    fn broken_structures_are_refused() {
        assert!(rewrite(SIGNATURE).is_err());
        let mut long = SIGNATURE.to_vec();
        long.extend(chunk(b"IHDR", &[0; 13]));
        long[11] = 200;
        assert!(rewrite(&long).is_err());
    }
}
