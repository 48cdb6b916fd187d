//! Micropub as data: [`request`] parses what clients send into actions, [`properties`] applies
//! updates to stored properties and derives a note's columns from them.

pub mod properties;
pub mod request;

pub use properties::{Derived, apply, derive};
pub use request::{Action, Create, MicropubError, Request, Update, from_form, from_json, push};
