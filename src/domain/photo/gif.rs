//! GIF: comment and foreign application extensions removed; every frame, its timing and the
//! loop count copied byte for byte.

use super::Rewritten;

/// Application extensions that stay: the loop count (two spellings) and the colour profile.
const KEPT_APPLICATIONS: [&[u8; 11]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

/// The GIF without comment extensions and application extensions but [`KEPT_APPLICATIONS`],
/// cut after its trailer. GIFs carry no EXIF.
pub(super) fn rewrite(bytes: &[u8]) -> Result<Rewritten, &'static str> {
    if bytes.len() < 13 || !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return Err("it has no GIF header");
    }
    let mut pos = 13 + color_table_len(bytes[10]);
    if pos > bytes.len() {
        return Err("it ends inside its colour table");
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..pos]);
    let mut frames = 0;
    loop {
        let Some(&introducer) = bytes.get(pos) else {
            // A file cut short between blocks still shows its frames.
            out.push(0x3B);
            break;
        };
        match introducer {
            0x2C => {
                let descriptor = bytes.get(pos..pos + 10).ok_or("it ends inside a frame")?;
                let data = pos + 10 + color_table_len(descriptor[9]);
                // The LZW code size, then the data's sub-blocks.
                let end = sub_blocks_end(bytes, data + 1)?;
                out.extend_from_slice(&bytes[pos..end]);
                frames += 1;
                pos = end;
            }
            0x21 => {
                let label = *bytes.get(pos + 1).ok_or("it ends inside an extension")?;
                let end = sub_blocks_end(bytes, pos + 2)?;
                let keep = match label {
                    // Graphic control (frame delay, transparency) and plain text.
                    0xF9 | 0x01 => true,
                    0xFF => bytes.get(pos + 2..pos + 14).is_some_and(|id| {
                        id[0] == 11 && KEPT_APPLICATIONS.iter().any(|k| k[..] == id[1..])
                    }),
                    _ => false,
                };
                if keep {
                    out.extend_from_slice(&bytes[pos..end]);
                }
                pos = end;
            }
            0x3B => {
                out.push(0x3B);
                break;
            }
            _ => return Err("it has an unknown block"),
        }
    }
    if frames == 0 {
        return Err("it has no frame");
    }
    Ok(Rewritten {
        bytes: out,
        exif: None,
        animated: frames > 1,
    })
}

/// The length of the colour table a packed-fields byte announces (0 without one).
fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// Where the sub-blocks that start at `pos` end (after their zero-length terminator).
fn sub_blocks_end(bytes: &[u8], mut pos: usize) -> Result<usize, &'static str> {
    loop {
        let size = *bytes.get(pos).ok_or("it ends inside a block")?;
        pos += 1 + usize::from(size);
        if size == 0 {
            return Ok(pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_xmp_go_and_frames_and_looping_stay() {
        let header = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        let netscape = b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\0\0\0".to_vec();
        let control = b"\x21\xF9\x04\0\x0A\0\0\0".to_vec();
        let frame = b"\x2C\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0".to_vec();
        let comment = [&b"\x21\xFE\x05there"[..], b"\0"].concat();
        let xmp = [&b"\x21\xFF\x0BXMP DataXMP\x04<x/>"[..], b"\0"].concat();
        let file = [
            header.clone(),
            netscape.clone(),
            comment,
            xmp,
            control.clone(),
            frame.clone(),
            control.clone(),
            frame.clone(),
            b"\x3Btrailing".to_vec(),
        ]
        .concat();
        let rewritten = rewrite(&file).unwrap();
        let expected = [
            header,
            netscape,
            control.clone(),
            frame.clone(),
            control,
            frame,
            vec![0x3B],
        ]
        .concat();
        assert_eq!(rewritten.bytes, expected);
        assert!(rewritten.animated);
    }

    #[test]
    fn broken_structures_are_refused() {
        assert!(rewrite(b"GIF89a\x01\0\x01\0\0\0\0\x3B").is_err());
        assert!(rewrite(b"GIF89a\x01\0\x01\0\0\0\0\x2C\0\0").is_err());
        assert!(rewrite(b"GIF89a\x01\0\x01\0\0\0\0\x99").is_err());
    }
}
