#!/usr/bin/env bash
# Regenerates charts/airlock/tests/rendered/*.yaml from the ci/ scenarios (pass --check to only
# compare). Installs the pinned helm into .tools/ first when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ ! -x "$root/.tools/bin/helm" ]]; then
  "$root/scripts/test-chart.sh" --tools-only
fi
exec node "$root/scripts/chart/render.mjs" "$@"
