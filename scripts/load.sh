#!/usr/bin/env bash
# Measures whether ingest starves the dashboards on this machine: builds
# bin/waymark and runs scripts/load, which starts `waymark serve` on free
# loopback ports and a database of its own, lets 50 users load the journey
# map page and the stats API alone and then while OTLP clients send spans
# as fast as the receiver takes them, and prints both sides' figures.
#
#   scripts/load.sh                          # the defaults
#   scripts/load.sh -users 50 -think 0       # a closed loop: no pause between requests
#
# Any flag is passed on to scripts/load (go run ./scripts/load -h).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
make -s build
exec go run ./scripts/load -waymark bin/waymark "$@"
