#!/usr/bin/python3
"""Summarises scripts/allocators.sh: per model and allocator, the median over rounds of each
round's median step time, page faults and kernel seconds per step, and the step time as a
ratio of the first allocator's (tcmalloc; the host cache in the runs of commit c4a1d30)."""
import glob
import json
import os
import re
import statistics
import sys

ALLOCATORS = ["tcmalloc", "host-cache", "glibc", "jemalloc", "jemalloc-retain"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
    rows = {}
    for path in glob.glob(os.path.join(out, "alloc-*-round*.json")):
        m = re.match(r"alloc-([a-z0-9]+)-([a-z-]+)-round(\d+)\.json", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            record = json.load(f)[0]
        rows.setdefault((m.group(1), m.group(2)), []).append(record)
    print("| model | allocator | rounds | median step (s) | × first | page faults / step | kernel s / step |")
    print("|---|---|---|---|---|---|---|")
    for model in sorted({k[0] for k in rows}, key=lambda m: (m != "vgg", m)):
        first = next(a for a in ALLOCATORS if (model, a) in rows)
        base = statistics.median(r["step_seconds_median"] for r in rows[(model, first)])
        for alloc in ALLOCATORS:
            records = rows.get((model, alloc))
            if not records:
                continue
            step = statistics.median(r["step_seconds_median"] for r in records)
            faults = statistics.median(r["page_faults_per_step"] for r in records)
            system = statistics.median(r["system_seconds_per_step"] for r in records)
            print(f"| {model} | {alloc} | {len(records)} | {step:.3f} | {step / base:.2f} | {faults:,.0f} | {system:.3f} |")


if __name__ == "__main__":
    main()
