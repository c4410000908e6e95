#!/usr/bin/env bash
# npm ci when node_modules is missing or older than the lockfile, then the Prisma client.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi
npx prisma generate >/dev/null 2>&1 || npx prisma generate
