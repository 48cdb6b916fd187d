#!/usr/bin/env bash
# Bulk import and export: generates IMPORT_NOTES (default 100,000) notes in the export format
# (TOML front matter + Markdown: a few paragraphs, a link, emphasis, categories; every 50th a
# draft, every 97th deleted), imports them into an empty database with the release binary,
# checks the result (count, FTS matches, the feed's newest items), exports them again and
# imports the same directory a second time (idempotent: every note already present).
# Prints notes/s for the import and the export time.
# Usage: bench/import.sh   (needs python3; IMPORT_NOTES=10000 for a quick run;
#        STARPUNK_BIN=path to measure another build, e.g. a baseline)
set -euo pipefail
cd "$(dirname "$0")/.."

notes=${IMPORT_NOTES:-100000}
if [[ -z "${STARPUNK_BIN:-}" ]]; then
  cargo build --release --quiet
fi
bin=${STARPUNK_BIN:-${CARGO_TARGET_DIR:-target}/release/starpunk}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

python3 - "$work/in" "$notes" <<'PY'
import datetime, json, os, sys
out, total = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
words = ("river garden morning coffee walk harbour lighthouse bread train winter "
         "letter window market bicycle orchard kettle meadow lantern pebble "
         "thunder").split()
base = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(total):
    w = [words[(i * 7 + k * 3) % len(words)] for k in range(12)]
    when = (base + datetime.timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cats = [w[0], w[5]]
    body = (f"Note {i} about the {w[0]} and the *{w[1]}*, with a [link](https://example.com/{i}).\n\n"
            f"A second paragraph: {' '.join(w[2:10])}, written on day {i // 200}.\n\n"
            f"- {w[10]}\n- {w[11]}\n")
    props = {"content": [body], "category": cats}
    front = [
        f'slug = "note-{i:06d}-{w[0]}"',
        "published = " + ("false" if i % 50 == 0 else "true"),
        f'published_at = "{when}"', f'created_at = "{when}"', f'updated_at = "{when}"',
    ]
    if i % 97 == 0:
        front.append(f'deleted_at = "{when}"')
    front.append("categories = " + json.dumps(cats))
    front.append("properties = " + json.dumps(json.dumps(props)))
    with open(os.path.join(out, f"note-{i:06d}.md"), "w") as f:
        f.write("+++\n" + "\n".join(front) + "\n+++\n" + body)
PY
echo "generated $notes notes ($(du -sh "$work/in" | cut -f1))"

export DATA_PATH=$work/data LOG_LEVEL=warn
start=$(date +%s.%N)
"$bin" import "$work/in" >"$work/import.log" 2>&1 || { cat "$work/import.log"; exit 1; }
end=$(date +%s.%N)
tail -1 "$work/import.log"
python3 - "$start" "$end" "$notes" <<'PY'
import sys
s, e, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"import: {e - s:.1f} s, {n / (e - s):,.0f} notes/s")
PY

# The result: every note, the FTS index, the feed.
python3 - "$work/data/starpunk.db" "$notes" <<'PY'
import sqlite3, sys
db, n = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
count = db.execute("SELECT count(*) FROM notes").fetchone()[0]
fts = db.execute("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'lighthouse'").fetchone()[0]
scan = db.execute("SELECT count(*) FROM notes WHERE content LIKE '%lighthouse%'").fetchone()[0]
check = db.execute("PRAGMA integrity_check").fetchone()[0]
fts_check = db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)") and "ok"
print(f"notes stored {count} (expected {n}); FTS 'lighthouse' {fts} = LIKE scan {scan}; "
      f"integrity {check}; FTS integrity {fts_check}")
assert count == n and fts == scan and check == "ok"
PY
port=${BENCH_PORT:-18090}
PORT=$port "$bin" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$notes" <<'PY'
import json, sys, urllib.request
port, n = int(sys.argv[1]), int(sys.argv[2])
feed = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.json"))
items = feed["items"]
# The newest published, not deleted, note: the highest i that is neither a draft nor deleted.
newest = next(i for i in range(n - 1, -1, -1) if i % 50 and i % 97)
print(f"feed: {len(items)} items, newest {items[0]['url'].rsplit('/', 1)[1]}")
assert f"note-{newest:06d}-" in items[0]["url"]
PY
kill $pid; wait $pid 2>/dev/null || true; pid=

start=$(date +%s.%N)
"$bin" export "$work/out" >"$work/export.log" 2>&1 || { cat "$work/export.log"; exit 1; }
end=$(date +%s.%N)
tail -1 "$work/export.log"
python3 - "$start" "$end" <<'PY'
import sys
print(f"export: {float(sys.argv[2]) - float(sys.argv[1]):.1f} s")
PY
start=$(date +%s.%N)
"$bin" import "$work/in" >"$work/again.log" 2>&1
end=$(date +%s.%N)
python3 - "$start" "$end" "$(tail -1 "$work/again.log")" <<'PY'
import sys
print(f"second import (all present): {float(sys.argv[2]) - float(sys.argv[1]):.1f} s — {sys.argv[3]}")
PY
