//! Security headers on every response — pages, JSON, feeds, static files, media, errors and
//! redirects alike: a strict `Content-Security-Policy`, `X-Frame-Options: DENY`,
//! `X-Content-Type-Options: nosniff`, a `Referrer-Policy` (stricter on the admin and sign-in
//! pages) and, when `SITE_URL` is https, `Strict-Transport-Security`.
//!
//! The policy allows what the site itself uses and nothing else: scripts, styles and `fetch`
//! from this origin only (no inline script or style anywhere: every script and rule lives in
//! `assets/`), images from anywhere on the web (a note's photos and Markdown images, and the
//! logos of apps on the consent and Apps pages, are on other sites, over https or http), no
//! plugins, no `<base>`, never inside a frame. Forms may only go to this site, except on the
//! sign-in and authorization pages under `/auth/`: their forms end on other sites by design
//! (IndieAuth sign-in answers with a redirect to the owner's authorization endpoint; the consent
//! page's Allow and Deny redirect to the app's `redirect_uri`), and Chromium applies
//! `form-action` to the redirects that follow a form, so those pages leave it out.
//!
//! It reads the site's scheme from the request's app data (`web::Data<SiteConfig>`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::config::SiteConfig;

/// The directives every response carries.
macro_rules! common_policy {
    () => {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; \
         connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    };
}

/// The policy of every response outside `/auth/`: forms post to this site only.
pub const POLICY: &str = concat!(common_policy!(), "; form-action 'self'");

/// The policy under `/auth/`, whose forms lead to other sites (see the module documentation).
pub const AUTH_POLICY: &str = common_policy!();

/// `Referrer-Policy` of public pages: other sites learn the origin a reader came from, never the
/// page (and nothing over a downgrade to http).
pub const PUBLIC_REFERRER: &str = "strict-origin-when-cross-origin";

/// `Referrer-Policy` of the admin and sign-in pages: their addresses (edit ids, an app's
/// `state`, setup tokens) never leave the site. `same-origin` rather than `no-referrer`, which
/// would also make browsers send `Origin: null` with the site's own form posts.
pub const PRIVATE_REFERRER: &str = "same-origin";

/// `Strict-Transport-Security` when `SITE_URL` is https: a year, this host only (other hosts
/// of the domain may not have https).
pub const HSTS: &str = "max-age=31536000";

/// Whether a path belongs to the owner's side of the site: the admin, sign-in and the
/// authorization server's pages, and dev login.
fn is_private(path: &str) -> bool {
    path == "/admin"
        || ["/admin/", "/auth/", "/dev/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// The `Content-Security-Policy` and `Referrer-Policy` of a response to `path`.
pub fn policies(path: &str) -> (&'static str, &'static str) {
    let policy = if path.starts_with("/auth/") {
        AUTH_POLICY
    } else {
        POLICY
    };
    let referrer = if is_private(path) {
        PRIVATE_REFERRER
    } else {
        PUBLIC_REFERRER
    };
    (policy, referrer)
}

/// Sets the security headers, replacing any a handler set: the two policies (as [`policies`]
/// gives them), the fixed headers, and HSTS when the site is `https`.
pub fn apply(
    headers: &mut HeaderMap,
    (policy, referrer): (&'static str, &'static str),
    https: bool,
) {
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, referrer),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
}

/// Middleware: every response leaves with the security headers (error pages included: it runs
/// outside [`crate::error_pages`]).
pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<SiteConfig>>()
        .is_some_and(|site| site.is_https());
    let policies = policies(req.path());
    let mut res = next.call(req).await?;
    apply(res.headers_mut(), policies, https);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_policy_is_the_site_policy_without_form_action() {
        assert_eq!(POLICY.replace("; form-action 'self'", ""), AUTH_POLICY);
        assert!(!AUTH_POLICY.contains("form-action"));
    }

    #[test]
    fn no_policy_allows_inline_code_or_eval() {
        for policy in [POLICY, AUTH_POLICY] {
            assert!(!policy.contains("unsafe-"), "{policy}");
            assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        }
    }

    #[test]
    fn admin_auth_and_dev_paths_are_private_and_others_public() {
        for path in [
            "/admin",
            "/admin/",
            "/admin/edit/3",
            "/auth/login",
            "/dev/login",
        ] {
            assert!(is_private(path), "{path}");
        }
        for path in [
            "/",
            "/administrator",
            "/notes/admin",
            "/authors",
            "/feed.xml",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }
}
