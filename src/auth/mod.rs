//! Who may change the site: owner sessions, CSRF tokens and the random tokens behind both.

pub mod client;
pub mod csrf;
pub mod password;
pub mod session;
pub mod setup;
pub mod throttle;
pub mod webauthn;

pub use session::{Owner, SESSION_COOKIE};
