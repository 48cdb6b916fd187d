//! The public site: home page and note permalinks.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::Owner;
use crate::db::{self, notes};
use crate::domain::{Cursor, Slug};
use crate::error::AppError;
use crate::monitoring;
use crate::state::AppState;
use crate::views;
use crate::views::layout::{PageContext, PageMeta};

/// Query of the home page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// Keyset cursor `published_at-id`: show notes older than it.
    before: Option<String>,
}

/// Parses an optional `?before=` cursor; garbage is a 400, not a silent first page.
pub fn parse_cursor(before: Option<&str>) -> Result<Option<Cursor>, AppError> {
    match before.filter(|b| !b.is_empty()) {
        None => Ok(None),
        Some(raw) => Cursor::parse(raw).map(Some).ok_or_else(|| {
            AppError::BadRequest("`before` must be a page cursor like 1700000000-42".to_owned())
        }),
    }
}

/// `GET /`: the newest visible notes, keyset-paginated.
pub async fn home(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let before = parse_cursor(query.before.as_deref())?;
    let per_page = state.config.notes_per_page;
    let mut page = db::run(&state.db, move |conn| {
        Ok(notes::visible_page(conn, before, per_page + 1)?)
    })
    .await?;
    let older = if page.len() > per_page as usize {
        page.truncate(per_page as usize);
        page.last().map(|n| n.cursor())
    } else {
        None
    };
    // Each page of the feed is its own canonical address.
    let site = &state.config.site;
    let here = before.map_or_else(
        || site.url.to_string(),
        |cursor| site.absolute(&format!("?before={cursor}")),
    );
    let ctx = state
        .page(owner.as_ref().map(|o| o.csrf_token.as_str()))
        .with_meta(PageMeta::website(here));
    let html = monitoring::render(&state.metrics, "home", || {
        views::notes::home(&ctx, &page, older, before.is_none())
    });
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(cache_control(owner.is_some()))
        .insert_header((actix_web::http::header::VARY, "Cookie"))
        .insert_header((actix_web::http::header::LINK, discovery_links(&ctx)))
        .body(html))
}

/// The `Link` header of the home page and permalinks: the Micropub endpoint and the owner's
/// IndieAuth endpoints, for clients that read headers rather than HTML.
fn discovery_links(ctx: &PageContext<'_>) -> String {
    let mut links = vec![format!(
        "<{}>; rel=\"micropub\"",
        ctx.site().absolute("micropub")
    )];
    if let Some(endpoints) = &ctx.endpoints {
        for (url, rel) in [
            (&endpoints.authorization_endpoint, "authorization_endpoint"),
            (&endpoints.token_endpoint, "token_endpoint"),
            (&endpoints.metadata, "indieauth-metadata"),
        ] {
            if let Some(url) = url {
                links.push(format!("<{url}>; rel=\"{rel}\""));
            }
        }
    }
    links.join(", ")
}

/// `GET /notes/{slug}`: one note; 404 for unknown slugs and (for visitors) drafts, 410 once
/// deleted.
pub async fn note(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let note = db::run(&state.db, move |conn| Ok(notes::by_slug(conn, &slug)?))
        .await?
        .ok_or(AppError::NotFound)?;
    // A draft never existed for visitors, deleted or not.
    if !note.published && owner.is_none() {
        return Err(AppError::NotFound);
    }
    if note.is_deleted() {
        return Err(AppError::Gone);
    }
    let ctx = state
        .page(owner.as_ref().map(|o| o.csrf_token.as_str()))
        .with_meta(PageMeta::note(&state.config.site, &note));
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(cache_control(owner.is_some()))
        .insert_header((actix_web::http::header::VARY, "Cookie"))
        .insert_header((actix_web::http::header::LINK, discovery_links(&ctx)))
        .body(monitoring::render(&state.metrics, "note", || {
            views::notes::note_page(&ctx, &note)
        })))
}

/// Pages seen by the owner carry drafts and CSRF tokens: never cache them anywhere shared.
pub fn cache_control(owner: bool) -> (actix_web::http::header::HeaderName, &'static str) {
    let value = if owner {
        "private, no-store"
    } else {
        "public, max-age=60"
    };
    (actix_web::http::header::CACHE_CONTROL, value)
}

/// The default service: everything no route matched.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
