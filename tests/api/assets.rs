//! `/static/{path}`: every embedded asset served sized, typed, validated and cacheable.

use reqwest::StatusCode;
use starpunk::assets::Assets;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn every_embedded_asset_is_served_sized_with_a_strong_etag() {
    let app = spawn_app_with(&[]).await;
    let files: Vec<String> = Assets::iter().map(|f| f.to_string()).collect();
    assert!(files.iter().any(|f| f == "css/site.css"));
    for file in files {
        let embedded = Assets::get(&file).unwrap();
        let res = app.get(&format!("/static/{file}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        let headers = res.headers().clone();
        let length: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(
            etag,
            format!("\"{}\"", hex::encode(embedded.metadata.sha256_hash()))
        );
        assert!(!etag.starts_with("W/"), "strong ETag");
        assert_eq!(
            headers["content-type"].to_str().unwrap(),
            embedded.metadata.mimetype(),
            "{file}"
        );
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
        let body = res.bytes().await.unwrap();
        assert_eq!(body.len(), length, "{file}: Content-Length equals the body");
        assert_eq!(&body[..], &embedded.data[..], "{file}");

        let not_modified = app
            .client
            .get(app.url(&format!("/static/{file}")))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED, "{file}");
        assert_eq!(not_modified.headers()["etag"].to_str().unwrap(), etag);
        assert!(not_modified.bytes().await.unwrap().is_empty());

        let head = app
            .client
            .head(app.url(&format!("/static/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(
            head.headers()["content-length"].to_str().unwrap(),
            length.to_string(),
            "HEAD announces the GET's length"
        );
        assert!(head.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_stale_etag_gets_the_full_file() {
    let app = spawn_app_with(&[]).await;
    let res = app
        .client
        .get(app.url("/static/css/site.css"))
        .header("If-None-Match", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn fingerprinted_urls_are_cached_for_a_year() {
    let app = spawn_app_with(&[]).await;
    let url = starpunk::assets::url("css/site.css");
    assert!(url.contains("?v="));
    let res = app.get(&url).await;
    assert_eq!(
        res.headers()["cache-control"].to_str().unwrap(),
        "public, max-age=31536000, immutable"
    );
    let plain = app.get("/static/css/site.css").await;
    assert_eq!(
        plain.headers()["cache-control"].to_str().unwrap(),
        "public, max-age=3600"
    );
}

#[tokio::test]
async fn unknown_and_traversal_paths_are_404_pages() {
    let app = spawn_app_with(&[]).await;
    let attempts = [
        "/static/nope.css",
        "/static/",
        "/static/../Cargo.toml",
        "/static/css/../../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2E%2E/%2E%2E/etc/passwd",
        "/static/css/%2e%2e/%2e%2e/src/main.rs",
        "/static//etc/passwd",
        "/static/%2Fetc%2Fpasswd",
        "/static/css%2F..%2F..%2FCargo.toml",
        "/static/..%5C..%5CCargo.toml",
        "/static/./css/site.css",
        "/static/css/site.css%00.png",
    ];
    for path in attempts {
        // Send the path exactly as written: no client-side normalisation.
        let res = raw_get(&app.address, path).await;
        assert!(
            res.starts_with("HTTP/1.1 404"),
            "{path}: {}",
            res.lines().next().unwrap_or("")
        );
        assert!(!res.contains("[package]"), "{path} leaked a file");
    }
}

/// A GET with the request target sent byte for byte.
async fn raw_get(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}
