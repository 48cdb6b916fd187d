//! The admin's "Apps" page (`/admin/apps`): every app holding a token of this site's own
//! authorization server, and revoking one or all. Every POST checks the session's CSRF token.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::oauth::{event_fields, own_server};
use super::{private_page, see_other};
use crate::auth::Owner;
use crate::clock;
use crate::db::{self, grants};
use crate::error::AppError;
use crate::state::AppState;
use crate::views;
use crate::views::apps::GrantRow;

/// `?done=` messages.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// `GET /admin/apps`.
pub async fn page(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    let now = clock::unix_now();
    let found = db::run(&state.db, move |conn| Ok(grants::list(conn, now)?)).await?;
    let rows: Vec<GrantRow> = found
        .into_iter()
        .map(|g| GrantRow {
            id: g.id,
            name: g.client_name.unwrap_or_else(|| g.client_id.clone()),
            client_id: g.client_id,
            logo: g.client_logo,
            scope: g.scope,
            issued: views::human_date(g.created_at),
            last_used: g
                .last_used_at
                .map_or_else(|| "never".to_owned(), views::human_date),
            expires: views::human_date(g.expires_at),
        })
        .collect();
    let flash = match query.done.as_deref() {
        Some("revoked") => Some("The app's access is revoked."),
        Some("revoked-all") => Some("Every app's access is revoked."),
        _ => None,
    };
    let ctx = state.page(Some(&owner.csrf_token));
    Ok(private_page(
        StatusCode::OK,
        views::apps::list(&ctx, &rows, flash).into_string(),
    ))
}

/// `POST /admin/apps/{id}/revoke`.
pub async fn revoke(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    owner.check_csrf(&state, &form.csrf_token)?;
    let id = id.into_inner();
    let now = clock::unix_now();
    let revoked = db::run(&state.db, move |conn| {
        Ok(grants::revoke_grant(conn, id, now)?)
    })
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    state.metrics.event(
        "indieauth.revoked",
        event_fields(&[("by", "owner"), ("grant", &id.to_string())]),
    );
    Ok(see_other("/admin/apps?done=revoked"))
}

/// `POST /admin/apps/revoke-all`.
pub async fn revoke_all(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    owner.check_csrf(&state, &form.csrf_token)?;
    let now = clock::unix_now();
    let count = db::run(&state.db, move |conn| Ok(grants::revoke_all(conn, now)?)).await?;
    state.metrics.event(
        "indieauth.revoked",
        event_fields(&[("by", "owner"), ("grants", &count.to_string())]),
    );
    Ok(see_other("/admin/apps?done=revoked-all"))
}
