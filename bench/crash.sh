#!/usr/bin/env bash
# Crash safety under write load. For each of CRASH_TRIALS trials, on a fresh data directory:
#   1. start the release binary (DEV_MODE=true) and run CRASH_WRITERS concurrent writers that
#      create notes through POST /admin/new (session + CSRF), each note with its own slug and a
#      unique marker; a note counts as acknowledged only once its 303 has arrived;
#   2. after a random 1–3 s of writing, `kill -9` the server;
#   3. copy the files the crash left (starpunk.db and its -wal) aside and check the copy with the
#      sqlite3 module: PRAGMA integrity_check and every acknowledged slug in the notes table;
#   4. restart the server on the crashed directory and fetch every acknowledged note: 200 with
#      its marker in the page;
#   5. graceful stop: SIGTERM must give exit 0 and leave the -wal file empty or absent (the WAL is
#      checkpointed);
#   6. then, with the server stopped, PRAGMA integrity_check and the acknowledged slugs again on
#      the database itself ($DATA_PATH/starpunk.db).
# Prints one line per trial and a summary; exits non-zero on any lost note or failed check.
# kill -9 kills the process, not the machine: the OS page cache keeps what was written, so even
# with synchronous=NORMAL nothing acknowledged should be lost here. A power cut is not tested;
# this guards the code path (commit before answering, WAL recovery at start-up, checkpoint on
# shutdown).
# Usage: bench/crash.sh   (needs curl and python3)
#   CRASH_TRIALS=5    trials
#   CRASH_WRITERS=4   concurrent writers
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 1; }

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/starpunk
trials=${CRASH_TRIALS:-5}
writers=${CRASH_WRITERS:-4}
work=$(mktemp -d)
pid=
writer=
cleanup() {
  [ -n "$writer" ] && kill "$writer" 2>/dev/null
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start DATA_DIR LOG: starts the server on a free port; sets pid and port.
start() {
  port=$(free_port)
  DATA_PATH=$1 PORT=$port DEV_MODE=true LOG_LEVEL=warn "$bin" 2>>"$2" &
  pid=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start:"; cat "$2"; return 1
}
# field JSON NAME: one field of a helper's JSON answer, or "?" when there is none.
field() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2" 2>/dev/null || echo "?"
}
# count VALUE: VALUE when it is a number, else 0 (the helper failed; that is reported already).
count() { case $1 in '' | *[!0-9]*) echo 0 ;; *) echo "$1" ;; esac; }

total_acked=0
total_lost=0
failures=0
echo "$trials trials, $writers writers, binary $(stat -c %s "$bin") bytes"
for trial in $(seq "$trials"); do
  dir=$work/trial-$trial
  data=$dir/data
  log=$dir/server.log
  acks=$dir/acks
  mkdir -p "$data"
  : >"$acks"
  problems=()

  start "$data" "$log"
  python3 bench/crash.py write --port "$port" --acks "$acks" --writers "$writers" \
    >"$dir/writer.out" 2>"$dir/writer.err" &
  writer=$!
  for _ in $(seq 100); do grep -q writing "$dir/writer.out" 2>/dev/null && break; sleep 0.05; done
  delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + 2 * r / 32767 }')
  sleep "$delay"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  wait "$writer" || problems+=("writer failed: $(tail -1 "$dir/writer.err")")
  writer=
  written=$(tail -1 "$dir/writer.out")
  wal_crash=$(stat -c %s "$data/starpunk.db-wal" 2>/dev/null || echo 0)

  # The files as the crash left them, checked on a copy (opening them replays the WAL).
  mkdir -p "$dir/copy"
  cp "$data/starpunk.db" "$dir/copy/"
  [ -f "$data/starpunk.db-wal" ] && cp "$data/starpunk.db-wal" "$dir/copy/"
  copy=$(python3 bench/crash.py db --db "$dir/copy/starpunk.db" --acks "$acks") ||
    problems+=("crash copy: $copy")

  start "$data" "$log"
  http=$(python3 bench/crash.py check --port "$port" --acks "$acks") || problems+=("after restart: $http")
  acked=$(count "$(field "$http" acknowledged)")
  lost=$(count "$(field "$http" lost)")

  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  pid=
  [ "$code" = 0 ] || problems+=("SIGTERM: exit $code")
  wal_after=$(stat -c %s "$data/starpunk.db-wal" 2>/dev/null || echo absent)
  case $wal_after in absent | 0) ;; *) problems+=("WAL not checkpointed: $wal_after bytes") ;; esac
  final=$(python3 bench/crash.py db --db "$data/starpunk.db" --acks "$acks") ||
    problems+=("after stop: $final")
  db_missing=$(field "$final" missing)
  if [ "$(count "$db_missing")" -gt "$lost" ]; then lost=$db_missing; fi

  printf 'trial %d: killed after %s s: sent %s, acknowledged %s, lost %s (HTTP %s, db %s), ' \
    "$trial" "$delay" "$(field "$written" sent)" "$acked" "$lost" "$(field "$http" lost)" "$db_missing"
  printf 'stored unacknowledged %s; WAL at crash %s bytes; crash copy integrity %s; ' \
    "$(field "$final" stored_unacknowledged)" "$wal_crash" "$(field "$copy" integrity)"
  printf 'SIGTERM exit %s, WAL after %s; integrity %s\n' "$code" "$wal_after" "$(field "$final" integrity)"
  for p in "${problems[@]}"; do echo "  PROBLEM: $p"; done
  grep -E ' (ERROR|WARN) ' "$log" | grep -v DEV_MODE | head -5 | sed 's/^/  log: /' || true
  total_acked=$((total_acked + acked))
  total_lost=$((total_lost + lost))
  if ((${#problems[@]})); then failures=$((failures + 1)); fi
  rm -rf "$dir"
done

echo "summary: $trials trials, $total_acked notes acknowledged, $total_lost lost, $failures trials with problems"
[ "$total_lost" = 0 ] && [ "$failures" = 0 ]
