//! The vocabulary of the IndieAuth client: endpoints, token verdicts and errors. Plain data,
//! shared by the client's caches and the files that fill them.

use url::Url;

/// The owner's IndieAuth endpoints, as discovered from `ADMIN_ME`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Where the browser is sent to log in and where login codes are exchanged.
    pub authorization_endpoint: Option<Url>,
    /// Where access tokens are verified.
    pub token_endpoint: Option<Url>,
    /// Token introspection (RFC 7662), from the metadata.
    pub introspection_endpoint: Option<Url>,
    /// The `indieauth-metadata` document, when the owner has one.
    pub metadata: Option<Url>,
    /// The issuer named by the metadata; callbacks must carry it as `iss`.
    pub issuer: Option<String>,
}

/// What went wrong talking to another server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IndieAuthError {
    /// `ADMIN_ME` is not set.
    #[error("ADMIN_ME is not set, so this site has no owner to log in or verify tokens for")]
    NoOwner,
    /// The server could not be reached, timed out or failed (5xx).
    #[error("{0}")]
    Unreachable(String),
    /// The server answered, but not with what the protocol requires.
    #[error("{0}")]
    Invalid(String),
    /// A URL is plain http on a non-loopback host.
    #[error(
        "{0} is not https; IndieAuth needs https unless the host is loopback or DEV_MODE is on"
    )]
    Insecure(String),
}

/// A verified access token: who it is for and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The canonical `me` of the token.
    pub me: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
}

impl TokenInfo {
    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why a token is refused (the answer is cached like a success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenVerdict {
    /// Valid, for this owner.
    Valid(TokenInfo),
    /// The token endpoint does not know the token or it has expired.
    Invalid(String),
    /// Valid, but for someone other than `ADMIN_ME`.
    WrongOwner(String),
}

/// A verification outcome with whether the cache answered (for metrics and benchmarks).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The verdict.
    pub verdict: TokenVerdict,
    /// Whether it came from the cache.
    pub cached: bool,
}
