//! Who may change the site: owner sessions, CSRF tokens and the random tokens behind both.

pub mod csrf;
pub mod session;

pub use session::{Owner, SESSION_COOKIE};
