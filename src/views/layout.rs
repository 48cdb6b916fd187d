//! The page frame shared by every HTML page: `<head>` (description, link previews, canonical
//! address, discovery links), header, footer h-card.

use maud::{DOCTYPE, Markup, html};

use std::sync::Arc;

use crate::assets;
use crate::config::{Config, SiteConfig};
use crate::domain::Note;
use crate::indieauth::Endpoints;

use super::rfc3339;

/// What the frame needs to know about the request.
pub struct PageContext<'a> {
    /// The whole configuration (site identity, owner, dev mode).
    pub config: &'a Config,
    /// The logged-in owner's CSRF token, when there is an owner.
    pub owner_csrf: Option<&'a str>,
    /// The owner's IndieAuth endpoints, when discovered (advertised in `<head>`).
    pub endpoints: Option<Arc<Endpoints>>,
    /// A public page's canonical address and link-preview tags; other pages carry only the
    /// site's description.
    pub meta: Option<PageMeta>,
}

impl PageContext<'_> {
    /// The site identity.
    pub fn site(&self) -> &SiteConfig {
        &self.config.site
    }

    /// The same context for a public page described by `meta`.
    pub fn with_meta(self, meta: PageMeta) -> Self {
        PageContext {
            meta: Some(meta),
            ..self
        }
    }
}

/// What a public page says about itself to search engines and link previews: its canonical
/// address, description, OpenGraph and Twitter card tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMeta {
    /// The page's absolute address (`<link rel="canonical">`, `og:url`).
    pub url: String,
    /// What the page is about; the site's description when `None`.
    pub description: Option<String>,
    /// `og:type`: `website`, or `article` for one note.
    pub kind: &'static str,
    /// An absolute image URL for previews, and its alternative text.
    pub image: Option<(String, String)>,
    /// `article:published_time` (RFC 3339), for a note.
    pub published: Option<String>,
}

/// Characters of a note's text in its description (search engines show about 155).
pub const DESCRIPTION_CHARS: usize = 160;

impl PageMeta {
    /// A page of the site at `url` (absolute) described by the site's description.
    pub fn website(url: String) -> PageMeta {
        PageMeta {
            url,
            description: None,
            kind: "website",
            image: None,
            published: None,
        }
    }

    /// A note's permalink: its first words as description, its first photo as image.
    pub fn note(site: &SiteConfig, note: &Note) -> PageMeta {
        let text = note.summary(DESCRIPTION_CHARS);
        // A site path is under `SITE_URL` (which may have a path of its own), as every link is.
        let image = note.photos().into_iter().next().map(|photo| {
            let url = if photo.url.starts_with('/') {
                site.absolute(&photo.url)
            } else {
                photo.url
            };
            (url, photo.alt)
        });
        PageMeta {
            url: site.absolute(&note.path()),
            description: Some(text).filter(|t| !t.is_empty()),
            kind: "article",
            image,
            published: Some(rfc3339(note.published_at)),
        }
    }
}

/// The site's description, or, when `SITE_DESCRIPTION` is empty, whose notes these are.
pub fn site_description(site: &SiteConfig) -> String {
    if !site.description.is_empty() {
        return site.description.clone();
    }
    let author = if site.author.is_empty() {
        &site.name
    } else {
        &site.author
    };
    format!("Notes by {author}")
}

/// `<link rel="canonical">`, OpenGraph and Twitter card tags for the page `about`.
fn preview_tags(site: &SiteConfig, title: &str, description: &str, about: &PageMeta) -> Markup {
    let card = if about.image.is_some() {
        "summary_large_image"
    } else {
        "summary"
    };
    html! {
        link rel="canonical" href=(about.url);
        meta property="og:type" content=(about.kind);
        meta property="og:site_name" content=(site.name);
        meta property="og:title" content=(title);
        meta property="og:description" content=(description);
        meta property="og:url" content=(about.url);
        @if let Some((image, alt)) = &about.image {
            meta property="og:image" content=(image);
            @if !alt.is_empty() {
                meta property="og:image:alt" content=(alt);
            }
        }
        @if let Some(published) = &about.published {
            meta property="article:published_time" content=(published);
        }
        meta name="twitter:card" content=(card);
        meta name="twitter:title" content=(title);
        meta name="twitter:description" content=(description);
        @if let Some((image, alt)) = &about.image {
            meta name="twitter:image" content=(image);
            @if !alt.is_empty() {
                meta name="twitter:image:alt" content=(alt);
            }
        }
    }
}

/// A complete page: `title` (the site name is appended) around `content`; with the context's
/// [`PageMeta`], also its canonical address and link-preview tags.
pub fn page(ctx: &PageContext<'_>, title: &str, content: Markup) -> Markup {
    let site = ctx.site();
    let about = ctx.meta.as_ref();
    let full_title = if title.is_empty() || title == site.name {
        site.name.clone()
    } else {
        format!("{title} · {}", site.name)
    };
    let description = about
        .and_then(|m| m.description.clone())
        .unwrap_or_else(|| site_description(site));
    let preview_title = if title.is_empty() { &site.name } else { title };
    html! {
        (DOCTYPE)
        html lang=(site.language) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                meta name="description" content=(description);
                @if let Some(about) = about {
                    (preview_tags(site, preview_title, &description, about))
                }
                link rel="stylesheet" href=(assets::url("css/site.css"));
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
                link rel="alternate" type="application/rss+xml" title=(format!("{} (RSS)", site.name)) href=(site.absolute("feed.rss"));
                link rel="alternate" type="application/atom+xml" title=(format!("{} (Atom)", site.name)) href=(site.absolute("feed.atom"));
                link rel="alternate" type="application/feed+json" title=(format!("{} (JSON Feed)", site.name)) href=(site.absolute("feed.json"));
                link rel="micropub" href=(site.absolute("micropub"));
                @if let Some(endpoints) = &ctx.endpoints {
                    @if let Some(url) = &endpoints.authorization_endpoint {
                        link rel="authorization_endpoint" href=(url);
                    }
                    @if let Some(url) = &endpoints.token_endpoint {
                        link rel="token_endpoint" href=(url);
                    }
                    @if let Some(url) = &endpoints.metadata {
                        link rel="indieauth-metadata" href=(url);
                    }
                }
                @if let Some(me) = &ctx.config.admin_me {
                    link rel="me" href=(me);
                }
            }
            body {
                // The first thing a keyboard reaches: past the header to the page's own content.
                a.skip-link href="#main" { "Skip to content" }
                @if ctx.config.dev_mode && ctx.owner_csrf.is_some() {
                    div.dev-banner role="status" {
                        "Development mode: logged in through dev login without a password. "
                        "Never run DEV_MODE on a public site."
                    }
                }
                header.site-header {
                    a.site-title href="/" { (site.name) }
                    nav.site-nav aria-label="Site" {
                        a href="/" { "Notes" }
                        @if ctx.config.search_enabled {
                            // Named apart from the search page's own form (two search landmarks).
                            form.header-search role="search" aria-label="Site search" method="get" action="/search" {
                                label.visually-hidden for="header-q" { "Search notes" }
                                input #header-q type="search" name="q" placeholder="Search" required;
                            }
                        }
                        @if let Some(csrf) = ctx.owner_csrf {
                            a href="/admin/" { "Admin" }
                            a href="/admin/new" { "New note" }
                            form.inline method="post" action="/auth/logout" {
                                input type="hidden" name="csrf_token" value=(csrf);
                                button.link type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main #main .site-main { (content) }
                footer.site-footer {
                    (author_card(ctx.config, false))
                    (feed_links())
                }
            }
        }
    }
}

/// The footer's links to the feeds, for readers whose browser hides the `<head>` ones.
fn feed_links() -> Markup {
    html! {
        nav.feed-links aria-label="Feeds" {
            "Follow: "
            a href="/feed.rss" type="application/rss+xml" { "RSS" } " · "
            a href="/feed.atom" type="application/atom+xml" { "Atom" } " · "
            a href="/feed.json" type="application/feed+json" { "JSON Feed" } " · "
            a href="/opml.xml" type="text/x-opml" { "OPML" }
        }
    }
}

/// The author's `h-card`: name linked to `ADMIN_ME` (or the site). With `as_property` it is the
/// `p-author` of the enclosing `h-entry`/`h-feed`.
pub fn author_card(config: &Config, as_property: bool) -> Markup {
    let site = &config.site;
    let name = if site.author.is_empty() {
        &site.name
    } else {
        &site.author
    };
    let url = config
        .admin_me
        .as_ref()
        .map_or(site.url.as_str(), url::Url::as_str);
    html! {
        span.h-card.author.p-author[as_property] {
            a.p-name.u-url rel="author" href=(url) { (name) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NoteContent, Slug};

    fn note(photos: serde_json::Value) -> Note {
        let content = NoteContent::markdown("A *walk* by the sea.").unwrap();
        Note {
            id: 1,
            slug: Slug::parse("a-walk").unwrap(),
            content_html: content.render(),
            content_hash: content.hash(),
            content,
            name: None,
            properties: serde_json::json!({ "photo": photos })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            published: true,
            published_at: 1_700_000_000,
            created_at: 1_700_000_000,
            updated_at: 1_700_000_000,
            deleted_at: None,
        }
    }

    fn site() -> SiteConfig {
        SiteConfig {
            url: url::Url::parse("https://example.com/blog/").unwrap(),
            name: "Notes".into(),
            author: String::new(),
            description: String::new(),
            language: "en".into(),
        }
    }

    #[test]
    fn a_notes_first_photo_becomes_an_absolute_image_under_the_site_url() {
        let meta = PageMeta::note(
            &site(),
            &note(serde_json::json!([
                "/media/a.jpg",
                "https://elsewhere.example/b.jpg"
            ])),
        );
        assert_eq!(
            meta.image,
            Some(("https://example.com/blog/media/a.jpg".into(), String::new()))
        );
        assert_eq!(meta.url, "https://example.com/blog/notes/a-walk");
        assert_eq!(meta.description.as_deref(), Some("A walk by the sea."));
        let meta = PageMeta::note(
            &site(),
            &note(serde_json::json!([{"value": "https://elsewhere.example/b.jpg", "alt": "Sea"}])),
        );
        assert_eq!(
            meta.image,
            Some(("https://elsewhere.example/b.jpg".into(), "Sea".into()))
        );
    }

    #[test]
    fn an_empty_site_description_says_whose_notes_these_are() {
        let mut site = site();
        assert_eq!(site_description(&site), "Notes by Notes");
        site.author = "Ada".into();
        assert_eq!(site_description(&site), "Notes by Ada");
        site.description = "Sea notes".into();
        assert_eq!(site_description(&site), "Sea notes");
    }
}
