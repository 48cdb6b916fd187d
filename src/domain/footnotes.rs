//! Markdown footnotes whose links reach their targets wherever a note is shown.
//!
//! pulldown-cmark writes `href="#1"` and `id="1"` in every note, so on a page of twenty notes
//! the links collide, and the sanitiser drops the ids anyway. Here each reference becomes
//! `<sup class="footnote-ref"><a href="#fn-{prefix}-{n}" id="fnref-{prefix}-{n}">n</a></sup>`,
//! numbered in the order first referenced, and the definitions one list at the end of the note
//! (`<div class="footnotes">`), each item `id="fn-{prefix}-{n}"` with a link back. The prefix is
//! the note's slug, so ids are unique on any page of notes; the sanitiser keeps exactly these ids
//! ([`is_footnote_id`]) and classes.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// Whether `id` has the shape this module writes (`fn-…`, `fnref-…`: lower-case letters, digits
/// and hyphens): the only ids a note may carry.
pub fn is_footnote_id(id: &str) -> bool {
    id.strip_prefix("fnref-")
        .or_else(|| id.strip_prefix("fn-"))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Footnote labels match without regard to case, as in GitHub Flavored Markdown.
fn key(label: &str) -> String {
    label.to_lowercase()
}

/// Numbers handed out so far.
struct Numbers<'p> {
    prefix: &'p str,
    /// Labels that have a definition.
    defined: HashSet<String>,
    /// Labels in number order (number = index + 1).
    order: Vec<String>,
    /// Each numbered label's number and how many references it has had.
    seen: HashMap<String, (usize, usize)>,
}

impl Numbers<'_> {
    fn number(&mut self, key: &str) -> &mut (usize, usize) {
        if !self.seen.contains_key(key) {
            self.order.push(key.to_owned());
            self.seen.insert(key.to_owned(), (self.order.len(), 0));
        }
        self.seen.entry(key.to_owned()).or_default()
    }

    /// The events with every reference to a defined label made a numbered link.
    fn link<'a>(&mut self, events: Vec<Event<'a>>) -> Vec<Event<'a>> {
        let prefix = self.prefix.to_owned();
        events
            .into_iter()
            .map(|event| match event {
                Event::FootnoteReference(label) if self.defined.contains(&key(&label)) => {
                    let (n, refs) = self.number(&key(&label));
                    *refs += 1;
                    let suffix = match *refs {
                        1 => String::new(),
                        k => format!("-{k}"),
                    };
                    Event::InlineHtml(CowStr::from(format!(
                        "<sup class=\"footnote-ref\"><a href=\"#fn-{prefix}-{n}\" \
                         id=\"fnref-{prefix}-{n}{suffix}\">{n}</a></sup>"
                    )))
                }
                Event::FootnoteReference(label) => Event::Text(format!("[^{label}]").into()),
                other => other,
            })
            .collect()
    }
}

/// The note's events with footnotes rewritten (see the module documentation); `prefix` is
/// the note's slug (letters, digits and hyphens).
pub fn link<'a>(events: impl Iterator<Item = Event<'a>>, prefix: &str) -> Vec<Event<'a>> {
    let mut body = Vec::new();
    let mut written: Vec<(String, Vec<Event<'a>>)> = Vec::new();
    let mut open: Vec<(String, Vec<Event<'a>>)> = Vec::new();
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => open.push((key(&label), Vec::new())),
            Event::End(TagEnd::FootnoteDefinition) => written.extend(open.pop()),
            event => match open.last_mut() {
                Some((_, inner)) => inner.push(event),
                None => body.push(event),
            },
        }
    }
    written.extend(open.into_iter().rev());
    let order: Vec<String> = written.iter().map(|(k, _)| k.clone()).collect();
    // The first definition of a label wins.
    let mut definitions: HashMap<String, Vec<Event<'a>>> = HashMap::new();
    for (k, inner) in written.into_iter().rev() {
        definitions.insert(k, inner);
    }
    let mut numbers = Numbers {
        prefix,
        defined: definitions.keys().cloned().collect(),
        order: Vec::new(),
        seen: HashMap::new(),
    };
    let mut out = numbers.link(body);
    let mut items = Vec::new();
    loop {
        while items.len() < numbers.order.len() {
            let k = numbers.order[items.len()].clone();
            let inner = definitions.remove(&k).unwrap_or_default();
            let linked = numbers.link(inner);
            let referenced = numbers.seen.get(&k).is_some_and(|(_, refs)| *refs > 0);
            items.push((linked, referenced));
        }
        // A definition never referenced still shows, after the others, with no way back.
        match order.iter().find(|k| definitions.contains_key(*k)) {
            Some(k) => {
                numbers.number(k);
            }
            None => break,
        }
    }
    if items.is_empty() {
        return out;
    }
    out.push(Event::Html("<div class=\"footnotes\"><hr><ol>".into()));
    for (i, (mut inner, referenced)) in items.into_iter().enumerate() {
        let n = i + 1;
        out.push(Event::Html(format!("<li id=\"fn-{prefix}-{n}\">").into()));
        if referenced {
            let back = Event::InlineHtml(CowStr::from(format!(
                " <a href=\"#fnref-{prefix}-{n}\" class=\"footnote-backref\" \
                 title=\"Back to the text\">↩\u{fe0e}</a>"
            )));
            match inner.last() {
                Some(Event::End(TagEnd::Paragraph)) => inner.insert(inner.len() - 1, back),
                _ => inner.push(back),
            }
        }
        out.extend(inner);
        out.push(Event::Html("</li>".into()));
    }
    out.push(Event::Html("</ol></div>".into()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Options, Parser, html};

    fn render(md: &str, prefix: &str) -> String {
        let events = link(Parser::new_ext(md, Options::ENABLE_FOOTNOTES), prefix);
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    }

    #[test]
    fn references_and_definitions_link_both_ways_under_the_prefix() {
        let html = render("Footnote here[^1].\n\n[^1]: the note.", "footnote-here");
        assert!(
            html.contains(
                "<sup class=\"footnote-ref\"><a href=\"#fn-footnote-here-1\" \
                 id=\"fnref-footnote-here-1\">1</a></sup>"
            ),
            "{html}"
        );
        assert!(html.contains("<li id=\"fn-footnote-here-1\">"), "{html}");
        assert!(html.contains("href=\"#fnref-footnote-here-1\""), "{html}");
    }

    #[test]
    fn numbers_follow_first_references_and_repeat_references_get_their_own_ids() {
        let html = render(
            "A[^b] B[^a] C[^B]\n\n[^a]: first written\n[^b]: second written\n[^z]: unused",
            "p",
        );
        let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} in {html}"));
        assert!(pos("second written") < pos("first written"));
        assert!(pos("first written") < pos("unused"));
        assert!(html.contains("id=\"fnref-p-1-2\""), "{html}");
        assert!(html.contains("<li id=\"fn-p-3\">"), "{html}");
        assert!(
            !html.contains("#fnref-p-3"),
            "no way back to nothing: {html}"
        );
    }

    #[test]
    fn only_this_modules_ids_pass() {
        assert!(is_footnote_id("fn-my-note-1"));
        assert!(is_footnote_id("fnref-my-note-1-2"));
        for bad in ["", "fn-", "1", "header-q", "fn-A", "fn-x y", "content"] {
            assert!(!is_footnote_id(bad), "{bad:?}");
        }
    }
}
