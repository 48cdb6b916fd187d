#!/usr/bin/env bash
# Builds the real container image from the Dockerfile's final stage without a Docker daemon or a
# registry, and checks that it runs:
#   1. builds the fully static musl binary here (the Dockerfile's `build` stage is not run: its
#      base image cannot be pulled without a registry);
#   2. lays out a directory as that stage would have left it (/etc/ssl/certs/ca-certificates.crt,
#      /out/starpunk, /out/data) and passes it as the `build` context, so the unchanged
#      `COPY --from=build …` lines of the `final` stage read from it:
#        buildah bud --isolation chroot --build-context build=DIR --target final
#      (`--format docker` keeps the HEALTHCHECK, which the OCI format drops);
#   3. starts the image's own ENTRYPOINT + CMD in a working container (`buildah run
#      --isolation chroot`: no network namespace, so the server listens on the host's loopback)
#      with DATA_PATH=/data, HOST=127.0.0.1 and a free PORT; checks GET /health answers 200 from
#      outside, that the server runs as the image's USER, that the image's HEALTHCHECK command
#      exits 0 in a second `buildah run`, and that SIGTERM stops the server with exit 0;
#   4. prints the image size (uncompressed, and compressed as a registry would store it) and the
#      time taken; the container and the image are removed on exit.
# Usage: deploy/check-image.sh   (as root; installs buildah, musl-tools and curl with apt-get and
#        the musl target with rustup when they are missing)
#   KEEP_IMAGE=1               keep the image `starpunk-check` afterwards (`buildah images`)
#   CHECK_PORT=N               port for the server (default: a free one)
#   BUILDAH_STORAGE_ROOT=DIR   a private image store (buildah --root DIR/root --runroot DIR/run)
#                              instead of /var/lib/containers/storage
#   STORAGE_DRIVER=vfs         when overlay mounts are not available (passed as --storage-driver;
#                              each driver keeps its own directories in the store)
# Each run prints its own timings; cargo builds are heavy, so on a shared machine run it as
# `nice -n 19 deploy/check-image.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

target=x86_64-unknown-linux-musl
image=starpunk-check
name=starpunk-check-$$

[ "$(id -u)" = 0 ] || { echo "run as root (buildah with chroot isolation and apt-get need it)"; exit 1; }

echo "== prerequisites"
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v curl >/dev/null || missing+=(curl)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
storage=()
if [ -n "${BUILDAH_STORAGE_ROOT:-}" ]; then
  storage+=(--root "$BUILDAH_STORAGE_ROOT/root" --runroot "$BUILDAH_STORAGE_ROOT/run")
fi
# Passed explicitly: buildah 1.28 (Debian 12) does not read STORAGE_DRIVER from the environment.
[ -n "${STORAGE_DRIVER:-}" ] && storage+=(--storage-driver "$STORAGE_DRIVER")
bh() { buildah "${storage[@]}" "$@"; }
buildah --version
echo "storage: $(bh info --format '{{.store.GraphDriverName}} in {{.store.GraphRoot}}')"

echo "== static binary"
t=$(date +%s.%N)
cargo build --release --locked --target "$target" --quiet
bin=${CARGO_TARGET_DIR:-target}/$target/release/starpunk
file "$bin" | grep -q "static" || { file "$bin"; echo "not statically linked"; exit 1; }
printf 'binary: %s bytes (cargo build: %s)\n' "$(stat -c %s "$bin")" "$(elapsed "$t")"

work=$(mktemp -d)
pid=
ctr=
cleanup() {
  set +e
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  [ -n "$ctr" ] && bh rm "$ctr" >/dev/null
  if [ "${KEEP_IMAGE:-0}" != 1 ] && bh inspect --type image "$image" >/dev/null 2>&1; then
    bh rmi "$image" >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== build stage output (the --build-context directory)"
stage=$work/build-stage
mkdir -p "$stage/etc/ssl/certs" "$stage/out/data"
cp /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/"
cp "$bin" "$stage/out/starpunk"
chmod 755 "$stage" "$stage/out" "$stage/out/data" "$stage/out/starpunk"
find "$stage" -mindepth 1 | sed "s|^$stage||" | sort

echo "== buildah bud --target final"
t=$(date +%s.%N)
# The context is an empty directory apart from the Dockerfile: the final stage copies only from
# the `build` context, and nothing else of the checkout needs to be sent.
ctx=$work/context
mkdir -p "$ctx"
cp Dockerfile "$ctx/Dockerfile"
bh bud --quiet --isolation chroot --format docker --layers=false \
  --build-context "build=$stage" --target final -t "$image" "$ctx" >/dev/null
echo "built $image in $(elapsed "$t")"

fmt() { bh inspect --type image --format "$1" "$image"; }
entry=$(fmt '{{range .Docker.Config.Entrypoint}}{{.}} {{end}}{{range .Docker.Config.Cmd}}{{.}} {{end}}')
health=$(fmt '{{if .Docker.Config.Healthcheck}}{{range .Docker.Config.Healthcheck.Test}}{{.}} {{end}}{{end}}')
user=$(fmt '{{.Docker.Config.User}}')
printf 'entrypoint + cmd: %s\nhealthcheck:      %s\nuser:             %s\nenv:              %s\n' \
  "$entry" "$health" "$user" "$(fmt '{{range .Docker.Config.Env}}{{.}} {{end}}')"
read -r -a entry_words <<<"$entry"
read -r -a health_words <<<"$health"
# A Docker HEALTHCHECK test is ["CMD", argv…] or ["CMD-SHELL", "…"]; a scratch image has no shell.
[ "${health_words[0]:-}" = CMD ] || { echo "the image has no exec-form HEALTHCHECK"; exit 1; }
health_words=("${health_words[@]:1}")

echo "== image contents"
ctr=$(bh from --name "$name" "$image")
mnt=$(bh mount "$ctr")
(cd "$mnt" && find . -mindepth 1 -printf '/%P  %u:%g %m %s bytes\n' | sort)
bh umount "$ctr" >/dev/null

port=${CHECK_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
run_env=(--env DATA_PATH=/data --env HOST=127.0.0.1 --env "PORT=$port" --env LOG_LEVEL=info)

echo "== buildah run: ${entry_words[*]} on 127.0.0.1:$port"
t=$(date +%s.%N)
bh run --isolation chroot "${run_env[@]}" "$ctr" -- "${entry_words[@]}" >"$work/server.log" 2>&1 &
pid=$!
code=000
for _ in $(seq 100); do
  code=$(curl -s -o "$work/health.json" -w '%{http_code}' "http://127.0.0.1:$port/health" || true)
  [ "$code" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
echo "GET /health from outside -> $code $(cat "$work/health.json" 2>/dev/null) (up after $(elapsed "$t"))"
[ "$code" = 200 ] || { echo "--- server log"; cat "$work/server.log"; exit 1; }
# The server must run as the image's USER: find it among the descendants of `bh run`.
server_pid=$(python3 - "$pid" <<'PY'
import os, sys
children = {}
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{p}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        continue
    children.setdefault(ppid, []).append(int(p))
todo, found = [int(sys.argv[1])], []
while todo:
    p = todo.pop()
    for c in children.get(p, []):
        try:
            if os.readlink(f"/proc/{c}/exe").endswith("/starpunk"):
                found.append(c)
        except OSError:
            pass
        todo.append(c)
print(found[0] if found else "")
PY
)
[ -n "$server_pid" ] || { echo "no starpunk process under buildah run $pid"; exit 1; }
echo "server process $server_pid runs as uid:gid $(awk '/^Uid:/ {u=$2} /^Gid:/ {g=$2} END {print u ":" g}' "/proc/$server_pid/status")"
curl -fsS -o /dev/null -w 'GET / from outside -> %{http_code}, %{size_download} bytes\n' "http://127.0.0.1:$port/"

echo "== HEALTHCHECK inside the image: ${health_words[*]}"
if bh run --isolation chroot "${run_env[@]}" "$ctr" -- "${health_words[@]}"; then
  echo "healthcheck: exit 0"
else
  echo "healthcheck: exit $?"; exit 1
fi

# `bh run` does not forward signals (a SIGTERM to it kills the command), so the server is
# signalled directly, as `docker stop` signals a container's first process; `bh run`
# then exits with the server's status.
echo "== SIGTERM to the server process"
kill -TERM "$server_pid"
status=0
wait "$pid" || status=$?
pid=
echo "server exit status: $status"
grep -iE 'shut|stop|checkpoint' "$work/server.log" | sed 's/^/  log: /' || true
[ "$status" = 0 ] || { echo "--- server log"; cat "$work/server.log"; exit 1; }

echo "== image size"
printf '%s (uncompressed)\n' "$(bh images --format '{{.Name}}:{{.Tag}} {{.ID}} {{.Size}}' "$image")"
# What a registry stores and a host downloads: the image pushed as an OCI layout, gzip layers.
bh push --quiet "$image" "oci:$work/oci" >/dev/null
python3 - "$work/oci" <<'PY'
import json, os, sys
root = sys.argv[1]
def blob(digest):
    return os.path.join(root, "blobs", *digest.split(":"))
index = json.load(open(os.path.join(root, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
layers = [layer["size"] for layer in manifest["layers"]]
print(f"layers: {len(layers)}, compressed {sum(layers):,} bytes "
      f"(+ config {manifest['config']['size']:,} bytes)")
PY
echo "total time: $(elapsed "$t0")"
