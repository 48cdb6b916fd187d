//! IndieAuth as a client and a resource server: discovering the owner's endpoints from
//! `ADMIN_ME`, exchanging login codes, and verifying Micropub access tokens — at the owner's
//! server, or locally when this site is its own server ([`server`]), whose authorization
//! endpoint learns about apps through [`app_info`] (fenced off private networks by [`guard`]).
//!
//! Every outgoing request has a 5-second timeout, follows at most [`MAX_REDIRECTS`] redirects and
//! refuses plain `http` unless the host is loopback or `DEV_MODE` is on. Discovery is cached for
//! an hour, token verdicts for five minutes keyed by the token's SHA-256 (the token itself is
//! never kept or logged). An endpoint that cannot be reached is an error, never a pass.
//!
//! The files: [`model`] (endpoints, verdicts, errors), [`client`] (the client and its settings),
//! [`discovery`], [`login`] (code exchange), [`tokens`] (verification) and [`bearer`] (the
//! request extractor that routes use).

pub mod app_info;
pub mod bearer;
pub mod client;
pub mod discovery;
pub mod guard;
pub mod links;
pub mod login;
pub mod model;
pub mod server;
pub mod tokens;

pub use app_info::{AppDirectory, AppInfo};
pub use bearer::Credentials;
pub use client::{IndieAuth, MAX_REDIRECTS, TIMEOUT, canonical_me, is_loopback};
pub use discovery::DISCOVERY_TTL;
pub use model::{Endpoints, IndieAuthError, TokenInfo, TokenVerdict, Verification};
pub use server::OwnServer;
pub use tokens::TOKEN_TTL;
