#!/usr/bin/env bash
# The air-gapped bundle as an operator receives it: scripts/airgap-bundle writes it (the image
# comes from the build cache), it is tarred and unpacked elsewhere, `sha256sum -c SHA256SUMS`
# passes (and fails on a changed byte), the image archive's OCI index names the manifest digest
# that manifest.json records, and the chart package renders from the unpacked bundle with
# deploy/airgapped-vllm.yaml, global.imageRegistry set to a private registry and image.digest set
# to that digest: every container image is then pulled from the private registry and the
# Airlock image by digest.
# Needs what scripts/airgap-bundle needs (helm: .tools/bin/helm, on PATH, or built by it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {
  if eval "$2"; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
mirror=registry.airgap.test:5000

"$root/scripts/airgap-bundle" "$tmp/made" >/dev/null # installs .tools/bin/helm when missing
helm="$root/.tools/bin/helm"
[[ -x "$helm" ]] || helm="$(command -v helm)"
tar -C "$tmp/made" -cf "$tmp/bundle.tar" .
mkdir -p "$tmp/site"
tar -C "$tmp/site" -xf "$tmp/bundle.tar"
cd "$tmp/site"

check "SHA256SUMS verifies every file of the unpacked bundle" 'sha256sum -c --quiet SHA256SUMS'
check "SHA256SUMS lists the image, its SBOM, the chart, the values examples and the manifest" \
  'for f in images/airlock-*.tar images/airlock-*.sbom.cdx.json airlock-*.tgz values/airgapped-vllm.yaml manifest.json; do grep -q "  $f\$" SHA256SUMS || exit 1; done'
cp values/airgapped-vllm.yaml "$tmp/saved.yaml"
printf '#' >>values/airgapped-vllm.yaml
check "a changed byte fails the check" '! sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1'
cp "$tmp/saved.yaml" values/airgapped-vllm.yaml

digest="$(node -e 'console.log(require(process.argv[1]).image.digest)' "$PWD/manifest.json")"
archive="$(node -e 'console.log(require(process.argv[1]).image.archive)' "$PWD/manifest.json")"
mkdir -p "$tmp/oci"
tar -C "$tmp/oci" -xf "$archive"
check "the image archive's index.json names the manifest digest manifest.json records ($digest)" \
  '[[ "$(node -e "console.log(require(process.argv[1]).manifests[0].digest)" "$tmp/oci/index.json")" == "$digest" ]]'
check "the manifest blob hashes to that digest" \
  '[[ "sha256:$(sha256sum "$tmp/oci/blobs/sha256/${digest#sha256:}" | cut -d" " -f1)" == "$digest" ]]'
check "the archive carries the docker load manifest.json" \
  'node -e "const m=require(process.argv[1]);process.exit(m[0].RepoTags.length===1&&m[0].Layers.length===2?0:1)" "$tmp/oci/manifest.json"'

# The mirror step with skopeo (Debian's), into a local OCI directory standing in for the
# private registry: the digest survives, and the docker-archive reader (what `docker load`
# reads) sees the same layers.
if command -v skopeo >/dev/null; then
  skopeo copy -q "oci-archive:$archive" "oci:$tmp/mirror:mirrored"
  check "skopeo mirrors the image archive with its digest unchanged" \
    '[[ "sha256:$(skopeo inspect --raw "oci:$tmp/mirror:mirrored" | sha256sum | cut -d" " -f1)" == "$digest" ]]'
  json_of() { node -e 'const fs=require("fs");const v=JSON.parse(fs.readFileSync(process.argv[1]==="-"?0:process.argv[1],"utf8"));console.log(eval("v"+process.argv[2]))' "$@"; }
  config_blob="$tmp/oci/blobs/sha256/$(json_of "$tmp/oci/blobs/sha256/${digest#sha256:}" '.config.digest.slice(7)')"
  ours="$(json_of "$config_blob" '.rootfs.diff_ids.join()')"
  theirs="$(skopeo inspect --config "docker-archive:$archive" | json_of - '.rootfs.diff_ids.join()')"
  check "skopeo reads the archive as docker-archive (docker load) with the same layers" '[[ -n "$ours" && "$theirs" == "$ours" ]]'
else
  echo "skipped skopeo checks: skopeo is not installed (apt-get install skopeo)"
fi

"$helm" template airlock airlock-*.tgz -n airlock -f values/airgapped-vllm.yaml \
  --set global.imageRegistry="$mirror" --set image.digest="$digest" >"$tmp/rendered.yaml"
sed -n 's/^[[:space:]]*image:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' "$tmp/rendered.yaml" |
  sort -u >"$tmp/images"
check "the chart renders from the bundle with the mirror and the digest" '[[ -s "$tmp/images" ]]'
check "every rendered image is pulled from $mirror" '! grep -v "^$mirror/" "$tmp/images"'
check "the Airlock image is pinned to the bundle's digest" 'grep -qx "$mirror/airlock:[^@]*@$digest" "$tmp/images"'
echo "bundle: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
