//! The rules of starpunk's own IndieAuth server that need no network: what a valid
//! `client_id` and `redirect_uri` are, the scopes it grants, PKCE, and reading an authorization
//! request (IndieAuth Living Standard, 11 July 2024, §3.2, §4.2, §5.2; RFC 7636).

use std::collections::HashMap;

use base64::Engine;
use sha2::{Digest, Sha256};
use url::Url;

/// The scopes this server grants, with what each lets an app do (shown on the consent page).
pub const SCOPES: &[(&str, &str)] = &[
    ("create", "Publish new notes"),
    ("update", "Change existing notes"),
    ("delete", "Delete notes"),
    ("undelete", "Restore deleted notes"),
    ("media", "Upload photos and files"),
    ("profile", "See your name and your site's address"),
];

/// Longest `state` echoed back (it is the client's, opaque; this only bounds the page).
pub const MAX_STATE_CHARS: usize = 1024;

/// Checks a `client_id` (§3.2): an `http`/`https` URL with a path, no `.`/`..` segments, no
/// fragment, no user or password, and a domain name for host (IP addresses only as
/// `127.0.0.1` or `[::1]`). The message says what is wrong.
pub fn parse_client_id(raw: &str) -> Result<Url, String> {
    if raw.is_empty() {
        return Err("The request has no client_id.".into());
    }
    let url = Url::parse(raw).map_err(|_| format!("The client_id {raw:?} is not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("The client_id {raw} must be an http or https URL."));
    }
    if raw.contains('#') {
        return Err(format!("The client_id {raw} must not have a fragment."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "The client_id {raw} must not carry a user name or password."
        ));
    }
    if has_dot_segment(raw) {
        return Err(format!(
            "The client_id {raw} must not have `.` or `..` path segments."
        ));
    }
    match url.host() {
        Some(url::Host::Domain(_)) => {}
        Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST => {}
        Some(url::Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST => {}
        Some(_) => {
            return Err(format!(
                "The client_id {raw} must name its host, not an IP address (only 127.0.0.1 and [::1] are allowed)."
            ));
        }
        None => return Err(format!("The client_id {raw} has no host.")),
    }
    Ok(url)
}

/// Whether the path of a URL as written has a `.` or `..` segment (the parser would have
/// removed them silently).
fn has_dot_segment(raw: &str) -> bool {
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let path_and_more = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path_and_more.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

/// Checks a `redirect_uri` (§4.2.1): an absolute URL without a fragment. Apps may use their own
/// scheme (native apps), but never one that runs code.
pub fn parse_redirect_uri(raw: &str) -> Result<Url, String> {
    if raw.is_empty() {
        return Err("The request has no redirect_uri.".into());
    }
    let url = Url::parse(raw).map_err(|_| format!("The redirect_uri {raw:?} is not a URL."))?;
    if raw.contains('#') {
        return Err(format!("The redirect_uri {raw} must not have a fragment."));
    }
    if matches!(
        url.scheme(),
        "javascript" | "data" | "vbscript" | "file" | "blob" | "about"
    ) {
        return Err(format!(
            "The redirect_uri {raw} uses a scheme that cannot be redirected to."
        ));
    }
    if matches!(url.scheme(), "http" | "https") && url.host().is_none() {
        return Err(format!("The redirect_uri {raw} has no host."));
    }
    Ok(url)
}

/// Whether `redirect_uri` needs no listing: same scheme, host and port as `client_id`.
pub fn same_origin(client_id: &Url, redirect_uri: &Url) -> bool {
    client_id.scheme() == redirect_uri.scheme()
        && client_id.host_str() == redirect_uri.host_str()
        && client_id.port_or_known_default() == redirect_uri.port_or_known_default()
}

/// Reads a space-separated scope list: known scopes (in [`SCOPES`] order, once each; the
/// pre-2016 `post` counts as `create`) and the unknown ones, which are never granted.
pub fn parse_scopes(raw: &str) -> (Vec<&'static str>, Vec<String>) {
    let asked: Vec<&str> = raw.split_ascii_whitespace().collect();
    let known = SCOPES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            asked
                .iter()
                .any(|a| a == name || (*name == "create" && *a == "post"))
        })
        .collect();
    let mut unknown: Vec<String> = asked
        .iter()
        .filter(|a| **a != "post" && !SCOPES.iter().any(|(name, _)| name == *a))
        .map(|a| (*a).to_owned())
        .collect();
    unknown.dedup();
    (known, unknown)
}

/// Whether every scope in `asked` is in `granted` (both space-separated).
pub fn scopes_within(asked: &str, granted: &str) -> bool {
    asked
        .split_ascii_whitespace()
        .all(|a| granted.split_ascii_whitespace().any(|g| g == a))
}

/// BASE64URL(SHA-256(verifier)), the S256 challenge of a PKCE verifier.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a `code_verifier` is well formed (43–128 unreserved characters, RFC 7636 §4.1) and
/// matches the stored S256 challenge.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && crate::secret::same(s256(verifier).as_bytes(), challenge.as_bytes())
}

/// An authorization request whose client and redirect are well formed (not yet verified
/// against the client's metadata).
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// The app.
    pub client_id: Url,
    /// Where the answer goes.
    pub redirect_uri: Url,
    /// The client's `state`, when it sent one (echoed on errors too).
    pub state: Option<String>,
}

/// The whole of a valid authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The app and where the answer goes.
    pub client: ClientRequest,
    /// The client's `state`.
    pub state: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// Known scopes asked for (none: authentication only).
    pub scopes: Vec<&'static str>,
    /// Scopes asked for that this server does not grant.
    pub unknown_scopes: Vec<String>,
    /// The `me` the client typed, if it sent one (a hint; this server has one user).
    pub me: Option<String>,
}

/// Reads `client_id` and `redirect_uri`. A failure here is shown to the person, never sent to
/// the `redirect_uri` (which cannot be trusted yet).
pub fn parse_client(params: &HashMap<String, String>) -> Result<ClientRequest, String> {
    let get = |name: &str| params.get(name).map_or("", String::as_str);
    let client_id = parse_client_id(get("client_id"))?;
    let redirect_uri = parse_redirect_uri(get("redirect_uri"))?;
    Ok(ClientRequest {
        client_id,
        redirect_uri,
        state: params.get("state").cloned(),
    })
}

/// Reads the rest of an authorization request once its client is trusted. The error is an
/// OAuth `invalid_request` description, sent back to the client's `redirect_uri`.
pub fn parse_request(
    client: ClientRequest,
    params: &HashMap<String, String>,
) -> Result<AuthorizationRequest, String> {
    let get = |name: &str| params.get(name).map_or("", String::as_str);
    match get("response_type") {
        "code" => {}
        // The pre-2020 `id` response type meant authentication only; treated as `code`.
        "id" => {}
        "" => return Err("response_type is missing; it must be `code`.".into()),
        other => {
            return Err(format!(
                "response_type {other} is not supported; use `code`."
            ));
        }
    }
    let state = get("state");
    if state.is_empty() {
        return Err("state is missing.".into());
    }
    if state.chars().count() > MAX_STATE_CHARS {
        return Err(format!(
            "state is longer than {MAX_STATE_CHARS} characters."
        ));
    }
    let challenge = get("code_challenge");
    match get("code_challenge_method") {
        "S256" => {}
        "" if challenge.is_empty() => {
            return Err(
                "PKCE is required: send code_challenge with code_challenge_method=S256.".into(),
            );
        }
        "" => return Err("code_challenge_method is missing; it must be S256.".into()),
        "plain" => {
            return Err("code_challenge_method plain is not accepted; use S256.".into());
        }
        other => {
            return Err(format!(
                "code_challenge_method {other} is not supported; use S256."
            ));
        }
    }
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err("code_challenge must be the 43-character BASE64URL of a SHA-256 hash.".into());
    }
    let (scopes, unknown_scopes) = parse_scopes(get("scope"));
    Ok(AuthorizationRequest {
        client,
        state: state.to_owned(),
        code_challenge: challenge.to_owned(),
        scopes,
        unknown_scopes,
        me: params.get("me").filter(|m| !m.is_empty()).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_the_standard() {
        for good in [
            "https://app.example/",
            "https://app.example",
            "https://app.example:8443/client?x=1",
            "http://localhost:9000/",
            "http://127.0.0.1:9000/app/",
            "http://[::1]/",
        ] {
            assert!(parse_client_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "app.example",
            "ftp://app.example/",
            "https://app.example/#frag",
            "https://user:pw@app.example/",
            "https://app.example/a/../b",
            "https://app.example/./",
            "https://app.example/a/%2E%2E/b",
            "https://10.0.0.1/",
            "https://192.168.1.2/",
            "http://127.0.0.2/",
            "http://[fe80::1]/",
            "mailto:me@app.example",
        ] {
            assert!(parse_client_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_are_checked() {
        assert!(parse_redirect_uri("https://app.example/cb").is_ok());
        assert!(parse_redirect_uri("indigenous://auth").is_ok());
        for bad in [
            "",
            "/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://a/#x",
        ] {
            assert!(parse_redirect_uri(bad).is_err(), "{bad}");
        }
        let client = Url::parse("https://app.example/").unwrap();
        let ok = Url::parse("https://app.example:443/callback").unwrap();
        let other_host = Url::parse("https://evil.example/callback").unwrap();
        let other_port = Url::parse("https://app.example:444/callback").unwrap();
        let other_scheme = Url::parse("http://app.example/callback").unwrap();
        assert!(same_origin(&client, &ok));
        assert!(!same_origin(&client, &other_host));
        assert!(!same_origin(&client, &other_port));
        assert!(!same_origin(&client, &other_scheme));
    }

    #[test]
    fn scopes_are_read_once_in_order() {
        let (known, unknown) = parse_scopes("media create post create email");
        assert_eq!(known, ["create", "media"]);
        assert_eq!(unknown, ["email"]);
        assert!(scopes_within("create", "create media"));
        assert!(scopes_within("", "create"));
        assert!(!scopes_within("create update", "create media"));
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256(verifier), challenge);
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        assert!(!verifier_matches("short", &s256("short")));
    }

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn authorization_requests_need_state_and_s256() {
        let base = [
            ("response_type", "code"),
            ("client_id", "https://app.example/"),
            ("redirect_uri", "https://app.example/cb"),
            ("state", "abc"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("scope", "create"),
        ];
        let read = |changes: &[(&str, &str)]| {
            let mut p = params(&base);
            for (k, v) in changes {
                if v.is_empty() {
                    p.remove(*k);
                } else {
                    p.insert((*k).to_owned(), (*v).to_owned());
                }
            }
            let client = parse_client(&p)?;
            parse_request(client, &p)
        };
        let ok = read(&[]).unwrap();
        assert_eq!(ok.scopes, ["create"]);
        assert!(read(&[("code_challenge_method", "plain")]).is_err());
        assert!(read(&[("code_challenge", ""), ("code_challenge_method", "")]).is_err());
        assert!(read(&[("code_challenge", "short")]).is_err());
        assert!(read(&[("state", "")]).is_err());
        assert!(read(&[("response_type", "token")]).is_err());
    }
}
