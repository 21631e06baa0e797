#!/usr/bin/env bash
# Builds the images of Weir's container tests and compose stack locally, once: no image registry is needed.
#
#   scripts/images.sh [NAME...]   build (or find cached) the named images, all by default; prints "name tag" lines
#
#   base        weir-base:bookworm         Debian bookworm (debootstrap --variant=minbase, then docker import);
#                                          the root filesystem's tarball is cached in <cache>/images/
#   java        weir-java:17               base + Debian's OpenJDK 17 JRE
#   kafka       weir-kafka:<version>       java + the Maven-resolved jars of scripts/kafka.sh; KRaft, one node,
#                                          configured from KAFKA_* variables like the apache/kafka image;
#                                          also tagged weir-kafka:local (the compose stack's)
#   registry    weir-registry:<version>    java + the Apicurio Registry of scripts/registry.sh (and :local)
#   node        weir-node:<version>        base + the project's Node 24 (scripts/node-env.sh) and npm
#   weir        weir:local                 docker/Dockerfile with NODE_IMAGE=weir-node:<version>
#   prometheus  weir-prometheus:local      base + Debian's prometheus
#
# An image is rebuilt only when its inputs change: each is also tagged with a hash of its inputs (Dockerfile,
# context files, the image it is built FROM), and a build whose hash tag exists is skipped.
# Build times go to stderr. Needs DOCKER_HOST (scripts/docker-engine.sh start) or the default engine.
#
# Environment:
#   WEIR_CACHE_DIR       cache root (default <repo>/.cache)
#   WEIR_DEBIAN_MIRROR   Debian mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${WEIR_CACHE_DIR:-$root/.cache}"
[[ $cache == /* ]] || cache="$PWD/$cache"
images="$root/docker/images"
work="$cache/images"
mirror="${WEIR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
kafka_version="${KAFKA_VERSION:-$(sed -n 's/^DEFAULT_KAFKA_VERSION=//p' "$root/scripts/kafka.sh")}"
registry_version="$(sed -n 's:.*<apicurio\.version>\([^<]*\)</apicurio\.version>.*:\1:p' "$root/scripts/registry/pom.xml" | head -n1)"
node_version="${WEIR_NODE_VERSION:-24.21.0}"
npm_version=11.6.2

log() { echo "images.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# A short hash of everything on stdin.
digest() { sha256sum | cut -c1-12; }

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

# Hash of a build: its Dockerfile, its context's files (names and contents) and the id of the image it builds on.
context_hash() {
  local context=$1 from=$2
  { [[ -z $from ]] || image_id "$from"; (cd "$context" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); } | digest
}

# build NAME TAG CONTEXT FROM [BUILD-ARG...]: docker build unless TAG's input hash is already built.
build() {
  local name=$1 tag=$2 context=$3 from=$4
  shift 4
  local hash started=$SECONDS
  hash="$(context_hash "$context" "$from")"
  local hashed="${tag%%:*}:h-$hash"
  if [[ -n $(image_id "$hashed") ]]; then
    docker tag "$hashed" "$tag"
    log "$name: $tag is up to date ($hashed)"
  else
    log "$name: building $tag..."
    local build_log="$work/$name.build.log"
    # The classic builder: BuildKit would need the buildx plugin and fetch its dockerfile frontend from a
    # registry. The host network: a build's apt-get and npm reach their registries as the host does.
    if ! DOCKER_BUILDKIT=0 docker build --network host --force-rm -t "$tag" -t "$hashed" "$@" "$context" >"$build_log" 2>&1; then
      tail -n 40 "$build_log" >&2
      die "$name: docker build failed (full log: $build_log)"
    fi
    log "$name: built $tag in $((SECONDS - started))s"
  fi
  echo "$name $tag"
}

# A fresh copy of docker/images/NAME as a build context, to which the caller adds files.
context_dir() {
  local dir="$work/$1-context"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -a "$images/$1/." "$dir/"
  echo "$dir"
}

build_base() {
  local tag=weir-base:bookworm tarball="$work/debian-bookworm-minbase.tar" started=$SECONDS
  if [[ ! -f $tarball ]]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap; scripts/docker-engine.sh start installs it as root)"
    [[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
    local rootfs="$work/debian-bookworm-rootfs"
    rm -rf "$rootfs"
    mkdir -p "$work"
    log "base: debootstrap --variant=minbase bookworm from $mirror (once; the tarball is cached)..."
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
      tail -n 40 "$work/debootstrap.log" >&2
      rm -rf "$rootfs"
      die "base: debootstrap failed (full log: $work/debootstrap.log)"
    fi
    # An image needs no apt lists or package cache; apt in a derived image runs `apt-get update` itself.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
    log "base: root filesystem in $((SECONDS - started))s ($(du -h "$tarball" | cut -f1))"
  fi
  local hash
  hash="$(sha256sum "$tarball" | cut -c1-12)"
  if [[ -z $(image_id "weir-base:h-$hash") ]]; then
    started=$SECONDS
    docker import --change 'CMD ["/bin/bash"]' "$tarball" "weir-base:h-$hash" >/dev/null
    log "base: imported in $((SECONDS - started))s"
  fi
  docker tag "weir-base:h-$hash" "$tag"
  echo "base $tag"
}

build_java() {
  build java weir-java:17 "$(context_dir java)" weir-base:bookworm
}

build_kafka() {
  "$root/scripts/kafka.sh" install
  local context
  context="$(context_dir kafka)"
  # Hard links: the jars are not copied, and a context's hash is the same for the same jars.
  cp -al "$cache/kafka-$kafka_version/libs" "$context/libs"
  build kafka "weir-kafka:$kafka_version" "$context" weir-java:17
  # The compose stack runs weir-kafka:local: the version built last.
  docker tag "weir-kafka:$kafka_version" weir-kafka:local
}

build_registry() {
  "$root/scripts/registry.sh" install
  local context
  context="$(context_dir registry)"
  cp -al "$cache/registry-$registry_version" "$context/registry"
  rm -f "$context/registry/.weir-installed"
  mv "$context/registry/apicurio-registry-app-$registry_version-runner.jar" "$context/registry/apicurio-registry-app-runner.jar"
  build registry "weir-registry:$registry_version" "$context" weir-java:17
  docker tag "weir-registry:$registry_version" weir-registry:local
}

build_node() {
  local home context tarball="$work/npm-$npm_version.tgz"
  home="$(WEIR_FORCE_LOCAL_NODE=1 WEIR_NODE_VERSION="$node_version" "$root/scripts/node-env.sh")"
  if [[ ! -f $tarball ]]; then
    mkdir -p "$work"
    (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null) || die "node: could not fetch npm@$npm_version from the npm registry"
  fi
  context="$(context_dir node)"
  cp -l "$home/bin/node" "$context/node"
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then cp /etc/ssl/certs/ca-certificates.crt "$context/"; else : >"$context/ca-certificates.crt"; fi
  mkdir -p "$context/npm"
  tar -xzf "$tarball" -C "$context/npm" --strip-components=1
  build node "weir-node:$node_version" "$context" weir-base:bookworm
}

# docker/Dockerfile itself, built from the repository (.dockerignore keeps the context to the package files,
# src/ and topologies/), with the local Node image in place of the official one.
build_weir() {
  build_node >/dev/null
  local from="weir-node:$node_version" hash started=$SECONDS
  hash="$({ image_id "$from"; cd "$root" && find docker/Dockerfile .dockerignore package.json package-lock.json src topologies \
    -type f ! -name '*.test.ts' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } | digest)"
  if [[ -n $(image_id "weir:h-$hash") ]]; then
    docker tag "weir:h-$hash" weir:local
    log "weir: weir:local is up to date (weir:h-$hash)"
  else
    log "weir: building weir:local..."
    if ! DOCKER_BUILDKIT=0 docker build --network host --force-rm --build-arg "NODE_IMAGE=$from" \
        -t weir:local -t "weir:h-$hash" -f "$root/docker/Dockerfile" "$root" >"$work/weir.build.log" 2>&1; then
      tail -n 40 "$work/weir.build.log" >&2
      die "weir: docker build failed (full log: $work/weir.build.log)"
    fi
    log "weir: built weir:local in $((SECONDS - started))s"
  fi
  echo "weir weir:local"
}

build_prometheus() {
  build prometheus weir-prometheus:local "$(context_dir prometheus)" weir-base:bookworm
}

case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac

all=(base java kafka registry node weir prometheus)
(($# > 0)) || set -- "${all[@]}"
for name in "$@"; do
  case " ${all[*]} " in *" $name "*) ;; *) die "unknown image '$name' (one of: ${all[*]})" ;; esac
  "build_$name"
done
