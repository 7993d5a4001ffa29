#!/usr/bin/python3
"""Summarises scripts/libtorch-speed.sh: per model and method, the median over rounds of each
round's median step time with Debian's libtorch 1.13 and with libtorch 2.x, and their ratio."""
import glob
import json
import os
import re
import statistics
import sys


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
    steps = {}
    for path in glob.glob(os.path.join(out, "libtorch-*-round*.json")):
        m = re.match(r"libtorch-(1\.13|2)-(\w+)-round(\d+)\.json", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            for record in json.load(f):
                steps.setdefault((m.group(2), record["method"], m.group(1)), []).append(record["step_seconds_median"])
    print("| model | method | rounds | libtorch 1.13 (s/step) | libtorch 2.x (s/step) | 2.x speed-up |")
    print("|---|---|---|---|---|---|")
    for model in ("vgg", "lstm"):
        for method in ("bp", "scpl"):
            old, new = steps.get((model, method, "1.13")), steps.get((model, method, "2"))
            if not old or not new:
                continue
            a, b = statistics.median(old), statistics.median(new)
            print(f"| {model} | {method} | {min(len(old), len(new))} | {a:.3f} | {b:.3f} | {a / b:.2f}× |")


if __name__ == "__main__":
    main()
