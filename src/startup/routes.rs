//! The one route table: every path, its methods and its handler. Path segments used here are
//! reserved words for slugs (`domain/slug.rs`).

use actix_web::{guard, web};

use crate::routes::{
    admin, apps, auth, authorize, credentials, feeds, files, health, metrics, micropub, oauth,
    passkeys, public, search, signin, tokens,
};

/// GET that also answers HEAD (actix sends the headers and no body).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The one route table. Path segments used here are reserved words for slugs.
pub(super) fn table(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(get_or_head().to(public::home)))
        .service(web::resource("/notes/{slug}").route(get_or_head().to(public::note)))
        .service(web::resource("/static/{path:.*}").route(get_or_head().to(files::serve)))
        .service(web::resource("/feed").route(get_or_head().to(feeds::negotiated)))
        .service(web::resource("/feed.rss").route(get_or_head().to(feeds::rss)))
        .service(web::resource("/feed.xml").route(get_or_head().to(feeds::rss)))
        .service(web::resource("/feed.atom").route(get_or_head().to(feeds::atom)))
        .service(web::resource("/feed.json").route(get_or_head().to(feeds::json)))
        .service(web::resource("/opml.xml").route(get_or_head().to(feeds::opml)))
        .service(web::resource("/search").route(get_or_head().to(search::page)))
        .service(web::resource("/api/search").route(get_or_head().to(search::api)))
        .service(web::resource("/health").route(get_or_head().to(health::health)))
        .service(
            web::resource("/auth/login")
                .route(get_or_head().to(signin::login_page))
                .route(web::post().to(auth::start_login)),
        )
        .service(web::resource("/auth/password").route(web::post().to(signin::password)))
        .service(web::resource("/auth/setup").route(get_or_head().to(signin::setup)))
        .service(
            web::resource("/auth/setup/password").route(web::post().to(signin::setup_password)),
        )
        .service(
            web::resource("/auth/setup/passkey/options")
                .route(web::post().to(passkeys::setup_options)),
        )
        .service(
            web::resource("/auth/setup/passkey/finish")
                .route(web::post().to(passkeys::setup_finish)),
        )
        .service(
            web::resource("/auth/passkey/options").route(web::post().to(passkeys::login_options)),
        )
        .service(
            web::resource("/auth/passkey/finish").route(web::post().to(passkeys::login_finish)),
        )
        .service(web::resource("/admin/sign-in").route(get_or_head().to(credentials::page)))
        .service(
            web::resource("/admin/sign-in/password")
                .route(web::post().to(credentials::set_password)),
        )
        .service(
            web::resource("/admin/sign-in/password/remove")
                .route(web::post().to(credentials::remove_password)),
        )
        .service(
            web::resource("/admin/sign-in/passkeys/options")
                .route(web::post().to(passkeys::admin_options)),
        )
        .service(
            web::resource("/admin/sign-in/passkeys/finish")
                .route(web::post().to(passkeys::admin_finish)),
        )
        .service(
            web::resource("/admin/sign-in/passkeys/{id}/rename")
                .route(web::post().to(credentials::rename_passkey)),
        )
        .service(
            web::resource("/admin/sign-in/passkeys/{id}/remove")
                .route(web::post().to(credentials::remove_passkey)),
        )
        .service(
            web::resource("/admin/sign-in/sessions/end")
                .route(web::post().to(credentials::end_session)),
        )
        .service(
            web::resource("/admin/sign-in/sessions/end-others")
                .route(web::post().to(credentials::end_others)),
        )
        .service(web::resource("/auth/callback").route(get_or_head().to(auth::callback)))
        .service(
            web::resource("/.well-known/oauth-authorization-server")
                .route(get_or_head().to(oauth::metadata)),
        )
        .service(
            web::resource("/auth/authorize")
                .route(get_or_head().to(authorize::authorize))
                .route(web::post().to(authorize::redeem_for_profile)),
        )
        .service(web::resource("/auth/authorize/decide").route(web::post().to(authorize::decide)))
        .service(
            web::resource("/auth/token")
                .route(get_or_head().to(tokens::verify))
                .route(web::post().to(tokens::token)),
        )
        .service(web::resource("/auth/introspect").route(web::post().to(tokens::introspect)))
        .service(web::resource("/auth/revoke").route(web::post().to(tokens::revoke)))
        .service(web::resource("/auth/userinfo").route(get_or_head().to(tokens::userinfo)))
        .service(web::resource("/admin/apps").route(get_or_head().to(apps::page)))
        .service(web::resource("/admin/apps/revoke-all").route(web::post().to(apps::revoke_all)))
        .service(web::resource("/admin/apps/{id}/revoke").route(web::post().to(apps::revoke)))
        .service(
            web::resource("/micropub")
                .route(get_or_head().to(micropub::query))
                .route(web::post().to(micropub::post)),
        )
        .service(
            web::resource("/micropub/media")
                .route(get_or_head().to(micropub::media_query))
                .route(web::post().to(micropub::upload)),
        )
        .service(web::resource("/media/{name}").route(get_or_head().to(micropub::serve)))
        .service(web::resource("/auth/logout").route(web::post().to(auth::logout)))
        // Every method reaches the handler, so a disabled dev login is a plain 404.
        .service(web::resource("/dev/login").route(web::route().to(auth::dev_login)))
        .service(web::resource("/admin").route(get_or_head().to(admin::admin_root)))
        .service(web::resource("/admin/").route(get_or_head().to(admin::index)))
        .service(
            web::resource("/admin/new")
                .route(get_or_head().to(admin::new_form))
                .route(web::post().to(admin::create)),
        )
        .service(
            web::resource("/admin/edit/{id}")
                .route(get_or_head().to(admin::edit_form))
                .route(web::post().to(admin::update)),
        )
        .service(web::resource("/admin/metrics").route(get_or_head().to(metrics::dashboard)))
        .service(
            web::resource("/admin/metrics-dashboard").route(get_or_head().to(metrics::dashboard)),
        )
        .service(web::resource("/admin/health").route(get_or_head().to(health::page)))
        // Every method reaches the handler: without the token, /metrics is a plain 404.
        .service(web::resource("/metrics").route(web::route().to(metrics::prometheus)))
        .service(
            web::resource("/admin/delete/{id}")
                .route(get_or_head().to(admin::confirm_delete))
                .route(web::post().to(admin::delete)),
        )
        .service(web::resource("/admin/undelete/{id}").route(web::post().to(admin::undelete)))
        .default_service(web::to(public::not_found));
}
