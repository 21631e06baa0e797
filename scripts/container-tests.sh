#!/usr/bin/env bash
# The container stage of `make test` (its last stage, after the broker suite) and `make containers`: a Docker
# engine (scripts/docker-engine.sh), the images (scripts/images.sh), a core subset of the integration tests with
# Kafka and the registry started by testcontainers, and the compose stack run for real
# (docker/compose-stack.test.ts).
#
# Where no engine can be had (not root, no apt-get, dockerd refusing to start), the stage is SKIPPED: it
# says so in capitals and exits 0; it never reports a pass it did not run. WEIR_CONTAINER_TESTS=required
# makes that a failure instead; WEIR_CONTAINER_TESTS=skip skips it on purpose (said just as plainly).
#
# Whatever the outcome (pass, failure, Ctrl-C), it leaves nothing running: the containers this run started
# (labelled dev.weir.run=<this run>, and the compose project it named) are removed, and a private dockerd it
# started is stopped by its PID (scripts/docker-engine.sh stop). A user's own engine is left running.
#
#   scripts/container-tests.sh [TEST-FILE...]   the testcontainers subset (default: CORE below)
#
# Environment:
#   WEIR_TEST_KAFKA_CLIENTS   the chaos test's clients on the testcontainers path (default "platformatic":
#                             the broker suite before this stage runs it on both clients)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The exactly-once chaos test, a schema-registry round trip and the first topology end to end. (restore.test.ts
# passes on this path too, but adds about 9 minutes on a loaded 2-core machine: the broker suite has it.)
CORE=(
  integration-tests/pageviews-end-to-end.test.ts
  integration-tests/schema-registry.test.ts
  integration-tests/exactly-once-chaos.test.ts
)
(($# > 0)) || set -- "${CORE[@]}"
export WEIR_TEST_KAFKA_CLIENTS="${WEIR_TEST_KAFKA_CLIENTS:-platformatic}"

stage_started=$SECONDS
skipped=0
skip() {
  echo "container-tests: SKIPPED (not run, not passed): the testcontainers tests and the compose stack test: $*" >&2
  skipped=1
  [[ ${WEIR_CONTAINER_TESTS:-} != required ]] || exit 1
  exit 0
}
[[ ${WEIR_CONTAINER_TESTS:-} != skip ]] || skip "WEIR_CONTAINER_TESTS=skip"

started_engine=0
run_id="$(date +%s)-$$"
export WEIR_CONTAINER_RUN="$run_id"
export WEIR_COMPOSE_PROJECT="weircompose${run_id//-/}"

# Runs on every exit, Ctrl-C included: the containers of this run removed, then our engine stopped.
finish() {
  local status=$? ids
  trap '' INT TERM
  if [[ -n ${DOCKER_HOST:-} ]]; then
    ids="$( { docker ps -aq --filter "label=dev.weir.run=$run_id"; docker ps -aq --filter "label=com.docker.compose.project=$WEIR_COMPOSE_PROJECT"; } 2>/dev/null | sort -u)"
    if [[ -n $ids ]]; then
      echo "container-tests: removing $(wc -w <<<"$ids") container(s) this run left behind" >&2
      # shellcheck disable=SC2086  # one id per word
      timeout 120 docker rm -f -v $ids >/dev/null 2>&1 || echo "container-tests: could not remove containers: $ids" >&2
    fi
    ids="$(docker network ls -q --filter "label=com.docker.compose.project=$WEIR_COMPOSE_PROJECT" 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [[ -z $ids ]] || timeout 60 docker network rm $ids >/dev/null 2>&1 || true
  fi
  # A no-op unless the private dockerd of this checkout runs; then it stops it by the PID in its pid file.
  if ((started_engine)); then scripts/docker-engine.sh stop || echo "container-tests: could not stop the Docker engine" >&2; fi
  if ((skipped)); then
    :
  elif ((status == 0)); then
    echo "container-tests: PASSED: the testcontainers subset and the compose stack test, stage total $((SECONDS - stage_started))s" >&2
  else
    echo "container-tests: FAILED (exit $status) after $((SECONDS - stage_started))s" >&2
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

engine_log="$(mktemp)"
if DOCKER_HOST="$(scripts/docker-engine.sh status 2>/dev/null)"; then
  :
else
  # Set first: a Ctrl-C while the engine starts still stops it.
  started_engine=1
  if ! DOCKER_HOST="$(scripts/docker-engine.sh start 2>"$engine_log")"; then
    reason="$(tail -n 1 "$engine_log")"
    rm -f "$engine_log"
    DOCKER_HOST=
    skip "no Docker engine could be started (${reason#docker-engine.sh: })"
  fi
fi
rm -f "$engine_log"
export DOCKER_HOST
echo "container-tests: Docker engine at $DOCKER_HOST ($( ((started_engine)) && echo "private, started for this stage" || echo "already running")) after $((SECONDS - stage_started))s" >&2

started=$SECONDS
scripts/images.sh >&2
echo "container-tests: images ready in $((SECONDS - started))s" >&2

started=$SECONDS
WEIR_TEST_CONTAINERS=1 scripts/with-services.sh node --test --test-concurrency=1 --test-timeout=600000 "$@"
echo "container-tests: testcontainers subset passed in $((SECONDS - started))s (chaos test on: $WEIR_TEST_KAFKA_CLIENTS)" >&2

started=$SECONDS
node --test --test-timeout=900000 docker/compose-stack.test.ts
echo "container-tests: compose stack test passed in $((SECONDS - started))s" >&2
