#!/usr/bin/python3
"""The same BP training step as `scpl bench --model vgg --runs bp:off`, in PyTorch 1.13.

Debian's python3-torch is the same libtorch 1.13.1 build that scpl-swift links, so the
difference between the two is the framework around it. Run with Debian's interpreter:

    apt-get install python3-torch
    /usr/bin/python3 bench/pytorch_vgg_step.py --width 0.25 --batch-size 128 --threads 1 --steps 10

Model (spec 3.1): six conv3x3-BN-ReLU layers (128, 256, 256, 512, 512, 512 channels times
--width), max-pool after layers 2, 4, 5 and 6, then Flatten -> Linear(->2500) -> Sigmoid ->
Linear(->10). Step: forward, cross-entropy, zero_grad(set_to_none), backward, Adam step, on one
fixed synthetic batch of 3x32x32 images. Prints one JSON object.
"""
import argparse
import json
import resource
import statistics
import threading
import time

import torch
import torch.nn as nn


def conv(a, b):
    return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]


def vgg(width, classes=10, size=32):
    c = lambda n: max(1, round(n * width))
    layers = (conv(3, c(128)) + conv(c(128), c(256)) + [nn.MaxPool2d(2)] + conv(c(256), c(256))
              + conv(c(256), c(512)) + [nn.MaxPool2d(2)] + conv(c(512), c(512)) + [nn.MaxPool2d(2)]
              + conv(c(512), c(512)) + [nn.MaxPool2d(2)])
    flat = c(512) * (size // 16) ** 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, 2500), nn.Sigmoid(), nn.Linear(2500, classes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--in-thread", action="store_true",
                   help="run the steps on a new thread (as scpl-swift runs them on a device worker), not the main one")
    a = p.parse_args()
    if a.in_thread:
        # OpenMP's thread count is per calling thread: set it on the thread that computes.
        result = {}
        worker = threading.Thread(target=lambda: result.update(run(a)))
        worker.start()
        worker.join()
    else:
        result = run(a)
    print(json.dumps(result))


def run(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = vgg(a.width)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch_size, 3, 32, 32)
    y = torch.arange(a.batch_size) % 10
    times = []
    usage_start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            usage_start = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - start)
    usage_end = resource.getrusage(resource.RUSAGE_SELF)
    return {"framework": f"pytorch {torch.__version__}", "model": "vgg", "width": a.width,
            "batch_size": a.batch_size, "threads": a.threads, "steps": a.steps, "in_thread": a.in_thread,
            "step_seconds_median": statistics.median(times), "step_seconds_min": min(times),
            "page_faults_per_step": (usage_end.ru_minflt - usage_start.ru_minflt) / a.steps,
            "system_seconds_per_step": (usage_end.ru_stime - usage_start.ru_stime) / a.steps}


if __name__ == "__main__":
    main()
