//! Error pages in the site's style.

use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use crate::assets;
use crate::config::SiteConfig;

use super::layout::site_description;

/// A standalone error page (no owner context: errors never depend on a session).
pub fn page(site: Option<&SiteConfig>, status: StatusCode, message: &str) -> Markup {
    let site_name = site.map_or("StarPunk", |s| s.name.as_str());
    let reason = status.canonical_reason().unwrap_or("Error");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                @if let Some(site) = site {
                    meta name="description" content=(site_description(site));
                }
                title { (status.as_u16()) " " (reason) " · " (site_name) }
                link rel="stylesheet" href=(assets::url("css/site.css"));
                link rel="icon" href=(assets::url("img/favicon.svg")) type="image/svg+xml";
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.site-header { a.site-title href="/" { (site_name) } }
                main #main .site-main .error-page {
                    p.error-code { (status.as_u16()) }
                    h1 { (reason) }
                    p.error-message { (message) }
                    p { a.button href="/" { "Go to the home page" } }
                }
            }
        }
    }
}
