import json, subprocess, os
D = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(D, "../../.."))
_node_home = subprocess.run([ROOT + "/scripts/node-env.sh"], capture_output=True, text=True, check=True).stdout.strip()
ENV = dict(os.environ, PATH=(_node_home + "/bin:" if _node_home else "") + os.environ["PATH"], NODE_OPTIONS="--conditions=weir-source")

def run_both(scens, tag):
    inp = f"{D}/runs/{tag}.json"
    os.makedirs(f"{D}/runs", exist_ok=True)
    json.dump(scens, open(inp, "w"))
    subprocess.run(["java", "-cp", f"{D}/ks/target/diff-join.jar:{D}/ks/target/lib/*", "diff.Main", inp, inp + ".ks"], check=True)
    subprocess.run(["node", f"{D}/weir.ts", inp, inp + ".weir"], check=True, env=ENV)
    ks = {r["id"]: r for r in map(json.loads, filter(str.strip, open(inp + ".ks")))}
    we = {r["id"]: r for r in map(json.loads, filter(str.strip, open(inp + ".weir")))}
    return ks, we

def strip(out, at=True):
    return [dict((k, v) for k, v in r.items() if at or k != "at") for r in out]

def classify(k, w):
    if "error" in k or "error" in w:
        return "error" if k.get("error") != w.get("error") else "same-error"
    if k["out"] == w["out"]:
        return "same"
    key = lambda r: (str(r["k"]), str(r["v"]), r["ts"])
    if sorted(strip(k["out"], False), key=key) == sorted(strip(w["out"], False), key=key):
        if strip(k["out"], False) == strip(w["out"], False):
            return "timing"  # same records/order, emitted after different inputs
        return "order"
    nots = lambda out: [(r["k"], r["v"]) for r in out]
    if nots(k["out"]) == nots(w["out"]):
        return "ts-only"
    return "diff"
