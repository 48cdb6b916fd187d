//! HTTP handlers, thin: extract, parse into domain types, one database call, render.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod authorize;
pub mod credentials;
pub mod feeds;
pub mod files;
pub mod health;
pub mod metrics;
pub mod micropub;
pub mod oauth;
pub mod passkeys;
pub mod public;
pub mod search;
pub mod signin;
pub mod tokens;

use actix_web::HttpResponse;
use actix_web::http::header;

/// An HTML page that must not be cached (the owner's pages, sign-in forms, failures).
pub fn private_page(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A `303 See Other` to `location` (after a form post, or to the login page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
