//! The owner's own sign-in: the login page, the first-run setup page and the admin's
//! "Sign-in" page (passkeys, password, open sessions).
//!
//! Password forms work without JavaScript; passkeys use `assets/js/passkeys.js`, which reads
//! its endpoints and CSRF token from `data-` attributes.

use maud::{Markup, html};

use super::layout::{PageContext, page};
use crate::assets;

/// What the login page offers.
pub struct LoginView<'a> {
    /// The pre-session CSRF token of the sign-in forms.
    pub csrf: &'a str,
    /// A password is set.
    pub password: bool,
    /// At least one passkey is registered.
    pub passkeys: bool,
    /// No credential exists yet and the setup address is in the log.
    pub setup_pending: bool,
    /// A failed attempt's message.
    pub error: Option<&'a str>,
}

/// `/auth/login`.
pub fn login(ctx: &PageContext<'_>, view: &LoginView<'_>) -> Markup {
    let config = ctx.config;
    // The owner's own site, when it is not this one: sign-in there through IndieAuth.
    let elsewhere = config.admin_me.as_ref().filter(|_| !config.owner_is_site());
    let content = html! {
        div.login-box {
            h1 { "Log in" }
            @if let Some(error) = view.error {
                p.flash.flash-error role="alert" { (error) }
            }
            @if view.passkeys {
                div #passkey-login data-options="/auth/passkey/options" data-finish="/auth/passkey/finish"
                    data-csrf=(view.csrf) {
                    @if !view.password {
                        // The browser may offer passkeys in this field's autofill (conditional
                        // mediation); with a password, the password form's field does it.
                        label for="username" { "Owner" }
                        input #username type="text" name="username" value=(config.owner().host_str().unwrap_or(""))
                            autocomplete="username webauthn" readonly;
                    }
                    button.button #passkey-button type="button" { "Sign in with a passkey" }
                    p.passkey-status role="status" aria-live="polite" {}
                }
            }
            @if view.password {
                form.signin method="post" action="/auth/password" {
                    input type="hidden" name="csrf_token" value=(view.csrf);
                    // The browser may offer passkeys here too (conditional mediation).
                    label for="username" { "Owner" }
                    input #username type="text" name="username" value=(config.owner().host_str().unwrap_or(""))
                        autocomplete="username webauthn" readonly;
                    label for="password" { "Password" }
                    input #password type="password" name="password" required autocomplete="current-password";
                    button.button type="submit" { "Log in" }
                }
            }
            @if let Some(me) = elsewhere {
                p { "This site belongs to " a href=(me) { (me) } "." }
                p {
                    @if view.password || view.passkeys { "You can also sign in" } @else { "Sign in" }
                    " at the authorization server your site names "
                    "(its " code { "indieauth-metadata" } " or "
                    code { "authorization_endpoint" } " link), or at "
                    a href=(config.indielogin_url) { (config.indielogin_url) }
                    " if it names none."
                }
                form method="post" action="/auth/login" {
                    button.button type="submit" { "Log in as " (me) }
                }
            }
            @if config.dev_mode {
                p.flash.flash-warning {
                    "Development mode is on: the button below logs you in without a password. "
                    "Never run DEV_MODE on a public site."
                }
                p { a.button href="/dev/login" { "Dev login as " (config.dev_identity()) } }
            }
            @if view.setup_pending {
                (setup_notice(elsewhere.is_none() && !config.dev_mode))
            }
        }
        @if view.passkeys {
            script src=(assets::url("js/passkeys.js")) defer {}
        }
    };
    page(ctx, "Log in", content)
}

/// Where to set up the first passkey or password. When nothing else signs the owner in (no
/// IndieAuth, no dev login), a warning; otherwise a note, so the page never says that nobody can
/// sign in above a way that works.
fn setup_notice(only_way: bool) -> Markup {
    let how = html! {
        "open the one-time setup address that starpunk printed in its log at start-up ("
        code { "auth/setup?token=…" } "), or run " code { "starpunk password" } " on the server."
    };
    html! {
        @if only_way {
            p.flash.flash-warning {
                "No passkey or password is set yet. To sign in, " (how)
            }
        } @else {
            p.setup-note { "No passkey or password is set yet. To add one, " (how) }
        }
    }
}

/// What the setup page shows.
pub struct SetupView<'a> {
    /// The setup token (carried by every form of the page).
    pub token: &'a str,
    /// The pre-session CSRF token.
    pub csrf: &'a str,
    /// A failed attempt's message.
    pub error: Option<&'a str>,
}

/// `/auth/setup?token=…`: the first passkey or password.
pub fn setup(ctx: &PageContext<'_>, view: &SetupView<'_>) -> Markup {
    let owner = ctx.config.owner();
    let content = html! {
        div.login-box {
            h1 { "Set up sign-in" }
            p { "You are the owner of " strong { (owner) } ". Choose how you will sign in: a passkey "
                "(this device's fingerprint, face or PIN, or a security key) and/or a password." }
            @if let Some(error) = view.error {
                p.flash.flash-error role="alert" { (error) }
            }
            section #passkey-register data-options="/auth/setup/passkey/options"
                data-finish="/auth/setup/passkey/finish" data-csrf=(view.csrf) data-token=(view.token) {
                h2 { "A passkey" }
                label for="passkey-name" { "Name for this passkey" }
                input #passkey-name type="text" name="name" maxlength="64" value="My passkey";
                button.button #passkey-register-button type="button" { "Register a passkey" }
                p.passkey-status role="status" aria-live="polite" {}
                noscript { p { "Passkeys need JavaScript; a password works without it." } }
            }
            section {
                h2 { "A password" }
                form.signin method="post" action="/auth/setup/password" {
                    input type="hidden" name="csrf_token" value=(view.csrf);
                    input type="hidden" name="token" value=(view.token);
                    // For password managers: whose password this is.
                    input type="text" name="username" value=(owner.host_str().unwrap_or("")) autocomplete="username" hidden;
                    label for="new-password" { "Password (at least 12 characters)" }
                    input #new-password type="password" name="password" required minlength="12"
                        autocomplete="new-password";
                    label for="repeat-password" { "The same again" }
                    input #repeat-password type="password" name="repeat" required minlength="12"
                        autocomplete="new-password";
                    button.button type="submit" { "Set the password and sign in" }
                }
            }
        }
        script src=(assets::url("js/passkeys.js")) defer {}
    };
    page(ctx, "Set up sign-in", content)
}

/// One passkey in the admin list.
pub struct PasskeyRow {
    /// Row id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was registered (human date).
    pub created: String,
    /// When it was last used (human date).
    pub last_used: Option<String>,
}

/// One open session in the admin list.
pub struct SessionRow {
    /// The session's token hash (form value).
    pub id: String,
    /// Human date.
    pub created: String,
    /// Human date.
    pub last_seen: String,
    /// Address.
    pub ip: String,
    /// Browser.
    pub user_agent: String,
    /// How it was opened.
    pub method: String,
    /// Whether this is the session looking at the page.
    pub current: bool,
}

/// What the admin's Sign-in page shows.
pub struct CredentialsView<'a> {
    /// Registered passkeys.
    pub passkeys: &'a [PasskeyRow],
    /// A password is set.
    pub password: bool,
    /// Open sessions.
    pub sessions: &'a [SessionRow],
    /// A message after an action.
    pub flash: Option<&'a str>,
    /// A failed action's message.
    pub error: Option<&'a str>,
}

/// `/admin/sign-in`.
pub fn credentials(ctx: &PageContext<'_>, view: &CredentialsView<'_>) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or("");
    let credentials = view.passkeys.len() + usize::from(view.password);
    let content = html! {
        h1 { "Sign-in" }
        @if let Some(flash) = view.flash {
            p.flash.flash-ok role="status" { (flash) }
        }
        @if let Some(error) = view.error {
            p.flash.flash-error role="alert" { (error) }
        }
        section #passkeys {
            h2 #passkeys-heading { "Passkeys" }
            @if view.passkeys.is_empty() {
                p { "No passkey yet." }
            } @else {
                div.table-scroll tabindex="0" role="region" aria-labelledby="passkeys-heading" {
                    table.metrics-table.credentials-table {
                        thead { tr { th { "Name" } th { "Registered" } th { "Last used" } th { span.visually-hidden { "Actions" } } } }
                        tbody {
                            @for key in view.passkeys {
                                tr {
                                    td {
                                        form.inline method="post" action=(format!("/admin/sign-in/passkeys/{}/rename", key.id)) {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            label.visually-hidden for=(format!("name-{}", key.id)) { "Name" }
                                            input id=(format!("name-{}", key.id)) type="text" name="name" value=(key.name) maxlength="64" required;
                                            button.link type="submit" { "Rename" }
                                        }
                                    }
                                    td data-label="Registered" { (key.created) }
                                    td data-label="Last used" { (key.last_used.as_deref().unwrap_or("never")) }
                                    td {
                                        @if credentials > 1 {
                                            form.inline method="post" action=(format!("/admin/sign-in/passkeys/{}/remove", key.id)) {
                                                input type="hidden" name="csrf_token" value=(csrf);
                                                button.link type="submit" { "Remove" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div #passkey-register data-options="/admin/sign-in/passkeys/options"
                data-finish="/admin/sign-in/passkeys/finish" data-csrf=(csrf) {
                label for="passkey-name" { "Name for a new passkey" }
                input #passkey-name type="text" name="name" maxlength="64" value="Passkey";
                button.button #passkey-register-button type="button" { "Add a passkey" }
                p.passkey-status role="status" aria-live="polite" {}
                noscript { p { "Adding a passkey needs JavaScript." } }
            }
        }
        section #password {
            h2 { "Password" }
            form.signin method="post" action="/admin/sign-in/password" {
                input type="hidden" name="csrf_token" value=(csrf);
                input type="text" name="username" value=(ctx.config.owner().host_str().unwrap_or("")) autocomplete="username" hidden;
                @if view.password {
                    label for="current-password" { "Current password" }
                    input #current-password type="password" name="current" required autocomplete="current-password";
                } @else {
                    p { "No password is set. You signed in recently, so you can set one now." }
                }
                label for="new-password" { "New password (at least 12 characters)" }
                input #new-password type="password" name="password" required minlength="12" autocomplete="new-password";
                label for="repeat-password" { "The same again" }
                input #repeat-password type="password" name="repeat" required minlength="12" autocomplete="new-password";
                button.button type="submit" { @if view.password { "Change the password" } @else { "Set a password" } }
            }
            @if view.password && credentials > 1 {
                form.inline method="post" action="/admin/sign-in/password/remove" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    button.link type="submit" { "Remove the password (passkeys only)" }
                }
            }
        }
        section #sessions {
            h2 #sessions-heading { "Open sessions" }
            // Focusable, so a keyboard can scroll it when it is wider than a phone.
            div.table-scroll tabindex="0" role="region" aria-labelledby="sessions-heading" {
                table.metrics-table.credentials-table {
                    thead { tr { th { "Opened" } th { "Last seen" } th { "Address" } th { "Browser" } th { "How" } th { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @for session in view.sessions {
                            tr {
                                td data-label="Opened" { (session.created) }
                                td data-label="Last seen" { (session.last_seen) }
                                td data-label="Address" { (session.ip) }
                                td.user-agent data-label="Browser" { (session.user_agent) }
                                td data-label="How" { (session.method) }
                                td {
                                    @if session.current {
                                        "this one"
                                    } @else {
                                        form.inline method="post" action="/admin/sign-in/sessions/end" {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            input type="hidden" name="session" value=(session.id);
                                            button.link type="submit" { "End" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if view.sessions.len() > 1 {
                form.inline method="post" action="/admin/sign-in/sessions/end-others" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    button.link type="submit" { "End every other session" }
                }
            }
        }
        script src=(assets::url("js/passkeys.js")) defer {}
    };
    page(ctx, "Sign-in", content)
}
