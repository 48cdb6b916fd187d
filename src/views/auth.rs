//! The login page.

use maud::{Markup, html};

use super::layout::{PageContext, page};

/// `/auth/login`: explains how the owner logs in with the current configuration.
pub fn login(ctx: &PageContext<'_>) -> Markup {
    let config = ctx.config;
    let content = html! {
        div.login-box {
            h1 { "Log in" }
            @if config.dev_mode {
                p.flash.flash-warning {
                    "Development mode is on: you can log in without a password."
                }
                p { a.button href="/dev/login" { "Dev login as " (config.dev_identity()) } }
            }
            @match &config.admin_me {
                Some(me) => {
                    p { "This site belongs to " a href=(me) { (me) } "." }
                    p {
                        "You will sign in at the authorization server your site names "
                        "(its " code { "indieauth-metadata" } " or "
                        code { "authorization_endpoint" } " link), or at "
                        a href=(config.indielogin_url) { (config.indielogin_url) }
                        " if it names none."
                    }
                    form method="post" action="/auth/login" {
                        button.button type="submit" { "Log in as " (me) }
                    }
                }
                None => {
                    p { "Nobody can log in yet: this site has no owner." }
                    p {
                        "Set " code { "ADMIN_ME" } " to your own website's URL (for example "
                        code { "ADMIN_ME=https://example.com/" } ") and restart starpunk. "
                        "For local development, " code { "DEV_MODE=true" } " enables a password-less dev login."
                    }
                }
            }
        }
    };
    page(ctx, "Log in", content)
}

/// A login that did not work: what happened and a way to start again. No session was opened.
pub fn failure(ctx: &PageContext<'_>, message: &str) -> Markup {
    let content = html! {
        div.login-box {
            h1 { "Login failed" }
            p.flash.flash-error role="alert" { (message) }
            p { "You are not logged in. " a href="/auth/login" { "Start again" } "." }
        }
    };
    page(ctx, "Login failed", content)
}
