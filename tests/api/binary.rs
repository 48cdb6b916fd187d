//! The built `starpunk` binary: starts on defaults, refuses bad configuration with exit 2,
//! logs one access line per request and never a secret.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn starpunk(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_starpunk"));
    cmd.env_clear()
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A started server process, killed and reaped when dropped (also when a test fails).
struct Running(Child);

impl Running {
    fn stop(mut self) {
        self.kill_and_wait();
    }

    fn kill_and_wait(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill_and_wait();
    }
}

/// Starts the binary and waits for its "serving" line; returns the port, the lines logged up to
/// it and a receiver of the remaining stderr lines.
fn start(mut cmd: Command) -> (Running, u16, Vec<String>, mpsc::Receiver<String>) {
    let mut child = Running(cmd.spawn().unwrap());
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut early = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no serving line; log so far: {early:#?}"));
        if let Some(port) = line.split("on port ").nth(1) {
            return (child, port.trim().parse().unwrap(), early, rx);
        }
        early.push(line);
    }
}

#[test]
fn bad_variables_exit_2_naming_every_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = starpunk(dir.path())
        .env("PORT", "eighty")
        .env("SITE_URL", "not a url")
        .env("METRICS_SAMPLING_RATE", "database=2")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "PORT=\"eighty\" is invalid: expected a whole number",
        "SITE_URL=\"not a url\" is invalid: expected an absolute http:// or https:// URL",
        "METRICS_SAMPLING_RATE=\"database=2\" is invalid",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing created before refusing"
    );
}

#[test]
fn a_bad_variable_in_dot_env_is_reported_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "NOTES_PER_PAGE=0\n").unwrap();
    let output = starpunk(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("NOTES_PER_PAGE=\"0\""));
}

#[tokio::test]
async fn it_serves_on_defaults_and_never_logs_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "s".repeat(40);
    let mut cmd = starpunk(dir.path());
    cmd.env("PORT", "0")
        .env("DEV_MODE", "true")
        .env("SESSION_SECRET", &secret)
        .env("METRICS_SAMPLING_RATES", "0.5");
    let (child, port, _, lines) = start(cmd);
    let base = format!("http://127.0.0.1:{port}");
    let client = crate::helpers::client();

    let health = client
        .get(format!("{base}/health"))
        .header("X-Request-ID", "binary-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let home = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("No notes yet."));
    let login = client
        .get(format!("{base}/dev/login"))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = cookie["starpunk_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let admin = client
        .get(format!("{base}/admin/?token=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);

    child.stop();
    // The reader thread ends at EOF once the process is gone: read everything it logged.
    let log: Vec<String> = lines.iter().collect();
    let log = log.join("\n");
    assert!(
        dir.path().join("data/starpunk.db").exists(),
        "data in ./data"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("[binary-test-1]") && l.contains("GET /health 200")),
        "the access line carries the request id: {log}"
    );
    assert!(log.contains("GET /admin/ 200"), "{log}");
    assert!(!log.contains("token=x"), "query strings are not logged");
    assert!(!log.contains(&token), "the session token is never logged");
    assert!(!log.contains(&secret), "the session secret is never logged");
}

#[test]
fn start_up_warns_about_dev_mode_and_near_miss_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = starpunk(dir.path());
    cmd.env("PORT", "0")
        .env("DEV_MODE", "true")
        .env("METRICS_SAMPLING_RATES", "0.5")
        .env("TOKEN_ENDPOINT", "https://tokens.example/");
    let (child, _port, early, _) = start(cmd);
    child.stop();
    let log = early.join("\n");
    assert!(
        log.contains("did you mean `METRICS_SAMPLING_RATE`?"),
        "{log}"
    );
    assert!(log.contains("TOKEN_ENDPOINT is ignored"), "{log}");
    assert!(log.contains("DEV_MODE is on"), "{log}");
}

#[tokio::test]
async fn slow_statements_are_logged_at_warn_with_their_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = starpunk(dir.path());
    cmd.env("PORT", "0")
        .env("METRICS_SLOW_QUERY_THRESHOLD", "0");
    let (child, port, _, lines) = start(cmd);
    let res = crate::helpers::client()
        .get(format!("http://127.0.0.1:{port}/"))
        .header("X-Request-ID", "slow-trace-7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    child.stop();
    let log: Vec<String> = lines.iter().collect();
    assert!(
        log.iter().any(|l| l.contains("WARN")
            && l.contains("slow query")
            && l.contains("request slow-trace-7")
            && l.contains("[slow-trace-7]")
            && l.contains("FROM notes")),
        "{log:#?}"
    );
}

/// A static binary may run where there is no CA bundle at all (a `scratch` image, a systemd
/// `RootDirectory=`): with no system certificates and an empty `HOME` it still starts, with an
/// https owner to discover, and serves `/health`.
#[tokio::test]
async fn it_serves_without_any_system_certificates_or_home() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = starpunk(dir.path());
    cmd.env("PORT", "0")
        .env("ADMIN_ME", "https://owner.invalid/")
        .env("SSL_CERT_FILE", empty.path().join("no-such-bundle.pem"))
        .env("SSL_CERT_DIR", empty.path())
        .env("HOME", empty.path());
    let (child, port, early, _) = start(cmd);
    assert!(!early.iter().any(|l| l.contains("panicked")), "{early:#?}");
    let health = crate::helpers::client()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    child.stop();
}

/// First run: with no credential, each start logs one setup address (a new one each time);
/// it opens the setup page, an old one does not.
#[tokio::test]
async fn each_start_without_a_credential_logs_one_new_setup_address() {
    let dir = tempfile::tempdir().unwrap();
    let setup_lines = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.contains("auth/setup?token="))
            .cloned()
            .collect()
    };
    let token_of = |line: &str| -> String {
        let start = line.find("token=").unwrap() + 6;
        line[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect()
    };
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let mut cmd = starpunk(dir.path());
        cmd.env("PORT", "0");
        let (child, port, early, _) = start(cmd);
        let lines = setup_lines(&early);
        assert_eq!(lines.len(), 1, "{early:#?}");
        assert!(lines[0].contains("WARN"), "{}", lines[0]);
        let token = token_of(&lines[0]);
        assert_eq!(token.len(), 32, "128 bits");
        let client = crate::helpers::client();
        let base = format!("http://127.0.0.1:{port}");
        let page = client
            .get(format!("{base}/auth/setup?token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        for old in &tokens {
            let res = client
                .get(format!("{base}/auth/setup?token={old}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404, "a token of an earlier start");
        }
        tokens.push(token);
        child.stop();
    }
    assert_ne!(tokens[0], tokens[1]);
}
