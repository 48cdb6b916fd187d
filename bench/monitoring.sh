#!/usr/bin/env bash
# Overhead of monitoring: requests/s of `/` (20 notes) and of one CSS file with
# METRICS_ENABLED=true (rate 1.0) versus false, interleaved A B A B … (PAIRS pairs, wrk -t2
# -c32 for SECONDS each), median ratio per target; then resident memory of both servers after
# the whole run (well over 100,000 requests each, so the sample buffer is full).
# Usage: bench/monitoring.sh   (needs wrk and curl)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
PAIRS=${PAIRS:-5}
SECONDS_EACH=${SECONDS_EACH:-5}

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/starpunk
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start() { # name port enabled
  mkdir -p "$work/$1"
  DATA_PATH=$work/$1 PORT=$2 DEV_MODE=true LOG_LEVEL=warn METRICS_ENABLED=$3 \
    METRICS_SAMPLING_RATE=1.0 "$bin" 2>"$work/$1.log" &
  pids+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$2/health" >/dev/null && break; sleep 0.1; done
  local jar=$work/$1.jar csrf
  curl -fs -c "$jar" -o /dev/null "http://127.0.0.1:$2/dev/login"
  csrf=$(curl -fs -b "$jar" "http://127.0.0.1:$2/admin/new" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//;s/"//')
  for i in $(seq 20); do
    curl -fs -b "$jar" -o /dev/null -X POST "http://127.0.0.1:$2/admin/new" \
      --data-urlencode "csrf_token=$csrf" \
      --data-urlencode "content=Benchmark note $i with **some** Markdown and a [link](https://example.com/$i)." \
      --data "published=true&action=save"
  done
}
rps() { wrk -t2 -c32 -d"${SECONDS_EACH}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

start on 18101 true
start off 18102 false
css=$(curl -fs "http://127.0.0.1:18101/" | grep -o '/static/css/site.css?v=[0-9a-f]*' | head -1)

for target in / "$css"; do
  : >"$work/ratios"
  for pair in $(seq "$PAIRS"); do
    a=$(rps "http://127.0.0.1:18101$target")
    b=$(rps "http://127.0.0.1:18102$target")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')
    echo "$ratio" >>"$work/ratios"
    printf '%-36s pair %d: on %9.0f  off %9.0f  ratio %s\n' "$target" "$pair" "$a" "$b" "$ratio"
  done
  printf '%-36s median ratio (on/off): %s\n' "$target" "$(median <"$work/ratios")"
done

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
served=$(curl -fs -b "$work/on.jar" "http://127.0.0.1:18101/admin/metrics?format=json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["totals"]["http"]["count"], len(r["recent"]), len(r["routes"]), len(r["statements"]), r["memory"]["metrics_bytes"])')
echo "metrics-on server: requests recorded, samples buffered, routes, statement fingerprints, histogram bytes: $served"
echo "resident memory after the run: on $(rss "${pids[0]}") KiB (peak $(hwm "${pids[0]}")), off $(rss "${pids[1]}") KiB (peak $(hwm "${pids[1]}"))"
echo "difference (on - off): $(( $(rss "${pids[0]}") - $(rss "${pids[1]}") )) KiB"
