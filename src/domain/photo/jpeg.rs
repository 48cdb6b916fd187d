//! JPEG: the segments that carry metadata removed, everything else copied byte for byte.

use super::Rewritten;

/// Start of scan: entropy-coded data follows its header.
const SOS: u8 = 0xDA;
/// End of image: anything after it is dropped.
const EOI: u8 = 0xD9;

/// The JPEG without APP1 (EXIF, XMP), APP13 (IPTC), COM and every other APPn but JFIF APP0, ICC
/// APP2 and Adobe APP14, cut at its end-of-image marker; the EXIF block's TIFF data on the side.
pub(super) fn rewrite(bytes: &[u8]) -> Result<Rewritten, &'static str> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("it has no start-of-image marker");
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut exif = None;
    let mut pos = 2;
    loop {
        if bytes.get(pos) != Some(&0xFF) {
            return Err("a segment does not start with a marker");
        }
        // A marker may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let code = *bytes.get(pos).ok_or("it ends inside a marker")?;
        pos += 1;
        match code {
            EOI => break,
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, code]);
                continue;
            }
            0x00 => return Err("it has a stray 0xFF 0x00 between segments"),
            _ => {}
        }
        let length = match bytes.get(pos..pos + 2) {
            Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
            _ => return Err("it ends inside a segment's length"),
        };
        let end = pos + length;
        if length < 2 || end > bytes.len() {
            return Err("a segment's length runs past the end of the file");
        }
        let payload = &bytes[pos + 2..end];
        if code == 0xE1 && exif.is_none() {
            exif = payload.strip_prefix(b"Exif\0\0").map(<[u8]>::to_vec);
        }
        if keeps(code, payload) {
            out.extend_from_slice(&[0xFF, code]);
            out.extend_from_slice(&bytes[pos..end]);
        }
        pos = end;
        if code == SOS {
            let data_end = entropy_coded_end(bytes, pos);
            out.extend_from_slice(&bytes[pos..data_end]);
            pos = data_end;
            if pos >= bytes.len() {
                // A file cut short after its last scan still shows what it has.
                break;
            }
        }
    }
    out.extend_from_slice(&[0xFF, EOI]);
    Ok(Rewritten {
        bytes: out,
        exif,
        animated: false,
    })
}

/// Whether a segment stays: anything that is not an application segment or a comment, and of
/// those JFIF, the ICC profile and Adobe's colour transform.
fn keeps(code: u8, payload: &[u8]) -> bool {
    match code {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

/// Where the entropy-coded data that starts at `pos` ends: at the first marker that is not a
/// stuffed byte (`FF 00`), a restart marker or fill, or at the end of the file.
fn entropy_coded_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos + 1 < bytes.len() {
        if bytes[pos] != 0xFF {
            pos += 1;
            continue;
        }
        match bytes[pos + 1] {
            0x00 | 0xD0..=0xD7 => pos += 2,
            0xFF => pos += 1,
            _ => return pos,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, code];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    #[test]
    fn metadata_segments_go_and_the_rest_stays_byte_for_byte() {
        let jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01abc");
        let dqt = segment(0xDB, &[0; 65]);
        let sos = segment(SOS, &[1, 1, 0, 0, 63, 0]);
        let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        let mut file = vec![0xFF, 0xD8];
        for part in [
            jfif.clone(),
            segment(0xE1, b"Exif\0\0MM\0*\0\0\0\x08\0\0"),
            segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>"),
            icc.clone(),
            segment(0xED, b"Photoshop 3.0\0"),
            segment(0xFE, b"a comment"),
            dqt.clone(),
            sos.clone(),
        ] {
            file.extend(part);
        }
        file.extend_from_slice(&scan);
        file.extend_from_slice(&[0xFF, EOI, b'G', b'P', b'S']);
        let rewritten = rewrite(&file).unwrap();
        let mut expected = vec![0xFF, 0xD8];
        for part in [jfif, icc, dqt, sos] {
            expected.extend(part);
        }
        expected.extend_from_slice(&scan);
        expected.extend_from_slice(&[0xFF, EOI]);
        assert_eq!(rewritten.bytes, expected);
        assert_eq!(rewritten.exif.as_deref(), Some(&b"MM\0*\0\0\0\x08\0\0"[..]));
    }

    #[test]
    fn broken_structures_are_refused() {
        assert!(rewrite(b"\xFF\xD8garbage").is_err());
        assert!(rewrite(b"\xFF\xD8\xFF\xE1\xFF\xFF").is_err());
        assert!(rewrite(b"GIF89a").is_err());
    }
}
