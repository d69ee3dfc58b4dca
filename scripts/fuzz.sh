#!/usr/bin/env bash
# Runs every fuzz target of the module for a short budget each, package by
# package, and fails on the first crash. A crash leaves its input in the
# package's testdata/fuzz/FuzzName/, where `go test` replays it from then
# on: commit it with the fix as the regression test.
#
#   FUZZTIME          budget per target (default 3s), as -fuzztime takes it
#   FUZZMINIMIZETIME  budget for minimising each new input (default 100x)
#   GO                the go command (default go)
#
# Each package's test binary is built once with the fuzzing instrumentation
# (go test -c -fuzz) and run once per target, which is what
# `go test -run '^$' -fuzz '^FuzzName$' -fuzztime $FUZZTIME` does, without
# linking the binary again for every target; the next package builds while
# the current one fuzzes.
#
# Every run starts from the seeds and the committed testdata corpus alone,
# with a cache of its own that is dropped at the end: go's shared cache
# grows with every run, and replaying it (tens of milliseconds an input)
# would soon take the whole budget of a target before any fuzzing. Inputs
# worth keeping belong in testdata/fuzz/FuzzName/.
set -euo pipefail

cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-3s}"
# Every input that finds new coverage is minimised first, by default for
# up to 60s: with a budget of seconds, the first large one (an OTLP request,
# a trace snapshot) would take all of it. A hundred tries keeps most of the
# budget for fuzzing; a crasher is still written, a little less small.
MINIMIZE="${FUZZMINIMIZETIME:-100x}"

say() { echo "fuzz: $*" >&2; }

module="$("$GO" list -m)"
bin="$(mktemp -d)"
cache="$bin/cache"
trap 'rm -rf "$bin"' EXIT

# Targets by package directory, in a stable order.
declare -A targets=()
while IFS=: read -r file _ decl; do
  name="${decl#func }"
  name="${name%%(*}"
  dir="$(dirname "$file")"
  targets["$dir"]+=" $name"
done < <(git ls-files --cached --others --exclude-standard -- '*_test.go' | xargs -r grep -Hn '^func Fuzz' || true)

if [ "${#targets[@]}" -eq 0 ]; then
  say "no fuzz targets found"
  exit 1
fi

dirs="$(printf '%s\n' "${!targets[@]}" | sort)"
binary() { echo "$bin/$(echo "$1" | tr / _).test"; }

# Builds run one package ahead of the fuzzing, in the background, so that
# linking the next binary overlaps the budget of the current targets.
(
  while read -r dir; do
    while [ "$(find "$bin" -name '*.test' | wc -l)" -ge 2 ]; do
      sleep 0.2
    done
    if "$GO" test -c -fuzz . -o "$(binary "$dir").tmp" "./$dir" 2>"$(binary "$dir").log"; then
      mv "$(binary "$dir").tmp" "$(binary "$dir")"
    else
      touch "$(binary "$dir").failed"
    fi
  done <<<"$dirs"
) &
builder=$!
trap 'kill "$builder" 2>/dev/null || true; rm -rf "$bin"' EXIT

start=$SECONDS
count=0
flaked=0
while read -r dir; do
  pkg="$module/$dir"
  [ "$dir" = "." ] && pkg="$module"
  test="$(binary "$dir")"
  until [ -e "$test" ] || [ -e "$test.failed" ]; do
    if ! kill -0 "$builder" 2>/dev/null && [ ! -e "$test" ]; then
      break
    fi
    sleep 0.2
  done
  if [ ! -e "$test" ]; then
    cat "$test.log" >&2 2>/dev/null || true
    say "cannot build the fuzz tests of ./$dir"
    exit 1
  fi
  for name in ${targets[$dir]}; do
    t0=$SECONDS
    corpus="$dir/testdata/fuzz/$name"
    before="$(ls "$corpus" 2>/dev/null || true)"
    if (cd "$dir" && "$test" -test.run '^$' -test.fuzz "^${name}\$" -test.fuzztime "$FUZZTIME" \
      -test.fuzzminimizetime "$MINIMIZE" -test.fuzzcachedir "$cache/$pkg" -test.timeout 10m >"$bin/out" 2>&1); then
      count=$((count + 1))
      echo "fuzzed $name in ./$dir ($((SECONDS - t0))s)"
      continue
    fi
    # Go 1.26's fuzzing coordinator can report its own stop deadline as a
    # failure ("context deadline exceeded", go.dev/issue/75804) with no
    # input to blame. That is no crash: replay the corpus to be sure, and
    # go on. Anything else, or a new input in the corpus, is a crash.
    if [ "$(ls "$corpus" 2>/dev/null || true)" = "$before" ] &&
      grep -q '^    context deadline exceeded$' "$bin/out" &&
      ! grep -qE '^panic:|Failing input written' "$bin/out" &&
      (cd "$dir" && "$test" -test.run "^${name}\$" -test.timeout 10m >"$bin/replay" 2>&1); then
      flaked=$((flaked + 1))
      echo "fuzzed $name in ./$dir ($((SECONDS - t0))s; the toolchain's stop race ended it, the corpus replayed clean)"
      continue
    fi
    cat "$bin/out" >&2
    say "$name in ./$dir failed; its input is in ./$corpus/"
    exit 1
  done
  rm -f "$test"
done <<<"$dirs"
wait "$builder" || true

echo "fuzz: $((count + flaked)) targets at $FUZZTIME each in $((SECONDS - start))s ($flaked ended by the toolchain's stop race)"
echo "fuzz: $((count + flaked)) passed, 0 failed"
