//! A real IndieAuth peer on loopback: the owner's profile page, an authorization endpoint that
//! approves at once (checking PKCE on exchange), a token endpoint, an introspection endpoint and
//! server metadata. Tests choose how the profile advertises them and what the peer answers,
//! down to an introspection endpoint that demands authentication as the IndieAuth standard
//! has it (django-indieweb's behaviour: `401` to an anonymous introspection, `405` to a `GET`
//! at the token endpoint).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How the profile page names the endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advertise {
    /// `<link rel=authorization_endpoint|token_endpoint>` in the HTML.
    Html,
    /// HTTP `Link` headers only; the HTML names nothing.
    Headers,
    /// `rel=indieauth-metadata` pointing at a metadata document with an `issuer`.
    Metadata,
    /// Nothing at all (the app falls back to `INDIELOGIN_URL`).
    Nothing,
}

/// What the peer remembers and how it behaves.
#[derive(Debug)]
pub struct PeerState {
    /// The profile's advertising style.
    pub advertise: Advertise,
    /// The `me` returned by a code exchange (defaults to the profile URL).
    pub login_me: Option<String>,
    /// `iss` sent on the callback (defaults to the issuer in Metadata mode).
    pub callback_iss: Option<String>,
    /// Tokens: token → (me, scope).
    pub tokens: HashMap<String, (String, String)>,
    /// Codes: code → (challenge, redirect_uri).
    pub codes: HashMap<String, (String, String)>,
    /// GET on the token endpoint answers 405 (introspection must be used).
    pub refuse_get: bool,
    /// The introspection endpoint answers 405.
    pub refuse_introspection: bool,
    /// The introspection endpoint demands `Authorization: Bearer` with either
    /// [`PeerState::resource_credential`] or the introspected token itself (a token it issued),
    /// and answers 401 to anything else.
    pub introspection_auth: bool,
    /// The credential this server gave the app as a resource server.
    pub resource_credential: Option<String>,
    /// The metadata names no `token_endpoint` (introspection only).
    pub omit_token_endpoint: bool,
    /// The `Authorization` header of each introspection request, in order.
    pub introspection_authorizations: Vec<Option<String>>,
    /// The token endpoint answers 500.
    pub token_endpoint_down: bool,
    /// The code exchange answers this body instead of JSON.
    pub exchange_body: Option<String>,
    /// Requests seen per path.
    pub hits: HashMap<String, usize>,
    /// The last `code_verifier` received.
    pub last_verifier: Option<String>,
}

/// A running peer.
#[derive(Clone)]
pub struct Peer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Shared behaviour and records.
    pub state: Arc<Mutex<PeerState>>,
}

impl Peer {
    /// Starts a peer advertising in the given style.
    pub async fn start(advertise: Advertise) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(PeerState {
            advertise,
            login_me: None,
            callback_iss: None,
            tokens: HashMap::new(),
            codes: HashMap::new(),
            refuse_get: false,
            refuse_introspection: false,
            introspection_auth: false,
            resource_credential: None,
            omit_token_endpoint: false,
            introspection_authorizations: Vec::new(),
            token_endpoint_down: false,
            exchange_body: None,
            hits: HashMap::new(),
            last_verifier: None,
        }));
        let peer = Peer {
            base: base.clone(),
            state: state.clone(),
        };
        let data = web::Data::new(peer.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/", web::get().to(profile))
                .route("/metadata", web::get().to(metadata))
                .route("/auth", web::get().to(authorize))
                .route("/auth", web::post().to(exchange))
                .route("/token", web::get().to(token))
                .route("/introspect", web::post().to(introspect))
                .route(
                    "/moved",
                    web::get().to(|| async {
                        HttpResponse::MovedPermanently()
                            .insert_header(("Location", "/"))
                            .finish()
                    }),
                )
                .route(
                    "/loop",
                    web::get().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("Location", "/loop"))
                            .finish()
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        peer
    }

    /// The owner's profile URL (`ADMIN_ME`).
    pub fn me(&self) -> String {
        format!("{}/", self.base)
    }

    /// Registers a token for `me` with `scope`.
    pub fn issue_token_for(&self, me: &str, scope: &str) -> String {
        let token = format!("tok-{}", fastrand::u64(..));
        self.state
            .lock()
            .unwrap()
            .tokens
            .insert(token.clone(), (me.to_owned(), scope.to_owned()));
        token
    }

    /// Registers a token for the owner with `scope`.
    pub fn issue_token(&self, scope: &str) -> String {
        self.issue_token_for(&self.me(), scope)
    }

    /// How many requests `path` received.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// The `Authorization` headers the introspection endpoint received, in order.
    pub fn introspection_authorizations(&self) -> Vec<Option<String>> {
        self.state
            .lock()
            .unwrap()
            .introspection_authorizations
            .clone()
    }

    /// Changes the peer's behaviour.
    pub fn with(&self, change: impl FnOnce(&mut PeerState)) {
        change(&mut self.state.lock().unwrap());
    }
}

fn count(peer: &Peer, req: &HttpRequest) -> Arc<Mutex<PeerState>> {
    *peer
        .state
        .lock()
        .unwrap()
        .hits
        .entry(req.path().to_owned())
        .or_default() += 1;
    peer.state.clone()
}

async fn profile(peer: web::Data<Peer>, req: HttpRequest) -> HttpResponse {
    let advertise = count(&peer, &req).lock().unwrap().advertise;
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    let head = match advertise {
        // Relative URLs: the app must resolve them against the profile.
        Advertise::Html => {
            r#"<link rel="authorization_endpoint" href="/auth"><link rel="token_endpoint" href="token">"#
        }
        Advertise::Headers => {
            response.insert_header((
                "Link",
                format!("<{}/auth>; rel=\"authorization_endpoint\"", peer.base),
            ));
            response.append_header(("Link", "</token>; rel=\"token_endpoint\""));
            ""
        }
        Advertise::Metadata => {
            // The HTML also names a decoy endpoint: metadata must win.
            r#"<link rel="indieauth-metadata" href="/metadata"><link rel="authorization_endpoint" href="/decoy">"#
        }
        Advertise::Nothing => "",
    };
    response.body(format!(
        "<!doctype html><html><head>{head}</head><body><a class=h-card href=/>Owner</a></body></html>"
    ))
}

async fn metadata(peer: web::Data<Peer>, req: HttpRequest) -> HttpResponse {
    let omit_token_endpoint = count(&peer, &req).lock().unwrap().omit_token_endpoint;
    let mut document = json!({
        "issuer": format!("{}/", peer.base),
        "authorization_endpoint": format!("{}/auth", peer.base),
        "token_endpoint": format!("{}/token", peer.base),
        "introspection_endpoint": format!("{}/introspect", peer.base),
        "code_challenge_methods_supported": ["S256"],
    });
    if omit_token_endpoint {
        document.as_object_mut().unwrap().remove("token_endpoint");
    }
    HttpResponse::Ok().json(document)
}

/// Approves at once: redirects back with a code bound to the PKCE challenge.
async fn authorize(
    peer: web::Data<Peer>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let state = count(&peer, &req);
    let mut state = state.lock().unwrap();
    let (Some(redirect), Some(login_state)) = (query.get("redirect_uri"), query.get("state"))
    else {
        return HttpResponse::BadRequest().body("missing redirect_uri or state");
    };
    if query.get("code_challenge_method").map(String::as_str) != Some("S256")
        || query.get("response_type").map(String::as_str) != Some("code")
    {
        return HttpResponse::BadRequest().body("PKCE S256 and response_type=code are required");
    }
    let code = format!("code-{}", fastrand::u64(..));
    state.codes.insert(
        code.clone(),
        (
            query.get("code_challenge").cloned().unwrap_or_default(),
            redirect.clone(),
        ),
    );
    let mut target = url::Url::parse(redirect).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", login_state);
    let iss = state
        .callback_iss
        .clone()
        .or_else(|| (state.advertise == Advertise::Metadata).then(|| format!("{}/", peer.base)));
    if let Some(iss) = iss {
        target.query_pairs_mut().append_pair("iss", &iss);
    }
    HttpResponse::Found()
        .insert_header(("Location", target.to_string()))
        .finish()
}

/// The code exchange: the code once, the verifier must hash to the challenge.
async fn exchange(
    peer: web::Data<Peer>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let state = count(&peer, &req);
    let mut state = state.lock().unwrap();
    state.last_verifier = form.get("code_verifier").cloned();
    if let Some(body) = state.exchange_body.clone() {
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(body);
    }
    let Some((challenge, redirect)) = form.get("code").and_then(|c| state.codes.remove(c)) else {
        return HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": "unknown code"}));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if verifier.is_empty() || computed != challenge {
        return HttpResponse::BadRequest().json(
            json!({"error": "invalid_grant", "error_description": "code_verifier does not match"}),
        );
    }
    if form.get("redirect_uri") != Some(&redirect)
        || form.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_request"}));
    }
    let me = state
        .login_me
        .clone()
        .unwrap_or_else(|| format!("{}/", peer.base));
    HttpResponse::Ok().json(json!({ "me": me }))
}

async fn token(peer: web::Data<Peer>, req: HttpRequest) -> HttpResponse {
    let state = count(&peer, &req);
    let state = state.lock().unwrap();
    if state.token_endpoint_down {
        return HttpResponse::InternalServerError().body("down");
    }
    if state.refuse_get {
        return HttpResponse::MethodNotAllowed().finish();
    }
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match state.tokens.get(token) {
        Some((me, scope)) => HttpResponse::Ok().json(json!({
            "me": me, "scope": scope, "client_id": "https://client.example/"
        })),
        None => HttpResponse::Unauthorized().json(json!({"error": "invalid_token"})),
    }
}

async fn introspect(
    peer: web::Data<Peer>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let state = count(&peer, &req);
    let mut state = state.lock().unwrap();
    let authorization = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state
        .introspection_authorizations
        .push(authorization.clone());
    if state.refuse_introspection {
        return HttpResponse::MethodNotAllowed().finish();
    }
    if state.introspection_auth {
        let bearer = authorization
            .as_deref()
            .and_then(|v| v.strip_prefix("Bearer "));
        let allowed = bearer.is_some_and(|b| {
            Some(b) == state.resource_credential.as_deref()
                || (form.get("token").map(String::as_str) == Some(b)
                    && state.tokens.contains_key(b))
        });
        if !allowed {
            return HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Bearer"))
                .json(json!({"error": "invalid_token"}));
        }
    }
    match form.get("token").and_then(|t| state.tokens.get(t)) {
        Some((me, scope)) => HttpResponse::Ok().json(json!({
            "active": true, "me": me, "scope": scope, "client_id": "https://client.example/"
        })),
        None => HttpResponse::Ok().json(json!({"active": false})),
    }
}
