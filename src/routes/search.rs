//! `GET /search` (page) and `GET /api/search` (JSON). Visitors find published notes; the owner
//! also finds drafts. `SEARCH_ENABLED=false` makes both 404.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::Owner;
use crate::db::{self, search};
use crate::domain::search::{SearchQuery, highlight};
use crate::error::AppError;
use crate::monitoring;
use crate::state::AppState;
use crate::views;
use crate::views::search::ResultItem;

/// Results per page of the search page.
pub const PAGE_SIZE: u32 = 10;
/// Default and largest `limit` of the API.
pub const API_DEFAULT_LIMIT: u32 = 20;
/// Largest `limit` of the API.
pub const API_MAX_LIMIT: u32 = 100;

/// Query of the search page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    q: Option<String>,
    page: Option<String>,
}

/// Query of the API.
#[derive(Debug, Deserialize)]
pub struct ApiQuery {
    q: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// What the API answers.
#[derive(Debug, Clone, Serialize)]
pub struct ApiResponse {
    /// The query as given (trimmed).
    pub query: String,
    /// Matches in all.
    pub total: u64,
    /// Page size used.
    pub limit: u32,
    /// Offset used.
    pub offset: u32,
    /// The results, best first.
    pub results: Vec<ResultItem>,
}

fn number(value: Option<&str>, name: &str, default: u32, min: u32) -> Result<u32, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<u32>().ok().filter(|n| *n >= min).ok_or_else(|| {
            AppError::BadRequest(format!("`{name}` must be a whole number ≥ {min}"))
        }),
    }
}

async fn run_search(
    state: &AppState,
    query: &SearchQuery,
    owner: bool,
    limit: u32,
    offset: u32,
) -> Result<(Vec<ResultItem>, u64), AppError> {
    let fts = query.fts(owner);
    let results = db::run(&state.db, move |conn| {
        Ok(search::search(conn, &fts, limit, offset)?)
    })
    .await?;
    let items = results
        .hits
        .into_iter()
        .map(|hit| ResultItem {
            url: state.config.site.absolute(&hit.note.path()),
            slug: hit.note.slug.to_string(),
            title: hit.note.title(),
            published: views::rfc3339(hit.note.published_at),
            excerpt_html: highlight(&hit.excerpt, search::MARK_START, search::MARK_END),
            draft: !hit.note.published,
        })
        .collect();
    Ok((items, results.total))
}

/// `GET /search?q=&page=`.
pub async fn page(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    if !state.config.search_enabled {
        return Err(AppError::NotFound);
    }
    let ctx = state.page(owner.as_ref().map(|o| o.csrf_token.as_str()));
    let raw = query.q.as_deref().unwrap_or("");
    let page_number = number(query.page.as_deref(), "page", 1, 1)?;
    let view = if raw.trim().is_empty() && query.q.is_none() {
        views::search::SearchView::Form
    } else {
        let parsed = SearchQuery::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let offset = (page_number - 1).saturating_mul(PAGE_SIZE);
        let (items, total) =
            run_search(&state, &parsed, owner.is_some(), PAGE_SIZE, offset).await?;
        views::search::SearchView::Results {
            query: parsed.text().to_owned(),
            items,
            total,
            page: page_number,
            page_size: PAGE_SIZE,
        }
    };
    let html = monitoring::render(&state.metrics, "search", || {
        views::search::page(&ctx, &view)
    });
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(super::public::cache_control(owner.is_some()))
        .insert_header((actix_web::http::header::VARY, "Cookie"))
        .body(html))
}

/// `GET /api/search?q=&limit=&offset=`: `limit` defaults to 20 and is capped at 100.
pub async fn api(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    query: web::Query<ApiQuery>,
) -> Result<HttpResponse, AppError> {
    if !state.config.search_enabled {
        return Err(AppError::NotFound);
    }
    let parsed = SearchQuery::parse(query.q.as_deref().unwrap_or(""))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let limit = number(query.limit.as_deref(), "limit", API_DEFAULT_LIMIT, 1)?.min(API_MAX_LIMIT);
    let offset = number(query.offset.as_deref(), "offset", 0, 0)?;
    let (results, total) = run_search(&state, &parsed, owner.is_some(), limit, offset).await?;
    Ok(HttpResponse::Ok()
        .insert_header(super::public::cache_control(owner.is_some()))
        .insert_header((actix_web::http::header::VARY, "Cookie"))
        .json(ApiResponse {
            query: parsed.text().to_owned(),
            total,
            limit,
            offset,
            results,
        }))
}
