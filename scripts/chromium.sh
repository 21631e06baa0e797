#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser test (integration-tests/dashboard.test.ts),
# installing it with apt-get when /usr/bin/chromium is missing. Idempotent; quiet on success; prints the binary's path.
set -euo pipefail
bin=/usr/bin/chromium

if [ ! -x "$bin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium.sh: $bin is missing and installing it needs root: run 'sudo $0' or 'apt-get install chromium'" >&2
    exit 1
  fi
  log="$(mktemp)"
  # apt's output only matters when it fails: then it is shown whole.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "chromium.sh: could not install Debian's chromium package (see apt's output above)" >&2
    exit 1
  fi
  rm -f "$log"
  if [ ! -x "$bin" ]; then
    echo "chromium.sh: the chromium package was installed but $bin is not there" >&2
    exit 1
  fi
fi
echo "$bin"
