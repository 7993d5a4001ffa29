#!/usr/bin/env python3
"""Load an scpl checkpoint into the same network written in plain PyTorch, and evaluate it.

    python3 scripts/load_in_pytorch.py CHECKPOINT [--data-dir DIR] [--limit-test N]

CHECKPOINT is a run folder's checkpoints/run<R>-epoch<E>.safetensors, or the run folder itself
(its newest checkpoint). The run's config.json says which network to build. The paper's vision
models (vgg, resnet18, convnet) are written below as ordinary torch.nn modules with the same
structure as scpl's, so the checkpoint's `model.*` tensors load with load_state_dict(strict=True)
and no renaming; the script then prints the test accuracy on Fashion-MNIST's test split, which
equals what `scpl eval` prints for the same checkpoint (a test checks it).

Methods: bp, scpl and early-exit predict with the network's classifier on the last component,
which is what this evaluates; AL predicts through its own bridge and decoders and is refused.
Needs torch and safetensors (scripts/bootstrap.sh installs both for python3).
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from torch import nn


def scaled(channels, width):
    # scpl's rounding: at least one channel, round half away from zero.
    return max(1, int(np.floor(channels * width + 0.5)))


def conv_bn_act(a, b, stride=1, act=None):
    layers = [nn.Conv2d(a, b, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(b)]
    return layers + ([act] if act is not None else [])


class BasicBlock(nn.Module):
    def __init__(self, a, b, stride, shortcut_kernel=3):
        super().__init__()
        self.main = nn.Sequential(*conv_bn_act(a, b, stride, nn.LeakyReLU(0.01)), *conv_bn_act(b, b))
        self.shortcut = None
        if stride != 1 or a != b:
            self.shortcut = nn.Sequential(
                nn.Conv2d(a, b, shortcut_kernel, stride=stride, padding=shortcut_kernel // 2, bias=False), nn.BatchNorm2d(b))

    def forward(self, x):
        return nn.functional.leaky_relu(self.main(x) + (self.shortcut(x) if self.shortcut is not None else x), 0.01)


class Component(nn.Module):
    """One component: its layers in order (scpl's VisionComponent)."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class Network(nn.Module):
    """Components in order, then the classifier (scpl's StagedModel)."""

    def __init__(self, components, classifier):
        super().__init__()
        self.components = nn.ModuleList(components)
        self.classifier = classifier

    def forward(self, x):
        for c in self.components:
            x = c(x)
        return self.classifier(x)


def even_groups(units, k):
    """Cut units into k groups in order, larger groups first (scpl's Grouping.even)."""
    groups, start = [], 0
    for g in range(k):
        size = len(units) // k + (1 if g < len(units) % k else 0)
        groups.append([layer for unit in units[start:start + size] for layer in unit])
        start += size
    return groups


def vision_units(model, channels, width, shortcut):
    c = lambda n: scaled(n, width)
    if model == "vgg":
        pool = lambda: nn.MaxPool2d(2)
        return [conv_bn_act(channels, c(128), act=nn.ReLU()),
                conv_bn_act(c(128), c(256), act=nn.ReLU()) + [pool()],
                conv_bn_act(c(256), c(256), act=nn.ReLU()),
                conv_bn_act(c(256), c(512), act=nn.ReLU()) + [pool()],
                conv_bn_act(c(512), c(512), act=nn.ReLU()) + [pool()],
                conv_bn_act(c(512), c(512), act=nn.ReLU()) + [pool()]]
    if model == "convnet":
        plan = [(channels, c(32), 1), (c(32), c(32), 1), (c(32), c(32), 1), (c(32), c(32), 2),
                (c(32), c(64), 1), (c(64), c(64), 1), (c(64), c(64), 1), (c(64), c(64), 2)]
        return [[nn.Conv2d(a, b, 3, stride=s, padding=1, bias=True), nn.ReLU()] for a, b, s in plan]
    if model == "resnet18":
        k = 3 if shortcut == "3x3" else 1
        sizes = [(c(64), c(64), 1), (c(64), c(64), 1), (c(64), c(128), 2), (c(128), c(128), 1),
                 (c(128), c(256), 2), (c(256), c(256), 1), (c(256), c(512), 2), (c(512), c(512), 1)]
        units = [[BasicBlock(a, b, s, k)] for a, b, s in sizes]
        units[0] = conv_bn_act(channels, c(64), act=nn.LeakyReLU(0.01)) + units[0]
        units[7] = units[7] + [nn.AdaptiveAvgPool2d(1)]
        return units
    sys.exit(f"load_in_pytorch: the {model} model is not written here yet (vgg, resnet18, convnet are)")


def build(config, sample_shape, classes):
    model = config["model"]
    units = vision_units(model, sample_shape[0], config["width"], config.get("shortcut", "3x3"))
    components = [Component(g) for g in even_groups(units, config["components"])]
    with torch.no_grad():  # the classifier's input width, from one probe batch (as scpl does)
        x = torch.zeros(2, *sample_shape)
        for c in components:
            x = c.eval()(x)
        features = x[0].numel()
    hidden = {"vgg": 2500, "convnet": 1500}.get(model)
    classifier = (nn.Sequential(nn.Flatten(), nn.Linear(features, hidden), nn.Sigmoid(), nn.Linear(hidden, classes))
                  if hidden else nn.Sequential(nn.Flatten(), nn.Linear(features, classes)))
    return Network(components, classifier)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist_test(data_dir):
    images = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(images.astype(np.float32) / 255.0) - 0.2860) / 0.3530  # scpl's normalisation
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--limit-test", type=int)
    args = ap.parse_args()

    path = args.checkpoint
    if os.path.isdir(path):
        folder = path
        names = sorted(n for n in os.listdir(os.path.join(folder, "checkpoints")) if n.endswith(".safetensors"))
        if not names:
            sys.exit(f"load_in_pytorch: {folder} has no checkpoint")
        path = os.path.join(folder, "checkpoints", names[-1])
    else:
        folder = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)["config"]
    if config["method"] == "al":
        sys.exit("load_in_pytorch: AL predicts through its bridge and decoders, which this script does not build")
    if config["dataset"] != "fashion-mnist":
        sys.exit(f"load_in_pytorch: evaluation here reads Fashion-MNIST; this run trained on {config['dataset']}")

    with safe_open(path, framework="pt") as f:
        state = {k[len("model."):]: f.get_tensor(k) for k in f.keys() if k.startswith("model.")}
    net = build(config, [1, 28, 28], 10)
    net.load_state_dict(state, strict=True)  # every key, every shape: or an error naming them
    net.eval()

    x, y = fashion_mnist_test(args.data_dir)
    if args.limit_test:
        x, y = x[:args.limit_test], y[:args.limit_test]
    right = 0
    with torch.no_grad():
        for i in range(0, len(y), 1000):
            right += (net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    print(f"loaded {len(state)} tensors into a PyTorch {config['model']} (strict)")
    print(f"test accuracy: {100 * right / len(y):.2f}% on {len(y)} samples")


if __name__ == "__main__":
    main()
