"""Compiled kernels. ``cpu`` and ``cuda`` are the kernel functions of each device (``front.Kernels``:
checks and allocation written once, over the device's loops); ``for_array(x)`` / ``for_xp(xp)`` give
the one for an array's device. ``cuda`` is made on first use, which imports CuPy."""
import os

import numpy as np

from . import cpu_loops, runtime
from .front import Kernels

# after cpu_loops: importing the kernels loads SciPy's BLAS, which must be found and limited too
runtime.single_threaded_blas()

if os.environ.get("MINIGRAD_MALLOC_TUNING", "1") != "0":
    runtime.tune_malloc()

cpu = Kernels(cpu_loops, np)


def __getattr__(name):
    if name == "cuda":
        return _cuda()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cuda():
    global _cuda_kernels
    if _cuda_kernels is None:
        from . import cuda_loops  # imports cupy: only reached with a cupy array in hand

        _cuda_kernels = Kernels(cuda_loops, cuda_loops.cp)
    return _cuda_kernels


_cuda_kernels = None


def for_xp(xp):
    return cpu if xp is np else _cuda()


def for_array(array):
    return cpu if isinstance(array, np.ndarray) else _cuda()
