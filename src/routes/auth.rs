//! Login page, dev login and logout.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::session::{removal_cookie, session_cookie};
use crate::auth::{Owner, hash_token, random_token};
use crate::db::{self, sessions};
use crate::error::AppError;
use crate::routes::see_other;
use crate::startup::AppState;
use crate::views;
use crate::views::layout::PageContext;

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token; missing is the same as wrong.
    #[serde(default)]
    pub csrf_token: String,
}

/// `GET /auth/login`.
pub async fn login_page(state: web::Data<AppState>) -> HttpResponse {
    let ctx = PageContext::new(&state.config, None);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(views::auth::login(&ctx).into_string())
}

/// `GET /dev/login`: only with `DEV_MODE=true` (404 otherwise); signs in as the dev identity
/// with no network at all.
pub async fn dev_login(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if !state.config.dev_mode {
        return Err(AppError::NotFound);
    }
    if req.method() != actix_web::http::Method::GET {
        return Ok(HttpResponse::MethodNotAllowed()
            .insert_header((actix_web::http::header::ALLOW, "GET"))
            .finish());
    }
    let me = state.config.dev_identity().to_string();
    let token = random_token();
    let hash = hash_token(&token);
    let now = db::unix_now();
    let who = me.clone();
    db::run(&state, move |conn| {
        sessions::delete_expired(conn, now)?;
        sessions::create(conn, &hash, &who, now)?;
        Ok(())
    })
    .await?;
    log::warn!("dev login: session opened for {me} without authentication (DEV_MODE)");
    let mut response = see_other("/admin/");
    response
        .add_cookie(&session_cookie(&state.config, &token))
        .map_err(AppError::internal)?;
    Ok(response)
}

/// `POST /auth/logout`: ends the session (CSRF checked) and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let hash = owner.session_hash().to_owned();
    db::run(&state, move |conn| Ok(sessions::delete(conn, &hash)?)).await?;
    let mut response = see_other("/");
    response
        .add_cookie(&removal_cookie(&state.config))
        .map_err(AppError::internal)?;
    Ok(response)
}
