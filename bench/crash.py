#!/usr/bin/env python3
"""Helpers for bench/crash.sh (Python 3 standard library only).

  crash.py write --port P --acks FILE [--writers N] [--deadline S]
      Logs in through /dev/login (DEV_MODE), then N threads create notes with POST /admin/new,
      each with its own slug and a unique marker in its content. A note is appended to FILE
      ("slug marker" per line) only after its 303 answer, so FILE lists acknowledged notes.
      Writes until the server goes away (or the deadline); prints one JSON summary line.
  crash.py check --port P --acks FILE
      GET /notes/<slug> for every acknowledged note: it must answer 200 with the marker in the
      page. Prints one JSON line; exit 1 when any note is lost.
  crash.py db --db FILE --acks FILE
      PRAGMA integrity_check and the acknowledged slugs present in the notes table, read with
      the sqlite3 module (the server must be stopped). Prints one JSON line; exit 1 on a
      failure.
"""
import argparse
import collections
import http.client
import json
import re
import secrets
import sqlite3
import sys
import threading
import time
import urllib.parse


def read_acks(path):
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def write(args):
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    conn.request("GET", "/dev/login")
    resp = conn.getresponse()
    resp.read()
    cookie = (resp.getheader("Set-Cookie") or "").split(";", 1)[0]
    if resp.status != 303 or not cookie:
        sys.exit(f"/dev/login answered {resp.status} without a session (is DEV_MODE=true?)")
    conn.request("GET", "/admin/new", headers={"Cookie": cookie})
    m = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', conn.getresponse().read())
    if not m:
        sys.exit("no csrf_token on /admin/new")
    csrf = m.group(1).decode()
    conn.close()

    run = secrets.token_hex(4)
    acks = open(args.acks, "a")
    lock = threading.Lock()
    counts = collections.Counter()
    statuses = collections.Counter()
    deadline = time.monotonic() + args.deadline
    print("writing", flush=True)

    def writer(index):
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            slug = f"crash-{run}-w{index}-{n}"
            marker = f"marker{run}w{index}n{n}x{secrets.token_hex(4)}"
            body = urllib.parse.urlencode({
                "csrf_token": csrf, "slug": slug, "published": "true", "action": "save",
                "content": f"Crash test note {marker} with *some* Markdown and a few words.",
            })
            try:
                with lock:
                    counts["sent"] += 1
                conn.request("POST", "/admin/new", body=body, headers={
                    "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["unanswered"] += 1
                break  # the server is gone
            with lock:
                statuses[resp.status] += 1
                if resp.status == 303:
                    acks.write(f"{slug} {marker}\n")
                    acks.flush()
                    counts["acknowledged"] += 1
        conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    acks.close()
    print(json.dumps({"sent": counts["sent"], "acknowledged": counts["acknowledged"],
                      "unanswered": counts["unanswered"],
                      "statuses": {str(k): v for k, v in sorted(statuses.items())}}))


def check(args):
    acks = read_acks(args.acks)
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    lost = []
    for slug, marker in acks:
        conn.request("GET", f"/notes/{slug}")
        resp = conn.getresponse()
        page = resp.read()
        if resp.status != 200 or marker.encode() not in page:
            lost.append(f"{slug}: {resp.status}" + ("" if resp.status != 200 else " without marker"))
    conn.close()
    print(json.dumps({"acknowledged": len(acks), "lost": len(lost), "examples": lost[:5]}))
    sys.exit(1 if lost else 0)


def db(args):
    acks = read_acks(args.acks)
    conn = sqlite3.connect(args.db)
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    stored = {row[0] for row in conn.execute("SELECT slug FROM notes")}
    conn.close()
    acked = {slug for slug, _ in acks}
    missing = sorted(acked - stored)
    result = {"integrity": "ok" if integrity == ["ok"] else integrity[:5],
              "notes": len(stored), "acknowledged": len(acked), "missing": len(missing),
              "stored_unacknowledged": len(stored - acked), "examples": missing[:5]}
    print(json.dumps(result))
    sys.exit(0 if integrity == ["ok"] and not missing else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--acks", required=True)
    w.add_argument("--writers", type=int, default=4)
    w.add_argument("--deadline", type=float, default=60)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--acks", required=True)
    d = sub.add_parser("db")
    d.add_argument("--db", required=True)
    d.add_argument("--acks", required=True)
    args = ap.parse_args()
    {"write": write, "check": check, "db": db}[args.command](args)


if __name__ == "__main__":
    main()
