#!/usr/bin/env bash
# Vendors front-end libraries from npm into web/static, where go:embed picks
# them up. The copies are committed so that building Waymark never needs npm.
#
#   scripts/vendor-assets.sh            install the versions locked in package-lock.json
#   scripts/vendor-assets.sh --upgrade  move to the newest htmx 2.x and record it
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "vendor-assets: $*" >&2; }

if ! command -v npm >/dev/null; then
  say "npm is not installed; it is only needed to re-vendor web/static (apt-get install npm)"
  exit 1
fi

if [ "${1:-}" = "--upgrade" ] || [ ! -f package-lock.json ]; then
  # The major version is pinned: htmx 3 would be a deliberate migration.
  npm install --save-dev --no-audit --no-fund 'htmx.org@2'
else
  npm ci --no-audit --no-fund
fi

version=$(node -p 'require("./node_modules/htmx.org/package.json").version')
case "$version" in
  2.*) ;;
  *) say "expected htmx 2.x, got $version"; exit 1 ;;
esac
install -m 0644 node_modules/htmx.org/dist/htmx.min.js web/static/htmx.min.js
say "web/static/htmx.min.js is htmx $version"
