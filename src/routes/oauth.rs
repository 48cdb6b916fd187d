//! What starpunk's own authorization and token endpoints share: OAuth 2.0 error answers
//! (RFC 6749 §5.2), reading form bodies, redeeming an authorization code (with PKCE and replay
//! detection), the owner's profile, and the metadata document (RFC 8414, IndieAuth §4.1.1).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Value, json};

use crate::clock;
use crate::db::{self, grants};
use crate::domain::indieauth::{SCOPES, parse_client_id, verifier_matches};
use crate::error::AppError;
use crate::indieauth::OwnServer;
use crate::secret::hash_token;
use crate::state::AppState;

/// An OAuth error answer: `{"error", "error_description"}`, never cached.
#[derive(Debug)]
pub struct OAuthError {
    /// The RFC 6749 code, e.g. `invalid_grant`.
    pub code: &'static str,
    /// What was wrong, for the app's developer.
    pub description: String,
    /// Usually 400.
    pub status: StatusCode,
}

impl OAuthError {
    /// A `400` with `code`.
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            status: StatusCode::BAD_REQUEST,
        }
    }

    /// The answer.
    pub fn response(&self) -> HttpResponse {
        let mut response = json_response(
            self.status,
            &json!({ "error": self.code, "error_description": self.description }),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// JSON that is never cached (tokens, verdicts) and may be read by web apps from any origin.
pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(body)
}

/// This site's own server, or 404 when the owner signs in elsewhere (`ADMIN_ME`).
pub fn own_server(state: &AppState) -> Result<Arc<OwnServer>, AppError> {
    state.own.clone().ok_or(AppError::NotFound)
}

/// Reads `application/x-www-form-urlencoded` pairs; a repeated parameter is `invalid_request`
/// (RFC 6749 §3.1).
pub fn read_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut params = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if params
            .insert(key.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::new(
                "invalid_request",
                format!("The parameter {key} is repeated."),
            ));
        }
    }
    Ok(params)
}

/// A required, non-empty parameter.
pub fn required<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::new("invalid_request", format!("{name} is missing.")))
}

/// The bearer token of a request, if it has exactly one well-formed `Authorization` header.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    crate::indieauth::bearer::header_token(req).ok().flatten()
}

/// Redeems an authorization code (`code`, `client_id`, `redirect_uri`, `code_verifier`).
/// Any attempt uses the code up; a second use revokes what the first one issued.
pub async fn redeem(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<(String, grants::NewCode), OAuthError> {
    let code = required(params, "code")?;
    let client_id = parse_client_id(required(params, "client_id")?)
        .map_err(|e| OAuthError::new("invalid_client", e))?;
    // Compared in the form the authorization request's was stored in (parsed, serialised).
    let redirect_uri = url::Url::parse(required(params, "redirect_uri")?)
        .map(String::from)
        .map_err(|_| OAuthError::new("invalid_request", "redirect_uri is not a URL."))?;
    let verifier = required(params, "code_verifier").map_err(|_| {
        OAuthError::new(
            "invalid_request",
            "code_verifier is missing: this server requires PKCE.",
        )
    })?;
    let code_hash = hash_token(code);
    let hash = code_hash.clone();
    let now = clock::unix_now();
    let redemption = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let redemption = grants::redeem_code(&tx, &hash, now)?;
        if let grants::Redemption::Replayed {
            grant_id: Some(grant),
        } = redemption
        {
            grants::revoke_grant(&tx, grant, now)?;
        }
        tx.commit()?;
        Ok(redemption)
    })
    .await
    .map_err(server_error)?;
    let invalid = |why: &str| {
        state.metrics.event(
            "indieauth.refused",
            event_fields(&[("client_id", client_id.as_str()), ("reason", why)]),
        );
        OAuthError::new("invalid_grant", why.to_owned())
    };
    let code = match redemption {
        grants::Redemption::Unknown => return Err(invalid("The authorization code is unknown.")),
        grants::Redemption::Expired => {
            return Err(invalid(
                "The authorization code has expired (codes live ten minutes).",
            ));
        }
        grants::Redemption::Replayed { .. } => {
            return Err(invalid(
                "The authorization code was already used; the tokens issued for it are revoked.",
            ));
        }
        grants::Redemption::Fresh(code) => code,
    };
    if code.client_id != client_id.as_str() {
        return Err(invalid("The code was issued to another client_id."));
    }
    if code.redirect_uri != redirect_uri {
        return Err(invalid(
            "The redirect_uri differs from the authorization request's.",
        ));
    }
    if !verifier_matches(verifier, &code.code_challenge) {
        return Err(invalid(
            "The code_verifier does not match the code_challenge.",
        ));
    }
    Ok((code_hash, code))
}

/// A 500 in OAuth's words (the cause is logged, never shown).
pub fn server_error(e: AppError) -> OAuthError {
    let status = e.status_code();
    log::error!("authorization server: {e}");
    OAuthError {
        code: if status == StatusCode::SERVICE_UNAVAILABLE {
            "temporarily_unavailable"
        } else {
            "server_error"
        },
        description: "The server could not complete the request; try again.".into(),
        status,
    }
}

/// Business-event fields from string pairs.
pub fn event_fields(pairs: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect()
}

/// The owner's profile (`profile` scope): name and site address.
pub fn profile(state: &AppState) -> Value {
    let site = &state.config.site;
    let name = if site.author.is_empty() {
        &site.name
    } else {
        &site.author
    };
    json!({ "name": name, "url": site.url.as_str() })
}

/// Whether a space-separated scope list contains `scope`.
pub fn has_scope(scopes: &str, scope: &str) -> bool {
    scopes.split_ascii_whitespace().any(|s| s == scope)
}

/// `GET /.well-known/oauth-authorization-server`: the server metadata.
pub async fn metadata(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let body = json!({
        "issuer": own.issuer.as_str(),
        "authorization_endpoint": own.endpoint("auth/authorize"),
        "token_endpoint": own.endpoint("auth/token"),
        "introspection_endpoint": own.endpoint("auth/introspect"),
        "introspection_endpoint_auth_methods_supported": ["Bearer"],
        "revocation_endpoint": own.endpoint("auth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["none"],
        "userinfo_endpoint": own.endpoint("auth/userinfo"),
        "scopes_supported": SCOPES.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": "https://indieauth.spec.indieweb.org/",
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(body))
}
