//! `GET /health`.

use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn health_is_ok_with_the_version_when_everything_works() {
    let app = spawn_app_with(&[]).await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn health_is_503_naming_the_data_directory_when_it_is_not_writable() {
    let app = spawn_app_with(&[]).await;
    // Replace the data directory by a plain file: nothing can be written "into" it, even by
    // root (CI runs as root, so permission bits would not do). Open connections keep working.
    let data = app.dir.path().to_owned();
    let moved = data.with_extension("moved");
    std::fs::rename(&data, &moved).unwrap();
    std::fs::write(&data, b"not a directory").unwrap();

    let res = app.get("/health").await;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();

    std::fs::remove_file(&data).unwrap();
    std::fs::rename(&moved, &data).unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "error");
    assert!(body["failed"]["data_dir"].is_string(), "{body}");
    assert!(body["failed"].get("database").is_none(), "{body}");

    let res = app.get("/health").await;
    assert_eq!(res.status(), StatusCode::OK, "healthy again once restored");
}
