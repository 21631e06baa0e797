#!/bin/bash
# Usage: ./hand.sh file.txt [-a]  (scenario lines; see mk.ts)
cd "$(dirname "$0")"; ROOT="$(cd ../../.. && pwd)"
NODE_HOME="$("$ROOT/scripts/node-env.sh")"; export PATH="${NODE_HOME:+$NODE_HOME/bin:}$PATH" NODE_OPTIONS=--conditions=weir-source
f=$1; base=${f%.txt}
node mk.ts < $f > $base.json
java -cp 'java/target/*:java/target/lib/*' diff.Main $base.json > $base.ks.out
node weir.ts $base.json > $base.weir.out
node side.ts $base.ks.out $base.weir.out $2
