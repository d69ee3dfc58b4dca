#!/usr/bin/env bash
# Times the journey preview (POST /api/v1/journeys/preview) of an example
# journey against a trace source that already holds traffic, as the editor's
# "Preview journey" button runs it: `waymark serve` on a database of its own
# and free loopback ports, then RUNS timed previews over FROM..TO.
#
#   scripts/measure-preview.sh tempo shop-checkout 2026-12-04T01:55:00Z 2026-12-04T01:56:00Z
#   scripts/measure-preview.sh embedded shop-checkout '' ''   # the embedded store, the last hour
#
# WAYMARK_TEMPO_URL overrides Tempo's address; RUNS (default 5) the repeats.
# Each line printed is one run: wall time, the preview's own time, spans read
# and instances entered.
set -euo pipefail
cd "$(dirname "$0")/.."

source=${1:?usage: $0 tempo|embedded JOURNEY [FROM TO]}
journey=${2:?usage: $0 tempo|embedded JOURNEY [FROM TO]}
from=${3:-}
to=${4:-}
runs=${RUNS:-5}
tempo_url=${WAYMARK_TEMPO_URL:-http://127.0.0.1:3200}
db="waymark_preview_$$"
token="measure-preview-token-$$"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

scripts/ensure-postgres.sh "$db"
make -s build
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres >/dev/null 2>&1 || true
}
trap cleanup EXIT
bin/waymark migrate -database-url "$url" -log-level error >/dev/null
listen="127.0.0.1:$(free_port)"
if [ "$source" = tempo ]; then
  WAYMARK_TRACE_SOURCE=tempo WAYMARK_TEMPO_URL="$tempo_url" WAYMARK_API_TOKEN="$token" \
    bin/waymark serve -database-url "$url" -listen "$listen" -log-level warn >/tmp/preview-serve-$$.log 2>&1 &
else
  WAYMARK_API_TOKEN="$token" bin/waymark serve -database-url "$url" -listen "$listen" \
    -otlp-listen "127.0.0.1:$(free_port)" -log-level warn >/dev/null 2>&1 &
fi
pid=$!
for _ in $(seq 50); do curl -sf "http://$listen/healthz" >/dev/null && break; sleep 0.2; done
q="range=1h"
[ -n "$from" ] && q="from=$from&to=$to"
for _ in $(seq "$runs"); do
  curl -sS -o /tmp/preview-$$.json -w '%{time_total}' -X POST "http://$listen/api/v1/journeys/preview?$q" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/yaml' \
    --data-binary @"journeys/examples/$journey.yaml" |
    python3 -c '
import json, sys
w = float(sys.stdin.read())
p = json.load(open(sys.argv[1]))
f = p.get("funnel", {})
print("wall %.0f ms  preview %s ms  spans %s  entered %s  partial %s" % (w * 1000, p.get("took_ms"), p.get("spans"), f.get("entered"), p.get("partial")))
' /tmp/preview-$$.json
done
cat /tmp/preview-$$.json | head -c 600; echo; rm -f /tmp/preview-$$.json
