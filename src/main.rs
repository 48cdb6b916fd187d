//! The `starpunk` binary: parse the command line, load configuration, run one subcommand.

use std::process::ExitCode;

use clap::Parser;
use starpunk::cli::{Cli, Command, backup, healthcheck, recovery, transfer};
use starpunk::config::{Config, Loaded};
use starpunk::db::{self, migrate};
use starpunk::startup::Application;
use starpunk::telemetry;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let loaded = match Config::from_env() {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "starpunk did not start: fix the variables above (see README.md, Configuration)."
            );
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(loaded),
        Command::Migrate { no_backup } => run_migrate(&loaded.config, no_backup),
        Command::Healthcheck { url } => {
            let result = healthcheck::target(&loaded.config, url.as_deref())
                .and_then(|url| healthcheck::check(&url));
            match result {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(line) => {
                    println!("{line}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Backup { file, force } => {
            match backup::backup(&loaded.config.database.path, &file, force) {
                Ok(pages) => {
                    println!(
                        "backed up {} to {} ({pages} pages, integrity ok)",
                        loaded.config.database.path.display(),
                        file.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Export { dir } => transfer_command(&loaded.config, &dir, true),
        Command::Import { dir } => transfer_command(&loaded.config, &dir, false),
        Command::Password => password_command(&loaded.config),
        Command::Passkeys { remove_all } => passkeys_command(&loaded.config, remove_all),
        Command::Config => {
            for (name, value) in loaded.config.describe() {
                println!("{name}={value}");
            }
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
            ExitCode::SUCCESS
        }
    }
}

fn serve(loaded: Loaded) -> ExitCode {
    telemetry::init_logging(loaded.config.log_level);
    for warning in &loaded.warnings {
        log::warn!("{warning}");
    }
    let site = loaded.config.site.url.clone();
    let app = match Application::build(loaded.config) {
        Ok(app) => app,
        Err(e) => {
            log::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    log::info!(
        "starpunk {} serving {site} on port {}",
        env!("CARGO_PKG_VERSION"),
        app.port()
    );
    let system = actix_web::rt::System::new();
    match system.block_on(app.run_until_stopped()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("server stopped with an error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `export` / `import`: opens the database (migrating it if needed) and reports progress as
/// plain lines every 100 notes, then a summary.
fn transfer_command(config: &Config, dir: &std::path::Path, export: bool) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&config.data_path) {
        eprintln!("cannot create {}: {e}", config.data_path.display());
        return ExitCode::FAILURE;
    }
    let mut conn = match db::open(&config.database.path, config.database.busy_timeout) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("cannot open {}: {e}", config.database.path.display());
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = migrate::run_migrations(&mut conn) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let verb = if export { "exported" } else { "read" };
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut progress = |done: usize, total: usize| {
        if terminal {
            // One line redrawn in place: a bar of 30 cells and the count.
            let filled = (done * 30).checked_div(total).unwrap_or(30);
            eprint!(
                "\r{verb} [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(30 - filled)
            );
            if done == total {
                eprintln!();
            }
        } else if done.is_multiple_of(100) || done == total {
            eprintln!("{verb} {done}/{total}");
        }
    };
    let result = if export {
        transfer::export(&conn, dir, &mut progress)
    } else {
        transfer::import(&mut conn, dir, &mut progress)
    };
    match result {
        Ok(summary) => {
            for (path, reason) in &summary.skipped {
                eprintln!("skipped {}: {reason}", path.display());
            }
            if export {
                println!(
                    "exported {} notes and {} media files to {}",
                    summary.done,
                    summary.media,
                    dir.display()
                );
            } else {
                println!(
                    "imported {} notes and {} media files, {} notes already present, {} files skipped",
                    summary.done,
                    summary.media,
                    summary.present,
                    summary.skipped.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run_migrate(config: &Config, no_backup: bool) -> ExitCode {
    let path = &config.database.path;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(Err(e)) = parent.map(std::fs::create_dir_all) {
        eprintln!("cannot create the database directory: {e}");
        return ExitCode::FAILURE;
    }
    let existed = path.exists();
    let mut conn = match db::open(path, config.database.busy_timeout) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("cannot open {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let pending = match migrate::pending_migrations(&conn) {
        Ok(pending) => pending,
        Err(e) => {
            eprintln!("cannot read the migration table: {e}");
            return ExitCode::FAILURE;
        }
    };
    if pending.is_empty() {
        println!("the database is up to date");
    } else if existed && !no_backup {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let target = config
            .data_path
            .join(format!("backup-before-migrate-{stamp}.db"));
        match backup::backup(path, &target, false) {
            Ok(_) => println!("backed up to {}", target.display()),
            Err(e) => {
                eprintln!("{e}; not migrating (pass --no-backup to skip the backup)");
                return ExitCode::FAILURE;
            }
        }
    }
    match migrate::run_migrations(&mut conn) {
        Ok(applied) => {
            for name in applied {
                println!("applied {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives every thread that contends for the allocator an arena of its own (up to eight per
/// core) and keeps what each arena once held; two arenas serve a server of a few threads just as
/// fast with a steadier footprint. (The static musl build has no arenas.) Called before any
/// thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Opens the database (migrating it if needed) for a recovery command.
fn open_migrated(config: &Config) -> Result<rusqlite::Connection, String> {
    std::fs::create_dir_all(&config.data_path)
        .map_err(|e| format!("cannot create {}: {e}", config.data_path.display()))?;
    let mut conn = db::open(&config.database.path, config.database.busy_timeout)
        .map_err(|e| format!("cannot open {}: {e}", config.database.path.display()))?;
    migrate::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// `starpunk password`.
fn password_command(config: &Config) -> ExitCode {
    let result = recovery::read_new_password().and_then(|password| {
        let mut conn = open_migrated(config)?;
        recovery::set_password(&mut conn, &password)
    });
    match result {
        Ok(ended) => {
            println!("password set; {ended} sessions ended");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `starpunk passkeys --remove-all`.
fn passkeys_command(config: &Config, remove_all: bool) -> ExitCode {
    if !remove_all {
        eprintln!("nothing to do: pass --remove-all");
        return ExitCode::FAILURE;
    }
    match open_migrated(config).and_then(|mut conn| recovery::remove_all_passkeys(&mut conn)) {
        Ok((removed, ended)) => {
            println!("{removed} passkeys removed; {ended} sessions ended");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
