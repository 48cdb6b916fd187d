//! Finding `rel` links in HTTP `Link` headers (RFC 8288) and HTML `<link>`/`<a>` elements.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use url::Url;

/// One link: a relation and its target, already resolved to an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The relation type, lower-cased (one per link; `rel="a b"` gives two).
    pub rel: String,
    /// The resolved target.
    pub href: Url,
}

/// The links of every `Link` header of a response, resolved against `base`, in order.
pub fn from_headers(headers: &reqwest::header::HeaderMap, base: &Url) -> Vec<Link> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| parse_link_header(v, base))
        .collect()
}

/// The links of one `Link` header value, resolved against `base`, in order.
///
/// Commas and semicolons inside `<…>` or quoted strings are part of the value, not separators;
/// a malformed link is skipped, the rest still count.
pub fn parse_link_header(value: &str, base: &Url) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(after_open) = rest.strip_prefix('<') else {
            // Not a link: skip to the next top-level comma.
            match next_separator(rest, ',') {
                Some(i) => {
                    rest = &rest[i + 1..];
                    continue;
                }
                None => break,
            }
        };
        let Some(close) = after_open.find('>') else {
            break;
        };
        let target = &after_open[..close];
        let mut params = &after_open[close + 1..];
        let end = next_separator(params, ',').unwrap_or(params.len());
        let remainder = &params[end..];
        params = &params[..end];
        let mut pieces = Vec::new();
        let mut rest_params = params;
        loop {
            match next_separator(rest_params, ';') {
                Some(i) => {
                    pieces.push(&rest_params[..i]);
                    rest_params = &rest_params[i + 1..];
                }
                None => {
                    pieces.push(rest_params);
                    break;
                }
            }
        }
        let param = |wanted: &str| {
            pieces.iter().find_map(|piece| {
                let (name, value) = piece.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().trim_matches('"').to_owned())
            })
        };
        // A link with an `anchor` is about another resource (RFC 8288 §3.2), not this page.
        let about_this_page = param("anchor").is_none();
        if let (true, Some(rels), Ok(href)) =
            (about_this_page, param("rel"), base.join(target.trim()))
        {
            for rel in rels.split_ascii_whitespace() {
                links.push(Link {
                    rel: rel.to_ascii_lowercase(),
                    href: href.clone(),
                });
            }
        }
        rest = remainder;
        if rest.is_empty() {
            break;
        }
    }
    links
}

/// The byte index of the first `separator` outside quotes and angle brackets.
fn next_separator(s: &str, separator: char) -> Option<usize> {
    let (mut quoted, mut angled) = (false, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' if !angled => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            c if c == separator && !quoted && !angled => return Some(i),
            _ => {}
        }
    }
    None
}

/// The `rel` links of an HTML document's `<link>` elements, resolved against `base` (or the
/// document's first `<base href>`), in document order. Only `<link>` counts (IndieAuth §4.1):
/// `<a rel>` in page content (comments, embeds) must never name the owner's servers, and nothing
/// inside raw-text elements such as `<script>` or `<textarea>` is markup.
pub fn parse_html(html: &str, base: &Url) -> Vec<Link> {
    let sink = LinkSink {
        base: RefCell::new(base.clone()),
        base_set: RefCell::new(false),
        raw_text: RefCell::new(None),
        links: RefCell::new(Vec::new()),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.links.into_inner()
}

struct LinkSink {
    base: RefCell<Url>,
    base_set: RefCell<bool>,
    /// Inside a raw-text element: its name; tags are text until its end tag.
    raw_text: RefCell<Option<String>>,
    links: RefCell<Vec<Link>>,
}

/// Elements whose content is text, not markup (the tokenizer alone does not know).
const RAW_TEXT: [&str; 9] = [
    "script", "style", "textarea", "title", "template", "noscript", "xmp", "iframe", "noembed",
];

impl LinkSink {
    fn tag(&self, tag: &Tag) {
        let name: &str = &tag.name;
        {
            let mut raw = self.raw_text.borrow_mut();
            if let Some(open) = raw.as_deref() {
                if tag.kind == TagKind::EndTag && open == name {
                    *raw = None;
                }
                return;
            }
            if tag.kind == TagKind::StartTag && RAW_TEXT.contains(&name) && !tag.self_closing {
                *raw = Some(name.to_owned());
                return;
            }
        }
        if tag.kind != TagKind::StartTag {
            return;
        }
        let attr = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == name)
                .map(|a| a.value.to_string())
        };
        match &*tag.name {
            // Only the first `<base href>` counts, as in browsers.
            "base" if !*self.base_set.borrow() => {
                let resolved = attr("href").and_then(|h| self.base.borrow().join(&h).ok());
                if let Some(url) = resolved {
                    *self.base.borrow_mut() = url;
                    *self.base_set.borrow_mut() = true;
                }
            }
            "link" => {
                let (Some(rels), Some(href)) = (attr("rel"), attr("href")) else {
                    return;
                };
                let Ok(href) = self.base.borrow().join(href.trim()) else {
                    return;
                };
                let mut links = self.links.borrow_mut();
                for rel in rels.split_ascii_whitespace() {
                    links.push(Link {
                        rel: rel.to_ascii_lowercase(),
                        href: href.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token {
            self.tag(&tag);
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://me.example/profile/").unwrap()
    }

    fn pairs(links: &[Link]) -> Vec<(String, String)> {
        links
            .iter()
            .map(|l| (l.rel.clone(), l.href.to_string()))
            .collect()
    }

    #[test]
    fn link_headers_split_on_top_level_commas_only() {
        let links = parse_link_header(
            r#"<https://auth.example/a,b>; rel="authorization_endpoint", </token>; rel=token_endpoint, <x>; rel="me authn"; title="a, b""#,
            &base(),
        );
        assert_eq!(
            pairs(&links),
            vec![
                (
                    "authorization_endpoint".into(),
                    "https://auth.example/a,b".into()
                ),
                ("token_endpoint".into(), "https://me.example/token".into()),
                ("me".into(), "https://me.example/profile/x".into()),
                ("authn".into(), "https://me.example/profile/x".into()),
            ]
        );
    }

    #[test]
    fn malformed_link_headers_lose_only_the_bad_part() {
        assert!(parse_link_header("", &base()).is_empty());
        assert!(parse_link_header("garbage", &base()).is_empty());
        assert!(parse_link_header("<unclosed; rel=x", &base()).is_empty());
        let links = parse_link_header("junk, <https://a.example/>; REL=Micropub", &base());
        assert_eq!(
            pairs(&links),
            vec![("micropub".into(), "https://a.example/".into())]
        );
        assert!(parse_link_header("<https://a.example/>; title=x", &base()).is_empty());
    }

    #[test]
    fn html_links_and_anchors_are_found_and_resolved() {
        let html = r#"<!doctype html><html><head>
            <link rel="indieauth-metadata" href="/.well-known/oauth-authorization-server">
            <LINK REL="Authorization_Endpoint" HREF="auth">
            </head><body><link rel="me token_endpoint" href="https://t.example/token">
            <link href="/no-rel"><link rel="micropub"></body></html>"#;
        assert_eq!(
            pairs(&parse_html(html, &base())),
            vec![
                (
                    "indieauth-metadata".into(),
                    "https://me.example/.well-known/oauth-authorization-server".into()
                ),
                (
                    "authorization_endpoint".into(),
                    "https://me.example/profile/auth".into()
                ),
                ("me".into(), "https://t.example/token".into()),
                ("token_endpoint".into(), "https://t.example/token".into()),
            ]
        );
    }

    #[test]
    fn base_href_changes_resolution() {
        let html =
            r#"<base href="https://other.example/dir/"><link rel="token_endpoint" href="t">"#;
        assert_eq!(
            pairs(&parse_html(html, &base())),
            vec![(
                "token_endpoint".into(),
                "https://other.example/dir/t".into()
            )]
        );
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    #[test]
    fn anchors_raw_text_and_later_bases_name_nothing() {
        let base = Url::parse("https://me.example/").unwrap();
        let html = r#"<base href="https://ok.example/"><base href="https://evil.example/">
            <a rel="authorization_endpoint" href="https://evil.example/a">comment</a>
            <script>var a = '<link rel="authorization_endpoint" href="https://evil.example/s">';</script>
            <textarea><link rel="indieauth-metadata" href="https://evil.example/t"></textarea>
            <title>x <link rel="token_endpoint" href="https://evil.example/x"></title>
            <link rel="token_endpoint" href="t">"#;
        let links = parse_html(html, &base);
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].href.as_str(), "https://ok.example/t");
    }

    #[test]
    fn quoted_semicolons_and_anchors_in_link_headers() {
        let base = Url::parse("https://me.example/").unwrap();
        let links = parse_link_header(
            r#"<https://a.example/>; title="x;rel=authorization_endpoint"; rel=token_endpoint, <https://b.example/>; anchor="https://other.example/"; rel=authorization_endpoint"#,
            &base,
        );
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].rel, "token_endpoint");
    }
}
