//! The search page: form, results with highlighted excerpts, pagination, empty states.

use maud::{Markup, PreEscaped, html};

use super::layout::{PageContext, page as layout};
use serde::Serialize;

/// One result as shown or served.
#[derive(Debug, Clone, Serialize)]
pub struct ResultItem {
    /// The note's slug.
    pub slug: String,
    /// Absolute permalink.
    pub url: String,
    /// The note's name or first words.
    pub title: String,
    /// RFC 3339.
    pub published: String,
    /// Excerpt of the note's plain text as HTML: escaped text with `<mark>` around matches.
    pub excerpt_html: String,
    /// Whether the note is a draft (only the owner sees drafts).
    pub draft: bool,
}

/// What the page shows.
pub enum SearchView {
    /// No query yet: just the form.
    Form,
    /// A query and a page of its results.
    Results {
        /// The query as typed.
        query: String,
        /// This page's results.
        items: Vec<ResultItem>,
        /// Matches in all.
        total: u64,
        /// 1-based page number.
        page: u32,
        /// Results per page.
        page_size: u32,
    },
}

fn form(query: &str) -> Markup {
    html! {
        // Named apart from the header's search form: two search landmarks on one page.
        form.search-form role="search" aria-label="Search notes" method="get" action="/search" {
            label.visually-hidden for="search-q" { "Search notes" }
            input #search-q type="search" name="q" value=(query) placeholder="Search notes" required;
            button.button type="submit" { "Search" }
        }
    }
}

/// The page.
pub fn page(ctx: &PageContext<'_>, view: &SearchView) -> Markup {
    let content = match view {
        SearchView::Form => html! {
            h1 { "Search" }
            (form(""))
        },
        SearchView::Results {
            query,
            items,
            total,
            page,
            page_size,
        } => {
            let shown_from = u64::from(page - 1) * u64::from(*page_size) + 1;
            let has_more = u64::from(*page) * u64::from(*page_size) < *total;
            let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
            html! {
                h1 { "Search" }
                (form(query))
                @if *total == 0 {
                    p.empty #search-count { "No notes match “" (query) "”." }
                } @else {
                    p #search-count {
                        (total) @if *total == 1 { " note matches" } @else { " notes match" } " “" (query) "”"
                        @if *total > u64::from(*page_size) {
                            " · showing " (shown_from) "–" (shown_from + items.len() as u64 - 1)
                        }
                    }
                    ol.search-results {
                        @for item in items {
                            li.search-result.h-entry {
                                a.result-title.p-name.u-url href=(item.url) dir="auto" { (item.title) }
                                @if item.draft { " " span.badge.badge-draft { "Draft" } }
                                " "
                                time.dt-published datetime=(item.published) { (item.published.get(..10).unwrap_or_default()) }
                                // Escaped text with only <mark> added: see domain::search::highlight.
                                p.excerpt.p-summary dir="auto" { (PreEscaped(&item.excerpt_html)) }
                            }
                        }
                    }
                    nav.pagination aria-label="Result pages" {
                        @if *page > 1 {
                            a.button.button-secondary rel="prev" href=(format!("/search?q={encoded}&page={}", page - 1)) { "← Previous" }
                        }
                        @if has_more {
                            a.button rel="next" href=(format!("/search?q={encoded}&page={}", page + 1)) { "Next →" }
                        }
                    }
                }
            }
        }
    };
    layout(ctx, "Search", content)
}
