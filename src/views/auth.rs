//! A failed IndieAuth login (the login page itself is in `views::signin`).

use maud::{Markup, html};

use super::layout::{PageContext, page};

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
