#!/usr/bin/env bash
# Runs a command with a Kafka broker and a schema registry available, then stops what this script started
# (by PID, through the scripts that started them) — whether the command passed, failed or was interrupted.
# Exports KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL to the command. Set either beforehand to use yours.
# With its own broker it also exports KAFKA_SASL_SSL_BOOTSTRAP_SERVERS, KAFKA_TLS_CA_FILE, KAFKA_SASL_USERNAME
# and KAFKA_SASL_PASSWORD (the broker's SASL_SSL listener; set them yourself with your own broker).
# WEIR_NO_REGISTRY=1 starts only Kafka (the benchmarks need no registry).
#
# The testcontainers path: with WEIR_TEST_CONTAINERS=1, or when a Docker engine answers and the images of
# scripts/images.sh are built, Kafka and the registry run as containers started by testcontainers
# (integration-tests/helpers/with-containers.ts) instead of Maven-jar processes; WEIR_TEST_CONTAINERS=0 never
# uses containers. WEIR_TEST_CONTAINERS=1 starts the engine (scripts/docker-engine.sh) and builds the images.
# Containers run without Ryuk, testcontainers' reaper (its image would come from Docker Hub): see with-containers.ts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

containers_ready() {
  local tags
  DOCKER_HOST="$("$here/docker-engine.sh" status 2>/dev/null)" || return 1
  export DOCKER_HOST
  tags="$(node --input-type=module -e 'import { imageTags } from "./integration-tests/helpers/containers.ts"; const t = imageTags(); console.log(t.kafka, t.registry)')" || return 1
  # shellcheck disable=SC2086  # two tags
  docker image inspect $tags >/dev/null 2>&1
}

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ -z "${SCHEMA_REGISTRY_URL:-}" ]; then
  case "${WEIR_TEST_CONTAINERS:-}" in
    1)
      DOCKER_HOST="$("$here/docker-engine.sh" start)"
      export DOCKER_HOST
      "$here/images.sh" kafka registry >/dev/null
      use_containers=1 ;;
    0) use_containers=0 ;;
    *) if (cd "$here/.." && containers_ready); then use_containers=1; else use_containers=0; fi ;;
  esac
  if [ "$use_containers" = 1 ]; then
    exec node "$here/../integration-tests/helpers/with-containers.ts" "$@"
  fi
fi

started=()
cleanup() {
  local status=$?
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    # Without the exported addresses: to a start script, a set address means "someone else's service".
    env -u KAFKA_BOOTSTRAP_SERVERS -u SCHEMA_REGISTRY_URL "$here/${started[$i]}.sh" stop >&2 ||
      echo "with-services: could not stop ${started[$i]}" >&2
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  if ! "$here/kafka.sh" status >/dev/null 2>&1; then started+=(kafka); fi
  KAFKA_BOOTSTRAP_SERVERS="$("$here/kafka.sh" start)"
  # Our broker's SASL_SSL listener, for the test that connects through SASL and TLS.
  if [ -z "${KAFKA_SASL_SSL_BOOTSTRAP_SERVERS:-}" ] && sasl="$("$here/kafka.sh" sasl-ssl)"; then
    read -r KAFKA_SASL_SSL_BOOTSTRAP_SERVERS KAFKA_TLS_CA_FILE KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD <<<"$sasl"
    export KAFKA_SASL_SSL_BOOTSTRAP_SERVERS KAFKA_TLS_CA_FILE KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD
  fi
fi
export KAFKA_BOOTSTRAP_SERVERS
if [ -z "${SCHEMA_REGISTRY_URL:-}" ] && [ "${WEIR_NO_REGISTRY:-}" != 1 ]; then
  if ! "$here/registry.sh" status >/dev/null 2>&1; then started+=(registry); fi
  SCHEMA_REGISTRY_URL="$("$here/registry.sh" start)"
fi
export SCHEMA_REGISTRY_URL
# In this checkout `weir-streams` resolves to src/ (package.json `exports`, condition "weir-source"), for this
# command and the `weir run` processes its tests start.
case " ${NODE_OPTIONS:-} " in *" --conditions=weir-source "*) ;; *) export NODE_OPTIONS="--conditions=weir-source ${NODE_OPTIONS:-}" ;; esac
echo "with-services: Kafka at $KAFKA_BOOTSTRAP_SERVERS, schema registry at ${SCHEMA_REGISTRY_URL:-(none)}" >&2

"$@"
