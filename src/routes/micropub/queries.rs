//! `GET /micropub?q=…`: the endpoint's configuration and the posts' sources.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::actions::{no_post, slug_of};
use super::body::{first, query_pairs};
use crate::db::{self, notes};
use crate::error::AppError;
use crate::indieauth::Credentials;
use crate::state::AppState;

/// Queries `GET /micropub` answers.
const QUERIES: [&str; 4] = ["config", "source", "syndicate-to", "category"];

/// `GET /micropub?q=…`: `config`, `source` (one post or a list), `syndicate-to`, `category`.
/// An authorized `GET` without `q` answers as `q=config` (some apps check their token so).
pub async fn query(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let param = |name: &str| first(&pairs, name);
    let query_token = param("access_token").map(str::to_owned);
    credentials.finish(query_token).await?;
    let site = &state.config.site;
    let body = match param("q") {
        Some("config") | None => json!({
            "media-endpoint": site.absolute("micropub/media"),
            "syndicate-to": [],
            "q": QUERIES,
            "post-types": [
                {"type": "note", "name": "Note"},
                {"type": "article", "name": "Article"},
                {"type": "photo", "name": "Photo"},
            ],
        }),
        Some("syndicate-to") => json!({ "syndicate-to": [] }),
        Some("category") => {
            let prefix = param("filter").unwrap_or_default().to_owned();
            let categories =
                db::run(&state.db, move |conn| Ok(notes::categories(conn, &prefix)?)).await?;
            json!({ "categories": categories })
        }
        Some("source") => match param("url") {
            Some(url) => {
                let wanted: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| k == "properties[]" || k == "properties")
                    .map(|(_, v)| v.as_str())
                    .collect();
                source(&state, url, &wanted).await?
            }
            None => {
                // Whole numbers of any size: past the end is simply an empty list.
                let number = |name: &str, default: u32| -> Result<u32, AppError> {
                    match param(name) {
                        None => Ok(default),
                        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                            Ok(v.parse().unwrap_or(u32::MAX))
                        }
                        Some(_) => Err(AppError::BadRequest(format!(
                            "`{name}` must be a whole number (0 or more)."
                        ))),
                    }
                };
                let limit = number("limit", 20)?.min(100);
                let offset = number("offset", 0)?;
                let page = db::run(&state.db, move |conn| {
                    Ok(notes::newest(conn, limit, offset)?)
                })
                .await?;
                let items: Vec<Value> = page
                    .iter()
                    .map(|note| {
                        let mut properties = note.source_properties();
                        properties.insert("url".into(), json!([site.absolute(&note.path())]));
                        json!({ "type": ["h-entry"], "properties": properties })
                    })
                    .collect();
                json!({ "items": items })
            }
        },
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "Unknown query `q={other}`; this endpoint answers {}.",
                QUERIES.join(", ")
            )));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// `q=source&url=…`: the post's properties, all or the `properties[]` named.
async fn source(state: &AppState, url: &str, wanted: &[&str]) -> Result<Value, AppError> {
    let slug = slug_of(state, url)?;
    let owned_url = url.to_owned();
    let note = db::run(&state.db, move |conn| {
        notes::by_slug(conn, &slug)?.ok_or_else(|| no_post(&owned_url))
    })
    .await?;
    if note.is_deleted() {
        return Err(AppError::BadRequest(format!(
            "The post at {url} is deleted."
        )));
    }
    let properties = note.source_properties();
    if wanted.is_empty() {
        return Ok(json!({ "type": ["h-entry"], "properties": properties }));
    }
    let selected: Map<String, Value> = properties
        .into_iter()
        .filter(|(k, _)| wanted.contains(&k.as_str()))
        .collect();
    Ok(json!({ "properties": selected }))
}
