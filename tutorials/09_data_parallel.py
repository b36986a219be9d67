# %% [markdown]
# # Data-parallel training on MPI: DDP, SyncBatchNorm and DistributedSampler
#
# Several processes each hold the same model and train it on their own part of every batch; after
# backward the gradients are averaged across processes, so every replica takes the same step. MPI
# starts the processes and carries the messages:
#
# ```bash
# pip install -e ".[tutorials,distributed]"         # mpi4py and an MPI library (mpich) from wheels
# mpiexec -n 2 python tutorials/09_data_parallel.py  # add --quick for a few-second run
# ```
#
# Run without `mpiexec` it is a world of one process and shows the same things. This tutorial shows
# 1. the pinned equivalence: N processes with `DistributedDataParallel`, `SyncBatchNorm` and
#    `DistributedSampler` train *the same parameters* as one process on the global batch;
# 2. what goes wrong with plain BatchNorm when each process sees only a few samples;
# 3. the time per step on 1, 2 and 4 processes.

# %%
import os

# one thread per process, BLAS included (set before NumPy loads): the processes are the parallelism
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
import minigrad.functional as F  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.optim as optim  # noqa: E402
from minigrad.data import DistributedSampler  # noqa: E402
from minigrad.datasets import load_digits  # noqa: E402

from _common import HERE, make_mlp, options, save_figure, smooth, train  # noqa: E402

args = options("Data-parallel training with DDP, SyncBatchNorm and DistributedSampler")
mg.set_num_threads(1)
dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()


def say(*text):
    if rank == 0:
        print(*text, flush=True)


say(f"{world} process(es); rank 0 speaks for all")
data = load_digits()
data64 = data._replace(x_train=data.x_train.astype(np.float64), x_test=data.x_test.astype(np.float64))


# %% [markdown]
# ## The training loop, as a PyTorch user writes it
# Every process builds the same model from the same seed (DDP also broadcasts rank 0's parameters
# and buffers at construction), converts its BatchNorm layers to SyncBatchNorm, wraps the model
# in DDP, and reads its share of each epoch through a `DistributedSampler`: a permutation drawn
# from `seed + epoch`, split by striding (rank r takes positions r, r + N, r + 2N, ...). So batch b
# of all processes together is batch b of one process that takes N times the batch size.

# %%
def train_on(model, dataset, per_process_batch, epochs, num_replicas, replica, lr=0.05):
    """_common.train (SGD, cross-entropy) reading this process's share through a DistributedSampler;
    drop_last keeps every step's global batch whole."""
    sampler = DistributedSampler(range(len(dataset.x_train)), num_replicas=num_replicas, rank=replica, seed=0)
    return train(model, dataset, epochs, lr, batch_size=per_process_batch, sampler=sampler, drop_last=True,
                 progress=False)


def distributed_model(sync_batch_norm, dtype="float32"):
    mg.manual_seed(0)
    model = make_mlp(batch_norm=True).to(dtype)
    if sync_batch_norm:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return nn.parallel.DistributedDataParallel(model)


# %% [markdown]
# Section 3 launches this script again on 1, 2 and 4 processes to time training steps; those runs
# stop here, after timing.

# %%
TIMING_FLAG = "--time-steps"


def time_steps(steps, global_batch=256):
    """Milliseconds per training step on this world (after two warm-up steps); runs in the launched jobs."""
    model = distributed_model(sync_batch_norm=True)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = mg.tensor(data.x_train[:global_batch].reshape(world, -1, 64)[rank])
    y = mg.tensor(data.y_train[:global_batch].reshape(world, -1)[rank])
    for step in range(steps + 2):
        if step == 2:
            dist.barrier()
            start = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    dist.barrier()
    return 1e3 * (time.perf_counter() - start) / steps


if TIMING_FLAG in sys.argv:
    ms = time_steps(int(sys.argv[sys.argv.index(TIMING_FLAG) + 1]))
    say(json.dumps({"processes": world, "ms_per_step": ms}))
    dist.destroy_process_group()
    sys.exit(0)


# %% [markdown]
# ## 1. N processes train what one process trains on the global batch
# In float64, one process on batches of 64 (plain BatchNorm, no communication) against `world`
# processes on 64 / world samples each. SyncBatchNorm merges each process's per-channel
# (count, mean, M2) with Chan's parallel formula (one collective per layer forward, one backward);
# DDP averages the gradients in buckets during backward.

# %%
epochs = 1 if args.quick else 3
global_batch = 64
mg.manual_seed(0)
reference = make_mlp(batch_norm=True).double()
train_on(reference, data64, global_batch, epochs, num_replicas=1, replica=0)
parallel = distributed_model(sync_batch_norm=True, dtype="float64")
train_on(parallel, data64, global_batch // world, epochs, num_replicas=world, replica=rank)
reference_state = reference.state_dict()
differences = {name: float(np.abs(value.numpy() - reference_state[name].numpy()).max())
               for name, value in parallel.module.state_dict().items()}
worst = max(differences, key=differences.get)
say(f"largest difference over all parameters and running statistics: {differences[worst]:.2e} ({worst})")
assert differences[worst] < 1e-10, differences

# %% [markdown]
# ## 2. Plain BatchNorm with few samples per process
# With plain BatchNorm under DDP each process normalises with the statistics of its own samples.
# At 2 samples per process that is drastic: (x - mean) / std of two values is -1 or +1 whatever
# they are, so every BatchNorm output carries only which of the two samples is larger. The running
# statistics used in eval mode are averages of those two-sample statistics too. SyncBatchNorm sees
# the 2 x world samples of the global batch. (In a world of one both are the same model.)

# %%
per_process = 2
small_epochs = 1 if args.quick else 4
histories, accuracies = {}, {}
for label, sync in (("SyncBatchNorm", True), ("plain BatchNorm", False)):
    model = distributed_model(sync)
    histories[label] = train_on(model, data, per_process, small_epochs, num_replicas=world, replica=rank,
                                lr=0.01)["loss"]
    model.eval()
    with mg.no_grad():
        predictions = model(mg.tensor(data.x_test)).numpy().argmax(axis=1)
    accuracies[label] = float((predictions == data.y_test).mean())
    say(f"{label:16s} {per_process} samples per process, {per_process * world} per step: "
        f"test accuracy {accuracies[label]:.3f}")

if rank == 0:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, losses in histories.items():
        left.plot(smooth(losses, width=50), label=label)
    left.set(xlabel="step", ylabel="cross-entropy (moving average, rank 0)",
             title=f"{per_process} samples per process, {world} process(es)")
    left.legend()
    right.bar(list(accuracies), list(accuracies.values()), color=["tab:blue", "tab:orange"])
    right.set(ylabel="test accuracy (eval mode)", ylim=(0, 1), title="after training")
    save_figure(fig, "09_batchnorm_small_batches", args.quick)

# %% [markdown]
# ## 3. Time per step on 1, 2 and 4 processes
# Rank 0 launches `mpiexec -n k` for k = 1, 2, 4 of this script's timing part (global batch 256,
# float32, SyncBatchNorm, one thread per process); the other ranks of this run wait without
# spinning. On a machine with fewer cores than processes the processes share cores, and the
# timings say so: data parallelism pays only with a core (or a node) per process.

# %%
def launch_timing(processes, steps):
    # the launched job must not inherit this job's MPI environment, or it would try to join it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "HYDRA_", "MPIR_", "MPI_LOCAL"))}
    mpiexec = Path(sys.executable).with_name("mpiexec")
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(processes), sys.executable,
               str(HERE / "09_data_parallel.py"), TIMING_FLAG, str(steps)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])["ms_per_step"]


counts = [1, 2, 4]
if rank == 0:
    per_step = {k: launch_timing(k, 5 if args.quick else 40) for k in counts}
    for k in counts:
        print(f"{k} process(es): {per_step[k]:6.2f} ms per step, speed-up over one process {per_step[1] / per_step[k]:.2f}x")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.bar([str(k) for k in counts], [per_step[k] for k in counts])
    ax.set(xlabel="processes (one thread each)", ylabel="ms per step (mean over the run)",
           title=f"digits MLP, global batch 256, {os.cpu_count()} cores (load {os.getloadavg()[0]:.0f})")
    save_figure(fig, "09_time_per_step", args.quick)
waiting = dist.barrier(async_op=True)  # checked between sleeps: no core spins while rank 0 times
while not waiting.is_completed():
    time.sleep(0.01)
dist.destroy_process_group()
