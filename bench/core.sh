#!/usr/bin/env bash
# Throughput of the core site: `/` with 20 notes and one CSS file, with wrk -t2 -c32 -d10s.
# Usage: bench/core.sh   (needs wrk and curl: apt-get install wrk curl)
# Prints requests/s for each target; figures go in the issue note and BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/starpunk
data=$(mktemp -d)
port=${BENCH_PORT:-18080}
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT

DATA_PATH=$data PORT=$port DEV_MODE=true LOG_LEVEL=warn "$bin" &
pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

jar=$data/cookies
curl -fs -c "$jar" -o /dev/null "http://127.0.0.1:$port/dev/login"
csrf=$(curl -fs -b "$jar" "http://127.0.0.1:$port/admin/new" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//;s/"//')
for i in $(seq 20); do
  curl -fs -b "$jar" -o /dev/null -X POST "http://127.0.0.1:$port/admin/new" \
    --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "content=Benchmark note $i with **some** Markdown, a [link](https://example.com/$i) and a few more words." \
    --data "published=true&action=save"
done
notes=$(curl -fs "http://127.0.0.1:$port/" | grep -c 'class="h-entry note"' || true)
echo "notes on /: $notes"

css=$(curl -fs "http://127.0.0.1:$port/" | grep -o '/static/css/site.css?v=[0-9a-f]*' | head -1)
for target in / "$css"; do
  wrk -t2 -c32 -d10s "http://127.0.0.1:$port$target" >"$data/wrk.txt"
  printf '%-40s %s req/s\n' "$target" "$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")"
done
