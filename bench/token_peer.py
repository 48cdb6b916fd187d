"""A loopback IndieAuth peer for bench/micropub.sh: the owner's profile (Link headers) and a
token endpoint that accepts every Bearer token starting with `bench-` for the profile's `me`
with every Micropub scope. Optional DELAY_MS simulates a remote endpoint's latency.
Usage: python3 bench/token_peer.py PORT"""
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
ME = f"http://127.0.0.1:{PORT}/"
DELAY = float(os.environ.get("DELAY_MS", "0")) / 1000
hits = 0


class Peer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle and delayed ACKs add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global hits
        if self.path == "/":
            self.send(200, "<!doctype html><title>me</title>", "text/html", [
                ("Link", f'<{ME}auth>; rel="authorization_endpoint"'),
                ("Link", f'<{ME}token>; rel="token_endpoint"'),
            ])
        elif self.path == "/token":
            hits += 1
            time.sleep(DELAY)
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token.startswith("bench-"):
                self.send(200, json.dumps({"me": ME, "scope": "create update delete undelete media",
                                           "client_id": "https://bench.example/"}))
            else:
                self.send(401, json.dumps({"error": "invalid_token"}))
        elif self.path == "/hits":
            self.send(200, str(hits), "text/plain")
        else:
            self.send(404, "{}")


ThreadingHTTPServer(("127.0.0.1", PORT), Peer).serve_forever()
