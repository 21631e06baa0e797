import sys, json
from common import *
from shrink import shrink, show
run = sys.argv[1]; tis = sys.argv[2].split(","); maxn = int(sys.argv[3]) if len(sys.argv) > 3 else 1
scs = json.load(open(run))
ks = {r["id"]: r for r in map(json.loads, filter(str.strip, open(run + ".ks")))}
we = {r["id"]: r for r in map(json.loads, filter(str.strip, open(run + ".weir")))}
for ti in tis:
    n = 0
    for sc in scs:
        if sc["id"].split("-")[0] == ti and classify(ks[sc["id"]], we[sc["id"]]) == "diff":
            show(*shrink(sc, want=lambda c: c == "diff")); n += 1
            if n >= maxn: break
