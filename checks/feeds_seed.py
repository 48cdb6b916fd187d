"""A starpunk on loopback with notes that exercise every feed feature, for checks/feeds.py.

The site runs from a given binary in a temporary data directory. Its owner (`ADMIN_ME`) is a
tiny IndieAuth peer served here, whose token endpoint vouches for one token with the `create`
and `media` scopes; the notes are then posted through Micropub as any app would.
"""

import contextlib
import http.server
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PIXEL_JPG = os.path.join(HERE, "..", "tests", "fixtures", "pixel.jpg")
PIXEL_PNG = os.path.join(HERE, "..", "tests", "fixtures", "pixel.png")

LONG_URL = "https://example.com/a/very/long/path/" + "segment-" * 40 + "end?query=" + "x" * 120

# What is posted, in order (JSON bodies for /micropub; "upload" posts multipart).
NOTES = [
    {"name": ["A titled note: Tom & Jerry <3"], "content": ["A titled note's *Markdown* body & <escapes>."],
     "category": ["feeds", "testing"]},
    {"content": ["An untitled note, as most microblog posts are."]},
    {"content": [f"A note with a long link: <{LONG_URL}> and [the same]({LONG_URL})."]},
    {"content": ["A photo by URL, with alt text."],
     "photo": [{"value": "https://example.com/photos/sunset.jpg",
                "alt": "The sun setting over a calm sea, orange & pink"}]},
    {"content": ["Footnotes[^1] and another[^note].\n\n[^1]: The first.\n\n[^note]: The second."]},
    {"content": ["مرحبا بالعالم — هذه ملاحظة باللغة العربية. שלום עולם, זו הערה בעברית."]},
    {"name": ["عنوان عربي"], "content": ["نص عربي مع عنوان."]},
    {"content": [{"html": "<p>HTML content with <a href=\"https://example.com/\">a link</a>, "
                          "<code>a &lt; b</code> and an emoji 🎉.</p>"}]},
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer(http.server.BaseHTTPRequestHandler):
    """The owner's site: an h-card page naming its token endpoint, and that endpoint."""

    token = uuid.uuid4().hex

    def log_message(self, *_):
        pass

    def do_GET(self):
        me = f"http://127.0.0.1:{self.server.server_port}/"
        if self.path == "/":
            body = (f'<!doctype html><title>Owner</title><link rel="authorization_endpoint" '
                    f'href="/auth"><link rel="token_endpoint" href="/token">'
                    f'<a class="h-card" href="{me}">Owner</a>').encode()
            self.answer(200, "text/html; charset=utf-8", body)
        elif self.path.startswith("/token"):
            if self.headers.get("Authorization") != f"Bearer {Peer.token}":
                self.answer(401, "application/json", b'{"error":"invalid_token"}')
                return
            body = json.dumps({"me": me, "scope": "create media",
                               "client_id": f"{me}app/"}).encode()
            self.answer(200, "application/json", body)
        else:
            self.answer(404, "text/plain", b"not found")

    def answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def request(url, body=None, content_type=None, method=None):
    headers = {"Authorization": f"Bearer {Peer.token}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, response.headers.get("Location", "")


def multipart(fields, files):
    """A multipart/form-data body: text `fields` and `files` as (field, name, type, bytes)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for field, filename, media_type, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
                     + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_notes(base):
    """Posts every kind of note, a little over a second apart as a person would: Atom readers
    tell entries apart by `updated`, which has whole seconds (see README, Feed validation)."""
    micropub = base + "micropub"
    for properties in NOTES:
        body = json.dumps({"type": ["h-entry"], "properties": properties}).encode()
        status, _ = request(micropub, body, "application/json")
        assert status == 201, status
        time.sleep(1.05)
    with open(PIXEL_JPG, "rb") as f:
        jpg = f.read()
    with open(PIXEL_PNG, "rb") as f:
        png = f.read()
    # A photo uploaded with the post (multipart Micropub).
    body, content_type = multipart(
        [("h", "entry"), ("content", "A photo uploaded with the post.")],
        [("photo", "pixel.jpg", "image/jpeg", jpg)],
    )
    assert request(micropub, body, content_type)[0] == 201
    time.sleep(1.05)
    # A photo uploaded to the media endpoint first, then posted by URL with alt text.
    body, content_type = multipart([], [("file", "pixel.png", "image/png", png)])
    status, location = request(base + "micropub/media", body, content_type)
    assert status == 201 and location, (status, location)
    post = {"type": ["h-entry"], "properties": {
        "name": ["An uploaded photo with alt text"],
        "content": ["Uploaded to the media endpoint, then posted."],
        "photo": [{"value": location, "alt": "A single pixel, enlarged"}]}}
    assert request(micropub, json.dumps(post).encode(), "application/json")[0] == 201


def wait_until_up(base, process):
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"starpunk exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(base + "health", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError("starpunk did not answer /health within 30 s")


@contextlib.contextmanager
def running_site(binary, language="en"):
    """Yields the base URL of a starpunk started from `binary`, with the notes posted."""
    peer = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Peer)
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SITE_", "FEED_"))}
        env.update({
            "SITE_URL": base, "SITE_NAME": "Feed check & <validation>",
            "SITE_AUTHOR": "Ada Example", "SITE_DESCRIPTION": "Notes that exercise every feed.",
            "SITE_LANGUAGE": language, "HOST": "127.0.0.1", "PORT": str(port),
            "DATA_PATH": data, "ADMIN_ME": f"http://127.0.0.1:{peer.server_port}/",
            "LOG_LEVEL": "warn", "METRICS_MEMORY_INTERVAL": "0",
        })
        log = open(os.path.join(data, "starpunk.log"), "w")
        process = subprocess.Popen([binary], env=env, cwd=data, stdout=log, stderr=log)
        try:
            try:
                wait_until_up(base, process)
                post_notes(base)
            except Exception:
                log.flush()
                with open(os.path.join(data, "starpunk.log")) as f:
                    print(f"starpunk's log:\n{f.read()}", flush=True)
                raise
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
            peer.shutdown()
