#!/usr/bin/env bash
# Builds the image (scripts/image/build.sh, cached by a digest of its inputs), unpacks it and
# runs it under runc as the chart would (scripts/image/run-test.mjs), inside a network
# namespace of its own: loopback, the fake upstream's address on lo, and a veth (default
# route, peer in a second empty namespace) whose counters record any other dial. The test's
# Postgres and Redis are reached through Unix-socket bridges (scripts/image/bridge.mjs).
# Then checks that the layer writer is reproducible: the same tree with other mtimes gives a
# byte-identical layer.
#
# Env: TEST_DATABASE_ADMIN_URL, TEST_DATABASE_APP_ROLE, TEST_REDIS_URL (as scripts/test.sh or
# .devenv export them). Needs root (runc, network namespaces).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '==> test-image: %s (%ss)\n' "$*" "$SECONDS"; }
die() { printf 'test-image: %s\n' "$*" >&2; exit 1; }
[[ "$(id -u)" -eq 0 ]] || die "needs root (runc and network namespaces)"
: "${TEST_DATABASE_ADMIN_URL:?}" "${TEST_REDIS_URL:?}"
if ! command -v runc >/dev/null; then
  log "installing runc (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc >/dev/null
fi

out="$(bash scripts/image/build.sh)"
# shellcheck disable=SC1091
source "$out/image.env"
log "image $IMAGE_REF $IMAGE_DIGEST ($(du -m "$out/airlock-image.tar" | cut -f1) MiB tarball)"

tmp="$(mktemp -d)"
chmod 755 "$tmp"
ns="airlock-img-$$"
sink="airlock-sink-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  ip netns del "$sink" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---- unpack: the layers of the layout's manifest, in order ------------------------------------
mkdir -p "$tmp/rootfs"
manifest="$(node -e 'const i=require(process.argv[1]+"/oci/index.json");console.log(i.manifests[0].digest.slice(7))' "$out")"
config="$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(m.config.digest.slice(7));for(const l of m.layers)console.log(l.digest.slice(7))' "$out/oci/blobs/sha256/$manifest")"
first=true
for blob in $config; do
  if $first; then first=false; cp "$out/oci/blobs/sha256/$blob" "$tmp/config.json"; continue; fi
  echo "$blob  $out/oci/blobs/sha256/$blob" | sha256sum -c --quiet - || die "layer $blob does not match its digest"
  tar -xzf "$out/oci/blobs/sha256/$blob" -C "$tmp/rootfs" --same-owner --same-permissions
done

# ---- the network namespace --------------------------------------------------------------------
ip netns add "$ns"
ip netns add "$sink"
ip link add rec0 netns "$ns" type veth peer name rec1 netns "$sink"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.rec0.disable_ipv6=1
ip netns exec "$sink" sysctl -qw net.ipv6.conf.rec1.disable_ipv6=1
ip -n "$sink" link set rec1 up
ip -n "$ns" link set lo up
ip -n "$ns" addr add 198.51.100.10/32 dev lo # the fake upstream: allowlisted, never leaves lo
ip -n "$ns" addr add 192.0.2.1/24 dev rec0
ip -n "$ns" link set rec0 up
ip -n "$ns" route add default via 192.0.2.2 dev rec0

pg_port="$(node -e 'console.log(new URL(process.argv[1]).port||5432)' "$TEST_DATABASE_ADMIN_URL")"
redis_port="$(node -e 'console.log(new URL(process.argv[1]).port||6379)' "$TEST_REDIS_URL")"
node scripts/image/bridge.mjs "$tmp/pg.sock" "127.0.0.1:$pg_port" &
pids+=($!)
node scripts/image/bridge.mjs "$tmp/redis.sock" "127.0.0.1:$redis_port" &
pids+=($!)
# Waits for each bridge's socket (node start-up: seconds on a loaded machine), up to 60 s.
for s in pg redis; do
  for _ in $(seq 600); do [[ -S "$tmp/$s.sock" ]] && break; sleep 0.1; done
  [[ -S "$tmp/$s.sock" ]] || { echo "the $s bridge did not create $tmp/$s.sock within 60 s" >&2; exit 1; }
done

log "running the image under runc"
mkdir -p "$tmp/run"
ROOTFS="$tmp/rootfs" RUN_DIR="$tmp/run" IMAGE_CONFIG="$tmp/config.json" \
  PG_SOCK="$tmp/pg.sock" REDIS_SOCK="$tmp/redis.sock" \
  PG_ADMIN_URL="$TEST_DATABASE_ADMIN_URL" PG_APP_ROLE="${TEST_DATABASE_APP_ROLE:-airlock}" \
  REDIS_URL="$TEST_REDIS_URL" UPSTREAM_IP=198.51.100.10 NETNS="$ns" RECORDER=rec0 \
  nsenter --net="/var/run/netns/$ns" node scripts/image/run-test.mjs

# ---- reproducibility of the layer writer ------------------------------------------------------
# The tar normalisation is what a builder's clock, umask or file order could break; gzip -n
# is deterministic by itself. So: unpack the app layer, give every file another mtime,
# rewrite it uncompressed and compare with the layer's diff_id in the image config.
log "layer reproducibility"
app_layer="$(echo "$config" | tail -n 1)"
diff_id="$(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(c.rootfs.diff_ids.at(-1).slice(7))' "$tmp/config.json")"
copy="$tmp/copy"
mkdir -p "$copy"
tar -xzf "$out/oci/blobs/sha256/$app_layer" -C "$copy" --same-owner --same-permissions
find "$copy" -exec touch -h -d '2001-02-03 04:05:06' {} +
SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" bash scripts/image/layer.sh "$copy" "$tmp/again.tar"
again="$(sha256sum "$tmp/again.tar" | cut -d' ' -f1)"
if [[ "$again" == "$diff_id" ]]; then
  echo "ok   the app layer rewritten from its unpacked tree with other mtimes has the same diff_id"
  echo "1 passed, 0 failed"
else
  echo "FAIL the app layer rewritten from its unpacked tree has diff_id $again, not $diff_id"
  echo "0 passed, 1 failed"
  exit 1
fi
