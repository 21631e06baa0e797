import sys, json
from common import *
# usage: shrink.py runfile id  -> minimal scenario, preserving "not same"
def shrink(sc, want=lambda c: c in ("diff", "order", "timing", "error")):
    recs = sc["records"]
    tail = []
    if recs and recs[-1]["key"] == "zz":
        recs, tail = recs[:-1], recs[-1:]
    it = 0
    chunk = max(1, len(recs) // 2)
    while True:
        cands = []
        for start in range(0, len(recs), chunk):
            cands.append(recs[:start] + recs[start + chunk:])
        scens = [dict(sc, id=f"c{i}", records=c + tail) for i, c in enumerate(cands)]
        ks, we = run_both(scens, f"shrink-{sc['id']}")
        it += 1
        found = None
        for s in scens:
            if want(classify(ks[s["id"]], we[s["id"]])):
                found = s; break
        if found:
            recs = found["records"][:len(found["records"]) - len(tail)]
            chunk = min(chunk, max(1, len(recs) // 2))
        elif chunk > 1:
            chunk = max(1, chunk // 2)
        else:
            break
    final = dict(sc, records=recs + tail)
    ks, we = run_both([final], f"shrink-{sc['id']}-final")
    return final, ks[sc["id"]], we[sc["id"]]

def show(final, k, w):
    print("TOPOLOGY", json.dumps(final["topology"]))
    for i, r in enumerate(final["records"]):
        print(f"  in[{i}] {r['topic']} {r['key']}={r['value']} @{r['ts']}")
    for name, x in (("KS  ", k), ("WEIR", w)):
        if "error" in x: print(name, "ERROR", x["error"]); continue
        print(name, " ".join(f"[{r['at']}]{r['k']}={r['v']}@{r['ts']}" for r in x["out"]))

if __name__ == "__main__":
    scs = {s["id"]: s for s in json.load(open(sys.argv[1]))}
    sc = scs[sys.argv[2]]
    show(*shrink(sc))
