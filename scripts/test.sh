#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, starts throwaway
# Postgres and Redis on free ports in a temp dir, migrates, runs lint, typecheck, jest and
# the chart checks, and stops what it started (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# The client package alone (psql) also creates /usr/lib/postgresql/N/bin: look for initdb.
PG_BIN=${TEST_PG_BIN:-$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")}
# What the suite needs from Debian, installed in one apt run when any is missing: the servers,
# runc (runs the built image, scripts/test-image.sh), skopeo (mirrors it, test-airgap-bundle.sh),
# curl and jq (the docs test runs docs/install.md's curl steps as written) and Chromium (the
# console's browser journeys; playwright-core downloads no browser).
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
missing=()
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
for tool in redis-server runc skopeo curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "needed: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  log "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
fi
export TEST_PG_BIN=$PG_BIN

bash scripts/ensure-deps.sh

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
image_pid=
cleanup() {
  [ -n "$image_pid" ] && kill "$image_pid" 2>/dev/null && wait "$image_pid" 2>/dev/null || true
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1 || true
  [ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

log "starting Postgres and Redis in $tmp"
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp" "$tmp/pg"
PGPORT=$(free_port)
as_pg "$PG_BIN/initdb" -D "$tmp/pg" -U postgres -A trust --no-sync >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" \
  -o "-p $PGPORT -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" -w start >/dev/null
REDISPORT=$(free_port)
redis-server --port "$REDISPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log" --dir "$tmp"

# The app connects as an ordinary role that owns its tables: row-level security applies to
# it (FORCE), as it must in production. Suites clone the migrated template database.
admin="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
psql -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE ROLE airlock LOGIN" -c "CREATE DATABASE airlock_template OWNER airlock"
log "migrating the template database"
DATABASE_URL="postgresql://airlock@127.0.0.1:$PGPORT/airlock_template" LOG_LEVEL=warn npm run --silent migrate

export TEST_DATABASE_ADMIN_URL=$admin
export TEST_DATABASE_TEMPLATE=airlock_template
export TEST_DATABASE_APP_ROLE=airlock
export TEST_REDIS_URL="redis://127.0.0.1:$REDISPORT"

if [ $# -eq 0 ]; then
  # The image build and its runc checks run beside lint, typecheck, the chart checks and jest
  # (mostly waiting on downloads and gzip); their output is printed when they finish.
  log "image: build (cached by input digest) and run under runc, in the background"
  IMAGE_DEPS_READY=1 bash scripts/test-image.sh >"$tmp/image.log" 2>&1 &
  image_pid=$!
fi
log "lint"
npm run --silent lint
log "typecheck"
npm run --silent typecheck
log "chart: helm lint/template, Kubernetes schemas, chart tests, kube-apiserver install"
bash scripts/test-chart.sh
log "console build (services/console/dist, for the browser journeys)"
bash scripts/ensure-console.sh
log "jest: services"
npm test -- "$@"
if [ $# -eq 0 ]; then
  # The same gateway, limits and audit suites against the in-memory Redis stand-in that
  # all-in-one runs on, so the stand-in cannot drift from real Redis unnoticed.
  log "jest: gateway and audit suites on the in-memory Redis stand-in"
  TEST_REDIS_URL=memory npm test -- services/gateway/test/openai-sdk.test.ts \
    services/gateway/test/routes/audit.test.ts services/gateway/test/routes/limits.test.ts \
    services/gateway/test/routes/routing.test.ts services/gateway/test/routes/redaction.test.ts \
    services/gateway/test/routes/access-explain.test.ts \
    services/audit/test/ingest/consumer.test.ts services/audit/test/module.test.ts \
    services/audit/test/routes services/audit/test/retention
fi
if [ -n "$image_pid" ]; then
  log "image: build, run under runc, reproducibility (scripts/test-image.sh)"
  image_rc=0
  wait "$image_pid" || image_rc=$?
  image_pid=
  cat "$tmp/image.log"
  [ "$image_rc" -eq 0 ] || { echo "scripts/test-image.sh failed (exit $image_rc)" >&2; exit 1; }
  log "air-gapped bundle: made, unpacked, checksums verified, chart rendered from it"
  bash scripts/test-airgap-bundle.sh
fi
