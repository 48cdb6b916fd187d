#!/usr/bin/env bash
# Soak: a steady mixed load of reads (home, permalinks, the three feeds, search, the stylesheet,
# 404s) and writes (new notes through the admin form, DEV_MODE session + CSRF) against the
# release binary for SOAK_SECONDS, with the server's resident memory (VmRSS) sampled every
# 15 s. The load generator is bench/soak.py (Python 3 standard library: one thread and one
# keep-alive connection per client). At the end: requests per class with latencies, statuses
# other than expected (200 for reads, 404 for the 404 paths, 303 for writes), the 5xx count,
# memory at start, after warm-up (the first sample after 60 s, or after 10 % of the run when
# that is shorter) and at the end, and the growth after warm-up in %; then the server is stopped
# with SIGTERM and must exit 0.
# Usage: bench/soak.sh   (needs curl and python3)
#   SOAK_SECONDS=600          duration of the load
#   SOAK_CLIENTS=6            concurrent clients
#   SOAK_WRITES_PER_SECOND=10 notes created per second, over all clients (0: reads only, a
#                             control for memory growth that comes from the growing database)
#   SOAK_SAMPLE_SECONDS=15    memory sampling interval
#   SOAK_WARMUP_SECONDS=…     override the warm-up
#   SOAK_PORT=…               default: a free port
#   STARPUNK_BIN=path         soak this binary (e.g. the static musl build) instead of building
# Exit status: non-zero on any 5xx, transport error, other unexpected status, or when the
# server dies or does not exit 0 on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 1; }

if [[ -z "${STARPUNK_BIN:-}" ]]; then
  cargo build --release --quiet
fi
bin=${STARPUNK_BIN:-${CARGO_TARGET_DIR:-target}/release/starpunk}
data=$(mktemp -d)
port=${SOAK_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$data"' EXIT

DATA_PATH=$data PORT=$port DEV_MODE=true LOG_LEVEL=warn "$bin" 2>"$data/server.log" &
pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { cat "$data/server.log"; exit 1; }
echo "server pid $pid on port $port, data in $data, binary $(stat -c %s "$bin") bytes"

status=0
python3 bench/soak.py --port "$port" --pid "$pid" \
  --seconds "${SOAK_SECONDS:-600}" --clients "${SOAK_CLIENTS:-6}" \
  --writes-per-second "${SOAK_WRITES_PER_SECOND:-10}" \
  --sample-seconds "${SOAK_SAMPLE_SECONDS:-15}" \
  ${SOAK_WARMUP_SECONDS:+--warmup-seconds "$SOAK_WARMUP_SECONDS"} || status=$?

echo
echo "== server"
printf 'database: %s notes, %s bytes (+ %s bytes of WAL)\n' \
  "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT count(*) FROM notes").fetchone()[0])' "$data/starpunk.db")" \
  "$(stat -c %s "$data/starpunk.db")" "$(stat -c %s "$data/starpunk.db-wal" 2>/dev/null || echo 0)"
printf 'log lines: %s WARN, %s ERROR\n' "$(grep -c ' WARN ' "$data/server.log" || true)" \
  "$(grep -c ' ERROR ' "$data/server.log" || true)"
# DEV_MODE warns once at start-up and once per /dev/login; anything else is shown.
grep -E ' (WARN|ERROR) ' "$data/server.log" | grep -v 'DEV_MODE' | head -10 || true
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  pid=
  echo "SIGTERM: exit $code"
  [ "$code" = 0 ] || status=1
else
  echo "the server is not running any more"
  status=1
fi
exit "$status"
