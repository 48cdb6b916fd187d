//! Issue 16, photos: every uploaded image is stored and served without EXIF/XMP/IPTC/comment
//! metadata (GPS above all), the right way up, its colour profile kept; decoding is bounded.
//! First `domain::photo::sanitize` on fixtures made at test time (see `photo_fixtures`), read
//! back with a real EXIF reader; then the same over real HTTP.

use std::io::Cursor;

use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use starpunk::domain::photo::{self, Limits, PhotoError};

use crate::photo_fixtures::{self as fx, COMMENT, H, W, XMP, contains, exif_of};

/// Decodes an image (its first frame).
fn decode(bytes: &[u8]) -> DynamicImage {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .decode()
        .unwrap()
}

/// The ICC profile a decoder reads from an image.
fn icc_of(bytes: &[u8], format: ImageFormat) -> Option<Vec<u8>> {
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .unwrap();
    decoder.icc_profile().unwrap()
}

/// Where source pixel (x, y) of the W × H picture is shown under an EXIF orientation: for each
/// displayed pixel, the source pixel it comes from (EXIF 2.3, tag 0x0112).
fn source_of(orientation: u16, x: u32, y: u32) -> (u32, u32) {
    match orientation {
        1 => (x, y),
        2 => (W - 1 - x, y),
        3 => (W - 1 - x, H - 1 - y),
        4 => (x, H - 1 - y),
        5 => (y, x),
        6 => (y, H - 1 - x),
        7 => (W - 1 - y, H - 1 - x),
        8 => (W - 1 - y, x),
        _ => unreachable!(),
    }
}

/// Asserts that `image` shows the quadrant picture under `orientation`: exactly every pixel
/// when `exact`, else the middle of each quadrant within a JPEG's tolerance.
fn assert_oriented(image: &DynamicImage, orientation: u16, exact: bool) {
    let image = image.to_rgb8();
    let (w, h) = if orientation >= 5 { (H, W) } else { (W, H) };
    assert_eq!(image.dimensions(), (w, h), "orientation {orientation}");
    let points: Vec<(u32, u32)> = if exact {
        (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).collect()
    } else {
        [(1, 1), (3, 1), (1, 3), (3, 3)]
            .map(|(fx, fy)| (w * fx / 4, h * fy / 4))
            .to_vec()
    };
    for (x, y) in points {
        let (sx, sy) = source_of(orientation, x, y);
        let expected = fx::quadrant(sx, sy);
        let got = image.get_pixel(x, y).0;
        let close = expected
            .iter()
            .zip(got)
            .all(|(e, g)| if exact { *e == g } else { e.abs_diff(g) <= 48 });
        assert!(
            close,
            "orientation {orientation}: ({x}, {y}) is {got:?}, expected {expected:?}"
        );
    }
}

/// The EXIF in every fixture is real: a real reader finds its GPS position and orientation.
#[test]
fn the_fixtures_carry_gps_for_a_real_exif_reader() {
    for bytes in [fx::jpeg(6), fx::png(6), fx::webp(6)] {
        let exif = exif_of(&bytes).expect("the fixture has EXIF");
        let latitude = exif
            .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .expect("GPSLatitude");
        assert_eq!(
            latitude.display_value().to_string(),
            "52 deg 22 min 1.5 sec"
        );
        let make = exif.get_field(exif::Tag::Make, exif::In::PRIMARY).unwrap();
        assert_eq!(make.display_value().to_string(), "\"Phone\"");
        let orientation = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY);
        assert_eq!(orientation.unwrap().value.get_uint(0), Some(6));
    }
}

/// Every format, every orientation: no EXIF at all (so no GPS, no Make), no XMP, no comment;
/// the ICC profile byte for byte; the pixels the right way up.
#[test]
fn jpeg_png_and_webp_lose_their_metadata_and_stand_the_right_way_up() {
    type Make = fn(u16) -> Vec<u8>;
    let formats: [(Make, ImageFormat, &str, bool); 3] = [
        (fx::jpeg, ImageFormat::Jpeg, "image/jpeg", false),
        (fx::png, ImageFormat::Png, "image/png", true),
        (fx::webp, ImageFormat::WebP, "image/webp", true),
    ];
    for (make, format, content_type, lossless) in formats {
        for orientation in 1..=8 {
            let clean = photo::sanitize(&make(orientation), Limits::default()).unwrap();
            let what = format!("{content_type}, orientation {orientation}");
            assert_eq!(clean.content_type, content_type);
            assert!(exif_of(&clean.bytes).is_none(), "{what}: EXIF left");
            assert!(!contains(&clean.bytes, b"GPS"), "{what}: GPS left");
            assert!(!contains(&clean.bytes, XMP), "{what}: XMP left");
            assert!(!contains(&clean.bytes, COMMENT), "{what}: comment left");
            assert!(!contains(&clean.bytes, b"Photoshop"), "{what}: IPTC left");
            assert_eq!(icc_of(&clean.bytes, format), Some(fx::icc()), "{what}: ICC");
            let image = decode(&clean.bytes);
            assert_oriented(&image, orientation, lossless);
            assert_eq!((clean.width, clean.height), (image.width(), image.height()));
        }
    }
}

/// Orientation 1: the JPEG is rewritten, not re-encoded — its pixels decode identically.
#[test]
fn an_upright_jpeg_is_rewritten_losslessly() {
    let original = fx::jpeg(1);
    let clean = photo::sanitize(&original, Limits::default()).unwrap();
    assert_eq!(decode(&clean.bytes).to_rgb8(), decode(&original).to_rgb8());
    assert_eq!(
        decode(&clean.bytes).to_rgb8(),
        decode(&fx::plain_jpeg()).to_rgb8()
    );
    assert!(clean.bytes.len() < original.len());
    assert!(contains(&clean.bytes, b"JFIF\0"), "APP0 stays");
}

/// Upright PNG and WebP are rewritten chunk by chunk: identical pixels.
#[test]
fn upright_png_and_webp_are_rewritten_losslessly() {
    for original in [fx::png(1), fx::webp(1)] {
        let clean = photo::sanitize(&original, Limits::default()).unwrap();
        assert_eq!(decode(&clean.bytes).to_rgb8(), fx::picture());
        assert!(clean.bytes.len() < original.len());
    }
}

/// The animated GIF keeps every frame, delay and the loop count; its comment and XMP go.
#[test]
fn an_animated_gif_keeps_its_animation_and_loses_comment_and_xmp() {
    let original = fx::gif();
    let clean = photo::sanitize(&original, Limits::default()).unwrap();
    assert_eq!(clean.content_type, "image/gif");
    assert!(!contains(&clean.bytes, COMMENT));
    assert!(!contains(&clean.bytes, b"XMP DataXMP"));
    assert!(
        contains(&clean.bytes, b"NETSCAPE2.0"),
        "the loop count stays"
    );
    assert_eq!(
        clean.bytes.len(),
        original.len() - COMMENT.len() - XMP.len() - 20
    );
    let frames = |bytes: &[u8]| {
        image::codecs::gif::GifDecoder::new(Cursor::new(bytes.to_vec()))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap()
    };
    let (before, after) = (frames(&original), frames(&clean.bytes));
    assert_eq!(after.len(), 3);
    let delays: Vec<u32> = after.iter().map(|f| f.delay().numer_denom_ms().0).collect();
    assert_eq!(delays, fx::GIF_DELAYS);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.buffer(), a.buffer());
    }
    assert_eq!((clean.width, clean.height), (8, 6));
}

/// A JPEG whose header says 20000 × 20000 is refused before any pixel is decoded.
pub fn huge_jpeg() -> Vec<u8> {
    let mut bytes = fx::plain_jpeg();
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x4E, 0x20, 0x4E, 0x20]);
    bytes
}

#[test]
fn decoding_is_bounded_by_a_pixel_count() {
    assert_eq!(
        photo::sanitize(&huge_jpeg(), Limits::default()),
        Err(PhotoError::TooManyPixels {
            width: 20000,
            height: 20000,
            limit: photo::MAX_IMAGE_PIXELS
        })
    );
    // The limit is the pixel count, in every format.
    let small = Limits { max_pixels: 1000 };
    for bytes in [
        fx::jpeg(1),
        fx::jpeg(6),
        fx::png(1),
        fx::png(6),
        fx::webp(1),
        fx::webp(6),
    ] {
        assert_eq!(
            photo::sanitize(&bytes, small),
            Err(PhotoError::TooManyPixels {
                width: W,
                height: H,
                limit: 1000
            })
        );
    }
    let tiny = Limits { max_pixels: 47 };
    assert!(matches!(
        photo::sanitize(&fx::gif(), tiny),
        Err(PhotoError::TooManyPixels {
            width: 8,
            height: 6,
            ..
        })
    ));
}

#[test]
fn what_does_not_decode_is_refused() {
    let mut garbage = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0".to_vec();
    garbage.extend_from_slice(&[0x42; 64]);
    let e = photo::sanitize(&garbage, Limits::default()).unwrap_err();
    assert!(
        matches!(e, PhotoError::Undecodable { kind: "JPEG", .. }),
        "{e:?}"
    );
    // A PNG cut in the middle of its pixels.
    let png = fx::png(1);
    let cut = &png[..png.len() - 40];
    assert!(matches!(
        photo::sanitize(cut, Limits::default()),
        Err(PhotoError::Undecodable { kind: "PNG", .. })
    ));
}

// Over real HTTP: the media endpoint, Micropub's multipart `photo`, refusals, the start-up pass.

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use sha2::Digest;

use crate::helpers::{TestApp, config_for, location, spawn_app_in, spawn_app_with};
use crate::peers::{Advertise, Peer};

/// An app owned by a peer, and a token with the `create` and `media` scopes.
async fn micropub_app() -> (TestApp, Peer, String) {
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let app = spawn_app_with(&[("ADMIN_ME", me.as_str())]).await;
    let token = peer.issue_token("create media");
    (app, peer, token)
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> Response {
    app.client
        .post(app.url("/micropub/media"))
        .bearer_auth(token)
        .multipart(Form::new().part("file", Part::bytes(bytes).file_name("photo.jpg")))
        .send()
        .await
        .unwrap()
}

/// The served file at a `/media/` URL: its bytes, checked to carry the strong ETag of them.
async fn served(app: &TestApp, url: &str) -> (String, Vec<u8>) {
    let path = &url[url.find("/media/").unwrap()..];
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = res.bytes().await.unwrap().to_vec();
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    assert_eq!(etag, format!("\"{sha}\""));
    (content_type, bytes)
}

#[tokio::test]
async fn the_media_endpoint_serves_a_phone_jpeg_without_gps_and_upright() {
    let (app, _peer, token) = micropub_app().await;
    let original = fx::jpeg(6);
    assert!(exif_of(&original).is_some());
    let res = upload(&app, &token, original).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (content_type, bytes) = served(&app, &location(&res)).await;
    assert_eq!(content_type, "image/jpeg");
    assert!(exif_of(&bytes).is_none(), "EXIF served");
    assert!(!contains(&bytes, b"GPS") && !contains(&bytes, XMP) && !contains(&bytes, COMMENT));
    assert_eq!(icc_of(&bytes, ImageFormat::Jpeg), Some(fx::icc()));
    assert_oriented(&decode(&bytes), 6, false);
    let dimensions: (u32, u32) = app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row("SELECT width, height FROM media", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(dimensions, (H, W), "stored as displayed");
}

#[tokio::test]
async fn a_photo_posted_with_a_note_is_cleaned_too() {
    let (app, _peer, token) = micropub_app().await;
    let form = Form::new()
        .text("h", "entry")
        .text("content", "From my balcony")
        .part("photo", Part::bytes(fx::png(8)).file_name("balcony.png"))
        .part("photo", Part::bytes(fx::webp(3)).file_name("street.webp"));
    let res = app
        .client
        .post(app.url("/micropub"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let note = url::Url::parse(&location(&res)).unwrap();
    let page = app.get_html(note.path(), StatusCode::OK).await;
    let photos: Vec<String> = crate::helpers::select(&page, ".u-photo")
        .iter()
        .map(|e| e.value().attr("src").unwrap().to_owned())
        .collect();
    assert_eq!(photos.len(), 2, "{photos:?}");
    for (url, (orientation, format)) in photos
        .iter()
        .zip([(8, ImageFormat::Png), (3, ImageFormat::WebP)])
    {
        let (_, bytes) = served(&app, url).await;
        assert!(exif_of(&bytes).is_none() && !contains(&bytes, XMP), "{url}");
        assert_eq!(icc_of(&bytes, format), Some(fx::icc()));
        assert_oriented(&decode(&bytes), orientation, true);
    }
}

#[tokio::test]
async fn a_decompression_bomb_is_413_and_garbage_is_400() {
    let (app, _peer, token) = micropub_app().await;
    let res = upload(&app, &token, huge_jpeg()).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("20000 × 20000 pixels; the limit is 40 megapixels"),
        "{body}"
    );
    let mut garbage = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0".to_vec();
    garbage.extend_from_slice(&[0x42; 64]);
    let res = upload(&app, &token, garbage).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("looks like a JPEG image but cannot be read"),
        "{body}"
    );
    let stored: i64 = app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM media", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 0);
}

/// Media stored before this change carried GPS: the next start cleans them (new bytes, new
/// ETag, width and height) and marks them, so a later start leaves them alone.
#[tokio::test]
async fn media_stored_before_are_cleaned_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let name = "0123456789abcdef0123456789abcdef.jpg";
    let original = fx::jpeg(6);
    {
        let app = starpunk::startup::Application::build(config_for(dir.path(), &[])).unwrap();
        let old_sha = hex::encode(sha2::Sha256::digest(&original));
        app.state()
            .db
            .pool
            .get()
            .unwrap()
            .execute(
                "INSERT INTO media (name, content_type, size, sha256, data, created_at) \
                 VALUES (?1, 'image/jpeg', ?2, ?3, ?4, 0)",
                rusqlite::params![name, original.len() as i64, old_sha, original],
            )
            .unwrap();
    }
    let app = spawn_app_in(dir, &[]).await;
    let (_, bytes) = served(&app, &format!("/media/{name}")).await;
    assert_ne!(bytes, original);
    assert!(
        exif_of(&bytes).is_none(),
        "GPS still served after the start-up pass"
    );
    assert_oriented(&decode(&bytes), 6, false);
    let row: (i64, u32, u32, i64) = app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row(
            "SELECT clean_version, width, height, size FROM media WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(row, (photo::CLEAN_VERSION, H, W, bytes.len() as i64));
}

/// `starpunk import` cleans the files it reads like uploads.
#[tokio::test]
async fn imported_media_are_cleaned() {
    let export = tempfile::tempdir().unwrap();
    std::fs::create_dir(export.path().join("media")).unwrap();
    let name = "0123456789abcdef0123456789abcdef.jpg";
    std::fs::write(export.path().join("media").join(name), fx::jpeg(6)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = starpunk::startup::Application::build(config_for(data.path(), &[])).unwrap();
    let mut conn = app.state().db.pool.get().unwrap();
    let summary =
        starpunk::cli::transfer::import(&mut conn, export.path(), &mut |_, _| {}).unwrap();
    assert_eq!(summary.media, 1);
    let stored = starpunk::db::media::by_name(&conn, name).unwrap().unwrap();
    assert!(exif_of(&stored.data).is_none());
    assert_eq!(stored.dimensions, Some((H, W)));
    assert_oriented(&decode(&stored.data), 6, false);
}

/// A stored file the start-up pass cannot decode does not stop the start: it is left as it was
/// (and tried again at the next start) while the others are cleaned.
#[tokio::test]
async fn a_stored_file_that_cannot_be_cleaned_does_not_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (broken, good) = (
        "0123456789abcdef0123456789abcde0.jpg",
        "0123456789abcdef0123456789abcde1.png",
    );
    let mut garbage = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0".to_vec();
    garbage.extend_from_slice(&[0x42; 64]);
    {
        let app = starpunk::startup::Application::build(config_for(dir.path(), &[])).unwrap();
        let conn = app.state().db.pool.get().unwrap();
        for (name, kind, data) in [
            (broken, "image/jpeg", garbage.clone()),
            (good, "image/png", fx::png(1)),
        ] {
            conn.execute(
                "INSERT INTO media (name, content_type, size, sha256, data, created_at) \
                 VALUES (?1, ?2, ?3, 'x', ?4, 0)",
                rusqlite::params![name, kind, data.len() as i64, data],
            )
            .unwrap();
        }
    }
    let app = spawn_app_in(dir, &[]).await;
    let conn = app.state.db.pool.get().unwrap();
    let version = |name: &str| -> (i64, Vec<u8>) {
        conn.query_row(
            "SELECT clean_version, data FROM media WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(version(broken), (0, garbage));
    let (cleaned, data) = version(good);
    assert_eq!(cleaned, photo::CLEAN_VERSION);
    assert!(exif_of(&data).is_none());
}
