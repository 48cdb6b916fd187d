//! The owner's admin area: list, create, edit (with preview), delete and restore notes.
//!
//! Every handler takes [`Owner`] (no session: redirect to login) and every POST checks the
//! CSRF token before anything else.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::Owner;
use crate::clock;
use crate::db::{self, notes};
use crate::domain::slug::slugify;
use crate::domain::{NewNote, Note, NoteContent, NoteUpdate};
use crate::error::AppError;
use crate::monitoring;
use crate::routes::auth::CsrfForm;
use crate::routes::public::parse_cursor;
use crate::routes::{private_page, see_other};
use crate::state::AppState;
use crate::views;
use crate::views::admin::{FormPage, NoteForm};
use crate::views::layout::PageContext;

/// Notes per admin page.
const ADMIN_PAGE: u32 = 50;

/// Query of the admin list: a page cursor and a fixed flash message key.
#[derive(Debug, Deserialize)]
pub struct IndexQuery {
    before: Option<String>,
    done: Option<String>,
}

/// The note form as submitted.
#[derive(Debug, Deserialize)]
pub struct NoteFormData {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    slug: String,
    published: Option<String>,
    #[serde(default)]
    action: String,
}

impl NoteFormData {
    fn values(&self) -> NoteForm {
        NoteForm {
            content: self.content.clone(),
            slug: self.slug.clone(),
            // A checkbox sends `true` (or `on` from some clients); anything else is a draft.
            published: matches!(self.published.as_deref(), Some("true" | "on" | "1")),
        }
    }

    fn is_preview(&self) -> bool {
        self.action == "preview"
    }
}

/// The note form page (new or edit) with the given values, preview and problem.
fn form_page(
    state: &AppState,
    ctx: &PageContext<'_>,
    editing: Option<&Note>,
    form: &NoteForm,
    status: actix_web::http::StatusCode,
    preview: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let view = FormPage {
        editing,
        form,
        preview,
        error,
    };
    private_page(
        status,
        monitoring::render(&state.metrics, "admin.form", || {
            views::admin::note_form(ctx, &view)
        }),
    )
}

/// Renders a preview on the blocking pool, so a slow note never stalls the async workers.
async fn render_off_worker(content: NoteContent) -> Result<String, AppError> {
    web::block(move || content.render())
        .await
        .map_err(AppError::internal)
}

/// Metadata of a note business event.
fn event_meta(id: i64, slug: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut meta = serde_json::Map::new();
    meta.insert("note_id".into(), id.into());
    if !slug.is_empty() {
        meta.insert("slug".into(), slug.into());
    }
    meta
}

/// `GET /admin`: to the canonical `/admin/`.
pub async fn admin_root() -> HttpResponse {
    see_other("/admin/")
}

/// `GET /admin/`.
pub async fn index(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<IndexQuery>,
) -> Result<HttpResponse, AppError> {
    let before = parse_cursor(query.before.as_deref())?;
    let mut page = db::run(&state.db, move |conn| {
        Ok(notes::all_page(conn, before, ADMIN_PAGE + 1)?)
    })
    .await?;
    let older = if page.len() > ADMIN_PAGE as usize {
        page.truncate(ADMIN_PAGE as usize);
        page.last().map(|n| n.cursor())
    } else {
        None
    };
    let flash = match query.done.as_deref() {
        Some("created") => Some("Note published."),
        Some("drafted") => Some("Draft saved."),
        Some("updated") => Some("Note saved."),
        Some("deleted") => Some("Note deleted. It answers 410 Gone until you restore it."),
        Some("restored") => Some("Note restored."),
        _ => None,
    };
    let ctx = state.page(Some(&owner.csrf_token));
    Ok(private_page(
        actix_web::http::StatusCode::OK,
        monitoring::render(&state.metrics, "admin.index", || {
            views::admin::index(&ctx, &page, older, flash)
        }),
    ))
}

/// `GET /admin/new`.
pub async fn new_form(state: web::Data<AppState>, owner: Owner) -> HttpResponse {
    let ctx = state.page(Some(&owner.csrf_token));
    let form = NoteForm {
        published: true,
        ..NoteForm::default()
    };
    form_page(
        &state,
        &ctx,
        None,
        &form,
        actix_web::http::StatusCode::OK,
        None,
        None,
    )
}

/// `POST /admin/new`: preview, or create and go back to the list.
pub async fn create(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<NoteFormData>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let ctx = state.page(Some(&owner.csrf_token));
    let values = form.values();
    let show =
        |status, preview, error| form_page(&state, &ctx, None, &values, status, preview, error);
    let content = match NoteContent::markdown(form.content.as_str()) {
        Ok(c) => c,
        Err(e) => {
            return Ok(show(
                actix_web::http::StatusCode::BAD_REQUEST,
                None,
                Some(e.to_string()),
            ));
        }
    };
    let requested = form.slug.trim();
    if !requested.is_empty() && slugify(requested, usize::MAX).is_none() {
        let message = "The slug needs at least one letter or digit.".to_owned();
        return Ok(show(
            actix_web::http::StatusCode::BAD_REQUEST,
            None,
            Some(message),
        ));
    }
    if form.is_preview() {
        return Ok(show(
            actix_web::http::StatusCode::OK,
            Some(render_off_worker(content).await?),
            None,
        ));
    }
    let new = NewNote::from_markdown(content, Some(requested.to_owned()), values.published);
    let stored = db::run(&state.db, move |conn| {
        Ok(notes::insert(conn, &new, OffsetDateTime::now_utc())?)
    })
    .await;
    let note = match stored {
        Ok(note) => note,
        // A full disk or a busy database: the form comes back with everything the owner typed.
        Err(e) => match e.retry_notice() {
            Some((status, message)) => return Ok(show(status, None, Some(message))),
            None => return Err(e),
        },
    };
    log::info!("note created: {} (id {})", note.slug, note.id);
    state
        .metrics
        .event("note.created", event_meta(note.id, note.slug.as_str()));
    let done = if note.published { "created" } else { "drafted" };
    Ok(see_other(&format!("/admin/?done={done}")))
}

/// The note with `id`, drafts and deleted ones included; 404 when there is none.
async fn note_by_id(state: &AppState, id: i64) -> Result<Note, AppError> {
    db::run(&state.db, move |conn| Ok(notes::by_id(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/edit/{id}`.
pub async fn edit_form(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let note = note_by_id(&state, id).await?;
    let form = NoteForm {
        content: note.content.source().to_owned(),
        slug: note.slug.to_string(),
        published: note.published,
    };
    let ctx = state.page(Some(&owner.csrf_token));
    Ok(form_page(
        &state,
        &ctx,
        Some(&note),
        &form,
        actix_web::http::StatusCode::OK,
        None,
        None,
    ))
}

/// `POST /admin/edit/{id}`: preview, or save (re-rendering; the slug never changes).
pub async fn update(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<NoteFormData>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let id = id.into_inner();
    let note = note_by_id(&state, id).await?;
    let ctx = state.page(Some(&owner.csrf_token));
    let values = form.values();
    let show = |status, preview, error| {
        form_page(&state, &ctx, Some(&note), &values, status, preview, error)
    };
    // A note posted as HTML by a Micropub client stays HTML when edited here.
    let parsed = match note.content {
        NoteContent::Html(_) => NoteContent::html(form.content.as_str()),
        NoteContent::Markdown(_) => NoteContent::markdown(form.content.as_str()),
    };
    let content = match parsed {
        Ok(c) => c,
        Err(e) => {
            return Ok(show(
                actix_web::http::StatusCode::BAD_REQUEST,
                None,
                Some(e.to_string()),
            ));
        }
    };
    if form.is_preview() {
        return Ok(show(
            actix_web::http::StatusCode::OK,
            Some(render_off_worker(content).await?),
            None,
        ));
    }
    let change = NoteUpdate {
        content,
        published: values.published,
    };
    let now = clock::unix_now();
    let stored = db::run(&state.db, move |conn| {
        Ok(notes::update(conn, id, &change, now)?)
    })
    .await;
    match stored {
        Ok(Some(_)) => {}
        Ok(None) => return Err(AppError::NotFound),
        Err(e) => match e.retry_notice() {
            Some((status, message)) => return Ok(show(status, None, Some(message))),
            None => return Err(e),
        },
    }
    log::info!("note updated: {} (id {id})", note.slug);
    state
        .metrics
        .event("note.updated", event_meta(id, note.slug.as_str()));
    Ok(see_other("/admin/?done=updated"))
}

/// `GET /admin/delete/{id}`: the page that asks before deleting; nothing changes until its form
/// is posted.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let note = note_by_id(&state, id).await?;
    let ctx = state.page(Some(&owner.csrf_token));
    Ok(private_page(
        actix_web::http::StatusCode::OK,
        monitoring::render(&state.metrics, "admin.delete", || {
            views::admin::delete_confirmation(&ctx, &note)
        }),
    ))
}

/// `POST /admin/delete/{id}`: soft delete; the permalink answers 410.
pub async fn delete(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    set_deleted(state, owner, id.into_inner(), form, true).await
}

/// `POST /admin/undelete/{id}`: restore a deleted note.
pub async fn undelete(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    set_deleted(state, owner, id.into_inner(), form, false).await
}

async fn set_deleted(
    state: web::Data<AppState>,
    owner: Owner,
    id: i64,
    form: web::Form<CsrfForm>,
    deleted: bool,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let now = clock::unix_now();
    let found = db::run(&state.db, move |conn| {
        Ok(notes::set_deleted(conn, id, deleted.then_some(now), now)?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    log::info!("note {id} {}", if deleted { "deleted" } else { "restored" });
    let event = if deleted {
        "note.deleted"
    } else {
        "note.undeleted"
    };
    state.metrics.event(event, event_meta(id, ""));
    Ok(see_other(if deleted {
        "/admin/?done=deleted"
    } else {
        "/admin/?done=restored"
    }))
}
