#!/usr/bin/env bash
# Scans the module with govulncheck and fails when the code calls a known
# vulnerable function.
#
# The vulnerability database is built locally from the golang.org/x/vulndb
# module, which carries every Go advisory as OSV JSON under data/osv and is
# served by the Go module proxy, so the scan needs no access to vuln.go.dev.
# The built database is cached per vulndb version next to the build cache.
#
#   scripts/vulncheck.sh              scan ./... with the newest vulndb
#   scripts/vulncheck.sh ./cmd/...    scan other patterns
#
# WAYMARK_VULNDB_VERSION pins the vulndb version (its full pseudo-version, as
# printed by each run) for reproducible scans; the default follows the latest
# commit so that new advisories are seen as soon as they are published.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "vulncheck: $*" >&2; }

GO=${GO:-go}
govulncheck_version=v1.9.0
cache_root="$("$GO" env GOCACHE)/waymark-vulndb"
want="${WAYMARK_VULNDB_VERSION:-latest}"
modified=

# Module queries run outside the repository so that they never touch its
# go.mod or go.sum.
mkdir -p "$cache_root"
gomod() { (cd "$cache_root" && GOWORK=off "$GO" "$@"); }

# Resolving the version is one small proxy request; when the proxy is away, an
# older database beats no scan at all.
if resolved=$(gomod list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' \
  "golang.org/x/vulndb@$want" 2>/dev/null); then
  read -r version modified <<<"$resolved"
else
  cached=$(ls -1 "$cache_root" | grep '^v' | sort | tail -1 || true)
  if [ "$want" != latest ] || [ -z "$cached" ]; then
    say "cannot resolve golang.org/x/vulndb@$want through the module proxy ($("$GO" env GOPROXY))"
    exit 1
  fi
  version=$cached
  say "module proxy unreachable; using the cached database from golang.org/x/vulndb@$version"
fi

db="$cache_root/$version"
if [ ! -f "$db/index/db.json" ]; then
  say "building the vulnerability database from golang.org/x/vulndb@$version"
  src=$(gomod mod download -json "golang.org/x/vulndb@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ ! -d "$src/data/osv" ]; then
    say "golang.org/x/vulndb@$version has no data/osv directory; cannot build the database"
    exit 1
  fi
  tmp=$(mktemp -d "$cache_root/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # indexdb is the generator behind vuln.go.dev: it validates each entry and
  # writes the v1 layout (index/db.json, index/modules.json, ID/<id>.json).
  gomod run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$src/data/osv" -out "$tmp"
  # The entries in data/osv carry no timestamps (the hosted database takes them
  # from git history), so date the database by the vulndb commit instead.
  printf '{"modified":"%s"}' "$modified" >"$tmp/index/db.json"
  # govulncheck reads only the plain JSON of a file:// database.
  find "$tmp" -name '*.json.gz' -delete
  # A concurrent run may have won the race; either copy is the same.
  if mv -T "$tmp" "$db" 2>/dev/null; then
    trap - EXIT
  fi
  # Only the newest database is worth its 20 MB.
  find "$cache_root" -mindepth 1 -maxdepth 1 -type d -name 'v*' ! -name "$version" -exec rm -rf {} +
fi

# An installed binary, unlike go run, passes on govulncheck's exit status.
bin="$cache_root/bin/govulncheck-$govulncheck_version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache_root/bin"
  gobin=$(mktemp -d "$cache_root/tmp.XXXXXX")
  GOBIN="$gobin" gomod install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version"
  mv -f "$gobin/govulncheck" "$bin"
  rm -rf "$gobin"
  find "$cache_root/bin" -name 'govulncheck-*' ! -name "govulncheck-$govulncheck_version" -delete
fi

[ $# -gt 0 ] || set -- ./...
say "scanning $* with govulncheck $govulncheck_version against golang.org/x/vulndb@$version"
status=0
"$bin" -db "file://$db" "$@" || status=$?
case $status in
0) ;;
3)
  # Vulnerabilities that sit in the module graph but are never called do not
  # reach this branch: govulncheck exits 3 only for reachable symbols.
  say "the code calls vulnerable functions; move to the 'Fixed in' versions above" \
    "(a newer Go toolchain for the standard library, go get for modules)"
  ;;
*) say "govulncheck failed (exit status $status)" ;;
esac
exit "$status"
