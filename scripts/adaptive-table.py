#!/usr/bin/env python3
"""The tables of docs/adaptive.md from scripts/adaptive.sh's run folders: each run's final test
accuracy with every component's predictor's, and each sweep's points (threshold, accuracy, mean
components, µs per sample, share of the compute) beside the full network.
Usage: adaptive-table.py runs/adaptive"""
import glob, json, os, sys

out = sys.argv[1]
print("| run | final test accuracy | per component (predictors 1…K) |")
print("|---|---|---|")
for folder in sorted(glob.glob(os.path.join(out, "*"))):
    metrics = os.path.join(folder, "metrics.jsonl")
    if not os.path.exists(metrics):
        continue
    last = [json.loads(l) for l in open(metrics)][-1]
    heads = " / ".join(f"{100 * a:.2f}" for a in last["component_test_accuracy"])
    print(f"| `{os.path.basename(folder)}` | {100 * last['test_accuracy']:.2f} | {heads} |")
print()
for path in sorted(glob.glob(os.path.join(out, "*", "adaptive-*.json"))):
    r = json.load(open(path))
    full = r["full"]
    print(f"**{os.path.basename(os.path.dirname(path))}**, {r['rule']} per {r['exit_per']} "
          f"(full network: {100 * full['accuracy']:.2f} %, {full['components']} components, "
          f"{1e6 * full['seconds_per_sample']:.0f} µs per sample)\n")
    print("| threshold | accuracy | mean components | exits per component | µs per sample | compute |")
    print("|---|---|---|---|---|---|")
    for p in r["points"]:
        print(f"| {p['threshold']:g} | {100 * p['accuracy']:.2f} | {p['mean_components']:.2f} | "
              f"{' / '.join(map(str, p['exits_per_component']))} | {1e6 * p['seconds_per_sample']:.0f} | "
              f"{100 * p['compute_fraction']:.0f} % |")
    print()
