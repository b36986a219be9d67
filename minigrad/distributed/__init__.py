"""Process groups and collectives on MPI, as torch.distributed with the "mpi" backend.

Launch a script with ``mpiexec -n 4 python train.py``; each process calls
``init_process_group()`` and then sees its rank and the world size. Without mpiexec the world is
one process and every collective returns its input. This is the only package that imports mpi4py,
and only when ``init_process_group`` runs: ``import minigrad`` never needs it.

Example::

    import minigrad.distributed as dist
    dist.init_process_group(backend="mpi")
    t = mg.tensor([float(dist.get_rank())])
    dist.all_reduce(t, op=dist.ReduceOp.SUM)      # in place: 0 + 1 + ... + (size - 1) on every rank

Every collective is bounded by init_process_group's ``timeout`` (DistTimeoutError, then the job
aborts), and ranks that reach different collectives raise DistDesyncError on every rank.
"""
from .process_group import (DistBackendError, DistDesyncError, DistError, DistTimeoutError, ReduceOp, all_gather,
                            all_reduce, barrier, broadcast, destroy_process_group, get_rank, get_world_size,
                            init_process_group, is_initialized)

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "get_rank", "get_world_size",
           "barrier", "all_reduce", "broadcast", "all_gather", "ReduceOp", "DistError", "DistBackendError",
           "DistTimeoutError", "DistDesyncError"]
