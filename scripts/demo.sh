#!/usr/bin/env bash
# Runs one example live against the broker with-services.sh started: `scripts/demo.sh <example>`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="${1:-fraud}"
if [ ! -f "$root/topologies/$example/demo.ts" ]; then
  echo "demo: no example named '$example' (have: $(cd "$root/topologies" && ls -d */ | tr -d / | grep -v '^lib$' | tr '\n' ' '))" >&2
  exit 2
fi
exec node "$root/topologies/$example/demo.ts"
