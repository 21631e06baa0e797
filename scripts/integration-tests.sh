#!/usr/bin/env bash
# The broker suite of `make test`, run inside scripts/with-services.sh (one broker, one registry).
#
# Two lanes run side by side, each one test file at a time: the heavy lane holds the files that keep both
# cores busy (the exactly-once chaos test, SIGKILL-and-restore runs, the examples), the other lane the rest.
# So no two heavy files ever overlap, and the suite takes about half its serial time. The broker-restart test
# restarts the shared broker (as does broker-restart-startup), so they run alone, after both lanes.
#
# The second lane's report is printed live; the heavy lane's when it ends (so neither interleaves).
#   scripts/integration-tests.sh            the whole suite
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

heavy=(
  integration-tests/exactly-once-chaos.test.ts
  integration-tests/poison-records.test.ts
  integration-tests/restore.test.ts
  integration-tests/standby-replicas.test.ts
  integration-tests/warmup-replicas.test.ts
  integration-tests/registry-outage.test.ts
  integration-tests/workers.test.ts
  integration-tests/examples/*.test.ts
)
alone=(integration-tests/broker-restart.test.ts integration-tests/broker-restart-startup.test.ts)

light=()
for file in integration-tests/*.test.ts integration-tests/*/*.test.ts; do
  case " ${heavy[*]} ${alone[*]} " in *" $file "*) continue ;; esac
  light+=("$file")
done

run() { node --test --test-concurrency=1 --test-timeout=600000 "$@"; }

heavy_report="$(mktemp)"
trap 'rm -f "$heavy_report"' EXIT
run "${heavy[@]}" >"$heavy_report" 2>&1 &
heavy_pid=$!
light_status=0
run "${light[@]}" || light_status=$?
heavy_status=0
wait "$heavy_pid" || heavy_status=$?
echo "integration-tests: the heavy lane (${#heavy[@]} files) reported:"
cat "$heavy_report"

alone_status=0
run "${alone[@]}" || alone_status=$?

echo "integration-tests: lanes exited light=$light_status heavy=$heavy_status alone=$alone_status"
((light_status == 0 && heavy_status == 0 && alone_status == 0))
