"""Data-parallel timings: ``python -m bench.distributed [--steps N] [--processes N]``.

Launches ``mpiexec`` itself. The model is the 784-1024-1024-10 MLP with BatchNorm, float32, at a
global batch of 512 (random data: the time of a step does not depend on the values). Rows:

* one process with all the threads on the whole batch (plain BatchNorm), the baseline, and the
  same on one thread;
* N processes of one thread, each on 512 / N samples, with DDP and SyncBatchNorm;
* the same with plain BatchNorm (DDP's gradient allreduce only), and with no communication at all
  (the N processes step independently): the communication share of a step is what the messages add;
* SyncBatchNorm's extra cost per layer: (DDP + SyncBatchNorm - DDP + BatchNorm) / 2 layers.

A step's time is the slowest rank's, the median over steps.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (784, 1024, 1024, 10)
GLOBAL_BATCH = 512
MODES = {
    "single": "1 process x {threads} threads, whole batch, BatchNorm",
    "single_1_thread": "1 process x 1 thread, whole batch, BatchNorm",
    "ddp_sync": "{n} processes x 1 thread, DDP + SyncBatchNorm",
    "ddp_bn": "{n} processes x 1 thread, DDP + BatchNorm",
    "local_bn": "{n} processes x 1 thread, no communication",
}


def build_model(sync_batch_norm):
    import minigrad.nn as nn

    layers = []
    for inputs, outputs in zip(SIZES[:-2], SIZES[1:-1]):
        layers += [nn.Linear(inputs, outputs), nn.BatchNorm1d(outputs), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(SIZES[-2], SIZES[-1]))
    return nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync_batch_norm else model


def worker(mode, steps, threads):
    """Runs in every launched process; rank 0 prints the median step time in ms as JSON."""
    import minigrad as mg
    import minigrad.distributed as dist
    import minigrad.functional as F
    import minigrad.optim as optim

    mg.set_num_threads(threads)
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    mg.manual_seed(0)
    model = build_model(sync_batch_norm=mode == "ddp_sync")
    if mode.startswith("ddp"):
        model = mg.nn.parallel.DistributedDataParallel(model)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = mg.tensor(rng.standard_normal((GLOBAL_BATCH // world, SIZES[0])).astype(np.float32))
    y = mg.tensor(rng.integers(0, SIZES[-1], GLOBAL_BATCH // world))
    times = []
    for _ in range(steps + 3):  # 3 warm-up steps
        dist.barrier()
        start = time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    slowest = mg.tensor(np.array(times[3:]))
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(json.dumps({"mode": mode, "ms": 1e3 * float(np.median(slowest.numpy()))}))
    dist.destroy_process_group()


def launch(mode, processes, steps, threads):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               OMP_WAIT_POLICY="PASSIVE")
    mpiexec = Path(sys.executable).with_name("mpiexec")
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(processes), sys.executable, "-m",
               "bench.distributed", "--worker", mode, "--steps", str(steps), "--threads", str(threads)]
    output = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(output.stdout.strip().splitlines()[-1])["ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--worker", choices=list(MODES))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps, args.threads)
        return
    n = args.processes
    ms = {"single": launch("single", 1, args.steps, n), "single_1_thread": launch("single_1_thread", 1, args.steps, 1)}
    for mode in ("ddp_sync", "ddp_bn", "local_bn"):
        ms[mode] = launch(mode, n, args.steps, 1)
    parameters = sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:])) + 2 * sum(SIZES[1:-1])
    model_mb = 4 * parameters / 2 ** 20
    print(f"MLP {'-'.join(map(str, SIZES))} with BatchNorm, float32, global batch {GLOBAL_BATCH}, "
          f"{model_mb:.1f} MB of gradients; {os.cpu_count()} cores; median of {args.steps} steps (slowest rank)")
    print(f"| {'case':<52} | ms/step | vs 1 process |")
    print(f"|{'-' * 54}|---------|--------------|")
    for mode, label in MODES.items():
        name = label.format(n=n, threads=n)
        print(f"| {name:<52} | {ms[mode]:7.2f} | {ms[mode] / ms['single']:11.2f}x |")
    print(f"communication share of a DDP + SyncBatchNorm step: {1 - ms['local_bn'] / ms['ddp_sync']:.0%} "
          f"(gradient allreduce alone: {1 - ms['local_bn'] / ms['ddp_bn']:.0%} of a DDP + BatchNorm step)")
    print(f"SyncBatchNorm's extra cost per layer over BatchNorm: {(ms['ddp_sync'] - ms['ddp_bn']) / 2:.2f} ms")
    print(f"ring allreduce: each rank sends and receives 2(N-1)/N x {model_mb:.1f} MB = "
          f"{2 * (n - 1) / n * model_mb:.1f} MB per step at N = {n}")


if __name__ == "__main__":
    main()
