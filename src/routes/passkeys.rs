//! Passkey ceremonies over JSON (the page's script, `assets/js/passkeys.js`, talks to these):
//! sign-in at `/auth/passkey/…`, the first passkey at `/auth/setup/passkey/…` (with the setup
//! token) and more passkeys at `/admin/sign-in/passkeys/…` (with the owner's session).
//!
//! Each ceremony is two POSTs: `options` starts it (the browser gets the WebAuthn options) and
//! `finish` sends the browser's answer. Every POST carries a CSRF token: the sign-in form's
//! (`routes::signin`) before there is a session, the session's after. A successful sign-in or
//! setup answers `{"location": …}` with the session cookie; the script then goes there.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::open_session;
use super::credentials::{end_other_sessions, passkey_name};
use super::signin::{check_form_csrf, check_setup, failed, succeeded, throttled};
use crate::auth::Owner;
use crate::auth::webauthn::{NewCredential, PasskeyError, Stored};
use crate::clock;
use crate::db::{self, credentials};
use crate::error::AppError;
use crate::state::AppState;

/// What every ceremony POST carries.
#[derive(Debug, Deserialize)]
pub struct CeremonyBody {
    #[serde(default)]
    csrf_token: String,
    /// The setup token (setup ceremonies only).
    #[serde(default)]
    token: String,
    /// The new passkey's name (registration only).
    #[serde(default)]
    name: Option<String>,
    /// The browser's answer (`finish` only).
    #[serde(default)]
    credential: Option<Value>,
}

impl From<PasskeyError> for AppError {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Busy => AppError::Unavailable(format!("{}.", capitalise(&e))),
            PasskeyError::NoRpId => AppError::BadRequest(format!("{}.", capitalise(&e))),
            other => AppError::Forbidden(format!("{}.", capitalise(&other))),
        }
    }
}

fn capitalise(e: &PasskeyError) -> String {
    super::signin::capitalise(&e.to_string())
}

fn answer(body: &CeremonyBody) -> Result<&Value, AppError> {
    body.credential
        .as_ref()
        .ok_or_else(|| AppError::BadRequest("The browser's `credential` is missing.".into()))
}

async fn registration_options(state: &AppState) -> Result<HttpResponse, AppError> {
    let context = db::run(&state.db, |conn| {
        Ok(credentials::registration_context(conn)?)
    })
    .await?;
    let owner = state.config.owner().to_string();
    let options = state.passkeys.start_registration(
        context.user_handle.as_deref(),
        &owner,
        &context.credential_ids,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(options))
}

/// Verifies a registration answer and stores the passkey.
async fn store_registration(state: &AppState, body: &CeremonyBody) -> Result<(), AppError> {
    let name = passkey_name(body.name.as_deref().unwrap_or("Passkey"))?;
    let NewCredential {
        credential_id,
        user_handle,
        static_state,
        dynamic_state,
    } = state.passkeys.finish_registration(answer(body)?)?;
    let now = clock::unix_now();
    let stored = db::run(&state.db, move |conn| {
        if credentials::passkey_by_credential(conn, &credential_id)?.is_some() {
            return Ok(false);
        }
        credentials::add_passkey(
            conn,
            &credentials::NewPasskey {
                credential_id: &credential_id,
                user_handle: &user_handle,
                name: &name,
                static_state: &static_state,
                dynamic_state: &dynamic_state,
            },
            now,
        )?;
        Ok(true)
    })
    .await?;
    if !stored {
        return Err(AppError::BadRequest(
            "This passkey is already registered.".into(),
        ));
    }
    log::info!("a passkey was registered");
    Ok(())
}

/// `POST /auth/passkey/options`: starts a sign-in.
pub async fn login_options(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &body.csrf_token)?;
    throttled(&state, &req)?;
    let options = state.passkeys.start_sign_in()?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(options))
}

/// `POST /auth/passkey/finish`: checks the answer against its challenge and the stored
/// passkey, saves the new counter and opens a session.
pub async fn login_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &body.csrf_token)?;
    throttled(&state, &req)?;
    let outcome = verify_sign_in(&state, answer(&body)?).await;
    if let Err(e) = outcome {
        if matches!(e, AppError::Forbidden(_)) {
            failed(&state, &req, "passkey refused");
        }
        return Err(e);
    }
    succeeded(&state, &req);
    log::info!("sign-in: session opened with a passkey");
    session_json(&state, &req, "passkey", "/admin/").await
}

/// Opens the owner's session and answers `200 {"location": …}` with its cookie (the script
/// then goes there).
async fn session_json(
    state: &AppState,
    req: &HttpRequest,
    method: &'static str,
    location: &str,
) -> Result<HttpResponse, AppError> {
    let response = open_session(
        state,
        req,
        state.config.owner().to_string(),
        method,
        location,
    )
    .await?;
    // The session may send the browser on to a remembered page instead.
    let location = response
        .headers()
        .get(actix_web::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(location);
    let mut json = HttpResponse::Ok();
    json.insert_header(("Cache-Control", "no-store"));
    for cookie in response.cookies() {
        json.cookie(cookie.into_owned());
    }
    Ok(json.json(json!({ "location": location })))
}

async fn verify_sign_in(state: &AppState, response: &Value) -> Result<(), AppError> {
    let sign_in = state.passkeys.take_sign_in(response)?;
    let credential_id = sign_in.credential_id.clone();
    let found = db::run(&state.db, move |conn| {
        Ok(credentials::passkey_by_credential(conn, &credential_id)?)
    })
    .await?;
    let Some(found) = found else {
        return Err(PasskeyError::Unknown.into());
    };
    let stored = Stored {
        user_handle: found.user_handle,
        static_state: found.static_state,
        dynamic_state: found.dynamic_state,
    };
    let dynamic = state.passkeys.verify_sign_in(sign_in, &stored)?;
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(credentials::passkey_used(conn, found.id, &dynamic, now)?)
    })
    .await
}

/// `POST /auth/setup/passkey/options`: starts registering the first passkey (setup token).
pub async fn setup_options(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &body.csrf_token)?;
    check_setup(&state, &body.token).await?;
    registration_options(&state).await
}

/// `POST /auth/setup/passkey/finish`: stores the first passkey and signs the owner in.
pub async fn setup_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &body.csrf_token)?;
    check_setup(&state, &body.token).await?;
    store_registration(&state, &body).await?;
    state.setup.finish();
    log::warn!(
        "first run: the owner's first passkey is registered; the setup address no longer works"
    );
    session_json(&state, &req, "setup", "/admin/sign-in").await
}

/// `POST /admin/sign-in/passkeys/options`: starts registering another passkey.
pub async fn admin_options(
    state: web::Data<AppState>,
    owner: Owner,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &body.csrf_token)?;
    registration_options(&state).await
}

/// `POST /admin/sign-in/passkeys/finish`: stores it; every other session ends.
pub async fn admin_finish(
    state: web::Data<AppState>,
    owner: Owner,
    body: web::Json<CeremonyBody>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &body.csrf_token)?;
    store_registration(&state, &body).await?;
    end_other_sessions(&state, &owner).await?;
    Ok(HttpResponse::Ok().json(json!({ "location": "/admin/sign-in?done=passkey" })))
}
