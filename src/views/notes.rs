//! Public pages: the home `h-feed` and one note's `h-entry`.

use maud::{Markup, PreEscaped, html};

use super::layout::{PageContext, author_card, page};
use super::{human_date, rfc3339};
use crate::domain::{Cursor, Note, html};

/// The home page: newest visible notes and a link to older ones.
pub fn home(
    ctx: &PageContext<'_>,
    notes: &[Note],
    older: Option<Cursor>,
    is_first_page: bool,
) -> Markup {
    let site = ctx.site();
    let content = html! {
        div.h-feed {
            header.feed-header {
                h1.p-name { (site.name) }
                @if !site.description.is_empty() {
                    p.p-summary.feed-description { (site.description) }
                }
                a.u-url hidden href=(site.url.as_str()) { "" }
                (author_card(ctx.config, true))
            }
            @if notes.is_empty() {
                p.empty {
                    @if is_first_page { "No notes yet." } @else { "No older notes." }
                }
            }
            @for note in notes {
                (entry(ctx, note, false))
            }
            nav.pagination aria-label="Pages" {
                @if !is_first_page {
                    a.button.button-secondary href="/" { "← Newest" }
                }
                @if let Some(cursor) = older {
                    a.button rel="next" href=(format!("/?before={cursor}")) { "Older notes →" }
                }
            }
        }
    };
    page(ctx, &site.name, content)
}

/// One note's permalink page.
pub fn note_page(ctx: &PageContext<'_>, note: &Note) -> Markup {
    page(ctx, &note.title(), entry(ctx, note, true))
}

/// An `h-entry`. On its own page it carries the author h-card and the page's one `h1`: the
/// note's name, else the heading the note opens with (stored one level down, as the home page
/// shows it under the site's `h1`), else its title for screen readers only. In the feed the
/// feed's h-card and `h1` serve.
fn entry(ctx: &PageContext<'_>, note: &Note, standalone: bool) -> Markup {
    let site = ctx.site();
    let url = site.absolute(&note.path());
    let photos = note.photos();
    let categories = note.categories();
    let name = note.name.as_deref().filter(|n| !n.trim().is_empty());
    let promoted = (standalone && name.is_none())
        .then(|| html::promote_leading_heading(&note.content_html))
        .flatten();
    let body = promoted.as_deref().unwrap_or(&note.content_html);
    html! {
        article.h-entry.note {
            @if let Some(name) = name {
                @if standalone {
                    h1.p-name.note-title dir="auto" { (name) }
                } @else {
                    h2.p-name.note-title dir="auto" { a href=(url) { (name) } }
                }
            } @else if standalone && promoted.is_none() {
                h1.visually-hidden dir="auto" {
                    @match note.title().as_str() {
                        "" => { "Note of " (human_date(note.published_at)) }
                        title => (title),
                    }
                }
            }
            @if !note.published {
                p.badge.badge-draft { "Draft — only you can see this" }
            }
            // The one place stored HTML is inserted: it was sanitised by ammonia on write (and
            // on a permalink its leading `h2` may be renamed `h1`, see `html::promote_leading_heading`).
            div.e-content.note-content dir="auto" { (PreEscaped(body)) }
            @for photo in &photos {
                figure.note-photo {
                    img.u-photo src=(photo.url) alt=(photo.alt) loading="lazy";
                }
            }
            footer.note-meta {
                a.u-url.permalink href=(url) {
                    time.dt-published datetime=(rfc3339(note.published_at)) { (human_date(note.published_at)) }
                }
                @if note.updated_at > note.created_at + 60 {
                    " · edited "
                    time.dt-updated datetime=(rfc3339(note.updated_at)) { (human_date(note.updated_at)) }
                }
                @if !categories.is_empty() {
                    ul.categories {
                        @for category in &categories {
                            li { span.p-category.tag { (category) } }
                        }
                    }
                }
                @if standalone {
                    (author_card(ctx.config, true))
                }
                @if ctx.owner_csrf.is_some() {
                    " · "
                    a href=(format!("/admin/edit/{}", note.id)) { "Edit" }
                }
            }
        }
    }
}
