#!/usr/bin/env bash
# Photos in SQLite or in files beside it? Figures for issue 16's storage decision, with GB
# (default 1) of phone-sized JPEGs (12 MP, about 5 MB each, random content so nothing compresses):
#   - upload: each photo POSTed to /micropub/media (one transaction, fsynced) — mean and total;
#   - serving: wrk on one /media/{name} from the database versus nginx serving the same bytes
#     from a file on the same disk, and `/` (20 notes) before and after the photos arrived;
#   - backup: `starpunk backup` of the whole database versus what files would need: a copy of
#     the photo directory plus a backup of a database without them.
# Usage: bench/photos_storage.sh   (needs wrk, curl, python3 with PIL; installs nginx if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
GB=${GB:-1}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
command -v nginx >/dev/null || { apt-get install -y -qq nginx-light >/dev/null 2>&1 || apt-get install -y -qq nginx >/dev/null; }

cargo build --release --quiet
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/starpunk")
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; nginx -s stop -c "$work/nginx.conf" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== making ${GB} GB of photos"
mkdir -p "$work/photos"
python3 - "$work/photos" "$GB" <<'PY'
import io, os, sys
from PIL import Image
out, gb = sys.argv[1], float(sys.argv[2])
# Ten distinct 4000 x 3000 noise images (a phone's 12 MP) at quality 50 — about 5 MB each,
# like a phone photo — each written under many names until the total is reached.
sources = []
for i in range(10):
    img = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=50)
    sources.append(buf.getvalue())
total, n = 0, 0
while total < gb * 1024**3:
    data = sources[n % 10]
    with open(f"{out}/photo-{n:05}.jpg", "wb") as f:
        f.write(data)
    total += len(data)
    n += 1
print(f"{n} photos, {total / 1024**2:.0f} MiB, {total / n / 1024**2:.2f} MiB each")
PY

peer=18320
app=18321
python3 bench/token_peer.py "$peer" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$peer/" >/dev/null && break; sleep 0.1; done
DATA_PATH=$work/data PORT=$app ADMIN_ME="http://127.0.0.1:$peer/" LOG_LEVEL=warn \
  MAX_UPLOAD_BYTES=20971520 "$bin" 2>>"$work/log" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$app/health" >/dev/null && break; sleep 0.1; done
for i in $(seq 20); do
  curl -fs -o /dev/null -H "Authorization: Bearer bench-warm" \
    --data "h=entry&content=Note+$i+about+the+harbour" "http://127.0.0.1:$app/micropub"
done
rps() { wrk -t2 -c16 -d5s "$1" | awk '/Requests\/sec/ {print $2}'; }
home_before=$(rps "http://127.0.0.1:$app/")

echo "== upload"
start=$(date +%s.%N)
first=""
for f in "$work"/photos/*.jpg; do
  url=$(curl -fs -D - -o /dev/null -H "Authorization: Bearer bench-warm" -F "file=@$f;type=image/jpeg" \
    "http://127.0.0.1:$app/micropub/media" | awk 'tolower($1) == "location:" {print $2}' | tr -d '\r')
  [ -n "$first" ] || first=$url
done
end=$(date +%s.%N)
count=$(ls "$work"/photos | wc -l)
awk -v s="$start" -v e="$end" -v n="$count" 'BEGIN {printf "uploaded %d photos in %.1f s: %.0f ms each\n", n, e - s, (e - s) * 1000 / n}'
db_size=$(du -b "$work/data/starpunk.db" | cut -f1)
echo "database: $((db_size / 1024 / 1024)) MiB"

echo "== serving one photo and the home page"
name=${first##*/}
cat > "$work/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  server { listen 127.0.0.1:18322; root $work/photos; location / { etag on; } }
}
EOF
cp "$work/photos/photo-00000.jpg" "$work/photos/$name"
nginx -c "$work/nginx.conf"
for url in "http://127.0.0.1:$app/media/$name" "http://127.0.0.1:18322/$name"; do
  code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$url")
  echo "GET $url: $code bytes"
done
db_rps=$(rps "http://127.0.0.1:$app/media/$name")
file_rps=$(rps "http://127.0.0.1:18322/$name")
home_after=$(rps "http://127.0.0.1:$app/")
echo "photo from SQLite: $db_rps req/s; from a file (nginx): $file_rps req/s"
echo "home page: $home_before req/s before the photos, $home_after after"

echo "== backup"
start=$(date +%s.%N)
DATA_PATH=$work/data "$bin" backup "$work/backup.db" >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN {printf "starpunk backup (database with the photos): %.1f s\n", e - s}'
sync
start=$(date +%s.%N)
cp -a "$work/photos" "$work/photos-copy" && sync
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN {printf "files instead: cp -a of the photo directory + sync: %.1f s (plus a backup of the notes database)\n", e - s}'
