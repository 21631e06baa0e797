#!/usr/bin/env bash
# `make compat`: the core integration tests and the exactly-once chaos test on every supported Kafka
# release (Maven jars, scripts/kafka.sh; never containers) and Node.js line (project-local,
# scripts/node-env.sh), one broker per Kafka release shared by the Node versions; writes the table to
# docs/compatibility.md. Not part of `make test` (it runs the same tests six times). Exit 0 only when every
# combination passed. `scripts/compat.sh --table` writes the table again from the last run's results.
#
# The core files: a topology end to end through `weir run` (produce, consume, transactions, a missing input
# topic), bounded mode (committed offsets resumed, deleted records counted as the end: the admin API) and
# the chaos test (SIGKILLs, rebalances, fencing, restores from changelogs), each on the default client
# (@platformatic/kafka). The broker suite of `make test` runs all of them on both clients on the default
# Kafka; here the matrix would take about an hour on a loaded 2-core machine with both.
#
# Environment:
#   COMPAT_KAFKA_VERSIONS   default "3.9.2 4.1.2 4.4.0"
#   COMPAT_NODE_VERSIONS    default "22.23.3 24.21.0" (npm `node` package versions; 22 needs ≥ 22.22)
#   COMPAT_TEST_FILES       default: the three core files below
#   COMPAT_KAFKA_CLIENTS    the chaos test's clients (WEIR_TEST_KAFKA_CLIENTS), default "platformatic";
#                           "platformatic,kafkajs" runs both
#   COMPAT_OUT              default docs/compatibility.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

kafka_versions=${COMPAT_KAFKA_VERSIONS:-3.9.2 4.1.2 4.4.0}
node_versions=${COMPAT_NODE_VERSIONS:-22.23.3 24.21.0}
test_files=${COMPAT_TEST_FILES:-integration-tests/pageviews-end-to-end.test.ts integration-tests/bounded-mode.test.ts integration-tests/exactly-once-chaos.test.ts}
clients=${COMPAT_KAFKA_CLIENTS:-platformatic}
out=${COMPAT_OUT:-docs/compatibility.md}
work="${WEIR_CACHE_DIR:-$root/.cache}/compat"
results="$work/results.tsv"

log() { echo "compat: $*" >&2; }

# The Node home for a version: always the project-local one, so the machine's Node never stands in.
node_home() { WEIR_NODE_VERSION="$1" WEIR_FORCE_LOCAL_NODE=1 "$here/node-env.sh"; }

# Inner step, run by with-services.sh with one Kafka release up: every Node version against it.
run_nodes() {
  local kafka=$1 node home tap started status pass fail
  for node in $node_versions; do
    home=$(node_home "$node")
    tap="$work/kafka-$kafka-node-$node.tap"
    # Every Weir child's whole stderr, for a post-mortem of a failed combination.
    rm -rf "$work/logs-kafka-$kafka-node-$node" && mkdir -p "$work/logs-kafka-$kafka-node-$node"
    log "Kafka $kafka, Node $node: $test_files"
    started=$SECONDS
    status=0
    # shellcheck disable=SC2086  # test_files is a list of paths
    PATH="$home/bin:$PATH" WEIR_TEST_KAFKA_CLIENTS="$clients" WEIR_TEST_LOG_DIR="$work/logs-kafka-$kafka-node-$node" node --test --test-timeout=600000 \
      --test-reporter=spec --test-reporter-destination=stderr \
      --test-reporter=tap --test-reporter-destination="$tap" $test_files || status=$?
    pass=$(sed -n 's/^# pass //p' "$tap" | tail -n 1)
    fail=$(sed -n 's/^# fail //p' "$tap" | tail -n 1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kafka" "$node" "${pass:-0}" "${fail:-?}" "$((SECONDS - started))" "$status" >>"$results"
    log "Kafka $kafka, Node $node: ${pass:-0} passed, ${fail:-?} failed, $((SECONDS - started)) s (exit $status)"
  done
}

write_table() {
  local kafka node pass fail secs status verdict total=0 load_start
  load_start="$(cat "$work/load-start" 2>/dev/null || echo "?")"
  {
    echo "# Compatibility"
    echo
    echo "Written by \`make compat\` (scripts/compat.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
    if [[ -z ${COMPAT_TEST_FILES:-} ]]; then
      echo "Each row ran the core integration tests and the exactly-once chaos test"
    else
      echo "Each row ran the test files COMPAT_TEST_FILES named"
    fi
    echo "($(for f in $test_files; do printf '`%s` ' "${f#integration-tests/}"; done | sed 's/ $//'))"
    echo "against a single-node KRaft broker of that Kafka release (jars from Maven Central), the chaos test on"
    echo "the client(s) \`$clients\` (@platformatic/kafka $(node -p 'require("./node_modules/@platformatic/kafka/package.json").version'),"
    echo "kafkajs $(node -p 'require("./node_modules/kafkajs/package.json").version'); the other files use the default client) and better-sqlite3"
    echo "$(node -p 'require("./node_modules/better-sqlite3/package.json").version'), on a machine of $(nproc) cores shared with other engineers' test runs"
    echo "(load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g') at the end: 1, 5, 15 minutes), so the times say how long"
    echo "the run took here, not how fast Weir is."
    echo
    echo "| Kafka | Node.js | result | tests passed | failed | time |"
    echo "|---|---|---|---|---|---|"
    while IFS=$'\t' read -r kafka node pass fail secs status; do
      if [[ $status == 0 && $fail == 0 ]]; then verdict=pass; else verdict="**FAIL** (exit $status)"; fi
      total=$((total + secs))
      printf '| %s | %s | %s | %s | %s | %dm %02ds |\n' "$kafka" "$node" "$verdict" "$pass" "$fail" $((secs / 60)) $((secs % 60))
    done <"$results"
    echo
    printf 'Total: %dm %02ds of tests, plus one broker start per Kafka release.\n' $((total / 60)) $((total % 60))
    echo
    echo "Run it with \`make compat\`; \`COMPAT_KAFKA_VERSIONS\` and \`COMPAT_NODE_VERSIONS\` pick other releases."
  } >"$out"
  log "wrote $out"
}

if [[ ${1:-} == --run-nodes ]]; then
  run_nodes "$2"
  exit 0
fi
# --table: write the table again from the last run's results, running nothing.
if [[ ${1:-} == --table ]]; then
  write_table
  exit 0
fi

mkdir -p "$work"
: >"$results"
cut -d' ' -f1 /proc/loadavg >"$work/load-start"
for node in $node_versions; do node_home "$node" >/dev/null; done
for kafka in $kafka_versions; do
  KAFKA_VERSION=$kafka "$here/kafka.sh" install
  # Only Kafka: these tests use no schema registry.
  # Maven-jar processes of that release, never the testcontainers path (an engine may answer here).
  KAFKA_VERSION=$kafka WEIR_NO_REGISTRY=1 WEIR_TEST_CONTAINERS=0 "$here/with-services.sh" "$0" --run-nodes "$kafka" ||
    printf '%s\t%s\t0\t?\t0\t%s\n' "$kafka" "(broker)" "$?" >>"$results"
done
write_table
! awk -F'\t' '$4 != "0" || $6 != "0" { bad = 1 } END { exit !bad }' "$results"
