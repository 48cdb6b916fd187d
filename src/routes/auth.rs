//! IndieAuth login (`/auth/login`, `/auth/callback`), dev login and logout.
//!
//! Login follows the IndieAuth client flow: the owner's authorization server is discovered from
//! `ADMIN_ME` (falling back to `INDIELOGIN_URL` only when the site names none), the browser is
//! sent there with a PKCE S256 challenge and a single-use `state` (128 random bits in 32
//! characters, the most some servers accept) kept at most ten minutes, and
//! the returned code is exchanged at the same server. The `me` it vouches for must be
//! `ADMIN_ME`. Every failure is a page saying what went wrong, and no session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::session::{removal_cookie, session_cookie};
use crate::auth::{Owner, client};
use crate::clock;
use crate::db::{self, auth_states, sessions};
use crate::error::AppError;
use crate::indieauth::{IndieAuthError, canonical_me};
use crate::routes::{private_page, see_other};
use crate::secret::{hash_token, random_token, random_token_128};
use crate::state::AppState;
use crate::views;

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token; missing is the same as wrong.
    #[serde(default)]
    pub csrf_token: String,
}

/// A failed login: the reason on a page, with `status`.
fn failure(state: &web::Data<AppState>, status: StatusCode, message: &str) -> HttpResponse {
    // Debug-quoted: the message may carry text from a URL, which must not forge log lines.
    log::warn!("login failed: {message:?}");
    let ctx = state.page(None);
    private_page(status, views::auth::failure(&ctx, message).into_string())
}

/// The site's `client_id` and `redirect_uri`.
fn client(state: &AppState) -> (String, String) {
    (
        state.config.site.url.to_string(),
        state.config.site.absolute("auth/callback"),
    )
}

/// `POST /auth/login`: discovers the owner's authorization server, records a single-use
/// `state` with its PKCE verifier and sends the browser there.
pub async fn start_login(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let me = state
        .config
        .admin_me
        .clone()
        .filter(|_| !state.config.owner_is_site());
    let Some(me) = me else {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "This site signs its owner in with a passkey or password, not at another server.",
        ));
    };
    let endpoints = match state.indieauth.endpoints().await {
        Ok(e) => e,
        Err(e) => {
            let status = match e {
                IndieAuthError::Insecure(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            return Ok(failure(
                &state,
                status,
                &format!("Your site's IndieAuth endpoints could not be found: {e}."),
            ));
        }
    };
    let (endpoint, issuer) = match (&endpoints.authorization_endpoint, &endpoints.metadata) {
        (Some(endpoint), _) => (endpoint.clone(), endpoints.issuer.clone()),
        (None, Some(metadata)) => {
            return Ok(failure(
                &state,
                StatusCode::BAD_GATEWAY,
                &format!("Your IndieAuth metadata {metadata} names no authorization_endpoint."),
            ));
        }
        // The owner's site names no server at all: the configured fallback service.
        (None, None) => (state.indieauth.fallback_endpoint(), None),
    };
    // 128 random bits in 32 characters: some servers refuse a longer `state`.
    let login_state = random_token_128();
    let verifier = random_token();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let pending = auth_states::PendingLogin {
        code_verifier: verifier,
        authorization_endpoint: endpoint.to_string(),
        issuer,
    };
    let state_hash = hash_token(&login_state);
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(auth_states::create(conn, &state_hash, &pending, now)?)
    })
    .await?;
    let (client_id, redirect_uri) = client(&state);
    let mut target = endpoint;
    let binding = login_cookie(&state, &login_state);
    target
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &login_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("me", me.as_str());
    let mut response = see_other(target.as_str());
    response.add_cookie(&binding).map_err(AppError::internal)?;
    Ok(response)
}

/// The cookie that ties a started login to the browser that started it: the callback must come
/// back to the same browser (login CSRF). Lax, so the authorization server's redirect carries it.
fn login_cookie(state: &AppState, value: &str) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(LOGIN_COOKIE, value.to_owned())
        .path("/auth/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(state.config.site.is_https())
        .max_age(actix_web::cookie::time::Duration::seconds(
            auth_states::LIFETIME_SECS,
        ))
        .finish()
}

/// Name of the cookie holding the `state` of the login this browser started.
const LOGIN_COOKIE: &str = "starpunk_login";

/// What the authorization server sends back to `/auth/callback`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: checks `state` (once) and `iss`, exchanges the code with the PKCE
/// verifier, requires `me` to be `ADMIN_ME`, then opens the session.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let mut response = callback_outcome(&state, &req, query.into_inner()).await?;
    // Whatever happened, this browser's pending login is over.
    let mut gone = login_cookie(&state, "");
    gone.make_removal();
    response.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(response)
}

async fn callback_outcome(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    query: CallbackQuery,
) -> Result<HttpResponse, AppError> {
    let state = state.clone();
    let Some(admin_me) = state.config.admin_me.clone() else {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "This site has no owner: set ADMIN_ME to your site's URL and restart.",
        ));
    };
    let Some(login_state) = query.state.filter(|s| !s.is_empty()) else {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "The authorization server's answer carries no `state`, so it cannot be matched to a login you started.",
        ));
    };
    let state_hash = hash_token(&login_state);
    let now = clock::unix_now();
    let pending = db::run(&state.db, move |conn| {
        Ok(auth_states::take(conn, &state_hash, now)?)
    })
    .await?;
    let Some(pending) = pending else {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "This login link is unknown, has expired (logins must finish within ten minutes) or was already used.",
        ));
    };
    // The state was taken above, so it can never be tried again, from any browser.
    let started_here = req
        .cookie(LOGIN_COOKIE)
        .is_some_and(|c| hash_token(c.value()) == hash_token(&login_state));
    if !started_here {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "This login was started in another browser (or its cookie was blocked); start it again here.",
        ));
    }
    if let Some(error) = query.error {
        let detail = query
            .error_description
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Ok(failure(
            &state,
            StatusCode::FORBIDDEN,
            &format!("The authorization server did not log you in: {error}{detail}."),
        ));
    }
    if let Some(expected) = &pending.issuer
        && query.iss.as_deref() != Some(expected.as_str())
    {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            &format!(
                "The answer did not come from your authorization server: `iss` is {}, expected {expected}.",
                query.iss.as_deref().unwrap_or("missing")
            ),
        ));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Ok(failure(
            &state,
            StatusCode::BAD_REQUEST,
            "The authorization server's answer carries no `code`.",
        ));
    };
    let Ok(endpoint) = url::Url::parse(&pending.authorization_endpoint) else {
        return Err(AppError::internal(
            "a stored authorization endpoint is not a URL",
        ));
    };
    let (client_id, redirect_uri) = client(&state);
    let me = match state
        .indieauth
        .exchange_code(
            &endpoint,
            &code,
            &client_id,
            &redirect_uri,
            &pending.code_verifier,
        )
        .await
    {
        Ok(me) => me,
        Err(e @ IndieAuthError::Unreachable(_)) => {
            return Ok(failure(&state, StatusCode::BAD_GATEWAY, &format!("{e}.")));
        }
        Err(e) => return Ok(failure(&state, StatusCode::FORBIDDEN, &format!("{e}."))),
    };
    if Some(me.as_str()) != canonical_me(admin_me.as_str()).as_deref() {
        return Ok(failure(
            &state,
            StatusCode::FORBIDDEN,
            &format!("You logged in as {me}, but this site belongs to {admin_me}."),
        ));
    }
    log::info!("login: session opened for {me} via {endpoint}");
    open_session(&state, req, me, "indieauth", "/admin/").await
}

/// Name of the cookie holding where to go once signed in (an app's authorization request).
const RETURN_COOKIE: &str = "starpunk_return";

/// Sends a browser to the login page, remembering `path` (a local path) for when the owner
/// has signed in: ten minutes, this browser only.
pub fn return_after_sign_in(state: &AppState, path: &str) -> Result<HttpResponse, AppError> {
    let cookie = return_cookie(state, path, auth_states::LIFETIME_SECS);
    let mut response = see_other("/auth/login");
    response.add_cookie(&cookie).map_err(AppError::internal)?;
    Ok(response)
}

/// The cookie remembering `path`, base64url-encoded: a query keeps every `%`, `+`, `&` and `;`
/// exactly as the app sent them (actix decodes percent-escapes when reading cookies).
fn return_cookie(state: &AppState, path: &str, max_age: i64) -> actix_web::cookie::Cookie<'static> {
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(path);
    actix_web::cookie::Cookie::build(RETURN_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(state.config.site.is_https())
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

/// The remembered local path, if the request carries one (`/…`, never `//…`, which would be
/// another site).
fn remembered_path(req: &HttpRequest) -> Option<String> {
    let encoded = req.cookie(RETURN_COOKIE)?.value().to_owned();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    let path = String::from_utf8(bytes).ok()?;
    // It becomes a Location header: no control characters.
    if path.chars().any(char::is_control) {
        return None;
    }
    let local = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    local.then_some(path)
}

/// Stores a new session for `me` (ending the session this browser had, if any: signing in
/// rotates the session) and answers with its cookie and a redirect to `to`, or to the page
/// remembered by [`return_after_sign_in`].
pub(crate) async fn open_session(
    state: &AppState,
    req: &HttpRequest,
    me: String,
    method: &'static str,
    to: &str,
) -> Result<HttpResponse, AppError> {
    let token = random_token();
    let hash = hash_token(&token);
    let now = clock::unix_now();
    let origin = sessions::Origin {
        ip: client::address(req, &state.config.trusted_proxies).map(|ip| ip.to_string()),
        user_agent: client::user_agent(req),
        method,
    };
    let previous = req
        .cookie(crate::auth::SESSION_COOKIE)
        .map(|c| hash_token(c.value()));
    db::run(&state.db, move |conn| {
        sessions::delete_expired(conn, now)?;
        if let Some(previous) = previous {
            sessions::delete(conn, &previous)?;
        }
        sessions::create(conn, &hash, &me, &origin, now)?;
        Ok(())
    })
    .await?;
    let remembered = remembered_path(req);
    let mut response = see_other(remembered.as_deref().unwrap_or(to));
    response
        .add_cookie(&session_cookie(&state.config, &token))
        .map_err(AppError::internal)?;
    if remembered.is_some() {
        response
            .add_cookie(&return_cookie(state, "", 0))
            .map_err(AppError::internal)?;
    }
    Ok(response)
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
    log::warn!("dev login: session opened for {me} without authentication (DEV_MODE)");
    open_session(&state, &req, me, "dev", "/admin/").await
}

/// `POST /auth/logout`: ends the session (CSRF checked) and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    owner: Owner,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    owner.check_csrf(&state, &form.csrf_token)?;
    let hash = owner.session_hash().to_owned();
    db::run(&state.db, move |conn| Ok(sessions::delete(conn, &hash)?)).await?;
    let mut response = see_other("/");
    response
        .add_cookie(&removal_cookie(&state.config))
        .map_err(AppError::internal)?;
    Ok(response)
}
