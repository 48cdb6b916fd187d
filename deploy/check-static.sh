#!/usr/bin/env bash
# Builds the fully static musl binary, checks that it is static, and runs the container's
# final-stage contract without a container engine: the binary alone in an empty root (plus the
# CA bundle and /data), started with the image's environment, must serve and pass its own
# health check.
# Usage: deploy/check-static.sh   (as root; needs musl-tools and the musl target:
#        apt-get install musl-tools; rustup target add x86_64-unknown-linux-musl)
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
cargo build --release --locked --target "$target" --quiet
bin=${CARGO_TARGET_DIR:-target}/$target/release/starpunk

echo "== binary"
file "$bin"
ldd "$bin" 2>&1 || true
file "$bin" | grep -q "static" || { echo "not statically linked"; exit 1; }
printf 'size: %s bytes\n' "$(stat -c %s "$bin")"

echo "== empty root"
root=$(mktemp -d)
chmod 755 "$root"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root"' EXIT
mkdir -p "$root/etc/ssl/certs" "$root/data"
cp "$bin" "$root/starpunk"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
chown -R 10001:10001 "$root/data"
find "$root" | sed "s|$root||" | sort
port=${PORT_UNDER_TEST:-18400}
env -i HOST=0.0.0.0 PORT=$port DATA_PATH=/data \
  /usr/sbin/chroot --userspec=10001:10001 "$root" /starpunk serve &
pid=$!
for _ in $(seq 50); do
  env -i PORT=$port /usr/sbin/chroot --userspec=10001:10001 "$root" /starpunk healthcheck >/dev/null 2>&1 && break
  sleep 0.1
done
echo "== healthcheck inside the empty root"
env -i HOST=0.0.0.0 PORT=$port DATA_PATH=/data /usr/sbin/chroot --userspec=10001:10001 "$root" /starpunk healthcheck
echo "== from outside"
curl -fsS "http://127.0.0.1:$port/health"; echo
curl -fsS -o /dev/null -w 'GET / -> %{http_code}, %{size_download} bytes\n' "http://127.0.0.1:$port/"
kill -TERM "$pid"
wait "$pid" && echo "== SIGTERM: exit 0"
ls -la "$root/data"
