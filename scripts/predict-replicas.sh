#!/usr/bin/env bash
# The simulator's prediction for R replicas of a K-device pipeline (data parallelism over
# pipelines), SCPL against BP over the same links: `scpl bench train --stage-costs` measures every
# component's forward and learning time on one micro-batch (batch 128 / 8 micro-batches) for BP
# and for SCPL, one stage per component; a one-step run of each method gives every stage's
# parameter bytes (its component's, its local head's for SCPL, the classifier's on the last
# stage), and a stage's all-reduce cost is those bytes over the link's bandwidth (ring all-reduce:
# 2(R-1)/R of them, `scpl simulate --replicas`). Prints, for each bandwidth, the time per
# mini-batch of SCPL's async pipeline and of BP's gpipe, 1f1b and zb-h1 with R replicas and with
# none, and writes docs/figures/predicted-replicas-vgg.svg (the slowest link).
#
# usage: scripts/predict-replicas.sh [REPLICAS (default 4)] [BANDWIDTHS in MB/s (default 100,300,1000,3000)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
R=${1:-4}
BANDWIDTHS=${2:-100,300,1000,3000}
OUT=${OUT:-bench-results/predicted-replicas}
swift build -c release --product scpl >&2
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT" docs/figures
"$BIN" bench train --model vgg --width 0.25 --components 4 --runs bp:off,scpl:off --devices 1 --steps 1 --warmup 0 \
  --micro-batches 8 --batch-sizes 128 --stage-costs "$OUT/vgg-4" --out "$OUT/vgg-4" >&2
for method in bp scpl; do
  rm -rf "$OUT/params-$method"
  "$BIN" train --model vgg --width 0.25 --components 4 --method $method --epochs 1 --limit-train 128 --limit-test 16 \
    --batch-size 128 --out "$OUT/params-$method" >"$OUT/params-$method.log" 2>&1 ||
    { cat "$OUT/params-$method.log" >&2; exit 1; }
done
python3 - "$OUT" "$R" "$BANDWIDTHS" "$BIN" <<'PY'
import glob, json, re, subprocess, sys
from safetensors import safe_open

out, R, bandwidths, scpl = sys.argv[1], int(sys.argv[2]), [float(b) for b in sys.argv[3].split(",")], sys.argv[4]

def stage_bytes(method, stages=4):
    """Each stage's trained parameters' bytes: what its all-reduce sends (buffers are not reduced)."""
    path = sorted(glob.glob(f"{out}/params-{method}/checkpoints/*.safetensors"))[-1]
    sizes = [0] * stages
    with safe_open(path, framework="numpy") as f:
        for name in f.keys():
            if re.search(r"running_mean|running_var|num_batches_tracked", name):
                continue
            m = re.match(r"model\.components\.(\d+)\.|objective(\d+)\.|model\.classifier\.", name)
            if not m:
                continue
            k = int(m.group(1)) if m.group(1) else int(m.group(2)) - 1 if m.group(2) else stages - 1
            sizes[k] += f.get_tensor(name).nbytes
    return sizes

def simulate(costs, schedules, replicas, extra=()):
    path = f"{out}/sim.json"
    subprocess.run([scpl, "simulate", "--costs", costs, "--micro-batches", "8", "--batches", "16",
                    "--schedule", ",".join(schedules), "--replicas", str(replicas), "--json", path, *extra],
                   check=True, stdout=subprocess.DEVNULL)
    return {s["schedule"]: s["per_batch"] for s in json.load(open(path))["schedules"]}

rows = []
for method in ("bp", "scpl"):
    nbytes = stage_bytes(method)
    print(f"{method}: parameter bytes per stage {nbytes}", file=sys.stderr)
    base = json.load(open(f"{out}/vgg-4/vgg-{method}-costs.json"))
    for mbps in bandwidths:
        costs = dict(base, name=f"vgg-{method}-{mbps:g}MBps")
        costs["stages"] = [dict(s, allreduce=b / (mbps * 1e6) * 1e3) for s, b in zip(base["stages"], nbytes)]
        path = f"{out}/vgg-{method}-{mbps:g}.json"
        json.dump(costs, open(path, "w"))
        schedules = ["gpipe", "1f1b", "zb-h1"] if method == "bp" else ["async"]
        one, many = simulate(path, schedules, 1), simulate(path, schedules, R)
        for s in schedules:
            rows.append((mbps, s, one[s], many[s]))
        if method == "scpl" and mbps == bandwidths[0]:
            simulate(path, ["async"], R, ["--svg", "docs/figures/predicted-replicas-vgg-scpl.svg"])
        if method == "bp" and mbps == bandwidths[0]:
            simulate(path, ["1f1b"], R, ["--svg", "docs/figures/predicted-replicas-vgg-bp.svg"])

print(f"| link (MB/s) | schedule | 1 pipeline (ms/batch) | {R} replicas (ms/batch of each) | all-reduce cost | samples/s of {R} replicas vs 1 pipeline |")
print("|---|---|---|---|---|---|")
for mbps, s, one, many in rows:
    print(f"| {mbps:g} | {'scpl ' if s == 'async' else 'bp '}{s} | {one:.0f} | {many:.0f} | +{100 * (many / one - 1):.0f} % | {R * one / many:.2f}× |")
PY
