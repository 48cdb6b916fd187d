"""The "rules" validator of checks/feeds.py: what RSS 2.0 (with the RSS Advisory Board's
profile and Media RSS), RFC 4287 (Atom), OPML 2.0 and JSON Feed 1.1 require of the documents
starpunk writes, following the W3C Feed Validator's checks where it has them (message ids are
its names), so the gate still holds on machines where it cannot run.

Every check reports through `report.add(validator, level, document, code, message)`.
"""

import datetime
import email.utils
import html.parser
import json
import re
import urllib.parse

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED_1_1 = "https://jsonfeed.org/version/1.1"

# RFC 5646 well-formed language tags (grandfathered tags aside).
LANGTAG = re.compile(
    r"^(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language, extlang
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?$"  # private use
    r"|^x(?:-[a-z0-9]{1,8})+$",
    re.IGNORECASE,
)
MIME = re.compile(r"^[a-z0-9!#$&.+\-^_]+/[a-z0-9!#$&.+\-^_]+$", re.IGNORECASE)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
RSS_ITEM_ELEMENTS = {"title", "link", "description", "author", "category", "comments",
                     "enclosure", "guid", "pubDate", "source"}
MEDIUMS = {"image", "audio", "video", "document", "executable"}


def is_http_url(value):
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def is_rfc822(value):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    # Four-digit years and a zone, as the RSS profile asks.
    return parsed is not None and parsed.tzinfo is not None and re.search(r"\b\d{4}\b", value)


def is_rfc3339(value):
    if not isinstance(value, str) or not RFC3339.match(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def local(tag):
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def ns(tag):
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


class Links(html.parser.HTMLParser):
    """Collects the URLs of href and src attributes in an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)


def relative_refs(fragment):
    parser = Links()
    parser.feed(fragment or "")
    return [u for u in parser.urls if not urllib.parse.urlsplit(u.strip()).scheme]


class Checker:
    def __init__(self, report, document):
        self.report, self.document = report, document

    def error(self, code, message):
        self.report.add("rules", "error", self.document, code, message)

    def warning(self, code, message):
        self.report.add("rules", "warning", self.document, code, message)

    def one(self, parent, tag, where, required=True):
        found = parent.findall(tag)
        if len(found) > 1:
            self.error("DuplicateElement", f"{where} has {len(found)} {local(tag)} elements")
        if required and not found:
            self.error("MissingElement", f"{where} has no {local(tag)}")
        return found[0] if found else None

    def text_of(self, parent, tag, where, required=True):
        element = self.one(parent, tag, where, required)
        if element is None:
            return None
        value = (element.text or "").strip()
        if required and not value:
            self.error("NotBlank", f"{where}/{local(tag)} is blank")
        return value

    def language(self, value, where):
        if not value or not LANGTAG.match(value):
            self.error("InvalidLanguage", f"{where}: {value!r} is not a BCP 47 language tag")

    def url(self, value, where, code="InvalidURL"):
        if not is_http_url(value or ""):
            self.error(code, f"{where}: {value!r} is not an absolute http(s) URL")

    def html(self, fragment, where):
        for ref in relative_refs(fragment):
            self.warning("ContainsRelRef", f"{where} contains the relative URL {ref!r}")

    def self_link(self, href, expected, media_type, link_type, where):
        if href != expected:
            self.warning("SelfDoesntMatchLocation", f"{where}: self link {href!r}, fetched {expected}")
        if link_type != media_type:
            self.error("SelfNotAtom", f"{where}: self link type {link_type!r}, not {media_type}")


def check_rss(c, url, root):
    if root.tag != "rss" or root.get("version") != "2.0":
        c.error("InvalidRSSVersion", f"root is <{root.tag} version={root.get('version')!r}>")
    channels = root.findall("channel")
    if len(channels) != 1:
        c.error("MissingElement", f"{len(channels)} channel elements, not 1")
        return
    channel = channels[0]
    c.text_of(channel, "title", "channel")
    c.url(c.text_of(channel, "link", "channel"), "channel/link")
    c.text_of(channel, "description", "channel")
    c.language(c.text_of(channel, "language", "channel"), "channel/language")
    for date in ("lastBuildDate", "pubDate"):
        value = c.text_of(channel, date, "channel", required=False)
        if value is not None and not is_rfc822(value):
            c.error("InvalidRFC2822Date", f"channel/{date} {value!r}")
    selfs = [l for l in channel.findall(f"{{{ATOM}}}link") if l.get("rel") == "self"]
    if len(selfs) != 1:
        c.warning("MissingAtomSelfLink", f"{len(selfs)} atom:link rel=self, not 1")
    else:
        c.self_link(selfs[0].get("href"), url, "application/rss+xml", selfs[0].get("type"), "channel")
    guids = set()
    for n, item in enumerate(channel.findall("item"), 1):
        where = f"item {n}"
        for child in item:
            if not ns(child.tag) and child.tag not in RSS_ITEM_ELEMENTS:
                c.error("UndefinedElement", f"{where} has an undefined <{child.tag}>")
        title = c.text_of(item, "title", where, required=False)
        description = c.one(item, "description", where, required=False)
        if title is None and description is None:
            c.error("ItemMustContainTitleOrDescription", f"{where} has neither")
        if title is not None and re.search(r"</\w+>", title):
            c.warning("ContainsHTML", f"{where}/title contains HTML")
        c.url(c.text_of(item, "link", where), f"{where}/link")
        guid = c.one(item, "guid", where)
        if guid is not None:
            value = (guid.text or "").strip()
            if guid.get("isPermaLink", "true") == "true":
                c.url(value, f"{where}/guid", "InvalidHttpGUID")
            if value in guids:
                c.error("DuplicateValue", f"{where}: guid {value!r} repeats")
            guids.add(value)
        date = c.text_of(item, "pubDate", where)
        if date and not is_rfc822(date):
            c.error("InvalidRFC2822Date", f"{where}/pubDate {date!r}")
        if description is not None:
            c.html(description.text, f"{where}/description")
        encoded = c.one(item, f"{{{CONTENT}}}encoded", where, required=False)
        if encoded is not None:
            c.html(encoded.text, f"{where}/content:encoded")
        enclosures = item.findall("enclosure")
        if len(enclosures) > 1:
            c.warning("DuplicateEnclosure", f"{where} has {len(enclosures)} enclosures")
        for enclosure in enclosures:
            c.url(enclosure.get("url"), f"{where}/enclosure url")
            if not (enclosure.get("length") or "").isdigit():
                c.error("MissingAttribute", f"{where}/enclosure length {enclosure.get('length')!r}")
            if not MIME.match(enclosure.get("type") or ""):
                c.error("InvalidMIMEAttribute", f"{where}/enclosure type {enclosure.get('type')!r}")
        for content in item.findall(f"{{{MEDIA}}}content"):
            c.url(content.get("url"), f"{where}/media:content url")
            if content.get("medium") not in (None, *MEDIUMS):
                c.error("InvalidMediaMedium", f"{where}/media:content medium")
            if content.get("fileSize") is not None and not content.get("fileSize").isdigit():
                c.error("InvalidNonNegativeInteger", f"{where}/media:content fileSize")
            if content.get("type") is not None and not MIME.match(content.get("type")):
                c.error("InvalidMIMEType", f"{where}/media:content type")


def atom(tag):
    return f"{{{ATOM}}}{tag}"


def check_atom(c, url, root):
    if root.tag != atom("feed"):
        c.error("InvalidNamespace", f"root is {root.tag}, not an Atom feed")
        return
    c.language(root.get(XML_LANG), "feed xml:lang")
    c.url(c.text_of(root, atom("id"), "feed"), "feed/id", "InvalidFullLink")
    c.text_of(root, atom("title"), "feed")
    updated = c.text_of(root, atom("updated"), "feed")
    if updated and not is_rfc3339(updated):
        c.error("InvalidRFC3339Date", f"feed/updated {updated!r}")
    feed_author = root.find(atom("author"))
    if feed_author is not None:
        c.text_of(feed_author, atom("name"), "feed/author")
    links = root.findall(atom("link"))
    selfs = [l for l in links if l.get("rel") == "self"]
    if len(selfs) != 1:
        c.warning("MissingSelf", f"{len(selfs)} link rel=self, not 1")
    else:
        c.self_link(selfs[0].get("href"), url, "application/atom+xml", selfs[0].get("type"), "feed")
    ids = set()
    for n, entry in enumerate(root.findall(atom("entry")), 1):
        where = f"entry {n}"
        entry_id = c.text_of(entry, atom("id"), where)
        c.url(entry_id, f"{where}/id", "InvalidFullLink")
        if entry_id in ids:
            c.error("DuplicateEntries", f"{where}: id {entry_id!r} repeats")
        ids.add(entry_id)
        title = c.one(entry, atom("title"), where)
        if title is not None and not (title.text or "").strip():
            c.warning("EmptyTitle", f"{where}: entry title is empty")
        for date in ("updated", "published"):
            value = c.text_of(entry, atom(date), where, required=(date == "updated"))
            if value and not is_rfc3339(value):
                c.error("InvalidRFC3339Date", f"{where}/{date} {value!r}")
        if feed_author is None and entry.find(atom("author")) is None:
            c.error("MissingAuthor", f"{where} has no author and the feed has none")
        content = c.one(entry, atom("content"), where, required=False)
        alternates = [l for l in entry.findall(atom("link")) if l.get("rel", "alternate") == "alternate"]
        if content is None and not alternates:
            c.error("MissingContentOrAlternate", f"{where} has neither content nor an alternate link")
        if content is not None:
            kind = content.get("type", "text")
            if kind not in ("text", "html", "xhtml") and not MIME.match(kind):
                c.error("InvalidContentType", f"{where}/content type {kind!r}")
        for link in entry.findall(atom("link")):
            c.url(link.get("href"), f"{where}/link href")
            if link.get("length") is not None and not link.get("length").isdigit():
                c.error("InvalidNonNegativeInteger", f"{where}/link length")
            if link.get("type") is not None and not MIME.match(link.get("type")):
                c.error("InvalidMIMEType", f"{where}/link type")
            if link.get("title") is not None and not link.get("title").strip():
                c.error("AttrNotBlank", f"{where}/link title is blank")


def check_opml(c, url, root):
    if root.tag != "opml" or root.get("version") != "2.0":
        c.error("InvalidOPMLVersion", f"root is <{root.tag} version={root.get('version')!r}>")
    head = c.one(root, "head", "opml")
    if head is not None:
        c.text_of(head, "title", "head")
    body = c.one(root, "body", "opml")
    outlines = body.findall(".//outline") if body is not None else []
    if not outlines:
        c.error("MissingElement", "body has no outline")
    for n, outline in enumerate(outlines, 1):
        where = f"outline {n}"
        if not (outline.get("text") or "").strip():
            c.error("MissingAttribute", f"{where} has no text")
        for attribute in ("text", "title"):
            value = outline.get(attribute) or ""
            if re.search(r"<|&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);)", value, re.IGNORECASE):
                c.warning("NotHtml", f"{where} {attribute} is not valid HTML text: {value!r}")
        if outline.get("type") == "rss":
            c.url(outline.get("xmlUrl"), f"{where} xmlUrl")
        if outline.get("htmlUrl") is not None:
            c.url(outline.get("htmlUrl"), f"{where} htmlUrl")


def check_rss_plain_text(c, body):
    """The RSS Best Practices Profile: `&` and `<` in plain-text elements as hexadecimal
    character references, so no reader takes them for HTML (the W3C validator's
    CharacterData warning)."""
    text = body.decode("utf-8", "replace")
    for name in ("title", "category", "media:description"):
        for value in re.findall(rf"<{name}(?:\s[^>]*)?>([^<]*)</{name}>", text):
            if re.search(r"&(?:amp|lt|#38|#60);", value):
                c.warning("CharacterData", f"{name} {value!r}: use &#x26; and &#x3C;")


def check_xml(report, document, kind, url, root, body):
    checker = Checker(report, document)
    {"rss": check_rss, "atom": check_atom, "opml": check_opml}[kind](checker, url, root)
    if kind == "rss":
        check_rss_plain_text(checker, body)


def check_json_feed(report, document, url, body):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): required fields and the types of
    every field starpunk writes."""
    c = Checker(report, document)
    try:
        feed = json.loads(body)
    except ValueError as e:
        c.error("NotJSON", str(e))
        return
    report.ran.add("json")
    if not isinstance(feed, dict):
        c.error("NotAnObject", "the feed is not a JSON object")
        return
    if feed.get("version") != JSON_FEED_1_1:
        c.error("Version", f"version {feed.get('version')!r}, not {JSON_FEED_1_1}")
    if not isinstance(feed.get("title"), str) or not feed["title"].strip():
        c.error("MissingTitle", "title is required")
    for key in ("home_page_url", "feed_url"):
        if key in feed:
            c.url(feed[key], key)
        else:
            c.warning("Missing", f"{key} is strongly recommended")
    if feed.get("feed_url") not in (None, url):
        c.warning("SelfDoesntMatchLocation", f"feed_url {feed['feed_url']!r}, fetched {url}")
    for key in ("description", "user_comment", "next_url", "icon", "favicon"):
        if key in feed and not isinstance(feed[key], str):
            c.error("Type", f"{key} must be a string")
    if "language" in feed:
        c.language(feed["language"], "language")
    if "author" in feed:
        c.warning("Deprecated", "author is deprecated in 1.1: use authors")
    check_authors(c, feed.get("authors"), "authors")
    items = feed.get("items")
    if not isinstance(items, list):
        c.error("MissingItems", "items must be an array")
        return
    ids = set()
    for n, item in enumerate(items, 1):
        check_json_item(c, item, f"item {n}", ids)


def check_authors(c, authors, where):
    if authors is None:
        return
    if not isinstance(authors, list) or not authors:
        c.error("Type", f"{where} must be a non-empty array")
        return
    for author in authors:
        keys = {"name", "url", "avatar"} & set(author if isinstance(author, dict) else ())
        if not keys:
            c.error("Type", f"{where}: each author needs a name, url or avatar")


def check_json_item(c, item, where, ids):
    if not isinstance(item, dict):
        c.error("Type", f"{where} is not an object")
        return
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        c.error("MissingId", f"{where} needs a non-empty string id")
    elif item_id in ids:
        c.error("DuplicateId", f"{where}: id {item_id!r} repeats")
    ids.add(item_id)
    if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
        c.error("MissingContent", f"{where} needs content_html or content_text")
    for key in ("url", "external_url", "image", "banner_image"):
        if key in item:
            c.url(item[key], f"{where}/{key}")
    for key in ("title", "summary", "content_html", "content_text", "language"):
        if key in item and not isinstance(item[key], str):
            c.error("Type", f"{where}/{key} must be a string")
    if "content_html" in item:
        c.html(item["content_html"], f"{where}/content_html")
    for key in ("date_published", "date_modified"):
        if key in item and not is_rfc3339(item[key]):
            c.error("InvalidRFC3339Date", f"{where}/{key} {item[key]!r}")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        c.error("Type", f"{where}/tags must be an array of strings")
    check_authors(c, item.get("authors"), f"{where}/authors")
    for attachment in item.get("attachments", []):
        if not isinstance(attachment, dict) or not {"url", "mime_type"} <= set(attachment):
            c.error("MissingAttribute", f"{where}: an attachment needs url and mime_type")
