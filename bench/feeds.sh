#!/usr/bin/env bash
# Feeds and search with 10,000 notes: requests/s of /feed.atom uncached (FEED_CACHE_ENABLED=false),
# cached, and conditional (If-None-Match → 304), next to one static asset; then /api/search
# latency p50/p95 for common words (sequential requests).
# Usage: bench/feeds.sh   (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
NOTES=${NOTES:-10000}

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/starpunk
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

serve() { # port cache-enabled
  DATA_PATH=$work/data PORT=$1 DEV_MODE=true LOG_LEVEL=warn FEED_CACHE_ENABLED=$2 "$bin" 2>>"$work/log" &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/health" >/dev/null && break; sleep 0.1; done
}

serve 18201 true
jar=$work/jar
curl -fs -c "$jar" -o /dev/null "http://127.0.0.1:18201/dev/login"
csrf=$(curl -fs -b "$jar" "http://127.0.0.1:18201/admin/new" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//;s/"//')
words=(river garden morning coffee train winter music reading walk bread light city)
echo "creating $NOTES notes through the admin form…"
seq "$NOTES" | xargs -P 4 -I{} sh -c '
  i={}; set -- '"${words[*]}"'
  a=$(( i % 12 + 1 )); b=$(( (i * 7) % 12 + 1 ))
  eval "w1=\${$a}; w2=\${$b}"
  curl -fs -b "'"$jar"'" -o /dev/null -X POST "http://127.0.0.1:18201/admin/new" \
    --data-urlencode "csrf_token='"$csrf"'" \
    --data-urlencode "content=Note $i about the $w1 and the $w2, with **Markdown**, a [link](https://example.com/$i) and some more words to make it realistic." \
    --data "published=true&action=save"'
count=$(curl -fs "http://127.0.0.1:18201/api/search?q=note&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "notes indexed: $count"

serve 18202 false
css=$(curl -fs "http://127.0.0.1:18201/" | grep -o '/static/css/site.css?v=[0-9a-f]*' | head -1)
etag=$(curl -fsI "http://127.0.0.1:18201/feed.atom" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
rps() { wrk -t2 -c32 -d10s "$@" | awk '/Requests\/sec/ {print $2}'; }
static=$(rps "http://127.0.0.1:18201$css")
uncached=$(rps "http://127.0.0.1:18202/feed.atom")
cached=$(rps "http://127.0.0.1:18201/feed.atom")
conditional=$(rps -H "If-None-Match: $etag" "http://127.0.0.1:18201/feed.atom")
printf 'static asset               %10s req/s\n' "$static"
printf '/feed.atom uncached        %10s req/s\n' "$uncached"
printf '/feed.atom cached          %10s req/s  (static/cached = %s)\n' "$cached" "$(awk -v a="$static" -v b="$cached" 'BEGIN {printf "%.2f", a / b}')"
printf '/feed.atom conditional 304 %10s req/s\n' "$conditional"

python3 - "$@" <<'PY'
import time, urllib.request
words = ["river", "garden", "morning", "coffee", "note", "walk"]
for word in words:
    times = []
    for _ in range(200):
        t = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:18201/api/search?q={word}").read()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"search {word:8s} p50 {times[len(times)//2]:6.2f} ms   p95 {times[int(len(times)*0.95)]:6.2f} ms")
PY
