#!/usr/bin/env bash
# Builds the web console (services/console/dist) when it is missing or older than its sources,
# so `npm start` serves an up-to-date console without a build step of its own (~10 s; else instant).
set -euo pipefail
cd "$(dirname "$0")/../services/console"
if [ -f dist/index.html ] && [ -z "$(find src index.html vite.config.ts package.json -newer dist/index.html -print -quit)" ]; then
  exit 0
fi
echo "==> building the console (services/console/dist)"
npx vite build --logLevel warn
