"""Costs and gains of the tools for looking inside: ``python -m bench.tools [--repeat N] [--filter TEXT]``.

- the profiler's and anomaly mode's overhead on a chain of small ops (all bookkeeping, no arithmetic)
  and on an MLP training step, against the same work with neither on (their cost when off is one
  check per op: compare the "off" column with the same chain on a minigrad without the hooks);
- the inference speed-up of nn.utils.fuse_batch_norm on an MLP with BatchNorm.
Contenders run interleaved in one process (bench/__main__.py's run_case); medians are printed.
"""
import argparse

import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim

from .__main__ import run_case, set_threads
from .cases import Case


def _tool_contenders(run):
    """``run`` as it is, inside a profiler, and inside anomaly mode."""
    def profiled():
        with mg.profiler.profile():
            run()

    def anomaly_checked():
        with mg.autograd.detect_anomaly():
            run()

    return {"off": run, "profiler": profiled, "detect_anomaly": anomaly_checked}


def chain_case(length=100):
    """Forward and backward of ``length`` ops on 1-element tensors: per-op bookkeeping only."""
    x = mg.tensor(np.ones(1, np.float32), requires_grad=True)
    a = mg.tensor(np.full(1, 1.0001, np.float32), requires_grad=True)

    def run():
        x.grad = a.grad = None
        y = x
        for _ in range(length // 2):
            y = y * a + a
        y.backward()

    return Case(f"{length}-op chain fwd+bwd, 1 element", _tool_contenders(run))


def mlp_step_case(batch=64, sizes=(784, 256, 10)):
    """A training step (forward, backward, SGD) of Linear -> BatchNorm1d -> ReLU -> Linear."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.BatchNorm1d(sizes[1]), nn.ReLU(),
                          nn.Linear(sizes[1], sizes[2]))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = mg.randn(batch, sizes[0]), np.arange(batch) % sizes[2]

    def run():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return Case(f"MLP {sizes} train step, batch {batch}", _tool_contenders(run))


def fused_mlp_case(batch=256, sizes=(784, 512, 512, 10)):
    """Eval-mode inference of Linear -> BatchNorm1d -> ReLU blocks, as built and after fuse_batch_norm."""
    mg.manual_seed(0)
    layers = []
    for size_in, size_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(size_in, size_out), nn.BatchNorm1d(size_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))
    model(mg.randn(batch, sizes[0]))  # running statistics away from their initial values
    model.eval()
    fused = nn.utils.fuse_batch_norm(model)
    x = mg.randn(batch, sizes[0])

    def infer(m):
        with mg.no_grad():
            m(x)

    return Case(f"MLP {sizes} inference, batch {batch}, float32",
                {"with BatchNorm": lambda: infer(model), "fused": lambda: infer(fused)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    set_threads(args.threads)
    print(f"threads: {args.threads}; medians of {args.repeat} interleaved repetitions")
    for case in (chain_case(), mlp_step_case(), fused_mlp_case(), fused_mlp_case(batch=32)):
        if args.filter not in case.name:
            continue
        medians = run_case(case, args.repeat)
        base = next(iter(medians.values()))
        cells = ", ".join(f"{name} {t * 1e3:.3f} ms ({t / base:.2f}x)" for name, t in medians.items())
        print(f"{case.name}: {cells}", flush=True)


if __name__ == "__main__":
    main()
