#!/usr/bin/env bash
# Micropub: creates per second with a warm token cache (wrk, form-encoded posts, each a new
# note), then token verification latency, cold (a new token each request, so the owner's token
# endpoint is asked) versus warm (the same token, answered from the 5-minute cache), measured
# with sequential `GET /micropub?q=config` requests. The token endpoint is a local Python peer;
# DELAY_MS=50 makes it answer like a distant server.
# Usage: bench/micropub.sh   (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/starpunk
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

peer=18310
app=18311
python3 bench/token_peer.py "$peer" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$peer/" >/dev/null && break; sleep 0.1; done
DATA_PATH=$work/data PORT=$app ADMIN_ME="http://127.0.0.1:$peer/" LOG_LEVEL=warn "$bin" 2>>"$work/log" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$app/health" >/dev/null && break; sleep 0.1; done

cat > "$work/create.lua" <<'LUA'
local n = 0
local id = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-warm"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  n = n + 1
  local body = "h=entry&content=Bench+note+" .. id .. "+" .. n ..
    "+about+the+river+and+the+garden&category[]=bench&category[]=micropub"
  return wrk.format(nil, "/micropub", nil, body)
end
LUA
# One request warms the token cache (and discovery).
curl -fs -o /dev/null -H "Authorization: Bearer bench-warm" "http://127.0.0.1:$app/micropub?q=config"
before=$(curl -fs "http://127.0.0.1:$peer/hits")
out=$(wrk -t2 -c8 -d10s -s "$work/create.lua" "http://127.0.0.1:$app/micropub")
echo "$out" | grep -E "Requests/sec|Non-2xx|Latency" || true
after=$(curl -fs "http://127.0.0.1:$peer/hits")
notes=$(python3 - "$work/data/starpunk.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM notes").fetchone()[0])
PY
)
printf 'creates/s (warm token cache) %10s   notes stored %s, token endpoint asked %s times during the run\n' \
  "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$notes" "$((after - before))"

python3 - "$app" <<'PY'
import http.client, statistics, sys, time
port = int(sys.argv[1])
conn = http.client.HTTPConnection("127.0.0.1", port)
def timed(token):
    t = time.perf_counter()
    conn.request("GET", "/micropub?q=config", headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
    return (time.perf_counter() - t) * 1000
def report(name, xs):
    xs = sorted(xs)
    print(f"{name:34s} p50 {statistics.median(xs):7.3f} ms   p95 {xs[int(len(xs) * 0.95)]:7.3f} ms")
    return statistics.median(xs)
cold = report("verification cold (new token)", [timed(f"bench-cold-{i}-{time.time_ns()}") for i in range(500)])
warm = report("verification warm (cached token)", [timed("bench-warm") for _ in range(2000)])
print(f"cold/warm p50 ratio {cold / warm:.1f}x")
PY
