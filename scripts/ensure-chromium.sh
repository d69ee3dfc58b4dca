#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the browser tests, from
# Debian's packages when it is missing (as root, through apt).
set -euo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "ensure-chromium: Chromium is missing; install the chromium package (the browser tests need it)" >&2
exit 1
