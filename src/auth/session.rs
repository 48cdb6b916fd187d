//! Owner sessions: the `starpunk_session` cookie and the [`Owner`] extractor.
//!
//! The cookie holds a random 256-bit token; the database holds only its SHA-256. A session lives
//! 30 days after its last use: when a request slides the expiry, the cookie is re-issued by
//! [`refresh_cookie`].

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::csrf;
use crate::clock;
use crate::config::Config;
use crate::db::{self, sessions};
use crate::error::AppError;
use crate::secret::hash_token;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "starpunk_session";

/// The logged-in owner. Extracting it from a request without a live session fails with
/// [`AppError::LoginRequired`] (a redirect to the login page for browsers).
#[derive(Debug, Clone)]
pub struct Owner {
    /// The owner's identity URL.
    pub me: String,
    /// The CSRF token every form of this session must carry.
    pub csrf_token: String,
    session_hash: String,
}

impl Owner {
    /// Checks a submitted CSRF token; a missing or wrong one is 403.
    pub fn check_csrf(&self, state: &AppState, given: &str) -> Result<(), AppError> {
        if csrf::verify(&state.config.session_secret, &self.session_hash, given) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "The form's security token is missing or has expired. Reload the page and try again."
                    .to_owned(),
            ))
        }
    }

    /// The stored hash of this session's token (to end it).
    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }
}

/// Marks a request whose session expiry slid: the cookie is sent again with a fresh max-age.
#[derive(Debug, Clone)]
struct SlidSession(String);

impl FromRequest for Owner {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Owner, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("application state is not registered"))?
                .clone();
            let token = req
                .cookie(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .filter(|t| !t.is_empty())
                .ok_or(AppError::LoginRequired)?;
            let hash = hash_token(&token);
            let now = clock::unix_now();
            let session = db::run(&state.db, move |conn| {
                Ok(sessions::touch(conn, &hash, now)?)
            })
            .await?
            .ok_or(AppError::LoginRequired)?;
            if session.slid {
                req.extensions_mut().insert(SlidSession(token));
            }
            Ok(Owner {
                csrf_token: csrf::token_for(&state.config.session_secret, &session.token_hash),
                me: session.me,
                session_hash: session.token_hash,
            })
        })
    }
}

/// The session cookie for `token`, with the attributes the configuration calls for.
pub fn session_cookie(config: &Config, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.site.is_https())
        .max_age(CookieDuration::seconds(sessions::LIFETIME_SECS))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(config: &Config) -> Cookie<'static> {
    let mut cookie = session_cookie(config, "");
    cookie.make_removal();
    cookie
}

/// Middleware: re-issues the session cookie when the request slid the session's expiry.
pub async fn refresh_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let slid = res.request().extensions().get::<SlidSession>().cloned();
    if let Some(SlidSession(token)) = slid {
        let has_own_cookie = res.response().cookies().any(|c| c.name() == SESSION_COOKIE);
        let state = res.request().app_data::<web::Data<AppState>>().cloned();
        if let (false, Some(state)) = (has_own_cookie, state) {
            res.response_mut()
                .add_cookie(&session_cookie(&state.config, &token))
                .map_err(actix_web::error::ErrorInternalServerError)?;
        }
    }
    Ok(res)
}
