#!/usr/bin/env bash
# Measures what keeping the example journeys' rollups fresh costs the trace
# source at a given rate of demo traffic: it starts `waymark serve` on a
# database of its own, sends `waymark demo -traffic-only` traffic, and runs
# scripts/rollupcost beside them, which prints per minute Tempo's bytes
# inspected for Waymark against one exhaustive search of the new minute,
# the spans read per new span, and the rollups' lag.
#
#   scripts/measure-rollups.sh tempo 20 15      # a Tempo on 127.0.0.1:3200 (OTLP on :4318)
#   scripts/measure-rollups.sh embedded 200 15  # the embedded store
#
# WAYMARK_TEMPO_URL and WAYMARK_TEMPO_OTLP override Tempo's addresses.
set -euo pipefail
cd "$(dirname "$0")/.."

source=${1:-tempo}
rate=${2:-20}
minutes=${3:-15}
tempo_url=${WAYMARK_TEMPO_URL:-http://127.0.0.1:3200}
tempo_otlp=${WAYMARK_TEMPO_OTLP:-http://127.0.0.1:4318}
db="waymark_cost_$$"
out=${TMPDIR:-/tmp}/waymark-measure-$$
mkdir -p "$out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

scripts/ensure-postgres.sh "$db"
make -s build
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres >/dev/null 2>&1 || true
}
trap cleanup EXIT

bin/waymark migrate -database-url "$url" -log-level error >/dev/null
bin/waymark journeys apply -database-url "$url" journeys/examples/
listen="127.0.0.1:$(free_port)"
otlp="127.0.0.1:$(free_port)"
case "$source" in
  tempo)
    WAYMARK_TRACE_SOURCE=tempo WAYMARK_TEMPO_URL="$tempo_url" bin/waymark serve -database-url "$url" -listen "$listen" \
      -log-level warn >"$out/serve.log" 2>&1 &
    endpoint="$tempo_otlp"
    baseline=(-tempo "$tempo_url")
    ;;
  embedded)
    bin/waymark serve -database-url "$url" -listen "$listen" -otlp-listen "$otlp" -log-level warn >"$out/serve.log" 2>&1 &
    endpoint="http://$otlp"
    baseline=()
    ;;
  *) echo "usage: $0 tempo|embedded RATE MINUTES" >&2; exit 2 ;;
esac
pids+=($!)
sleep 2
bin/waymark demo -traffic-only -rate "$rate" -backfill 0 -endpoint "$endpoint" >"$out/traffic.log" 2>&1 &
pids+=($!)
echo "serving on $listen, $rate sessions/s to $endpoint; logs in $out" >&2
go run ./scripts/rollupcost -db "$url" "${baseline[@]}" -minutes "$minutes"
