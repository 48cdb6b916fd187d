#!/usr/bin/env python3
"""Steady mixed load against a running starpunk, with the server's memory sampled.

Used by bench/soak.sh, which builds and starts the server (DEV_MODE=true) and passes its port
and process id. Standard library only: one thread per client, each with its own keep-alive
http.client connection, plus one thread sampling VmRSS/VmHWM from /proc/PID/status.

Each client loops over a weighted mix (expected status in brackets):
  /                          home                                  [200]
  /notes/<slug>              a random note, seeded or written during the run [200]
  /feed.rss /feed.atom /feed.json                                  [200]
  /search?q=<word>           a word the notes contain              [200]
  <css>                      the stylesheet URL taken from the home page [200]
  /notes/missing-… /missing-…                                      [404]
  POST /admin/new            a new published note (session + CSRF) [303]
Writes are limited to --writes-per-second over all clients together (a write not allowed yet
becomes a note read), so the note count grows at a known, steady rate; a note's slug is only
read after its 303, so every read of it must be a 200.

Prints a summary and exits 1 on any 5xx, transport error or other unexpected status.
"""
import argparse
import collections
import http.client
import json
import os
import random
import re
import sys
import threading
import time
import urllib.parse

WORDS = ("river garden lantern copper meadow harbour orchard pebble thistle window "
         "kettle compass ember willow signal").split()

READS = [  # (class, weight)
    ("home", 15), ("note", 30), ("feed.rss", 4), ("feed.atom", 4), ("feed.json", 4),
    ("search", 12), ("static", 10), ("404", 6), ("write", 15),
]
EXPECTED = {"404": 404, "write": 303}  # everything else: 200


class Conn:
    """One keep-alive connection; reconnects after a transport error."""

    def __init__(self, port, cookie=None):
        self.port, self.cookie, self.conn, self.used = port, cookie, None, False

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes, headers); raises OSError / HTTPException on transport errors.
        A GET that fails on a reused connection before any answer is retried once on a new
        one (the server may have closed an idle keep-alive connection)."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.used = False
            hdrs = dict(headers or {})
            if self.cookie:
                hdrs["Cookie"] = self.cookie
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                self.used = True
                if resp.will_close:
                    self.close()
                return resp.status, data, resp
            except (OSError, http.client.HTTPException):
                reused = self.used
                self.close()
                if method != "GET" or not reused or attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


class WriteLimiter:
    def __init__(self, rate, start):
        self.rate, self.start, self.done, self.lock = rate, start, 0, threading.Lock()

    def take(self):
        if self.rate <= 0:
            return False
        with self.lock:
            if self.done < self.rate * (time.monotonic() - self.start) + 1:
                self.done += 1
                return True
            return False


def note_body(csrf, slug, marker):
    words = random.sample(WORDS, 4)
    content = (f"Soak note {marker} about the {words[0]} and the {words[1]}, with **bold** text, "
               f"a [link](https://example.com/{slug}) and a list:\n\n- {words[2]}\n- {words[3]}\n")
    return urllib.parse.urlencode({"csrf_token": csrf, "content": content, "slug": slug,
                                   "published": "true", "action": "save"})


def rss_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def alive(pid):
    """The process exists and is not a zombie (a killed child its parent has not reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="server process to sample")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--sample-seconds", type=float, default=15)
    ap.add_argument("--warmup-seconds", type=float, default=None,
                    help="default: 60 s, or 10%% of the run when that is shorter")
    ap.add_argument("--writes-per-second", type=float, default=10)
    ap.add_argument("--seed-notes", type=int, default=20)
    args = ap.parse_args()
    warmup = args.warmup_seconds
    if warmup is None:
        warmup = min(60.0, args.seconds / 10)
    run_id = f"{os.getpid():x}{int(time.time()) % 100000:x}"

    # Log in (DEV_MODE), take the CSRF token and the stylesheet URL, seed a few notes.
    setup = Conn(args.port)
    status, _, resp = setup.request("GET", "/dev/login")
    cookie = resp.getheader("Set-Cookie", "").split(";", 1)[0]
    if status != 303 or not cookie:
        sys.exit(f"/dev/login answered {status} without a session cookie (is DEV_MODE=true?)")
    setup.cookie = cookie
    _, page, _ = setup.request("GET", "/admin/new")
    m = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', page)
    if not m:
        sys.exit("no csrf_token on /admin/new")
    csrf = m.group(1).decode()
    slugs, slugs_lock = [], threading.Lock()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for i in range(args.seed_notes):
        slug = f"soak-{run_id}-seed-{i}"
        status, _, _ = setup.request("POST", "/admin/new", note_body(csrf, slug, slug), form)
        if status != 303:
            sys.exit(f"seeding: POST /admin/new answered {status}")
        slugs.append(slug)
    _, home, _ = setup.request("GET", "/")
    m = re.search(rb'href="(/static/[^"]+\.css[^"]*)"', home)
    if not m:
        sys.exit("no stylesheet link on /")
    css = m.group(1).decode()
    setup.close()
    print(f"seeded {len(slugs)} notes; stylesheet {css}; {args.clients} clients for "
          f"{args.seconds:g} s, writes limited to {args.writes_per_second:g}/s, "
          f"memory sampled every {args.sample_seconds:g} s (warm-up {warmup:g} s)", flush=True)

    stop = threading.Event()
    samples = []  # (seconds since start, VmRSS KiB, VmHWM KiB)
    sqlite = []  # (seconds since start, SQLite heap KiB), from /health?detailed=true
    probe = Conn(args.port, cookie)

    def sqlite_kib():
        try:
            status, body, _ = probe.request("GET", "/health?detailed=true")
            return json.loads(body)["memory"]["sqlite_bytes"] / 1024 if status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return None
    start = time.monotonic()
    limiter = WriteLimiter(args.writes_per_second, start)
    results = []  # one dict per client thread

    def sampler():
        n = 0
        while True:
            try:
                samples.append((time.monotonic() - start, *rss_kib(args.pid)))
                sqlite.append((samples[-1][0], sqlite_kib()))
            except (OSError, KeyError):
                samples.append((time.monotonic() - start, None, None))
                stop.set()  # the server is gone
                return
            n += 1
            due = start + n * args.sample_seconds
            # The sample at the end is taken after the clients stop.
            if due >= start + args.seconds - 0.5 or stop.wait(max(0.0, due - time.monotonic())):
                return

    def client(index):
        rng = random.Random(f"{run_id}-{index}")
        conn = Conn(args.port, cookie)
        classes = [c for c, _ in READS]
        weights = [w for _, w in READS]
        stats = {"status": collections.defaultdict(collections.Counter),
                 "latency": collections.defaultdict(list), "errors": collections.Counter(),
                 "error_samples": []}
        results.append(stats)
        written = 0
        while not stop.is_set():
            kind = rng.choices(classes, weights)[0]
            if kind == "write" and not limiter.take():
                kind = "note"
            method, body, headers = "GET", None, None
            if kind == "home":
                path = "/"
            elif kind == "note":
                with slugs_lock:
                    path = "/notes/" + rng.choice(slugs)
            elif kind.startswith("feed."):
                path = "/" + kind
            elif kind == "search":
                path = "/search?q=" + rng.choice(WORDS)
            elif kind == "static":
                path = css
            elif kind == "404":
                n = rng.randrange(1 << 30)
                path = f"/notes/missing-{n}" if n % 2 else f"/missing-{n}"
            else:
                written += 1
                slug = f"soak-{run_id}-c{index}-{written}"
                method, path, headers = "POST", "/admin/new", form
                body = note_body(csrf, slug, slug)
            t = time.perf_counter()
            try:
                status, _, _ = conn.request(method, path, body, headers)
            except (OSError, http.client.HTTPException) as e:
                stats["errors"][kind] += 1
                if len(stats["error_samples"]) < 5:
                    stats["error_samples"].append(f"{method} {path}: {e!r}")
                if not alive(args.pid):
                    stop.set()
                time.sleep(0.1)
                continue
            stats["latency"][kind].append(time.perf_counter() - t)
            stats["status"][kind][status] += 1
            if kind == "write" and status == 303:
                with slugs_lock:
                    slugs.append(slug)
        conn.close()

    threads = [threading.Thread(target=sampler)]
    threads += [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for th in threads:
        th.start()
    stop.wait(args.seconds)
    stop.set()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start
    try:
        samples.append((elapsed, *rss_kib(args.pid)))
        sqlite.append((elapsed, sqlite_kib()))
        server_alive = True
    except (OSError, KeyError):
        samples.append((elapsed, None, None))
        server_alive = False

    # Merge and report.
    status = collections.defaultdict(collections.Counter)
    latency = collections.defaultdict(list)
    errors = collections.Counter()
    error_samples = []
    for s in results:
        for k, c in s["status"].items():
            status[k].update(c)
        for k, v in s["latency"].items():
            latency[k].extend(v)
        errors.update(s["errors"])
        error_samples += s["error_samples"]
    total = sum(sum(c.values()) for c in status.values())
    print(f"\n== {total:,} requests in {elapsed:.0f} s ({total / elapsed:,.0f}/s), "
          f"{len(slugs) - args.seed_notes:,} notes written, {len(slugs):,} in all")
    print(f"{'class':<10} {'requests':>9} {'expect':>6} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7}  statuses")
    unexpected, fivexx = collections.Counter(), 0
    for kind, _ in READS:
        lat = sorted(latency[kind])
        want = EXPECTED.get(kind, 200)
        codes = status[kind]
        for code, n in codes.items():
            if code != want:
                unexpected[(kind, code)] += n
            if code >= 500:
                fivexx += n
        if lat:
            times = (f"{percentile(lat, 50) * 1e3:>7.2f} {percentile(lat, 99) * 1e3:>7.2f} "
                     f"{lat[-1] * 1e3:>7.1f}")
        else:
            times = f"{'-':>7} {'-':>7} {'-':>7}"
        print(f"{kind:<10} {sum(codes.values()):>9,} {want:>6} {times}  "
              + " ".join(f"{c}:{n}" for c, n in sorted(codes.items())))
    print(f"unexpected statuses: {sum(unexpected.values())}"
          + "".join(f"  [{k} {c}: {n}]" for (k, c), n in sorted(unexpected.items())))
    print(f"5xx: {fivexx}")
    print(f"transport errors: {sum(errors.values())}"
          + "".join(f"  [{k}: {n}]" for k, n in sorted(errors.items())))
    for e in error_samples[:5]:
        print(f"  {e}")

    def mib(kib):
        return f"{kib / 1024:.1f} MiB" if kib is not None else "gone"

    print("\n== memory (VmRSS of the server)")
    print("samples (s: MiB): " + ", ".join(
        f"{t:.0f}: {r / 1024:.1f}" if r is not None else f"{t:.0f}: gone" for t, r, _ in samples))
    first = samples[0]
    warm = next((s for s in samples[1:] if s[0] >= warmup and s[1] is not None), None)
    last = samples[-1]
    print(f"start                {mib(first[1])}")
    if warm is not None and warm is not last:
        print(f"after warm-up ({warm[0]:.0f} s) {mib(warm[1])}")
        print(f"end ({last[0]:.0f} s)          {mib(last[1])}   peak (VmHWM) {mib(last[2])}")
        if last[1] is not None:
            print(f"growth after warm-up {(last[1] - warm[1]) / warm[1] * 100:+.1f} %  "
                  f"({(last[1] - warm[1]) / 1024:+.1f} MiB over {last[0] - warm[0]:.0f} s)")
    else:
        print(f"end ({last[0]:.0f} s)          {mib(last[1])}")
        print("growth after warm-up: no sample between warm-up and the end (run longer)")
    # SQLite's heap is mostly page caches (up to cache_size per pooled connection), which grow
    # with the database until their cap: the rest of the process is what a leak would show in.
    by_time = dict(sqlite)
    if (warm is not None and warm is not last and last[1] is not None
            and by_time.get(warm[0]) is not None and by_time.get(last[0]) is not None):
        sw, se = by_time[warm[0]], by_time[last[0]]
        rest_w, rest_e = warm[1] - sw, last[1] - se
        print(f"SQLite heap          {mib(sw)} after warm-up -> {mib(se)} at the end")
        print(f"the rest (RSS - SQLite) {mib(rest_w)} -> {mib(rest_e)}: "
              f"{(rest_e - rest_w) / rest_w * 100:+.1f} %")

    failed = []
    if fivexx:
        failed.append(f"{fivexx} 5xx answers")
    if sum(errors.values()):
        failed.append(f"{sum(errors.values())} transport errors")
    if sum(unexpected.values()) - fivexx:
        failed.append(f"{sum(unexpected.values()) - fivexx} other unexpected statuses")
    if not server_alive:
        failed.append("the server is gone")
    print("\nresult: " + ("FAIL: " + ", ".join(failed) if failed else "ok"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
