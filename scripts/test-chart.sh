#!/usr/bin/env bash
# Tests the Helm chart (charts/airlock) end to end, offline apart from package registries:
#   1. installs pinned helm and kubeconform into .tools/bin with `go install` (the Go module
#      proxy is the only download source; skipped when the pinned versions are there),
#   2. generates Kubernetes 1.29-1.32 JSON schemas into .tools/k8s-schemas from the OpenAPI spec
#      inside the k8s.io/kubernetes Go module (plus the ServiceMonitor, PrometheusRule and
#      HTTPRoute CRDs from their Go modules), once per generator version,
#   3. `helm lint --strict` and `helm template` with every ci/ scenario and deploy/ example,
#   4. validates every rendered object against each Kubernetes version's schemas (kubeconform),
#   5. runs the chart's jest tests (charts/airlock/test), which include the check that the
#      committed rendered manifests and the README values reference are up to date,
#   6. installs, upgrades, rolls back and uninstalls the chart against a real kube-apiserver
#      (built from the k8s.io/kubernetes Go module, cached in .tools/bin) on etcd (Debian's
#      etcd-server package, installed with apt-get when missing), all on 127.0.0.1
#      (scripts/chart/apiserver-test.mjs). --no-apiserver skips this step.
#
# Usage: scripts/test-chart.sh [--tools-only] [--no-apiserver]
# Needs: Go (PATH or /usr/local/go/bin), Node 20 and the repo's node_modules (npm ci); root (or
# an installed etcd) for step 6.
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
# The Kubernetes minor versions the chart supports (Chart.yaml kubeVersion >=1.29): the newest
# patch release of each that the module proxy serves.
K8S_VERSIONS=(1.29.15 1.30.14 1.31.14 1.32.13)
PROMETHEUS_OPERATOR_VERSION=v0.85.0
GATEWAY_API_VERSION=v1.2.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"
chart="$root/charts/airlock"
tools_only=false
apiserver=true
for arg in "$@"; do
  case "$arg" in
    --tools-only) tools_only=true ;;
    --no-apiserver) apiserver=false ;;
    *) echo "usage: $0 [--tools-only] [--no-apiserver]" >&2; exit 2 ;;
  esac
done

started=$SECONDS
step() { printf '\n==> %s (%ss)\n' "$*" "$((SECONDS - started))"; }
die() { printf 'test-chart: %s\n' "$*" >&2; exit 1; }

GO="${GO:-$(command -v go || true)}"
[[ -n "$GO" ]] || GO=/usr/local/go/bin/go
[[ -x "$GO" ]] || die "Go is required (looked in PATH and /usr/local/go/bin)"
command -v node >/dev/null || die "node is required"
# Never fetch a different Go toolchain; the pinned tools build with the machine's Go.
export GOTOOLCHAIN=local
mkdir -p "$bin"

# ---- 1. tools ---------------------------------------------------------------------------------
installed_helm="$("$bin/helm" version --template '{{.Version}}' 2>/dev/null || true)"
if [[ "$installed_helm" != "$HELM_VERSION" ]]; then
  step "installing helm $HELM_VERSION with go install (a few minutes on a cold Go cache)"
  # The same -X flags as helm's Makefile: the version, and the Kubernetes version helm assumes
  # when it talks to no cluster (its client-go is v0.37, so 1.37) instead of the built-in 1.20.
  helm_x=helm.sh/helm/v3
  GOBIN="$bin" "$GO" install -trimpath -ldflags "-s -w \
    -X $helm_x/internal/version.version=$HELM_VERSION -X $helm_x/internal/version.gitTreeState=clean \
    -X $helm_x/pkg/lint/rules.k8sVersionMajor=1 -X $helm_x/pkg/lint/rules.k8sVersionMinor=37 \
    -X $helm_x/pkg/chartutil.k8sVersionMajor=1 -X $helm_x/pkg/chartutil.k8sVersionMinor=37" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
installed_kc="$("$bin/kubeconform" -v 2>/dev/null || true)"
if [[ "$installed_kc" != "$KUBECONFORM_VERSION" ]]; then
  step "installing kubeconform $KUBECONFORM_VERSION with go install"
  GOBIN="$bin" "$GO" install -trimpath -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi
export HELM="$bin/helm"
# helm keeps its config and cache under .tools, never in the user's home.
export HELM_CONFIG_HOME="$tools/helm/config" HELM_CACHE_HOME="$tools/helm/cache" HELM_DATA_HOME="$tools/helm/data"

# Downloads a Go module into the module cache and prints its directory.
module_dir() {
  local json dir
  json="$(cd "$tools" && GOFLAGS=-mod=mod "$GO" mod download -json "$1")" || die "go mod download $1 failed"
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1 gave no directory: $json"
  printf '%s\n' "$dir"
}

# ---- 2. schemas -------------------------------------------------------------------------------
generator="$root/scripts/chart/k8s-schemas.mjs"
stamp_want="$(sha256sum "$generator" | cut -d' ' -f1) po=$PROMETHEUS_OPERATOR_VERSION gw=$GATEWAY_API_VERSION"
crd_args=()
for k8s in "${K8S_VERSIONS[@]}"; do
  out="$tools/k8s-schemas/v$k8s-standalone-strict"
  if [[ "$(cat "$out/.stamp" 2>/dev/null || true)" == "$stamp_want" ]]; then continue; fi
  if [[ ${#crd_args[@]} -eq 0 ]]; then
    step "fetching CRDs (prometheus-operator $PROMETHEUS_OPERATOR_VERSION, gateway-api $GATEWAY_API_VERSION) from the Go module proxy"
    po="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
    gw="$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")"
    crd_args=(
      --crd "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
      --crd "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
      --crd "$gw/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
    )
  fi
  step "generating Kubernetes $k8s schemas from k8s.io/kubernetes@v$k8s"
  k8s_dir="$(module_dir "k8s.io/kubernetes@v$k8s")"
  rm -rf "$out"
  node "$generator" --out "$out" --swagger "$k8s_dir/api/openapi-spec/swagger.json" "${crd_args[@]}"
  printf '%s' "$stamp_want" > "$out/.stamp"
done

if $tools_only; then
  step "tools ready in .tools/"
  exit 0
fi

[[ -d "$root/node_modules/yaml" && -d "$root/node_modules/jest" ]] || die "node_modules is missing: run npm ci first"

# ---- 3. lint and render -----------------------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

values_files=("$chart"/ci/*-values.yaml "$root"/deploy/*.yaml)
step "helm lint --strict with ${#values_files[@]} values files"
for f in "${values_files[@]}"; do
  "$HELM" lint --strict --quiet "$chart" -f "$f" >"$tmp/lint.log" 2>&1 \
    || { cat "$tmp/lint.log" >&2; die "helm lint --strict failed with ${f#"$root"/}"; }
done

step "helm template with every ci/ scenario and deploy/ example"
for f in "${values_files[@]}"; do
  name="$(basename "$(dirname "$f")")-$(basename "$f" .yaml)"
  read -r -a flags <<<"$(sed -n 's/^# render-flags://p' "$f")"
  "$HELM" template airlock "$chart" --namespace airlock -f "$f" "${flags[@]}" >"$tmp/$name.yaml" \
    || die "helm template failed with ${f#"$root"/}"
  # Every scenario once more with the Prometheus Operator present, so its objects are validated
  # against the scenario's values too.
  "$HELM" template airlock "$chart" --namespace airlock -f "$f" --api-versions monitoring.coreos.com/v1 \
    >"$tmp/$name-monitoring.yaml" || die "helm template (monitoring) failed with ${f#"$root"/}"
done

# ---- 4. Kubernetes schemas --------------------------------------------------------------------
for k8s in "${K8S_VERSIONS[@]}"; do
  step "kubeconform -strict against Kubernetes $k8s"
  "$bin/kubeconform" -strict -summary -kubernetes-version "$k8s" \
    -schema-location "$tools/k8s-schemas" "$tmp"/*.yaml \
    || die "rendered manifests are not valid for Kubernetes $k8s"
done

# ---- 5. chart unit tests ----------------------------------------------------------------------
step "jest: charts/airlock/test"
cd "$root"
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' \
  npx --no-install jest --roots '<rootDir>/charts'

# ---- 6. a real API server ----------------------------------------------------------------------
if $apiserver; then
  # The newest Kubernetes version tested above. k8s.io/kubernetes is not meant to be imported: its
  # go.mod replaces the k8s.io/* staging modules with ./staging paths that the module zip lacks,
  # so a small wrapper module points them at their published v0.x releases instead.
  k8s="${K8S_VERSIONS[-1]}"
  kas="$bin/kube-apiserver"
  if [[ "$("$kas" --version 2>/dev/null || true)" != "Kubernetes v$k8s" ]]; then
    step "building kube-apiserver v$k8s from the k8s.io/kubernetes Go module (several minutes on a cold Go cache)"
    k8s_dir="$(module_dir "k8s.io/kubernetes@v$k8s")"
    src="$tools/kube-apiserver-src"
    rm -rf "$src" && mkdir -p "$src"
    {
      printf 'module airlock.local/kube-apiserver\n\ngo 1.23.0\n\nrequire k8s.io/kubernetes v%s\n\n' "$k8s"
      sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/.*#replace \1 => \1 v0.${k8s#1.}#p" "$k8s_dir/go.mod"
    } >"$src/go.mod"
    version_x=k8s.io/component-base/version
    minor="$(cut -d. -f2 <<<"$k8s")"
    (cd "$src" && GOFLAGS=-mod=mod "$GO" get "k8s.io/kubernetes/cmd/kube-apiserver@v$k8s" \
      && GOFLAGS=-mod=mod "$GO" build -trimpath -o "$kas" -ldflags "-s -w \
        -X $version_x.gitVersion=v$k8s -X $version_x.gitMajor=1 -X $version_x.gitMinor=$minor \
        -X $version_x.gitTreeState=clean" k8s.io/kubernetes/cmd/kube-apiserver) \
      || die "building kube-apiserver failed"
  fi
  etcd_bin="$(command -v etcd || true)"
  if [[ -z "$etcd_bin" ]]; then
    [[ "$(id -u)" == 0 ]] || die "etcd is missing: apt-get install etcd-server (or run with --no-apiserver)"
    step "installing etcd (Debian package etcd-server)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; } \
      || die "apt-get install etcd-server failed"
    etcd_bin="$(command -v etcd)"
  fi
  step "install, upgrade, rollback and uninstall against kube-apiserver v$k8s"
  KUBE_APISERVER="$kas" ETCD="$etcd_bin" node "$root/scripts/chart/apiserver-test.mjs"
fi

step "chart tests passed"
