#!/usr/bin/env python3
"""Did two run folders train the same, bit for bit?

usage: scripts/same-training.py RUN_A RUN_B

Compares what training decides, not how long it took: every epoch's run, epoch, learning rate,
losses, train and test accuracies and per-component accuracies in metrics.jsonl, and every tensor
of each folder's newest checkpoint, byte for byte. Prints what differs and exits 1, or prints one
line and exits 0. Needs the safetensors package (scripts/bootstrap.sh installs it).
"""
import json
import os
import sys

from safetensors import safe_open

DECIDED = ("run", "epoch", "lr", "losses", "train_accuracy", "test_accuracy", "component_test_accuracy")


def epochs(folder):
    with open(os.path.join(folder, "metrics.jsonl")) as f:
        return [{k: r.get(k) for k in DECIDED} for r in map(json.loads, filter(str.strip, f))]


def newest_checkpoint(folder):
    # run<R>-epoch<E>[-step<S>].safetensors sorts by run, then progress, with zero-padded numbers
    # (a step checkpoint of epoch E+1 names E+1 and sorts after epoch E's end).
    names = sorted(n for n in os.listdir(os.path.join(folder, "checkpoints")) if n.startswith("run") and n.endswith(".safetensors"))
    if not names:
        sys.exit(f"{folder} has no checkpoint")
    return os.path.join(folder, "checkpoints", names[-1])


def tensors(path):
    with safe_open(path, framework="numpy") as f:
        return {name: f.get_tensor(name).tobytes() for name in f.keys()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    a, b = sys.argv[1:]
    problems = []
    ea, eb = epochs(a), epochs(b)
    if len(ea) != len(eb):
        problems.append(f"{a} recorded {len(ea)} epoch(s), {b} {len(eb)}")
    for x, y in zip(ea, eb):
        for key in DECIDED:
            if x[key] != y[key]:
                problems.append(f"epoch {x['epoch']}: {key} is {x[key]} in {a} and {y[key]} in {b}")
    ta, tb = tensors(newest_checkpoint(a)), tensors(newest_checkpoint(b))
    if set(ta) != set(tb):
        problems.append(f"the checkpoints hold other tensors: {sorted(set(ta) ^ set(tb))[:5]}")
    differing = sorted(n for n in set(ta) & set(tb) if ta[n] != tb[n])
    if differing:
        problems.append(f"{len(differing)} tensor(s) differ, first {differing[:5]}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"same training: {len(ea)} epoch(s) of metrics and {len(ta)} tensors equal bit for bit")


if __name__ == "__main__":
    main()
