#!/usr/bin/env bash
# Builds the Airlock image without a container engine and without a container registry:
#   - a root file system extracted from Debian packages (scripts/image/pins.env: libc,
#     libstdc++, libgcc, CA certificates, tzdata, tini; no shell, no dpkg, no apt),
#   - Node.js from the npm package that ships the official linux-x64 binary (integrity and
#     binary sha256 pinned),
#   - the compiled services and their production dependencies only (`npm ci --omit=dev` into
#     a staging directory),
# written as an OCI image layout directory and a `docker load`-compatible tarball, plus a
# CycloneDX SBOM. Two layers (base, app), every entry owned by root with mtime
# SOURCE_DATE_EPOCH, names sorted: the same inputs give the same digest.
#
# The result is cached under $AIRLOCK_IMAGE_CACHE (default .tools/image) by a digest of every
# input (sources, lockfile, pins, the Debian versions apt would download, this script), so an
# unchanged tree does not rebuild. Prints the cache directory's path on stdout.
#
#   scripts/image/build.sh [--force]     build (or reuse the cached build), print its directory
#   scripts/image/build.sh --tree DIR    only assemble the image's file tree into DIR
#                                        (deploy/Dockerfile copies it into a FROM scratch image)
# Output directory: oci/ (layout), airlock-image.tar (docker load), sbom.cdx.json,
# image.env (IMAGE_REF, IMAGE_DIGEST, IMAGE_CONFIG_DIGEST).
# Needs: node and npm, GNU tar, gzip, dpkg-deb, apt-get (Debian's package index; run as root
# when it has to be refreshed), git.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/image"
force=false
tree=
case "${1:-}" in
  --force) force=true ;;
  --tree) tree="$(realpath -m "${2:?--tree needs a directory}")"; force=true ;;
  "") ;;
  *) echo "usage: $0 [--force | --tree DIR]" >&2; exit 2 ;;
esac
log() { printf '==> image: %s (%ss)\n' "$*" "$SECONDS" >&2; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }

# shellcheck source=pins.env
source "$here/pins.env"
cd "$root"
version="$(sed -n 's/^appVersion:[[:space:]]*//p' charts/airlock/Chart.yaml | tr -d "\"' ")"
[[ -n "$version" ]] || die "no appVersion in charts/airlock/Chart.yaml"
export IMAGE_REF="airlock:$version"

# ---- inputs and cache key ---------------------------------------------------------------------
inputs=(package.json package-lock.json tsconfig.base.json tsconfig.json turbo.json prisma services
  scripts/image/build.sh scripts/image/layer.sh scripts/image/oci.mjs scripts/image/sbom.mjs
  scripts/image/pins.env charts/airlock/Chart.yaml)
excludes=(':(exclude)services/*/test' ':(exclude)services/*/test/**' ':(exclude)**/*.md')
list_inputs() { git ls-files -co --exclude-standard -- "${inputs[@]}" "${excludes[@]}" | LC_ALL=C sort; }
# The commit time of the newest commit touching an input: the image's creation time.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct -- "${inputs[@]}" 2>/dev/null || echo 0)}"
[[ -n "$SOURCE_DATE_EPOCH" ]] || SOURCE_DATE_EPOCH=0

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p'; }
deb_versions=()
for pkg in $DEBS; do
  v="$(candidate "$pkg")"
  if [[ -z "$v" || "$v" == "(none)" ]]; then
    [[ "$(id -u)" -eq 0 ]] || die "apt knows no version of $pkg: run apt-get update as root"
    log "refreshing the apt package index"
    apt-get update -qq >/dev/null
    v="$(candidate "$pkg")"
    [[ -n "$v" && "$v" != "(none)" ]] || die "apt has no package $pkg"
  fi
  deb_versions+=("$pkg=$v")
done

key=tree
[[ -n "$tree" ]] || key="$({
  printf '%s\n' "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" "${deb_versions[@]}"
  list_inputs | tr '\n' '\0' | xargs -0 sha256sum
} | sha256sum | cut -c1-32)"
cache="${AIRLOCK_IMAGE_CACHE:-$root/.tools/image}"
out="$cache/$key"
if [[ -f "$out/image.env" && "$force" == false ]]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
base="$work/base"
app="$work/app"
mkdir -p "$base" "$app" "$work/debs"

# ---- base: Debian packages, node, users -------------------------------------------------------
log "downloading ${deb_versions[*]}"
(cd "$work/debs" && apt-get download -qq -o APT::Sandbox::User=root "${deb_versions[@]}" >/dev/null)
mkdir -p "$base/var/lib/dpkg/status.d"
for deb in "$work"/debs/*.deb; do
  pkg="$(dpkg-deb -f "$deb" Package)"
  dpkg-deb -x "$deb" "$base"
  # What a scanner reads in distroless-style images (no dpkg database): one control file each.
  dpkg-deb -f "$deb" Package Version Architecture Source Maintainer Homepage Description |
    sed '/^ /d' >"$base/var/lib/dpkg/status.d/$pkg"
  printf 'Status: install ok installed\n' >>"$base/var/lib/dpkg/status.d/$pkg"
done
# Keep the licences (usr/share/doc/*/copyright); drop manuals, translations and maintainer
# scripts' leftovers nothing reads at run time.
find "$base/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
rm -rf "$base/usr/share/man" "$base/usr/share/info" "$base/usr/share/lintian" \
  "$base/usr/share/locale" "$base/usr/share/gcc" "$base/usr/share/gdb"
[[ ! -e "$base/bin/sh" && ! -e "$base/usr/bin/sh" ]] || die "a shell got into the base layer"
# update-ca-certificates would build this bundle in a postinst: the same concatenation.
mkdir -p "$base/etc/ssl/certs"
find "$base/usr/share/ca-certificates" -name '*.crt' -print0 | LC_ALL=C sort -z |
  xargs -0 cat >"$base/etc/ssl/certs/ca-certificates.crt"
[[ -s "$base/etc/ssl/certs/ca-certificates.crt" ]] || die "empty CA bundle"

log "fetching $NODE_PKG@$NODE_VERSION from the npm registry"
(cd "$work" && npm pack --silent "$NODE_PKG@$NODE_VERSION" >/dev/null)
tgz="$work/$NODE_PKG-$NODE_VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[[ "$got" == "$NODE_PKG_INTEGRITY" ]] || die "$NODE_PKG@$NODE_VERSION integrity $got, pinned $NODE_PKG_INTEGRITY"
tar -xzf "$tgz" -C "$work" package/bin/node package/LICENSE
echo "$NODE_BIN_SHA256  $work/package/bin/node" | sha256sum -c --quiet - || die "node binary checksum mismatch"
install -D -m 0755 "$work/package/bin/node" "$base/usr/local/bin/node"
install -D -m 0644 "$work/package/LICENSE" "$base/usr/share/doc/nodejs/copyright"

cat >"$base/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
airlock:x:10001:10001:airlock:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$base/etc/group" <<'EOF'
root:x:0:
airlock:x:10001:
nogroup:x:65534:
EOF
printf 'hosts: files dns\n' >"$base/etc/nsswitch.conf"
mkdir -p "$base/tmp" "$base/app" "$base/root"
chmod 1777 "$base/tmp"
chmod 0700 "$base/root"

# ---- app: compiled services and production dependencies ---------------------------------------
log "building the services"
# scripts/test.sh has installed the dependencies already (and jest may be reading the generated
# client, which ensure-deps would rewrite).
[[ "${IMAGE_DEPS_READY:-}" == 1 ]] || bash scripts/ensure-deps.sh >&2
TURBO_TELEMETRY_DISABLED=1 npx turbo run build --output-logs=errors-only >&2
log "installing production dependencies (npm ci --omit=dev)"
cp package.json package-lock.json "$app/"
for dir in services/*/; do
  name="$(basename "$dir")"
  mkdir -p "$app/services/$name"
  cp "$dir/package.json" "$app/services/$name/" # every workspace, or npm ci refuses the lockfile
  # services/cli runs on laptops, not in the image, and has no build output.
  [[ ! -d "$dir/dist" ]] || cp -a "$dir/dist" "$app/services/$name/"
done
mkdir -p "$app/services/common/src" "$app/prisma"
cp -a services/common/src/generated "$app/services/common/src/"
cp -a prisma/migrations "$app/prisma/"
# No install scripts: nothing needs one (the Prisma client is generated above without a native
# engine), and skipping them keeps the build from downloading anything.
(cd "$app" && CI=true npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
rm -f "$app/package-lock.json" # node_modules/.package-lock.json lists what is installed
[[ -f "$app/services/server/dist/main.js" ]] || die "services/server/dist/main.js missing"
node "$here/sbom.mjs" "$base" "$app" "$IMAGE_REF" "$NODE_PKG" "$NODE_VERSION" "$NODE_PKG_INTEGRITY" >"$work/sbom.cdx.json"
cp "$work/sbom.cdx.json" "$app/sbom.cdx.json"

# ---- layers and the OCI layout ----------------------------------------------------------------
log "writing layers"
# Modes independent of the builder's umask: nothing writable but by its (root) owner, except /tmp.
find "$base" "$app" \( -type f -o -type d \) ! -path "$base/tmp" -exec chmod go-w {} +
mkdir -p "$work/layers"
mv "$app" "$work/app-root"
mkdir -p "$app"
mv "$work/app-root" "$app/app"
if [[ -n "$tree" ]]; then
  mkdir -p "$tree"
  cp -a "$base/." "$tree/"
  cp -a "$app/." "$tree/"
  log "file tree in $tree"
  exit 0
fi
bash "$here/layer.sh" "$base" "$work/layers/1-base.tar.gz"
bash "$here/layer.sh" "$app" "$work/layers/2-app.tar.gz"
node "$here/oci.mjs" "$work/oci" "$IMAGE_REF" "$work/layers/1-base.tar.gz" "$work/layers/2-app.tar.gz" >"$work/image.env"
# docker load reads manifest.json (written by oci.mjs beside index.json) from the same tarball.
(cd "$work/oci" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z |
  tar --create --file="$work/airlock-image.tar" --null --no-recursion --files-from=- \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner)

mkdir -p "$cache"
rm -rf "$out.tmp" "$out"
mkdir -p "$out.tmp"
mv "$work/oci" "$work/airlock-image.tar" "$work/sbom.cdx.json" "$out.tmp/"
printf 'SOURCE_DATE_EPOCH=%s\n' "$SOURCE_DATE_EPOCH" >>"$work/image.env"
mv "$work/image.env" "$out.tmp/image.env"
mv "$out.tmp" "$out"
# Keep this build and the one before it; older ones only fill the disk (~240 MB each).
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp' -printf '%T@ %p\n' | sort -rn | tail -n +3 |
  cut -d' ' -f2- | while read -r old; do rm -rf "$old"; done
log "built $(grep IMAGE_DIGEST "$out/image.env") in $out"
echo "$out"
