import sys, json
from common import *
from gen import *
seeds = range(int(sys.argv[1]), int(sys.argv[2]))
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
late = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
only = sys.argv[5] if len(sys.argv) > 5 else None
nullk = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else None
flush = len(sys.argv) > 7
ingrace = len(sys.argv) > 8
scens = []
for ti, topo in enumerate(topologies()):
    if only and topo["type"] != only: continue
    for s in seeds:
        scens.append({"id": f"{ti}-{s}", "topology": topo, "records": gen(topo, s * 1000 + ti, n, late, nullk, flush, ingrace)})
ks, we = run_both(scens, f"fuzz-{sys.argv[1]}-{sys.argv[2]}-{late}-{only}-{nullk}-{flush}-{ingrace}")
from collections import Counter
summary = {}
for sc in scens:
    c = classify(ks[sc["id"]], we[sc["id"]])
    summary.setdefault(json.dumps(sc["topology"], sort_keys=True), Counter())[c] += 1
for t, c in summary.items():
    print(t, dict(c))
