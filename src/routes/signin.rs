//! The owner signs in here, with no other service: a password (`POST /auth/password`) or a
//! passkey (`routes::passkeys`), and the first-run setup page (`/auth/setup?token=…`).
//!
//! Sign-in forms are protected against CSRF before there is a session by a random cookie
//! (`starpunk_form`, SameSite=Strict) whose HMAC the form carries. Failed attempts are
//! throttled per client address and in all (`auth::throttle`) and logged with the address,
//! never with what was typed.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::open_session;
use super::private_page;
use crate::auth::{client, csrf, password};
use crate::clock;
use crate::db::{self, credentials};
use crate::error::AppError;
use crate::secret::random_token;
use crate::state::AppState;
use crate::views;
use crate::views::signin::{LoginView, SetupView};

/// The cookie behind the sign-in forms' CSRF tokens.
pub const FORM_COOKIE: &str = "starpunk_form";

/// The pre-session CSRF token of this browser, and the cookie to set when it has none yet.
pub fn form_csrf(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    let existing = req
        .cookie(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64);
    let (value, cookie) = match existing {
        Some(value) => (value, None),
        None => {
            let value = random_token();
            let cookie = Cookie::build(FORM_COOKIE, value.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.config.site.is_https())
                .finish();
            (value, Some(cookie))
        }
    };
    (form_token(state, &value), cookie)
}

fn form_token(state: &AppState, cookie: &str) -> String {
    csrf::token_for(&state.config.session_secret, &format!("form:{cookie}"))
}

/// Checks a sign-in form's CSRF token against this browser's form cookie (403 otherwise).
pub fn check_form_csrf(req: &HttpRequest, state: &AppState, given: &str) -> Result<(), AppError> {
    let valid = req.cookie(FORM_COOKIE).is_some_and(|c| {
        csrf::verify(
            &state.config.session_secret,
            &format!("form:{}", c.value()),
            given,
        )
    });
    if valid {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This form has expired or came from another site; reload the page and try again."
                .into(),
        ))
    }
}

/// A sign-in page, setting the form cookie when the browser has none yet.
fn html(status: StatusCode, body: String, cookie: Option<Cookie<'static>>) -> HttpResponse {
    let mut response = private_page(status, body);
    if let Some(cookie) = cookie {
        // A cookie built here always has a valid name and value.
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// Whether a password is set and how many passkeys exist.
pub async fn credential_count(state: &AppState) -> Result<(bool, i64), AppError> {
    db::run(&state.db, |conn| Ok(credentials::count(conn)?)).await
}

/// The login page, with an optional error.
async fn login_page_with(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let (password, passkeys) = credential_count(state).await?;
    let (csrf, cookie) = form_csrf(req, state);
    let ctx = state.page(None);
    let view = LoginView {
        csrf: &csrf,
        password,
        passkeys: passkeys > 0,
        setup_pending: !password && passkeys == 0,
        error,
    };
    Ok(html(
        status,
        views::signin::login(&ctx, &view).into_string(),
        cookie,
    ))
}

/// `GET /auth/login`.
pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    login_page_with(&state, &req, StatusCode::OK, None).await
}

/// The sign-in form as posted.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    password: String,
}

/// The client's address as the throttle counts it, and as the log names it.
fn address(state: &AppState, req: &HttpRequest) -> (Option<std::net::IpAddr>, String) {
    let address = client::address(req, &state.config.trusted_proxies);
    let text = address.map_or_else(|| "an unknown address".to_owned(), |a| a.to_string());
    (address, text)
}

/// Refuses an attempt that must wait (429 with `Retry-After`).
pub fn throttled(state: &AppState, req: &HttpRequest) -> Result<(), AppError> {
    let (address, text) = address(state, req);
    state.throttle.check(address).map_err(|wait| {
        log::warn!(
            "sign-in refused: too many failures from {text}; retry in {} s",
            wait.as_secs().max(1)
        );
        AppError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
        }
    })
}

/// Records a failed attempt (logged with the address, never with what was typed).
pub fn failed(state: &AppState, req: &HttpRequest, what: &str) {
    let (address, text) = address(state, req);
    state.throttle.failure(address);
    log::warn!("sign-in failed ({what}) from {text}");
}

/// Records a successful sign-in: this address starts afresh.
pub fn succeeded(state: &AppState, req: &HttpRequest) {
    state.throttle.success(address(state, req).0);
}

/// `POST /auth/password`: the owner's password opens a session.
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &form.csrf_token)?;
    throttled(&state, &req)?;
    let stored = db::run(&state.db, |conn| Ok(credentials::password(conn)?)).await?;
    let given = form.into_inner().password;
    let matches = match stored {
        Some(phc) => web::block(move || password::verify(&given, &phc))
            .await
            .map_err(AppError::internal)?,
        None => false,
    };
    if !matches {
        failed(&state, &req, "wrong password");
        return login_page_with(
            &state,
            &req,
            StatusCode::UNAUTHORIZED,
            Some("That password is not right."),
        )
        .await;
    }
    succeeded(&state, &req);
    log::info!("sign-in: session opened with the password");
    open_session(
        &state,
        &req,
        state.config.owner().to_string(),
        "password",
        "/admin/",
    )
    .await
}

/// The setup page's query.
#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// The setup token, when it is valid and no credential exists yet; otherwise the page is gone.
pub async fn check_setup(state: &AppState, token: &str) -> Result<(), AppError> {
    if !state.setup.is_valid(token) {
        return Err(AppError::NotFound);
    }
    if credential_count(state).await? != (false, 0) {
        state.setup.finish();
        return Err(AppError::NotFound);
    }
    Ok(())
}

fn setup_page(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    let (csrf, cookie) = form_csrf(req, state);
    let ctx = state.page(None);
    let view = SetupView {
        token,
        csrf: &csrf,
        error,
    };
    html(
        status,
        views::signin::setup(&ctx, &view).into_string(),
        cookie,
    )
}

/// `GET /auth/setup?token=…`: 404 without the current token or once a credential exists.
pub async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    check_setup(&state, &query.token).await?;
    Ok(setup_page(&state, &req, &query.token, StatusCode::OK, None))
}

/// The setup page's password form.
#[derive(Debug, Deserialize)]
pub struct SetupPasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /auth/setup/password`: sets the first password and signs the owner in.
pub async fn setup_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SetupPasswordForm>,
) -> Result<HttpResponse, AppError> {
    check_form_csrf(&req, &state, &form.csrf_token)?;
    check_setup(&state, &form.token).await?;
    let form = form.into_inner();
    if let Err(e) = password::check_new(&form.password, Some(&form.repeat)) {
        let message = format!("{}.", capitalise(&e.to_string()));
        return Ok(setup_page(
            &state,
            &req,
            &form.token,
            StatusCode::BAD_REQUEST,
            Some(&message),
        ));
    }
    let phc = hash_off_worker(form.password).await?;
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(credentials::set_password(conn, &phc, now)?)
    })
    .await?;
    state.setup.finish();
    log::warn!("first run: the owner's password is set; the setup address no longer works");
    open_session(
        &state,
        &req,
        state.config.owner().to_string(),
        "setup",
        "/admin/sign-in",
    )
    .await
}

/// Hashes a new password on the blocking pool (it takes tens of milliseconds on purpose).
pub async fn hash_off_worker(password: String) -> Result<String, AppError> {
    web::block(move || password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// The first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
