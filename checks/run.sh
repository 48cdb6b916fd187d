#!/usr/bin/env bash
# Checks with the tools the world uses, on a running starpunk: the Nu Html Checker and axe-core
# (headless Chromium, 1280 and 390 px, no sideways scroll, no CSP violation) on every page kind,
# the Content-Security-Policy where it could break something (checks/csp.mjs), the feed
# validators of checks/feeds.py, then promtool and a real Prometheus on /metrics and on the
# Grafana dashboard's queries. Run by .ci/run as root on a fresh machine; installs what it needs
# (Debian's chromium, the npm packages pinned in checks/package-lock.json, a JRE if missing,
# promtool and prometheus out of Debian's prometheus package).
# Usage: bash checks/run.sh [path-to-starpunk-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/starpunk}"

echo "== page-check tools"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "missing ${missing[*]}; run as root to install them"; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd checks && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
[ -x "$bin" ] || cargo build --locked
if [ -f checks/install-feeds.sh ]; then bash checks/install-feeds.sh; fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://localhost:$port"
scrape_token="checks-scrape-token"
DATA_PATH="$work/data" SITE_URL="$base/" PORT="$port" HOST=127.0.0.1 DEV_MODE=true \
  METRICS_PROMETHEUS_TOKEN="$scrape_token" \
  SITE_DESCRIPTION="Notes from the harbour" LOG_LEVEL=warn "$bin" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.1
done

status=0
echo "== pages: axe-core in Chromium, sideways scroll, console errors"
node checks/pages.mjs "$base" "$work/pages" || status=1

echo "== Content-Security-Policy in Chromium: passkeys, metrics refresh, consent and redirect, framing"
node checks/csp.mjs "$base" || status=1

echo "== pages: the Nu Html Checker"
if java -jar checks/node_modules/vnu-jar/build/dist/vnu.jar --errors-only --format text "$work"/pages/*.html; then
  echo "Nu Html Checker: no errors on $(ls "$work"/pages/*.html | wc -l) pages"
else
  status=1
fi

if [ -f checks/feeds.py ]; then
  echo "== feeds: validators"
  python3 checks/feeds.py --start "$(realpath "$bin")" || status=1
fi

# --- Prometheus: promtool and a real Prometheus on /metrics and the Grafana dashboard ----------
# The server has served every page kind above, so /metrics holds every series. promtool and
# prometheus come from Debian's prometheus package: installed, it would take 324 MB (218 MB of
# it libjs-moment-timezone for the web UI), so unless they are on the PATH only the two
# binaries (48 and 50 MB, needing only libc) are taken out of the .deb (a 19 MB download).
echo "== Prometheus: promtool on /metrics and on the Grafana dashboard; the dashboard live"
promtool="$(command -v promtool || true)"
prometheus="$(command -v prometheus || true)"
if [ -z "$promtool" ] || [ -z "$prometheus" ]; then
  if ! (cd "$work" && apt-get download -qq prometheus 2>/dev/null); then
    [ "$(id -u)" = 0 ] || { echo "promtool missing; run as root to fetch it"; exit 1; }
    apt-get update -qq
    (cd "$work" && apt-get download -qq prometheus 2>/dev/null)
  fi
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb |
    tar -x -C "$work" ./usr/bin/promtool ./usr/bin/prometheus
  promtool="$work/usr/bin/promtool" prometheus="$work/usr/bin/prometheus"
fi
if curl -fsS -H "Authorization: Bearer $scrape_token" "$base/metrics" >"$work/metrics.txt"; then
  # Syntax and lint (names, units, _total on counters, HELP, quantile only on summaries):
  # any problem fails the check.
  if "$promtool" check metrics <"$work/metrics.txt"; then
    echo "promtool check metrics: no problems in $(grep -vc '^#' "$work/metrics.txt") samples"
  else
    status=1
  fi
else
  echo "GET /metrics with the bearer token failed"; status=1
fi
# Every dashboard query names only series of that scrape, and promtool parses it.
if python3 checks/dashboard.py rules --metrics "$work/metrics.txt" >"$work/dashboard-rules.json"
then
  "$promtool" check rules "$work/dashboard-rules.json" || status=1
else
  status=1
fi
# A real Prometheus scrapes the server every second with the bearer token (as README.md,
# "Grafana", configures it) while a few pages and a 404 are asked for; then every dashboard
# query must evaluate there, with data.
printf '%s' "$scrape_token" >"$work/scrape-token"
prom_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: starpunk
    authorization: { type: Bearer, credentials_file: "$work/scrape-token" }
    static_configs: [ { targets: ["127.0.0.1:$port"] } ]
YAML
"$promtool" check config "$work/prometheus.yml" >/dev/null || status=1
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom=$!
trap 'kill $server $prom 2>/dev/null || true; wait $server $prom 2>/dev/null || true' EXIT
prom_url="http://127.0.0.1:$prom_port"
for _ in $(seq 100); do
  curl -fsS "$prom_url/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
for _ in $(seq 8); do
  curl -fsS -o /dev/null -A "Mozilla/5.0 (checks)" "$base/" || true
  curl -sS -o /dev/null "$base/no-such-page" || true
  sleep 1
done
up="$(curl -fsS "$prom_url/api/v1/query" --data-urlencode 'query=up{job="starpunk"}' || true)"
if [[ "$up" == *'"value":['*',"1"]'* ]]; then
  python3 checks/dashboard.py live "$prom_url" || status=1
else
  echo "Prometheus could not scrape /metrics: $up"; tail -20 "$work/prometheus.log"; status=1
fi
kill "$prom" 2>/dev/null || true
wait "$prom" 2>/dev/null || true
rm -rf "$work/usr" "$work/tsdb" "$work"/prometheus_*.deb

if [ "$status" != 0 ]; then
  echo "--- server log"; tail -50 "$work/server.log"
  echo "checks failed (pages and screenshots in $work/pages)"
fi
exit "$status"
