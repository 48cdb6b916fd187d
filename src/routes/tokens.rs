//! starpunk's own token endpoint and its companions (IndieAuth §5.3, §6–§9): issuing and
//! refreshing tokens, introspection (RFC 7662), revocation (RFC 7009), userinfo, and the legacy
//! `GET` verification older resource servers use. Tokens are random 256-bit values stored only
//! as SHA-256 hashes.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::oauth::{
    OAuthError, bearer, event_fields, has_scope, json_response, own_server, profile, read_form,
    redeem, required, server_error,
};
use crate::clock;
use crate::db::{self, grants};
use crate::domain::indieauth::{parse_client_id, scopes_within};
use crate::error::AppError;
use crate::indieauth::OwnServer;
use crate::secret::{hash_token, random_token};
use crate::state::AppState;

/// `POST /auth/token`: `grant_type=authorization_code` or `refresh_token`; also the legacy
/// `action=revoke`.
pub async fn token(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let outcome = match read_form(&body) {
        Ok(params) if params.get("action").is_some_and(|a| a == "revoke") => {
            return Ok(revoke_token(&state, &params).await);
        }
        Ok(params) => match params.get("grant_type").map(String::as_str) {
            Some("authorization_code") => authorization_code(&state, &own, &params).await,
            Some("refresh_token") => refresh(&state, &own, &params).await,
            Some("") | None => Err(OAuthError::new("invalid_request", "grant_type is missing.")),
            Some(other) => Err(OAuthError::new(
                "unsupported_grant_type",
                format!(
                    "grant_type {other} is not supported; use authorization_code or refresh_token."
                ),
            )),
        },
        Err(e) => Err(e),
    };
    Ok(outcome.unwrap_or_else(|e| e.response()))
}

/// Issues a fresh access and refresh token pair; the tokens, to hand to the app once.
struct Issued {
    access: String,
    refresh: String,
}

impl Issued {
    fn new() -> Self {
        Issued {
            access: random_token(),
            refresh: random_token(),
        }
    }

    /// The token response (RFC 6749 §5.1, IndieAuth §5.3.3).
    fn answer(&self, state: &AppState, own: &OwnServer, me: &str, scope: &str) -> HttpResponse {
        let mut body = json!({
            "access_token": self.access,
            "token_type": "Bearer",
            "scope": scope,
            "me": me,
            "expires_in": own.token_lifetime,
            "refresh_token": self.refresh,
        });
        if has_scope(scope, "profile") {
            body["profile"] = profile(state);
        }
        json_response(StatusCode::OK, &body)
    }
}

async fn authorization_code(
    state: &AppState,
    own: &OwnServer,
    params: &HashMap<String, String>,
) -> Result<HttpResponse, OAuthError> {
    let (code_hash, code) = redeem(state, params).await?;
    if code.scope.is_empty() {
        return Err(OAuthError::new(
            "invalid_grant",
            "This code was issued for authentication only (no scope): redeem it at the authorization endpoint.",
        ));
    }
    let issued = Issued::new();
    let (access_hash, refresh_hash) = (hash_token(&issued.access), hash_token(&issued.refresh));
    let lifetime = own.token_lifetime;
    let now = clock::unix_now();
    let grant = code.clone();
    db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let grant_id = grants::create_grant(&tx, &grant, now)?;
        grants::link_code(&tx, &code_hash, grant_id)?;
        let tokens = grants::NewTokens {
            access_hash: &access_hash,
            refresh_hash: &refresh_hash,
            scope: &grant.scope,
            lifetime,
        };
        grants::issue_tokens(&tx, grant_id, &tokens, &grant.scope, now)?;
        tx.commit()?;
        Ok(())
    })
    .await
    .map_err(server_error)?;
    state.metrics.event(
        "indieauth.token_issued",
        event_fields(&[("client_id", &code.client_id), ("scope", &code.scope)]),
    );
    log::info!(
        "authorization server: token issued to {} ({})",
        code.client_id,
        code.scope
    );
    Ok(issued.answer(state, own, &code.me, &code.scope))
}

/// What a refresh came to, decided inside one transaction.
enum Refreshed {
    Done { me: String, scope: String },
    Refused(OAuthError),
}

async fn refresh(
    state: &AppState,
    own: &OwnServer,
    params: &HashMap<String, String>,
) -> Result<HttpResponse, OAuthError> {
    let refresh_hash = hash_token(required(params, "refresh_token")?);
    let client_id = parse_client_id(required(params, "client_id")?)
        .map_err(|e| OAuthError::new("invalid_client", e))?
        .to_string();
    let asked = params
        .get("scope")
        .filter(|s| !s.trim().is_empty())
        .cloned();
    let issued = Issued::new();
    let (access_hash, new_refresh_hash) = (hash_token(&issued.access), hash_token(&issued.refresh));
    let lifetime = own.token_lifetime;
    let now = clock::unix_now();
    let client = client_id.clone();
    let outcome = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let refused =
            |code, why: &str| Ok(Refreshed::Refused(OAuthError::new(code, why.to_owned())));
        let outcome = match grants::find_refresh(&tx, &refresh_hash, now)? {
            grants::Refresh::Unknown => refused(
                "invalid_grant",
                "The refresh token is unknown, expired or revoked.",
            ),
            grants::Refresh::Reused { grant_id } => {
                grants::revoke_grant(&tx, grant_id, now)?;
                refused(
                    "invalid_grant",
                    "The refresh token was already used; every token of this grant is revoked.",
                )
            }
            grants::Refresh::Live { client_id, .. } if client_id != client => refused(
                "invalid_grant",
                "The refresh token was issued to another client_id.",
            ),
            grants::Refresh::Live { grant_scope, .. }
                if !scopes_within(asked.as_deref().unwrap_or(""), &grant_scope) =>
            {
                refused(
                    "invalid_scope",
                    "A refresh cannot widen the scope the owner approved.",
                )
            }
            grants::Refresh::Live {
                grant_id,
                grant_scope,
                me,
                ..
            } => {
                let scope = asked.unwrap_or_else(|| grant_scope.clone());
                grants::rotate(&tx, &refresh_hash, grant_id, now)?;
                let tokens = grants::NewTokens {
                    access_hash: &access_hash,
                    refresh_hash: &new_refresh_hash,
                    scope: &scope,
                    lifetime,
                };
                grants::issue_tokens(&tx, grant_id, &tokens, &grant_scope, now)?;
                Ok(Refreshed::Done { me, scope })
            }
        };
        tx.commit()?;
        outcome
    })
    .await
    .map_err(server_error)?;
    match outcome {
        Refreshed::Done { me, scope } => {
            state.metrics.event(
                "indieauth.refreshed",
                event_fields(&[("client_id", &client_id), ("scope", &scope)]),
            );
            Ok(issued.answer(state, own, &me, &scope))
        }
        Refreshed::Refused(e) => {
            state.metrics.event(
                "indieauth.refused",
                event_fields(&[("client_id", &client_id), ("reason", &e.description)]),
            );
            Err(e)
        }
    }
}

/// `GET /auth/token` with a Bearer token: the pre-2020 verification, `{me, client_id, scope}`.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let Some(token) = bearer(&req) else {
        return Ok(unauthorized("Send the token as `Authorization: Bearer …`."));
    };
    Ok(match own.verify(&token).await? {
        Some(info) => json_response(
            StatusCode::OK,
            &json!({ "me": info.me, "client_id": info.client_id, "scope": info.scopes.join(" ") }),
        ),
        None => unauthorized("The token is unknown, expired or revoked."),
    })
}

fn unauthorized(why: &str) -> HttpResponse {
    OAuthError {
        code: "invalid_token",
        description: why.to_owned(),
        status: StatusCode::UNAUTHORIZED,
    }
    .response()
}

/// `POST /auth/introspect` (RFC 7662): needs a live access token of this server as Bearer.
pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let authorized = match bearer(&req) {
        Some(credential) => own.lookup(&credential, false).await?,
        None => None,
    };
    if authorized.is_none_or(|t| t.kind != "access") {
        state.metrics.event(
            "indieauth.refused",
            event_fields(&[("reason", "introspection without a valid bearer token")]),
        );
        return Ok(unauthorized(
            "Introspection needs `Authorization: Bearer` with a valid access token of this server.",
        ));
    }
    let params = match read_form(&body) {
        Ok(params) => params,
        Err(e) => return Ok(e.response()),
    };
    let token = match required(&params, "token") {
        Ok(token) => token,
        Err(e) => return Ok(e.response()),
    };
    let answer: Value = match own.lookup(token, false).await? {
        Some(t) => json!({
            "active": true,
            "me": t.me,
            "client_id": t.client_id,
            "scope": t.scope,
            "iat": t.issued_at,
            "exp": t.expires_at,
            "token_type": if t.kind == "access" { "Bearer" } else { "refresh_token" },
        }),
        None => json!({ "active": false }),
    };
    Ok(json_response(StatusCode::OK, &answer))
}

/// `POST /auth/revoke` (RFC 7009): revokes the grant of an access or refresh token; `200`
/// whatever the token was.
pub async fn revoke(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    Ok(match read_form(&body) {
        Ok(params) => revoke_token(&state, &params).await,
        Err(e) => e.response(),
    })
}

async fn revoke_token(state: &AppState, params: &HashMap<String, String>) -> HttpResponse {
    let token = match required(params, "token") {
        Ok(token) => hash_token(token),
        Err(e) => return e.response(),
    };
    let now = clock::unix_now();
    match db::run(&state.db, move |conn| {
        Ok(grants::revoke_by_token(conn, &token, now)?)
    })
    .await
    {
        Ok(revoked) => {
            if let Some(grant) = revoked {
                state.metrics.event(
                    "indieauth.revoked",
                    event_fields(&[("by", "app"), ("grant", &grant.to_string())]),
                );
            }
            json_response(StatusCode::OK, &json!({}))
        }
        Err(e) => server_error(e).response(),
    }
}

/// `GET /auth/userinfo`: the owner's profile, for a token with the `profile` scope.
pub async fn userinfo(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let Some(token) = bearer(&req) else {
        return Ok(unauthorized("Send the token as `Authorization: Bearer …`."));
    };
    Ok(match own.verify(&token).await? {
        Some(info) if info.has_scope("profile") => json_response(StatusCode::OK, &profile(&state)),
        Some(_) => OAuthError {
            code: "insufficient_scope",
            description: "The token was not granted the profile scope.".into(),
            status: StatusCode::FORBIDDEN,
        }
        .response(),
        None => unauthorized("The token is unknown, expired or revoked."),
    })
}
