//! Admin pages: the list of every note, the note form with preview, and the confirmation asked
//! before a note is deleted.

use maud::{Markup, PreEscaped, html};

use super::layout::{PageContext, page};
use super::{human_date, rfc3339};
use crate::domain::{Cursor, Note};

/// A form's current values, so a failed or previewed submission loses nothing.
#[derive(Debug, Default, Clone)]
pub struct NoteForm {
    /// The Markdown source.
    pub content: String,
    /// The requested slug (create only).
    pub slug: String,
    /// The published toggle.
    pub published: bool,
}

/// What the note form page shows besides the fields.
pub struct FormPage<'a> {
    /// `None` when creating, else the note being edited.
    pub editing: Option<&'a Note>,
    /// The values to show.
    pub form: &'a NoteForm,
    /// Sanitised preview HTML, when the preview button was used.
    pub preview: Option<String>,
    /// A problem to explain above the form.
    pub error: Option<String>,
}

/// `/admin/`: every note, drafts and deleted ones marked, with their actions.
pub fn index(
    ctx: &PageContext<'_>,
    notes: &[Note],
    older: Option<Cursor>,
    flash: Option<&str>,
) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or_default();
    let content = html! {
        div.admin-header {
            h1 { "Notes" }
            a.button href="/admin/new" { "New note" }
        }
        nav.admin-links aria-label="Admin" {
            a href="/admin/sign-in" { "Sign-in" } " · "
            @if ctx.config.owner_is_site() {
                a href="/admin/apps" { "Apps" } " · "
            }
            a href="/admin/metrics" { "Metrics" } " · "
            a href="/admin/health" { "Health" }
        }
        @if let Some(message) = flash {
            p.flash.flash-ok role="status" { (message) }
        }
        @if notes.is_empty() {
            p.empty { "No notes yet. " a href="/admin/new" { "Write the first one." } }
        } @else {
            table.admin-notes {
                thead { tr { th { "Note" } th { "Date" } th { "State" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for note in notes {
                        tr.deleted[note.is_deleted()] {
                            td.note-summary {
                                a href=(format!("/notes/{}", note.slug)) dir="auto" { (note.title()) }
                                br;
                                code.slug { (note.slug) }
                            }
                            td { time datetime=(rfc3339(note.published_at)) { (human_date(note.published_at)) } }
                            td {
                                @if note.is_deleted() {
                                    span.badge.badge-deleted { "Deleted" }
                                } @else if !note.published {
                                    span.badge.badge-draft { "Draft" }
                                } @else {
                                    span.badge.badge-published { "Published" }
                                }
                            }
                            td.actions {
                                div.row-actions {
                                    a.button.button-secondary href=(format!("/admin/edit/{}", note.id)) { "Edit" }
                                    @if note.is_deleted() {
                                        form.inline method="post" action=(format!("/admin/undelete/{}", note.id)) {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            button.button.button-secondary type="submit" { "Restore" }
                                        }
                                    } @else {
                                        // A page that asks first: deleting works without JavaScript.
                                        a.button.button-danger href=(format!("/admin/delete/{}", note.id)) { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = older {
            nav.pagination {
                a.button rel="next" href=(format!("/admin/?before={cursor}")) { "Older notes →" }
            }
        }
    };
    page(ctx, "Admin", content)
}

/// `/admin/new` and `/admin/edit/{id}`.
pub fn note_form(ctx: &PageContext<'_>, view: &FormPage<'_>) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or_default();
    let (title, action) = match view.editing {
        Some(note) => (
            format!("Edit {}", note.slug),
            format!("/admin/edit/{}", note.id),
        ),
        None => ("New note".to_owned(), "/admin/new".to_owned()),
    };
    let content = html! {
        h1 { (title) }
        @if let Some(note) = view.editing {
            p.note-state {
                a href=(format!("/notes/{}", note.slug)) { "/notes/" (note.slug) }
                @if note.is_deleted() { " " span.badge.badge-deleted { "Deleted" } }
            }
        }
        @if let Some(error) = &view.error {
            p.flash.flash-error role="alert" { (error) }
        }
        // With a preview, the editor and the preview sit side by side on a wide screen; on a
        // narrow one the Preview button's `#preview` scrolls the browser down to it.
        div.editor.editor-with-preview[view.preview.is_some()] {
            form.note-form method="post" action=(action) {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="content" { "Content " span.hint { "(Markdown)" } }
                textarea #content name="content" rows="14" required { (view.form.content) }
                @if view.editing.is_none() {
                    label for="slug" { "Slug " span.hint { "(optional; made from the first words if empty)" } }
                    input #slug type="text" name="slug" value=(view.form.slug) maxlength="100" pattern="[A-Za-z0-9 _-]*";
                }
                label.checkbox {
                    input type="checkbox" name="published" value="true" checked[view.form.published];
                    " Published (untick to keep a draft)"
                }
                div.form-actions {
                    button.button type="submit" name="action" value="save" { "Save" }
                    button.button.button-secondary type="submit" name="action" value="preview"
                        formaction=(format!("{action}#preview")) { "Preview" }
                    a href="/admin/" { "Cancel" }
                }
            }
            @if let Some(preview) = &view.preview {
                section #preview .preview aria-labelledby="preview-heading" {
                    h2 #preview-heading { "Preview" }
                    // Sanitised by the same renderer that stores notes.
                    div.note-content { (PreEscaped(preview)) }
                }
            }
        }
    };
    page(ctx, &title, content)
}

/// `/admin/delete/{id}`: asks before a note is deleted; the form posts back to the same address.
pub fn delete_confirmation(ctx: &PageContext<'_>, note: &Note) -> Markup {
    let csrf = ctx.owner_csrf.unwrap_or_default();
    let title = note.title();
    let content = html! {
        @if note.is_deleted() {
            h1.confirm-title { "«" (title) "» is already deleted" }
            p { "Its address answers 410 Gone. Restore it to bring it back." }
            div.form-actions {
                form.inline method="post" action=(format!("/admin/undelete/{}", note.id)) {
                    input type="hidden" name="csrf_token" value=(csrf);
                    button.button type="submit" { "Restore" }
                }
                a href="/admin/" { "Back to the notes" }
            }
        } @else {
            h1.confirm-title { "Delete «" (title) "»?" }
            p {
                "Its address " a href=(format!("/notes/{}", note.slug)) { "/notes/" (note.slug) }
                " will answer 410 Gone. It can be restored from the list."
            }
            form.confirm-delete method="post" action=(format!("/admin/delete/{}", note.id)) {
                input type="hidden" name="csrf_token" value=(csrf);
                div.form-actions {
                    button.button.button-danger type="submit" { "Delete" }
                    a href="/admin/" { "Cancel" }
                }
            }
        }
    };
    page(ctx, &format!("Delete {}", note.slug), content)
}
