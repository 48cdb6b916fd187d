//! Who is asking: the client's address, for sign-in throttling, logs and the session list.
//!
//! The address is the connection's peer, unless that peer is one of `TRUSTED_PROXIES`: then it
//! is the right-most address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy
//! appends the address it saw, so addresses left of the last untrusted one may be forged).

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's address as far as it can be believed.
pub fn address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    match peer {
        Some(ip) if is_trusted(&ip) => {
            let forwarded: Vec<IpAddr> = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|part| part.trim().parse::<IpAddr>().ok())
                .collect();
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !is_trusted(ip))
                .or(Some(ip))
        }
        other => other,
    }
}

/// The browser's `User-Agent`, if any.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(format!("{peer}:4000").parse().unwrap());
        if let Some(f) = forwarded {
            req = req.insert_header(("X-Forwarded-For", f));
        }
        req.to_http_request()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let forged = request("203.0.113.9", Some("198.51.100.1"));
        assert_eq!(address(&forged, &trusted), "203.0.113.9".parse().ok());
        let proxied = request("127.0.0.1", Some("198.51.100.1, 203.0.113.7"));
        assert_eq!(address(&proxied, &trusted), "203.0.113.7".parse().ok());
        let untrusted_proxy = request("127.0.0.1", Some("198.51.100.1"));
        assert_eq!(address(&untrusted_proxy, &[]), "127.0.0.1".parse().ok());
        let only_proxies = request("127.0.0.1", Some("127.0.0.1"));
        assert_eq!(address(&only_proxies, &trusted), "127.0.0.1".parse().ok());
    }
}
