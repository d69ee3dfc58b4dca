#!/usr/bin/env bash
# Regenerates templ code and fails when the committed files were stale.
set -euo pipefail
before=$(find . -name '*_templ.go' -not -path './node_modules/*' -print0 | sort -z | xargs -0 -r sha256sum)
if ! out=$(go tool templ generate 2>&1); then echo "$out" >&2; exit 1; fi
after=$(find . -name '*_templ.go' -not -path './node_modules/*' -print0 | sort -z | xargs -0 -r sha256sum)
if [ "$before" != "$after" ]; then
  echo "generated templ code was out of date; commit the result of 'make generate':" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
