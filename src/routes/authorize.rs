//! starpunk's own authorization endpoint (IndieAuth §5.2–§5.3), when the owner's identity is
//! this site: an app sends the owner here, the signed-in owner approves (perhaps fewer scopes)
//! or denies, and the app gets a single-use code bound to its PKCE challenge.
//!
//! A request that cannot be used is refused on a page, never by an automatic redirect: the
//! `client_id` is whatever the request says, so redirecting errors to it would make this site
//! an open redirector (RFC 9700 §4.11.2). When the `redirect_uri` is on the app's own site, the
//! page links back to it with `error=invalid_request`, its `state` and our `iss`. Only the
//! owner's own answers (Allow, Deny) redirect. The app's description is fetched only for a
//! signed-in owner, so strangers cannot make this server fetch addresses for them.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use url::Url;

use super::auth::return_after_sign_in;
use super::oauth::{
    OAuthError, event_fields, has_scope, json_response, own_server, profile, read_form, redeem,
};
use crate::auth::Owner;
use crate::clock;
use crate::db::{self, grants};
use crate::domain::indieauth::{AuthorizationRequest, parse_client, parse_request, same_origin};
use crate::error::AppError;
use crate::indieauth::AppInfo;
use crate::routes::{private_page, see_other};
use crate::secret::{hash_token, random_token};
use crate::state::AppState;
use crate::views;
use crate::views::apps::ConsentView;

/// Why a request is not going to the consent page: what to tell the person, and for a bad
/// parameter of a trustworthy request, the app's `redirect_uri` carrying the error.
struct Refusal {
    message: String,
    back: Option<String>,
}

/// A request checked against the app's own description.
struct Checked {
    request: AuthorizationRequest,
    info: Result<Arc<AppInfo>, String>,
}

/// `GET /auth/authorize`: checks the request, makes the owner sign in if needed, and asks.
pub async fn authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Option<Owner>,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    let csrf = owner.as_ref().map(|o| o.csrf_token.clone());
    let csrf = csrf.as_deref();
    let params = read_form(req.query_string().as_bytes()).map_err(|e| Refusal {
        message: e.description,
        back: None,
    });
    let request = match params.and_then(|params| read(&state, &params).map(|r| (params, r))) {
        Ok(found) => found,
        Err(refusal) => return Ok(refused_page(&state, csrf, &refusal)),
    };
    let Some(owner) = owner else {
        // Back here once signed in.
        let here = format!("/auth/authorize?{}", req.query_string());
        return return_after_sign_in(&state, &here);
    };
    let (params, request) = request;
    let checked = match verify(&state, &params, request).await {
        Ok(checked) => checked,
        Err(refusal) => return Ok(refused_page(&state, csrf, &refusal)),
    };
    let request = &checked.request;
    let info = checked.info.as_ref().ok();
    let client_id = request.client.client_id.to_string();
    let redirect = &request.client.redirect_uri;
    // The site (scheme, host and port) the browser goes to; an app's own scheme in full.
    let redirect_to = match redirect.origin() {
        origin @ url::Origin::Tuple(..) => origin.ascii_serialization(),
        url::Origin::Opaque(_) => redirect.to_string(),
    };
    let mut pairs: Vec<(String, String)> = params.into_iter().collect();
    pairs.sort();
    let view = ConsentView {
        client_id: &client_id,
        name: info.and_then(|i| i.name.as_deref()),
        logo: info.and_then(|i| i.logo.as_ref()).map(Url::as_str),
        app_uri: info.and_then(|i| i.uri.as_ref()).map(Url::as_str),
        redirect_to: &redirect_to,
        scopes: &request.scopes,
        unknown_scopes: &request.unknown_scopes,
        info_problem: checked.info.as_ref().err().map(String::as_str),
        request: &pairs,
    };
    let ctx = state.page(Some(&owner.csrf_token));
    // Never inside another site's frame (clickjacking): `security_headers` sends
    // `X-Frame-Options: DENY` and `frame-ancestors 'none'` with this page as with every other.
    Ok(private_page(
        StatusCode::OK,
        views::apps::consent(&ctx, &view).into_string(),
    ))
}

/// `POST /auth/authorize/decide`: the owner's answer from the consent page.
pub async fn decide(
    state: web::Data<AppState>,
    owner: Owner,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let own = own_server(&state)?;
    let mut csrf = String::new();
    let mut approve = false;
    let mut ticked: Vec<String> = Vec::new();
    let mut params = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        match (key.as_ref(), key.strip_prefix("request.")) {
            (_, Some(name)) => {
                params.insert(name.to_owned(), value.into_owned());
            }
            ("csrf_token", _) => csrf = value.into_owned(),
            ("decision", _) => approve = value == "approve",
            ("scope", _) => ticked.push(value.into_owned()),
            _ => {}
        }
    }
    owner.check_csrf(&state, &csrf)?;
    let page_csrf = Some(owner.csrf_token.as_str());
    let checked = match read(&state, &params) {
        Ok(request) => verify(&state, &params, request).await,
        Err(refusal) => Err(refusal),
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(refusal) => return Ok(refused_page(&state, page_csrf, &refusal)),
    };
    let request = checked.request;
    let client_id = request.client.client_id.to_string();
    // Unticking every scope an app asked for allows it nothing: that is a no.
    let nothing_left =
        !request.scopes.is_empty() && !request.scopes.iter().any(|s| ticked.iter().any(|t| t == s));
    if !approve || nothing_left {
        state.metrics.event(
            "indieauth.denied",
            event_fields(&[("client_id", &client_id)]),
        );
        return Ok(see_other(&error_redirect(
            &state,
            &request.client.redirect_uri,
            Some(&request.state),
            "access_denied",
            "The owner did not allow this app.",
        )));
    }
    // Only what was asked for and left ticked.
    let scope = request
        .scopes
        .iter()
        .filter(|s| ticked.iter().any(|t| t == *s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let info = checked.info.ok();
    let code = random_token();
    let new = grants::NewCode {
        client_id: client_id.clone(),
        redirect_uri: request.client.redirect_uri.to_string(),
        code_challenge: request.code_challenge.clone(),
        scope: scope.clone(),
        me: own.issuer.to_string(),
        client_name: info.as_ref().and_then(|i| i.name.clone()),
        client_logo: info
            .as_ref()
            .and_then(|i| i.logo.as_ref())
            .map(ToString::to_string),
    };
    let code_hash = hash_token(&code);
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(grants::create_code(conn, &code_hash, &new, now)?)
    })
    .await?;
    state.metrics.event(
        "indieauth.authorized",
        event_fields(&[("client_id", &client_id), ("scope", &scope)]),
    );
    log::info!("authorization server: {client_id} allowed ({scope})");
    let mut target = request.client.redirect_uri.clone();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &request.state)
        .append_pair("iss", own.issuer.as_str());
    Ok(see_other(target.as_str()))
}

/// `POST /auth/authorize`: redeems a code for the identity alone (`{me}`, and `profile` with
/// that scope) — how an app that only signs people in finishes (IndieAuth §5.3.2).
pub async fn redeem_for_profile(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    own_server(&state)?;
    let outcome = async {
        let params = read_form(&body)?;
        match params.get("grant_type").map(String::as_str) {
            None | Some("authorization_code") => {}
            Some(other) => {
                return Err(OAuthError::new(
                    "unsupported_grant_type",
                    format!("grant_type {other} is not supported here."),
                ));
            }
        }
        let (_, code) = redeem(&state, &params).await?;
        let mut body = json!({ "me": code.me });
        if has_scope(&code.scope, "profile") {
            body["profile"] = profile(&state);
        }
        state.metrics.event(
            "indieauth.signed_in",
            event_fields(&[("client_id", &code.client_id)]),
        );
        Ok(json_response(StatusCode::OK, &body))
    };
    Ok(outcome.await.unwrap_or_else(|e| e.response()))
}

/// Reads a request without any network: its client and redirect, then the rest. A bad
/// parameter of a request whose `redirect_uri` is on the app's own site may be reported back
/// to the app (by a link the person follows).
fn read(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<AuthorizationRequest, Refusal> {
    let client = parse_client(params).map_err(|m| refuse(state, params, m, None))?;
    let back = same_origin(&client.client_id, &client.redirect_uri)
        .then(|| (client.redirect_uri.clone(), client.state.clone()));
    parse_request(client, params).map_err(|description| {
        let back = back.map(|(redirect_uri, client_state)| {
            error_redirect(
                state,
                &redirect_uri,
                client_state.as_deref(),
                "invalid_request",
                &description,
            )
        });
        refuse(state, params, description, back)
    })
}

/// Checks a request's `redirect_uri` against the app's own description (fetched now): on the
/// app's site, or listed by the app.
async fn verify(
    state: &AppState,
    params: &HashMap<String, String>,
    request: AuthorizationRequest,
) -> Result<Checked, Refusal> {
    let client = &request.client;
    let info = state.apps.lookup(&client.client_id).await;
    if !same_origin(&client.client_id, &client.redirect_uri) {
        let listed = match &info {
            Ok(info) => info.redirect_uris.contains(&client.redirect_uri),
            Err(why) => {
                let message = format!(
                    "The redirect_uri {} is not on the app's site, and the app's description, which would have to list it, could not be read: {why}.",
                    client.redirect_uri
                );
                return Err(refuse(state, params, message, None));
            }
        };
        if !listed {
            let message = format!(
                "The redirect_uri {} is not on the app's site ({}) and the app does not list it.",
                client.redirect_uri, client.client_id
            );
            return Err(refuse(state, params, message, None));
        }
    }
    Ok(Checked { request, info })
}

/// A refusal, counted.
fn refuse(
    state: &AppState,
    params: &HashMap<String, String>,
    message: String,
    back: Option<String>,
) -> Refusal {
    let client_id = params.get("client_id").map_or("", String::as_str);
    state.metrics.event(
        "indieauth.refused",
        event_fields(&[("client_id", client_id), ("reason", &message)]),
    );
    Refusal { message, back }
}

/// The app's `redirect_uri` with an OAuth error, its `state` and our `iss`.
fn error_redirect(
    state: &AppState,
    redirect_uri: &Url,
    client_state: Option<&str>,
    error: &str,
    description: &str,
) -> String {
    let mut target = redirect_uri.clone();
    {
        let mut query = target.query_pairs_mut();
        query
            .append_pair("error", error)
            .append_pair("error_description", description);
        if let Some(s) = client_state {
            query.append_pair("state", s);
        }
        query.append_pair("iss", state.config.site.url.as_str());
    }
    target.to_string()
}

fn refused_page(state: &AppState, owner_csrf: Option<&str>, refusal: &Refusal) -> HttpResponse {
    // Debug-quoted: the message carries the request's text, which must not forge log lines.
    log::warn!("authorization request refused: {:?}", refusal.message);
    let ctx = state.page(owner_csrf);
    private_page(
        StatusCode::BAD_REQUEST,
        views::apps::refused(&ctx, &refusal.message, refusal.back.as_deref()).into_string(),
    )
}
