//! The page frame shared by every HTML page: `<head>` discovery links, header, footer h-card.

use maud::{DOCTYPE, Markup, html};

use std::sync::Arc;

use crate::assets;
use crate::config::{Config, SiteConfig};
use crate::indieauth::Endpoints;

/// What the frame needs to know about the request.
pub struct PageContext<'a> {
    /// The whole configuration (site identity, owner, dev mode).
    pub config: &'a Config,
    /// The logged-in owner's CSRF token, when there is an owner.
    pub owner_csrf: Option<&'a str>,
    /// The owner's IndieAuth endpoints, when discovered (advertised in `<head>`).
    pub endpoints: Option<Arc<Endpoints>>,
}

impl PageContext<'_> {
    /// The site identity.
    pub fn site(&self) -> &SiteConfig {
        &self.config.site
    }
}

/// A complete page: `title` (the site name is appended) around `content`.
pub fn page(ctx: &PageContext<'_>, title: &str, content: Markup) -> Markup {
    let site = ctx.site();
    let full_title = if title.is_empty() || title == site.name {
        site.name.clone()
    } else {
        format!("{title} · {}", site.name)
    };
    html! {
        (DOCTYPE)
        html lang=(site.language) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                @if !site.description.is_empty() {
                    meta name="description" content=(site.description);
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
