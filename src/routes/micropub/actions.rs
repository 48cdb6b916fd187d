//! `POST /micropub`: create, update, delete and undelete.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::body::{Body, FilePart, read_body};
use super::media::image;
use crate::clock;
use crate::db::{self, media, notes};
use crate::domain::micropub::{self, Action, Create, Update};
use crate::domain::{Note, Slug};
use crate::error::AppError;
use crate::indieauth::Credentials;
use crate::indieauth::bearer::require;
use crate::state::AppState;

/// `POST /micropub`: create, update, delete or undelete.
pub async fn post(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (body, files) = read_body(&state, &req, payload, credentials.authenticated()).await?;
    let request = match body {
        Body::Json(value) => micropub::from_json(value)?,
        Body::Fields(pairs) => micropub::from_form(pairs)?,
    };
    let info = credentials.finish(request.body_token).await?;
    require(&info, request.action.scope())?;
    if !files.is_empty() && !matches!(request.action, Action::Create(_)) {
        return Err(AppError::BadRequest(
            "Files can only be sent with a create request.".into(),
        ));
    }
    match request.action {
        Action::Create(create) => create_post(&state, create, files).await,
        Action::Update { url, update } => update_post(&state, &url, update).await,
        Action::Delete { url } => set_deleted(&state, &url, true).await,
        Action::Undelete { url } => set_deleted(&state, &url, false).await,
    }
}

async fn create_post(
    state: &AppState,
    mut create: Create,
    files: Vec<FilePart>,
) -> Result<HttpResponse, AppError> {
    let mut uploads = Vec::with_capacity(files.len());
    for file in files {
        let field = file.field.strip_suffix("[]").unwrap_or(&file.field);
        if field != "photo" {
            return Err(AppError::BadRequest(format!(
                "Only `photo` files can be uploaded with a post, not `{field}`."
            )));
        }
        let upload = image(file.bytes).await?;
        let url = state
            .config
            .site
            .absolute(&format!("media/{}", upload.name));
        micropub::push(&mut create.properties, "photo", Value::String(url));
        uploads.push(upload);
    }
    let note = create.into_note()?;
    let now = OffsetDateTime::now_utc();
    let stored = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for upload in &uploads {
            media::insert(&tx, upload, now.unix_timestamp())?;
        }
        let note = notes::insert_in(&tx, &note, now)?;
        tx.commit()?;
        Ok(note)
    })
    .await?;
    state
        .metrics
        .event("note.created", event_meta(&stored, "micropub"));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, state.config.site.absolute(&stored.path())))
        .finish())
}

/// The slug of one of our post URLs, or a 400 naming the URL.
pub(super) fn slug_of(state: &AppState, url: &str) -> Result<Slug, AppError> {
    let not_ours = || AppError::BadRequest(format!("{url} is not a post on this site."));
    let path = url
        .strip_prefix(state.config.site.url.as_str())
        .ok_or_else(not_ours)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| not_ours())?;
    let slug = path
        .strip_prefix("notes/")
        .map(|s| s.trim_end_matches('/'))
        .ok_or_else(not_ours)?;
    Slug::parse(slug).map_err(|_| not_ours())
}

pub(super) fn no_post(url: &str) -> AppError {
    AppError::BadRequest(format!("There is no post at {url}."))
}

async fn update_post(
    state: &AppState,
    url: &str,
    update: Update,
) -> Result<HttpResponse, AppError> {
    let slug = slug_of(state, url)?;
    let url = url.to_owned();
    let now = clock::unix_now();
    let stored = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let note = notes::by_slug(&tx, &slug)?.ok_or_else(|| no_post(&url))?;
        if note.is_deleted() {
            return Err(AppError::BadRequest(format!(
                "The post at {url} is deleted; undelete it before updating."
            )));
        }
        let mut properties = note.source_properties();
        micropub::apply(&mut properties, &update);
        let changed = Create {
            properties,
            slug: None,
        }
        .into_note()?;
        let stored = notes::rewrite(&tx, note.id, &changed, now)?.ok_or_else(|| no_post(&url))?;
        tx.commit()?;
        Ok(stored)
    })
    .await?;
    state
        .metrics
        .event("note.updated", event_meta(&stored, "micropub"));
    Ok(HttpResponse::NoContent().finish())
}

async fn set_deleted(state: &AppState, url: &str, delete: bool) -> Result<HttpResponse, AppError> {
    let slug = slug_of(state, url)?;
    let url = url.to_owned();
    let now = clock::unix_now();
    let note = db::run(&state.db, move |conn| {
        let note = notes::by_slug(conn, &slug)?.ok_or_else(|| no_post(&url))?;
        // Deleting a deleted post (or restoring a live one) changes nothing and succeeds.
        if note.is_deleted() != delete {
            notes::set_deleted(conn, note.id, delete.then_some(now), now)?;
        }
        Ok(note)
    })
    .await?;
    let event = if delete {
        "note.deleted"
    } else {
        "note.undeleted"
    };
    state.metrics.event(event, event_meta(&note, "micropub"));
    Ok(HttpResponse::NoContent().finish())
}

fn event_meta(note: &Note, via: &str) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("note_id".into(), note.id.into());
    meta.insert("slug".into(), note.slug.as_str().into());
    meta.insert("via".into(), via.into());
    meta
}
