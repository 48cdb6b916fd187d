//! Integration tests: the real application over real HTTP on loopback.

mod admin;
mod architecture;
mod assets;
mod authenticator;
mod authserver;
mod binary;
mod cli;
mod client_app;
mod dashboard;
mod durability;
mod errors;
mod feeds;
mod headers;
mod health;
mod helpers;
mod indieauth;
mod micropub;
mod migrations;
mod monitoring;
mod passkeys;
mod peers;
mod previews;
mod public;
mod search;
mod signin;
