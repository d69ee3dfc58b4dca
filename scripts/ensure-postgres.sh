#!/usr/bin/env bash
# Makes sure a Postgres server is reachable for the demo and the test suite.
#
# With WAYMARK_DATABASE_URL (or WAYMARK_TEST_DATABASE_URL) set, it only checks
# that server. Otherwise it uses the local server on 127.0.0.1:5432, starting
# the Debian cluster when it is down and installing PostgreSQL when it is
# missing (as root, through apt). Optional arguments name databases to create.
set -euo pipefail

say() { echo "ensure-postgres: $*" >&2; }

url="${WAYMARK_TEST_DATABASE_URL:-${WAYMARK_DATABASE_URL:-}}"
if [ -n "$url" ]; then
  if command -v psql >/dev/null && ! out=$(psql "$url" -Atqc 'select 1' 2>&1 >/dev/null); then
    case "$out" in
      *database*"does not exist"*)
        # The server is up; `waymark demo` creates the database itself.
        say "the database in WAYMARK_DATABASE_URL does not exist yet; waymark demo creates it"
        exit 0 ;;
    esac
    say "cannot connect to the database in WAYMARK_DATABASE_URL: ${out##*FATAL:  }"
    exit 1
  fi
  exit 0
fi

ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

if ! ready; then
  if ! command -v pg_ctlcluster >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "PostgreSQL is not installed; installing it with apt-get"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    else
      say "PostgreSQL is not installed and this script cannot install it here."
      say "Install PostgreSQL 13+ listening on 127.0.0.1:5432, or set WAYMARK_DATABASE_URL."
      exit 1
    fi
  fi
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  hba="/etc/postgresql/$ver/main/pg_hba.conf"
  # A fresh Debian cluster wants passwords over TCP; the local development
  # server trusts loopback so that the default URL works without secrets.
  if [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    say "allowing trusted loopback connections in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  say "starting the local PostgreSQL $ver cluster"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
  if ! ready; then
    say "PostgreSQL did not become ready on 127.0.0.1:5432; see /var/log/postgresql/"
    exit 1
  fi
  # Reload in case the cluster was already running with the old pg_hba.conf.
  pg_ctlcluster --skip-systemctl-redirect "$ver" main reload >/dev/null 2>&1 || true
fi

for db in "$@"; do
  if ! psql -h 127.0.0.1 -U postgres -Atqc "select 1 from pg_database where datname = '$db'" postgres | grep -q 1; then
    say "creating database $db"
    psql -h 127.0.0.1 -U postgres -qc "create database \"$db\"" postgres
  fi
done
