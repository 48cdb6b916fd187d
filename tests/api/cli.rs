//! The command line: healthcheck exit codes, backup while writing, config, migrate, SIGTERM.

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::helpers::spawn_app_with;

fn starpunk(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_starpunk"))
        .env_clear()
        .current_dir(data)
        .env("DATA_PATH", data)
        .args(args)
        .output()
        .unwrap()
}

/// Starts `starpunk serve` on a free port in `data`; returns the process, its port and the
/// rest of its log lines.
fn serve_binary(
    data: &std::path::Path,
    vars: &[(&str, &str)],
) -> (
    std::process::Child,
    u16,
    std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_starpunk"))
        .env_clear()
        .current_dir(data)
        .env("DATA_PATH", data)
        .env("PORT", "0")
        .envs(vars.iter().copied())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("a serving line").unwrap();
        if let Some(p) = line.split("on port ").nth(1) {
            break p.trim().parse().unwrap();
        }
    };
    (child, port, lines)
}

#[tokio::test]
async fn healthcheck_exits_0_when_up_and_1_when_down_or_unhealthy() {
    let app = spawn_app_with(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let up = tokio::task::spawn_blocking({
        let url = app.url("/health");
        let dir = dir.path().to_owned();
        move || starpunk(&dir, &["healthcheck", "--url", &url])
    })
    .await
    .unwrap();
    assert_eq!(up.status.code(), Some(0), "{up:?}");
    let line = String::from_utf8_lossy(&up.stdout);
    assert_eq!(line.lines().count(), 1);
    assert!(line.starts_with("healthy"));

    // Down: nothing listens on a port we just released.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = starpunk(
        dir.path(),
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{free}/health"),
        ],
    );
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stdout).starts_with("unhealthy"));

    // Unhealthy: the server answers 503 because its data directory is gone.
    let data = app.dir.path().to_owned();
    let moved = data.with_extension("moved");
    std::fs::rename(&data, &moved).unwrap();
    std::fs::write(&data, b"not a directory").unwrap();
    let sick = tokio::task::spawn_blocking({
        let url = app.url("/health");
        let dir = dir.path().to_owned();
        move || starpunk(&dir, &["healthcheck", "--url", &url])
    })
    .await
    .unwrap();
    std::fs::remove_file(&data).unwrap();
    std::fs::rename(&moved, &data).unwrap();
    assert_eq!(sick.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&sick.stdout).contains("503"));
}

#[tokio::test]
async fn backup_while_writing_is_a_consistent_verified_prefix() {
    let app = spawn_app_with(&[]).await;
    let state = app.state.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let mut written = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let mut conn = state.db.pool.get().unwrap();
                let note = starpunk::domain::NewNote::from_markdown(
                    starpunk::domain::NoteContent::markdown(format!(
                        "Written during backup {written}"
                    ))
                    .unwrap(),
                    None,
                    true,
                );
                starpunk::db::notes::insert(&mut conn, &note, time::OffsetDateTime::now_utc())
                    .unwrap();
                written += 1;
            }
            written
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    let target = app.dir.path().join("copy.db");
    let data = app.dir.path().to_owned();
    let out = tokio::task::spawn_blocking({
        let target = target.clone();
        move || starpunk(&data, &["backup", target.to_str().unwrap()])
    })
    .await
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity ok"));

    let copy = rusqlite::Connection::open(&target).unwrap();
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (count, max): (i64, i64) = copy
        .query_row(
            "SELECT count(*), coalesce(max(id), 0) FROM notes",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        count > 0 && count < i64::from(written),
        "copied {count} of {written}"
    );
    assert_eq!(count, max, "a prefix of the writes: ids 1..=n, no gaps");
    let fts: i64 = copy
        .query_row(
            "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'backup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fts, count, "the search index is consistent with the notes");

    // The copy is never overwritten without --force.
    let again = starpunk(app.dir.path(), &["backup", target.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = starpunk(
        app.dir.path(),
        &["backup", "--force", target.to_str().unwrap()],
    );
    assert_eq!(forced.status.code(), Some(0));
}

#[test]
fn config_prints_every_variable_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starpunk"))
        .env_clear()
        .current_dir(dir.path())
        .env("DATA_PATH", dir.path())
        .env("SESSION_SECRET", "x".repeat(40))
        .env("METRICS_PROMETHEUS_TOKEN", "scrape-token-123")
        .env("INDIEAUTH_INTROSPECTION_TOKEN", "credential-456")
        .arg("config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().count(),
        starpunk::config::KNOWN_VARIABLES.len()
    );
    assert!(text.contains("SESSION_SECRET=[redacted]"));
    assert!(text.contains("METRICS_PROMETHEUS_TOKEN=[redacted]"));
    assert!(text.contains("INDIEAUTH_INTROSPECTION_TOKEN=[redacted]"));
    assert!(!text.contains(&"x".repeat(40)) && !text.contains("scrape-token-123"));
    assert!(!text.contains("credential-456"));
}

#[test]
fn migrate_applies_then_reports_up_to_date_and_help_lists_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let first = starpunk(dir.path(), &["migrate"]);
    assert_eq!(first.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied 001_initial"));
    let second = starpunk(dir.path(), &["migrate"]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
    let help = starpunk(dir.path(), &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for sub in [
        "serve",
        "migrate",
        "healthcheck",
        "backup",
        "config",
        "Configuration",
    ] {
        assert!(help.contains(sub), "--help lacks {sub}");
    }
}

#[test]
fn sigterm_stops_the_server_cleanly_and_checkpoints_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = serve_binary(dir.path(), &[]);
    let health = starpunk(
        dir.path(),
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/health"),
        ],
    );
    assert_eq!(health.status.code(), Some(0));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("checkpointed")), "{rest:#?}");
    let wal = dir.path().join("starpunk.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL emptied"
    );
}

/// Every stored column of a note that export/import must carry over.
type NoteRow = (
    String,
    String,
    String,
    Option<String>,
    bool,
    i64,
    i64,
    i64,
    Option<i64>,
    String,
    String,
);

#[tokio::test]
async fn export_then_import_into_a_fresh_site_reproduces_every_note() {
    let app = spawn_app_with(&[("DEV_MODE", "true")]).await;
    let csrf = app.login().await;
    app.create_note(&csrf, "A *published* note with `code` & <b>html</b>", true)
        .await;
    app.create_note(&csrf, "A draft note\n\nwith two paragraphs", false)
        .await;
    let (_, deleted) = app.create_note(&csrf, "A deleted note", true).await;
    app.post_form(
        &format!("/admin/delete/{deleted}"),
        &[("csrf_token", &csrf)],
    )
    .await;
    {
        // Properties as a Micropub client would leave them, and a name.
        let conn = app.state.db.pool.get().unwrap();
        conn.execute(
            "UPDATE notes SET name = 'Titled', properties = ?1 WHERE id = 1",
            [r#"{"category":["rust","web"],"photo":[{"value":"https://example.com/a.jpg","alt":"A"}],"checkin":[{"type":["h-card"],"properties":{"name":["Café"]}}]}"#],
        )
        .unwrap();
    }
    let rows = |pool: &starpunk::db::DbPool| -> Vec<NoteRow> {
        let conn = pool.get().unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT slug, content, content_type, name, published, published_at, created_at, \
                 updated_at, deleted_at, properties, content_html FROM notes ORDER BY slug",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    let original = rows(&app.state.db.pool);
    let png: &[u8] = include_bytes!("../fixtures/pixel.png");
    let media_name = "0123456789abcdef0123456789abcdef.png";
    app.state
        .db
        .pool
        .get()
        .unwrap()
        .execute(
            "INSERT INTO media (name, content_type, size, sha256, data, created_at) \
             VALUES (?1, 'image/png', ?2, 'x', ?3, 0)",
            rusqlite::params![media_name, png.len() as i64, png],
        )
        .unwrap();

    let export_dir = tempfile::tempdir().unwrap();
    let out = starpunk(
        app.dir.path(),
        &["export", export_dir.path().to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported 3 notes and 1 media files"));
    let files = std::fs::read_dir(export_dir.path()).unwrap().count();
    assert_eq!(files, 4, "three notes and the media directory");
    let media_dir = export_dir.path().join("media");
    assert_eq!(std::fs::read(media_dir.join(media_name)).unwrap(), png);
    // A stray file and a file whose content is not what its name says are skipped.
    std::fs::write(media_dir.join("evil.sh"), "rm -rf /").unwrap();
    std::fs::write(media_dir.join("0123456789abcdef0123456789abcdee.jpg"), png).unwrap();
    let sample =
        std::fs::read_to_string(export_dir.path().join(format!("{}.md", original[0].0))).unwrap();
    assert!(sample.starts_with("+++\nslug = "), "{sample}");

    let fresh = tempfile::tempdir().unwrap();
    let out = starpunk(
        fresh.path(),
        &["import", export_dir.path().to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "imported 3 notes and 1 media files, 0 notes already present, 2 files skipped"
        )
    );
    let again = starpunk(
        fresh.path(),
        &["import", export_dir.path().to_str().unwrap()],
    );
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("imported 0 notes and 0 media files, 3 notes already present")
    );

    let imported = spawn_app_in_existing(fresh).await;
    let copied = rows(&imported.state.db.pool);
    assert_eq!(copied.len(), original.len());
    for (a, b) in original.iter().zip(&copied) {
        let props_a: serde_json::Value = serde_json::from_str(&a.9).unwrap();
        let props_b: serde_json::Value = serde_json::from_str(&b.9).unwrap();
        assert_eq!(props_a, props_b, "properties of {}", a.0);
        assert_eq!(
            (&a.0, &a.1, &a.2, &a.3, a.4, a.5, a.6, a.7, a.8, &a.10),
            (&b.0, &b.1, &b.2, &b.3, b.4, b.5, b.6, b.7, b.8, &b.10)
        );
    }
    let served = imported.get(&format!("/media/{media_name}")).await;
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), png);
    // The imported site serves the notes: searchable, and the deleted one answers 410.
    let search: serde_json::Value = imported
        .get("/api/search?q=published")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(search["total"], 1);
    let deleted_slug = &original.iter().find(|r| r.8.is_some()).unwrap().0;
    assert_eq!(
        imported
            .get(&format!("/notes/{deleted_slug}"))
            .await
            .status(),
        410
    );
}

#[test]
fn malformed_import_files_are_reported_with_their_path_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let good = "+++\nslug = \"fine-note\"\npublished = true\npublished_at = \"2024-01-02T03:04:05Z\"\ncreated_at = \"2024-01-02T03:04:05Z\"\nupdated_at = \"2024-01-02T03:04:05Z\"\n+++\nA fine note.\n";
    let bad = [
        ("a-no-front-matter.md", "Just text".to_owned()),
        ("b-unclosed.md", "+++\nslug = \"x\"\nno closing".to_owned()),
        ("c-bad-toml.md", "+++\nslug = = 1\n+++\nx".to_owned()),
        ("d-bad-slug.md", good.replace("fine-note", "../etc/passwd")),
        ("e-empty.md", good.replace("A fine note.\n", "  \n")),
        (
            "f-bad-time.md",
            good.replace("fine-note", "other")
                .replace("2024-01-02T03:04:05Z\"\ncreated", "yesterday\"\ncreated"),
        ),
        (
            "g-unknown-field.md",
            good.replace("fine-note", "third")
                .replace("published = true", "published = true\nsecret = 1"),
        ),
    ];
    for (name, text) in &bad {
        std::fs::write(files.path().join(name), text).unwrap();
    }
    std::fs::write(files.path().join("z-good.md"), good).unwrap();
    std::fs::write(files.path().join("ignored.txt"), "not markdown").unwrap();
    let out = starpunk(dir.path(), &["import", files.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (name, _) in &bad {
        assert!(
            stderr.contains(&format!("skipped {}", files.path().join(name).display())),
            "{name}: {stderr}"
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "imported 1 notes and 0 media files, 0 notes already present, 7 files skipped"
        )
    );
    let conn = rusqlite::Connection::open(dir.path().join("starpunk.db")).unwrap();
    let slugs: Vec<String> = conn
        .prepare("SELECT slug FROM notes")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(slugs, ["fine-note"], "nothing half-imported");
}

async fn spawn_app_in_existing(dir: tempfile::TempDir) -> crate::helpers::TestApp {
    crate::helpers::spawn_app_in(dir, &[]).await
}

#[test]
fn sigterm_during_a_slow_request_lets_it_complete() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = serve_binary(dir.path(), &[("DEV_MODE", "true")]);
    std::thread::spawn(move || for _ in lines {});
    let address = format!("127.0.0.1:{port}");
    let get = |path: &str, cookie: &str| -> String {
        let mut s = std::net::TcpStream::connect(&address).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let login = get("/dev/login", "");
    let cookie = login
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let form = get("/admin/new", &cookie);
    let csrf = form.split("name=\"csrf_token\" value=\"").nth(1).unwrap()[..64].to_owned();

    // A slow client: headers and half the body now, the rest after SIGTERM.
    let body =
        format!("csrf_token={csrf}&content=Finished+after+SIGTERM&published=true&action=save");
    let (first, second) = body.split_at(body.len() / 2);
    let mut slow = std::net::TcpStream::connect(&address).unwrap();
    write!(
        slow,
        "POST /admin/new HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    slow.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    slow.write_all(second.as_bytes()).unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let conn = rusqlite::Connection::open(dir.path().join("starpunk.db")).unwrap();
    let content: String = conn
        .query_row("SELECT content FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(content, "Finished after SIGTERM");
}

#[test]
fn migrate_backs_up_an_older_database_first_unless_told_not_to() {
    for no_backup in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        {
            // A database from an older starpunk: only the first migration applied.
            let mut conn = rusqlite::Connection::open(dir.path().join("starpunk.db")).unwrap();
            let known = starpunk::db::migrate::known_migrations();
            starpunk::db::migrate::apply(&mut conn, &known[..1]).unwrap();
        }
        let mut args = vec!["migrate"];
        if no_backup {
            args.push("--no-backup");
        }
        let out = starpunk(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("applied 002_search"), "{stdout}");
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("backup-before-migrate-")
            })
            .collect();
        assert_eq!(backups.len(), usize::from(!no_backup), "{stdout}");
        if let Some(backup) = backups.first() {
            let copy = rusqlite::Connection::open(backup.path()).unwrap();
            let names = starpunk::db::migrate::applied_migrations(&copy).unwrap();
            assert_eq!(
                names,
                ["001_initial"],
                "the backup holds the database as it was"
            );
        }
    }
}

#[tokio::test]
async fn backup_refuses_to_overwrite_the_live_database_even_with_force() {
    let app = spawn_app_with(&[]).await;
    let db = app.dir.path().join("starpunk.db");
    for target in [
        db.clone(),
        app.dir.path().join("starpunk.db-wal"),
        app.dir.path().join("starpunk.db-shm"),
        app.dir.path().join(".").join("starpunk.db"),
    ] {
        let out = starpunk(
            app.dir.path(),
            &["backup", "--force", target.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(1), "{}", target.display());
        assert!(String::from_utf8_lossy(&out.stderr).contains("live database"));
    }
    assert_eq!(app.get("/health").await.status(), 200);
    let check: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_name_holding_a_fence_line_survives_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    std::fs::write(
        files.path().join("n.md"),
        "+++\nslug = \"fenced\"\nname = \"line one\\n+++\\nline two\"\npublished = true\npublished_at = \"2024-01-02T03:04:05Z\"\ncreated_at = \"2024-01-02T03:04:05Z\"\nupdated_at = \"2024-01-02T03:04:05Z\"\n+++\nBody.\n",
    )
    .unwrap();
    let out = starpunk(dir.path(), &["import", files.path().to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 1 notes"),
        "{out:?}"
    );
    let exported = tempfile::tempdir().unwrap();
    let out = starpunk(dir.path(), &["export", exported.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = tempfile::tempdir().unwrap();
    let out = starpunk(again.path(), &["import", exported.path().to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "imported 1 notes and 0 media files, 0 notes already present, 0 files skipped"
        ),
        "{out:?}"
    );
    let name: String = rusqlite::Connection::open(again.path().join("starpunk.db"))
        .unwrap()
        .query_row("SELECT name FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "line one\n+++\nline two");
}

/// Several batches: every note of every batch is stored and searchable, a malformed file in
/// the middle of a batch and a slug repeated across batches cost only themselves, and the
/// second run finds everything present.
#[test]
fn a_bulk_import_spans_batches_without_losing_or_repeating_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let total = starpunk::cli::transfer::IMPORT_BATCH * 2 + 37;
    let note = |slug: &str, body: &str| {
        format!(
            "+++\nslug = \"{slug}\"\npublished = true\npublished_at = \"2024-01-02T03:04:05Z\"\n\
             created_at = \"2024-01-02T03:04:05Z\"\nupdated_at = \"2024-01-02T03:04:05Z\"\n+++\n{body}\n"
        )
    };
    for i in 0..total {
        let text = match i {
            // A malformed file inside the first batch.
            500 => "no front matter".to_owned(),
            // The slug of note 10 again, in the third batch.
            2010 => note("bulk-00010", "A repeat."),
            _ => note(
                &format!("bulk-{i:05}"),
                &format!("Bulk note {i} about lanterns."),
            ),
        };
        std::fs::write(files.path().join(format!("{i:05}.md")), text).unwrap();
    }
    let out = starpunk(dir.path(), &["import", files.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let expected = format!(
        "imported {} notes and 0 media files, 1 notes already present, 1 files skipped",
        total - 2
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&expected),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let conn = rusqlite::Connection::open(dir.path().join("starpunk.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM notes"), (total - 2) as i64);
    assert_eq!(
        count("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'lanterns'"),
        (total - 2) as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM notes WHERE slug = 'bulk-00010' AND content LIKE 'Bulk%'"),
        1,
        "the first of a repeated slug wins"
    );
    let again = starpunk(dir.path(), &["import", files.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stdout).contains(&format!(
        "imported 0 notes and 0 media files, {} notes already present, 1 files skipped",
        total - 1
    )));
}
