import random, json
def gen(topo, seed, n=200, late=None, nullk=None, flush=False, ingrace=False):
    st = 0
    rnd = random.Random(seed)
    t = topo["type"]
    keys = ["a", "b", "c", "d", "e"][: rnd.randint(3, 5)]
    topics = {"ss": ["L", "R"], "st": ["L", "R"], "tt": ["L", "R"] + (["T"] if "kind2" in topo else []) + (["S"] if topo.get("streamJoin") else []), "gt": ["L", "G"], "fk": ["L", "R"], "tf": ["L"]}[t]
    ts = 1000
    recs = []
    p_null_v = rnd.choice([0.0, 0.1, 0.25])
    p_null_k = rnd.choice([0.0, 0.03]) if nullk is None else nullk
    p_late = rnd.choice([0.0, 0.1, 0.25]) if late is None else late
    for i in range(n):
        topic = rnd.choice(topics)
        ts += rnd.choice([0, 0, 1, 2, 3, 5, 8, 13])
        rts = ts
        if rnd.random() < p_late:
            rts = max(0, ts - rnd.randint(1, 40))
            if t == "ss" and ingrace:
                g = topo["grace"] or 0
                lim = (topo["after"] if topic == "L" else topo["before"]) + g
                rts = max(rts, st - lim)
        st = max(st, rts)
        if t in ("gt",) and topic == "G":
            key = rnd.choice(["f1", "f2", "f3"])
        elif t == "fk" and topic == "R":
            key = rnd.choice(["f1", "f2", "f3"])
        else:
            key = rnd.choice(keys)
            if rnd.random() < p_null_k:
                key = None
        if t in ("gt", "fk") and topic == "L":
            val = f"{rnd.choice(['f1','f2','f3','f1','f2','f3','f4','n'])}:{topic.lower()}{i}"
        else:
            val = ("x" if rnd.random() < 0.3 else "") + f"{topic.lower()}{i}"
        if rnd.random() < p_null_v:
            val = None
        recs.append({"topic": topic, "key": key, "value": val, "ts": rts})
    if flush:
        recs.append({"topic": "L", "key": "zz", "value": "end", "ts": max(r["ts"] for r in recs) + 100000})
    return recs

def topologies():
    out = []
    for kind in ["inner", "left", "outer"]:
        for (b, a, g) in [(10, 10, 0), (10, 10, None), (10, 10, 20), (5, 15, 5), (0, 20, 3), (20, 0, 10), (-5, 15, 5), (10, -3, 2), (0, 0, 0)]:
            out.append({"type": "ss", "kind": kind, "before": b, "after": a, "grace": g})
    for kind in ["inner", "left"]:
        out.append({"type": "st", "kind": kind}); out.append({"type": "st", "kind": kind, "filterRight": True})
        out.append({"type": "gt", "kind": kind}); out.append({"type": "fk", "kind": kind}); out.append({"type": "fk", "kind": kind, "filterLeft": True}); out.append({"type": "fk", "kind": kind, "filterRight": True})
    for kind in ["inner", "left", "outer"]:
        out.append({"type": "tt", "kind": kind})
        out.append({"type": "tt", "kind": kind, "filterLeft": True})
        out.append({"type": "tt", "kind": kind, "filterRight": True})
        out.append({"type": "tt", "kind": kind, "filterLeft": True, "filterRight": True})
    for k1 in ["inner", "left", "outer"]:
        for k2 in ["inner", "left", "outer"]:
            out.append({"type": "tt", "kind": k1, "kind2": k2})
            out.append({"type": "tt", "kind": k1, "kind2": k2, "thirdFirst": True})
        out.append({"type": "tt", "kind": k1, "mapLeft": True})
        out.append({"type": "tt", "kind": k1, "streamJoin": True})
        out.append({"type": "tt", "kind": k1, "kind2": "left", "streamJoin": True})
    for op in ["source", "filter", "filterNot", "mapValues", "filterMap", "mapFilter"]:
        out.append({"type": "tf", "op": op})
    return out
