//! Photos in RSS and Atom: every photo as an `<img>` after the note's HTML (most readers show
//! only the HTML), and the first one as an enclosure with whatever is known about it.
//!
//! For an upload the `media` table knows the type and the size; for a photo by URL only the
//! address and alt text are known (fetching it would be I/O, which feeds never do).

use maud::html;

use super::FeedInput;
use crate::config::SiteConfig;
use crate::domain::Note;
use crate::domain::media::{MediaInfo, is_media_name};

/// A note's first photo as the feeds describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lead<'a> {
    /// The absolute URL.
    pub url: String,
    /// The alt text (may be empty).
    pub alt: String,
    /// Type and size, when the photo was uploaded here.
    pub upload: Option<&'a MediaInfo>,
}

/// A photo's URL made absolute: site paths are resolved against `SITE_URL` as a browser
/// resolves them on the note's page.
fn absolute(site: &SiteConfig, url: &str) -> String {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return url.to_owned();
    }
    site.url
        .join(url)
        .map_or_else(|_| url.to_owned(), |u| u.to_string())
}

/// The stored media name of an absolute URL that points at one of this site's uploads.
fn upload_name<'u>(site: &SiteConfig, url: &'u str) -> Option<&'u str> {
    let name = url.strip_prefix(&site.absolute("media/"))?;
    is_media_name(name).then_some(name)
}

/// The media names of the notes' first photos that were uploaded here: the uploads whose type
/// and size the caller loads into [`FeedInput::media`].
pub fn upload_names(site: &SiteConfig, notes: &[Note]) -> Vec<String> {
    notes
        .iter()
        .filter_map(|note| note.photos().into_iter().next())
        .filter_map(|photo| upload_name(site, &absolute(site, &photo.url)).map(str::to_owned))
        .collect()
}

/// The note's first photo, if it has any.
pub(super) fn lead<'a>(input: &FeedInput<'a>, note: &Note) -> Option<Lead<'a>> {
    let photo = note.photos().into_iter().next()?;
    let url = absolute(input.site, &photo.url);
    let upload =
        upload_name(input.site, &url).and_then(|name| input.media.iter().find(|m| m.name == name));
    Some(Lead {
        url,
        alt: photo.alt,
        upload,
    })
}

/// What the feeds carry as a note's body: its HTML with every link absolute, then its photos.
pub(super) fn feed_body(site: &SiteConfig, note: &Note) -> String {
    body_html(site, note, note.absolute_html(&site.absolute(&note.path())))
}

/// The note's HTML (`content_html`, its links already absolute) followed by each of its
/// photos, with its alt text, as it shows on the page.
pub(super) fn body_html(site: &SiteConfig, note: &Note, content_html: String) -> String {
    let photos = note.photos();
    if photos.is_empty() {
        return content_html;
    }
    let images = html! {
        @for photo in &photos {
            p { img src=(absolute(site, &photo.url)) alt=(photo.alt); }
        }
    };
    format!("{content_html}{}", images.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::fixtures;

    #[test]
    fn photos_follow_the_html_with_absolute_urls_and_escaped_alt_text() {
        let site = fixtures::site();
        let notes = fixtures::notes();
        let html = body_html(&site, &notes[0], notes[0].content_html.clone());
        assert!(html.starts_with(&notes[0].content_html), "{html}");
        assert!(html.ends_with(r#"<p><img src="https://example.com/a.jpg" alt="A"></p>"#));
        assert_eq!(
            body_html(&site, &notes[1], notes[1].content_html.clone()),
            notes[1].content_html
        );
        let mut note = notes[1].clone();
        note.properties = serde_json::json!({"photo": [
            "/blog/media/0123456789abcdef0123456789abcdef.png",
            {"value": "/pics/b.jpg", "alt": "Tom & \"Jerry\" <3"}
        ]})
        .as_object()
        .cloned()
        .unwrap();
        let html = body_html(&site, &note, note.content_html.clone());
        assert!(html.contains(
            r#"<img src="https://example.com/blog/media/0123456789abcdef0123456789abcdef.png" alt="">"#
        ));
        assert!(html.contains(
            r#"<img src="https://example.com/pics/b.jpg" alt="Tom &amp; &quot;Jerry&quot; &lt;3">"#
        ));
        assert_eq!(
            upload_names(&site, std::slice::from_ref(&note)),
            ["0123456789abcdef0123456789abcdef.png"]
        );
        // Another site's /media/ is not an upload here, nor is a name of the wrong shape.
        assert!(
            upload_name(
                &site,
                "https://example.com/media/0123456789abcdef0123456789abcdef.png"
            )
            .is_none()
        );
        assert!(upload_name(&site, "https://example.com/blog/media/x.png").is_none());
    }

    #[test]
    fn the_first_photo_leads_with_what_the_media_table_knows() {
        let site = fixtures::site();
        let name = "0123456789abcdef0123456789abcdef.jpg";
        let media = [MediaInfo {
            name: name.into(),
            content_type: "image/jpeg".into(),
            size: 1234,
        }];
        let input = FeedInput {
            site: &site,
            notes: &[],
            media: &media,
            updated: 0,
        };
        let notes = fixtures::notes();
        let by_url = lead(&input, &notes[0]).unwrap();
        assert_eq!(by_url.url, "https://example.com/a.jpg");
        assert_eq!((by_url.alt.as_str(), by_url.upload), ("A", None));
        assert!(lead(&input, &notes[1]).is_none());
        let mut note = notes[1].clone();
        let url = format!("https://example.com/blog/media/{name}");
        note.properties = serde_json::json!({"photo": [url, "https://example.com/b.jpg"]})
            .as_object()
            .cloned()
            .unwrap();
        let uploaded = lead(&input, &note).unwrap();
        assert_eq!(uploaded.url, url);
        assert_eq!(uploaded.upload, Some(&media[0]));
    }
}
