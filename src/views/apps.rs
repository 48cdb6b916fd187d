//! starpunk's own authorization server, as the owner sees it: the consent page an app sends
//! them to, its failure page, and the admin's "Apps" page listing what was granted.

use maud::{Markup, html};

use super::layout::{PageContext, page};
use crate::domain::indieauth::SCOPES;

/// What the consent page shows about one authorization request.
pub struct ConsentView<'a> {
    /// The app's `client_id`.
    pub client_id: &'a str,
    /// Its name, from its metadata.
    pub name: Option<&'a str>,
    /// Its logo URL.
    pub logo: Option<&'a str>,
    /// Its home page.
    pub app_uri: Option<&'a str>,
    /// Where the browser goes next (host, or the whole URI for app schemes).
    pub redirect_to: &'a str,
    /// Known scopes asked for (each a checkbox, ticked).
    pub scopes: &'a [&'static str],
    /// Scopes asked for that are never granted.
    pub unknown_scopes: &'a [String],
    /// Why the app's own description could not be read, when it could not.
    pub info_problem: Option<&'a str>,
    /// The request's parameters, sent back with the decision.
    pub request: &'a [(String, String)],
}

/// `GET /auth/authorize`, signed in: the owner approves (possibly fewer scopes) or denies.
pub fn consent(ctx: &PageContext<'_>, view: &ConsentView<'_>) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or("");
    let name = view.name.unwrap_or(view.client_id);
    let content = html! {
        div.login-box.consent {
            @if let Some(logo) = view.logo {
                img.app-logo src=(logo) alt="" width="64" height="64";
            }
            h1 { "Allow " (name) "?" }
            p {
                @if view.name.is_some() { (name) " (" }
                a.client-id href=(view.app_uri.unwrap_or(view.client_id)) rel="noopener noreferrer" { (view.client_id) }
                @if view.name.is_some() { ")" }
                @if view.scopes.is_empty() {
                    " wants to know that you are " strong { (ctx.site().url) } ". It will not be able to change anything."
                } @else {
                    " wants to sign you in as " strong { (ctx.site().url) } " and act on your site."
                }
            }
            @if let Some(problem) = view.info_problem {
                p.flash.flash-warning { "The app's own description could not be read (" (problem) "), so only its address is shown." }
            }
            form.signin method="post" action="/auth/authorize/decide" {
                input type="hidden" name="csrf_token" value=(csrf);
                @for (key, value) in view.request {
                    input type="hidden" name=(format!("request.{key}")) value=(value);
                }
                @if !view.scopes.is_empty() {
                    fieldset.scopes {
                        legend { "What it may do (untick to allow less)" }
                        @for scope in view.scopes {
                            label.checkbox {
                                input type="checkbox" name="scope" value=(scope) checked;
                                span { (describe(scope)) " " code { (scope) } }
                            }
                        }
                    }
                }
                @if !view.unknown_scopes.is_empty() {
                    p { "Not granted, because this site does not offer them: "
                        @for (i, scope) in view.unknown_scopes.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (scope) }
                        }
                        "."
                    }
                }
                p { "You will be sent to " strong { (view.redirect_to) } "." }
                div.consent-actions {
                    button.button type="submit" name="decision" value="approve" { "Allow" }
                    button.button.button-secondary type="submit" name="decision" value="deny" { "Deny" }
                }
            }
        }
    };
    page(ctx, &format!("Allow {name}?"), content)
}

/// What a scope lets an app do.
fn describe(scope: &str) -> &'static str {
    SCOPES
        .iter()
        .find(|(name, _)| *name == scope)
        .map_or("", |(_, what)| what)
}

/// An authorization request that cannot be used: the reason, and when the app may be told,
/// a link back to it carrying the error (never an automatic redirect).
pub fn refused(ctx: &PageContext<'_>, message: &str, back: Option<&str>) -> Markup {
    let content = html! {
        div.login-box {
            h1 { "This app's request cannot be used" }
            p.flash.flash-error role="alert" { (message) }
            p { "Nothing was granted." }
            @if let Some(back) = back {
                p { a.button.button-secondary href=(back) rel="noopener noreferrer" { "Return to the app" } }
            } @else {
                p { "Go back to the app and try again, or ask its author." }
            }
        }
    };
    page(ctx, "Request refused", content)
}

/// One grant in the Apps list.
pub struct GrantRow {
    /// Its id (form value).
    pub id: i64,
    /// The app's name, or its `client_id`.
    pub name: String,
    /// Its `client_id`.
    pub client_id: String,
    /// Its logo URL.
    pub logo: Option<String>,
    /// Granted scopes.
    pub scope: String,
    /// Human date.
    pub issued: String,
    /// Human date, or `never`.
    pub last_used: String,
    /// Human date.
    pub expires: String,
}

/// `/admin/apps`: every app holding a live token, with a way to revoke it (or all).
pub fn list(ctx: &PageContext<'_>, grants: &[GrantRow], flash: Option<&str>) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or("");
    let content = html! {
        h1 { "Apps" }
        @if let Some(flash) = flash {
            p.flash.flash-ok role="status" { (flash) }
        }
        p {
            "Apps you allowed to post to this site (Micropub clients) sign in here with your "
            "site's address. Revoking one stops its token at once; the app has to ask again."
        }
        @if grants.is_empty() {
            p { "No app holds a token." }
        } @else {
            div.table-scroll tabindex="0" role="region" aria-labelledby="apps-heading" {
                table.metrics-table.credentials-table {
                    caption #apps-heading.visually-hidden { "Apps with access" }
                    thead { tr { th { "App" } th { "May" } th { "Allowed" } th { "Last used" } th { "Expires" } th { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @for grant in grants {
                            tr {
                                td data-label="App" {
                                    @if let Some(logo) = &grant.logo {
                                        img.app-logo-small src=(logo) alt="" width="24" height="24";
                                        " "
                                    }
                                    strong { (grant.name) }
                                    br;
                                    small.client-id { (grant.client_id) }
                                }
                                td data-label="May" { (grant.scope) }
                                td data-label="Allowed" { (grant.issued) }
                                td data-label="Last used" { (grant.last_used) }
                                td data-label="Expires" { (grant.expires) }
                                td {
                                    form.inline method="post" action=(format!("/admin/apps/{}/revoke", grant.id)) {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button.link type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.apps-revoke-all method="post" action="/admin/apps/revoke-all" {
                input type="hidden" name="csrf_token" value=(csrf);
                button.link type="submit" { "Revoke every app" }
            }
        }
    };
    page(ctx, "Apps", content)
}
