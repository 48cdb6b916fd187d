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
        let rels = params
            .split(';')
            .filter_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| value.trim().trim_matches('"').to_owned())
            })
            .next();
        if let (Some(rels), Ok(href)) = (rels, base.join(target.trim())) {
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

/// The `rel` links of an HTML document's `<link>` and `<a>` elements, resolved against `base`
/// (or the document's `<base href>`), in document order.
pub fn parse_html(html: &str, base: &Url) -> Vec<Link> {
    let sink = LinkSink {
        base: RefCell::new(base.clone()),
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
    links: RefCell<Vec<Link>>,
}

impl LinkSink {
    fn tag(&self, tag: &Tag) {
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
            "base" => {
                let resolved = attr("href").and_then(|h| self.base.borrow().join(&h).ok());
                if let Some(url) = resolved {
                    *self.base.borrow_mut() = url;
                }
            }
            "link" | "a" => {
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
            </head><body><a rel="me token_endpoint" href="https://t.example/token">x</a>
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
