//! starpunk: a single-user IndieWeb publishing system in one binary.
//!
//! The library holds everything; `main.rs` only loads the configuration, starts logging and
//! runs [`startup::Application`].

pub mod assets;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod error_pages;
pub mod feeds;
pub mod indieauth;
pub mod monitoring;
pub mod routes;
pub mod secret;
pub mod security_headers;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
