#!/usr/bin/env bash
# Checks with the tools the world uses, on a running starpunk: the Nu Html Checker and axe-core
# (headless Chromium, 1280 and 390 px, no sideways scroll, no CSP violation) on every page kind,
# the Content-Security-Policy where it could break something (checks/csp.mjs), then the feed
# validators of checks/feeds.py. Run by .ci/run as root on a fresh machine; installs what it
# needs (Debian's chromium, the npm packages pinned in checks/package-lock.json, a JRE if
# missing). Usage: bash checks/run.sh [path-to-starpunk-binary]
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
DATA_PATH="$work/data" SITE_URL="$base/" PORT="$port" HOST=127.0.0.1 DEV_MODE=true \
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

if [ "$status" != 0 ]; then
  echo "--- server log"; tail -50 "$work/server.log"
  echo "checks failed (pages and screenshots in $work/pages)"
fi
exit "$status"
