//! Durability: every connection commits with `synchronous=FULL`, and a full disk is a clear
//! 507 that keeps what the owner typed, counted as one incident until writes succeed again.
//! The full disk is real: a small tmpfs mounted for the test (skipped, saying why, where the
//! test may not mount one).

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, attr, spawn_app_in, spawn_app_with};
use crate::peers::{Advertise, Peer};

const PNG: &[u8] = include_bytes!("../fixtures/pixel.png");

#[tokio::test]
async fn every_pooled_connection_commits_with_synchronous_full() {
    let app = spawn_app_with(&[("DB_POOL_SIZE", "4")]).await;
    // Hold all four at once, so each is a distinct connection.
    let conns: Vec<_> = (0..4).map(|_| app.state.db.pool.get().unwrap()).collect();
    for conn in &conns {
        let level: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(level, 2, "synchronous=FULL on every pooled connection");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

/// A tmpfs of a few MiB mounted on a fresh directory, unmounted (lazily) when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        match status {
            Ok(s) if s.success() => Some(Tmpfs { dir }),
            other => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here ({other:?}); this test needs root \
                     (CI runs as root)"
                );
                None
            }
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Fills the file system to the last page; returns the filler's path.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        for chunk in [1 << 20, 64 << 10, 4 << 10, 512] {
            let block = vec![0u8; chunk];
            while file.write_all(&block).is_ok() {}
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Empties the WAL so that any new write has to grow a file.
fn checkpoint(app: &TestApp) {
    let conn = app.state.db.pool.get().unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

/// The owner's health page (503 while the data directory cannot be written, 200 after).
async fn health_page(app: &TestApp, status: StatusCode) -> String {
    let res = app.get("/admin/health").await;
    assert_eq!(res.status(), status);
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_full_disk_is_a_507_that_keeps_the_text_and_writes_resume_once_space_is_freed() {
    let Some(fs) = Tmpfs::mount("3m") else {
        return;
    };
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let data = tempfile::tempdir_in(fs.path()).unwrap();
    let app = spawn_app_in(data, &[("DEV_MODE", "true"), ("ADMIN_ME", me.as_str())]).await;
    let token = peer.issue_token("create media");
    let csrf = app.login().await;
    let before = app.note_count();

    checkpoint(&app);
    let filler = fs.fill();
    let typed = format!(
        "A long note written while the disk was full. {}",
        "Every word of it must come back to the owner. ".repeat(2000)
    );

    // The admin form: 507, the message above the form, every character still in it.
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("content", typed.as_str()),
                ("slug", "full-disk"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    let textarea = page
        .select(&scraper::Selector::parse("textarea[name=content]").unwrap())
        .next()
        .expect("the form is shown again");
    assert_eq!(textarea.text().collect::<String>(), typed);
    assert_eq!(attr(&page, "input[name=slug]", "value"), "full-disk");
    let alert = page
        .select(&scraper::Selector::parse(".flash-error").unwrap())
        .next()
        .expect("the message is shown")
        .text()
        .collect::<String>();
    assert!(alert.contains("disk is full"), "{alert}");
    assert_eq!(app.note_count(), before, "nothing half-written");

    // Micropub and the media endpoint: JSON a client can act on.
    let res = app
        .client
        .post(app.url("/micropub"))
        .bearer_auth(&token)
        .json(&json!({"type": ["h-entry"], "properties": {"content": [typed.clone()]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_storage");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("disk is full")
    );
    let res = app
        .client
        .post(app.url("/micropub/media"))
        .bearer_auth(&token)
        .multipart(
            Form::new().part(
                "file",
                Part::bytes(PNG.to_vec())
                    .file_name("p.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_storage");

    // One incident, counted, on the owner's health page.
    let health = health_page(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(health.contains("Writes are failing"), "{health}");
    assert!(health.contains("3 failed requests"), "{health}");

    // Space freed: the same note goes in, the incident is over.
    std::fs::remove_file(filler).unwrap();
    let res = app
        .post_form(
            "/admin/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("content", typed.as_str()),
                ("slug", "full-disk"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.note_count(), before + 1);
    let res = app.get("/notes/full-disk").await;
    assert_eq!(res.status(), StatusCode::OK);
    let health = health_page(&app, StatusCode::OK).await;
    assert!(!health.contains("Writes are failing"), "{health}");
    assert!(
        health.contains("Last storage incident: full, 3 failed requests"),
        "{health}"
    );
}

/// Another writer holding the database past the busy timeout: `503`, the form comes back with
/// the text, nothing half-written, and the same post works once the lock is gone.
#[tokio::test]
async fn a_locked_database_is_a_503_that_keeps_the_text() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("DB_BUSY_TIMEOUT_MS", "100")]).await;
    let csrf = app.login().await;
    let before = app.note_count();
    let path = app.dir.path().join("starpunk.db");
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("content", "Written while another writer held the lock."),
        ("action", "save"),
    ];
    let res = app.post_form("/admin/new", &form).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = res.text().await.unwrap();
    assert!(page.contains("Written while another writer held the lock."));
    assert!(page.contains("try again"));
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(app.note_count(), before);
    let res = app.post_form("/admin/new", &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.note_count(), before + 1);
}
