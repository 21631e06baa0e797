#!/bin/bash
# Usage: ./run.sh scenarios.json  -> runs KS and Weir on it and compares.
set -e
cd "$(dirname "$0")"; ROOT="$(cd ../../.. && pwd)"
NODE_HOME="$("$ROOT/scripts/node-env.sh")"; export PATH="${NODE_HOME:+$NODE_HOME/bin:}$PATH" NODE_OPTIONS=--conditions=weir-source
f=$1; base=${f%.json}
java -cp 'java/target/diff-agg.jar:java/target/lib/*' diff.Main $f > $base.ks.out
node weir.ts $f > $base.weir.out
node compare.ts $base.ks.out $base.weir.out $2 $3
