//! The Micropub endpoint (`/micropub`) and media endpoint (`/micropub/media`), and uploaded
//! media at `/media/{name}`.
//!
//! Every request is authenticated with an access token verified at the owner's token endpoint
//! (see [`crate::indieauth`]); every failure is a JSON `{"error", "error_description"}` from
//! [`AppError`](crate::error::AppError). `/micropub` never redirects.
//!
//! The files: `body` reads requests, `actions` changes posts, `queries` answers
//! `q=…`, `media` stores and serves uploads.

mod actions;
mod body;
mod media;
mod queries;

pub use actions::post;
pub use media::{media_query, serve, upload};
pub use queries::query;
