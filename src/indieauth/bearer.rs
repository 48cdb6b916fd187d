//! The resource-server side as routes use it: the [`Credentials`] extractor reads a request's
//! `Authorization: Bearer` token and verifies it with the application's [`IndieAuth`] client.
//!
//! It reaches the client and the metrics store through the request's app data
//! (`web::Data<IndieAuth>`, `web::Data<Metrics>`), never the application state.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::client::IndieAuth;
use super::model::{IndieAuthError, TokenInfo, TokenVerdict};
use crate::error::AppError;
use crate::monitoring::Metrics;

/// The token of `Authorization: Bearer …`, if the header is present.
pub fn header_token(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AppError::BadRequest(
            "Send one Authorization header, not several.".into(),
        ));
    }
    let value = value.to_str().unwrap_or("");
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthorized(
            "The Authorization header must be `Bearer <token>`.".into(),
        )),
    }
}

/// A request's credentials. A header token is verified when the extractor runs, before any
/// body is read, so strangers cannot make us buffer uploads; a token from the body (or a GET's
/// query) is verified by [`Credentials::finish`] once the body has been read.
pub struct Credentials {
    header: Option<String>,
    verified: Option<TokenInfo>,
    verifier: Verifier,
}

impl Credentials {
    /// Whether a header token has already been verified.
    pub fn authenticated(&self) -> bool {
        self.verified.is_some()
    }

    /// The verified token, given the token found in the body or query, if any.
    pub async fn finish(self, body: Option<String>) -> Result<TokenInfo, AppError> {
        let token = one_token(self.header, body)?;
        match self.verified {
            Some(info) => Ok(info),
            None => self.verifier.verify(&token).await,
        }
    }
}

impl FromRequest for Credentials {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = header_token(req);
        let verifier = Verifier::of(req);
        Box::pin(async move {
            let header = header?;
            let verifier = verifier?;
            let verified = match &header {
                Some(token) => Some(verifier.verify(token).await?),
                None => None,
            };
            Ok(Credentials {
                header,
                verified,
                verifier,
            })
        })
    }
}

/// What verification needs: the IndieAuth client, and the metrics store for cache tallies.
struct Verifier {
    indieauth: Arc<IndieAuth>,
    metrics: Option<Arc<Metrics>>,
}

impl Verifier {
    fn of(req: &HttpRequest) -> Result<Self, AppError> {
        let indieauth = req
            .app_data::<web::Data<IndieAuth>>()
            .ok_or_else(|| AppError::internal("the IndieAuth client is not registered"))?
            .clone()
            .into_inner();
        let metrics = req
            .app_data::<web::Data<Metrics>>()
            .map(|m| m.clone().into_inner());
        Ok(Verifier { indieauth, metrics })
    }

    /// Verifies a token at the owner's IndieAuth server (or the cache) and checks it is the
    /// owner's.
    async fn verify(&self, token: &str) -> Result<TokenInfo, AppError> {
        let verification = self.indieauth.verify(token).await.map_err(|e| match e {
            IndieAuthError::NoOwner => AppError::Forbidden(
                "This site has no owner (ADMIN_ME is not set), so no token can be accepted.".into(),
            ),
            other => {
                AppError::Unavailable(format!("The access token could not be verified: {other}."))
            }
        })?;
        if let Some(metrics) = &self.metrics {
            metrics.tally(if verification.cached {
                "micropub.token_cache_hit"
            } else {
                "micropub.token_cache_miss"
            });
        }
        match verification.verdict {
            TokenVerdict::Valid(info) => Ok(info),
            TokenVerdict::Invalid(why) => Err(AppError::InvalidToken(format!(
                "The access token was not accepted: {why}."
            ))),
            TokenVerdict::WrongOwner(me) => Err(AppError::Forbidden(format!(
                "The access token belongs to {me}, not to this site's owner."
            ))),
        }
    }
}

/// Checks a verified token's scope. A `create` token may also upload media.
pub fn require(info: &TokenInfo, scope: &'static str) -> Result<(), AppError> {
    let granted = info.has_scope(scope)
        || (scope == "media" && info.has_scope("create"))
        // `post` is the pre-2016 IndieAuth name of `create`, still sent by older clients.
        || (scope == "create" && info.has_scope("post"));
    if granted {
        Ok(())
    } else {
        Err(AppError::InsufficientScope { scope })
    }
}

/// The one token of a request: header or body, never both (RFC 6750 §2).
fn one_token(header: Option<String>, body: Option<String>) -> Result<String, AppError> {
    match (header, body) {
        (Some(_), Some(_)) => Err(AppError::BadRequest(
            "Send the access token either in the Authorization header or in the body, not both."
                .into(),
        )),
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(AppError::Unauthorized(
            "No access token: send `Authorization: Bearer <token>` or `access_token`.".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(scopes: &[&str]) -> TokenInfo {
        TokenInfo {
            me: "https://me.example/".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            client_id: None,
        }
    }

    #[test]
    fn scopes_cover_their_actions_only() {
        assert!(require(&info(&["create"]), "create").is_ok());
        assert!(
            require(&info(&["create"]), "media").is_ok(),
            "create may upload"
        );
        assert!(require(&info(&["post"]), "create").is_ok(), "legacy scope");
        assert!(require(&info(&["media"]), "create").is_err());
        assert!(require(&info(&["create"]), "update").is_err());
        assert!(require(&info(&["delete"]), "undelete").is_err());
        assert!(require(&info(&[]), "delete").is_err());
    }
}
