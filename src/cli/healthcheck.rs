//! `starpunk healthcheck`: a tiny HTTP client for container health checks, where there is no
//! shell, curl or wget. Plain HTTP/1.1 over TCP, 5-second timeouts, one short output line.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use url::Url;

use crate::config::Config;

const TIMEOUT: Duration = Duration::from_secs(5);

/// The URL to check: `--url`, or `/health` on the configured listen address (a wildcard
/// listen address is reached through loopback).
pub fn target(config: &Config, url: Option<&str>) -> Result<Url, String> {
    if let Some(url) = url {
        let parsed = Url::parse(url).map_err(|e| format!("invalid --url {url:?}: {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!("--url must be an http:// URL, not {url:?}"));
        }
        return Ok(parsed);
    }
    let host = match config.host.as_str() {
        "0.0.0.0" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        h if h.contains(':') && !h.starts_with('[') => {
            return Url::parse(&format!("http://[{h}]:{}/health", config.port))
                .map_err(|e| e.to_string());
        }
        h => h,
    };
    Url::parse(&format!("http://{host}:{}/health", config.port)).map_err(|e| e.to_string())
}

/// Checks `url`: `Ok(line)` when it answers 200, `Err(line)` otherwise.
pub fn check(url: &Url) -> Result<String, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = (host.trim_matches(|c| c == '[' || c == ']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("unhealthy: cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("unhealthy: no address for {host}"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("unhealthy: cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).ok();
    stream.set_write_timeout(Some(TIMEOUT)).ok();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: starpunk-healthcheck\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("unhealthy: cannot send the request: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("unhealthy: no answer: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let status = line
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| "unhealthy: not an HTTP answer".to_owned())?;
    if status == 200 {
        Ok(format!("healthy: {url} answered 200"))
    } else {
        Err(format!("unhealthy: {url} answered {status}"))
    }
}
