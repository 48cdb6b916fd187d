#!/usr/bin/env bash
# Note creates per second through the admin form (POST /admin/new, a session and its CSRF
# token) and through Micropub (form-encoded h=entry, a token verified once at a local peer and
# then cached): each request a new note in its own transaction, committed with the binary's
# durability setting. With BASELINE_BIN=path (e.g. a build of an older commit), both binaries
# are measured alternately, ROUNDS (default 3) times WRK_SECONDS (default 5) each, in fresh
# data directories, and the median of each is printed with their ratio.
# Usage: bench/writes.sh   (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

if [[ -z "${STARPUNK_BIN:-}" ]]; then
  cargo build --release --quiet
fi
bin=${STARPUNK_BIN:-${CARGO_TARGET_DIR:-target}/release/starpunk}
baseline=${BASELINE_BIN:-}
rounds=${ROUNDS:-3}
seconds=${WRK_SECONDS:-5}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

peer=18320
app=18321
python3 bench/token_peer.py "$peer" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$peer/" >/dev/null && break; sleep 0.1; done

cat > "$work/micropub.lua" <<'LUA'
local n = 0
local id = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-writes"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  n = n + 1
  local body = "h=entry&content=Micropub+note+" .. id .. "+" .. n ..
    "+about+the+river+and+the+garden&category[]=bench"
  return wrk.format(nil, "/micropub", nil, body)
end
LUA

# One measurement: start `$1` on a fresh data directory, create notes through `$2` (form or
# micropub) for $seconds, print requests/s and check every answered create is stored.
measure() {
  local binary=$1 how=$2 data
  data=$(mktemp -d -p "$work")
  DATA_PATH=$data PORT=$app DEV_MODE=true ADMIN_ME="http://127.0.0.1:$peer/" LOG_LEVEL=warn \
    "$binary" 2>>"$work/log" &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$app/health" >/dev/null && break; sleep 0.1; done
  local script=$work/micropub.lua
  if [[ $how == form ]]; then
    local jar=$data/jar csrf
    curl -fs -c "$jar" -o /dev/null "http://127.0.0.1:$app/dev/login"
    csrf=$(curl -fs -b "$jar" "http://127.0.0.1:$app/admin/new" \
      | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//;s/"//')
    local cookie
    cookie=$(awk '$6 == "starpunk_session" {print $7}' "$jar")
    script=$data/form.lua
    cat > "$script" <<LUA
local n = 0
local id = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Cookie"] = "starpunk_session=$cookie"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  n = n + 1
  local body = "csrf_token=$csrf&action=save&published=true&content=Form+note+" .. id ..
    "+" .. n .. "+about+the+harbour+and+the+lighthouse"
  return wrk.format(nil, "/admin/new", nil, body)
end
LUA
  else
    curl -fs -o /dev/null -H "Authorization: Bearer bench-writes" "http://127.0.0.1:$app/micropub?q=config"
  fi
  local out
  out=$(wrk -t2 -c8 -d"${seconds}s" -s "$script" "http://127.0.0.1:$app/")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$out" >&2
    echo "errors during the run" >&2
    exit 1
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.0f}")' "$@"; }

for how in form micropub; do
  ours=() base=()
  for _ in $(seq "$rounds"); do
    ours+=("$(measure "$bin" "$how")")
    if [[ -n $baseline ]]; then base+=("$(measure "$baseline" "$how")"); fi
  done
  m=$(median "${ours[@]}")
  if [[ -n $baseline ]]; then
    b=$(median "${base[@]}")
    printf '%-9s creates/s: this build %6s (runs %s), baseline %6s (runs %s), ratio %s\n' \
      "$how" "$m" "${ours[*]}" "$b" "${base[*]}" "$(python3 -c "print(f'{$m / $b:.2f}')")"
  else
    printf '%-9s creates/s: %6s (runs %s)\n' "$how" "$m" "${ours[*]}"
  fi
done
