//! Integration tests: the real application over real HTTP on loopback.

mod admin;
mod assets;
mod binary;
mod cli;
mod errors;
mod feeds;
mod health;
mod helpers;
mod migrations;
mod monitoring;
mod public;
mod search;
