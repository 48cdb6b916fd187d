#!/usr/bin/env python3
"""Validate a running starpunk's feeds: /feed.rss, /feed.atom, /feed.json and /opml.xml.

    checks/feeds.py http://127.0.0.1:8000/          validate the feeds of a running site
    checks/feeds.py --start target/debug/starpunk   start that binary on loopback with notes
                                                    that exercise every feature, validate, stop

Every error and warning is printed; the exit status is 1 when there is any error, or any
warning that is not in ALLOWED below (each allowed warning says why; README.md, "Feed
validation", says the same), 2 on a usage or start-up problem, 0 otherwise.

Validators, each run when it can be imported:

* w3c: the W3C Feed Validator itself (RSS, Atom, OPML), the program behind
  validator.w3.org/feed. It is on no package registry: give the `src` folder of a checkout of
  the w3c/feedvalidator repository with --w3c DIR or W3C_FEEDVALIDATOR=DIR (it needs lxml,
  html5lib and rdflib). Its "AA" level is used, as on its web site: errors and warnings.
* xml: lxml's strict XML parser (well-formedness, namespaces).
* feedparser: the Universal Feed Parser's `bozo` flag and the version it detects.
* rules: the requirements of RSS 2.0 (with the RSS Advisory Board's profile and Media RSS),
  RFC 4287 (Atom), OPML 2.0 and JSON Feed 1.1 that apply to what starpunk writes, written
  after the W3C validator's own checks so that the gate holds where it cannot run (CI).

Only the Python standard library is needed to start; checks/install-feeds.sh installs lxml
and feedparser on Debian.
"""

import argparse
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # leave no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeds_rules as rules  # noqa: E402
import feeds_seed as seed  # noqa: E402

# Warnings that do not fail the check: (validator, document, message id, text the message
# contains) -> why. Keep each reason in README.md ("Feed validation") too.
ALLOWED = {
    # An untitled note's Atom entry has an empty title on purpose. RFC 4287 requires the
    # element but not text in it; anything we put there would be the note's own text again
    # (shown twice by every reader) or a made-up word such as "Note". Readers show the content
    # instead (and some, e.g. Miniflux, make their own title from it). RSS and JSON Feed simply
    # leave the title out.
    ("w3c", "feed.atom", "NotBlank", "title should not be blank"):
        "untitled notes have an empty Atom title by design",
    ("rules", "feed.atom", "EmptyTitle", "entry title is empty"):
        "untitled notes have an empty Atom title by design",
}

DOCUMENTS = [
    ("feed.rss", "rss", "application/rss+xml"),
    ("feed.atom", "atom", "application/atom+xml"),
    ("feed.json", "json", "application/feed+json"),
    ("opml.xml", "opml", "text/x-opml"),
]


class Report:
    """Every finding, printed as it comes, and the verdict."""

    def __init__(self):
        self.failed = 0
        self.allowed = 0
        self.ran = set()

    def add(self, validator, level, document, code, message):
        reason = None
        if level == "warning":
            for (v, d, c, text), why in ALLOWED.items():
                if (v, d, c) == (validator, document, code) and text in message:
                    reason = why
        if reason:
            self.allowed += 1
            print(f"allowed {level} [{validator}] {document}: {code}: {message} ({reason})")
        else:
            self.failed += 1
            print(f"{level} [{validator}] {document}: {code}: {message}")


def fetch(url):
    request = urllib.request.Request(url, headers={"User-Agent": "starpunk-checks/1"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Type", ""), response.read()


def w3c_validator(path):
    """The W3C validator's package, imported from `path`, or None."""
    if not path:
        return None
    sys.path.insert(0, path)
    try:
        import feedvalidator  # noqa: F401
        from feedvalidator import compatibility
        from feedvalidator.formatter.text_plain import Formatter
    except ImportError as e:
        print(f"w3c: cannot import the W3C Feed Validator from {path}: {e}", file=sys.stderr)
        sys.exit(2)
    return feedvalidator, compatibility, Formatter


def run_w3c(w3c, report, name, url, content_type, body):
    feedvalidator, compatibility, Formatter = w3c
    from feedvalidator import logging as fvlog

    class Response:
        """What validateStream reads: the body and the headers it looks at."""

        def __init__(self):
            self.headers = {"Content-Type": content_type}
            self.rest = body

        def read(self, size=-1):
            size = len(self.rest) if size < 0 else size
            chunk, self.rest = self.rest[:size], self.rest[size:]
            return chunk

    try:
        events = feedvalidator.validateStream(
            Response(), firstOccurrenceOnly=0, contentType=content_type, base=url
        )["loggedEvents"]
    except fvlog.ValidationFailure as failure:
        events = [failure.event]
    events = compatibility.AA(events)
    for event, text in zip(events, Formatter(events)):
        level = "error" if isinstance(event, fvlog.Error) else "warning"
        report.add("w3c", level, name, type(event).__name__, text)
    report.ran.add("w3c")


def run_xml(report, name, body):
    try:
        from lxml import etree
    except ImportError:
        return None
    report.ran.add("xml")
    try:
        return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        report.add("xml", "error", name, "NotWellFormed", str(e))
        return None


def run_feedparser(report, name, kind, body):
    try:
        import feedparser
    except ImportError:
        return
    report.ran.add("feedparser")
    parsed = feedparser.parse(body)
    if parsed.bozo:
        report.add("feedparser", "error", name, "Bozo", repr(parsed.bozo_exception))
    expected = {"rss": "rss20", "atom": "atom10"}[kind]
    if parsed.version != expected:
        report.add("feedparser", "error", name, "Version", f"{parsed.version!r}, not {expected}")


def validate(base, w3c):
    report = Report()
    for path, kind, media_type in DOCUMENTS:
        url = urllib.parse.urljoin(base, path)
        try:
            content_type, body = fetch(url)
        except (urllib.error.URLError, OSError) as e:
            report.add("http", "error", path, "Fetch", f"{url}: {e}")
            continue
        print(f"== {url} ({len(body)} bytes, {content_type})")
        if content_type.split(";")[0].strip() != media_type:
            report.add("http", "error", path, "ContentType", f"{content_type}, not {media_type}")
        if kind == "json":
            rules.check_json_feed(report, path, url, body)
            continue
        if w3c:
            run_w3c(w3c, report, path, url, content_type, body)
        root = run_xml(report, path, body)
        if kind != "opml":
            run_feedparser(report, path, kind, body)
        if root is not None:
            rules.check_xml(report, path, kind, url, root, body)
    missing = {"xml", "feedparser"} - report.ran
    if missing:
        print(f"missing validators: {', '.join(sorted(missing))} (run checks/install-feeds.sh)")
        report.failed += 1
    ran = ", ".join(sorted(report.ran | {"rules"}))
    print(f"validators: {ran}; {report.failed} failing, {report.allowed} allowed")
    return report.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", help="the site's base URL, e.g. http://127.0.0.1:8000/")
    parser.add_argument("--start", metavar="BINARY", help="start this starpunk binary with notes")
    parser.add_argument(
        "--w3c",
        metavar="DIR",
        default=os.environ.get("W3C_FEEDVALIDATOR"),
        help="the src folder of a w3c/feedvalidator checkout (or W3C_FEEDVALIDATOR)",
    )
    args = parser.parse_args()
    if bool(args.base) == bool(args.start):
        parser.error("give either a base URL or --start BINARY")
    w3c = w3c_validator(args.w3c)
    if args.base:
        return 1 if validate(args.base, w3c) else 0
    try:
        with seed.running_site(args.start) as base:
            return 1 if validate(base, w3c) else 0
    except (OSError, RuntimeError, AssertionError, urllib.error.URLError) as e:
        print(f"could not start and seed {args.start}: {e!r}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
