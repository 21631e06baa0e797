#!/bin/bash
# From aggregations/ or more/: ../common/run.sh scenarios.json [-v] [-n]
# Runs the scenarios through Kafka Streams' TopologyTestDriver (java/, built with `mvn -q package`) and Weir's
# (weir.ts), then compares them (compare.ts): the first divergence of each scenario.
set -e
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
NODE_HOME="$("$ROOT/scripts/node-env.sh")"; export PATH="${NODE_HOME:+$NODE_HOME/bin:}$PATH" NODE_OPTIONS=--conditions=weir-source
f=$1; base=${f%.json}
java -cp 'java/target/*:java/target/lib/*' diff.Main "$f" > "$base.ks.out"
node weir.ts "$f" > "$base.weir.out"
node "$(dirname "$0")/compare.ts" "$base.ks.out" "$base.weir.out" "${@:2}"
