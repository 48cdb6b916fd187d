//! The admin's "Sign-in" page (`/admin/sign-in`): passkeys (rename, remove), the password (set,
//! change, remove) and open sessions (end one, end all others).
//!
//! Changing or removing a credential ends every other session; the last credential can never
//! be removed. Every POST checks the session's CSRF token first.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::signin::{capitalise, hash_off_worker};
use super::{private_page, see_other};
use crate::auth::{Owner, password};
use crate::clock;
use crate::db::{self, credentials, sessions};
use crate::error::AppError;
use crate::state::AppState;
use crate::views;
use crate::views::signin::{CredentialsView, PasskeyRow, SessionRow};

/// Setting a first password (no current one to confirm) needs a sign-in this recent.
pub const RECENT_SIGN_IN_SECS: i64 = 15 * 60;

/// `?done=` messages.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// The page, with a message or an error.
pub async fn render(
    state: &AppState,
    owner: &Owner,
    status: StatusCode,
    flash: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let now = clock::unix_now();
    let (keys, password, open) = db::run(&state.db, move |conn| {
        Ok((
            credentials::passkeys(conn)?,
            credentials::password(conn)?.is_some(),
            sessions::list(conn, now)?,
        ))
    })
    .await?;
    let date = |t: i64| views::human_date(t);
    let passkeys: Vec<PasskeyRow> = keys
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id,
            name: k.name,
            created: date(k.created_at),
            last_used: k.last_used_at.map(date),
        })
        .collect();
    let sessions: Vec<SessionRow> = open
        .into_iter()
        .map(|s| SessionRow {
            current: s.token_hash == owner.session_hash(),
            id: s.token_hash,
            created: date(s.created_at),
            last_seen: date(s.last_seen_at),
            ip: s.ip.unwrap_or_else(|| "unknown".into()),
            user_agent: s.user_agent.unwrap_or_else(|| "unknown".into()),
            method: s.method.unwrap_or_else(|| "unknown".into()),
        })
        .collect();
    let ctx = state.page(Some(&owner.csrf_token));
    let view = CredentialsView {
        passkeys: &passkeys,
        password,
        sessions: &sessions,
        flash,
        error,
    };
    Ok(private_page(
        status,
        views::signin::credentials(&ctx, &view).into_string(),
    ))
}

/// `GET /admin/sign-in`.
pub async fn page(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let flash = match query.done.as_deref() {
        Some("password") => Some("Password saved. Other sessions were ended."),
        Some("password-removed") => Some("Password removed. Other sessions were ended."),
        Some("passkey") => Some("Passkey added. Other sessions were ended."),
        Some("passkey-removed") => Some("Passkey removed. Other sessions were ended."),
        Some("renamed") => Some("Passkey renamed."),
        Some("ended") => Some("Session ended."),
        Some("ended-others") => Some("Every other session was ended."),
        _ => None,
    };
    render(&state, &owner, StatusCode::OK, flash, None).await
}

/// A credential changed: every session but this one ends.
pub(super) async fn end_other_sessions(state: &AppState, owner: &Owner) -> Result<(), AppError> {
    let keep = owner.session_hash().to_owned();
    db::run(&state.db, move |conn| {
        Ok(sessions::delete_all_except(conn, Some(&keep))?)
    })
    .await?;
    Ok(())
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /admin/sign-in/password`: sets or changes the password. A change needs the current
/// one; a first password needs a sign-in of the last 15 minutes.
pub async fn set_password(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let form = form.into_inner();
    let hash = owner.session_hash().to_owned();
    let (stored, opened) = db::run(&state.db, move |conn| {
        Ok((
            credentials::password(conn)?,
            sessions::created_at(conn, &hash)?,
        ))
    })
    .await?;
    match stored {
        Some(phc) => {
            let current = form.current.clone();
            let ok = web::block(move || password::verify(&current, &phc))
                .await
                .map_err(AppError::internal)?;
            if !ok {
                return refuse(
                    &state,
                    &owner,
                    "The current password is not right; nothing was changed.",
                )
                .await;
            }
        }
        None => {
            let recent = opened.is_some_and(|t| clock::unix_now() - t < RECENT_SIGN_IN_SECS);
            if !recent {
                return refuse(
                    &state,
                    &owner,
                    "Setting a password needs a fresh sign-in: log out, sign in again and set it \
                     within 15 minutes.",
                )
                .await;
            }
        }
    }
    if let Err(e) = password::check_new(&form.password, Some(&form.repeat)) {
        return refuse(&state, &owner, &format!("{}.", capitalise(&e.to_string()))).await;
    }
    let phc = hash_off_worker(form.password).await?;
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(credentials::set_password(conn, &phc, now)?)
    })
    .await?;
    end_other_sessions(&state, &owner).await?;
    log::info!("the owner's password was set");
    Ok(see_other("/admin/sign-in?done=password"))
}

/// The page again with a 400 and `message`.
async fn refuse(state: &AppState, owner: &Owner, message: &str) -> Result<HttpResponse, AppError> {
    render(state, owner, StatusCode::BAD_REQUEST, None, Some(message)).await
}

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/sign-in/password/remove`: never the last credential.
pub async fn remove_password(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let removed = db::run(&state.db, |conn| {
        let tx = conn.transaction()?;
        let (password, passkeys) = credentials::count(&tx)?;
        if !password || passkeys == 0 {
            return Ok(false);
        }
        credentials::remove_password(&tx)?;
        tx.commit()?;
        Ok(true)
    })
    .await?;
    if !removed {
        return render(
            &state,
            &owner,
            StatusCode::CONFLICT,
            None,
            Some(
                "The password is your only way to sign in here; add a passkey before removing it.",
            ),
        )
        .await;
    }
    end_other_sessions(&state, &owner).await?;
    log::info!("the owner's password was removed");
    Ok(see_other("/admin/sign-in?done=password-removed"))
}

/// The rename form.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
}

/// A passkey's name: 1–64 characters, trimmed.
pub fn passkey_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::BadRequest(
            "A passkey's name has 1 to 64 characters.".into(),
        ));
    }
    Ok(name.to_owned())
}

/// `POST /admin/sign-in/passkeys/{id}/rename`.
pub async fn rename_passkey(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let name = passkey_name(&form.name)?;
    let id = id.into_inner();
    let found = db::run(&state.db, move |conn| {
        Ok(credentials::rename_passkey(conn, id, &name)?)
    })
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/admin/sign-in?done=renamed"))
}

/// `POST /admin/sign-in/passkeys/{id}/remove`: never the last credential.
pub async fn remove_passkey(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let id = id.into_inner();
    let outcome = db::run(&state.db, move |conn| {
        let tx = conn.transaction()?;
        let (password, passkeys) = credentials::count(&tx)?;
        if !password && passkeys <= 1 {
            return Ok(Some(false));
        }
        if !credentials::remove_passkey(&tx, id)? {
            return Ok(None);
        }
        tx.commit()?;
        Ok(Some(true))
    })
    .await?;
    match outcome {
        None => Err(AppError::NotFound),
        Some(false) => {
            render(
                &state,
                &owner,
                StatusCode::CONFLICT,
                None,
                Some("This passkey is your only way to sign in here; add another passkey or a password first."),
            )
            .await
        }
        Some(true) => {
            end_other_sessions(&state, &owner).await?;
            log::info!("a passkey was removed");
            Ok(see_other("/admin/sign-in?done=passkey-removed"))
        }
    }
}

/// The end-a-session form.
#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    session: String,
}

/// `POST /admin/sign-in/sessions/end`: ends one session (this one too, if named).
pub async fn end_session(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<EndForm>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let hash = form.into_inner().session;
    db::run(&state.db, move |conn| Ok(sessions::delete(conn, &hash)?)).await?;
    Ok(see_other("/admin/sign-in?done=ended"))
}

/// `POST /admin/sign-in/sessions/end-others`.
pub async fn end_others(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    end_other_sessions(&state, &owner).await?;
    Ok(see_other("/admin/sign-in?done=ended-others"))
}
