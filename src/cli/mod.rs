//! The command line: `starpunk [serve|migrate|healthcheck|backup|config|export|import|password|passkeys]`.
//!
//! Every subcommand reads the same configuration (environment variables and `./.env`, see the
//! README's Configuration table) and does one thing.

pub mod backup;
pub mod healthcheck;
pub mod recovery;
pub mod transfer;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A single-user IndieWeb publishing system in one binary.
#[derive(Debug, Parser)]
#[command(
    name = "starpunk",
    version,
    about,
    after_help = "Configuration comes from environment variables (and a .env file in the \
                  working directory); every variable is listed in README.md under Configuration. \
                  `starpunk config` prints the effective values."
)]
pub struct Cli {
    /// What to do; without one, starpunk serves.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations and exit (a backup is taken first).
    Migrate {
        /// Do not back the database up before migrating.
        #[arg(long)]
        no_backup: bool,
    },
    /// GET /health on the configured address; exit 0 when healthy, 1 otherwise.
    Healthcheck {
        /// Check this URL instead (http:// only), e.g. http://127.0.0.1:8000/health.
        #[arg(long)]
        url: Option<String>,
    },
    /// Write a consistent copy of the live database to FILE (safe while the server runs).
    Backup {
        /// Where to write the copy.
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the effective configuration, secrets redacted, and exit.
    Config,
    /// Write every note to DIR as a Markdown file with front matter.
    Export {
        /// The directory to write into (created if missing).
        dir: PathBuf,
    },
    /// Read notes from Markdown files in DIR (idempotent by slug; malformed files are skipped).
    Import {
        /// The directory to read.
        dir: PathBuf,
    },
    /// Set the owner's password (read from standard input: twice without echo on a terminal,
    /// one line when piped; at least 12 characters). Ends every session.
    Password,
    /// Manage the owner's passkeys from the command line.
    Passkeys {
        /// Remove every passkey (recovery when the authenticators are lost). Ends every session.
        #[arg(long, required = true)]
        remove_all: bool,
    },
}
