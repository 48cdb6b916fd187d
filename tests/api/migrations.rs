//! Migrations at start-up: fresh database, existing database, newer database.

use starpunk::startup::Application;

use crate::helpers::{config_for, spawn_app_in};

#[tokio::test]
async fn a_fresh_database_is_migrated_and_a_restart_keeps_the_notes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let app = spawn_app_in(dir, &[("DEV_MODE", "true")]).await;
    let csrf = app.login().await;
    let (slug, _) = app.create_note(&csrf, "Survives a restart", true).await;
    let applied =
        starpunk::db::migrate::applied_migrations(&app.state.db.pool.get().unwrap()).unwrap();
    assert_eq!(
        applied,
        [
            "001_initial",
            "002_search",
            "003_site_version",
            "004_indieauth_media",
            "005_owner_credentials",
            "006_authorization_server",
            "007_note_text",
            "008_media_clean"
        ]
    );

    // Build a second application on the same (existing, migrated) database.
    let again = Application::build(config_for(&path, &[])).expect("an existing database opens");
    let conn = again.state().db.pool.get().unwrap();
    let found: String = conn
        .query_row("SELECT slug FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(found, slug);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 8, "nothing applied twice");
}

#[tokio::test]
async fn a_database_written_by_a_newer_starpunk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    {
        let app = Application::build(config_for(&path, &[])).unwrap();
        app.state()
            .db
            .pool
            .get()
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                 VALUES (999, '999_from_the_future', 'abc', 0)",
                [],
            )
            .unwrap();
    }
    let err = match Application::build(config_for(&path, &[])) {
        Ok(_) => panic!("a newer database must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("999_from_the_future"), "{err}");
    assert!(err.contains("newer"), "{err}");
}
