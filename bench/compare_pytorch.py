#!/usr/bin/python3
"""Summarises scripts/performance.sh's framework-overhead rounds as a Markdown table.

Reads <dir>/bp-step-threads{T}-round{R}.json (scpl bench records) and
<dir>/pytorch[-in-thread]-threads{T}-round{R}.json (bench/pytorch_vgg_step.py), and prints,
per thread count, the median over rounds of each round's median step time, and the ratios.
"""
import glob
import json
import os
import re
import statistics
import sys


def medians(pattern, key):
    values = []
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            data = json.load(f)
        record = data[0] if isinstance(data, list) else data
        if record.get(key) is not None:
            values.append(record[key])
    return values


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
    threads = sorted({int(m.group(1)) for p in glob.glob(os.path.join(out, "bp-step-threads*-round*.json"))
                      if (m := re.search(r"threads(\d+)-round", p))})
    for key, what in (("step_seconds_median", "median"), ("step_seconds_min", "fastest")):
        print(f"Step time, {what} step of each round (s); the median over rounds:")
        print()
        print("| threads | scpl-swift | PyTorch (main thread) | PyTorch (new thread) "
              "| ours / PyTorch main | ours / PyTorch new thread | rounds |")
        print("|---|---|---|---|---|---|---|")
        for t in threads:
            ours = medians(os.path.join(out, f"bp-step-threads{t}-round*.json"), key)
            main_thread = medians(os.path.join(out, f"pytorch-threads{t}-round*.json"), key)
            new_thread = medians(os.path.join(out, f"pytorch-in-thread-threads{t}-round*.json"), key)
            if not (ours and main_thread and new_thread):
                continue
            o, m, n = statistics.median(ours), statistics.median(main_thread), statistics.median(new_thread)
            print(f"| {t} | {o:.3f} | {m:.3f} | {n:.3f} | {o / m:.2f} | {o / n:.2f} | {len(ours)} |")
        print()
    runs = (("scpl-swift", "bp-step"), ("PyTorch (main thread)", "pytorch"), ("PyTorch (new thread)", "pytorch-in-thread"))
    print("What the timed steps cost the kernel, per step (whole process, getrusage); the median over rounds:")
    print()
    print("| threads | run | minor page faults | system seconds |")
    print("|---|---|---|---|")
    for t in threads:
        for name, stem in runs:
            faults = medians(os.path.join(out, f"{stem}-threads{t}-round*.json"), "page_faults_per_step")
            system = medians(os.path.join(out, f"{stem}-threads{t}-round*.json"), "system_seconds_per_step")
            if faults and system:
                print(f"| {t} | {name} | {statistics.median(faults):.0f} | {statistics.median(system):.3f} |")
    print()


if __name__ == "__main__":
    main()
